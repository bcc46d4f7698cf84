"""Feeds are complete and valid: a unit's own posts, a subtree's everything below, the home
page's feed national; RSS 2.0 and Atom read by a real reader's parser (feedparser), with the
cover image as an enclosure of the right length and type."""

from __future__ import annotations

import feedparser
import pytest
from django.urls import reverse

from pages.models import Rendition
from pages.services import media_image_make_renditions
from tests.pages.conftest import make_image

from .conftest import live

pytestmark = pytest.mark.django_db

FEEDS = ["feed_rss", "feed_atom", "feed_rss_all", "feed_atom_all"]
CENTRAL_FEEDS = ["central_feed_rss", "central_feed_atom", "central_feed_rss_all", "central_feed_atom_all"]


def feed_url(name: str, unit) -> str:
    return reverse(f"public:{name}", kwargs={"unit_path": unit.path}) if unit.path else reverse(f"public:central_{name}")


def parse(client, url: str):
    response = client.get(url)
    assert response.status_code == 200, url
    parsed = feedparser.parse(response.content)
    # bozo: the parser met something a strict reader refuses (not well-formed, wrong type...).
    assert not parsed.bozo, (url, parsed.get("bozo_exception"))
    return response, parsed


def titles(parsed) -> list[str]:
    return [e.title for e in parsed.entries]


@pytest.fixture
def everywhere(posts, pages):
    """posts at every level plus one at the centre itself."""
    return {**posts, "central": live(pages["central"], "Trung ương hướng dẫn trang cộng đồng", days_ago=4)}


@pytest.mark.parametrize("name", FEEDS)
def test_every_unit_feed_is_valid_and_says_what_it_is(client, everywhere, tree, name):
    for unit in (tree.hanoi, tree.dongda, tree.vanmieu, tree.bacninh, tree.langthuong):
        response, parsed = parse(client, feed_url(name, unit))
        assert parsed.version == ("atom10" if "atom" in name else "rss20")
        assert parsed.feed.language == "vi" if "rss" in name else True
        assert unit.display_name in parsed.feed.title
        for entry in parsed.entries:
            assert entry.link.startswith("http://testserver/") and entry.id and entry.published_parsed


def test_own_feed_has_own_posts_and_subtree_feed_everything_below(client, everywhere, tree):
    for kind in ("rss", "atom"):
        _r, own = parse(client, feed_url(f"feed_{kind}", tree.dongda))
        assert titles(own) == ["Quận Đống Đa tổng kết cuộc vận động"]
        _r, below = parse(client, feed_url(f"feed_{kind}_all", tree.dongda))
        assert titles(below) == ["Phường Văn Miếu trao quà cho hộ nghèo", "Quận Đống Đa tổng kết cuộc vận động"]
        _r, hanoi = parse(client, feed_url(f"feed_{kind}_all", tree.hanoi))
        assert len(hanoi.entries) == 4
        _r, empty = parse(client, feed_url(f"feed_{kind}", tree.langthuong))
        assert empty.entries == []


@pytest.mark.parametrize("name", CENTRAL_FEEDS)
def test_the_home_page_feeds_are_national(client, everywhere, name):
    """``/rss/`` used to hold the centre's own posts only: next to nothing."""
    _r, parsed = parse(client, reverse(f"public:{name}"))
    assert len(parsed.entries) == 5
    assert titles(parsed)[0] == "Phường Văn Miếu trao quà cho hộ nghèo"
    assert "Trung ương hướng dẫn trang cộng đồng" in titles(parsed)


def test_home_page_links_its_national_feed(client, everywhere):
    html = client.get("/").content.decode()
    _r, linked = parse(client, "/rss/")
    assert 'type="application/rss+xml"' in html and len(linked.entries) == 5


def test_cover_is_an_enclosure_with_its_real_length_and_type(client, everywhere, tree, settings):
    """The largest JPEG rendition when there is one; its length is the file's bytes."""
    vanmieu = everywhere["vanmieu"]
    renditions = media_image_make_renditions(image=vanmieu.live_revision.cover)
    assert {r.format for r in renditions} == {"jpeg", "webp"}
    jpeg = max((r for r in renditions if r.format == "jpeg"), key=lambda r: r.width)
    for name in ("feed_rss_all", "feed_atom_all"):
        response, parsed = parse(client, feed_url(name, tree.dongda))
        entry = next(e for e in parsed.entries if e.title.startswith("Phường Văn Miếu"))
        assert len(entry.enclosures) == 1
        enclosure = entry.enclosures[0]
        assert enclosure.href == "http://testserver" + jpeg.file.url
        assert enclosure.type == "image/jpeg" and int(enclosure.length) == jpeg.file.size > 0
        other = next(e for e in parsed.entries if e.title.startswith("Quận Đống Đa"))
        assert other.enclosures == []  # no cover, no enclosure
        fetched = client.get(jpeg.file.url)
        assert fetched.status_code in (200, 404)  # (media is served by the web server in production)


def test_without_renditions_the_original_is_the_enclosure(client, pages, tree):
    image = make_image(tree.phucxa, alt="Lễ ra mắt")
    Rendition.objects.filter(image=image).delete()
    live(pages["phucxa"], "Phúc Xá có ảnh gốc", cover=image)
    _r, parsed = parse(client, feed_url("feed_rss", tree.phucxa))
    enclosure = parsed.entries[0].enclosures[0]
    assert enclosure.href.endswith(image.file.name.rsplit("/", 1)[-1])
    assert int(enclosure.length) == image.file.size and enclosure.type.startswith("image/")


def test_a_cover_whose_file_is_gone_gives_no_enclosure_not_an_error(client, pages, tree):
    image = make_image(tree.phucxa, alt="Lễ ra mắt")
    media_image_make_renditions(image=image)
    live(pages["phucxa"], "Phúc Xá ảnh đã mất", cover=image)
    for r in Rendition.objects.filter(image=image):
        r.file.storage.delete(r.file.name)
    image.file.storage.delete(image.file.name)
    _r, parsed = parse(client, feed_url("feed_atom", tree.phucxa))
    assert parsed.entries[0].title == "Phúc Xá ảnh đã mất" and parsed.entries[0].get("enclosures", []) == []


def test_feed_query_count_does_not_grow_with_items(client, pages, tree, django_assert_max_num_queries):
    image = make_image(tree.dongda, alt="Ảnh")
    media_image_make_renditions(image=image)
    for i in range(12):
        live(pages["dongda"], f"Tin số {i}", days_ago=i, cover=image if i % 2 else None)
    with django_assert_max_num_queries(8) as few:
        _r, few_parsed = parse(client, feed_url("feed_rss_all", tree.dongda))
    with django_assert_max_num_queries(len(few.captured_queries)):
        _r, parsed = parse(client, feed_url("feed_rss_all", tree.hanoi))
    assert len(parsed.entries) == 12 and sum(bool(e.enclosures) for e in parsed.entries) == 6


def test_unknown_unit_feed_is_404(client, tree):
    assert client.get("/khong-co-don-vi/rss/").status_code == 404
