"""``{{ post|post_href }}``, ``{% unit_items units %}``, ``{% topic_items topics unit.path %}``:
the public links of ``pages.public.links``, for templates that show many of them."""

from __future__ import annotations

from django import template
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext

from pages.models import PageStatus
from pages.public import links

register = template.Library()


@register.filter
def post_href(post) -> str:  # noqa: ANN001 - a Post with its unit loaded
    return links.post_href(post.unit.path, post.slug)


@register.simple_tag
def unit_items(units) -> SafeString:  # noqa: ANN001 - OrgUnits with their page loaded (or None)
    """``<li>`` links to ``units``, each with the "has a page" dot when its page is active.
    Built in Python: the home page lists 63 provinces, a district ~30 communes, and per item
    the template engine spent more than the rest of the list (``docs/ARCHITECTURE.md``)."""
    dot = format_html(' <span class="dot-active" title="{}"><span class="visually-hidden">{}</span></span>',
                      gettext("Đã có trang cộng đồng"), gettext("(đã có trang)"))
    return format_html_join("", "<li><a href=\"{}\">{}</a>{}</li>", (
        (links.unit_href(u.path), u.name, dot if _active_page(u) else "") for u in units))


@register.simple_tag
def topic_items(topics, unit_path: str = "") -> SafeString:  # noqa: ANN001 - Topics
    """``<li>`` links to ``topics``, nationwide or within ``unit_path``."""
    return format_html_join("", "<li><a href=\"{}\">{}</a></li>", (
        (links.topic_href(t.slug, unit_path or ""), t.name) for t in topics))


def _active_page(unit) -> bool:  # noqa: ANN001
    page = getattr(unit, "page", None)
    return page is not None and page.status == PageStatus.ACTIVE
