"""Time the publishing workflow: submitting, approving and the scheduled-publishing sweep.

Seeds ``--posts`` approved-and-due posts (bulk inserts, each with its approved revision and
submission, exactly as ``post_approve`` leaves them) for the sweep, and ``--workflow`` drafts
that go through ``post_submit`` and ``post_approve`` one by one, on the pre-2025 tree with at
least ``--background`` live posts (``seed_bench``). Prints posts per second and SQL statements
per post for each phase. Submitting and approving are timed as a web process runs them, handing
their notices to a broker (an in-memory one here); what a worker then does to work out who
hears is timed apart. Mail goes to the in-memory backend and the sweep's tasks run in-process,
so the figures are the database's and the code's, not a broker's. Throw-away databases only.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.db.models import Count
from django.utils import timezone
from guardian.shortcuts import assign_perm

from moderation import notifications, publishing, services, tasks
from moderation.models import Revision, Submission
from moderation.revisions import content_hash, snapshot_post
from moderation.routing import approving_unit_for
from orgunits.models import OrgUnit, UnitKind
from pages.management.commands.seed_bench import WORDS
from pages.models import CommunityPage, PageStatus, Post, PostStatus, SourceKind, Topic
from pages.sanitize import html_to_text, sanitize_html
from vietfront.celery import app as celery_app
from vietfront.text import search_key

BATCH = 1000


@contextmanager
def _broker_without_worker() -> Iterator[None]:
    """Tasks sent to an in-memory broker that nobody consumes: what a request pays to hand one
    over, without a broker's network time (or a worker's work) in the figures."""
    saved = celery_app.conf.broker_url, celery_app.conf.task_always_eager
    celery_app.conf.broker_url, celery_app.conf.task_always_eager = "memory://", False
    celery_app._pool = celery_app.amqp._producer_pool = None  # pooled per broker: dial the new one
    try:
        yield
    finally:
        celery_app.conf.broker_url, celery_app.conf.task_always_eager = saved
        celery_app._pool = celery_app.amqp._producer_pool = None


def _content(post: Post, topic_names: dict[int, str]) -> dict:
    """What ``snapshot_post`` gives for a post without cover, tags or documents."""
    return {
        "title": post.title, "summary": post.summary, "body": post.body, "source_kind": post.source_kind,
        "source_name": post.source_name, "source_url": post.source_url, "author_line": post.author_line,
        "photo_credit": post.photo_credit, "topic_id": post.topic_id,
        "topic": topic_names.get(post.topic_id, "") if post.topic_id else "", "cover_id": None, "cover": None,
        "tags": [], "documents": [],
    }


class Command(BaseCommand):
    help = "Time submitting, approving and the publishing sweep (throw-away databases only)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--posts", type=int, default=2000, help="approved-and-due posts for the sweep")
        parser.add_argument("--workflow", type=int, default=200, help="posts submitted and approved one by one")
        parser.add_argument("--background", type=int, default=100_000, help="live posts the tree must hold")
        parser.add_argument("--seed", type=int, default=2025)

    def handle(self, *args, posts: int, workflow: int, background: int, seed: int, **options) -> None:
        rng = random.Random(seed)  # noqa: S311 - benchmark data, not security
        if OrgUnit.objects.count() < 1000:
            call_command("import_units", structure="pre-2025", verbosity=0)
        live = Post.objects.filter(live_revision__isnull=False).count()
        if live < background:
            call_command("seed_bench", posts=background - live, seed=seed, stdout=self.stdout)
        settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
        logging.getLogger("celery.app.trace").setLevel(logging.WARNING)  # a line per in-process task
        celery_app.conf.task_always_eager = True
        province, pages = self._province()
        editor, approver = self._people(province)
        self.stdout.write(f"{connection.vendor}, {province.name}: {len(pages)} pages, {live} live posts before")

        due = self._drafts(rng, pages, posts, editor, prefix="due")
        self._approve_in_bulk(due, editor=editor, approver=approver)
        drafts = self._drafts(rng, pages, workflow, editor, prefix="wf", duplicates_of=province)
        later = timezone.now() + timezone.timedelta(days=1)
        def notices(event: str) -> Callable:
            def run() -> None:
                for pk in Submission.objects.filter(post__in=drafts).values_list("pk", flat=True):
                    notifications.NOTIFIERS[event](submission_id=pk)
            return run

        # As in a web process, the notices are handed to a broker; a worker works out who hears.
        with _broker_without_worker():
            submit = self._time(lambda: [services.post_submit(post=p, by=editor) for p in drafts], len(drafts))
        submitted = self._time(notices("submitted"), len(drafts))
        with _broker_without_worker():
            approve = self._time(
                lambda: [services.post_approve(post=p, by=approver, publish_at=later) for p in drafts], len(drafts))
        rows = [
            ("submit (request)", *submit),
            ("its notice (worker)", *submitted),
            ("approve (request)", *approve),
            ("its notice (worker)", *self._time(notices("decided"), len(drafts))),
        ]
        with _broker_without_worker():  # the sweep hands its notices (one task a chunk) over too
            rows.append(("publish sweep (worker)", *self._time(tasks.publish_due_posts_task, len(due))))
        due_ids = [p.pk for p in due]
        rows.append(("its notices (worker)", *self._time(lambda: [
            notifications.NOTIFIERS["published_many"](post_ids=due_ids[i:i + publishing.CHUNK])
            for i in range(0, len(due_ids), publishing.CHUNK)], len(due))))
        published = Post.objects.filter(pk__in=[p.pk for p in due], status=PostStatus.PUBLISHED).count()
        if published != len(due):
            raise CommandError(f"The sweep published {published} of {len(due)} due posts.")
        self.stdout.write("\n| phase | posts | seconds | posts/s | SQL statements | per post |\n"
                          "| --- | ---: | ---: | ---: | ---: | ---: |")
        for name, n, seconds, queries in rows:
            if not n:
                continue
            self.stdout.write(f"| {name} | {n} | {seconds:.2f} | {n / seconds:.0f} | {queries} | {queries / n:.2f} |")

    def _time(self, run: Callable, n: int) -> tuple[int, float, int]:
        # Counted by a wrapper, not CaptureQueriesContext: that keeps only the last 9,000.
        count = 0

        def counted(execute, sql, params, many, context):
            nonlocal count
            count += 1
            return execute(sql, params, many, context)

        with connection.execute_wrapper(counted):
            started = time.perf_counter()
            run()
            seconds = time.perf_counter() - started
        return n, seconds, count

    def _province(self) -> tuple[OrgUnit, list[CommunityPage]]:
        """The province with the most active pages below it, and those pages (its own excluded)."""
        province = (
            OrgUnit.objects.filter(kind=UnitKind.PROVINCE)
            .annotate(n=Count("children")).order_by("-n", "pk").first()
        )
        pages = list(
            CommunityPage.objects.filter(status=PageStatus.ACTIVE, unit__tree_id=province.tree_id,
                                         unit__lft__gt=province.lft, unit__rght__lt=province.rght)
            .select_related("unit").order_by("pk")
        )
        if not pages:
            raise CommandError("No active page below the province; run seed_bench first.")
        return province, pages

    def _people(self, province: OrgUnit):
        users = get_user_model().objects
        editor, _ = users.get_or_create(username="bench.bientap", defaults={"email": "bt@bench.example.vn",
                                                                            "is_staff": True})
        approver, _ = users.get_or_create(username="bench.duyet", defaults={"email": "duyet@bench.example.vn",
                                                                            "is_staff": True})
        assign_perm("orgunits.edit_content", editor, province)
        assign_perm("orgunits.approve_content", approver, province)
        return editor, approver

    def _drafts(self, rng, pages, n: int, editor, *, prefix: str, duplicates_of: OrgUnit | None = None) -> list[Post]:
        """``n`` drafts on ``pages``; with ``duplicates_of``, one in ten repeats a live title there."""
        topics = list(Topic.objects.values_list("id", flat=True))
        repeat = []
        if duplicates_of is not None:
            repeat = list(Post.objects.in_subtree(duplicates_of).filter(live_revision__isnull=False)
                          .values_list("title", flat=True)[:50])
        stamp = int(time.time())
        rows = []
        for i in range(n):
            page = rng.choice(pages)
            title = rng.choice(repeat) if repeat and i % 10 == 0 else " ".join(rng.sample(WORDS, 9)).capitalize()
            summary = " ".join(rng.sample(WORDS, 24)).capitalize() + "."
            body = sanitize_html("".join(f"<p>{' '.join(rng.sample(WORDS, 40)).capitalize()}.</p>" for _ in range(4)))
            rows.append(Post(
                page=page, unit_id=page.unit_id, title=title, slug=f"{prefix}-{stamp}-{i}", summary=summary, body=body,
                topic_id=rng.choice(topics) if topics else None, source_kind=SourceKind.OWN,
                source_name="Ban Tuyên giáo", author_line="Phóng viên", status=PostStatus.DRAFT,
                search_text=search_key(f"{title} {summary} {html_to_text(body)}"), title_key=search_key(title),
                created_by=editor, updated_by=editor,
            ))
        Post.objects.bulk_create(rows, batch_size=BATCH)
        if rows and rows[0].pk is None:  # SQLite < 3.35 has no RETURNING
            ids = dict(Post.objects.filter(slug__in=[r.slug for r in rows]).values_list("slug", "id"))
            for r in rows:
                r.pk = ids[r.slug]
        return rows

    def _approve_in_bulk(self, posts: list[Post], *, editor, approver) -> None:
        """Leave ``posts`` as ``post_approve`` does for a time already past: scheduled, with an
        approved submission of a revision matching the content."""
        if not posts:
            return
        topic_names = dict(Topic.objects.values_list("id", "name"))
        approving = {}
        now = timezone.now()
        with transaction.atomic():
            revisions = []
            for p in posts:
                content = _content(p, topic_names)
                revisions.append(Revision(
                    post_id=p.pk, number=1, title=p.title, summary=p.summary, body=p.body, topic_id=p.topic_id,
                    content=content, content_hash=content_hash(content), created_by=editor,
                ))
            Revision.objects.bulk_create(revisions, batch_size=BATCH)
            if revisions[0].pk is None:
                ids = dict(Revision.objects.filter(post_id__in=[p.pk for p in posts]).values_list("post_id", "id"))
                for r in revisions:
                    r.pk = ids[r.post_id]
            submissions = []
            for p, r in zip(posts, revisions, strict=True):
                unit = p.page.unit
                if unit.pk not in approving:
                    approving[unit.pk] = approving_unit_for(unit)
                submissions.append(Submission(
                    post_id=p.pk, revision_id=r.pk, approving_unit=approving[unit.pk], state=Submission.State.APPROVED,
                    submitted_by=editor, decided_by=approver, decided_at=now, publish_at=now - timezone.timedelta(minutes=1),
                ))
            Submission.objects.bulk_create(submissions, batch_size=BATCH)
            Post.objects.filter(pk__in=[p.pk for p in posts]).update(status=PostStatus.SCHEDULED)
        sample = Post.objects.get(pk=posts[0].pk)
        if content_hash(snapshot_post(sample)) != revisions[0].content_hash:
            raise CommandError("The seeded revisions do not match snapshot_post; the bench is out of date.")
