"""The public read API: published content only, cursors, escaping, caching headers, CORS,
filters, topics, search, and refusals in one JSON shape."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from pages.models import Topic
from pages.search import SearchFilters, search_page
from pages.services import post_save
from tests.moderation.workflow_fixtures import make_post
from tests.pages.conftest import pages, publish_post  # noqa: F401 - fixtures

pytestmark = pytest.mark.django_db


@pytest.fixture
def live(tree, people, pages):  # noqa: F811
    """Three live posts of Đống Đa (the second under another topic), one of Văn Miếu below it,
    and a draft of Đống Đa."""
    now = timezone.now()
    second_topic = Topic.objects.order_by("order")[1]
    posts = {}
    for i, (unit, title) in enumerate([
        (tree.dongda, "Ra quân Ngày hội Đại đoàn kết"),
        (tree.dongda, "Hội nghị hiệp thương </script><b>lần</b> & thứ hai"),
        (tree.dongda, "Trao quà Tết cho hộ nghèo"),
        (tree.vanmieu, "Phường Văn Miếu ra mắt tổ tự quản"),
    ]):
        extra = {"topic": second_topic} if i == 1 else {}
        post = make_post(unit, people.editor, title=title, **extra)
        posts[i] = publish_post(post, at=now - timezone.timedelta(hours=10 - i))
    posts["draft"] = make_post(tree.dongda, people.editor, title="Bản nháp chưa duyệt")
    posts["topic"] = second_topic
    return posts


def test_unit_posts_are_the_published_ones_newest_first_with_cursors(client, tree, live):
    first = client.get(f"/api/v1/units/{tree.dongda.pk}/posts/?limit=2")
    assert first.status_code == 200
    body = first.json()
    assert [p["title"] for p in body["data"]] == ["Trao quà Tết cho hộ nghèo",
                                                  "Hội nghị hiệp thương </script><b>lần</b> & thứ hai"]
    assert body["data"][1]["topic"] == {"slug": live["topic"].slug, "name": live["topic"].name}
    assert body["next"].startswith("http://testserver/api/v1/units/")
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
    post.body = "<p>Nội dung chưa duyệt</p>"
    post_save(post=post, by=people.editor)
    data = client.get(f"/api/v1/posts/{post.pk}/").json()["data"]
    assert data["title"] == "Ra quân Ngày hội Đại đoàn kết"
    assert "chưa duyệt" not in data["body_html"] and "lễ ra quân" in data["body_html"]
    assert data["url"].startswith("https://trangcongdong.example.vn/")
    draft = client.get(f"/api/v1/posts/{live['draft'].pk}/")
    assert draft.status_code == 404
    assert draft.json() == {"error": {"status": 404, "message": f"No published post with id {live['draft'].pk}."}}


def test_json_is_escaped_for_html_contexts(client, live):
    response = client.get(f"/api/v1/posts/{live[1].pk}/")
    raw = response.content.decode().lower()
    assert "</script>" not in raw and "<b>" not in raw and "\\u003c/script\\u003e" in raw and "\\u0026" in raw
    assert response.json()["data"]["title"] == "Hội nghị hiệp thương </script><b>lần</b> & thứ hai"
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_units_page_through_the_tree_with_a_cursor(client, tree, live):
    body = client.get("/api/v1/units/?limit=4").json()
    assert [u["name"] for u in body["data"]][:2] == ["Ủy ban Trung ương MTTQ Việt Nam", "Thành phố Hà Nội"]
    seen = [u["id"] for u in body["data"]]
    while body["next"]:
        body = client.get(body["next"]).json()
        seen += [u["id"] for u in body["data"]]
    assert len(seen) == len(set(seen)) == 10


def test_units_filter_by_parent_kind_and_level(client, tree, live):
    children = client.get(f"/api/v1/units/?parent={tree.hanoi.pk}").json()["data"]
    assert {u["id"] for u in children} == {tree.dongda.pk, tree.badinh.pk}
    assert all(u["parent_id"] == tree.hanoi.pk and u["kind"] == "district" for u in children)
    provinces = client.get("/api/v1/units/?kind=province").json()["data"]
    assert {u["id"] for u in provinces} == {tree.hanoi.pk, tree.bacninh.pk}
    assert {u["id"] for u in client.get("/api/v1/units/?level=1").json()["data"]} == {tree.hanoi.pk, tree.bacninh.pk}
    paged = client.get(f"/api/v1/units/?parent={tree.hanoi.pk}&limit=1").json()
    assert f"parent={tree.hanoi.pk}" in paged["next"]
    assert client.get(paged["next"]).json()["data"][0]["parent_id"] == tree.hanoi.pk
    assert client.get(f"/api/v1/units/?parent={tree.vanmieu.pk}").json() == {"data": [], "next": None}
    missing = client.get("/api/v1/units/?parent=999999")
    assert missing.status_code == 404
    assert missing.json()["error"]["message"] == "No active unit with id 999999."


def test_a_unit_shows_its_page_status_and_profile_only_while_active(client, tree, live, pages):  # noqa: F811
    dongda = client.get(f"/api/v1/units/{tree.dongda.pk}/").json()["data"]
    assert dongda["page"]["status"] == "active" and dongda["path"] == tree.dongda.path
    assert dongda["page"]["url"].startswith("https://") and set(dongda["profile"]) >= {"about", "address", "phone"}
    bacninh = client.get(f"/api/v1/units/{tree.bacninh.pk}/").json()["data"]
    assert bacninh["page"] == {"status": None, "name": None, "url": None} and bacninh["profile"] is None
    assert client.get("/api/v1/units/999999/").status_code == 404
    assert client.get(f"/api/v1/units/{2**63}/").status_code == 404  # beyond BIGINT: not a 500


def test_topics_and_their_posts_nationwide_or_in_a_subtree(client, tree, live):
    topics = client.get("/api/v1/topics/").json()["data"]
    assert live["topic"].slug in {t["slug"] for t in topics}
    other = client.get(f"/api/v1/topics/{live['topic'].slug}/posts/").json()["data"]
    assert [p["id"] for p in other] == [live[1].pk]
    first = Topic.objects.order_by("order").first()
    in_dongda = client.get(f"/api/v1/topics/{first.slug}/posts/?unit={tree.dongda.pk}").json()["data"]
    assert [p["id"] for p in in_dongda] == [live[3].pk, live[2].pk, live[0].pk]
    assert client.get(f"/api/v1/topics/{first.slug}/posts/?unit={tree.bacninh.pk}").json()["data"] == []
    assert client.get("/api/v1/topics/khong-co/posts/").status_code == 404
    assert client.get(f"/api/v1/topics/{first.slug}/posts/?unit=999999").status_code == 404


def test_search_answers_what_the_public_search_shows(client, tree, live):
    body = client.get("/api/v1/search/?q=ngay hoi dai doan ket").json()
    expected = search_page("ngay hoi dai doan ket", SearchFilters(), number=1, per_page=20)
    assert [p["id"] for p in body["data"]] == [p.pk for p in expected.posts]
    assert body["data"][0]["id"] == live[0].pk and len(body["data"]) == 4  # the title match first
    assert body["count"] == expected.count and body["next"] is None
    public = client.get("/tim-kiem/?q=ngay hoi dai doan ket").content.decode()
    # The public page links the same posts in the same order.
    paths = [p["url"].removeprefix("https://trangcongdong.example.vn") for p in body["data"]]
    found = [public.find(f'href="{path}"') for path in paths]
    assert -1 not in found and found == sorted(found)
    scoped = client.get(f"/api/v1/search/?q=phuong&unit={tree.dongda.pk}").json()["data"]
    assert [p["id"] for p in scoped] == [live[3].pk]
    assert client.get(f"/api/v1/search/?q=phuong&unit={tree.bacninh.pk}").json()["data"] == []
    assert client.get(f"/api/v1/search/?q=hiep thuong&topic={live['topic'].slug}").json()["data"][0]["id"] == live[1].pk
    assert client.get("/api/v1/search/?q=ban nhap").json()["data"] == []  # drafts are not found
    paged = client.get("/api/v1/search/?q=mttq&limit=1")
    assert paged.status_code == 200


@pytest.mark.parametrize(("query", "field"), [
    ("", "q"), ("q=a&topic=khong-co", "topic"), ("q=a&unit=999999", "unit"),
    ("q=a&date_from=2026-02-30", "date_from"), ("q=a&date_from=2026-05-02&date_to=2026-05-01", "date_to"),
    ("q=a&date_to=9999-12-31", "date_to"), ("q=a&page=0", "page"), ("q=a&limit=101", "limit"),
])
def test_bad_search_parameters_are_400_with_the_field_named(client, live, query, field):
    response = client.get(f"/api/v1/search/?{query}")
    assert response.status_code == 400, query
    assert list(response.json()["error"]["fields"]) == [field]


def test_cors_and_methods(client, tree, live):
    got = client.get("/api/v1/units/")
    assert got["Access-Control-Allow-Origin"] == "*"
    browser = client.get("/api/v1/units/", HTTP_ACCEPT="text/html,application/xhtml+xml")  # no browsable API
    assert browser.status_code == 200 and browser["Content-Type"] == "application/json; charset=utf-8"
    preflight = client.options("/api/v1/units/", HTTP_ORIGIN="https://baodientu.example.vn",
                               HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET")
    assert preflight.status_code == 204 and preflight["Access-Control-Allow-Methods"] == "GET, HEAD, OPTIONS"
    assert preflight["Access-Control-Allow-Origin"] == "*" and "Access-Control-Allow-Credentials" not in preflight
    head = client.head(f"/api/v1/posts/{live[0].pk}/")
    assert head.status_code == 200 and head.content == b""
    refused = client.post("/api/v1/units/")  # no CSRF token either: refused as a method, not as CSRF
    assert refused.status_code == 405
    assert refused.json() == {"error": {"status": 405, "message": 'Method "POST" not allowed.'}}
    assert client.delete(f"/api/v1/posts/{live[0].pk}/").status_code == 405


def test_bad_parameters_are_400_not_500(client, tree, live):
    for query in ("cursor=%%%", "cursor=bm90LWpzb24", "cursor=WzEsMl0", "limit=0", "limit=1000", "limit=abc",
                  "cursor=WyJub3QtYS1kYXRlIiwgMV0", "cursor=WyIyMDI2LTAxLTAxVDAwOjAwOjAwIiwgMV0"):
        response = client.get(f"/api/v1/units/{tree.dongda.pk}/posts/?{query}")
        assert response.status_code == 400, query
        assert set(response.json()["error"]["fields"]) <= {"cursor", "limit"}, query
    # [1e30, 1]: too large for the database; [true, 1]: not an id.
    for cursor in ("WzEwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMCwgMV0", "W3RydWUsIDFd", "WyJhIiwgImIiXQ"):
        response = client.get(f"/api/v1/units/?cursor={cursor}")
        assert response.status_code == 400, cursor
        assert response.json()["error"] == {"status": 400, "message": "cursor: Invalid cursor.",
                                            "fields": {"cursor": ["Invalid cursor."]}}


def test_unknown_addresses_under_the_api_are_json_404(client, live):
    for url in ("/api/v1/nothing-here/", "/api/v1/units/abc/", "/api/v1/posts/-1/", "/api/v1/topics/%0A/posts/"):
        response = client.get(url)
        assert response.status_code == 404, url
        assert response.json() == {"error": {"status": 404, "message": "Not found."}}


def test_responses_are_cached_with_validators(client, tree, live, django_assert_num_queries):
    url = f"/api/v1/units/{tree.dongda.pk}/posts/"
    first = client.get(url)
    assert first["ETag"] and first["Last-Modified"] and "public" in first["Cache-Control"]
    with django_assert_num_queries(0):  # a cached answer reads no session and no row
        again = client.get(url, HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304
    assert again["Access-Control-Allow-Origin"] == "*"


def test_a_publication_changes_the_cached_answer(client, tree, people, live):
    url = f"/api/v1/units/{tree.dongda.pk}/posts/"
    before = client.get(url)
    publish_post(make_post(tree.dongda, people.editor, title="Bài mới đăng"))
    after = client.get(url, HTTP_IF_NONE_MATCH=before["ETag"])
    assert after.status_code == 200 and after.json()["data"][0]["title"] == "Bài mới đăng"


LISTS = {
    "units": lambda tree, topic: "/api/v1/units/?limit=100",
    "children": lambda tree, topic: f"/api/v1/units/?parent={tree.hanoi.pk}&limit=100",
    "unit_posts": lambda tree, topic: f"/api/v1/units/{tree.dongda.pk}/posts/?limit=100",
    "subtree_posts": lambda tree, topic: f"/api/v1/units/{tree.hanoi.pk}/subtree-posts/?limit=100",
    "topic_posts": lambda tree, topic: f"/api/v1/topics/{topic.slug}/posts/?unit={tree.hanoi.pk}&limit=100",
    "search": lambda tree, topic: f"/api/v1/search/?q=hoi&unit={tree.hanoi.pk}&limit=100",
    "topics": lambda tree, topic: "/api/v1/topics/",
}


def _cold_queries(client, url: str) -> int:
    cache.clear()
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200, url
    return len(queries)


def test_list_endpoints_cost_the_same_queries_small_or_grown(client, tree, people, live):
    topic = Topic.objects.order_by("order").first()
    small = {name: _cold_queries(client, url(tree, topic)) for name, url in LISTS.items()}
    for i in range(30):
        unit = (tree.dongda, tree.vanmieu)[i % 2]
        publish_post(make_post(unit, people.editor, title=f"Hội nghị số {i}"))
    grown = {name: _cold_queries(client, url(tree, topic)) for name, url in LISTS.items()}
    assert grown == small
    # The budgets: the list (plus the unit or the topic list it is about; search: its candidates).
    search = small.pop("search")
    assert small == {"units": 1, "children": 1, "unit_posts": 2, "subtree_posts": 2, "topic_posts": 3, "topics": 1}
    assert search <= 4  # the unit, at most two candidate searches (pages.search.ranked_ids), the page
    second_page = client.get(client.get(LISTS["subtree_posts"](tree, topic).replace("100", "5")).json()["next"])
    assert second_page.status_code == 200 and len(second_page.json()["data"]) == 5
