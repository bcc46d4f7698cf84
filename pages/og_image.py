"""Open Graph images: a 1200×630 JPEG of a post's cover, cropped to fill, centred.

Facebook and Zalo draw link previews at 1.91:1 and crop anything else as they please (or fall
back to a small thumbnail), so the site makes that crop itself from the approved cover.

The file is made once per image file, the first time a page needs it, and kept on default
storage under a name derived from the image's file (a new file gets a new name, so nothing
stale is ever served). A request that finds it pays one storage lookup and no database query,
so the post page's query budget is unchanged. It is not a ``Rendition`` row on purpose:
renditions keep the image's shape and feed ``srcset``, and a 1200-wide resize of a 1200-wide
original would collide with it on the (image, width, format) constraint.
"""

from __future__ import annotations

import hashlib
import io
import logging

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.http import HttpRequest
from PIL import Image, ImageOps

from .media import FORMATS
from .models import MediaImage

logger = logging.getLogger(__name__)

OG_WIDTH, OG_HEIGHT = 1200, 630


def og_image_name(image: MediaImage) -> str:
    digest = hashlib.sha256(image.file.name.encode()).hexdigest()[:12]
    return f"renditions/{image.unit_id}/{image.pk}/og-{OG_WIDTH}x{OG_HEIGHT}-{digest}.jpg"


def render_og(source: bytes) -> bytes:
    """``source`` (a verified, metadata-free image) scaled to cover 1200×630, the overflow cut
    equally from both sides, as a JPEG. Smaller sources are enlarged: platforms show a small
    image as a thumbnail only, which is worse than a soft large one."""
    with Image.open(io.BytesIO(source), formats=list(FORMATS)) as image:
        # JPEG only: decode at 1/2, 1/4… of the size while still covering the target, which
        # makes a 40-megapixel cover cheap enough to crop inside a request.
        image.draft("RGB", (OG_WIDTH, OG_HEIGHT))
        image.load()
        icc = image.info.get("icc_profile")
        if image.mode in ("RGBA", "LA", "P", "PA"):
            rgba = image.convert("RGBA")
            flat = Image.new("RGB", rgba.size, (255, 255, 255))
            flat.paste(rgba, mask=rgba.getchannel("A"))
            image = flat
        elif image.mode != "RGB":
            image = image.convert("RGB")
            icc = None  # it described the old colour space
        fitted = ImageOps.fit(image, (OG_WIDTH, OG_HEIGHT), method=Image.Resampling.LANCZOS, centering=(0.5, 0.5))
    out = io.BytesIO()
    fitted.save(out, format="JPEG", quality=82, optimize=True, progressive=True, icc_profile=icc)
    return out.getvalue()


def og_image_file(image: MediaImage) -> str | None:
    """The storage name of ``image``'s Open Graph JPEG, made now if missing; ``None`` when the
    original cannot be read (the caller falls back to a plain rendition). No database query."""
    name = og_image_name(image)
    if default_storage.exists(name):
        return name
    try:
        with image.file.open("rb") as handle:
            content = render_og(handle.read())
    except (OSError, ValueError, SyntaxError):
        logger.warning("Open Graph image of image %s not made: original unreadable", image.pk, exc_info=True)
        return None
    saved = default_storage.save(name, ContentFile(content))
    if saved != name:  # a concurrent request stored it first: keep theirs, drop our copy
        default_storage.delete(saved)
    return name


def open_graph_image(request: HttpRequest, image: MediaImage | None) -> dict | None:
    """The Open Graph card image of ``image`` (with its approved alt text already set on it):
    absolute URL, size and alt; ``None`` without an image or when it cannot be made."""
    if image is None:
        return None
    name = og_image_file(image)
    if name is None:
        return None
    return {
        "url": request.build_absolute_uri(default_storage.url(name)),
        "width": OG_WIDTH,
        "height": OG_HEIGHT,
        "type": "image/jpeg",
        "alt": image.alt_text,
    }
