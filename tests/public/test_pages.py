"""Public pages: what each shows, the live revision only, redirects, 404, query counts."""

from __future__ import annotations

import json
import re

import pytest
from django.urls import reverse

from orgunits.services import unit_dissolve, unit_rename
from pages.models import Post

from .conftest import live

pytestmark = pytest.mark.django_db


def test_home_lists_provinces_and_latest_from_everywhere(client, posts, tree):
    response = client.get("/")
    html = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="vi">' in html
    assert tree.hanoi.name in html and tree.bacninh.name in html
    assert "Phường Văn Miếu trao quà cho hộ nghèo" in html
    assert "Bản nháp bí mật" not in html


def test_unit_page_profile_own_and_from_below(client, posts, tree):
    html = client.get(tree.dongda.get_absolute_url()).content.decode()
    assert "Mặt trận Quận Đống Đa" in html
    assert "https://zalo.me/123" in html and "facebook.com/mttq" in html
    own, below = html.split('id="below-h"')
    assert "Quận Đống Đa tổng kết cuộc vận động" in own
    assert "Phường Văn Miếu trao quà cho hộ nghèo" in below
    # The unit is named on each post from below.
    assert tree.vanmieu.name in below
    assert "Hà Nội phát động" not in html  # above, not below
    assert tree.langthuong.name in html  # child without a page is still listed


def test_unit_without_active_page_shows_notice(client, posts, tree):
    html = client.get(tree.langthuong.get_absolute_url()).content.decode()
    assert "chưa có trang cộng đồng" in html


def test_dissolved_unit_shows_notice_and_successor(client, pages, tree):
    import datetime

    unit_dissolve(unit=tree.langthuong, on=datetime.date(2025, 7, 1), successor=tree.vanmieu)
    html = client.get(tree.langthuong.get_absolute_url()).content.decode()
    assert "đã giải thể hoặc sáp nhập từ ngày 01/07/2025" in html
    assert tree.vanmieu.get_absolute_url() in html


def test_post_page_shows_the_live_revision_not_the_working_copy(client, posts):
    post = posts["vanmieu"]
    url = post.get_absolute_url()
    post.title = "Tiêu đề sửa chưa duyệt"
    post.body = "<p>Nội dung sửa chưa duyệt</p>"
    post.save()
    html = client.get(url).content.decode()
    assert "Phường Văn Miếu trao quà cho hộ nghèo" in html
    assert "chưa duyệt" not in html
    assert "Phạm Lan" in html and "Ảnh: H.Nguyệt" in html and "Mặt trận phường" in html
    assert "<strong>Đống Đa</strong>" in html
    # Responsive cover with explicit dimensions.
    assert re.search(r'<img src="[^"]+"[^>]* width="\d+" height="\d+" alt="Người dân phường Văn Miếu"', html)
    # Breadcrumbs of units.
    assert 'class="breadcrumbs"' in html and "Quận Đống Đa" in html


def test_post_page_open_graph_and_json_ld(client, posts):
    post = posts["vanmieu"]
    html = client.get(post.get_absolute_url()).content.decode()
    assert '<meta property="og:title" content="Phường Văn Miếu trao quà cho hộ nghèo">' in html
    og_image = re.search(r'<meta property="og:image" content="([^"]+)">', html).group(1)
    assert og_image.startswith("http://testserver/")
    assert '<meta name="twitter:card" content="summary_large_image">' in html
    assert '<link rel="canonical" href="http://testserver' + post.get_absolute_url() + '">' in html
    ld = json.loads(re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S).group(1))
    assert ld["@type"] == "NewsArticle" and ld["headline"] == "Phường Văn Miếu trao quà cho hộ nghèo"
    assert ld["image"] == [og_image]


def test_unpublished_post_is_404(client, posts):
    response = client.get(posts["draft"].get_absolute_url())
    assert response.status_code == 404


def test_topic_tag_and_archive_pages(client, posts, topic, tree):
    assert "Phường Văn Miếu" in client.get(reverse("public:central_topic", kwargs={"slug": topic.slug})).content.decode()
    in_badinh = client.get(reverse("public:topic", kwargs={"unit_path": tree.badinh.path, "slug": topic.slug}))
    assert "Phường Văn Miếu trao quà" not in in_badinh.content.decode()
    archive = client.get(reverse("public:archive", kwargs={"unit_path": tree.hanoi.path})).content.decode()
    for key in ("vanmieu", "dongda", "hanoi", "phucxa"):
        assert posts[key].live_revision.title in archive


def test_tag_page_uses_live_tags(client, pages):
    from pages.models import Tag

    post = live(pages["hanoi"], "Bài có thẻ")
    # Tags of the working copy after publication are not live.
    tag = Tag.objects.create(name="An sinh xã hội")
    post.tags.add(tag)
    assert "Bài có thẻ" not in client.get(reverse("public:tag", kwargs={"slug": tag.slug})).content.decode()


def test_archive_is_paginated_without_count(client, pages):
    for i in range(23):
        live(pages["hanoi"], f"Tin số {i:02d}", days_ago=i)
    url = reverse("public:archive", kwargs={"unit_path": pages["hanoi"].unit.path})
    first = client.get(url).content.decode()
    assert "Tin số 00" in first and "Tin số 22" not in first and "trang=2" in first
    second = client.get(url + "?trang=2").content.decode()
    assert "Tin số 22" in second and "Tin số 00" not in second


def test_renamed_unit_redirects_permanently(client, posts, tree):
    old_unit_url = tree.vanmieu.get_absolute_url()
    old_post_url = posts["vanmieu"].get_absolute_url()
    unit_rename(unit=tree.vanmieu, name="Phường Văn Miếu")
    tree.refresh()
    response = client.get(old_unit_url)
    assert response.status_code == 301 and response["Location"] == tree.vanmieu.get_absolute_url()
    response = client.get(old_post_url)
    assert response.status_code == 301
    assert response["Location"] == Post.objects.get(pk=posts["vanmieu"].pk).get_absolute_url()
    assert client.get(response["Location"]).status_code == 200


def test_unknown_path_gives_vietnamese_404_with_search_box(client, tree):
    response = client.get("/khong-co-don-vi-nay/")
    html = response.content.decode()
    assert response.status_code == 404
    assert "Không tìm thấy trang bạn cần" in html
    assert 'role="search"' in html and 'name="q"' in html


def test_directory_by_province_district_and_name(client, tree):
    html = client.get(reverse("public:directory"), {"tinh": tree.hanoi.code, "huyen": tree.dongda.code}).content.decode()
    assert tree.dongda.name in html and tree.vanmieu.name in html and tree.langthuong.name in html
    html = client.get(reverse("public:directory"), {"q": "lang thuong"}).content.decode()
    assert tree.langthuong.get_absolute_url() in html


def _urls(tree, posts, topic):
    return [
        "/",
        tree.hanoi.get_absolute_url(),
        tree.dongda.get_absolute_url(),
        tree.vanmieu.get_absolute_url(),
        posts["vanmieu"].get_absolute_url(),
        reverse("public:central_topic", kwargs={"slug": topic.slug}),
        reverse("public:topic", kwargs={"unit_path": tree.hanoi.path, "slug": topic.slug}),
        reverse("public:archive", kwargs={"unit_path": tree.hanoi.path}),
        reverse("public:search") + "?q=ha+noi",
        reverse("public:search") + "?q=dong+da&don-vi=" + tree.hanoi.path + "&chu-de=" + topic.slug,
        reverse("public:directory") + "?tinh=" + tree.hanoi.code + "&huyen=" + tree.dongda.code,
        reverse("public:directory") + "?q=van+mieu",
        reverse("public:feed_rss", kwargs={"unit_path": tree.hanoi.path}),
        reverse("public:feed_atom_all", kwargs={"unit_path": tree.hanoi.path}),
        "/sitemap.xml",
        "/sitemap-bai-viet.xml",
    ]


def test_every_public_view_makes_few_queries_whatever_the_data_size(
    client, posts, topic, tree, pages, django_assert_max_num_queries
):
    from django.core.cache import cache

    from tests.pages.conftest import make_image

    def check():
        for url in _urls(tree, posts, topic):
            cache.clear()
            with django_assert_max_num_queries(5):
                response = client.get(url)
            assert response.status_code == 200, url

    check()
    for i in range(30):
        page = pages[["vanmieu", "dongda", "hanoi", "phucxa", "badinh"][i % 5]]
        image = make_image(page.unit, alt=f"Ảnh {i}") if i % 3 == 0 else None
        live(page, f"Ha Noi Dong Da tin bổ sung {i}", topic=topic, cover=image, days_ago=i % 7)
    check()


def test_warm_pages_make_no_queries(client, posts, tree, django_assert_num_queries):
    client.get(tree.hanoi.get_absolute_url())
    with django_assert_num_queries(0):
        response = client.get(tree.hanoi.get_absolute_url())
    assert response.status_code == 200
    assert "public" in response["Cache-Control"] and "max-age=" in response["Cache-Control"]
    assert response["ETag"] and response["Last-Modified"]
    assert client.get(tree.hanoi.get_absolute_url(), HTTP_IF_NONE_MATCH=response["ETag"]).status_code == 304


@pytest.mark.parametrize("unit_name", ["hanoi", "dongda", "central"])
def test_subtree_posts_are_the_subtrees_newest_live_posts(pages, topic, tree, unit_name):
    """Whatever plan the backend takes (on SQLite the page's ids first, then their rows): the
    subtree's live posts, newest first, with offsets, the unit's own left out, and a topic."""
    from orgunits.models import OrgUnit
    from pages.public import selectors

    for i in range(12):
        page = pages[["vanmieu", "dongda", "hanoi", "phucxa", "badinh", "central"][i % 6]]
        live(page, f"Tin {i}", days_ago=i % 5, topic=topic if i % 2 else None)
    unit = getattr(tree, unit_name)
    inside = set(OrgUnit.objects.filter(tree_id=unit.tree_id, lft__gte=unit.lft, lft__lte=unit.rght)
                 .values_list("pk", flat=True))
    everything = sorted(Post.objects.published().filter(unit_id__in=inside).select_related("live_revision"),
                        key=lambda p: (p.published_at, p.pk), reverse=True)
    for offset in (0, 3):
        for own in (False, True):
            for t in (None, topic):
                expected = [p.pk for p in everything if not (own and p.unit_id == unit.pk)
                            and (t is None or p.live_revision.topic_id == t.pk)][offset : offset + 4]
                got = selectors.subtree_posts(unit, offset=offset, limit=3, exclude_own=own, topic=t)
                assert [p.pk for p in got] == expected, (offset, own, t)


@pytest.mark.parametrize("unit_name", ["hanoi", "dongda", "central"])
def test_subtree_posts_per_unit_plan_matches_the_plain_query(pages, topic, tree, monkeypatch, unit_name):
    """The per-unit plan (PostgreSQL, subtrees below the centre) lists exactly what the plain
    subtree query lists, with offsets, the unit's own posts left out, and a topic."""
    from pages.public import selectors

    for i in range(12):
        page = pages[["vanmieu", "dongda", "hanoi", "phucxa", "badinh", "central"][i % 6]]
        live(page, f"Tin {i}", days_ago=i % 5, topic=topic if i % 2 else None)
    unit = getattr(tree, unit_name)

    def listing():
        return [
            [p.pk for p in selectors.subtree_posts(unit, offset=offset, limit=3, exclude_own=own, topic=t)]
            for offset in (0, 3) for own in (False, True) for t in (None, topic)
        ]

    chosen = listing()
    monkeypatch.setattr(selectors, "PER_UNIT_MAX_UNITS", 0)
    assert chosen == listing()
