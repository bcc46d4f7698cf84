"""Public pages, rendered with the page cache off, cost the same number of queries on the small
test tree and after it grows by 400 communes with pages and live posts, and never more than the
issue's budget of 4 (``bench_public`` measures their time on the full tree)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from orgunits.models import OrgUnit
from pages.models import CommunityPage
from tests.pages.conftest import make_image
from tests.tree_growth import grow_communes

from .conftest import live

pytestmark = pytest.mark.django_db

GROWTH = 400
BUDGET = 4


@pytest.fixture(autouse=True)
def _render_every_request(settings):
    settings.VIETFRONT_PUBLIC_PAGE_CACHE = False


def _count(client, url: str) -> int:
    client.get(url)  # per-process caches (templates, the topic menu) filled once
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return len(captured)


def _urls(tree, posts, topic) -> list[str]:
    return [
        "/",
        tree.hanoi.get_absolute_url(),
        tree.dongda.get_absolute_url(),
        tree.vanmieu.get_absolute_url(),
        posts["vanmieu"].get_absolute_url(),
        posts["hanoi"].get_absolute_url(),
        reverse("public:central_topic", kwargs={"slug": topic.slug}),
        reverse("public:archive", kwargs={"unit_path": tree.hanoi.path}),
        reverse("public:search") + "?q=ha+noi",
        reverse("public:search") + f"?q=dong+da&don-vi={tree.hanoi.path}",
        reverse("public:feed_rss_all", kwargs={"unit_path": tree.hanoi.path}),
    ]


def _grow(tree, topic) -> None:
    """400 more communes under Đống Đa, each with an active page (bulk inserts and one rebuild,
    as an import does), and live posts on 40 of them and on the units already there."""
    pages = grow_communes(tree.dongda, GROWTH)
    for i, page in enumerate(pages[:40]):
        cover = make_image(page.unit, alt=f"Ảnh {i}") if i % 4 == 0 else None
        live(page, f"Tin thử {i} của {page.unit.name}", topic=topic, cover=cover, days_ago=i % 5)
    for name in ("central", "hanoi", "dongda", "vanmieu"):
        page = CommunityPage.objects.get(unit__pk=getattr(tree, name).pk)
        for i in range(12):
            cover = make_image(page.unit, alt=f"Ảnh {name} {i}") if i % 4 == 0 else None
            live(page, f"Tin thêm {i} của {name}", topic=topic, cover=cover, days_ago=i % 7)
    tree.refresh()


def test_public_pages_cost_the_same_queries_on_a_small_and_a_large_tree(client, tree, pages, posts, topic):
    # A photo on the newest post of every level, before and after: the renditions query is
    # then counted on both sides (a page without any picture makes one query less).
    for name in ("central", "hanoi", "dongda", "vanmieu"):
        live(pages[name], f"Tin ảnh của {name}", topic=topic, cover=make_image(pages[name].unit, alt=name))
    urls = _urls(tree, posts, topic)
    small = {url: _count(client, url) for url in urls}
    _grow(tree, topic)
    large = {url: _count(client, url) for url in urls}
    assert large == small
    assert max(large.values()) <= BUDGET, large
    assert OrgUnit.objects.count() > GROWTH


def test_a_province_without_posts_of_its_own_is_a_page_like_any_other(client, tree, pages, posts, topic):
    """Bắc Ninh's page has neither posts of its own nor a page profile (issue 14: the benchmark
    crashed on such a province); it renders within the same budget."""
    assert _count(client, tree.bacninh.get_absolute_url()) <= BUDGET
