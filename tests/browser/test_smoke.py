"""Smoke test in a real browser: the public placeholder pages and the admin login, on a phone."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import expect

from .support import admin_login, assert_accessible, assert_fits_width, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_home_lists_provinces_and_leads_to_a_province_page(phone_page, live_url, tree):
    page = phone_page
    page.goto("/")
    expect(page.locator("html")).to_have_attribute("lang", "vi")
    expect(page.get_by_role("heading", level=1)).to_have_text("Trang cộng đồng")
    provinces = page.locator("#main ul.unit-list > li > a")
    expect(provinces).to_have_text([tree.hanoi.name, tree.bacninh.name])  # by code: 01, 27
    assert_fits_width(page)
    screenshot(page, "home-phone")
    assert_accessible(page)

    page.get_by_role("link", name=tree.hanoi.name, exact=True).tap()
    expect(page).to_have_url(live_url + tree.hanoi.get_absolute_url())
    expect(page.locator("html")).to_have_attribute("lang", "vi")
    expect(page.get_by_role("heading", level=1)).to_have_text(tree.hanoi.display_name)
    expect(page.get_by_role("navigation", name="Đường dẫn").locator("[aria-current=page]")).to_have_text(
        tree.hanoi.name
    )
    expect(page.locator("#main ul.unit-list > li > a")).to_have_text([tree.badinh.name, tree.dongda.name])
    assert_fits_width(page)
    screenshot(page, "province-phone")
    assert_accessible(page)


def test_admin_login_with_the_form_reaches_the_admin_index(phone_page, settings):
    settings.VIETFRONT_REQUIRE_2FA = False
    User.objects.create_superuser("quantri", "quantri@example.vn", "mat-khau-thu-nghiem")
    page = phone_page

    page.goto("/quan-tri/")
    expect(page).to_have_url(re.compile(r"/quan-tri/login/\?next=/quan-tri/$"))
    expect(page.locator("html")).to_have_attribute("lang", "vi")
    screenshot(page, "admin-login-phone")
    assert_accessible(page)

    page.get_by_label("Tên đăng nhập").fill("quantri")
    page.get_by_label("Mật khẩu").fill("mat-khau-thu-nghiem")
    page.locator("#login-form [type=submit]").tap()

    expect(page).to_have_url(re.compile(r"/quan-tri/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Quản trị")
    expect(page.locator("#user-tools")).to_contain_text("quantri")
    screenshot(page, "admin-index-phone")
    assert_accessible(page)


def test_admin_login_helper_on_the_desktop(desktop_page, settings):
    settings.VIETFRONT_REQUIRE_2FA = False
    User.objects.create_superuser("quantri", "quantri@example.vn", "mat-khau-thu-nghiem")
    page = desktop_page
    admin_login(page, "quantri", "mat-khau-thu-nghiem", next_path="/quan-tri/auth/user/")
    expect(page.get_by_role("link", name="quantri", exact=True)).to_be_visible()
    assert_fits_width(page)
    screenshot(page, "admin-users-desktop")
