"""Spreading in a real browser: Hà Nội's approver spreads a post to every commune of Quận Đống
Đa from the post list, watches the progress, and a commune's page shows it with its provenance."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from moderation.services import post_publish_imported
from pages.models import Post
from pages.services import page_create, post_save
from tests.pages.conftest import make_user

from .support import DESKTOP, PHONE, TIMEOUT_MS, admin_login, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TITLE = "Hà Nội phát động tháng cao điểm “Vì người nghèo”"


@pytest.fixture
def hanoi(tree, settings):
    settings.VIETFRONT_REQUIRE_2FA = False
    for unit in (tree.central, tree.hanoi, tree.dongda, tree.vanmieu, tree.badinh, tree.phucxa):
        page_create(unit=unit, by=None, activate=True)  # Láng Thượng has no page yet
    approver = make_user("duyet.hanoi", ("approve_content", tree.hanoi), ("edit_content", tree.hanoi))
    approver.set_password("mat-khau-thu-nghiem")
    approver.save()
    post = post_save(post=Post(page=tree.hanoi.page, title=TITLE, summary="Các phường, xã cùng hưởng ứng."), by=None)
    from django.utils import timezone

    post_publish_imported(post=post, by=None, published_at=timezone.now(), reason="test")
    return post


def test_the_hanoi_approver_spreads_a_post_to_the_communes_of_dong_da(browser, live_url, tree, hanoi):
    context = browser.new_context(base_url=live_url, locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh", **DESKTOP)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    admin_login(page, "duyet.hanoi", "mat-khau-thu-nghiem")
    page.goto("/quan-tri/pages/post/")
    page.locator(f"input[name=_selected_action][value='{hanoi.pk}']").check()
    page.locator("select[name=action]").select_option("spread_down_action")
    page.locator("button[name=index]").click()
    expect(page.get_by_role("heading", name=re.compile("Lan tỏa xuống cấp dưới"))).to_be_visible()

    page.get_by_label("Các đơn vị được chọn").check()
    page.locator("#id_units + .select2 .select2-selection").click()
    page.locator(".select2-container--open .select2-search__field").fill("Đống Đa")
    page.locator(".select2-results__option", has_text="Quận Đống Đa").first.click()
    page.get_by_label("Xã, phường, thị trấn, đặc khu").check()
    screenshot(page, "spreading-send-desktop")
    page.get_by_role("button", name="Lan tỏa").click()

    expect(page.get_by_role("heading", name=re.compile("Tiến độ lan tỏa"))).to_be_visible()
    expect(page.locator("#spread-state")).to_have_text("Đã gửi xong")
    expect(page.locator("[data-state=shown] strong")).to_have_text("1")
    expect(page.locator("[data-state=failed] strong")).to_have_text("0")
    # Láng Thượng has no page: said apart, not sent, not a failure.
    expect(page.locator("#spread-without-page")).to_contain_text("1 đơn vị trong phạm vi đã chọn chưa có trang")
    page.locator("[data-state=shown] a").click()
    expect(page.locator("#spread-rows")).to_contain_text("Phường Văn Miếu Quốc Tử Giám")
    expect(page.locator("#spread-rows")).not_to_contain_text("Láng Thượng")
    screenshot(page, "spreading-progress-desktop")
    context.close()

    for device, size in (("desktop", DESKTOP), ("phone", PHONE)):
        reader = browser.new_context(base_url=live_url, locale="vi-VN", **size)
        commune = reader.new_page()
        commune.goto(tree.vanmieu.get_absolute_url())
        box = commune.locator("section[aria-labelledby=from-above-h]")
        expect(box.get_by_role("heading", name="Từ cấp trên")).to_be_visible()
        expect(box.get_by_role("link", name="Tin từ Thành phố Hà Nội")).to_have_attribute(
            "href", tree.hanoi.get_absolute_url())
        box.get_by_role("link", name=TITLE).click()
        expect(commune).to_have_url(re.compile(re.escape(hanoi.get_absolute_url()) + "$"))
        screenshot(commune, f"spreading-commune-{device}")
        reader.close()
