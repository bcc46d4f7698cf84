"""Measure the public read API in process: median time and SQL queries per endpoint, cold
(``cache.clear()`` before every request: no page cache, no cached topic list) and warm (the
answer already in the page cache). Prints a Markdown table.

Requests go through Django's test ``Client`` (full middleware stack, no network) against the
database the settings point at; seed it first with ``seed_bench``. Run it without ``REDIS_URL``:
the cold runs clear the whole cache. The rate limit is off while it runs. An endpoint the
running version does not have (a 404 for a path that names no missing row) is shown as "n/a".
"""

from __future__ import annotations

import base64
import json
import statistics
import time

from django.core.cache import cache
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.db.models import Count
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings

from orgunits.models import OrgUnit, UnitKind
from pages.models import Post, Topic


def _busiest(kind: str) -> OrgUnit:
    """The unit of ``kind`` with the most own live posts."""
    row = (Post.objects.published().filter(unit__kind=kind, unit__is_active=True).values("unit_id")
           .annotate(n=Count("id")).order_by("-n").first())
    if row is None:
        raise CommandError(f"No live post of a {kind} unit: seed the database first (manage.py seed_bench).")
    return OrgUnit.objects.get(pk=row["unit_id"])


def _last_units_cursor() -> str:
    """The cursor of the last page of ``/units/`` (about 10,800 units in): the deepest page.
    Built here, in the cursors' format (base64 of the JSON key), so that it measures the
    versions before this command too."""
    last = OrgUnit.objects.filter(is_active=True).order_by("-tree_id", "-lft")[1]
    return base64.urlsafe_b64encode(json.dumps([last.tree_id, last.lft]).encode()).decode().rstrip("=")


class Command(BaseCommand):
    help = "Benchmark the public API's endpoints, cold and warm: median milliseconds and SQL queries."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--runs", type=int, default=15)

    def handle(self, *args, runs: int, **options) -> None:
        province = OrgUnit.objects.filter(kind=UnitKind.PROVINCE, is_active=True).order_by("-rght").first()
        if province is None:
            raise CommandError("No unit tree: import it first (manage.py seed_bench imports it).")
        district, commune = _busiest(UnitKind.DISTRICT), _busiest(UnitKind.COMMUNE)
        topic = Topic.objects.filter(is_active=True).order_by("order").first()
        post = Post.objects.published().order_by("-published_at").first()
        client = Client()
        endpoints = [
            ("units, first page (100)", "/api/v1/units/?limit=100"),
            ("units, last page", f"/api/v1/units/?limit=100&cursor={_last_units_cursor()}"),
            ("units, children of a province", f"/api/v1/units/?parent={province.pk}&limit=100"),
            ("unit detail", f"/api/v1/units/{district.pk}/"),
            ("unit posts (busiest district)", f"/api/v1/units/{district.pk}/posts/?limit=20"),
            ("unit posts (busiest commune)", f"/api/v1/units/{commune.pk}/posts/?limit=20"),
            ("subtree posts (largest province)", f"/api/v1/units/{province.pk}/subtree-posts/?limit=20"),
            ("subtree posts (busiest district)", f"/api/v1/units/{district.pk}/subtree-posts/?limit=20"),
            ("subtree posts (the country)", f"/api/v1/units/{OrgUnit.objects.get(kind='central').pk}/subtree-posts/"),
            ("topic posts, nationwide", f"/api/v1/topics/{topic.slug}/posts/?limit=20"),
            ("topic posts, in a province", f"/api/v1/topics/{topic.slug}/posts/?unit={province.pk}&limit=20"),
            ("search 'hoi nghi'", "/api/v1/search/?q=hoi%20nghi"),
            ("search 'dai doan ket' in a province", f"/api/v1/search/?q=dai%20doan%20ket&unit={province.pk}"),
            ("post detail", f"/api/v1/posts/{post.pk}/"),
        ]
        self.stdout.write(f"{connection.vendor}, {Post.objects.published().count()} live posts, "
                          f"{OrgUnit.objects.filter(is_active=True).count()} units; median of {runs} runs\n")
        self.stdout.write("| endpoint | cold ms | cold queries | warm ms |")
        self.stdout.write("| --- | ---: | ---: | ---: |")
        with override_settings(VIETFRONT_API_RATE=""):
            for label, url in endpoints:
                self.stdout.write(self._row(client, label, url, runs))

    def _row(self, client: Client, label: str, url: str, runs: int) -> str:
        cold, queries = [], 0
        for _ in range(runs):
            cache.clear()
            with CaptureQueriesContext(connection) as captured:
                start = time.perf_counter()
                response = client.get(url)
                cold.append((time.perf_counter() - start) * 1000)
            if response.status_code == 404:
                return f"| {label} | n/a | n/a | n/a |"
            if response.status_code != 200:
                raise CommandError(f"{url} answered {response.status_code}: {response.content[:300]!r}")
            queries = len(captured)
        warm = []
        for _ in range(runs):
            start = time.perf_counter()
            client.get(url)
            warm.append((time.perf_counter() - start) * 1000)
        return f"| {label} | {statistics.median(cold):.1f} | {queries} | {statistics.median(warm):.1f} |"
