"""Only live posts appear anywhere; a takedown removes a post everywhere at once, cache too."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from moderation.services import post_take_down
from pages.models import Post, PostSearch
from tests.pages.conftest import make_post, publish_post

pytestmark = pytest.mark.django_db


def everywhere(client, tree, topic):
    urls = [
        "/",
        tree.hanoi.get_absolute_url(),
        tree.dongda.get_absolute_url(),
        tree.vanmieu.get_absolute_url(),
        reverse("public:archive", kwargs={"unit_path": tree.vanmieu.path}),
        reverse("public:central_topic", kwargs={"slug": topic.slug}),
        reverse("public:search") + "?q=van+mieu+trao+qua",
        reverse("public:central_feed_rss_all"),
        reverse("public:feed_rss", kwargs={"unit_path": tree.vanmieu.path}),
        reverse("public:feed_atom_all", kwargs={"unit_path": tree.dongda.path}),
        "/sitemap-bai-viet.xml",
    ]
    return {url: client.get(url).content.decode() for url in urls}


def test_drafts_scheduled_and_future_posts_never_appear(client, posts, tree, topic, pages):
    future = publish_post(make_post(pages["vanmieu"], "Bài hẹn giờ tương lai"),
                          at=timezone.now() + datetime.timedelta(days=2))
    for url, html in everywhere(client, tree, topic).items():
        assert "Bản nháp bí mật" not in html, url
        assert "Bài hẹn giờ tương lai" not in html, url
        assert posts["draft"].slug not in html, url
    assert client.get(future.get_absolute_url()).status_code == 404


def test_take_down_removes_a_post_everywhere_at_once_even_when_cached(client, posts, tree, topic, django_user_model):
    post = posts["vanmieu"]
    url = post.get_absolute_url()
    before = everywhere(client, tree, topic)  # also warms the cache
    assert client.get(url).status_code == 200
    for page_url, html in before.items():
        if "tim-kiem" in page_url:
            assert "hộ nghèo" in html, page_url
        else:
            assert post.slug in html, page_url
    approver = django_user_model.objects.create_superuser(username="duyet", password="x", email="d@example.org")
    post_take_down(post=post, by=approver, reason="Yêu cầu của cơ quan có thẩm quyền")
    assert not PostSearch.objects.filter(post=post).exists()
    assert client.get(url).status_code == 404
    for page_url, html in everywhere(client, tree, topic).items():
        assert post.slug not in html, page_url
        assert "hộ nghèo" not in html, page_url


def test_logged_in_users_are_never_cached(client, posts, tree, django_user_model):
    user = django_user_model.objects.create_user(username="u", password="x")
    client.force_login(user)
    response = client.get(tree.hanoi.get_absolute_url())
    assert "private" in response["Cache-Control"]
    assert "ETag" not in response


def test_profile_edit_invalidates_the_unit_page(client, pages, tree):
    from pages.services import page_update

    client.get(tree.dongda.get_absolute_url())
    page = pages["dongda"]
    page.about = "Giới thiệu mới của quận"
    page_update(page=page, by=None)
    assert "Giới thiệu mới của quận" in client.get(tree.dongda.get_absolute_url()).content.decode()


def test_saving_a_live_post_with_its_unit_loaded_reads_no_unit_path(posts, django_assert_num_queries):
    """The cache upkeep takes the unit's path from the loaded unit, not from a query per save."""
    from pages import signals

    post = Post.objects.select_related("unit").get(pk=posts["dongda"].pk)
    with django_assert_num_queries(0):
        assert signals._unit_path(post) == post.unit.path
    fresh = Post.objects.get(pk=posts["dongda"].pk)
    with django_assert_num_queries(1):
        assert signals._unit_path(fresh) == post.unit.path
