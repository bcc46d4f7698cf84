"""Redis down, as cache and broker (the README's and compose's setup): editors save, approvers
approve and citizens read, with pages uncached and one log line; what was due is published
once when Redis is back; a page cached before the outage is not served after it."""

from __future__ import annotations

import logging
import time

import pytest
from django.urls import reverse

from moderation import services
from moderation.models import AuditEntry
from pages.models import Post, PostStatus
from tests.moderation.admin_helpers import change_url, post_form_data
from tests.moderation.workflow_fixtures import *  # noqa: F403
from tests.moderation.workflow_fixtures import make_post
from tests.pages.conftest import publish_post

from .support import (
    celery_worker,
    mails_sent,
    needs_redis_server,
    private_redis,
    settings_for,
    wait_until,
)


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    needs_redis_server()


def cache_warnings(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "vietfront.cache" and r.levelno >= logging.WARNING]


def use_production_redis(settings, monkeypatch, celery_broker, url: str, **env: str) -> None:
    """Cache and broker exactly as a process started with ``REDIS_URL=url`` has them."""
    production = settings_for(monkeypatch, REDIS_URL=url, **env)
    settings.CACHES = production["CACHES"]
    celery_broker(production["CELERY_BROKER_URL"])


def decide_url(post: Post) -> str:
    submission = post.submissions.order_by("-pk").first()
    return reverse("admin:moderation_submission_decide", args=[submission.pk])


def test_editing_approving_and_reading_work_with_redis_down(
    client, tree, people, settings, monkeypatch, celery_broker, caplog, django_capture_on_commit_callbacks
):
    published = publish_post(make_post(tree.dongda, people.editor, title="Tin đã đăng trước sự cố"))
    post = make_post(tree.dongda, people.editor, title="Bài viết soạn trong lúc Redis ngừng")
    with private_redis() as redis:
        use_production_redis(settings, monkeypatch, celery_broker, redis.url)
        assert client.get("/").status_code == 200  # cached while Redis runs
    caplog.set_level(logging.INFO)

    client.force_login(people.editor)
    with django_capture_on_commit_callbacks(execute=True):
        saved = client.post(change_url(post), post_form_data(post, title="Bài viết đã sửa khi Redis ngừng"))
        submitted = client.post(change_url(post), post_form_data(post, title="Bài viết đã sửa khi Redis ngừng",
                                                                   _gui_duyet="1"))
    assert saved.status_code == 302
    assert submitted.status_code == 302
    assert Post.objects.get(pk=post.pk).status == PostStatus.SUBMITTED

    client.force_login(people.approver)
    with django_capture_on_commit_callbacks(execute=True):
        approved = client.post(decide_url(post), {"decision": "approve", "publish": "now", "reason": "Đạt"})
    assert approved.status_code == 302
    # The broker is down too: "publish now" waits for the sweep, the approval is kept.
    assert Post.objects.get(pk=post.pk).status == PostStatus.SCHEDULED

    client.logout()
    for url in ("/", "/ha-noi/quan-dong-da/", published.get_absolute_url(), "/ha-noi/quan-dong-da/rss/",
                "/ha-noi/quan-dong-da/atom/", "/tim-kiem/?q=su+co"):
        for _ in range(2):
            response = client.get(url)
            assert response.status_code == 200, url
    assert "Tin đã đăng trước sự cố" in client.get(published.get_absolute_url()).content.decode()
    assert len(cache_warnings(caplog)) == 1, cache_warnings(caplog)


def test_a_page_cached_before_an_outage_is_not_served_after_it(
    client, tree, people, settings, monkeypatch, celery_broker, caplog, django_capture_on_commit_callbacks
):
    """Redis unreachable but not restarted (a partition): its old pages are still there when it
    answers again, while the publication that should have invalidated them could not reach it."""
    publish_post(make_post(tree.dongda, people.editor, title="Tin cũ trên trang chủ"))
    with private_redis() as redis:
        use_production_redis(settings, monkeypatch, celery_broker, redis.url, VIETFRONT_CACHE_TIMEOUT="0.3",
                             VIETFRONT_CACHE_CONNECT_TIMEOUT="0.3", VIETFRONT_CACHE_RETRY_SECONDS="0.3")
        before = client.get("/ha-noi/quan-dong-da/")
        assert before.status_code == 200 and "Tin cũ trên trang chủ" in before.content.decode()
        assert client.get("/ha-noi/quan-dong-da/")["ETag"] == before["ETag"]  # served from the cache

        redis.pause()
        assert client.get("/ha-noi/quan-dong-da/").status_code == 200
        with django_capture_on_commit_callbacks(execute=True):
            publish_post(make_post(tree.dongda, people.editor, title="Tin đăng trong lúc mất kết nối"))
        during = client.get("/ha-noi/quan-dong-da/")
        assert during.status_code == 200 and "Tin đăng trong lúc mất kết nối" in during.content.decode()

        redis.resume()
        time.sleep(0.5)
        after = client.get("/ha-noi/quan-dong-da/")
        assert after.status_code == 200
        assert "Tin đăng trong lúc mất kết nối" in after.content.decode()
    assert len(cache_warnings(caplog)) == 1


@pytest.mark.django_db(transaction=True)
def test_what_was_due_is_published_once_when_redis_returns(
    postgres_only, client, tree, people, settings, monkeypatch, celery_broker, tmp_path,
    django_capture_on_commit_callbacks,
):
    post = make_post(tree.dongda, people.editor, title="Bài được duyệt khi Redis ngừng")
    services.post_submit(post=post, by=people.editor)
    with private_redis() as redis:
        port, url = redis.port, redis.url
        use_production_redis(settings, monkeypatch, celery_broker, url)
        assert client.get("/ha-noi/quan-dong-da/").status_code == 200
    client.force_login(people.approver)
    assert client.post(decide_url(post), {"decision": "approve", "publish": "now"}).status_code == 302
    assert Post.objects.get(pk=post.pk).status == PostStatus.SCHEDULED
    client.logout()
    assert "Bài được duyệt khi Redis ngừng" not in client.get("/ha-noi/quan-dong-da/").content.decode()

    with private_redis(port), celery_worker(tmp_path, broker_url=url, beat=True, REDIS_URL=url):
        wait_until(lambda: Post.objects.get(pk=post.pk).status == PostStatus.PUBLISHED, timeout=45,
                   what="published after Redis returned")
        wait_until(lambda: mails_sent(tmp_path, "[Đã đăng]") >= 1, timeout=20, what="the publication mail")
        time.sleep(3)  # three more sweeps
        page = client.get("/ha-noi/quan-dong-da/")
        assert page.status_code == 200 and "Bài được duyệt khi Redis ngừng" in page.content.decode()
    assert AuditEntry.objects.filter(post=post, action="publish").count() == 1
    assert mails_sent(tmp_path, "[Đã đăng]") == 1
