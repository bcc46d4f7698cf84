"""Image uploads: refused inputs, metadata stripped, renditions, the <picture> tag."""

from __future__ import annotations

import io
import struct
import zlib

import pytest
from django.core.exceptions import ValidationError
from django.template import Context, Template
from PIL import Image

from pages import media, services
from pages.models import Rendition

from .conftest import image_bytes, make_image

pytestmark = pytest.mark.django_db


def _png_declaring(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims ``width`` x ``height``: a decompression bomb's shape."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\x00" * 16)) + chunk(b"IEND", b"")


def _refused(data: bytes, **kwargs) -> ValidationError:
    with pytest.raises(ValidationError) as exc:
        media.process_image(io.BytesIO(data), **kwargs)
    return exc.value


@pytest.mark.parametrize(("w", "h"), [(50_000, 50_000), (10_000, 5_000), (200_000, 200_000)])
def test_decompression_bomb_is_refused_from_the_header(w, h):
    error = _refused(_png_declaring(w, h))
    assert error.code == "too_many_pixels"
    assert "triệu điểm ảnh" in error.messages[0]


def test_text_file_named_jpg_is_refused():
    error = _refused(b"Day khong phai la anh, chi la van ban.\n" * 10)
    assert error.code == "invalid_image"
    assert "JPEG, PNG hoặc WebP" in error.messages[0]


def test_svg_with_script_is_refused():
    svg = b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    error = _refused(svg)
    assert error.code == "svg" and "SVG" in error.messages[0]
    assert _refused(b"   <svg onload='alert(1)'/>").code == "svg"


def test_other_formats_are_refused_by_content():
    gif = io.BytesIO()
    Image.new("RGB", (10, 10)).save(gif, format="GIF")
    assert _refused(gif.getvalue()).code == "invalid_image"
    bmp = io.BytesIO()
    Image.new("RGB", (10, 10)).save(bmp, format="BMP")
    assert _refused(bmp.getvalue()).code == "invalid_image"


def test_oversized_file_is_refused_before_decoding():
    error = _refused(image_bytes(), max_bytes=1000)
    assert error.code == "too_large" and "MB" in error.messages[0]
    assert _refused(b"").code == "empty"


def test_truncated_image_is_refused():
    data = image_bytes(size=(400, 300))
    assert _refused(data[: len(data) // 2]).code in ("corrupt", "invalid_image")


def _jpeg_with_gps() -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "Máy ảnh"  # Make
    exif[0x0112] = 6  # Orientation: rotate 90° clockwise to display
    exif.get_ifd(0x8825).update({1: "N", 2: (21.0, 1.0, 42.0), 3: "E", 4: (105.0, 50.0, 3.0)})  # GPS
    out = io.BytesIO()
    Image.new("RGB", (400, 200), (10, 120, 200)).save(out, format="JPEG", exif=exif, comment=b"secret")
    return out.getvalue()


def test_exif_and_gps_are_removed_and_orientation_applied(tree):
    original = _jpeg_with_gps()
    with Image.open(io.BytesIO(original)) as before:
        assert before.getexif().get_ifd(0x8825)
    processed = media.process_image(io.BytesIO(original))
    assert (processed.width, processed.height) == (200, 400)  # rotated by its orientation tag
    image = services.media_image_create(unit=tree.dongda, image=processed, alt_text="Ảnh", credit="Ảnh: H.Nguyệt", by=None)
    with image.file.open("rb") as fh, Image.open(fh) as stored:
        assert stored.format == "JPEG"
        assert len(stored.getexif()) == 0
        assert "exif" not in stored.info and "comment" not in stored.info
        assert stored.size == (200, 400)


def test_png_text_chunks_are_removed_and_icc_kept():
    from PIL import ImageCms, PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("Author", "Nguyễn Văn A, 0912345678")
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    out = io.BytesIO()
    Image.new("RGBA", (30, 20), (1, 2, 3, 128)).save(out, format="PNG", pnginfo=info, icc_profile=icc)
    processed = media.process_image(io.BytesIO(out.getvalue()))
    with Image.open(io.BytesIO(processed.content)) as reopened:
        assert reopened.format == "PNG" and reopened.mode == "RGBA"
        assert "Author" not in reopened.info
        assert reopened.info.get("icc_profile") == icc


def test_webp_is_accepted():
    processed = media.process_image(io.BytesIO(image_bytes("WEBP", size=(100, 50))))
    assert (processed.format, processed.width, processed.height, processed.extension) == ("WEBP", 100, 50, "webp")


def test_renditions_are_made_by_the_task_never_upscaled_and_idempotent(tree, eager_celery, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        image = make_image(tree.dongda, size=(1000, 500))
    got = sorted(image.renditions.values_list("format", "width", "height"))
    assert got == [("jpeg", 320, 160), ("jpeg", 640, 320), ("jpeg", 960, 480), ("jpeg", 1000, 500),
                   ("webp", 320, 160), ("webp", 640, 320), ("webp", 960, 480), ("webp", 1000, 500)]
    from pages.tasks import make_renditions_task

    make_renditions_task.delay(image.pk)
    make_renditions_task.delay(999_999)
    assert Rendition.objects.filter(image=image).count() == 8
    for rendition in image.renditions.all():
        with rendition.file.open("rb") as fh, Image.open(fh) as im:
            assert im.size == (rendition.width, rendition.height)
            assert im.format == ("WEBP" if rendition.format == "webp" else "JPEG")


def test_small_image_gets_only_its_own_width(tree, eager_celery, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        image = make_image(tree.dongda, size=(300, 200))
    assert set(image.renditions.values_list("width", flat=True)) == {300}


def test_picture_tag_renders_srcset_and_dimensions(tree, eager_celery, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        image = make_image(tree.dongda, alt="Hội nghị \"giám sát\"", size=(1600, 900))
    html = Template("{% load pages_media %}{% picture image %}").render(Context({"image": image}))
    assert '<source type="image/webp" srcset="' in html
    assert "320w" in html and "1280w" in html
    assert 'width="1280" height="720"' in html
    assert 'alt="Hội nghị &quot;giám sát&quot;"' in html
    assert "Ảnh: H.Nguyệt" in html


def test_picture_tag_falls_back_to_the_original(tree):
    image = make_image(tree.dongda, size=(500, 250))
    html = Template("{% load pages_media %}{% picture image %}").render(Context({"image": image}))
    assert image.file.url in html and 'width="500" height="250"' in html and "<source" not in html
