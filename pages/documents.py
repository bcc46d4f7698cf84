"""Document uploads: PDF, DOCX, XLSX, ODT, recognised by their content, never by their name.

The Office and OpenDocument formats are ZIP containers; only their directory and two tiny
members are read, so a ZIP bomb costs nothing. Macro-enabled Office files are refused.
"""

from __future__ import annotations

import zipfile
from typing import IO

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from .models import DocumentKind

MAX_BYTES = 20 * 1024 * 1024
CONTENT_TYPES: dict[str, str] = {
    DocumentKind.PDF: "application/pdf",
    DocumentKind.DOCX: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    DocumentKind.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    DocumentKind.ODT: "application/vnd.oasis.opendocument.text",
}
_ODT_MIMETYPE = b"application/vnd.oasis.opendocument.text"
_SMALL_MEMBER = 1024 * 1024

_UNSUPPORTED = _("Chỉ nhận tài liệu PDF, Word (DOCX), Excel (XLSX) hoặc OpenDocument (ODT).")


def _size(fileobj: IO[bytes]) -> int:
    size = getattr(fileobj, "size", None)
    if size is None:
        fileobj.seek(0, 2)
        size = fileobj.tell()
    fileobj.seek(0)
    return size


def _zip_kind(fileobj: IO[bytes]) -> str:
    try:
        archive = zipfile.ZipFile(fileobj)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise ValidationError(_UNSUPPORTED, code="unsupported") from exc
    with archive:
        infos = {info.filename: info for info in archive.infolist()}
        mimetype = infos.get("mimetype")
        if mimetype is not None and mimetype.file_size <= 200:
            if archive.read(mimetype).strip() == _ODT_MIMETYPE:
                return DocumentKind.ODT
            raise ValidationError(_UNSUPPORTED, code="unsupported")
        types = infos.get("[Content_Types].xml")
        if types is None or types.file_size > _SMALL_MEMBER:
            raise ValidationError(_UNSUPPORTED, code="unsupported")
        declared = archive.read(types)
        if b"macroEnabled" in declared or any(name.endswith("vbaProject.bin") for name in infos):
            raise ValidationError(_("Không nhận tài liệu có chứa macro."), code="macro")
        if any(name.startswith("word/") for name in infos) and b"wordprocessingml" in declared:
            return DocumentKind.DOCX
        if any(name.startswith("xl/") for name in infos) and b"spreadsheetml" in declared:
            return DocumentKind.XLSX
    raise ValidationError(_UNSUPPORTED, code="unsupported")


def detect_document_kind(fileobj: IO[bytes], *, max_bytes: int = MAX_BYTES) -> tuple[str, int]:
    """The kind and size of an uploaded document, or ``ValidationError`` in Vietnamese."""
    size = _size(fileobj)
    if size > max_bytes:
        raise ValidationError(
            _("Tài liệu quá lớn: tối đa %(mb)s MB.") % {"mb": max_bytes // (1024 * 1024)}, code="too_large"
        )
    if size == 0:
        raise ValidationError(_("Tệp tài liệu trống."), code="empty")
    head = fileobj.read(8)
    fileobj.seek(0)
    if head.startswith(b"%PDF-"):
        return DocumentKind.PDF, size
    if head.startswith(b"PK\x03\x04"):
        kind = _zip_kind(fileobj)
        fileobj.seek(0)
        return kind, size
    raise ValidationError(_UNSUPPORTED, code="unsupported")
