"""The rollout dashboard: arithmetic on a hand-made tree, scoping, query counts, exports."""

from __future__ import annotations

import csv
import datetime
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from moderation.models import Submission
from orgunits.models import OrgUnit, UnitKind
from orgunits.services import unit_create
from rollout import reports
from rollout.models import Condition, RolloutTarget
from rollout.selectors import dashboard_for, interpolated_percentile, target_units

from .conftest import (
    activate_page,
    decided_submission,
    make_post,
    make_user,
    province_with_districts,
    published_post,
)

pytestmark = pytest.mark.django_db

DISTRICT_TARGET = "Cấp huyện có trang cộng đồng"
COMMUNE_TARGET = "Cấp xã có trang cộng đồng"
GUIDANCE_TARGET = "Tỉnh, thành phố ban hành hướng dẫn cho cấp huyện"


@pytest.fixture
def country(db):
    """Central → Tỉnh Thái Bình with 4 districts, 3 of them with an active page."""
    central = unit_create(name="Ủy ban Trung ương MTTQ Việt Nam", kind=UnitKind.CENTRAL, parent=None)
    province = province_with_districts(central, code="34", name="Thái Bình", districts=4)
    districts = list(OrgUnit.objects.filter(parent=province).order_by("lft"))
    for district in districts[:3]:
        activate_page(district)
    return OrgUnit.objects.get(pk=central.pk), province, districts


def figure(d, name):
    return next(f for f in d.targets if f.target.name == name)


def test_seeded_targets_are_the_three_of_the_source():
    targets = list(RolloutTarget.objects.values_list("unit_kind", "condition", "target_percent"))
    assert targets == [
        ("province", Condition.PUBLISHED_GUIDANCE, 100),
        ("district", Condition.ACTIVE_PAGE, 100),
        ("commune", Condition.ACTIVE_PAGE, 80),
    ]


def test_three_districts_of_four_is_75_percent_below_target_and_the_list_names_the_fourth(country, client, superuser):
    central, province, districts = country
    d = dashboard_for(root=central)
    f = figure(d, DISTRICT_TARGET)
    assert (f.met, f.total, f.percent) == (3, 4, 75.0)
    assert f.target.target_percent == 100 and not f.reached
    assert f.gap_points == 25.0 and f.units_short == 1
    [cell] = f.by_child
    assert (cell.unit, cell.met, cell.total) == (province, 3, 4)

    missing = list(target_units(target=f.target, root=central, met=False))
    assert missing == [districts[3]]

    client.force_login(superuser)
    page = client.get(reverse("rollout:dashboard")).content.decode()
    assert "75,0" in page and "Còn thiếu 1 đơn vị" in page
    listing = client.get(reverse("rollout:units"), {"unit": central.pk, "which": "missing", "target": f.target.pk})
    assert listing.status_code == 200
    text = listing.content.decode()
    assert districts[3].name in text and districts[0].name not in text
    assert districts[3].get_absolute_url() in text  # links to the unit's public page

    # Drilling down to the province shows its districts, each with its own figure.
    drilled = dashboard_for(root=province)
    rows = {c.unit.pk: (c.met, c.total) for c in figure(drilled, DISTRICT_TARGET).by_child}
    assert rows == {districts[0].pk: (1, 1), districts[1].pk: (1, 1), districts[2].pk: (1, 1), districts[3].pk: (0, 1)}


def test_guidance_counts_only_published_guidance_addressed_to_districts(tree, superuser):
    from .test_documents import make_document

    make_document(tree.hanoi, number="15/HD-MTTQ-BTT", kind="huong_dan", to="district", publish=True)
    make_document(tree.bacninh, number="07/HD-MTTQ-BTT", kind="huong_dan", to="district", publish=False)
    make_document(tree.bacninh, number="08/KH-MTTQ-BTT", kind="ke_hoach", to="district", publish=True)
    make_document(tree.bacninh, number="09/HD-MTTQ-BTT", kind="huong_dan", to="commune", publish=True)
    f = figure(dashboard_for(root=tree.central), GUIDANCE_TARGET)
    assert (f.met, f.total) == (1, 2)
    assert list(target_units(target=f.target, root=tree.central, met=False)) == [tree.bacninh]


def test_silent_pages_are_active_pages_without_a_post_for_30_days(tree, superuser, client):
    now = timezone.now()
    old = activate_page(tree.dongda)
    fresh = activate_page(tree.badinh)
    activate_page(tree.phucxa)  # nothing ever published
    published_post(old, at=now - datetime.timedelta(days=40))
    published_post(fresh, at=now - datetime.timedelta(days=5))
    d = dashboard_for(root=tree.hanoi)
    assert d.child_pages[tree.dongda.pk][2] == 1
    assert d.child_pages[tree.badinh.pk][2] == 1  # Phúc Xá; Ba Đình itself is fresh
    district = next(k for k in d.kinds if k.kind == UnitKind.DISTRICT)
    assert (district.active_pages, district.silent_pages) == (2, 1)
    client.force_login(superuser)
    listing = client.get(reverse("rollout:units"), {"unit": tree.hanoi.pk, "which": "silent"}).content.decode()
    assert tree.dongda.name in listing and tree.phucxa.name in listing
    assert f'href="{tree.badinh.get_absolute_url()}"' not in listing  # named only as Phúc Xá's parent


def test_weekly_and_monthly_activity(tree):
    page = activate_page(tree.dongda)
    now = timezone.now()
    for days in (0, 1, 8):
        published_post(page, title=f"Tin {days}", at=now - datetime.timedelta(days=days))
    d = dashboard_for(root=tree.hanoi, now=now)
    assert sum(d.weekly[tree.dongda.pk].values()) == 3
    assert sum(d.monthly[tree.dongda.pk].values()) == 3
    table = reports.weekly_table(d)
    assert table.rows[-1].cells[-1] == 3  # the total row


def test_approval_median_and_p90_on_known_durations(tree, superuser):
    page = activate_page(tree.dongda)
    approver = make_user("duyet_hn", ("approve_content", tree.hanoi))
    for i, hours in enumerate((1, 2, 3, 4, 10)):
        decided_submission(make_post(page, title=f"Bài {i}"), approving_unit=tree.hanoi, by=approver, hours=hours)
    pending = make_post(page, title="Đang chờ")
    late = decided_submission(pending, approving_unit=tree.hanoi, by=approver, hours=1)
    Submission.objects.filter(pk=late.pk).update(
        state=Submission.State.PENDING, decided_at=None, submitted_at=timezone.now() - datetime.timedelta(hours=50)
    )
    d = dashboard_for(root=tree.central)
    [a] = d.approval
    assert (a.unit_id, a.decided) == (tree.hanoi.pk, 5)
    assert a.median_hours == pytest.approx(3.0)
    assert a.p90_hours == pytest.approx(7.6)  # 4 + (10 - 4) × 0.6, as percentile_cont
    [q] = d.queue
    assert (q.unit_id, q.pending, q.overdue) == (tree.hanoi.pk, 1, 1)
    assert interpolated_percentile([1.0, 2.0, 3.0, 4.0, 10.0], 0.9) == pytest.approx(7.6)


def test_coverage_over_time_from_the_status_history(tree):
    now = timezone.now()
    activate_page(tree.dongda, at=now - datetime.timedelta(days=70))
    activate_page(tree.badinh, at=now - datetime.timedelta(days=5))
    d = dashboard_for(root=tree.central, now=now)
    series = d.timeline[UnitKind.DISTRICT]
    assert series[-1][1] == 2
    assert series[0][1] == 1
    assert all(b >= a for (_d1, a), (_d2, b) in zip(series, series[1:], strict=False))


def test_a_scoped_target_counts_only_its_region_and_an_inactive_target_is_left_out(tree):
    now = timezone.now()
    recent = RolloutTarget.objects.create(
        name="Quận, huyện Hà Nội đăng bài trong 7 ngày", unit_kind=UnitKind.DISTRICT, scope=tree.hanoi,
        condition=Condition.RECENT_POST, days=7, target_percent=100,
    )
    RolloutTarget.objects.create(name="Đã ngừng theo dõi", unit_kind=UnitKind.COMMUNE, condition=Condition.ACTIVE_PAGE,
                                 target_percent=50, is_active=False)
    published_post(activate_page(tree.dongda), at=now - datetime.timedelta(days=3))
    published_post(activate_page(tree.badinh), at=now - datetime.timedelta(days=10))
    published_post(activate_page(tree.tpbacninh), at=now - datetime.timedelta(days=1))  # outside the scope
    d = dashboard_for(root=tree.central, now=now)
    assert "Đã ngừng theo dõi" not in [f.target.name for f in d.targets]
    f = figure(d, recent.name)
    assert (f.met, f.total, f.region) == (1, 2, tree.hanoi)
    assert [(c.unit, c.met, c.total) for c in f.by_child] == [(tree.hanoi, 1, 2)]
    # The same figures from the province down, and the lists behind them agree.
    g = figure(dashboard_for(root=tree.hanoi, now=now), recent.name)
    rows = sorted((c.unit.pk, c.met, c.total) for c in g.by_child)
    assert rows == sorted([(tree.dongda.pk, 1, 1), (tree.badinh.pk, 0, 1)])
    assert list(target_units(target=recent, root=tree.central, met=True, now=now)) == [tree.dongda]
    # A province outside the scope does not measure it at all.
    assert recent.pk not in [x.target.pk for x in dashboard_for(root=tree.bacninh, now=now).targets]
    # Pages of Hà Nội's six units: two active, neither silent (silent means 30 days without a post).
    assert d.child_pages[tree.hanoi.pk] == (6, 2, 0)


# --- scoping --------------------------------------------------------------------------------------


def test_a_province_admin_sees_its_province_and_gets_404_elsewhere(tree, client):
    admin = make_user("qt_hanoi", ("admin_unit", tree.hanoi))
    client.force_login(admin)
    home = client.get(reverse("rollout:dashboard"))
    assert home.status_code == 200 and home.context["unit"] == tree.hanoi
    assert client.get(reverse("rollout:dashboard"), {"unit": tree.dongda.pk}).status_code == 200
    for other in (tree.bacninh, tree.vuninh, tree.central):
        assert client.get(reverse("rollout:dashboard"), {"unit": other.pk}).status_code == 404
        assert client.get(reverse("rollout:export", args=["chi-tieu", "csv"]), {"unit": other.pk}).status_code == 404
    assert client.get(reverse("rollout:dashboard"), {"unit": 999999}).status_code == 404
    assert client.get(reverse("rollout:dashboard"), {"unit": "x"}).status_code == 404


def test_an_approver_sees_its_subtree_an_editor_is_refused_and_anonymous_must_log_in(tree, client):
    approver = make_user("duyet_bn", ("approve_content", tree.bacninh))
    client.force_login(approver)
    assert client.get(reverse("rollout:dashboard")).context["unit"] == tree.bacninh
    editor = make_user("bt_dongda", ("edit_content", tree.dongda))
    client.force_login(editor)
    assert client.get(reverse("rollout:dashboard")).status_code == 403
    assert client.get(reverse("rollout:export", args=["chi-tieu", "xlsx"])).status_code == 403
    client.logout()
    response = client.get(reverse("rollout:dashboard"))
    assert response.status_code == 302 and "/quan-tri/login/" in response["Location"]


def test_dashboard_responses_are_private_and_never_cached(tree, client, superuser):
    client.force_login(superuser)
    response = client.get(reverse("rollout:dashboard"))
    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]


# --- query count ----------------------------------------------------------------------------------


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_the_whole_country_costs_a_constant_number_of_queries(client, superuser, django_assert_max_num_queries):
    central = unit_create(name="Ủy ban Trung ương MTTQ Việt Nam", kind=UnitKind.CENTRAL, parent=None)
    province_with_districts(central, code="01", name="Hà Nội", districts=1, communes=1)
    client.force_login(superuser)
    url = reverse("rollout:dashboard")
    small = _queries(client, url)

    for n in range(2, 6):
        province = province_with_districts(
            OrgUnit.objects.get(pk=central.pk), code=f"{n:02d}", name=f"Tỉnh {n}", districts=3, communes=3
        )
        for unit in OrgUnit.objects.in_subtree(province)[:6]:
            page = activate_page(unit)
            published_post(page, title=f"Tin {unit.pk}")
    large = _queries(client, url)
    assert large == small
    # Session, user, scope, children, targets, one GROUP BY for every target and the pages,
    # activity, approval times, queue, status history, the units' lifetimes (the timeline's
    # month-end denominators and the dates levels were dissolved), trail, and one each for the
    # spreads, the proposals and the channels: 15, whatever the number of targets.
    RolloutTarget.objects.create(name="Thêm một chỉ tiêu", unit_kind=UnitKind.DISTRICT, condition=Condition.RECENT_POST,
                                 days=7, target_percent=50)
    with django_assert_max_num_queries(15):
        client.get(url)


# --- exports --------------------------------------------------------------------------------------


def test_csv_has_a_bom_vietnamese_headers_and_the_page_rows(country, client, superuser):
    central, province, districts = country
    client.force_login(superuser)
    target = RolloutTarget.objects.get(name=DISTRICT_TARGET)
    response = client.get(reverse("rollout:export", args=[f"chi-tieu-{target.pk}", "csv"]), {"unit": central.pk})
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    body = response.content
    assert body.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[0] == ["Đơn vị", "Đạt", "Tổng số", "Tỷ lệ (%)", "Chưa đạt", "Còn thiếu để đạt chỉ tiêu (đơn vị)"]
    assert rows[1] == [province.name, "3", "4", "75,0", "1", "1"]
    assert rows[-1][0] == "Tổng"


def test_xlsx_holds_what_the_page_shows(country, client, superuser):
    central, province, districts = country
    client.force_login(superuser)
    page = client.get(reverse("rollout:dashboard"), {"unit": province.pk})
    target = RolloutTarget.objects.get(name=DISTRICT_TARGET)
    shown = page.context["tables"][f"chi-tieu-{target.pk}"]
    response = client.get(reverse("rollout:export", args=[shown.key, "xlsx"]), {"unit": province.pk})
    sheet = load_workbook(io.BytesIO(response.content)).active
    values = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert values[0] == [c.label for c in shown.columns]
    assert values[1:] == [row.cells for row in shown.rows]
    assert [v[0] for v in values[1:5]] == [d.name for d in districts]
    html = page.content.decode()
    for district in districts:
        assert district.name in html


def test_dates_are_written_dd_mm_yyyy(tree, client, superuser):
    now = timezone.now()
    page = activate_page(tree.dongda)
    published_post(page, at=now - datetime.timedelta(days=40))
    client.force_login(superuser)
    response = client.get(reverse("rollout:units"), {"unit": tree.hanoi.pk, "which": "silent", "format": "csv"})
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][:2] == ["STT", "Đơn vị"]
    expected = timezone.localtime(now - datetime.timedelta(days=40)).strftime("%d/%m/%Y")
    assert rows[1][1] == tree.dongda.name and rows[1][5] == expected
    xlsx = client.get(reverse("rollout:units"), {"unit": tree.hanoi.pk, "which": "silent", "format": "xlsx"})
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet["F2"].number_format == "DD/MM/YYYY"


# --- the lists behind the numbers: paging and bad input --------------------------------------------


def test_a_second_page_of_a_list_numbers_on_from_the_first(country, client, superuser, monkeypatch):
    from rollout import views

    central, _province, districts = country
    target = RolloutTarget.objects.get(name=DISTRICT_TARGET)
    monkeypatch.setattr(views, "LIST_PAGE_SIZE", 2)
    client.force_login(superuser)
    params = {"unit": central.pk, "which": "met", "target": target.pk}
    first = client.get(reverse("rollout:units"), params).context["table"]
    second = client.get(reverse("rollout:units"), {**params, "trang": 2}).context["table"]
    assert [row.cells[0] for row in first.rows] == [1, 2]
    assert [row.cells[0] for row in second.rows] == [3]
    assert [row.cells[1] for row in first.rows + second.rows] == [d.name for d in districts[:3]]
    junk = client.get(reverse("rollout:units"), {**params, "trang": "abc"})
    assert junk.status_code == 200 and [row.cells[0] for row in junk.context["table"].rows] == [1, 2]


@pytest.mark.parametrize("params", [
    {"which": "met"}, {"which": "met", "target": "abc"}, {"which": "met", "target": "٣"},
    {"which": "missing", "target": "999999"}, {"which": "nothing"},
])
def test_a_list_asked_for_badly_is_404_not_500(tree, client, superuser, params):
    client.force_login(superuser)
    assert client.get(reverse("rollout:units"), {"unit": tree.hanoi.pk, **params}).status_code == 404


def test_list_titles_name_the_silent_window_and_follow_the_language(settings):
    from django.utils import translation

    from rollout.selectors import SILENT_DAYS

    assert str(SILENT_DAYS) in reports.which_title("silent")
    with translation.override("vi"):
        assert reports.which_title("met") == "Đơn vị đã đạt"
    assert isinstance(reports.WHICH_TITLES["met"], type(translation.gettext_lazy("x")))
