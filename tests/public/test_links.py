"""The public links built without ``reverse()`` per link are exactly what ``reverse()`` gives."""

from __future__ import annotations

import pytest
from django.urls import NoReverseMatch, reverse

from pages.public.links import fixed_href, post_href, topic_href, unit_href

pytestmark = pytest.mark.django_db


def test_links_match_the_resolver(posts, tree, topic):
    for unit in (tree.central, tree.hanoi, tree.dongda, tree.vanmieu):
        assert unit_href(unit.path) == unit.get_absolute_url()
        expected = (reverse("public:topic", kwargs={"unit_path": unit.path, "slug": topic.slug}) if unit.path
                    else reverse("public:central_topic", kwargs={"slug": topic.slug}))
        assert topic_href(topic.slug, unit.path) == expected
    for post in (p for p in posts.values() if p.live_revision_id):
        assert post_href(post.unit.path, post.slug) == post.get_absolute_url()


def test_a_path_the_patterns_do_not_allow_fails_as_reverse_does():
    with pytest.raises(NoReverseMatch):
        unit_href("Hà Nội")
    with pytest.raises(NoReverseMatch):
        post_href("ha-noi", "bai/viet")


def test_links_follow_the_script_prefix(posts, tree):
    from django.urls import set_script_prefix

    set_script_prefix("/mttq/")
    try:
        assert unit_href(tree.hanoi.path) == "/mttq/ha-noi/" == tree.hanoi.get_absolute_url()
        assert fixed_href("public:search") == "/mttq/tim-kiem/" == reverse("public:search")
    finally:
        set_script_prefix("/")
    assert fixed_href("public:search") == "/tim-kiem/"


@pytest.mark.parametrize("name", ["public:home", "public:directory", "public:central_archive", "public:search",
                                  "public:central_feed_rss_all", "sitemap-index"])
def test_fixed_links_are_the_resolvers(name):
    assert fixed_href(name) == reverse(name)
    with pytest.raises(NoReverseMatch):
        fixed_href("public:khong-co")


def test_the_page_chrome_links_through_the_fixed_links(client, posts):
    html = client.get(reverse("public:search") + "?q=dong+da").content.decode()
    for name in ("public:home", "public:directory", "public:central_archive", "public:central_feed_rss_all",
                 "sitemap-index"):
        assert f'href="{reverse(name)}"' in html
    assert f'action="{reverse("public:search")}"' in html
