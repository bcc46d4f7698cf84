"""The dashboard's shape: the summary first, one block per indicator with its lowest and highest
units, the full tables folded and in the exports; the same at every level; one number format."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from orgunits.models import OrgUnit, UnitKind
from orgunits.services import unit_create
from rollout import charts, selectors
from rollout.tables import INT, format_cell

from .conftest import activate_page, province_with_districts

pytestmark = pytest.mark.django_db

DISTRICT_TARGET = "Cấp huyện có trang cộng đồng"


@pytest.fixture
def twelve(db):
    """Central → 12 provinces, province n with n districts (n = 1…12), the first district of
    each with an active page: 1/n of the districts of province n."""
    central = unit_create(name="Ủy ban Trung ương MTTQ Việt Nam", kind=UnitKind.CENTRAL, parent=None)
    for n in range(1, 13):
        province = province_with_districts(OrgUnit.objects.get(pk=central.pk), code=f"{n:02d}", name=f"Tỉnh {n:02d}",
                                           districts=n)
        activate_page(OrgUnit.objects.filter(parent=province).order_by("lft").first())
    return OrgUnit.objects.get(pk=central.pk)


def _dashboard(client, superuser, **params) -> str:
    client.force_login(superuser)
    response = client.get(reverse("rollout:dashboard"), params)
    assert response.status_code == 200
    return response.content.decode()


def _table(html: str, key: str) -> str:
    start = html.index(f'id="bang-{key}"')
    return html[start:html.index("</figure>", start)]


def _row_names(table: str) -> list[str]:
    return re.findall(r'<tr><th scope="row" class="t-text">(?:<a href="[^"]+">)?([^<]+)', table)


def test_summary_first_then_one_block_per_indicator_then_the_full_tables(twelve, client, superuser):
    html = _dashboard(client, superuser)
    target = selectors.RolloutTarget.objects.get(name=DISTRICT_TARGET)
    summary, block, full = (html.index(f'id="{h}"') for h in ("h-targets", f"h-target-{target.pk}", "h-full"))
    assert summary < block < full
    # The block: a chart of all 12 provinces and the 5 lowest and 5 highest, lowest first.
    section = html[block:html.index("</section>", block)]
    assert section.count('<rect class="bar ') == 12
    assert _row_names(_table(section, f"chi-tieu-{target.pk}-thap")) == [f"Tỉnh {n:02d}" for n in (12, 11, 10, 9, 8)]
    assert _row_names(_table(section, f"chi-tieu-{target.pk}-cao")) == [f"Tỉnh {n:02d}" for n in (1, 2, 3, 4, 5)]
    # The full table: one click away (a folded <details>), every province and the total.
    folded = html[html.index(f'<details id="day-du-chi-tieu-{target.pk}">'):]
    folded = folded[:folded.index("</details>")]
    assert len(_row_names(_table(folded, f"chi-tieu-{target.pk}"))) == 12
    assert "(13 dòng)" in folded
    # ... and in the exports, with the same rows.
    csv = client.get(reverse("rollout:export", args=[f"chi-tieu-{target.pk}", "csv"])).content.decode("utf-8-sig")
    assert len(csv.strip().splitlines()) == 1 + 13


def test_drilling_down_keeps_the_same_shape(twelve, client, superuser):
    province = OrgUnit.objects.get(name="Tỉnh 12")
    target = selectors.RolloutTarget.objects.get(name=DISTRICT_TARGET)
    html = _dashboard(client, superuser, unit=province.pk)
    for heading in ("h-targets", f"h-target-{target.pk}", "h-full"):
        assert f'id="{heading}"' in html
    assert 'aria-labelledby="h-map"' not in html  # the map is the country's
    section = html[html.index(f'id="h-target-{target.pk}"'):]
    section = section[:section.index("</section>")]
    assert section.count('<rect class="bar ') == 12  # the province's 12 districts
    assert "5 đơn vị thấp nhất" in section and "5 đơn vị cao nhất" in section
    # A district: its own row only; the same blocks, one small ranked table.
    district = OrgUnit.objects.filter(parent=province).order_by("lft").first()
    html = _dashboard(client, superuser, unit=district.pk)
    section = html[html.index(f'id="h-target-{target.pk}"'):]
    assert "Xếp hạng, từ thấp đến cao" in section[:section.index("</section>")]


def test_numbers_read_the_vietnamese_way_on_the_cards_the_tables_and_the_charts(twelve, client, superuser, monkeypatch):
    assert format_cell(8025, INT) == "8.025"
    assert "1.234 đơn vị" in charts.column_chart(title="t", rows=[("a", 50.0, None)] * 1234, target=80).description
    # A card's "short of" figure goes through the same format (it was printed raw: "8025").
    monkeypatch.setattr(selectors, "units_short", lambda target, met, total: 8025)
    html = _dashboard(client, superuser)
    assert "Còn thiếu 8.025 đơn vị" in html and "8025" not in html
