"""A worker killed in the middle of publishing: the post is published exactly once, and its
editor gets one mail, not two. Late acknowledgement with reject-on-worker-lost puts the task
back on the queue (no beat runs here, so nothing else could publish it); the service's row lock
and state check make the second run the only one that writes."""

from __future__ import annotations

import contextlib
import os
import signal
import time
from pathlib import Path

import psycopg2
import pytest
from django.db import connection

from moderation import services
from moderation.models import AuditEntry
from pages.models import Post, PostStatus
from tests.moderation.workflow_fixtures import *  # noqa: F403

from .support import celery_worker, mails_sent, needs_redis_server, private_redis, wait_until

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.redis]


def children(pid: int) -> list[int]:
    return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


@contextlib.contextmanager
def row_locked(post_id: int):
    """The post's row locked from a connection of its own (the probe below needs fresh
    statistics, which one transaction would freeze)."""
    db = connection.settings_dict
    holder = psycopg2.connect(dbname=db["NAME"], user=db["USER"], host=db["HOST"] or "127.0.0.1",
                              port=db["PORT"] or 5432)
    try:
        with holder.cursor() as cursor:
            cursor.execute("SELECT id FROM pages_post WHERE id = %s FOR UPDATE", [post_id])
            yield
        holder.rollback()
    finally:
        holder.close()


def publisher_waiting_on_lock(post_id: int) -> bool:
    """A backend other than ours waits for a lock while publishing: the worker is mid-publish."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
            " AND pid <> pg_backend_pid() AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0] > 0


def test_worker_killed_mid_publish_publishes_once_and_mails_once(
    postgres_only, post, people, tmp_path, celery_broker
):
    needs_redis_server()
    services.post_submit(post=post, by=people.editor)
    with private_redis() as redis:
        celery_broker(redis.url)
        services.post_approve(post=post, by=people.approver)  # "now": the publish task is queued
        assert Post.objects.get(pk=post.pk).status == PostStatus.SCHEDULED
        with celery_worker(tmp_path, broker_url=redis.url, beat=False) as worker:
            with row_locked(post.pk):
                # The worker's publish blocks inside its transaction, on the row we hold.
                wait_until(lambda: publisher_waiting_on_lock(post.pk), timeout=30, what="worker mid-publish")
                (child,) = children(worker.pid)
                os.kill(child, signal.SIGKILL)
                wait_until(lambda: children(worker.pid) and children(worker.pid) != [child], timeout=20,
                           what="a new pool process")
                assert Post.objects.get(pk=post.pk).status == PostStatus.SCHEDULED
            # The lock is released: the redelivered task publishes.
            wait_until(lambda: Post.objects.get(pk=post.pk).status == PostStatus.PUBLISHED, timeout=30,
                       what="published by the redelivered task")
            wait_until(lambda: mails_sent(tmp_path, "[Đã đăng]") >= 1, timeout=20, what="the publication mail")
            time.sleep(2)
        log = (tmp_path / "worker.log").read_text()
    assert "WorkerLostError" in log or "exited prematurely" in log or "signal 9" in log, log[-2000:]
    assert AuditEntry.objects.filter(post=post, action="publish").count() == 1
    assert mails_sent(tmp_path, "[Đã đăng]") == 1
