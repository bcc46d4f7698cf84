"""Render the central rollout dashboard N times in process; print median/p95 time and queries.

    python manage.py bench_dashboard [--runs 20] [--seed]

``--seed`` first fills an empty database with a realistic data set: the pre-2025 tree
(``import_units --structure pre-2025``), an active page for most units with its history spread
over 18 months, published posts, and decided and pending submissions — all by bulk inserts.
"""

from __future__ import annotations

import datetime
import random
import statistics
import time

from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from moderation.models import Revision, Submission
from orgunits.models import OrgUnit, UnitKind
from pages.models import CommunityPage, PageStatus, PageStatusChange, Post, PostStatus

BENCH_USER = "bench-dashboard"
HISTORY_DAYS = 540  # the pages' status history: 18 months
# Share of units of each kind with an active page, as the rollout might stand.
PAGE_SHARE = {UnitKind.CENTRAL: 1.0, UnitKind.PROVINCE: 1.0, UnitKind.DISTRICT: 0.93, UnitKind.COMMUNE: 0.72}


class Command(BaseCommand):
    help = "Measure the central rollout dashboard: median and p95 render time, query count."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--runs", type=int, default=20)
        parser.add_argument("--seed", action="store_true", help="seed a data set first (empty database)")
        parser.add_argument("--posts", type=int, default=60_000, help="posts to seed")

    def handle(self, *args, runs: int, seed: bool, posts: int, **options) -> None:
        if seed:
            self.seed(posts=posts)
        user, _ = get_user_model().objects.get_or_create(
            username=BENCH_USER, defaults={"is_staff": True, "is_superuser": True}
        )
        client = Client()
        client.force_login(user)
        url = reverse("rollout:dashboard")
        client.get(url)  # warm-up: templates, translations, connection
        timings, queries = [], 0
        for _ in range(runs):
            with CaptureQueriesContext(connection) as ctx:
                start = time.perf_counter()
                response = client.get(url)
                timings.append((time.perf_counter() - start) * 1000)
            assert response.status_code == 200, response.status_code
            queries = len(ctx.captured_queries)
        timings.sort()
        p95 = timings[min(len(timings) - 1, round(0.95 * (len(timings) - 1)))]
        self.stdout.write(
            f"units={OrgUnit.objects.count()} pages={CommunityPage.objects.count()} posts={Post.objects.count()} "
            f"submissions={Submission.objects.count()} db={connection.vendor}"
        )
        self.stdout.write(
            f"central dashboard: runs={runs} median={statistics.median(timings):.1f} ms p95={p95:.1f} ms "
            f"queries={queries} size={len(response.content) // 1024} KiB"
        )

    # --- seeding ---------------------------------------------------------------------------------
    def seed(self, *, posts: int) -> None:
        rng = random.Random(2025)  # noqa: S311 - reproducible test data, not security
        if not OrgUnit.objects.exists():
            call_command("import_units", structure="pre-2025", verbosity=0)
        if CommunityPage.objects.exists():
            self.stdout.write("data present: not seeding again")
            return
        now = timezone.now()
        # The units existed before the pages' history begins (the timeline counts each month
        # over the units that existed then), as on a site whose tree was imported at its start.
        OrgUnit.objects.update(created_at=now - datetime.timedelta(days=HISTORY_DAYS + 30))
        author, _ = get_user_model().objects.get_or_create(username="bench-editor")
        with transaction.atomic():
            units = list(OrgUnit.objects.filter(is_active=True).values_list("pk", "kind", "parent_id"))
            chosen = [(pk, kind, parent) for pk, kind, parent in units if rng.random() < PAGE_SHARE.get(kind, 0)]
            pages = CommunityPage.objects.bulk_create(
                [CommunityPage(unit_id=pk, status=PageStatus.ACTIVE, status_changed_at=now) for pk, _k, _p in chosen],
                batch_size=2000,
            )
            changes = []
            for page in pages:
                at = now - datetime.timedelta(days=rng.randint(0, HISTORY_DAYS))
                changes.append(PageStatusChange(page=page, from_status=PageStatus.NOT_SET_UP,
                                                to_status=PageStatus.ACTIVE, at=at))
            PageStatusChange.objects.bulk_create(changes, batch_size=2000)
            page_units = [(page.pk, page.unit_id) for page in pages]
            rows = []
            for n in range(posts):
                page_id, unit_id = rng.choice(page_units)
                rows.append(Post(page_id=page_id, unit_id=unit_id, title=f"Tin hoạt động {n}", slug=f"tin-{n}",
                                 status=PostStatus.PUBLISHED,
                                 published_at=now - datetime.timedelta(minutes=rng.randint(0, 400 * 24 * 60)),
                                 search_text=f"tin hoat dong {n}"))
            created = Post.objects.bulk_create(rows, batch_size=2000)
            revisions = Revision.objects.bulk_create(
                [Revision(post_id=p.pk, number=1, title=p.title, content={}, content_hash=str(p.pk)) for p in created],
                batch_size=2000,
            )
            for post, revision in zip(created, revisions, strict=True):
                post.live_revision_id = revision.pk
            Post.objects.bulk_update(created, ["live_revision"], batch_size=2000)
            parent_of = {pk: parent for pk, _k, parent in units}
            submissions = []
            for post, revision in zip(created[: len(created) // 3], revisions, strict=False):
                pending = rng.random() < 0.05
                submissions.append(Submission(
                    post_id=post.pk, revision_id=revision.pk, approving_unit_id=parent_of.get(post.unit_id) or post.unit_id,
                    state=Submission.State.PENDING if pending else Submission.State.APPROVED, submitted_by=author,
                    decided_by=None if pending else author, decided_at=None if pending else post.published_at,
                ))
            Submission.objects.bulk_create(submissions, batch_size=2000)
            # auto_now_add ignored the value given: set submission times in one statement per row batch.
            for sub in submissions:
                sub.submitted_at = (sub.decided_at or now) - datetime.timedelta(hours=rng.uniform(0.2, 96))
            Submission.objects.bulk_update(submissions, ["submitted_at"], batch_size=2000)
        if connection.vendor == "postgresql":
            # Fresh bulk inserts have no planner statistics (without them PostgreSQL picks nested
            # loops that take seconds) and no visibility map (index-only scans read the heap);
            # autovacuum would do both a little later in production.
            with connection.cursor() as cursor:
                cursor.execute("VACUUM ANALYZE")
        self.stdout.write(f"seeded {len(pages)} pages, {len(created)} posts, {len(submissions)} submissions")
