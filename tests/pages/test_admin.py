"""The editors' admin over HTTP: isolation between units, every URL walked as an outsider,
staged uploads surviving form errors, previews, and constant query counts."""

from __future__ import annotations

import re

import pytest
from django.contrib import admin
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from pages.models import CommunityPage, MediaImage, PageStatus, Post, PostDocument, PostStatus

from .conftest import image_bytes, make_image, make_post, make_user

pytestmark = pytest.mark.django_db

UNIT_OWNED = (CommunityPage, Post, MediaImage)


def url(model, view: str, *args) -> str:
    return reverse(f"admin:pages_{model._meta.model_name}_{view}", args=args)


@pytest.fixture
def content(pages, tree):
    """A post and an image in each of Đống Đa, Văn Miếu (below it), Ba Đình and Hà Nội."""
    result = {}
    for name in ("dongda", "vanmieu", "badinh", "hanoi"):
        image = make_image(getattr(tree, name), alt=f"Ảnh {name}")
        post = make_post(pages[name], title=f"Bài của {name}", cover=image)
        result[name] = {"post": post, "image": image, "page": pages[name]}
    return result


def _snapshot():
    return (
        sorted(Post.objects.values_list("pk", "title", "body", "page_id", "cover_id")),
        sorted(MediaImage.objects.values_list("pk", "unit_id", "alt_text")),
        sorted(CommunityPage.objects.values_list("pk", "unit_id", "display_name", "status")),
        PostDocument.objects.count(),
    )


def _post_form_data(page, **extra) -> dict:
    data = {
        "page": page.pk, "title": "Bài mới", "summary": "", "body": "<div>Nội dung</div>", "source_kind": "own",
        "source_name": "", "source_url": "", "author_line": "", "photo_credit": "", "desired_publish_at_0": "",
        "desired_publish_at_1": "", "cover_alt": "", "cover_credit": "", "cover_upload_token": "",
        "documents-TOTAL_FORMS": "0", "documents-INITIAL_FORMS": "0", "documents-MIN_NUM_FORMS": "0",
        "documents-MAX_NUM_FORMS": "1000",
    }
    data.update(extra)
    return data


# --- the isolation matrix ---------------------------------------------------------------------


@pytest.mark.parametrize("target", ["badinh", "hanoi"])
def test_district_editor_cannot_touch_sibling_or_parent_content(client, content, editor_dongda, target):
    client.force_login(editor_dongda)
    before = _snapshot()
    post, image, page = content[target]["post"], content[target]["image"], content[target]["page"]

    listing = client.get(url(Post, "changelist"))
    assert listing.status_code == 200
    titles = {p.title for p in listing.context["cl"].result_list}
    assert titles == {"Bài của dongda", "Bài của vanmieu"}
    images = client.get(url(MediaImage, "changelist")).context["cl"].result_list
    assert {i.alt_text for i in images} == {"Ảnh dongda", "Ảnh vanmieu"}

    for model, obj in ((Post, post), (MediaImage, image), (CommunityPage, page)):
        for view in ("change", "delete", "history"):
            assert client.get(url(model, view, obj.pk)).status_code == 404, (model, view)
        assert client.post(url(model, "change", obj.pk), {"title": "Bị sửa", "alt_text": "x"}).status_code == 404
        assert client.post(url(model, "delete", obj.pk), {"post": "yes"}).status_code == 404
    assert client.get(url(Post, "preview", post.pk)).status_code == 404

    # Crafted creates aimed at the other unit are refused by the choice querysets.
    response = client.post(url(Post, "add"), _post_form_data(page))
    assert response.status_code == 200 and "page" in response.context["adminform"].form.errors
    upload = SimpleUploadedFile("a.jpg", image_bytes(), content_type="image/jpeg")
    response = client.post(url(MediaImage, "add"), {
        "unit": page.unit_id, "upload": upload, "alt_text": "x", "credit": "Ảnh: X", "caption": "",
    })
    assert response.status_code == 200 and "unit" in response.context["adminform"].form.errors
    # A cover from another unit's library cannot be slipped into one's own post either.
    response = client.post(url(Post, "add"), _post_form_data(content["dongda"]["page"], cover=image.pk))
    assert response.status_code == 200 and "cover" in response.context["adminform"].form.errors

    # Bulk actions only ever see the user's own rows.
    client.post(url(Post, "changelist"), {"action": "delete_selected", "_selected_action": [post.pk], "post": "yes"})
    client.post(url(MediaImage, "changelist"), {"action": "delete_selected", "_selected_action": [image.pk], "post": "yes"})
    assert _snapshot() == before


def test_editor_works_in_own_subtree(client, content, editor_dongda):
    client.force_login(editor_dongda)
    own = content["vanmieu"]["post"]
    assert client.get(url(Post, "change", own.pk)).status_code == 200
    data = _post_form_data(content["vanmieu"]["page"], title="Sửa tiêu đề", cover=content["vanmieu"]["image"].pk)
    del data["page"]  # read-only once created
    response = client.post(url(Post, "change", own.pk), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    own.refresh_from_db()
    assert own.title == "Sửa tiêu đề" and own.body == "<p>Nội dung</p>" and own.updated_by == editor_dongda
    assert own.status == PostStatus.DRAFT
    # Editors read their page's profile but only unit admins change it.
    page = content["dongda"]["page"]
    assert client.get(url(CommunityPage, "change", page.pk)).status_code == 200
    assert client.post(url(CommunityPage, "change", page.pk), {"display_name": "Sửa"}).status_code == 403


def test_status_cannot_be_set_through_a_crafted_post(client, content, editor_dongda):
    client.force_login(editor_dongda)
    response = client.post(url(Post, "add"), _post_form_data(
        content["dongda"]["page"], status="published", published_at="2025-01-01 00:00", unit=content["badinh"]["page"].unit_id,
    ))
    assert response.status_code == 302
    post = Post.objects.get(title="Bài mới")
    assert post.status == PostStatus.DRAFT and post.published_at is None and post.unit_id == content["dongda"]["page"].unit_id


def test_unit_admin_manages_only_its_subtree(client, content, admin_dongda, tree):
    client.force_login(admin_dongda)
    pages = {p.unit_id for p in client.get(url(CommunityPage, "changelist")).context["cl"].result_list}
    assert pages == {tree.dongda.pk, tree.vanmieu.pk}
    vanmieu_page = content["vanmieu"]["page"]
    response = client.post(url(CommunityPage, "change", vanmieu_page.pk), {
        "display_name": "Mặt trận phường Văn Miếu – Quốc Tử Giám", "about": "", "address": "", "phone": "",
        "email": "", "zalo_url": "", "facebook_url": "https://www.facebook.com/mttq.vanmieu",
        "new_status": PageStatus.SUSPENDED, "status_reason": "Chưa có người phụ trách",
        "status_changes-TOTAL_FORMS": "0", "status_changes-INITIAL_FORMS": "0",
    })
    assert response.status_code == 302, response.context["adminform"].form.errors
    vanmieu_page.refresh_from_db()
    assert vanmieu_page.status == PageStatus.SUSPENDED and vanmieu_page.suspension_reason == "Chưa có người phụ trách"
    assert vanmieu_page.status_changes.latest("at").by == admin_dongda
    # Set up the page of Láng Thượng (in the subtree, no page yet): allowed.
    form = {"display_name": "", "about": "", "address": "", "phone": "", "email": "", "zalo_url": "",
            "facebook_url": "", "new_status": PageStatus.ACTIVE, "status_reason": "",
            "status_changes-TOTAL_FORMS": "0", "status_changes-INITIAL_FORMS": "0"}
    assert client.post(url(CommunityPage, "add"), {**form, "unit": tree.langthuong.pk}).status_code == 302
    created = CommunityPage.objects.get(unit=tree.langthuong)
    assert created.status == PageStatus.ACTIVE and created.name == "Mặt trận Phường Láng Thượng"
    # Outside the subtree: refused, nothing created.
    response = client.post(url(CommunityPage, "add"), {**form, "unit": tree.vuninh.pk})
    assert response.status_code == 200 and not CommunityPage.objects.filter(unit=tree.vuninh).exists()
    badinh_page = content["badinh"]["page"]
    assert client.post(url(CommunityPage, "change", badinh_page.pk), form).status_code == 404
    assert CommunityPage.objects.get(pk=badinh_page.pk).status == PageStatus.ACTIVE


def _page_form(page, **extra) -> dict:
    data = {
        "display_name": page.display_name, "about": page.about, "address": page.address, "phone": page.phone,
        "email": page.email, "zalo_url": page.zalo_url, "facebook_url": page.facebook_url, "new_status": "",
        "status_reason": "", "status_changes-TOTAL_FORMS": "0", "status_changes-INITIAL_FORMS": "0",
    }
    data.update(extra)
    return data


@pytest.mark.parametrize(
    ("new_status", "reason", "field", "message"),
    [
        (PageStatus.SUSPENDED, "  ", "status_reason", "Cần ghi lý do tạm dừng trang."),
        (PageStatus.NOT_SET_UP, "", "new_status", "Không thể chuyển trang từ “Đang hoạt động” sang “Chưa thiết lập”."),
    ],
)
def test_refused_page_status_is_shown_on_its_field_and_keeps_what_was_typed(
    client, content, admin_dongda, new_status, reason, field, message
):
    client.force_login(admin_dongda)
    page = content["dongda"]["page"]
    response = client.post(url(CommunityPage, "change", page.pk), _page_form(
        page, display_name="Tên mới chưa lưu", address="Số 1 Tôn Đức Thắng", new_status=new_status, status_reason=reason,
    ))
    assert response.status_code == 200
    form = response.context["adminform"].form
    assert form.errors == {field: [message]}
    html = response.content.decode()
    assert "Tên mới chưa lưu" in html and "Số 1 Tôn Đức Thắng" in html
    page.refresh_from_db()
    assert (page.status, page.display_name, page.status_changes.count()) == (PageStatus.ACTIVE, "", 1)


def test_a_unit_admin_who_is_not_an_editor_sets_the_pages_images(client, content, tree):
    admin_only = make_user("qt_vanmieu", ("admin_unit", tree.vanmieu))
    client.force_login(admin_only)
    page = content["vanmieu"]["page"]
    own = content["vanmieu"]["image"]
    response = client.post(url(CommunityPage, "change", page.pk), _page_form(page, avatar=own.pk, cover=own.pk))
    assert response.status_code == 302, response.context["adminform"].form.errors
    page.refresh_from_db()
    assert (page.avatar_id, page.cover_id) == (own.pk, own.pk)
    # Another unit's image is not offered, and is refused when sent anyway.
    offered = client.get(url(CommunityPage, "change", page.pk)).context["adminform"].form.fields["avatar"].queryset
    assert set(offered) == {own}
    response = client.post(url(CommunityPage, "change", page.pk), _page_form(page, avatar=content["badinh"]["image"].pk))
    assert response.status_code == 200
    assert list(response.context["adminform"].form.errors) == ["avatar"]
    assert CommunityPage.objects.get(pk=page.pk).avatar_id == own.pk


def test_links_typed_without_a_scheme_are_stored_as_https(client, content, editor_dongda, admin_dongda):
    client.force_login(editor_dongda)
    response = client.post(url(Post, "add"), _post_form_data(content["dongda"]["page"], source_url="mattran.org.vn/tin"))
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert Post.objects.get(title="Bài mới").source_url == "https://mattran.org.vn/tin"
    client.force_login(admin_dongda)
    page = content["dongda"]["page"]
    response = client.post(url(CommunityPage, "change", page.pk), _page_form(page, zalo_url="zalo.me/123"))
    assert response.status_code == 302, response.context["adminform"].form.errors
    page.refresh_from_db()
    assert page.zalo_url == "https://zalo.me/123"


def test_every_admin_url_of_unit_owned_models_refuses_an_outsider(client, content, tree):
    """Walk every URL each unit-owned ModelAdmin registers, as an editor of Bắc Ninh, over
    Đống Đa's objects: 403/404, a redirect to login, or an empty list — never Đống Đa's data."""
    outsider = make_user("bt_bacninh", ("edit_content", tree.bacninh))
    client.force_login(outsider)
    document = PostDocument.objects.create(
        post=content["dongda"]["post"], title="Kế hoạch", file=SimpleUploadedFile("k.pdf", b"%PDF-1.4"),
        original_name="k.pdf", kind="pdf", size=8,
    )
    before = _snapshot()
    targets = {Post: content["dongda"]["post"], MediaImage: content["dongda"]["image"], CommunityPage: content["dongda"]["page"]}
    secrets = ["Bài của dongda", "Ảnh dongda", "Mặt trận Quận Đống Đa", document.title]
    walked = set()
    for model in UNIT_OWNED:
        model_admin = admin.site._registry[model]
        obj = targets[model]
        for pattern in model_admin.urls:
            if not pattern.name:
                continue
            kwargs = {"object_id": obj.pk} if "object_id" in pattern.pattern.converters else {}
            target = reverse(f"admin:{pattern.name}", kwargs=kwargs)
            walked.add(pattern.name)
            for method in ("get", "post"):
                response = getattr(client, method)(target, {"action": "delete_selected", "_selected_action": [obj.pk], "post": "yes"} if method == "post" else {})
                body = response.content.decode()
                if response.status_code == 200:
                    assert not any(s in body for s in secrets), (pattern.name, method)
                    if pattern.name.endswith("_changelist"):
                        assert response.context["cl"].result_count == 0
                else:
                    assert response.status_code in (302, 403, 404), (pattern.name, method, response.status_code)
                    if response.status_code == 302:
                        assert pattern.name.endswith(("_changelist", "_add")) or "/login/" in response["Location"]
    assert {"pages_post_preview", "pages_post_history", "pages_post_delete", "pages_post_change",
            "pages_communitypage_history", "pages_mediaimage_delete"} <= walked
    # The autocomplete endpoint serves the Post form's choices: none of Đống Đa's.
    for field in ("page", "cover", "tags"):
        response = client.get(reverse("admin:autocomplete"), {"app_label": "pages", "model_name": "post", "field_name": field, "term": ""})
        assert response.status_code in (200, 403)
        assert not any(s in response.content.decode() for s in secrets)
    # Public download of a draft document, anonymous or as an outsider: not found.
    assert client.get(reverse("public:document", kwargs={"pk": document.pk})).status_code == 404
    client.logout()
    for model in UNIT_OWNED:
        response = client.get(url(model, "changelist"))
        assert response.status_code == 302 and "/login/" in response["Location"]
    assert client.get(url(Post, "preview", content["dongda"]["post"].pk)).status_code == 302
    assert _snapshot() == before


def test_non_staff_user_with_a_role_gets_no_admin(client, content, tree):
    user = make_user("khong_staff", ("edit_content", tree.dongda), staff=False)
    client.force_login(user)
    assert client.get(url(Post, "changelist")).status_code == 302
    assert client.get(url(Post, "preview", content["dongda"]["post"].pk)).status_code == 302


# --- preview ----------------------------------------------------------------------------------


def test_preview_shows_the_draft_to_those_who_may_see_it_and_is_never_cached(client, content, editor_dongda, tree):
    post = content["vanmieu"]["post"]
    post.body = "<p>Nội dung <strong>nháp</strong></p>"
    post.save()
    client.force_login(editor_dongda)
    response = client.get(url(Post, "preview", post.pk))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Bài của vanmieu" in body and "<strong>nháp</strong>" in body and "Bản xem trước" in body
    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]
    assert response["X-Robots-Tag"] == "noindex, nofollow"
    client.force_login(make_user("duyet_hanoi", ("approve_content", tree.hanoi)))
    assert client.get(url(Post, "preview", post.pk)).status_code == 200
    assert client.get(url(Post, "preview", 999_999)).status_code == 404
    assert client.get(url(Post, "preview", "abc")).status_code == 404


def test_change_form_links_to_preview(client, content, editor_dongda):
    client.force_login(editor_dongda)
    post = content["dongda"]["post"]
    assert url(Post, "preview", post.pk) in client.get(url(Post, "change", post.pk)).content.decode()


# --- nothing is lost on a form error -----------------------------------------------------------


def _token(response, name: str) -> str:
    match = re.search(rf'name="{name}" value="([^"]+)"', response.content.decode())
    assert match, "the staged token must be in the re-rendered form"
    return match.group(1)


def test_media_form_error_keeps_the_uploaded_image(client, tree, editor_dongda, editor_badinh):
    client.force_login(editor_dongda)
    upload = SimpleUploadedFile("Hội nghị.jpg", image_bytes(size=(640, 480)), content_type="image/jpeg")
    response = client.post(url(MediaImage, "add"), {
        "unit": tree.dongda.pk, "upload": upload, "alt_text": "", "credit": "Ảnh: H.Nguyệt", "caption": "Chú thích",
    })
    assert response.status_code == 200
    form = response.context["adminform"].form
    assert set(form.errors) == {"alt_text"}
    assert "Hội nghị.jpg" in response.content.decode()
    token = _token(response, "upload_token")
    assert MediaImage.objects.count() == 0
    # Someone else cannot reuse the token.
    client.force_login(editor_badinh)
    response = client.post(url(MediaImage, "add"), {
        "unit": tree.badinh.pk, "upload_token": token, "alt_text": "x", "credit": "x", "caption": "",
    })
    assert response.status_code == 200 and "upload" in response.context["adminform"].form.errors
    client.force_login(editor_dongda)
    response = client.post(url(MediaImage, "add"), {
        "unit": tree.dongda.pk, "upload_token": token, "alt_text": "Hội nghị giám sát", "credit": "Ảnh: H.Nguyệt",
        "caption": "Chú thích",
    })
    assert response.status_code == 302
    image = MediaImage.objects.get()
    assert (image.unit, image.width, image.height, image.uploaded_by) == (tree.dongda, 640, 480, editor_dongda)
    assert image.file.name.startswith(f"images/{tree.dongda.pk}/hoi-nghi") and image.file.name.endswith(".jpg")


def test_bad_upload_shows_a_vietnamese_message_in_the_form(client, tree, editor_dongda):
    client.force_login(editor_dongda)
    fake = SimpleUploadedFile("anh.jpg", b"khong phai anh", content_type="image/jpeg")
    response = client.post(url(MediaImage, "add"), {"unit": tree.dongda.pk, "upload": fake, "alt_text": "x", "credit": "y"})
    assert response.status_code == 200
    assert "không phải ảnh JPEG, PNG hoặc WebP" in str(response.context["adminform"].form.errors["upload"])
    assert MediaImage.objects.count() == 0


def test_post_form_error_keeps_every_field_and_the_cover_upload(client, content, editor_dongda, tree):
    client.force_login(editor_dongda)
    page = content["dongda"]["page"]
    upload = SimpleUploadedFile("bia.png", image_bytes("PNG", size=(1200, 600)), content_type="image/png")
    data = _post_form_data(page, title="", summary="Tóm tắt giữ nguyên", body="<div>Thân bài giữ nguyên</div>",
                           cover_upload=upload, cover_alt="Toàn cảnh hội nghị", cover_credit="Ảnh: H.Nguyệt",
                           photo_credit="Ảnh: H.Nguyệt")
    response = client.post(url(Post, "add"), data)
    assert response.status_code == 200
    assert set(response.context["adminform"].form.errors) == {"title"}
    html = response.content.decode()
    for kept in ("Tóm tắt giữ nguyên", "Thân bài giữ nguyên", "Toàn cảnh hội nghị", "bia.png"):
        assert kept in html
    token = _token(response, "cover_upload_token")
    images_before = MediaImage.objects.count()
    data.update(title="Tiêu đề đã điền", cover_upload_token=token)
    del data["cover_upload"]
    response = client.post(url(Post, "add"), data)
    assert response.status_code == 302
    post = Post.objects.get(title="Tiêu đề đã điền")
    assert post.cover is not None and post.cover.unit == tree.dongda and (post.cover.width, post.cover.height) == (1200, 600)
    assert post.cover.alt_text == "Toàn cảnh hội nghị"
    assert MediaImage.objects.count() == images_before + 1


def test_document_inline_refuses_a_disguised_file(client, content, editor_dongda):
    client.force_login(editor_dongda)
    post = content["dongda"]["post"]
    data = _post_form_data(post.page, title=post.title, **{
        "documents-TOTAL_FORMS": "1", "documents-0-title": "Kế hoạch",
        "documents-0-file": SimpleUploadedFile("ke-hoach.pdf", b"MZ not a pdf"),
    })
    del data["page"]
    response = client.post(url(Post, "change", post.pk), data)
    assert response.status_code == 200 and PostDocument.objects.count() == 0
    data["documents-0-file"] = SimpleUploadedFile("Kế hoạch.pdf", b"%PDF-1.4 ...")
    response = client.post(url(Post, "change", post.pk), data)
    assert response.status_code == 302
    document = PostDocument.objects.get()
    assert (document.kind, document.uploaded_by, document.original_name) == ("pdf", editor_dongda, "Kế hoạch.pdf")


def test_search_is_diacritic_insensitive(client, content, editor_dongda):
    client.force_login(editor_dongda)
    make_post(content["dongda"]["page"], title="Ngày hội Đại đoàn kết toàn dân tộc")
    response = client.get(url(Post, "changelist"), {"q": "dai doan ket"})
    assert [p.title for p in response.context["cl"].result_list] == ["Ngày hội Đại đoàn kết toàn dân tộc"]


# --- constant query counts --------------------------------------------------------------------


def _changelist_queries(client, model) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url(model, "changelist"))
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_changelists_make_a_constant_number_of_queries(client, pages, tree, editor_dongda, django_assert_max_num_queries):
    client.force_login(editor_dongda)
    for i in range(5):
        make_post(pages["dongda"], title=f"Bài {i}", cover=make_image(tree.dongda, alt=f"Ảnh {i}", size=(40, 30)))
    few = {model: _changelist_queries(client, model) for model in UNIT_OWNED}
    for i in range(5, 125):
        page = pages["vanmieu"] if i % 2 else pages["dongda"]
        make_post(page, title=f"Bài {i}", cover=make_image(page.unit, alt=f"Ảnh {i}", size=(40, 30)))
    assert Post.objects.in_subtree(tree.dongda).count() == 125
    for model in UNIT_OWNED:
        with django_assert_max_num_queries(few[model]):
            response = client.get(url(model, "changelist"))
        assert response.status_code == 200


def test_staged_file_name_is_escaped_in_the_form(client, tree, editor_dongda):
    client.force_login(editor_dongda)
    upload = SimpleUploadedFile('<img src=x onerror="alert(1)">.jpg', image_bytes(), content_type="image/jpeg")
    response = client.post(url(MediaImage, "add"), {"unit": tree.dongda.pk, "upload": upload, "alt_text": "", "credit": "x"})
    html = response.content.decode()
    assert "onerror=" not in html.replace("onerror=&quot;", "")
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;.jpg" in html


def test_add_form_ships_the_vendored_editor(client, pages, editor_dongda):
    client.force_login(editor_dongda)
    html = client.get(url(Post, "add")).content.decode()
    assert "/static/vendor/trix/trix.umd.min.js" in html and "<trix-editor" in html
    assert "http://" not in html.split("<body")[0].replace("http://www.w3.org", "")  # no CDN


def test_post_change_view_asks_each_permission_once(client, pages, editor_dongda, django_assert_max_num_queries):
    post = make_post(pages["dongda"], title="Bài để đếm truy vấn")
    client.force_login(editor_dongda)
    url = reverse("admin:pages_post_change", args=[post.pk])
    # Every button, inline and field asks "may this user edit this unit?"; 48 queries when each
    # asked the database, 18 now that the answer is kept for the request.
    with django_assert_max_num_queries(18):
        assert client.get(url).status_code == 200
