"""The public page cache is keyed by scheme and host, and by the query parameters the view
reads only: a foreign ``Host:`` cannot poison the main host's pages, and ``?x=N`` cannot fill
the cache."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from pages.cache import PAGE_PREFIX
from tests.public.conftest import live


@pytest.fixture(autouse=True)
def _own_cache(settings, tmp_path):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                                   "LOCATION": "production-page-keys"}}
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.ALLOWED_HOSTS = ["mattran.example.vn", "other.example.vn", "testserver"]
    cache.clear()
    yield
    cache.clear()


def page_entries() -> int:
    # LocMemCache's own store: every key the page cache wrote, with the backend's prefix.
    return sum(PAGE_PREFIX in key for key in cache._cache)


@pytest.fixture
def home(pages):
    live(pages["central"], "Ngày hội Đại đoàn kết toàn dân tộc")


def test_another_allowed_host_does_not_poison_the_main_hosts_page(client, home):
    foreign = client.get("/", HTTP_HOST="other.example.vn")
    assert foreign.status_code == 200
    assert b"https://other.example.vn/" not in foreign.content  # plain HTTP here
    assert b"http://other.example.vn/" in foreign.content
    main = client.get("/", HTTP_HOST="mattran.example.vn")
    assert main.status_code == 200
    assert b"other.example.vn" not in main.content
    assert b"http://mattran.example.vn/" in main.content
    assert page_entries() == 2


def test_scheme_is_part_of_the_key(client, home):
    plain = client.get("/", HTTP_HOST="mattran.example.vn")
    secure = client.get("/", HTTP_HOST="mattran.example.vn", secure=True)
    assert plain.status_code == secure.status_code == 200
    assert b"http://mattran.example.vn/" in plain.content
    assert b"https://mattran.example.vn/" in secure.content
    assert b"http://mattran.example.vn/" not in secure.content
    assert page_entries() == 2


def test_unread_query_strings_reuse_the_pages_entry(client, home):
    first = client.get("/")
    assert first.status_code == 200
    assert page_entries() == 1
    for n in range(100):
        response = client.get("/", {"x": n, "utm_source": "zalo"})
        assert response.status_code == 200
        assert response["ETag"] == first["ETag"]
    assert page_entries() == 1


def test_parameters_the_view_reads_still_key_the_page(client, pages):
    for n in range(25):
        live(pages["hanoi"], f"Tin số {n} của Hà Nội")
    url = "/ha-noi/bai-viet/"
    one, two = client.get(url), client.get(url, {"trang": 2})
    assert one.status_code == two.status_code == 200
    assert one.content != two.content
    assert page_entries() == 2
    again = client.get(url, {"trang": 2, "nguon": "junk123"})
    assert again.status_code == 200
    assert again.content == two.content
    assert page_entries() == 2
    # Rendered afresh with an unread parameter, the page's links do not carry it either: the
    # entry it makes is the one every reader of page 2 gets.
    cache.clear()
    fresh = client.get(url, {"nguon": "junk123", "trang": 2})
    assert fresh.status_code == 200
    assert b"junk123" not in fresh.content
    assert b"?trang=1" in fresh.content  # the pager link, without the unread parameter


def test_search_keys_on_its_own_parameters_in_any_order(client, home):
    a = client.get("/tim-kiem/", {"q": "đoàn kết", "tu": "2020-01-01"})
    b = client.get("/tim-kiem/?tu=2020-01-01&q=%C4%91o%C3%A0n+k%E1%BA%BFt&ref=fb")
    assert a.status_code == b.status_code == 200
    assert a["ETag"] == b["ETag"]
    assert page_entries() == 1
