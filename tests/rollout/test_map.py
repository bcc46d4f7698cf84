"""The map of provinces on the central dashboard: one dot per province, read coordinates once."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from orgunits.models import OrgUnit
from rollout import charts, geo

from .conftest import activate_page

pytestmark = pytest.mark.django_db


def _map_section(html: str) -> str:
    start = html.index('aria-labelledby="h-map"')
    return html[start:html.index("</section>", start)]


def test_the_central_dashboard_draws_one_dot_per_province_and_the_same_numbers_as_a_table(tree, client, superuser):
    for unit in (tree.vanmieu, tree.langthuong, tree.phucxa):
        activate_page(OrgUnit.objects.get(pk=unit.pk))
    geo.province_centroids.cache_clear()
    client.force_login(superuser)
    html = client.get(reverse("rollout:dashboard")).content.decode()
    section = _map_section(html)
    svg = section[section.index("<svg"):section.index("</svg>")]
    assert 'role="img"' in svg and "<title id=" in svg and "<desc id=" in svg
    dots = re.findall(r'<circle class="dot (\w+)"[^>]*><title>([^<]+)</title>', svg)
    assert sorted(name.split(":")[0] for _css, name in dots) == sorted([tree.hanoi.name, tree.bacninh.name])
    classes = {name.split(":")[0]: css for css, name in dots}
    # Hà Nội: 3 communes of 3 with a page (100% ≥ 80%); Bắc Ninh: 0 of 1.
    assert classes == {tree.hanoi.name: "reached", tree.bacninh.name: "below"}
    # The table alternative holds the same provinces and figures, with drill-down links.
    table = section[section.index('id="bang-ban-do"'):]
    assert tree.hanoi.name in table and tree.bacninh.name in table and "100,0" in table
    assert f"?unit={tree.hanoi.pk}" in table

    # A second request reads no coordinates again.
    client.get(reverse("rollout:dashboard"))
    assert geo.province_centroids.cache_info().misses == 1


def test_a_province_dashboard_has_no_map(tree, client, superuser):
    client.force_login(superuser)
    html = client.get(reverse("rollout:dashboard"), {"unit": tree.hanoi.pk}).content.decode()
    assert 'aria-labelledby="h-map"' not in html


def test_the_map_exports_like_every_table(tree, client, superuser):
    client.force_login(superuser)
    response = client.get(reverse("rollout:export", args=["ban-do", "csv"]))
    assert response.status_code == 200
    assert tree.hanoi.name in response.content.decode("utf-8-sig")


def test_centroids_come_from_the_structure_the_tree_follows():
    # "Tuyên Quang" (08) exists in both structures, elsewhere: Hà Giang (02) says pre-2025...
    legacy = geo.centroids_for([("08", "Tỉnh Tuyên Quang"), ("02", "Tỉnh Hà Giang")])
    assert legacy["08"] == geo.province_centroids()["pre-2025"]["08"]
    # ...and Bắc Ninh under the 2025 code 24 (Bắc Giang's before) says 2025.
    current = geo.centroids_for([("08", "Tỉnh Tuyên Quang"), ("24", "Tỉnh Bắc Ninh")])
    assert current["08"] == geo.province_centroids()["2025"]["08"]
    assert legacy["08"] != current["08"]
    assert geo.centroids_for([("99", "Tỉnh Không Có")]) == {}


def test_the_projection_puts_the_north_up_and_the_east_right():
    hanoi = charts.project(21.03, 105.83)
    saigon = charts.project(10.78, 106.70)
    danang = charts.project(16.05, 108.20)
    assert hanoi[1] < danang[1] < saigon[1]
    assert hanoi[0] < danang[0]
    drawn = charts.dot_map(title="t", places=[("A", (21.0, 105.8), 90.0, 100), ("B", None, None, 0)], target=80)
    assert [d.css for d in drawn.dots] == ["reached"] and drawn.unplaced == ["B"]
    assert 0 < drawn.dots[0].x < drawn.width and 0 < drawn.dots[0].y < drawn.height
