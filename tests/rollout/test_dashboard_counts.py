"""The dashboard's figures on hand-made trees, one counting rule per test: dissolved units,
suspended and closed pages, units without pages, and the 2025 structure with no districts.
Each expected figure is written out; the list behind a number must name as many units as the
number says."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse

from orgunits.models import OrgUnit, UnitKind
from orgunits.services import unit_create, unit_dissolve
from pages import services as page_services
from pages.models import PageStatus
from rollout.selectors import dashboard_for, silent_pages_units, target_units

from .conftest import activate_page

pytestmark = pytest.mark.django_db

DISTRICT_TARGET = "Cấp huyện có trang cộng đồng"
COMMUNE_TARGET = "Cấp xã có trang cộng đồng"
GUIDANCE_TARGET = "Tỉnh, thành phố ban hành hướng dẫn cho cấp huyện"


def figure(d, name):
    return next(f for f in d.targets if f.target.name == name)


def _kind(d, kind):
    return next(k for k in d.kinds if k.kind == kind)


def _central() -> OrgUnit:
    return unit_create(name="Ủy ban Trung ương MTTQ Việt Nam", kind=UnitKind.CENTRAL, parent=None)


def _listed(client, superuser, root, **params) -> str:
    client.force_login(superuser)
    response = client.get(reverse("rollout:units"), {"unit": root.pk, **params})
    assert response.status_code == 200
    return response.content.decode()


def test_a_dissolved_district_leaves_the_silent_figure_and_its_list_alike(client, superuser):
    """Two districts with pages, nothing published; one is dissolved: 1 silent page, and the
    list behind the figure names that one only (it named both before)."""
    central = _central()
    province = unit_create(name="Tỉnh Thái Bình", kind=UnitKind.PROVINCE, parent=central, code="34")
    kept = unit_create(name="Huyện Vũ Thư", kind=UnitKind.DISTRICT, parent=province, code="3401")
    gone = unit_create(name="Huyện Kiến Xương", kind=UnitKind.DISTRICT, parent=province, code="3402")
    activate_page(kept)
    activate_page(gone)
    unit_dissolve(unit=gone, on=datetime.date(2025, 7, 1))
    province = OrgUnit.objects.get(pk=province.pk)

    d = dashboard_for(root=province)
    assert _kind(d, UnitKind.DISTRICT).silent_pages == 1
    assert sum(silent for _total, _active, silent in d.child_pages.values()) == 1
    assert [u.name for u in silent_pages_units(root=province)] == ["Huyện Vũ Thư"]

    listing = _listed(client, superuser, province, which="silent")
    assert "Huyện Vũ Thư" in listing
    assert "Huyện Kiến Xương" not in listing


def test_a_dissolved_district_is_neither_measured_nor_listed_as_missing(client, superuser):
    """Three districts: one with a page, one without, one without a page and dissolved:
    1 of 2, and the missing list names only the live one without a page."""
    central = _central()
    province = unit_create(name="Tỉnh Nam Định", kind=UnitKind.PROVINCE, parent=central, code="36")
    with_page = unit_create(name="Huyện Vụ Bản", kind=UnitKind.DISTRICT, parent=province, code="3601")
    unit_create(name="Huyện Ý Yên", kind=UnitKind.DISTRICT, parent=province, code="3602")
    gone = unit_create(name="Huyện Mỹ Lộc", kind=UnitKind.DISTRICT, parent=province, code="3603")
    activate_page(with_page)
    unit_dissolve(unit=gone, on=datetime.date(2025, 7, 1))
    central = OrgUnit.objects.get(pk=central.pk)

    f = figure(dashboard_for(root=central), DISTRICT_TARGET)
    assert (f.met, f.total, f.units_short) == (1, 2, 1)
    missing = [u.name for u in target_units(target=f.target, root=central, met=False)]
    assert missing == ["Huyện Ý Yên"]
    listing = _listed(client, superuser, central, which="missing", target=f.target.pk)
    assert "Huyện Ý Yên" in listing and "Huyện Mỹ Lộc" not in listing


def test_suspended_and_closed_pages_are_not_active_and_never_silent(client, superuser):
    """Four districts: an active page, a suspended one, a closed one, and a page not set up:
    1 of 4 met; 1 active page, and it alone is silent."""
    central = _central()
    province = unit_create(name="Tỉnh Hà Nam", kind=UnitKind.PROVINCE, parent=central, code="35")
    names = ["Huyện Kim Bảng", "Huyện Thanh Liêm", "Huyện Bình Lục", "Huyện Lý Nhân"]
    districts = [
        unit_create(name=name, kind=UnitKind.DISTRICT, parent=province, code=f"35{i:02d}")
        for i, name in enumerate(names)
    ]
    activate_page(districts[0])
    suspended = activate_page(districts[1])
    page_services.page_set_status(page=suspended, status=PageStatus.SUSPENDED, by=None, reason="Chưa có người phụ trách")
    closed = activate_page(districts[2])
    page_services.page_set_status(page=closed, status=PageStatus.CLOSED, by=None, reason="Sáp nhập")
    page_services.page_create(unit=districts[3], by=None, activate=False)
    province = OrgUnit.objects.get(pk=province.pk)

    d = dashboard_for(root=province)
    f = figure(d, DISTRICT_TARGET)
    assert (f.met, f.total) == (1, 4)
    district = _kind(d, UnitKind.DISTRICT)
    assert (district.total, district.active_pages, district.silent_pages) == (4, 1, 1)
    missing = [u.name for u in target_units(target=f.target, root=province, met=False)]
    assert missing == ["Huyện Thanh Liêm", "Huyện Bình Lục", "Huyện Lý Nhân"]
    assert [u.name for u in silent_pages_units(root=province)] == ["Huyện Kim Bảng"]
    listing = _listed(client, superuser, province, which="silent")
    assert "Huyện Kim Bảng" in listing and "Huyện Thanh Liêm" not in listing and "Huyện Bình Lục" not in listing


def test_units_without_a_page_count_in_the_total_and_in_the_missing_list(client, superuser):
    """Five communes of a district, two with a page: 2 of 5 is 40%, 2 short of 80%."""
    central = _central()
    province = unit_create(name="Tỉnh Ninh Bình", kind=UnitKind.PROVINCE, parent=central, code="37")
    district = unit_create(name="Huyện Gia Viễn", kind=UnitKind.DISTRICT, parent=province, code="3701")
    communes = [
        unit_create(name=f"Xã Gia {name}", kind=UnitKind.COMMUNE, parent=OrgUnit.objects.get(pk=district.pk),
                    code=f"3701{i:02d}")
        for i, name in enumerate(["Hòa", "Hưng", "Phong", "Vân", "Lạc"])
    ]
    activate_page(communes[0])
    activate_page(communes[1])
    central = OrgUnit.objects.get(pk=central.pk)

    d = dashboard_for(root=central)
    f = figure(d, COMMUNE_TARGET)
    assert (f.met, f.total, f.percent, f.units_short) == (2, 5, 40.0, 2)
    commune = _kind(d, UnitKind.COMMUNE)
    assert (commune.total, commune.active_pages) == (5, 2)
    missing = [u.name for u in target_units(target=f.target, root=central, met=False)]
    assert missing == ["Xã Gia Phong", "Xã Gia Vân", "Xã Gia Lạc"]
    page = _listed(client, superuser, central, which="missing", target=f.target.pk)
    assert "Xã Gia Lạc" in page and "Chưa có trang" in page


def test_in_the_2025_structure_the_district_targets_do_not_apply(client, superuser):
    """Central → province → communes, no district level: the district page target and the
    guidance to districts do not apply (not 0%, not "short of"); the commune target counts."""
    central = _central()
    province = unit_create(name="Tỉnh Tuyên Quang", kind=UnitKind.PROVINCE, parent=central, code="08")
    for i, name in enumerate(["Phường Minh Xuân", "Xã Thái Bình", "Xã Kim Bình", "Xã Hồng Thái"]):
        commune = unit_create(name=name, kind=UnitKind.COMMUNE, parent=OrgUnit.objects.get(pk=province.pk),
                              code=f"08{i:03d}")
        if i < 3:
            activate_page(commune)
    central = OrgUnit.objects.get(pk=central.pk)

    d = dashboard_for(root=central)
    district, guidance, commune = (figure(d, n) for n in (DISTRICT_TARGET, GUIDANCE_TARGET, COMMUNE_TARGET))
    assert (district.applies, district.total, district.units_short) == (False, 0, 0)
    assert (guidance.applies, guidance.units_short) == (False, 0)
    assert (commune.applies, commune.met, commune.total, commune.percent, commune.reached) == (True, 3, 4, 75.0, False)

    client.force_login(superuser)
    page = client.get(reverse("rollout:dashboard")).content.decode()
    assert page.count("Không áp dụng") == 2
    assert "Còn thiếu 1 đơn vị" in page  # the commune target: 80% of 4 is 4 units
