"""Two approvers at the same moment, and the publish task on two workers at once: the row lock
makes one of each win. PostgreSQL only (SQLite serialises whole-database writes anyway)."""

from __future__ import annotations

import datetime
import threading

import pytest
from django.core import mail
from django.db import connection
from django.utils import timezone

from moderation import services
from moderation.models import AuditEntry, Submission
from pages.models import Post, PostStatus
from tests.moderation.workflow_fixtures import *  # noqa: F403

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]


def race(*calls) -> list:
    """Run ``calls`` in threads released together; each result is a value or the exception."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(i, call):
        try:
            barrier.wait(timeout=10)
            results[i] = call()
        except Exception as exc:  # noqa: BLE001 - the outcome is what the test inspects
            results[i] = exc
        finally:
            connection.close()  # each thread has its own connection: do not leak it

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert not any(t.is_alive() for t in threads)
    return results


def test_two_approvals_at_once_give_one_transition(postgres_only, post, people):
    services.post_submit(post=post, by=people.editor)
    results = race(
        lambda: services.post_approve(post=Post.objects.get(pk=post.pk), by=people.approver),
        lambda: services.post_approve(post=Post.objects.get(pk=post.pk), by=people.superuser),
    )
    won = [r for r in results if isinstance(r, Submission)]
    lost = [r for r in results if not isinstance(r, Submission)]
    assert len(won) == 1 and len(lost) == 1
    assert isinstance(lost[0], services.WorkflowError), lost
    assert Submission.objects.filter(post=post, state=Submission.State.APPROVED).count() == 1
    assert AuditEntry.objects.filter(post=post, action="approve").count() == 1
    assert AuditEntry.objects.filter(post=post, action="schedule").count() == 1
    # The winner's on-commit publish ran (eager Celery): published exactly once.
    assert AuditEntry.objects.filter(post=post, action="publish").count() == 1
    assert Post.objects.get(pk=post.pk).status == PostStatus.PUBLISHED


def test_publish_twice_at_once_publishes_once(postgres_only, post, people):
    services.post_submit(post=post, by=people.editor)
    # Approve for later so no publish task runs now; both "workers" then run at the due time.
    when = timezone.now() + datetime.timedelta(minutes=5)
    services.post_approve(post=post, by=people.approver, publish_at=when)
    mail.outbox.clear()
    due = when + datetime.timedelta(seconds=1)
    results = race(
        lambda: services.post_publish(post_id=post.pk, now=due),
        lambda: services.post_publish(post_id=post.pk, now=due),
    )
    assert sorted(results) == [False, True], results
    post = Post.objects.get(pk=post.pk)
    assert post.status == PostStatus.PUBLISHED and post.published_at == due
    assert AuditEntry.objects.filter(post=post, action="publish").count() == 1
    assert [m.subject.startswith("[Đã đăng]") for m in mail.outbox] == [True]


def test_two_sweeps_at_once_publish_each_post_once(postgres_only, tree, people):
    from moderation import publishing
    from pages.models import PostSearch
    from tests.moderation.workflow_fixtures import make_post

    when = timezone.now() + datetime.timedelta(minutes=5)
    ids = []
    for i in range(24):
        author = people.editor if i % 2 else people.other_editor
        post = make_post(tree.dongda if i % 2 else tree.badinh, author, title=f"Bài viết số {i:03d} của quận")
        services.post_submit(post=post, by=author)
        services.post_approve(post=post, by=people.approver, publish_at=when)
        ids.append(post.pk)
    mail.outbox.clear()
    due = when + datetime.timedelta(seconds=1)
    # Small chunks, so that the two sweeps interleave and meet each other's locked rows.
    results = race(
        lambda: publishing.posts_publish_due(now=due, chunk=3),
        lambda: publishing.posts_publish_due(now=due, chunk=3),
    )
    assert all(isinstance(r, int) for r in results), results
    assert sum(results) == len(ids), results
    assert Post.objects.filter(pk__in=ids, status=PostStatus.PUBLISHED).count() == len(ids)
    bodies = [m.body for m in mail.outbox if m.subject.startswith("[Đã đăng]")]
    for i, pk in enumerate(ids):
        assert AuditEntry.objects.filter(post_id=pk, action="publish").count() == 1
        assert PostSearch.objects.filter(post_id=pk).count() == 1
        assert sum(body.count(f"Bài viết số {i:03d} của quận") for body in bodies) == 1
