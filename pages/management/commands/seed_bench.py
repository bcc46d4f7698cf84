"""Seed a benchmark data set: the pre-2025 tree, pages for about half of the units, and N live
posts spread over units and years, in minutes (bulk inserts; no signals, no per-row saves).
``--pending M`` adds M posts awaiting approval on top (submitted, one pending submission each,
routed to the unit above), the shape of the workload issue 14 measured (100,000 posts, 969
pending).

Every seeded post goes live through a one-off revision, exactly as moderation would leave it
(``live_revision`` set, ``status`` published), and gets its row in the public search index.
Run it on a throw-away database (``SQLITE_PATH``/``DATABASE_URL``): it is not for production.
"""

from __future__ import annotations

import datetime
import random
import time

from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import connection, transaction
from django.utils import timezone

from moderation.models import Revision
from orgunits.models import OrgUnit, UnitKind
from pages.cache import clear_public_cache
from pages.models import CommunityPage, PageStatus, Post, PostSearch, PostStatus, SourceKind, Topic
from pages.sanitize import html_to_text
from pages.search import entry_keys
from vietfront.text import search_key

WORDS = ["Mặt", "trận", "Tổ", "quốc", "đại", "đoàn", "kết", "toàn", "dân", "tộc", "hội", "nghị", "tổng", "kết", "cuộc", "vận", "động", "người", "Việt", "Nam", "ưu", "tiên", "dùng", "hàng", "Việt", "Nam", "an", "sinh", "xã", "hội", "quỹ", "vì", "người", "nghèo", "trao", "quà", "hộ", "nghèo", "khu", "dân", "cư", "nông", "thôn", "mới", "đô", "thị", "văn", "minh", "giám", "sát", "phản", "biện", "lấy", "ý", "kiến", "nhân", "dân", "dự", "thảo", "bầu", "cử", "đại", "biểu", "chuyển", "đổi", "số", "bảo", "vệ", "môi", "trường", "phòng", "chống", "thiên", "tai", "tuổi", "cao", "gương", "sáng", "khuyến", "học", "khuyến", "tài", "ngày", "hội", "đoàn", "kết", "mái", "ấm", "tình", "thương", "học", "bổng"]  # noqa: SIM905 - prose reads better than a list of 90 words
BATCH = 5000


class Command(BaseCommand):
    help = "Seed the pre-2025 tree with N published posts for bench_public (throw-away databases only)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--posts", type=int, default=200_000)
        parser.add_argument("--seed", type=int, default=2025)
        parser.add_argument("--pending", type=int, default=0, help="posts awaiting approval, added on top")

    def handle(self, *args, posts: int, seed: int, pending: int = 0, **options) -> None:
        started = time.monotonic()
        rng = random.Random(seed)  # noqa: S311 - benchmark data, not security
        if OrgUnit.objects.count() < 1000:
            call_command("import_units", structure="pre-2025", verbosity=0)
        pages = self._pages(rng)
        topics = list(Topic.objects.values_list("id", flat=True))
        self.stdout.write(f"{len(pages)} active pages; creating {posts} posts…")
        # Weighted: higher levels publish more than a single commune.
        weights = [{UnitKind.CENTRAL: 400, UnitKind.PROVINCE: 60, UnitKind.DISTRICT: 8}.get(kind, 1)
                   for _, _, kind in pages]
        start_at = datetime.datetime(2019, 1, 1, tzinfo=datetime.UTC)
        span = (timezone.now() - datetime.timedelta(hours=1) - start_at).total_seconds()
        base = Post.objects.count()
        made = 0
        while made < posts:
            n = min(BATCH, posts - made)
            with transaction.atomic():
                self._batch(rng, n, base + made, pages, weights, topics, start_at, span)
            made += n
            self.stdout.write(f"  {made}/{posts} ({time.monotonic() - started:.0f} s)")
        if pending:
            with transaction.atomic():
                self._pending(rng, pending, pages, weights, topics)
            self.stdout.write(f"  {pending} pending posts")
        with connection.cursor() as cursor:
            # Planner statistics after bulk inserts; on PostgreSQL also VACUUM, which sets the
            # visibility map so index-only scans skip the heap (linking posts to their live
            # revision rewrote every row). Autovacuum does the same in production, later.
            cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
        clear_public_cache()
        self.stdout.write(self.style.SUCCESS(f"Seeded {posts} posts in {time.monotonic() - started:.1f} s."))

    def _pages(self, rng: random.Random) -> list[tuple[int, int, str]]:
        """An active page for the centre, every province and district, and ~half the communes."""
        have = set(CommunityPage.objects.values_list("unit_id", flat=True))
        # Communes are drawn only on the first run: a top-up (``--posts N`` again, ``--pending``)
        # keeps the data set's pages instead of giving half the remaining communes one more.
        draw_communes = not CommunityPage.objects.filter(unit__kind=UnitKind.COMMUNE).exists()
        now = timezone.now()
        new = [
            CommunityPage(unit_id=uid, status=PageStatus.ACTIVE, status_changed_at=now,
                          about=f"Trang thông tin chính thống của Ủy ban MTTQ Việt Nam {name}.")
            for uid, name, kind in OrgUnit.objects.filter(is_active=True).values_list("id", "name", "kind")
            if uid not in have and (kind != UnitKind.COMMUNE or (draw_communes and rng.random() < 0.5))
        ]
        CommunityPage.objects.bulk_create(new, batch_size=BATCH)
        return list(
            CommunityPage.objects.filter(status=PageStatus.ACTIVE).values_list("id", "unit_id", "unit__kind")
        )

    def _pending(self, rng, n, pages, weights, topics) -> None:
        """``n`` submitted posts below the centre, each with its revision and one pending
        submission to its parent unit (where the tree routes a pre-2025 commune or district)."""
        from django.contrib.auth import get_user_model

        from moderation.models import Submission

        editor, _ = get_user_model().objects.get_or_create(username="bench.editor")
        parents = dict(OrgUnit.objects.exclude(parent=None).values_list("id", "parent_id"))
        below = [(p, w) for p, w in zip(pages, weights, strict=True) if p[1] in parents]
        chosen = rng.choices([p for p, _ in below], weights=[w for _, w in below], k=n)
        base = Post.objects.count()
        rows = []
        for i, (page_id, unit_id, _) in enumerate(chosen):
            title = " ".join(rng.sample(WORDS, 9)).capitalize()
            rows.append(Post(
                page_id=page_id, unit_id=unit_id, title=title, slug=f"cho-duyet-{base + i}",
                summary=" ".join(rng.sample(WORDS, 24)).capitalize() + ".",
                body=f"<p>{' '.join(rng.sample(WORDS, 40)).capitalize()}.</p>",
                topic_id=rng.choice(topics) if topics else None, source_kind=SourceKind.OWN,
                source_name="Ban Tuyên giáo", author_line="Phóng viên", status=PostStatus.SUBMITTED,
                search_text=search_key(title), title_key=search_key(title), created_by=editor, updated_by=editor,
            ))
        Post.objects.bulk_create(rows, batch_size=BATCH)
        if connection.vendor != "postgresql" or rows[0].pk is None:
            ids = dict(Post.objects.filter(slug__in=[r.slug for r in rows]).values_list("slug", "id"))
            for r in rows:
                r.pk = ids[r.slug]
        revisions = Revision.objects.bulk_create([
            Revision(post_id=r.pk, number=1, title=r.title, summary=r.summary, body=r.body, topic_id=r.topic_id,
                     content={"title": r.title, "summary": r.summary, "body": r.body, "source_name": r.source_name,
                              "author_line": r.author_line, "tags": [], "topic_id": r.topic_id},
                     content_hash=f"pending-{r.pk}")
            for r in rows
        ], batch_size=BATCH)
        Submission.objects.bulk_create([
            Submission(post_id=r.pk, revision=rev, approving_unit_id=parents[r.unit_id], submitted_by=editor)
            for r, rev in zip(rows, revisions, strict=True)
        ], batch_size=BATCH)

    def _batch(self, rng, n, offset, pages, weights, topics, start_at, span) -> None:
        chosen = rng.choices(pages, weights=weights, k=n)
        rows, texts = [], []
        for i, (page_id, unit_id, _) in enumerate(chosen):
            words = rng.sample(WORDS, 9)
            title = " ".join(words).capitalize()
            summary = " ".join(rng.sample(WORDS, 24)).capitalize() + "."
            body = "".join(f"<p>{' '.join(rng.sample(WORDS, 40)).capitalize()}.</p>" for _ in range(4))
            published = start_at + datetime.timedelta(seconds=rng.random() * span)
            rows.append(Post(
                page_id=page_id, unit_id=unit_id, title=title, slug=f"bai-{offset + i}", summary=summary, body=body,
                topic_id=rng.choice(topics) if topics else None, source_kind=SourceKind.OWN,
                source_name="Ban Tuyên giáo", author_line="Phóng viên", status=PostStatus.PUBLISHED,
                published_at=published, search_text=search_key(f"{title} {summary} {html_to_text(body)}"),
                title_key=search_key(title),
            ))
            texts.append((title, summary, body))
        Post.objects.bulk_create(rows, batch_size=BATCH)
        if connection.vendor != "postgresql" or rows[0].pk is None:  # SQLite < 3.35 has no RETURNING
            ids = dict(Post.objects.filter(slug__in=[r.slug for r in rows]).values_list("slug", "id"))
            for r in rows:
                r.pk = ids[r.slug]
        revisions = [
            Revision(post_id=r.pk, number=1, title=r.title, summary=r.summary, body=r.body, topic_id=r.topic_id,
                     content={"title": r.title, "summary": r.summary, "body": r.body, "source_name": r.source_name,
                              "author_line": r.author_line, "tags": [], "topic_id": r.topic_id},
                     content_hash="bench")
            for r in rows
        ]
        Revision.objects.bulk_create(revisions, batch_size=BATCH)
        lo, hi = min(r.pk for r in rows), max(r.pk for r in rows)
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE pages_post SET live_revision_id = (SELECT r.id FROM moderation_revision r "
                "WHERE r.post_id = pages_post.id AND r.number = 1) WHERE id BETWEEN %s AND %s "
                "AND live_revision_id IS NULL",
                [lo, hi],
            )
        PostSearch.objects.bulk_create([
            PostSearch(post_id=r.pk, unit_id=r.unit_id, topic_id=r.topic_id, published_at=r.published_at,
                       **entry_keys(title, summary, body, r.published_at))
            for r, (title, summary, body) in zip(rows, texts, strict=True)
        ], batch_size=BATCH)
