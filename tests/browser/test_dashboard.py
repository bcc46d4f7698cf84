"""The rollout dashboard in a real browser: a province admin drills down and downloads XLSX."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from orgunits.models import OrgUnit
from tests.pages.conftest import make_user
from tests.rollout.conftest import activate_page

from .support import admin_login, assert_accessible, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_province_admin_drills_down_and_downloads_what_the_page_shows(desktop_page, phone_page, tree, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.VIETFRONT_REQUIRE_2FA = False
    for unit in (tree.hanoi, tree.dongda, tree.vanmieu, tree.phucxa):
        activate_page(OrgUnit.objects.get(pk=unit.pk))
    user = make_user("qt_hanoi", ("admin_unit", tree.hanoi))
    user.set_password("mat-khau-thu-nghiem")
    user.save()

    page = desktop_page
    admin_login(page, "qt_hanoi", "mat-khau-thu-nghiem", next_path="/bang-dieu-khien/")
    page.goto("/bang-dieu-khien/")
    expect(page.get_by_role("heading", level=1)).to_contain_text(tree.hanoi.name)
    screenshot(page, "dashboard-province-desktop")
    assert_accessible(page)

    # The full tables are folded under "Bảng số liệu đầy đủ": one click opens each.
    page.locator(".rt-full summary", has_text="Trang cộng đồng theo đơn vị trực thuộc").click()
    page.locator("#bang-don-vi").get_by_role("link", name=tree.dongda.name, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(tree.dongda.name)
    page.locator(".rt-full summary", has_text="Cấp xã có trang cộng đồng").click()
    table = page.locator(".rt-full [id^=bang-chi-tieu-]").filter(has_text="Cấp xã").first
    shown = [
        [cell.strip() for cell in row.locator("th, td").all_inner_texts()]
        for row in table.locator("tbody tr").all()
    ]
    assert [r[0] for r in shown[:-1]] == [tree.vanmieu.name, tree.langthuong.name] or shown
    with page.expect_download() as info:
        table.get_by_role("link", name="XLSX").click()
    path = tmp_path / "bang.xlsx"
    info.value.save_as(path)
    sheet = load_workbook(io.BytesIO(path.read_bytes())).active
    rows = [[("" if v is None else v) for v in row] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert [r[0] for r in rows] == [r[0] for r in shown]
    assert [r[1:3] for r in rows] == [[int(c) for c in r[1:3]] for r in shown]

    phone = phone_page
    admin_login(phone, "qt_hanoi", "mat-khau-thu-nghiem", next_path="/bang-dieu-khien/")
    phone.goto("/bang-dieu-khien/")
    expect(phone.get_by_role("heading", level=1)).to_contain_text(tree.hanoi.name)
    screenshot(phone, "dashboard-province-phone")
    assert_accessible(phone)


def test_the_central_dashboard_shows_the_map_of_provinces_accessibly(desktop_page, phone_page, tree, settings, tmp_path):
    from django.contrib.auth import get_user_model

    settings.MEDIA_ROOT = tmp_path / "media"
    settings.VIETFRONT_REQUIRE_2FA = False
    for unit in (tree.vanmieu, tree.langthuong, tree.phucxa):
        activate_page(OrgUnit.objects.get(pk=unit.pk))
    get_user_model().objects.create_superuser(username="root", password="mat-khau-thu-nghiem", email="r@example.org")

    for page, name in ((desktop_page, "desktop"), (phone_page, "phone")):
        admin_login(page, "root", "mat-khau-thu-nghiem", next_path="/bang-dieu-khien/")
        page.goto("/bang-dieu-khien/")
        section = page.locator("section.rt-map")
        expect(section.get_by_role("img")).to_be_visible()
        assert section.locator("circle.dot").count() == 2
        expect(section.locator("#bang-ban-do")).to_contain_text(tree.hanoi.name)
        screenshot(page, f"dashboard-map-{name}")
        assert_accessible(page)
