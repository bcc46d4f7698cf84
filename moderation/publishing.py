"""The scheduled-publishing sweep: every due post put live in chunks, a few statements per chunk.

The single-post path (``services.post_publish``) saves the post, which re-derives its columns and
re-indexes it through ``post_save``; doing that for thousands of due posts cost 28 statements a
post. Here a chunk of due posts is claimed under row locks (``SKIP LOCKED`` on PostgreSQL, so two
sweeps, or a sweep and ``publish_post_task``, never take the same post), checked against their
approved revision, and written with one UPDATE, its audit rows, search rows and cache bump in
bulk. The rules are the single path's: the same transition, the same refusal when the content
is no longer the approved revision, one audit row, one search row and one mail per publication.
"""

from __future__ import annotations

import datetime
import logging

from django.db import DatabaseError, connection, transaction
from django.db.models import BigIntegerField, Case, Exists, OuterRef, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone

from channels import services as channel_services
from pages.cache import bump_pages, path_prefixes
from pages.models import Post, PostStatus
from pages.search import index_live_posts

from . import notifications, services
from .models import AuditEntry, Submission
from .revisions import content_hash, snapshot_post, snapshot_related
from .signals import posts_published
from .states import Action

logger = logging.getLogger(__name__)

#: Posts claimed per transaction: large enough that the per-chunk statements are amortised,
#: small enough that the locks are short and a failed chunk is cheap to redo post by post.
CHUNK = 500


def posts_publish_due(*, now: datetime.datetime | None = None, chunk: int = CHUNK) -> int:
    """Publish every post due at ``now``; returns how many went live. Safe on several workers
    at once and safe to run twice: a claimed post is locked, and a published one is not due."""
    now = now or timezone.now()
    published = 0
    passed: set[int] = set()  # claimed but left as they were (a later approval not yet due)
    while True:
        posts: list[Post] = []
        try:
            with transaction.atomic():
                posts = _claim(now=now, limit=chunk, exclude=passed)
                if not posts:
                    return published
                done, left = _publish_chunk(posts, now=now)
        except DatabaseError:
            if not posts:
                raise  # the claim itself failed: the next sweep tries again
            # One bad row must not stop the sweep: its chunk goes again post by post.
            logger.exception("Publishing a chunk of %d posts failed; publishing them one by one", len(posts))
            done, left = _one_by_one([p.pk for p in posts], now=now)
        published += done
        passed |= left


def _claim(*, now: datetime.datetime, limit: int, exclude: set[int]) -> list[Post]:
    """Up to ``limit`` scheduled posts with a due approval, locked; rows another transaction
    holds are skipped (it is publishing them). The caller is inside ``transaction.atomic``."""
    # Driven by the scheduled posts (few), each probing its own approvals: approved submissions
    # accumulate with every publication, so ``pk IN (due submissions)`` would read them all.
    due = Submission.objects.filter(post_id=OuterRef("pk"), state=Submission.State.APPROVED, publish_at__lte=now)
    posts = Post.objects.filter(Exists(due), status=PostStatus.SCHEDULED).exclude(pk__in=exclude)
    if connection.features.has_select_for_update_skip_locked:
        posts = posts.select_for_update(skip_locked=True, of=("self",))
    # SQLite has no row locks: it serialises writers on the whole database instead.
    return list(posts.select_related("unit", "topic", "cover").order_by("pk")[:limit])


def _publish_chunk(posts: list[Post], *, now: datetime.datetime) -> tuple[int, set[int]]:
    """Put the locked ``posts`` live; returns how many, and the ids left scheduled."""
    ids = [p.pk for p in posts]
    approved: dict[int, Submission] = {}
    for submission in (
        Submission.objects.filter(post_id__in=ids, state=Submission.State.APPROVED)
        .select_related("revision").order_by("post_id", "-decided_at", "-pk")
    ):
        approved.setdefault(submission.post_id, submission)  # the latest approval decides
    tags, documents = snapshot_related(ids)
    live, refused, left = [], [], set()
    for post in posts:
        submission = approved.get(post.pk)
        if submission is None or (submission.publish_at and submission.publish_at > now):
            left.add(post.pk)
        elif content_hash(snapshot_post(post, tags=tags[post.pk], documents=documents[post.pk])) \
                != submission.revision.content_hash:
            refused.append(post)
        else:
            services._target(Action.PUBLISH, post.status)
            post.status = PostStatus.PUBLISHED
            post.live_revision = submission.revision
            post.published_at = post.published_at or now
            live.append(post)
    if refused:
        _refuse(refused)
    if not live:
        return 0, left
    # One statement for the chunk, each row given its revision by a CASE on the primary key
    # (what ``bulk_update`` builds, for the one column that differs; a correlated subquery on
    # the submissions let the planner pick a scan of the approval queue per row).
    Post.objects.filter(pk__in=[p.pk for p in live]).update(
        status=PostStatus.PUBLISHED,
        live_revision_id=Case(*(When(pk=p.pk, then=Value(p.live_revision_id)) for p in live),
                              output_field=BigIntegerField()),
        published_at=Coalesce("published_at", Value(now)),
    )
    AuditEntry.objects.bulk_create(
        services._audit_entry(post=p, actor=None, action=Action.PUBLISH, from_state=PostStatus.SCHEDULED,
                              to_state=PostStatus.PUBLISHED, revision=p.live_revision.number)
        for p in live
    )
    index_live_posts(live)
    bump_pages(sorted({prefix for p in [*live, *refused] for prefix in path_prefixes(p.unit.path)}))
    live_ids = [p.pk for p in live]
    posts_published.send(sender=Post, post_ids=live_ids)
    notifications.after_commit("published_many", post_ids=live_ids)  # worked out by another task
    channel_services.deliveries_on_publish_many(post_ids=live_ids)  # Facebook and Zalo, after commit
    return len(live), left


def _refuse(posts: list[Post]) -> None:
    """Content changed after approval: back to draft, as ``services.post_publish`` does."""
    for post in posts:
        logger.warning("Refused to publish post %s: content differs from the approved revision", post.pk)
    Post.objects.filter(pk__in=[p.pk for p in posts]).update(status=PostStatus.DRAFT)
    AuditEntry.objects.bulk_create(
        services._audit_entry(post=p, actor=None, action=Action.PUBLISH_REFUSED, from_state=PostStatus.SCHEDULED,
                              to_state=PostStatus.DRAFT, reason="content changed after approval")
        for p in posts
    )


def _one_by_one(post_ids: list[int], *, now: datetime.datetime) -> tuple[int, set[int]]:
    published, left = 0, set()
    for post_id in post_ids:
        try:
            ok = services.post_publish(post_id=post_id, now=now)
        except DatabaseError:
            logger.exception("Publishing post %s failed; the next sweep retries", post_id)
            ok = False
        published += ok
        if not ok:
            left.add(post_id)  # published elsewhere, refused or failing: not claimed again now
    return published, left
