"""Time spreading one central post to every page of the tree, and taking it back.

Needs the imported tree (``import_units --structure pre-2025``: 10,795 units). Units without a
community page get an active one first (seeding, not timed). Each run spreads a new central
post, so runs can be repeated; prints the phases' times and SQL query counts.
"""

from __future__ import annotations

import time

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from moderation.services import post_publish_imported
from orgunits.models import OrgUnit, UnitKind
from pages import services as page_services
from pages.models import CommunityPage, PageStatus, Post
from spreading import services
from spreading.selectors import reach, spread_counts


class Command(BaseCommand):
    help = "Benchmark spreading a central post to every page (bulk, chunked), then withdrawing it."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--chunk-size", type=int, default=services.CHUNK_SIZE)

    def handle(self, *args, chunk_size: int, **options) -> None:
        central = OrgUnit.objects.filter(kind=UnitKind.CENTRAL).first()
        if central is None:
            raise CommandError("No tree: run import_units --structure pre-2025 first.")
        self._seed_pages()
        user, _ = get_user_model().objects.get_or_create(
            username="bench.spreading", defaults={"is_staff": True, "is_superuser": True})
        page = CommunityPage.objects.get(unit=central)
        post = page_services.post_save(post=Post(page=page, title=f"Đồng loạt {timezone.now():%H:%M:%S}"), by=None)
        post_publish_imported(post=post, by=None, published_at=timezone.now(), reason="bench")

        with CaptureQueriesContext(connection) as create_q:
            start = time.perf_counter()
            spread = services.spread_down(post=post, from_unit=central, by=user)
            created = time.perf_counter() - start
        with CaptureQueriesContext(connection) as deliver_q:
            start = time.perf_counter()
            services.spread_deliver(spread_id=spread.pk, chunk_size=chunk_size)
            delivered = time.perf_counter() - start
        counts = {k: v for k, v in spread_counts(spread=spread).items() if v}
        shown = reach(spread=spread)
        with CaptureQueriesContext(connection) as withdraw_q:
            start = time.perf_counter()
            ended = services.spread_withdraw(spread=spread, by=user, reason="bench")
            withdrawn = time.perf_counter() - start

        self.stdout.write(f"database: {connection.vendor}; pages: {CommunityPage.objects.count()}; "
                          f"targeted: {spread.targeted}; chunk size: {chunk_size}")
        self.stdout.write("| step | seconds | SQL queries |\n| --- | ---: | ---: |")
        self.stdout.write(f"| spread_down (checks, count, spread row) | {created:.3f} | {len(create_q)} |")
        self.stdout.write(f"| deliver (rows written and delivered) | {delivered:.3f} | {len(deliver_q)} |")
        self.stdout.write(f"| **total, spread to every page** | **{created + delivered:.3f}** | "
                          f"{len(create_q) + len(deliver_q)} |")
        self.stdout.write(f"| withdraw from every page | {withdrawn:.3f} | {len(withdraw_q)} |")
        self.stdout.write(f"rows by state: {counts}; showing: {shown}; withdrawn: {ended}")

    def _seed_pages(self) -> None:
        """An active page for every unit that has none (bench data, written in bulk)."""
        missing = OrgUnit.objects.filter(page__isnull=True).values_list("pk", flat=True)
        pages = [CommunityPage(unit_id=pk, status=PageStatus.ACTIVE, status_changed_at=timezone.now())
                 for pk in missing]
        CommunityPage.objects.bulk_create(pages, batch_size=2000)
        if pages:
            self.stdout.write(f"seeded {len(pages)} active pages")
