"""What goes to each platform, built from the post's live (approved) revision, with each
platform's limits checked before anything is sent.

Content that does not fit is refused with a Vietnamese message saying what to shorten; it is
never cut silently, since what leaves the site must be what was approved.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils.translation import gettext as _

from pages.media import render
from pages.models import Post
from pages.sanitize import html_to_text

from .clients import zalo
from .models import Platform

FACEBOOK_MESSAGE_MAX = 63206
COVER_WIDTHS = (1280, 1024, 800, 640, 480)


class ContentRefused(Exception):
    def __init__(self, messages: list[str]):
        super().__init__("; ".join(messages))
        self.messages = messages


@dataclass
class Outgoing:
    title: str
    summary: str
    body_html: str
    link: str
    author: str
    cover_url: str = ""


def absolute(path_or_url: str) -> str:
    if path_or_url.startswith(("http://", "https://")):
        return path_or_url
    return f"{settings.VIETFRONT_SITE_URL}{path_or_url}"


def cover_rendition(image) -> str:
    """The public URL of a JPEG of the cover no larger than Zalo's 1 MB, made once per image.

    Narrower widths are tried until one fits; the rendition is kept so a retry does not
    re-encode it."""
    source = None
    for width in COVER_WIDTHS:
        width = min(width, image.width)
        name = f"channels/covers/{image.pk}-{width}.jpg"
        if not default_storage.exists(name):
            if source is None:
                with image.file.open("rb") as handle:
                    source = handle.read()
            data, _w, _h = render(source, width=width, fmt="jpeg")
            if len(data) > zalo.COVER_MAX_BYTES:
                continue
            name = default_storage.save(name, ContentFile(data))
        elif default_storage.size(name) > zalo.COVER_MAX_BYTES:
            continue
        return absolute(default_storage.url(name))
    raise ContentRefused([_("Không tạo được ảnh đại diện nhỏ hơn 1 MB cho Zalo; hãy chọn ảnh khác.")])


def outgoing(post: Post) -> Outgoing:
    """The approved revision as plain pieces. The caller checked ``post.live_revision``."""
    revision = post.live_revision
    cover = revision.cover
    return Outgoing(
        title=revision.title,
        summary=revision.summary,
        body_html=revision.body,
        link=absolute(post.get_absolute_url()),
        author=(revision.content or {}).get("author_line") or post.author_line or post.unit.name,
        cover_url=cover_rendition(cover) if cover is not None else "",
    )


def facebook_message(item: Outgoing) -> str:
    parts = [item.title, item.summary]
    if item.cover_url:
        parts.append(item.link)  # a photo post has no link preview: the address goes in the text
    message = "\n\n".join(p for p in parts if p)
    if len(message) > FACEBOOK_MESSAGE_MAX:
        raise ContentRefused([
            _("Nội dung gửi Facebook dài %(n)d ký tự; Facebook chỉ nhận tối đa %(max)d ký tự.")
            % {"n": len(message), "max": FACEBOOK_MESSAGE_MAX}
        ])
    return message


def zalo_article(item: Outgoing) -> dict:
    problems = []
    if len(item.title) > zalo.TITLE_MAX:
        problems.append(
            _("Tiêu đề dài %(n)d ký tự; Zalo chỉ nhận tối đa %(max)d ký tự. Hãy rút gọn tiêu đề rồi gửi duyệt lại.")
            % {"n": len(item.title), "max": zalo.TITLE_MAX}
        )
    if not item.summary:
        problems.append(_("Zalo cần phần sapo (tóm tắt) làm mô tả bài viết."))
    elif len(item.summary) > zalo.DESCRIPTION_MAX:
        problems.append(
            _("Sapo dài %(n)d ký tự; Zalo chỉ nhận mô tả tối đa %(max)d ký tự. Hãy rút gọn sapo rồi gửi duyệt lại.")
            % {"n": len(item.summary), "max": zalo.DESCRIPTION_MAX}
        )
    if len(item.author) > zalo.AUTHOR_MAX:
        problems.append(
            _("Dòng tác giả dài %(n)d ký tự; Zalo chỉ nhận tối đa %(max)d ký tự.")
            % {"n": len(item.author), "max": zalo.AUTHOR_MAX}
        )
    if not item.cover_url:
        problems.append(_("Bài đăng Zalo cần ảnh đại diện."))
    if problems:
        raise ContentRefused(problems)
    return {
        "type": "normal",
        "title": item.title,
        "author": item.author,
        "description": item.summary,
        "cover": {"cover_type": "photo", "photo_url": item.cover_url, "status": "show"},
        "body": [
            {"type": "text", "content": item.body_html or html_to_text(item.summary)},
            {"type": "text", "content": _("Xem bài gốc: %(url)s") % {"url": item.link}},
        ],
        "tracking_link": item.link,
        "status": "show",
        "comment": "show",
    }


def content_for(post: Post, platform: str) -> dict:
    """The checked payload for ``platform``; raises ``ContentRefused`` with every problem."""
    item = outgoing(post)
    if platform == Platform.FACEBOOK:
        return {"message": facebook_message(item), "link": item.link, "photo_url": item.cover_url}
    return zalo_article(item)
