"""Search on a phone as the issue tried it: "dong da" and "Đống Đa" give the Quận Đống Đa card
first and the Đống Đa post above any other; the unit filter suggests units as one types."""

from __future__ import annotations

import os

import pytest
from playwright.sync_api import expect

from pages import services
from tests.pages.conftest import make_post, publish_post

from .support import assert_accessible, assert_fits_width

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

#: Where the search page's screenshots go (outside the repository); unset: none are written.
SHOTS = os.environ.get("SEARCH_SCREENSHOTS", "")


@pytest.fixture
def search_site(tree, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    pages = {name: services.page_create(unit=getattr(tree, name), by=None, activate=True, about="Giới thiệu")
             for name in ("central", "hanoi", "dongda", "vanmieu", "bacninh")}
    for page, title, body in [
        (pages["bacninh"], "Bắc Ninh: đang dẫn đầu phong trào đại đoàn kết", "Đông đảo nhân dân đã tham gia."),
        (pages["dongda"], "Quận Đống Đa tổng kết cuộc vận động “Ngày vì người nghèo”",
         "Ủy ban MTTQ quận Đống Đa đã trao 300 suất quà cho hộ nghèo trên địa bàn."),
        (pages["vanmieu"], "Phường Văn Miếu - Quốc Tử Giám trao quà cho hộ nghèo",
         "Nhân dịp Tết, phường thuộc quận Đống Đa trao 50 suất quà."),
        (pages["hanoi"], "Hà Nội phát động Ngày hội Đại đoàn kết toàn dân tộc", "Các khu dân cư tham gia."),
    ]:
        publish_post(make_post(page, title, body=f"<p>{body}</p>"))
    return tree


def _shot(page, name: str) -> None:
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, f"{name}.png"), full_page=True)


@pytest.mark.parametrize("query", ["dong da", "Đống Đa"])
def test_phone_search_puts_the_unit_card_and_the_dong_da_post_first(phone_page, search_site, query):
    page = phone_page
    page.goto("/tim-kiem/")
    page.locator("#q").fill(query)
    page.locator("#q").press("Enter")
    card = page.locator(".unit-card")
    expect(card).to_contain_text("Quận Đống Đa — trang cộng đồng")
    first = page.locator(".result-title a").first
    expect(first).to_have_text("Quận Đống Đa tổng kết cuộc vận động “Ngày vì người nghèo”")
    # Both boxes in one layout, once the page has settled (the unit suggestions of the search
    # box may still be open and push the page down while the answer loads).
    page.wait_for_load_state("networkidle")
    card_y, first_y = page.evaluate(
        "() => [document.querySelector('.unit-card'), document.querySelector('.result-title a')]"
        ".map(e => e.getBoundingClientRect().top + window.scrollY)"
    )
    assert card_y < first_y
    expect(page.locator(".results mark").first).to_have_text("Đống")
    expect(page.locator(".count")).to_have_text("4 kết quả")
    titles = page.locator(".result-title a").all_inner_texts()
    assert titles.index("Bắc Ninh: đang dẫn đầu phong trào đại đoàn kết") > 0
    assert_fits_width(page)
    assert_accessible(page)
    if query == "dong da":
        _shot(page, "search-390")


def test_unit_filter_suggests_units_and_keeps_them_in_the_url(desktop_page, search_site):
    page = desktop_page
    page.set_viewport_size({"width": 1366, "height": 900})
    page.goto("/tim-kiem/?q=ho+ngheo")
    page.locator("summary", has_text="Lọc kết quả").click()
    page.locator("#f-unit").fill("dong da")
    options = page.locator("#f-unit-list option")
    expect(options).to_have_count(1)
    assert options.first.get_attribute("value") == search_site.dongda.path
    page.locator("#f-unit").fill(search_site.dongda.path)
    page.locator("button", has_text="Áp dụng bộ lọc").click()
    expect(page).to_have_url(f"{page.url.split('?')[0]}?q=ho+ngheo&chu-de=&don-vi=ha-noi%2Fquan-dong-da&tu=&den=")
    expect(page.locator(".page-sub")).to_contain_text("Chỉ tìm trong Quận Đống Đa")
    expect(page.locator(".result-title a")).to_have_count(2)
    page.goto("/tim-kiem/?q=dong+da")
    assert_accessible(page)
    _shot(page, "search-1366")
