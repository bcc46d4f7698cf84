"""Measure the public site in process: median time and SQL queries per view, with the page
cache off and on, next to a floor measured in the same run (a constant ``HttpResponse`` view
answered through the same middleware). Prints a Markdown table.

Requests go through Django's test ``Client`` (full middleware stack, no network), against
whatever database and cache the settings point at (``REDIS_URL`` set: Redis, else local
memory); seed the database first with ``seed_bench``. "Page cache off" renders every request
(``VIETFRONT_PUBLIC_PAGE_CACHE = False``) with the small caches (topic menu) warm, as in
production; "page cache on" serves the page already cached.

It accepts any data set with the pre-2025 or the 2025 tree: a unit with no posts of its own is
measured as it is, and the post page takes the newest live post of the province's subtree (of
the country if that has none).
"""

from __future__ import annotations

import statistics
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings
from django.urls import path, reverse

from orgunits.managers import subtree_q
from orgunits.models import OrgUnit, UnitKind
from pages.models import Post, Topic


def floor_view(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok")


def _urlpatterns():
    from vietfront.urls import urlpatterns as site

    return [path("__floor__/", floor_view), *site]


urlpatterns = _urlpatterns()


def _busiest(kind: str, within: OrgUnit | None = None) -> OrgUnit | None:
    """The unit of ``kind`` (inside ``within`` if given) with the most own live posts, else the
    first such unit: a heavy page when there are posts, still a page when there are none."""
    units = OrgUnit.objects.filter(kind=kind, is_active=True)
    if within is not None:
        units = units.filter(subtree_q(within))
    row = (
        Post.objects.published().filter(unit__in=units).values("unit_id").annotate(n=Count("id"))
        .order_by("-n").first()
    )
    return OrgUnit.objects.get(pk=row["unit_id"]) if row else units.order_by("code").first()


def _newest_post(unit: OrgUnit) -> Post | None:
    live = Post.objects.published().select_related("unit").order_by("-published_at")
    return (live.filter(unit=unit).first() or live.filter(unit__in=OrgUnit.objects.filter(subtree_q(unit))).first()
            or live.first())


class Command(BaseCommand):
    help = "Benchmark the public views, page cache off and on, against a floor measured in the same run."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--runs", type=int, default=30)
        parser.add_argument("--province", default="", help="path of the province to measure (default: the busiest)")

    def handle(self, *args, runs: int, province: str, **options) -> None:
        if province:
            unit = OrgUnit.objects.filter(path=province.strip("/")).first()
            if unit is None:
                raise CommandError(f"No unit at path {province!r}.")
        else:
            unit = _busiest(UnitKind.PROVINCE)
        if unit is None:
            raise CommandError("No province in the database: run seed_bench first.")
        district = _busiest(UnitKind.DISTRICT, unit)
        commune = _busiest(UnitKind.COMMUNE, unit) or _busiest(UnitKind.COMMUNE)
        post = _newest_post(unit)
        topic = Topic.objects.filter(is_active=True).first()
        cases = [
            ("floor (constant HttpResponse)", "/__floor__/"),
            ("central home", "/"),
            (f"province page ({unit.path})", unit.get_absolute_url()),
        ]
        if district is not None:
            cases.append((f"district page ({district.path})", district.get_absolute_url()))
        if commune is not None:
            cases.append((f"commune page ({commune.path})", commune.get_absolute_url()))
        if post is not None:
            cases.append(("post page", post.get_absolute_url()))
        if topic is not None:
            cases.append((f"topic page ({topic.slug}, nationwide)",
                          reverse("public:central_topic", kwargs={"slug": topic.slug})))
        cases += [
            ("search 'ha noi'", reverse("public:search") + "?q=ha+noi"),
            # Syllables in nearly every post: phrases of two and three of them, nationwide and in a
            # province (the unit card search, and ranking up to 400 candidates).
            ("search 'doan ket'", reverse("public:search") + "?q=doan+ket"),
            ("search 'dai doan ket'", reverse("public:search") + "?q=dai+doan+ket"),
            ("search 'dai doan ket' in province", reverse("public:search") + f"?q=dai+doan+ket&don-vi={unit.path}"),
            ("unit feed (province, subtree RSS)", reverse("public:feed_rss_all", kwargs={"unit_path": unit.path})),
        ]
        client = Client()  # HTTPS: with DEBUG=0 plain HTTP is redirected
        results = []
        with override_settings(ROOT_URLCONF=__name__, DEBUG=False):
            for label, url in cases:
                with override_settings(VIETFRONT_PUBLIC_PAGE_CACHE=False):
                    client.get(url, secure=True)  # import, compile templates, fill the topic menu once
                    off = self._measure(client, url, runs)
                client.get(url, secure=True)
                on = self._measure(client, url, runs)
                results.append((label, off, on))
        floor_off, floor_on = results[0][1][0], results[0][2][0]
        backend = settings.CACHES["default"]["BACKEND"].rsplit(".", 1)[-1]
        self.stdout.write(
            f"\nDatabase: {connection.vendor}; cache: {backend}; posts live: {Post.objects.published().count()}; "
            f"units: {OrgUnit.objects.count()}; runs per cell: {runs}\n"
        )
        self.stdout.write("| view | off median ms | off SQL | off ÷ floor | on median ms | on SQL | on ÷ floor |")
        self.stdout.write("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
        for label, (omed, oq), (nmed, nq) in results:
            self.stdout.write(
                f"| {label} | {omed:.2f} | {oq} | {omed / floor_off:.1f}× | {nmed:.3f} | {nq} | {nmed / floor_on:.1f}× |"
            )

    def _measure(self, client: Client, url: str, runs: int) -> tuple[float, int]:
        times, queries = [], 0
        for _ in range(runs):
            with CaptureQueriesContext(connection) as captured:
                t0 = time.perf_counter()
                response = client.get(url, secure=True)
                elapsed = (time.perf_counter() - t0) * 1000
            if response.status_code != 200:
                raise CommandError(f"{url} answered {response.status_code}")
            times.append(elapsed)
            queries = max(queries, len(captured))
        return statistics.median(times), queries
