"""The rollout dashboard across a reorganisation's effective date, on a hand-made tree run
through the 2025 reform (``reorganisation_run``) on a clock that moves through 2025.

The tree, built on 10/01/2025: Hà Nội → Quận Đống Đa (Văn Miếu, Láng Thượng, Kim Liên) and
Quận Ba Đình (Phúc Xá, Trúc Bạch); Bắc Ninh → TP Bắc Ninh (Vũ Ninh). The reform, applied on
01/07/2025: the districts go (successor: their province); Văn Miếu continues and takes Láng
Thượng and Kim Liên; Phúc Xá continues as Phường Ba Đình and takes Trúc Bạch; Vũ Ninh goes into
a new Phường Kinh Bắc. 3 districts and 6 communes before, no district and 3 communes after.

Pages went active on: Đống Đa 10/02, TP Bắc Ninh 05/03 (districts); Văn Miếu 20/02, Láng
Thượng 15/03, Kim Liên 10/04, Phúc Xá 05/05, Vũ Ninh 10/06 (communes); Trúc Bạch, Ba Đình and
Kinh Bắc never. Every expected figure is written out.
"""

from __future__ import annotations

import csv
import datetime
import io

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from guardian.shortcuts import assign_perm
from openpyxl import load_workbook

from orgunits.importers import source
from orgunits.models import OrgUnit, Reorganisation, Structure, UnitKind
from orgunits.reorganise.run import reorganisation_run
from orgunits.services import unit_create, unit_dissolve
from rollout.models import Condition, RolloutTarget
from rollout.selectors import dashboard_for

from .conftest import activate_page, make_user

pytestmark = pytest.mark.django_db

DISTRICT_TARGET = "Cấp huyện có trang cộng đồng"
COMMUNE_TARGET = "Cấp xã có trang cộng đồng"
GUIDANCE_TARGET = "Tỉnh, thành phố ban hành hướng dẫn cho cấp huyện"
LAPSED = "Không còn áp dụng từ 01/07/2025"
BREAK = "Sắp xếp lại đơn vị có hiệu lực 01/07/2025"

DATA_2025 = source.DataSet(
    structure=Structure.Y2025,
    units=[
        source.UnitRecord("province", "01", "Thành phố Hà Nội", "Hà Nội", None),
        source.UnitRecord("province", "27", "Tỉnh Bắc Ninh", "Bắc Ninh", None),
        source.UnitRecord("commune", "00001", "Phường Ba Đình", "Ba Đình", ("province", "01")),
        source.UnitRecord("commune", "00181", "Phường Văn Miếu - Quốc Tử Giám", "Văn Miếu", ("province", "01")),
        source.UnitRecord("commune", "09200", "Phường Kinh Bắc", "Kinh Bắc", ("province", "27")),
    ],
    successors={
        ("district", "006"): ("province", "01"),
        ("district", "001"): ("province", "01"),
        ("district", "256"): ("province", "27"),
        ("commune", "00187"): ("commune", "00181"),
        ("commune", "00190"): ("commune", "00181"),
        ("commune", "00004"): ("commune", "00001"),
        ("commune", "09163"): ("commune", "09200"),
    },
)


def at(day: str, hour: int = 9) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(datetime.date.fromisoformat(day), datetime.time(hour)))


class Clock:
    """``timezone.now`` held at a set time: rows created now (``auto_now_add``) get it too."""

    def __init__(self, monkeypatch) -> None:
        self.now = at("2025-01-10")
        monkeypatch.setattr(timezone, "now", lambda: self.now)

    def set(self, day: str, hour: int = 9) -> None:
        self.now = at(day, hour)


@pytest.fixture
def clock(monkeypatch) -> Clock:
    return Clock(monkeypatch)


@pytest.fixture
def units(clock) -> dict[str, OrgUnit]:
    """The tree of the module docstring, with its pages; the clock ends on 20/06/2025."""
    u: dict[str, OrgUnit] = {}
    u["central"] = unit_create(name="Ủy ban Trung ương MTTQ Việt Nam", kind=UnitKind.CENTRAL, parent=None)
    u["hanoi"] = unit_create(name="Thành phố Hà Nội", short_name="Hà Nội", kind=UnitKind.PROVINCE,
                             parent=u["central"], code="01")
    u["bacninh"] = unit_create(name="Tỉnh Bắc Ninh", short_name="Bắc Ninh", kind=UnitKind.PROVINCE,
                               parent=OrgUnit.objects.get(pk=u["central"].pk), code="27")
    for key, name, parent, code in [
        ("dongda", "Quận Đống Đa", "hanoi", "006"),
        ("badinh", "Quận Ba Đình", "hanoi", "001"),
        ("tpbacninh", "Thành phố Bắc Ninh", "bacninh", "256"),
    ]:
        u[key] = unit_create(name=name, kind=UnitKind.DISTRICT, parent=OrgUnit.objects.get(pk=u[parent].pk), code=code)
    for key, name, parent, code in [
        ("vanmieu", "Phường Văn Miếu Quốc Tử Giám", "dongda", "00181"),
        ("langthuong", "Phường Láng Thượng", "dongda", "00187"),
        ("kimlien", "Phường Kim Liên", "dongda", "00190"),
        ("phucxa", "Phường Phúc Xá", "badinh", "00001"),
        ("trucbach", "Phường Trúc Bạch", "badinh", "00004"),
        ("vuninh", "Phường Vũ Ninh", "tpbacninh", "09163"),
    ]:
        u[key] = unit_create(name=name, kind=UnitKind.COMMUNE, parent=OrgUnit.objects.get(pk=u[parent].pk), code=code)
    for key, day in [
        ("dongda", "2025-02-10"), ("vanmieu", "2025-02-20"), ("tpbacninh", "2025-03-05"),
        ("langthuong", "2025-03-15"), ("kimlien", "2025-04-10"), ("phucxa", "2025-05-05"), ("vuninh", "2025-06-10"),
    ]:
        clock.set(day)
        activate_page(OrgUnit.objects.get(pk=u[key].pk))
    clock.set("2025-06-20")
    return {k: OrgUnit.objects.get(pk=v.pk) for k, v in u.items()}


@pytest.fixture
def reformed(units, clock) -> dict[str, OrgUnit]:
    """The tree after the reform, applied on 01/07/2025; the clock ends on 15/09/2025."""
    clock.set("2025-07-01", 8)
    reorganisation_run(plan="2025", data=DATA_2025)
    clock.set("2025-09-15")
    fresh = {k: OrgUnit.objects.get(pk=v.pk) for k, v in units.items()}
    fresh["kinhbac"] = OrgUnit.objects.get(kind=UnitKind.COMMUNE, code="09200")
    return fresh


def figure(d, name):
    return next(f for f in d.targets if f.target.name == name)


def _rows(response) -> list[list[str]]:
    assert response.status_code == 200
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def _export(client, key: str, fmt: str, unit: OrgUnit):
    return client.get(reverse("rollout:export", args=[key, fmt]), {"unit": unit.pk})


def _dashboard_queries(client, unit: OrgUnit) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(reverse("rollout:dashboard"), {"unit": unit.pk}).status_code == 200
    return len(ctx.captured_queries)


# --- the targets --------------------------------------------------------------------------------


def test_before_the_reform_the_targets_count_the_old_units(units, clock):
    d = dashboard_for(root=units["central"])
    district, commune, guidance = (figure(d, n) for n in (DISTRICT_TARGET, COMMUNE_TARGET, GUIDANCE_TARGET))
    assert (district.applies, district.met, district.total, district.percent, district.units_short) == (
        True, 2, 3, 66.7, 1)
    assert district.ended_on is None
    # Văn Miếu, Láng Thượng, Kim Liên, Phúc Xá, Vũ Ninh of 6 (not Trúc Bạch): 83.3%, above 80%.
    assert (commune.met, commune.total, commune.percent, commune.reached) == (5, 6, 83.3, True)
    assert (guidance.applies, guidance.met, guidance.total) == (True, 0, 2)


def test_after_the_reform_the_district_target_lapsed_on_the_effective_date_and_communes_are_the_new_ones(reformed):
    d = dashboard_for(root=reformed["central"])
    district, commune, guidance = (figure(d, n) for n in (DISTRICT_TARGET, COMMUNE_TARGET, GUIDANCE_TARGET))
    assert (district.applies, district.total, district.percent, district.units_short) == (False, 0, None, 0)
    assert district.ended_on == datetime.date(2025, 7, 1)
    # Guidance to districts: no district left to address, since the same day.
    assert (guidance.applies, guidance.ended_on) == (False, datetime.date(2025, 7, 1))
    # The new communes: Văn Miếu and Ba Đình (ex Phúc Xá) with a page, Kinh Bắc without: 2 of 3.
    assert (commune.applies, commune.met, commune.total, commune.percent, commune.units_short) == (
        True, 2, 3, 66.7, 1)
    assert {c.unit.name: (c.met, c.total) for c in commune.by_child} == {
        "Thành phố Hà Nội": (2, 2), "Tỉnh Bắc Ninh": (0, 1)}
    assert commune.ended_on is None


def test_a_province_sees_its_own_districts_end(reformed, client):
    """A Hà Nội approver through a group: the district target lapsed in Hà Nội too."""
    group = Group.objects.create(name="Người duyệt Hà Nội")
    assign_perm("orgunits.approve_content", group, reformed["hanoi"])
    approver = make_user("duyet_hanoi")
    approver.groups.add(group)
    client.force_login(approver)
    response = client.get(reverse("rollout:dashboard"))
    assert response.status_code == 200 and response.context["unit"] == reformed["hanoi"]
    f = next(b["figure"] for b in response.context["target_blocks"] if b["figure"].target.name == DISTRICT_TARGET)
    assert (f.applies, f.ended_on) == (False, datetime.date(2025, 7, 1))
    commune = next(b["figure"] for b in response.context["target_blocks"]
                   if b["figure"].target.name == COMMUNE_TARGET)
    assert (commune.met, commune.total) == (2, 2)
    # Someone else's province is the same 404 as a missing unit; an editor has no dashboard.
    assert client.get(reverse("rollout:dashboard"), {"unit": reformed["bacninh"].pk}).status_code == 404
    assert _export(client, "chi-tieu", "csv", reformed["bacninh"]).status_code == 404
    client.force_login(make_user("bt_vanmieu", ("edit_content", reformed["vanmieu"])))
    assert client.get(reverse("rollout:dashboard")).status_code == 403
    assert _export(client, "theo-thoi-gian", "csv", reformed["vanmieu"]).status_code == 403


def test_a_scoped_target_reads_the_end_in_its_region(units, clock):
    """A district target scoped to Bắc Ninh; TP Bắc Ninh is dissolved on 15/05 without a
    reform record, Hà Nội's districts on 01/07 by the reform: seen from the centre, the
    scoped target ended on 15/05, the country-wide one on 01/07."""
    scoped = RolloutTarget.objects.create(
        name="Bắc Ninh: cấp huyện có trang", unit_kind=UnitKind.DISTRICT, scope=units["bacninh"],
        condition=Condition.ACTIVE_PAGE, target_percent=100,
    )
    clock.set("2025-05-15")
    unit_dissolve(unit=OrgUnit.objects.get(pk=units["vuninh"].pk), on=datetime.date(2025, 5, 15))
    unit_dissolve(unit=OrgUnit.objects.get(pk=units["tpbacninh"].pk), on=datetime.date(2025, 5, 15))
    clock.set("2025-07-01", 8)
    data = source.DataSet(
        structure=DATA_2025.structure, units=[r for r in DATA_2025.units if r.code != "09200"],
        successors={k: v for k, v in DATA_2025.successors.items() if k[1] not in ("09163", "256")},
    )
    reorganisation_run(plan="2025", data=data)
    clock.set("2025-09-15")
    d = dashboard_for(root=OrgUnit.objects.get(pk=units["central"].pk))
    assert (figure(d, scoped.name).applies, figure(d, scoped.name).ended_on) == (False, datetime.date(2025, 5, 15))
    assert figure(d, DISTRICT_TARGET).ended_on == datetime.date(2025, 7, 1)
    # Only the reform's date is a break: the dissolution of 15/05 has no reorganisation record.
    assert d.reforms == [datetime.date(2025, 7, 1)]


def test_a_level_that_never_existed_does_not_apply_without_a_date(clock):
    """The 2025 structure built from scratch: nothing was dissolved, so no "since"."""
    central = unit_create(name="Ủy ban Trung ương MTTQ Việt Nam", kind=UnitKind.CENTRAL, parent=None)
    province = unit_create(name="Tỉnh Tuyên Quang", kind=UnitKind.PROVINCE, parent=central, code="08")
    unit_create(name="Xã Thái Bình", kind=UnitKind.COMMUNE, parent=OrgUnit.objects.get(pk=province.pk), code="08001")
    f = figure(dashboard_for(root=OrgUnit.objects.get(pk=central.pk)), DISTRICT_TARGET)
    assert (f.applies, f.ended_on) == (False, None)


# --- what the page and the exports say ------------------------------------------------------------


def test_the_card_and_the_exports_say_since_when_the_target_no_longer_applies(reformed, client, superuser):
    client.force_login(superuser)
    html = client.get(reverse("rollout:dashboard")).content.decode()
    # The card, the targets table, and the district target's own table (its caption).
    assert html.count(LAPSED) == 2 * 3  # the district target and the guidance to districts
    assert "không còn đơn vị cấp “Quận, huyện, thị xã, thành phố thuộc tỉnh” nào đang hoạt động" in html

    rows = _rows(_export(client, "chi-tieu", "csv", reformed["central"]))
    assert rows[0][-1] == "Ghi chú"
    by_name = {row[0]: row for row in rows[1:]}
    assert by_name[DISTRICT_TARGET][2:] == ["0", "0", "–", "100", "–", "0", LAPSED]
    assert by_name[GUIDANCE_TARGET][-1] == LAPSED
    assert by_name[COMMUNE_TARGET][2:] == ["2", "3", "66,7", "80", "13,3", "1", ""]

    sheet = load_workbook(io.BytesIO(_export(client, "chi-tieu", "xlsx", reformed["central"]).content)).active
    values = {row[0]: row for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert values[DISTRICT_TARGET][-1] == LAPSED
    assert values[COMMUNE_TARGET][2:4] == (2, 3)


def test_before_the_reform_no_target_carries_a_note(units, client, superuser):
    client.force_login(superuser)
    rows = _rows(_export(client, "chi-tieu", "csv", units["central"]))
    assert [row[-1] for row in rows[1:]] == ["", "", ""]
    html = client.get(reverse("rollout:dashboard")).content.decode()
    assert "Không còn áp dụng" not in html and "Không áp dụng" not in html


# --- coverage over time -------------------------------------------------------------------------


def test_coverage_over_time_counts_the_units_of_each_month(reformed):
    d = dashboard_for(root=reformed["central"])
    days = [day for day, _n in d.timeline[UnitKind.COMMUNE]]
    assert days == [datetime.date(2025, m, e) for m, e in
                    [(2, 28), (3, 31), (4, 30), (5, 31), (6, 30), (7, 31), (8, 31), (9, 15)]]
    # Communes: one page more each month to June over the 6 old communes; from July the pages
    # of the 3 merged communes are gone with them, and the 3 new communes are the denominator.
    assert [n for _day, n in d.timeline[UnitKind.COMMUNE]] == [1, 2, 3, 4, 5, 2, 2, 2]
    assert d.timeline_units[UnitKind.COMMUNE] == [6, 6, 6, 6, 6, 3, 3, 3]
    assert [d.timeline_percent(UnitKind.COMMUNE, i) for i in range(8)] == [
        16.7, 33.3, 50.0, 66.7, 83.3, 66.7, 66.7, 66.7]
    # Districts: 1 then 2 pages of 3 to June; none exists from July on (no percentage).
    assert [n for _day, n in d.timeline[UnitKind.DISTRICT]] == [1, 2, 2, 2, 2, 0, 0, 0]
    assert d.timeline_units[UnitKind.DISTRICT] == [3, 3, 3, 3, 3, 0, 0, 0]
    assert [d.timeline_percent(UnitKind.DISTRICT, i) for i in range(8)] == [
        33.3, 66.7, 66.7, 66.7, 66.7, None, None, None]
    assert d.reforms == [datetime.date(2025, 7, 1)]


def test_the_trend_across_the_reform_compares_shares_not_counts(reformed, clock):
    """On 15/07: 2 pages of 3 new communes against 5 of 6 old ones at the end of June: −16.7
    points (the count alone, 5 → 2 over today's 3 communes, read −100)."""
    clock.set("2025-07-15")
    f = figure(dashboard_for(root=reformed["central"]), COMMUNE_TARGET)
    assert f.trend_points == -16.7
    clock.set("2025-09-15")
    assert figure(dashboard_for(root=reformed["central"]), COMMUNE_TARGET).trend_points == 0.0


def test_the_timeline_table_and_its_export_mark_the_month_of_the_reform(reformed, client, superuser):
    client.force_login(superuser)
    rows = _rows(_export(client, "theo-thoi-gian", "csv", reformed["central"]))
    assert rows[0] == [
        "Cuối tháng",
        "Quận, huyện, thị xã, thành phố thuộc tỉnh: trang hoạt động",
        "Quận, huyện, thị xã, thành phố thuộc tỉnh: số đơn vị",
        "Quận, huyện, thị xã, thành phố thuộc tỉnh: tỷ lệ (%)",
        "Xã, phường, thị trấn, đặc khu: trang hoạt động",
        "Xã, phường, thị trấn, đặc khu: số đơn vị",
        "Xã, phường, thị trấn, đặc khu: tỷ lệ (%)",
        "Ghi chú",
    ]
    assert rows[5] == ["30/06/2025", "2", "3", "66,7", "5", "6", "83,3", ""]
    assert rows[6] == ["31/07/2025", "0", "0", "–", "2", "3", "66,7", BREAK]
    assert [row[-1] for row in rows[1:]].count(BREAK) == 1

    html = client.get(reverse("rollout:dashboard")).content.decode()
    chart = html[html.index('<svg class="rt-chart rt-line"'):]
    chart = chart[: chart.index("</svg>")]
    assert f">{BREAK}</text>" in chart and 'class="break"' in chart
    assert f"{BREAK}." in chart  # in the description read out by screen readers


def test_a_dissolution_without_a_reform_drops_the_pages_but_marks_no_break(clock):
    """Two districts with pages; one dissolved on 20/03 by hand (no reorganisation): 2 of 2 in
    February, 1 of 1 from March, and the timeline table has no note column."""
    central = unit_create(name="Ủy ban Trung ương MTTQ Việt Nam", kind=UnitKind.CENTRAL, parent=None)
    province = unit_create(name="Tỉnh Thái Bình", kind=UnitKind.PROVINCE, parent=central, code="34")
    kept = unit_create(name="Huyện Vũ Thư", kind=UnitKind.DISTRICT, parent=province, code="3401")
    gone = unit_create(name="Huyện Kiến Xương", kind=UnitKind.DISTRICT, parent=OrgUnit.objects.get(pk=province.pk),
                       code="3402")
    clock.set("2025-02-03")
    activate_page(OrgUnit.objects.get(pk=kept.pk))
    activate_page(OrgUnit.objects.get(pk=gone.pk))
    clock.set("2025-03-20")
    unit_dissolve(unit=OrgUnit.objects.get(pk=gone.pk), on=datetime.date(2025, 3, 20))
    clock.set("2025-04-10")
    d = dashboard_for(root=OrgUnit.objects.get(pk=province.pk))
    assert d.timeline[UnitKind.DISTRICT] == [
        (datetime.date(2025, 2, 28), 2), (datetime.date(2025, 3, 31), 1), (datetime.date(2025, 4, 10), 1)]
    assert d.timeline_units[UnitKind.DISTRICT] == [2, 1, 1]
    assert d.reforms == [] and not Reorganisation.objects.exists()
    from rollout.reports import timeline_table

    assert "Ghi chú" not in [c.label for c in timeline_table(d).columns]


# --- queries --------------------------------------------------------------------------------------


def test_the_dashboard_costs_the_same_queries_before_and_after_the_reform(units, clock, client, superuser,
                                                                         django_assert_max_num_queries):
    client.force_login(superuser)
    before = _dashboard_queries(client, units["central"])
    clock.set("2025-07-01", 8)
    reorganisation_run(plan="2025", data=DATA_2025)
    clock.set("2025-09-15")
    client.force_login(superuser)  # the session of June has expired by September
    central = OrgUnit.objects.get(pk=units["central"].pk)
    assert _dashboard_queries(client, central) == before
    # The budget of test_dashboard.py (15 for one's own dashboard), one more for ``?unit=``.
    with django_assert_max_num_queries(15):
        assert client.get(reverse("rollout:dashboard")).status_code == 200
    with django_assert_max_num_queries(16):
        assert _export(client, "theo-thoi-gian", "xlsx", central).status_code == 200
