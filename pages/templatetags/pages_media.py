"""``{% picture image sizes="..." %}``: a responsive <picture> with explicit dimensions.

Renditions should be prefetched (``prefetch_related("cover__renditions")``) in lists so the
tag makes no query; until the task has made them it falls back to the stored original.
"""

from __future__ import annotations

from django import template

from pages.models import MediaImage, RenditionFormat

register = template.Library()

DEFAULT_SIZES = "(min-width: 60rem) 60rem, 100vw"


def _srcset(renditions: list) -> str:
    return ", ".join(f"{r.file.url} {r.width}w" for r in renditions)


@register.inclusion_tag("pages/includes/picture.html")
def picture(image: MediaImage | None, sizes: str = DEFAULT_SIZES, loading: str = "lazy", css_class: str = "") -> dict:
    if image is None:
        return {"image": None}
    renditions = sorted(image.renditions.all(), key=lambda r: r.width)
    webp = [r for r in renditions if r.format == RenditionFormat.WEBP]
    jpeg = [r for r in renditions if r.format == RenditionFormat.JPEG]
    fallback = jpeg[-1] if jpeg else None
    return {
        "image": image,
        "sizes": sizes,
        "loading": loading,
        "css_class": css_class,
        "webp_srcset": _srcset(webp),
        "jpeg_srcset": _srcset(jpeg),
        "src": fallback.file.url if fallback else image.file.url,
        # The largest rendition keeps the original's aspect ratio, so its size is the box.
        "width": fallback.width if fallback else image.width,
        "height": fallback.height if fallback else image.height,
    }
