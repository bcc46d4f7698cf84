# ruff: noqa: S314 - parses the site's own output, not untrusted XML
"""RSS/Atom per unit, the sitemap index and its pages, robots.txt."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from django.urls import reverse

from pages.sitemaps import PostSitemap, UnitSitemap

pytestmark = pytest.mark.django_db
ATOM = "{http://www.w3.org/2005/Atom}"
SM = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


def test_rss_own_and_subtree(client, posts, tree):
    own = ET.fromstring(client.get(reverse("public:feed_rss", kwargs={"unit_path": tree.dongda.path})).content)
    assert own.tag == "rss"
    assert own.findtext("channel/language") == "vi"
    assert [i.findtext("title") for i in own.iter("item")] == ["Quận Đống Đa tổng kết cuộc vận động"]
    subtree = ET.fromstring(client.get(reverse("public:feed_rss_all", kwargs={"unit_path": tree.dongda.path})).content)
    titles = [i.findtext("title") for i in subtree.iter("item")]
    assert titles == ["Phường Văn Miếu trao quà cho hộ nghèo", "Quận Đống Đa tổng kết cuộc vận động"]
    link = subtree.find("channel/item/link").text
    assert link == "http://testserver" + posts["vanmieu"].get_absolute_url()


def test_atom_central_whole_country(client, posts):
    response = client.get(reverse("public:central_feed_atom_all"))
    assert response["Content-Type"].startswith("application/atom+xml")
    root = ET.fromstring(response.content)
    assert root.tag == ATOM + "feed"
    assert len(root.findall(ATOM + "entry")) == 4


def test_sitemap_index_and_sections(client, posts, tree):
    index = ET.fromstring(client.get("/sitemap.xml").content)
    locs = [e.findtext(SM + "loc") for e in index.findall(SM + "sitemap")]
    assert any("sitemap-bai-viet.xml" in loc for loc in locs) and any("sitemap-don-vi.xml" in loc for loc in locs)
    assert all(e.findtext(SM + "lastmod") for e in index.findall(SM + "sitemap"))
    post_map = ET.fromstring(client.get("/sitemap-bai-viet.xml").content)
    urls = [u.findtext(SM + "loc") for u in post_map.findall(SM + "url")]
    assert len(urls) == 4 and "http://testserver" + posts["vanmieu"].get_absolute_url() in urls
    assert all(u.findtext(SM + "lastmod") for u in post_map.findall(SM + "url"))
    unit_map = ET.fromstring(client.get("/sitemap-don-vi.xml").content)
    unit_urls = [u.findtext(SM + "loc") for u in unit_map.findall(SM + "url")]
    assert "http://testserver/" in unit_urls and "http://testserver" + tree.vuninh.get_absolute_url() in unit_urls


def test_sitemaps_are_paginated_for_a_large_country():
    assert 5000 <= UnitSitemap.limit <= 10000 and 5000 <= PostSitemap.limit <= 10000


def test_robots_points_to_the_sitemap(client):
    text = client.get("/robots.txt").content.decode()
    assert "Sitemap: http://testserver/sitemap.xml" in text and "Disallow: /quan-tri/" in text
