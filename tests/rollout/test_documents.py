"""Official documents: written with their post, public only once published, searchable."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from pages.models import Post
from rollout.models import OfficialDocument
from rollout.services import official_document_save

from .conftest import PDF, activate_page, make_user, publish_post

pytestmark = pytest.mark.django_db


def make_document(unit, *, number: str, kind: str = "huong_dan", to: str = "district", publish: bool = False,
                  title: str = "Hướng dẫn vận hành trang cộng đồng", by=None) -> OfficialDocument:
    page = getattr(unit, "page", None) if hasattr(unit, "page") else None
    if page is None:
        from pages.models import CommunityPage

        page = CommunityPage.objects.filter(unit=unit).first() or activate_page(unit)
    document = official_document_save(
        document=OfficialDocument(number=number, kind=kind, issued_on=datetime.date(2025, 3, 15), addressed_to_kind=to),
        post=Post(page=page, title=title, summary="Về việc thiết lập trang cộng đồng của Mặt trận các cấp."),
        by=by,
        upload=SimpleUploadedFile("Hướng dẫn 15.pdf", PDF, content_type="application/pdf"),
    )
    if publish:
        publish_post(document.post)
    return document


def test_a_document_is_public_only_after_its_post_is_published(tree, client):
    document = make_document(tree.hanoi, number="15/HD-MTTQ-BTT")
    assert document.unit == tree.hanoi and document.post.documents.count() == 1
    url = reverse("documents:list", kwargs={"unit_path": tree.hanoi.path})
    assert "15/HD-MTTQ-BTT" not in client.get(url).content.decode()
    assert client.get(document.get_absolute_url()).status_code == 404

    publish_post(document.post)
    listing = client.get(url).content.decode()
    assert "15/HD-MTTQ-BTT" in listing and "Hướng dẫn vận hành trang cộng đồng" in listing
    detail = client.get(document.get_absolute_url())
    assert detail.status_code == 200
    file = document.post.documents.get()
    assert file.get_absolute_url() in detail.content.decode()
    download = client.get(file.get_absolute_url())
    assert download.status_code == 200 and download["Content-Type"] == "application/pdf"


def test_search_by_number_and_title_without_tone_marks(tree, client):
    make_document(tree.hanoi, number="15/HD-MTTQ-BTT", publish=True)
    make_document(tree.hanoi, number="22/KH-MTTQ-BTT", kind="ke_hoach", title="Kế hoạch tổ chức Ngày hội", publish=True)
    url = reverse("documents:list", kwargs={"unit_path": tree.hanoi.path})
    found = client.get(url, {"q": "huong dan van hanh"}).content.decode()
    assert "15/HD-MTTQ-BTT" in found and "22/KH-MTTQ-BTT" not in found
    by_number = client.get(url, {"q": "22/kh"}).content.decode()
    assert "22/KH-MTTQ-BTT" in by_number and "15/HD-MTTQ-BTT" not in by_number
    assert "Không tìm thấy" in client.get(url, {"q": "khong co"}).content.decode()


def test_only_editors_of_the_unit_write_documents(tree):
    outsider = make_user("bt_bacninh", ("edit_content", tree.bacninh))
    with pytest.raises(PermissionDenied):
        make_document(tree.hanoi, number="1/HD", by=outsider)
    editor = make_user("bt_hanoi", ("edit_content", tree.hanoi))
    assert make_document(tree.hanoi, number="1/HD", by=editor).post.created_by == editor


def test_the_register_entry_is_frozen_once_published(tree):
    document = make_document(tree.hanoi, number="15/HD-MTTQ-BTT", publish=True)
    document.number = "16/HD-MTTQ-BTT"
    with pytest.raises(ValidationError):
        official_document_save(document=document, post=document.post, by=None)


def test_a_number_is_unique_per_unit(tree):
    make_document(tree.hanoi, number="15/HD-MTTQ-BTT")
    with pytest.raises(ValidationError):
        make_document(tree.hanoi, number="15/HD-MTTQ-BTT")


def test_an_editor_creates_a_document_through_the_admin(tree, client):
    page = activate_page(tree.hanoi)
    editor = make_user("bt_hanoi", ("edit_content", tree.hanoi))
    client.force_login(editor)
    add = reverse("admin:rollout_officialdocument_add")
    assert client.get(add).status_code == 200
    response = client.post(add, {
        "page": page.pk, "number": "15/HD-MTTQ-BTT", "kind": "huong_dan", "issued_on": "2025-03-15",
        "addressed_to_kind": "district", "title": "Hướng dẫn vận hành trang cộng đồng", "summary": "Tóm tắt",
        "body": "<p>Nội dung</p>", "topic": "", "source_kind": "own", "source_name": "", "source_url": "",
        "upload": SimpleUploadedFile("hd.pdf", PDF, content_type="application/pdf"),
    })
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else response
    document = OfficialDocument.objects.get()
    assert document.post.created_by == editor and document.post.status == "draft"
    assert document.post.documents.get().kind == "pdf"
    # An editor of another province does not see it.
    other = make_user("bt_bacninh", ("edit_content", tree.bacninh))
    client = Client()  # not the first editor's session, which still holds its "added" message
    client.force_login(other)
    change = reverse("admin:rollout_officialdocument_change", args=[document.pk])
    assert client.get(change).status_code == 404
    assert "15/HD" not in client.get(reverse("admin:rollout_officialdocument_changelist")).content.decode()


def test_the_register_lists_and_searches_the_approved_text_not_the_working_copy(tree, client):
    document = make_document(tree.hanoi, number="15/HD-MTTQ-BTT", publish=True)
    # An edit after approval changes the working copy only, until it is approved in turn.
    post = Post.objects.get(pk=document.post_id)
    post.title = "Bản nháp chưa duyệt về lễ hội"
    post.summary = "Nội dung nháp"
    post.save()
    url = reverse("documents:list", kwargs={"unit_path": tree.hanoi.path})
    listing = client.get(url).content.decode()
    assert "Hướng dẫn vận hành trang cộng đồng" in listing and "Bản nháp" not in listing
    assert "15/HD-MTTQ-BTT" in client.get(url, {"q": "van hanh trang"}).content.decode()
    assert "Không tìm thấy" in client.get(url, {"q": "le hoi"}).content.decode()
    assert "Không tìm thấy" in client.get(url, {"q": "ban nhap"}).content.decode()
    # Words may come from the title and the summary at once.
    assert "15/HD-MTTQ-BTT" in client.get(url, {"q": "huong dan mat tran"}).content.decode()
    detail = client.get(document.get_absolute_url()).content.decode()
    assert "Hướng dẫn vận hành trang cộng đồng" in detail and "Bản nháp" not in detail


def test_a_district_register_lists_guidance_addressed_to_districts_from_above(tree, client):
    to_districts = make_document(tree.hanoi, number="15/HD-MTTQ-BTT", to="district", publish=True,
                                 title="Hướng dẫn các quận, huyện lập trang")
    make_document(tree.hanoi, number="16/HD-MTTQ-BTT", to="commune", publish=True, title="Hướng dẫn cấp xã")
    make_document(tree.hanoi, number="17/HD-MTTQ-BTT", to="district", publish=False, title="Hướng dẫn chưa đăng")
    make_document(tree.bacninh, number="07/HD-MTTQ-BTT", to="district", publish=True, title="Hướng dẫn của Bắc Ninh")
    make_document(tree.dongda, number="01/KH-MTTQ", kind="ke_hoach", to="commune", publish=True,
                  title="Kế hoạch của quận")
    url = reverse("documents:list", kwargs={"unit_path": tree.dongda.path})
    html = client.get(url).content.decode()
    assert "15/HD-MTTQ-BTT" in html and "01/KH-MTTQ" in html
    for absent in ("16/HD-MTTQ-BTT", "17/HD-MTTQ-BTT", "07/HD-MTTQ-BTT"):
        assert absent not in html
    assert html.count("Văn bản cấp trên gửi đến") == 1
    assert f"Văn bản cấp trên gửi đến – {tree.hanoi.display_name}" in html
    assert to_districts.get_absolute_url() in html
    # Search covers them too; a commune of the district gets the province's guidance to communes.
    assert "15/HD-MTTQ-BTT" in client.get(url, {"q": "lap trang"}).content.decode()
    commune = client.get(reverse("documents:list", kwargs={"unit_path": tree.vanmieu.path})).content.decode()
    assert "16/HD-MTTQ-BTT" in commune and "01/KH-MTTQ" in commune and "15/HD-MTTQ-BTT" not in commune
    # The province's own register shows its documents without the label.
    own = client.get(reverse("documents:list", kwargs={"unit_path": tree.hanoi.path})).content.decode()
    assert "15/HD-MTTQ-BTT" in own and "Văn bản cấp trên gửi đến" not in own


def test_the_register_costs_the_same_queries_for_one_document_or_many(tree, client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    url = reverse("documents:list", kwargs={"unit_path": tree.dongda.path})
    make_document(tree.hanoi, number="1/HD", publish=True)
    with CaptureQueriesContext(connection) as one:
        client.get(url)
    for n in range(2, 6):
        make_document(tree.hanoi if n % 2 else tree.dongda, number=f"{n}/HD", publish=True)
    with CaptureQueriesContext(connection) as many:
        client.get(url)
    assert len(many.captured_queries) == len(one.captured_queries)
