"""A citizen on a phone: home → province → district → commune → a post; search without tone
marks finds it; the unit's feed opens. Every page accessible (axe-core), screenshots saved."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from pages import services
from tests.pages.conftest import make_image, make_post, publish_post

from .support import assert_accessible, assert_fits_width, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def citizen_site(tree, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    pages = {name: services.page_create(unit=getattr(tree, name), by=None, activate=True,
                                        about=f"Trang thông tin chính thống của Mặt trận {getattr(tree, name).name}.")
             for name in ("central", "hanoi", "dongda", "vanmieu")}
    image = make_image(tree.vanmieu, alt="Cán bộ Mặt trận phường Văn Miếu trao quà cho người dân")
    post = publish_post(make_post(
        pages["vanmieu"], "Phường Văn Miếu Quốc Tử Giám trao quà Tết cho hộ nghèo", cover=image,
        summary="Ủy ban MTTQ phường trao 50 suất quà Tết cho hộ nghèo và gia đình chính sách.",
        body="<p>Sáng nay, Ủy ban MTTQ Việt Nam phường Văn Miếu Quốc Tử Giám tổ chức trao quà.</p>",
        author_line="Phạm Lan", photo_credit="Ảnh: H.Nguyệt", source_name="Mặt trận phường Văn Miếu",
    ))
    return tree, post


def test_citizen_finds_their_commune_reads_searches_and_follows(phone_page, live_url, citizen_site):
    tree, post = citizen_site
    page = phone_page
    title = post.live_revision.title

    page.goto("/")
    expect(page.locator("html")).to_have_attribute("lang", "vi")
    assert_fits_width(page)
    screenshot(page, "citizen-1-home-phone")
    assert_accessible(page)

    for unit in (tree.hanoi, tree.dongda, tree.vanmieu):
        page.locator("#main .unit-list a", has_text=unit.name).first.tap()
        expect(page).to_have_url(live_url + unit.get_absolute_url())
        expect(page.get_by_role("heading", level=1)).to_contain_text(unit.name)
        assert_fits_width(page)
        screenshot(page, f"citizen-2-{unit.kind}-phone")
        assert_accessible(page)

    page.get_by_role("link", name=title).first.tap()
    expect(page).to_have_url(live_url + post.get_absolute_url())
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    expect(page.locator("article img").first).to_have_attribute("alt", "Cán bộ Mặt trận phường Văn Miếu trao quà cho người dân")
    assert_fits_width(page)
    screenshot(page, "citizen-3-post-phone")
    assert_accessible(page)

    # Search without tone marks, from the menu.
    page.get_by_role("button", name="Danh mục").tap()
    page.locator("#header-q").fill("van mieu qua tet")
    page.locator("#header-q").press("Enter")
    expect(page.locator(".results mark").first).to_be_visible()
    result = page.locator(".result-title a", has_text="Văn Miếu")
    expect(result).to_have_count(1)
    screenshot(page, "citizen-4-search-phone")
    assert_accessible(page)
    result.tap()
    expect(page).to_have_url(live_url + post.get_absolute_url())

    # The commune's feed.
    response = page.request.get(live_url + tree.vanmieu.get_absolute_url() + "rss/")
    assert response.ok and title in response.text()
    assert response.headers["content-type"].startswith("application/rss+xml")
