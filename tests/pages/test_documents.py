"""Documents: type from content, download headers, who may download."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from pages import services
from pages.documents import detect_document_kind
from pages.models import PostDocument

from .conftest import make_post, make_user, publish_post

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.7\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _zip(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return out.getvalue()


DOCX = _zip({"[Content_Types].xml": b'<Types><Override ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>', "word/document.xml": b"<w/>"})
XLSX = _zip({"[Content_Types].xml": b'<Types><Override ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/></Types>', "xl/workbook.xml": b"<x/>"})
ODT = _zip({"mimetype": b"application/vnd.oasis.opendocument.text", "content.xml": b"<o/>"})
DOCM = _zip({"[Content_Types].xml": b'<Types><Override ContentType="application/vnd.ms-word.document.macroEnabled.main+xml"/></Types>', "word/document.xml": b"<w/>", "word/vbaProject.bin": b"x"})


@pytest.mark.parametrize(("data", "kind"), [(PDF, "pdf"), (DOCX, "docx"), (XLSX, "xlsx"), (ODT, "odt")])
def test_kinds_are_recognised_by_content(data, kind):
    assert detect_document_kind(io.BytesIO(data)) == (kind, len(data))


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"MZ\x90\x00 an executable", "unsupported"),
        (b"<html><script>alert(1)</script></html>", "unsupported"),
        (_zip({"a.txt": b"x"}), "unsupported"),
        (_zip({"mimetype": b"application/vnd.oasis.opendocument.spreadsheet"}), "unsupported"),
        (DOCM, "macro"),
        (b"", "empty"),
    ],
)
def test_other_files_are_refused(data, code):
    with pytest.raises(ValidationError) as exc:
        detect_document_kind(io.BytesIO(data))
    assert exc.value.code == code


def test_size_limit():
    with pytest.raises(ValidationError) as exc:
        detect_document_kind(io.BytesIO(PDF), max_bytes=10)
    assert exc.value.code == "too_large" and "MB" in exc.value.messages[0]


@pytest.fixture
def document(pages):
    post = make_post(pages["vanmieu"], title="Kế hoạch tổ chức Ngày hội")
    upload = SimpleUploadedFile("Kế hoạch Ngày hội Đại đoàn kết.exe", PDF, content_type="application/x-msdownload")
    return services.post_document_attach(document=PostDocument(post=post, file=upload), by=None)


def test_attach_names_the_file_by_its_verified_kind(document):
    assert document.kind == "pdf" and document.size == len(PDF)
    assert document.file.name.endswith(".pdf")
    assert document.original_name == "Kế hoạch Ngày hội Đại đoàn kết.exe"


def test_draft_document_is_hidden_from_the_public_and_other_units(client, document, tree):
    url = reverse("public:document", kwargs={"pk": document.pk})
    assert client.get(url).status_code == 404
    client.force_login(make_user("bt_badinh", ("edit_content", tree.badinh)))
    assert client.get(url).status_code == 404
    client.force_login(make_user("bt_vanmieu", ("edit_content", tree.vanmieu)))
    response = client.get(url)
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]
    client.force_login(make_user("duyet_hanoi", ("approve_content", tree.hanoi)))
    assert client.get(url).status_code == 200


def test_public_document_download_headers(client, document):
    publish_post(document.post)
    response = client.get(reverse("public:document", kwargs={"pk": document.pk}))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    disposition = response["Content-Disposition"]
    assert disposition.startswith('attachment; filename="ke-hoach-ngay-hoi-dai-doan-ket.pdf"; filename*=UTF-8\'\'')
    assert "K%E1%BA%BF%20ho%E1%BA%A1ch" in disposition and disposition.endswith(".pdf")
    assert disposition.isascii()
    assert b"".join(response.streaming_content) == PDF


def test_a_document_attached_after_publication_waits_for_approval(client, document, tree):
    post = publish_post(document.post)
    page_url = post.get_absolute_url()
    assert "Kế hoạch Ngày hội Đại đoàn kết" in client.get(page_url).content.decode()

    later = services.post_document_attach(
        document=PostDocument(post=post, title="Phụ lục chưa duyệt", file=SimpleUploadedFile("phu-luc.pdf", PDF)),
        by=None,
    )
    # Neither listed on the public page nor downloadable by the public...
    assert "Phụ lục chưa duyệt" not in client.get(page_url).content.decode()
    assert client.get(reverse("public:document", kwargs={"pk": later.pk})).status_code == 404
    assert client.get(reverse("public:document", kwargs={"pk": document.pk})).status_code == 200
    # ...while its own editors can still open it.
    client.force_login(make_user("bt_vanmieu", ("edit_content", tree.vanmieu)))
    assert client.get(reverse("public:document", kwargs={"pk": later.pk})).status_code == 200
