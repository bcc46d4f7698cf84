"""The public read API: published content only, cursors, escaping, caching headers, CORS."""

from __future__ import annotations

import pytest
from django.utils import timezone

from pages.services import post_save
from tests.moderation.workflow_fixtures import make_post
from tests.pages.conftest import pages, publish_post  # noqa: F401 - fixtures

pytestmark = pytest.mark.django_db


@pytest.fixture
def live(tree, people, pages):  # noqa: F811
    """Three live posts of Đống Đa, one of Văn Miếu below it, and a draft of Đống Đa."""
    now = timezone.now()
    posts = {}
    for i, (unit, title) in enumerate([
        (tree.dongda, "Ra quân Ngày hội Đại đoàn kết"),
        (tree.dongda, "Hội nghị hiệp thương </script><b>lần</b> & thứ hai"),
        (tree.dongda, "Trao quà Tết cho hộ nghèo"),
        (tree.vanmieu, "Phường Văn Miếu ra mắt tổ tự quản"),
    ]):
        post = make_post(unit, people.editor, title=title)
        posts[i] = publish_post(post, at=now - timezone.timedelta(hours=10 - i))
    posts["draft"] = make_post(tree.dongda, people.editor, title="Bản nháp chưa duyệt")
    return posts


def test_unit_posts_are_the_published_ones_newest_first_with_cursors(client, tree, live, django_assert_max_num_queries):
    url = f"/api/v1/units/{tree.dongda.pk}/posts/?limit=2"
    with django_assert_max_num_queries(4):
        first = client.get(url)
    assert first.status_code == 200
    body = first.json()
    assert [p["title"] for p in body["data"]] == ["Trao quà Tết cho hộ nghèo",
                                                  "Hội nghị hiệp thương </script><b>lần</b> & thứ hai"]
    assert body["next"].startswith("http://testserver/api/v1/units/")
    with django_assert_max_num_queries(4):
        second = client.get(body["next"]).json()
    assert [p["title"] for p in second["data"]] == ["Ra quân Ngày hội Đại đoàn kết"]
    assert second["next"] is None
    assert "Bản nháp" not in first.content.decode() + str(second)


def test_subtree_posts_include_the_units_below(client, tree, live):
    titles = [p["title"] for p in client.get(f"/api/v1/units/{tree.dongda.pk}/subtree-posts/").json()["data"]]
    assert titles[0] == "Phường Văn Miếu ra mắt tổ tự quản" and len(titles) == 4
    hanoi = client.get(f"/api/v1/units/{tree.hanoi.pk}/subtree-posts/").json()["data"]
    assert len(hanoi) == 4
    assert client.get(f"/api/v1/units/{tree.bacninh.pk}/subtree-posts/").json()["data"] == []


def test_a_post_shows_its_approved_content_not_the_working_copy(client, live, people):
    post = live[0]
    post.title = "Sửa đổi chưa duyệt"
    post_save(post=post, by=people.editor)
    data = client.get(f"/api/v1/posts/{post.pk}/").json()["data"]
    assert data["title"] == "Ra quân Ngày hội Đại đoàn kết"
    assert data["url"].startswith("https://") or data["url"].startswith("http://")
    assert client.get(f"/api/v1/posts/{live['draft'].pk}/").status_code == 404
    assert client.get("/api/v1/posts/999999/").json() == {"error": {"status": 404, "message": "not found"}}


def test_json_is_escaped_for_html_contexts(client, live):
    response = client.get(f"/api/v1/posts/{live[1].pk}/")
    raw = response.content.decode().lower()
    assert "</script>" not in raw and "<b>" not in raw and "\\u003c/script\\u003e" in raw and "\\u0026" in raw
    assert response.json()["data"]["title"] == "Hội nghị hiệp thương </script><b>lần</b> & thứ hai"
    assert response["Content-Type"] == "application/json; charset=utf-8"


def test_units_page_with_a_cursor_in_constant_queries(client, tree, live, django_assert_max_num_queries):
    with django_assert_max_num_queries(3):
        body = client.get("/api/v1/units/?limit=4").json()
    assert [u["name"] for u in body["data"]][:2] == ["Ủy ban Trung ương MTTQ Việt Nam", "Thành phố Hà Nội"]
    seen = [u["id"] for u in body["data"]]
    while body["next"]:
        with django_assert_max_num_queries(3):
            body = client.get(body["next"]).json()
        seen += [u["id"] for u in body["data"]]
    assert len(seen) == len(set(seen)) == 10
    dongda = client.get(f"/api/v1/units/{tree.dongda.pk}/").json()["data"]
    assert dongda["page"]["status"] == "active" and dongda["path"] == tree.dongda.path


def test_cors_and_methods(client, tree, live):
    got = client.get("/api/v1/units/")
    assert got["Access-Control-Allow-Origin"] == "*"
    preflight = client.options("/api/v1/units/", HTTP_ORIGIN="https://baodientu.example.vn",
                               HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET")
    assert preflight.status_code == 204 and preflight["Access-Control-Allow-Methods"] == "GET, HEAD, OPTIONS"
    assert client.post("/api/v1/units/").status_code == 405
    assert client.delete(f"/api/v1/posts/{live[0].pk}/").status_code == 405


def test_bad_parameters_are_400_not_500(client, tree, live):
    for query in ("cursor=%%%", "cursor=bm90LWpzb24", "cursor=WzEsMl0", "limit=0", "limit=1000", "limit=abc",
                  "cursor=WyJub3QtYS1kYXRlIiwgMV0"):
        response = client.get(f"/api/v1/units/{tree.dongda.pk}/posts/?{query}")
        assert response.status_code == 400, query
    assert client.get("/api/v1/units/?cursor=WyJhIiwgImIiXQ").status_code == 400


def test_responses_are_cached_with_validators(client, tree, live):
    first = client.get(f"/api/v1/units/{tree.dongda.pk}/posts/")
    assert first["ETag"] and first["Last-Modified"] and "public" in first["Cache-Control"]
    again = client.get(f"/api/v1/units/{tree.dongda.pk}/posts/", HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304
