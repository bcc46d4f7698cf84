"""The publishing sweep in bulk: what each published post gets (one transition, one audit row,
one search row, one mail per recipient, the channels and spreading told once), what it refuses,
and a cost that does not grow with the number of posts."""

from __future__ import annotations

import datetime

import pytest
from django.core import mail
from django.db import DatabaseError, connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from moderation import publishing, services
from moderation.models import AuditEntry
from moderation.signals import posts_published
from pages import cache as public_cache
from pages.models import Post, PostDocument, PostSearch, PostStatus, Tag
from pages.search import index_live_post
from tests.moderation.workflow_fixtures import *  # noqa: F403
from tests.moderation.workflow_fixtures import make_post

pytestmark = pytest.mark.django_db

EDITOR = "bientap.dongda@mattran.example.vn"
OTHER_EDITOR = "bientap.badinh@mattran.example.vn"
LATER = datetime.timedelta(minutes=5)


def scheduled(unit, author, people, title: str) -> Post:
    """A post approved for five minutes from now (so nothing publishes it yet)."""
    post = make_post(unit, author, title=title)
    services.post_submit(post=post, by=author)
    services.post_approve(post=post, by=people.approver, publish_at=timezone.now() + LATER)
    return Post.objects.get(pk=post.pk)


def published_mails() -> list[tuple[list[str], str, str]]:
    return sorted((m.to, m.subject, m.body) for m in mail.outbox if m.subject.startswith("[Đã đăng]"))


def test_the_sweep_publishes_each_due_post_once_with_its_rows(
    tree, people, django_capture_on_commit_callbacks, monkeypatch
):
    first = scheduled(tree.dongda, people.editor, people, "Hội nghị hiệp thương lần thứ nhất")
    first.tags.add(Tag.objects.create(name="Bầu cử"))
    PostDocument.objects.create(post=first, title="Kế hoạch", file="documents/ke-hoach.pdf",
                                original_name="ke-hoach.pdf", kind="pdf", size=10)
    # Tags and documents are content: added after approval, the post goes back to review.
    services.post_content_changed(post=first, by=people.editor)
    services.post_submit(post=first, by=people.editor)
    services.post_approve(post=first, by=people.approver, publish_at=timezone.now() + LATER)
    second = scheduled(tree.vanmieu, people.editor, people, "Tổng kết cuộc vận động năm nay")
    third = scheduled(tree.badinh, people.other_editor, people, "Trao quà cho hộ nghèo")
    told, channelled = [], []
    monkeypatch.setattr(publishing.channel_services, "deliveries_on_publish_many",
                        lambda *, post_ids: channelled.extend(post_ids))
    posts_published.connect(lambda sender, post_ids, **kw: told.extend(post_ids), weak=False, dispatch_uid="t")
    before = public_cache.generations("ha-noi/quan-dong-da")
    mail.outbox.clear()
    try:
        with django_capture_on_commit_callbacks(execute=True):
            assert publishing.posts_publish_due(now=timezone.now() + LATER * 2) == 3
            assert publishing.posts_publish_due(now=timezone.now() + LATER * 2) == 0  # nothing twice
    finally:
        posts_published.disconnect(dispatch_uid="t")
    ids = {first.pk, second.pk, third.pk}
    for post in Post.objects.filter(pk__in=ids).select_related("live_revision"):
        assert post.status == PostStatus.PUBLISHED and post.published_at is not None
        assert post.live_revision.title == post.title
        assert AuditEntry.objects.filter(post=post, action="publish", from_state="scheduled",
                                         to_state="published").count() == 1
    assert set(PostSearch.objects.values_list("post_id", flat=True)) == ids
    assert list(PostSearch.objects.get(post=first).tags.values_list("name", flat=True)) == ["Bầu cử"]
    assert PostSearch.objects.get(post=second).title_key == "tong ket cuoc van dong nam nay"
    # The bulk rows are the rows the single path writes.
    bulk = {e.post_id: (e.unit_id, e.topic_id, e.published_at, e.title_key, e.body_key) for e in PostSearch.objects.all()}
    for post in Post.objects.filter(pk__in=ids):
        index_live_post(post)
    assert bulk == {e.post_id: (e.unit_id, e.topic_id, e.published_at, e.title_key, e.body_key)
                    for e in PostSearch.objects.all()}
    assert sorted(told) == sorted(channelled) == sorted(ids)
    assert public_cache.generations("ha-noi/quan-dong-da")[1] > before[1]
    # One mail per recipient: Đống Đa's editor hears of both posts at once.
    (single, both) = published_mails()
    assert both[0] == [EDITOR] and both[1] == "[Đã đăng] 2 bài viết"
    assert "Hội nghị hiệp thương lần thứ nhất" in both[2] and "Tổng kết cuộc vận động năm nay" in both[2]
    assert single[0] == [OTHER_EDITOR] and single[1] == "[Đã đăng] Trao quà cho hộ nghèo"
    assert Post.objects.get(pk=third.pk).get_absolute_url() in single[2]


def test_content_changed_after_approval_is_refused_not_published(tree, people, django_capture_on_commit_callbacks):
    post = scheduled(tree.dongda, people.editor, people, "Hội nghị hiệp thương lần thứ nhất")
    Post.objects.filter(pk=post.pk).update(title="Tiêu đề chưa được duyệt")  # behind the workflow's back
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert publishing.posts_publish_due(now=timezone.now() + LATER * 2) == 0
    post.refresh_from_db()
    assert post.status == PostStatus.DRAFT and post.live_revision_id is None
    assert AuditEntry.objects.filter(post=post, action="publish_refused").count() == 1
    assert not AuditEntry.objects.filter(post=post, action="publish").exists()
    assert not PostSearch.objects.exists() and not published_mails()


def test_a_post_whose_latest_approval_is_not_due_waits(tree, people):
    post = scheduled(tree.dongda, people.editor, people, "Hội nghị hiệp thương lần thứ nhất")
    post.title = "Hội nghị hiệp thương lần thứ nhất (sửa)"
    post.save()
    services.post_content_changed(post=post, by=people.editor)
    services.post_submit(post=post, by=people.editor)
    services.post_approve(post=post, by=people.approver, publish_at=timezone.now() + LATER * 10)
    # The first approval is due, the one that counts (the latest) is not.
    assert publishing.posts_publish_due(now=timezone.now() + LATER * 2) == 0
    assert Post.objects.get(pk=post.pk).status == PostStatus.SCHEDULED
    assert publishing.posts_publish_due(now=timezone.now() + LATER * 11) == 1


def test_a_failing_chunk_is_published_post_by_post(tree, people, monkeypatch, django_capture_on_commit_callbacks):
    posts = [scheduled(tree.dongda, people.editor, people, f"Bài viết thứ {i} của quận") for i in range(3)]

    def broken(*args, **kwargs):
        raise DatabaseError("deadlock detected")

    monkeypatch.setattr(publishing, "index_live_posts", broken)
    with django_capture_on_commit_callbacks(execute=True):
        assert publishing.posts_publish_due(now=timezone.now() + LATER * 2) == 3
    assert Post.objects.filter(pk__in=[p.pk for p in posts], status=PostStatus.PUBLISHED).count() == 3
    assert AuditEntry.objects.filter(action="publish").count() == 3
    assert PostSearch.objects.count() == 3  # the single path indexes through its save


def test_the_cost_of_a_sweep_does_not_grow_with_its_posts(tree, people):
    def cost(n: int, offset: int) -> int:
        for i in range(n):
            scheduled(tree.vanmieu, people.editor, people, f"Bài viết số {offset + i} của phường")
        with CaptureQueriesContext(connection) as queries:
            assert publishing.posts_publish_due(now=timezone.now() + LATER * 2) == n
        return len(queries)

    assert cost(2, 0) == cost(12, 100)


@pytest.mark.parametrize("search_text", ["", "khong con khop", None])
def test_index_keys_from_the_working_copy_match_a_fresh_derivation(search_text):
    from pages.sanitize import html_to_text
    from pages.search import _keys_from_working_copy
    from pages.search_rank import index_key
    from vietfront.text import search_key

    post = Post(title="Đại hội Đống Đa, 2025!", summary="Sáng nay — khai mạc.", body="<p>Nội dung <b>chính</b></p>")
    derived = search_key(" ".join((post.title, post.summary, html_to_text(post.body))))
    post.search_text = derived if search_text is None else search_text  # None: as Post.save left it
    assert _keys_from_working_copy(post) == (
        index_key(post.title), index_key(f"{post.summary} {html_to_text(post.body)}")
    )
