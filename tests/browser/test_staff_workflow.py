"""The staff side end to end in a real browser, on a desktop and on a phone: an editor writes a
post with a photo and a document and submits it; the approver above reviews it, sees the photo
with its credit, and approves; the post is public."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from pages.models import Post, PostStatus
from pages.services import page_create
from tests.pages.conftest import image_bytes, make_user

from .support import DESKTOP, PHONE, TIMEOUT_MS, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TITLE = "Ra quân Ngày hội Đại đoàn kết toàn dân tộc ở khu dân cư số 5"
CREDIT = "Ảnh: H.Nguyệt"


@pytest.fixture
def workspace(tree, settings, tmp_path):
    settings.VIETFRONT_REQUIRE_2FA = False
    settings.MEDIA_ROOT = tmp_path / "media"
    for unit in (tree.central, tree.hanoi, tree.dongda):
        page_create(unit=unit, by=None, activate=True)
    editor = make_user("bientap.dongda", ("edit_content", tree.dongda))
    approver = make_user("duyet.hanoi", ("approve_content", tree.hanoi))
    for user, first, last in ((editor, "Lan", "Nguyễn Thị"), (approver, "Minh", "Trần Văn")):
        user.first_name, user.last_name = first, last
        user.set_password("mat-khau-thu-nghiem")
        user.save()
    photo = tmp_path / "ra-quan.jpg"
    photo.write_bytes(image_bytes(size=(1200, 800)))
    document = tmp_path / "ke-hoach.pdf"
    document.write_bytes(b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")
    return {"editor": editor, "approver": approver, "photo": photo, "document": document}


def _login(page, username: str) -> None:
    page.goto("/quan-tri/login/?next=/quan-tri/")
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill("mat-khau-thu-nghiem")
    page.locator("#login-form [type=submit]").click()
    expect(page).to_have_url(re.compile(r"/quan-tri/$"))


def _pick(page, field: str, term: str) -> None:
    """Choose in an autocomplete (select2) picker."""
    page.locator(f"#id_{field} + .select2 .select2-selection").click()
    page.locator(".select2-container--open .select2-search__field").fill(term)
    page.locator(".select2-results__option", has_text=term).first.click()


@pytest.mark.parametrize("device", ["desktop", "phone"])
def test_an_editor_submits_a_post_with_a_photo_and_the_approver_above_publishes_it(
    browser, live_url, tree, workspace, device
):
    context = browser.new_context(base_url=live_url, locale="en-US", timezone_id="Asia/Ho_Chi_Minh",
                                  bypass_csp=False, **(DESKTOP if device == "desktop" else PHONE))
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)

    # The editor writes (an English browser: the staff side answers in Vietnamese anyway).
    _login(page, "bientap.dongda")
    page.goto("/quan-tri/pages/post/add/")
    _pick(page, "page", "Đống Đa")
    page.get_by_label("Tiêu đề").fill(TITLE)
    page.get_by_label("Sapo (tóm tắt)").fill("Mặt trận quận phát động các khu dân cư tổ chức Ngày hội.")
    editor = page.locator("trix-editor")
    editor.click()
    editor.type("Sáng 12/11, Ủy ban MTTQ quận tổ chức lễ ra quân tại nhà văn hóa khu dân cư số 5.")
    page.locator("#id_cover_upload").set_input_files(str(workspace["photo"]))
    page.locator("#id_cover_alt").fill("Người dân khu dân cư số 5 dự lễ ra quân")
    page.locator("#id_cover_credit").fill(CREDIT)
    page.locator("#id_topic").select_option(index=1)
    page.locator("#id_source_name").fill("Ủy ban MTTQ quận Đống Đa")
    page.locator("#id_author_line").fill("Minh Anh")
    page.get_by_text(re.compile("Thêm .*tài liệu", re.IGNORECASE)).first.click()
    page.locator("#id_documents-0-title").fill("Kế hoạch tổ chức Ngày hội")
    page.locator("#id_documents-0-file").set_input_files(str(workspace["document"]))
    screenshot(page, f"staff-editor-form-{device}")
    page.locator("[name=_gui_duyet]").click()
    expect(page.locator(".messagelist")).to_contain_text("Đã gửi duyệt tới Thành phố Hà Nội.")
    post = Post.objects.get(title=TITLE)
    assert post.status == PostStatus.SUBMITTED and post.documents.count() == 1
    screenshot(page, f"staff-editor-submitted-{device}")

    # The approver reviews what the public will see, photo and credit included, and approves.
    page.context.clear_cookies()
    _login(page, "duyet.hanoi")
    page.goto("/quan-tri/moderation/submission/")
    page.get_by_role("link", name=TITLE).first.click()
    expect(page.locator("body")).to_contain_text(CREDIT)
    cover = page.locator("img[alt='Người dân khu dân cư số 5 dự lễ ra quân']").first
    expect(cover).to_be_visible()
    expect(page.locator("body")).to_contain_text("Kế hoạch tổ chức Ngày hội")
    screenshot(page, f"staff-approver-review-{device}")
    page.get_by_label("Đăng ngay").check()
    page.get_by_role("button", name="Duyệt", exact=True).click()
    expect(page.locator(".messagelist")).to_be_visible()
    post.refresh_from_db()
    assert post.status == PostStatus.PUBLISHED, post.status

    # Public, with the approved photo and its credit.
    page.goto(post.get_absolute_url())
    expect(page.get_by_role("heading", level=1)).to_have_text(TITLE)
    expect(page.locator("body")).to_contain_text(CREDIT)
    screenshot(page, f"staff-published-{device}")
    assert not [e for e in errors if "Content Security Policy" in e], errors
    context.close()
