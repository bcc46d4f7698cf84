"""Measure the public site in process: median and p95 time and SQL queries per view, with a
cold cache (``cache.clear()`` before each request) and a warm one, next to a minimal Django
view answered through the same middleware (the floor). Prints a Markdown table.

Requests go through Django's test ``Client`` (full middleware stack, no network), against
whatever database the settings point at; seed it first with ``seed_bench``.
"""

from __future__ import annotations

import statistics
import time

from django.core.cache import cache
from django.core.management.base import BaseCommand
from django.db import connection
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings
from django.urls import path, reverse

from orgunits.models import OrgUnit, UnitKind
from pages.models import Post, Topic


def floor_view(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok")


def _urlpatterns():
    from vietfront.urls import urlpatterns as site

    return [path("__floor__/", floor_view), *site]


urlpatterns = _urlpatterns()


def _busiest(kind: str) -> OrgUnit:
    """The unit of ``kind`` with the most own live posts (a realistic, heavy page)."""
    row = (
        Post.objects.published().filter(unit__kind=kind).values("unit_id").annotate(n=Count("id"))
        .order_by("-n").first()
    )
    return OrgUnit.objects.get(pk=row["unit_id"]) if row else OrgUnit.objects.filter(kind=kind).first()


class Command(BaseCommand):
    help = "Benchmark the public views (cold and warm cache) against a minimal Django view."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--runs", type=int, default=30)

    def handle(self, *args, runs: int, **options) -> None:
        province = _busiest(UnitKind.PROVINCE)
        district = OrgUnit.objects.filter(pk=_busiest(UnitKind.DISTRICT).pk).first()
        commune = _busiest(UnitKind.COMMUNE)
        post = Post.objects.published().filter(unit=province).select_related("unit").order_by("-published_at").first()
        topic = Topic.objects.filter(is_active=True).first()
        cases = [
            ("floor (minimal view)", "/__floor__/"),
            ("central home", "/"),
            (f"province page ({province.path})", province.get_absolute_url()),
            (f"district page ({district.path})", district.get_absolute_url()),
            (f"commune page ({commune.path})", commune.get_absolute_url()),
            ("post page", post.get_absolute_url()),
            (f"topic page ({topic.slug}, nationwide)", reverse("public:central_topic", kwargs={"slug": topic.slug})),
            ("search 'ha noi'", reverse("public:search") + "?q=ha+noi"),
            ("search 'dai doan ket' in province", reverse("public:search") + f"?q=dai+doan+ket&don-vi={province.path}"),
            ("unit feed (province, subtree RSS)", reverse("public:feed_rss_all", kwargs={"unit_path": province.path})),
        ]
        client = Client()
        results = []
        with override_settings(ROOT_URLCONF=__name__, DEBUG=False):
            for label, url in cases:
                client.get(url)  # import and compile templates once
                cold = self._measure(client, url, runs, clear=True)
                warm = self._measure(client, url, runs, clear=False)
                results.append((label, cold, warm))
        floor_cold, floor_warm = results[0][1][0], results[0][2][0]
        self.stdout.write(
            f"\nDatabase: {connection.vendor}; posts live: {Post.objects.published().count()}; "
            f"units: {OrgUnit.objects.count()}; runs per cell: {runs}\n"
        )
        self.stdout.write("| view | cold median ms | cold p95 ms | cold SQL | cold ÷ floor | warm median ms "
                          "| warm p95 ms | warm SQL | warm ÷ floor |")
        self.stdout.write("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
        for label, (cmed, cp95, cq), (wmed, wp95, wq) in results:
            self.stdout.write(
                f"| {label} | {cmed:.2f} | {cp95:.2f} | {cq} | {cmed / floor_cold:.1f}× | {wmed:.2f} | {wp95:.2f} "
                f"| {wq} | {wmed / floor_warm:.1f}× |"
            )

    def _measure(self, client: Client, url: str, runs: int, *, clear: bool) -> tuple[float, float, int]:
        times, queries = [], 0
        if not clear:
            client.get(url)
        for _ in range(runs):
            if clear:
                cache.clear()
            with CaptureQueriesContext(connection) as captured:
                t0 = time.perf_counter()
                response = client.get(url)
                elapsed = (time.perf_counter() - t0) * 1000
            if response.status_code != 200:
                raise RuntimeError(f"{url} answered {response.status_code}")
            times.append(elapsed)
            queries = max(queries, len(captured))
        times.sort()
        p95 = times[min(len(times) - 1, int(round(0.95 * (len(times) - 1))))]
        return statistics.median(times), p95, queries
