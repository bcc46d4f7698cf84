"""A real Celery worker with beat publishes approved posts on time, once, even after a broker
outage. Needs PostgreSQL (the worker is another process and must see the test database) and
redis-server on the machine (each test runs a private one, so it can stop it)."""

from __future__ import annotations

import contextlib
import datetime
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from moderation import services
from moderation.models import AuditEntry
from pages.models import Post, PostStatus
from tests.moderation.workflow_fixtures import *  # noqa: F403

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.redis]

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def private_redis(port: int):
    process = subprocess.Popen(
        ["redis-server", "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(50):
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.2):
                break
            time.sleep(0.1)
        yield
    finally:
        process.terminate()
        process.wait(timeout=10)


@contextlib.contextmanager
def worker_with_beat(broker_url: str, tmp_path: Path):
    db = settings.DATABASES["default"]
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
        "CELERY_BROKER_URL": broker_url,
        "VIETFRONT_CELERY_QUEUE_DIR": str(tmp_path / "queue"),
        "VIETFRONT_PUBLISH_SWEEP_SECONDS": "1",
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
    }
    env.pop("REDIS_URL", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "vietfront", "worker", "-B", "--concurrency", "2",
         "--pool", "prefork", "--loglevel", "INFO", "--schedule", str(tmp_path / "beat-schedule")],
        cwd=ROOT, env=env, stdout=open(tmp_path / "worker.log", "wb"), stderr=subprocess.STDOUT,  # noqa: SIM115
    )
    try:
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_published(post_id: int, timeout: float = 45) -> Post:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        post = Post.objects.get(pk=post_id)
        if post.status == PostStatus.PUBLISHED:
            return post
        time.sleep(0.3)
    raise AssertionError(f"post {post_id} not published within {timeout}s (status {post.status})")


@pytest.fixture
def needs_real_services(postgres_only):
    if not shutil.which("redis-server"):
        pytest.skip("needs redis-server")
    if connection.vendor != "postgresql":
        pytest.skip("the worker process needs a shared database: PostgreSQL")


@pytest.mark.parametrize("transport", ["redis", "filesystem"])
def test_worker_publishes_at_the_time_exactly_once(needs_real_services, post, people, tmp_path, transport, celery_broker):
    port = _free_port()
    broker = f"redis://127.0.0.1:{port}/0" if transport == "redis" else "filesystem://"
    if transport == "redis":
        celery_broker(broker)
    with private_redis(port):
        services.post_submit(post=post, by=people.editor)
        when = timezone.now() + datetime.timedelta(seconds=3)
        services.post_approve(post=post, by=people.approver, publish_at=when)
        with worker_with_beat(broker, tmp_path):
            published = _wait_published(post.pk)
            assert published.published_at >= when
            time.sleep(2.5)  # further sweeps run: still one publication
    assert AuditEntry.objects.filter(post=post, action="publish").count() == 1
    assert Post.objects.get(pk=post.pk).live_revision.content["title"] == post.title


def test_broker_down_at_approval_delays_but_does_not_lose(needs_real_services, post, people, tmp_path, celery_broker):
    port = _free_port()
    broker = f"redis://127.0.0.1:{port}/0"
    celery_broker(broker)
    services.post_submit(post=post, by=people.editor)
    # Redis is not running: "publish now" cannot be enqueued. The approval still commits.
    services.post_approve(post=post, by=people.approver)
    assert Post.objects.get(pk=post.pk).status == PostStatus.SCHEDULED
    with private_redis(port), worker_with_beat(broker, tmp_path):
        _wait_published(post.pk)
        time.sleep(2.5)
    assert AuditEntry.objects.filter(post=post, action="publish").count() == 1
