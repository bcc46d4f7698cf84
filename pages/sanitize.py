"""Rich text: the one allow-list every stored post body passes through (nh3)."""

from __future__ import annotations

import html
import re

import nh3
from django.conf import settings

from vietfront.text import nfc

ALLOWED_TAGS = frozenset({
    "p", "h2", "h3", "h4", "strong", "em", "u", "s", "a", "ul", "ol", "li", "blockquote",
    "figure", "figcaption", "img", "table", "thead", "tbody", "tr", "th", "td", "caption", "br", "hr",
})
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "width", "height"},
    "th": {"colspan", "rowspan", "scope"},
    "td": {"colspan", "rowspan"},
}
URL_SCHEMES = frozenset({"http", "https", "mailto"})

# Trix writes paragraphs as <div>, its one heading as <h1> and strike-through as <del>. Renaming
# them before nh3 keeps the editor's structure; nh3 still decides what survives, so a mistake
# here can only lose formatting, never let markup through.
_TRIX_RENAMES = {"div": "p", "h1": "h2", "del": "s", "b": "strong", "i": "em", "pre": "blockquote"}
_TAG_RE = re.compile(r"<(/?)(div|h1|del|b|i|pre)(?=[\s>/])", re.IGNORECASE)
_EMPTY_IMG_RE = re.compile(r"<img(?![^>]*\ssrc=)[^>]*>")
_EMPTY_P_RE = re.compile(r"<p>(?:\s|<br>)*</p>")
_DIMENSION_RE = re.compile(r"^\d{1,4}$")


def _rename_trix_tags(markup: str) -> str:
    return _TAG_RE.sub(lambda m: f"<{m.group(1)}{_TRIX_RENAMES[m.group(2).lower()]}", markup)


def _is_own_media(url: str) -> bool:
    """Images only from our media library: a path under MEDIA_URL, nothing else."""
    media = settings.MEDIA_URL
    return url.startswith(media) and "//" not in url[len(media):] and ".." not in url and "\\" not in url


def _attribute_filter(tag: str, attribute: str, value: str) -> str | None:
    if tag == "img":
        if attribute == "src":
            return value if _is_own_media(value) else None
        if attribute in ("width", "height"):
            return value if _DIMENSION_RE.match(value) else None
    if attribute in ("colspan", "rowspan"):
        return value if _DIMENSION_RE.match(value) and int(value) <= 50 else None
    if attribute == "scope":
        return value if value in ("row", "col", "rowgroup", "colgroup") else None
    return value


_cleaner = nh3.Cleaner(
    tags=set(ALLOWED_TAGS),
    attributes={k: set(v) for k, v in ALLOWED_ATTRIBUTES.items()},
    url_schemes=set(URL_SCHEMES),
    attribute_filter=_attribute_filter,
    # Every link leaves the reader's trust context the same way; cheaper to always add it than
    # to decide which host is "ours" in a multi-domain deployment.
    link_rel="noopener noreferrer",
    strip_comments=True,
    clean_content_tags={"script", "style", "iframe", "object", "embed", "template", "noscript", "svg", "math"},
)


def sanitize_html(markup: str) -> str:
    """Untrusted HTML in, allow-listed NFC HTML out. Idempotent: clean(clean(x)) == clean(x)."""
    if not markup:
        return ""
    cleaned = _cleaner.clean(_rename_trix_tags(nfc(markup)))
    # An <img> whose src was refused is useless and would render a broken box.
    cleaned = _EMPTY_IMG_RE.sub("", cleaned)
    cleaned = _EMPTY_P_RE.sub("", cleaned)
    return nfc(cleaned).strip()


_STRIP_TAGS_RE = re.compile(r"<[^>]+>")


def html_to_text(markup: str) -> str:
    """Plain text of sanitised HTML, for search keys and summaries."""
    return " ".join(html.unescape(_STRIP_TAGS_RE.sub(" ", markup)).split())
