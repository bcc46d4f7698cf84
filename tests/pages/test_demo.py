"""seed_demo_content: idempotent, DEBUG only, skips missing units."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command
from PIL import Image

from pages.demo import POSTS
from pages.models import CommunityPage, MediaImage, Post, PostStatus

pytestmark = pytest.mark.django_db


def test_refuses_without_debug(settings, tree):
    settings.DEBUG = False
    with pytest.raises(CommandError):
        call_command("seed_demo_content")
    assert not Post.objects.exists()


def test_seeds_pages_posts_and_images_once(settings, tree):
    settings.DEBUG = True
    out = io.StringIO()
    call_command("seed_demo_content", stdout=out)
    assert "Tỉnh Lâm Đồng (code 68)" in out.getvalue()  # not in the test tree: skipped, said so
    assert CommunityPage.objects.count() == 8
    expected = [p for p in POSTS if p.unit_code != "68"]
    assert len(expected) >= 12
    assert f"8 pages, {len(expected)} posts, {len(expected)} images created" in out.getvalue()
    assert "0 posts waiting for approval; 1 units missing" in out.getvalue()
    assert Post.objects.count() == len(expected)
    assert Post.objects.filter(status=PostStatus.PUBLISHED).count() == sum(p.publish for p in expected)
    assert set(Post.objects.exclude(status=PostStatus.PUBLISHED).values_list("status", flat=True)) == {PostStatus.DRAFT}
    post = Post.objects.get(title__startswith="Phường Vũ Ninh khánh thành")
    assert post.unit == tree.vuninh and post.photo_credit == "Ảnh: H.Nguyệt" and post.body.count("<p>") == 3
    assert post.cover.credit == "Ảnh: H.Nguyệt" and post.topic.slug == "xa-hoi" and post.tags.count() == 2
    with post.cover.file.open("rb") as fh, Image.open(fh) as im:
        assert im.size == (1600, 900) and not im.getexif()
    again = io.StringIO()
    call_command("seed_demo_content", stdout=again)
    assert "0 pages, 0 posts, 0 images created" in again.getvalue()
    assert (CommunityPage.objects.count(), Post.objects.count(), MediaImage.objects.count()) == (8, len(expected), len(expected))


def test_unpublished_demo_posts_wait_in_the_queue_when_an_editor_exists(settings, tree):
    from django.contrib.auth import get_user_model
    from guardian.shortcuts import assign_perm

    from moderation.models import Submission

    settings.DEBUG = True
    editor = get_user_model().objects.create_user("bientap.dongda", is_staff=True)
    assign_perm("orgunits.edit_content", editor, tree.dongda)
    out = io.StringIO()
    call_command("seed_demo_content", stdout=out)
    assert "2 posts waiting for approval" in out.getvalue()
    # Đống Đa's own unpublished post and Văn Miếu's (covered by the district grant) are queued;
    # Phúc Xá (Ba Đình) and Bắc Ninh have no demo editor and stay drafts.
    queued = Submission.objects.filter(state="pending").select_related("post__unit")
    assert sorted(s.post.unit.code for s in queued) == ["00181", "006"]
    assert all(s.submitted_by == editor for s in queued)
    assert Post.objects.filter(status=PostStatus.SUBMITTED).count() == 2
