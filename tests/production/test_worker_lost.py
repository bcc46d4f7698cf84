"""A worker killed in the middle of publishing: the post is published exactly once, and its
editor gets one mail, not two. Late acknowledgement with reject-on-worker-lost puts the task
back on the queue (no beat runs here, so nothing else could publish it); the service's row lock
and state check make the second run the only one that writes."""

from __future__ import annotations

import os
import signal
import time

import pytest

from moderation import services
from moderation.models import AuditEntry
from pages.models import Post, PostStatus
from tests.moderation.workflow_fixtures import *  # noqa: F403

from .support import (
    backend_waiting_on_lock,
    celery_worker,
    children,
    mails_sent,
    needs_redis_server,
    private_redis,
    row_locked,
    wait_until,
)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.redis]


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
            with row_locked("pages_post", post.pk):
                # The worker's publish blocks inside its transaction, on the row we hold.
                wait_until(backend_waiting_on_lock, timeout=30, what="worker mid-publish")
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
