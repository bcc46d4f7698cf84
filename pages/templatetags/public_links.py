"""``{{ post|post_href }}``, ``{% unit_items units %}``, ``{% topic_items topics unit.path %}``,
``{% fixed_url 'public:home' %}``: the public links of ``pages.public.links``, for templates
that show many of them, or on every page."""

from __future__ import annotations

from django import template
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

from pages.public import links
from pages.public.selectors import active_page
from vietfront.escaping import escaped as _e

register = template.Library()


@register.simple_tag
def fixed_url(name: str) -> str:
    """``{% url name %}`` for a pattern without arguments, reversed once (``links.fixed_href``)."""
    return links.fixed_href(name)


@register.filter
def post_href(post) -> str:  # noqa: ANN001 - a Post with its unit loaded
    return links.post_href(post.unit.path, post.slug)


@register.simple_tag
def unit_items(units) -> SafeString:  # noqa: ANN001 - OrgUnits with their page loaded (or None)
    """``<li>`` links to ``units``, each with the "has a page" dot when its page is active.
    Built in Python: the home page lists 63 provinces, a district ~30 communes, and per item
    the template engine spent more than the rest of the list (``docs/ARCHITECTURE.md``)."""
    dot = (f' <span class="dot-active" title="{_e(gettext("Đã có trang cộng đồng"))}">'
           f'<span class="visually-hidden">{_e(gettext("(đã có trang)"))}</span></span>')
    return mark_safe("".join(  # noqa: S308 - names and links escaped by _e
        f'<li><a href="{_e(links.unit_href(u.path))}">{_e(u.name)}</a>{dot if active_page(u) else ""}</li>'
        for u in units))


@register.simple_tag
def topic_items(topics, unit_path: str = "") -> SafeString:  # noqa: ANN001 - Topics
    """``<li>`` links to ``topics``, nationwide or within ``unit_path``."""
    return mark_safe("".join(  # noqa: S308 - names and links escaped by _e
        f'<li><a href="{_e(links.topic_href(t.slug, unit_path or ""))}">{_e(t.name)}</a></li>' for t in topics))
