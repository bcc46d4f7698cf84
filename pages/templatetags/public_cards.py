"""``{% post_card post show_unit=True pinned=True compact=True %}``: a post's card, built in
Python; ``{% spread_card post %}``: a spread post's card with where it came from.

A page of cards spent most of its rendering time in that include: ~20 variable lookups and four
filters per card through the template engine cost ~0.35 ms a card, 7 ms for the 20 cards of a
unit page; this builds the same markup in ~0.03 ms (numbers in ``docs/ARCHITECTURE.md``). Every
value is escaped by ``format_html``; the picture, when there is one, is still the
``{% picture %}`` template.
"""

from __future__ import annotations

from django import template
from django.template.defaultfilters import date, truncatewords
from django.template.loader import get_template
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.timezone import template_localtime
from django.utils.translation import gettext

from pages.public import links
from pages.public.links import post_href

from .pages_media import picture

register = template.Library()

CARD_SIZES = "(min-width: 64rem) 20rem, (min-width: 40rem) 45vw, 100vw"


@register.simple_tag
def post_card(post, *, show_unit: bool = False, pinned: bool = False, compact: bool = False) -> SafeString:  # noqa: ANN001 - a live Post from pages.public.selectors
    rev = post.live_revision
    cover = rev.approved_cover
    is_pinned = bool(post.is_pinned and pinned)
    published = template_localtime(post.published_at)
    media = ""
    if cover is not None:
        media = format_html('<div class="card-media">{}</div>',
                            get_template("pages/includes/picture.html").render(picture(cover, sizes=CARD_SIZES)))
    badge = format_html('<p class="badge badge-pin">{}</p>', gettext("Tin ghim")) if is_pinned else ""
    topic = format_html('<p class="card-topic">{}</p>', rev.topic.name) if rev.topic_id and rev.topic else ""
    summary = (format_html('<p class="card-summary">{}</p>', truncatewords(rev.summary, 32))
               if rev.summary and not compact else "")
    unit = format_html('<span class="card-unit">{}</span> · ', post.unit.name) if show_unit else ""
    return format_html(
        '<article class="card{}{}">\n  {}\n  <div class="card-body">\n    {}\n    {}\n'
        '    <h3 class="card-title"><a href="{}">{}</a></h3>\n    {}\n'
        '    <p class="card-meta">{}<time datetime="{}">{}</time></p>\n  </div>\n</article>',
        mark_safe(" has-image") if cover is not None else "", mark_safe(" is-pinned") if is_pinned else "",  # noqa: S308 - constants
        media, badge, topic, post_href(post.unit.path, post.slug), rev.title, summary,
        unit, date(published, "c"), date(published, "d/m/Y"),
    )


@register.simple_tag
def spread_card(post) -> SafeString:  # noqa: ANN001 - a spread Post from own_and_spread_posts
    """A post spread to the page: where it came from, then its card with its own unit."""
    origin = links.unit_href(post.spread_from_path or "")
    return format_html(
        '<div class="spread-item">\n  <p class="card-topic spread-from"><a href="{}">{}</a></p>\n  {}\n</div>',
        origin, gettext("Tin từ %(unit)s") % {"unit": post.spread_from_name}, post_card(post, show_unit=True),
    )
