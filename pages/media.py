"""Image uploads: verify with Pillow, refuse anything risky, re-encode without metadata.

Decisions, in order of the checks:
- the size limit is checked on the bytes before Pillow sees them;
- the format is decided by the content (Pillow's own sniffing, limited to JPEG/PNG/WebP
  plugins), never by the file name or the browser's content type; SVG is never accepted;
- the pixel count is read from the header by ``Image.open`` (which does not decode) and refused
  above ``MAX_PIXELS`` before ``load()``; Pillow's ``DecompressionBombWarning`` is an error;
- EXIF orientation is applied, then the image is re-encoded from pixels only: EXIF (GPS!),
  XMP, IPTC, comments and text chunks are gone; an ICC profile is kept so colours stay right.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass
from typing import IO

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageOps, UnidentifiedImageError

MAX_BYTES = 15 * 1024 * 1024
MAX_PIXELS = 40_000_000
# (Pillow format name) -> (file extension, content type)
FORMATS: dict[str, tuple[str, str]] = {
    "JPEG": ("jpg", "image/jpeg"),
    "PNG": ("png", "image/png"),
    "WEBP": ("webp", "image/webp"),
}
RENDITION_WIDTHS: tuple[int, ...] = (320, 640, 960, 1280)


@dataclass(frozen=True)
class ProcessedImage:
    content: bytes
    format: str
    width: int
    height: int

    @property
    def extension(self) -> str:
        return FORMATS[self.format][0]

    @property
    def content_type(self) -> str:
        return FORMATS[self.format][1]


def _read_limited(fileobj: IO[bytes], max_bytes: int) -> bytes:
    if hasattr(fileobj, "seek"):
        fileobj.seek(0)
    data = fileobj.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise ValidationError(
            _("Ảnh quá lớn: tối đa %(mb)s MB.") % {"mb": max_bytes // (1024 * 1024)}, code="too_large"
        )
    if not data:
        raise ValidationError(_("Tệp ảnh trống."), code="empty")
    return data


def _looks_like_svg(head: bytes) -> bool:
    sample = head[:1024].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return sample.startswith((b"<?xml", b"<svg", b"<!doctype svg")) or b"<svg" in sample


def _reencode_params(fmt: str, image: Image.Image, icc: bytes | None) -> dict:
    params: dict = {}
    if icc:
        params["icc_profile"] = icc
    if fmt == "JPEG":
        params.update(quality=88, optimize=True, progressive=True)
    elif fmt == "PNG":
        params["optimize"] = True
        if "transparency" in image.info:
            params["transparency"] = image.info["transparency"]
    elif fmt == "WEBP":
        params.update(quality=85, method=4)
    return params


def process_image(
    fileobj: IO[bytes], *, max_bytes: int = MAX_BYTES, max_pixels: int = MAX_PIXELS, keep_icc: bool = True
) -> ProcessedImage:
    """Verify an uploaded image and return it re-encoded with no metadata.

    Raises ``ValidationError`` with a Vietnamese message for anything refused.
    """
    data = _read_limited(fileobj, max_bytes)
    if _looks_like_svg(data):
        raise ValidationError(_("Không nhận ảnh SVG. Hãy dùng ảnh JPEG, PNG hoặc WebP."), code="svg")
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(data), formats=list(FORMATS))
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise _too_many_pixels(max_pixels) from exc
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
            raise ValidationError(
                _("Tệp không phải ảnh JPEG, PNG hoặc WebP hợp lệ."), code="invalid_image"
            ) from exc
        fmt = image.format or ""
        if fmt not in FORMATS:
            raise ValidationError(_("Tệp không phải ảnh JPEG, PNG hoặc WebP hợp lệ."), code="invalid_image")
        width, height = image.size
        # Header only so far: refuse before any pixel is decoded.
        if width <= 0 or height <= 0 or width * height > max_pixels:
            raise _too_many_pixels(max_pixels)
        try:
            image.load()
            image = ImageOps.exif_transpose(image)
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise _too_many_pixels(max_pixels) from exc
        except (OSError, SyntaxError, ValueError) as exc:
            raise ValidationError(_("Ảnh bị hỏng hoặc không đọc được."), code="corrupt") from exc

    icc = image.info.get("icc_profile") if keep_icc else None
    if fmt == "JPEG" and image.mode not in ("RGB", "L"):
        # CMYK and friends: the profile describes the old colour space, so drop it with it.
        image = image.convert("RGB")
        icc = None
    elif fmt == "WEBP" and image.mode not in ("RGB", "RGBA"):
        image = image.convert("RGBA" if "A" in image.mode else "RGB")
    params = _reencode_params(fmt, image, icc)
    # Only what we pass is written: clear the info dict so no plugin copies metadata by default.
    image.info = {}
    out = io.BytesIO()
    image.save(out, format=fmt, **params)
    return ProcessedImage(content=out.getvalue(), format=fmt, width=image.width, height=image.height)


def _too_many_pixels(max_pixels: int) -> ValidationError:
    return ValidationError(
        _("Ảnh có kích thước quá lớn: tối đa %(mp)s triệu điểm ảnh.") % {"mp": max_pixels // 1_000_000},
        code="too_many_pixels",
    )


def rendition_widths(original_width: int) -> list[int]:
    """The widths to make for an image: never wider than the original (no upscaling)."""
    widths = {w for w in RENDITION_WIDTHS if w < original_width}
    widths.add(min(original_width, RENDITION_WIDTHS[-1]))
    return sorted(widths)


def render(source: bytes, *, width: int, fmt: str) -> tuple[bytes, int, int]:
    """Resize ``source`` (already verified and stripped) to ``width``; return bytes and size."""
    with Image.open(io.BytesIO(source), formats=list(FORMATS)) as image:
        image.load()
        height = max(1, round(image.height * width / image.width))
        resized = image.resize((width, height), Image.Resampling.LANCZOS) if width != image.width else image.copy()
    icc = resized.info.get("icc_profile")
    out = io.BytesIO()
    if fmt == "jpeg":
        if resized.mode in ("RGBA", "LA", "P"):
            rgba = resized.convert("RGBA")
            flat = Image.new("RGB", rgba.size, (255, 255, 255))
            flat.paste(rgba, mask=rgba.getchannel("A"))
            resized = flat
        elif resized.mode != "RGB":
            resized = resized.convert("RGB")
        resized.info = {}
        resized.save(out, format="JPEG", quality=82, optimize=True, progressive=True, icc_profile=icc)
    else:
        if resized.mode not in ("RGB", "RGBA"):
            resized = resized.convert("RGBA" if resized.mode in ("LA", "P", "PA") else "RGB")
        resized.info = {}
        resized.save(out, format="WEBP", quality=80, method=4, icc_profile=icc)
    return out.getvalue(), width, height
