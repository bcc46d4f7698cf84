"""``{% post_card post show_unit=True pinned=True compact=True %}``: a post's card, built in
Python; ``{% spread_card post %}``: a spread post's card with where it came from;
``{% search_results results %}``: the items of a page of search results.

A page of cards spent most of its rendering time in that include: ~20 variable lookups and four
filters per card through the template engine cost ~0.35 ms a card, 7 ms for the 20 cards of a
unit page; this builds the same markup in ~0.03 ms (numbers in ``docs/ARCHITECTURE.md``). Every
value is escaped as ``format_html`` would (``vietfront.escaping.escaped``); the picture, when there is one, is still the
``{% picture %}`` template.
"""

from __future__ import annotations

from django import template
from django.template.defaultfilters import truncatewords
from django.template.loader import get_template
from django.utils.safestring import SafeString, mark_safe
from django.utils.timezone import template_localtime
from django.utils.translation import gettext

from pages.public import links
from pages.public.links import post_href
from vietfront.escaping import escaped as _e

from .pages_media import picture

register = template.Library()

CARD_SIZES = "(min-width: 64rem) 20rem, (min-width: 40rem) 45vw, 100vw"


def _published(post) -> str:  # noqa: ANN001 - a live Post
    """When ``post`` went live, in the reader's time zone: machine-readable and as a date."""
    published = template_localtime(post.published_at)
    return f'<time datetime="{published.isoformat()}">{published:%d/%m/%Y}</time>'


@register.simple_tag
def post_card(post, *, show_unit: bool = False, pinned: bool = False, compact: bool = False) -> SafeString:  # noqa: ANN001 - a live Post from pages.public.selectors
    rev = post.live_revision
    cover = rev.approved_cover
    is_pinned = bool(post.is_pinned and pinned)
    media = ""
    if cover is not None:
        media = ('<div class="card-media">'
                 f'{get_template("pages/includes/picture.html").render(picture(cover, sizes=CARD_SIZES))}</div>')
    badge = f'<p class="badge badge-pin">{_e(gettext("Tin ghim"))}</p>' if is_pinned else ""
    topic = f'<p class="card-topic">{_e(rev.topic.name)}</p>' if rev.topic_id and rev.topic else ""
    summary = (f'<p class="card-summary">{_e(truncatewords(rev.summary, 32))}</p>'
               if rev.summary and not compact else "")
    unit = f'<span class="card-unit">{_e(post.unit.name)}</span> · ' if show_unit else ""
    return mark_safe(  # noqa: S308 - every value below is escaped by _e; the picture is a rendered template
        f'<article class="card{" has-image" if cover is not None else ""}{" is-pinned" if is_pinned else ""}">\n'
        f'  {media}\n  <div class="card-body">\n    {badge}\n    {topic}\n'
        f'    <h3 class="card-title"><a href="{_e(post_href(post.unit.path, post.slug))}">{_e(rev.title)}</a></h3>\n'
        f'    {summary}\n'
        f'    <p class="card-meta">{unit}{_published(post)}</p>\n'
        "  </div>\n</article>"
    )


@register.simple_tag
def spread_card(post) -> SafeString:  # noqa: ANN001 - a spread Post from own_and_spread_posts
    """A post spread to the page: where it came from, then its card with its own unit."""
    origin = links.unit_href(post.spread_from_path or "")
    source = gettext("Tin từ %(unit)s") % {"unit": post.spread_from_name}
    return mark_safe(  # noqa: S308 - escaped by _e; the card is post_card's
        f'<div class="spread-item">\n  <p class="card-topic spread-from"><a href="{_e(origin)}">{_e(source)}</a></p>\n'
        f"  {post_card(post, show_unit=True)}\n</div>"
    )


@register.simple_tag
def search_results(results: list[dict]) -> SafeString:
    """``<li>`` items of search results (``pages.views.search``): the title and snippet as
    ``highlight``/``snippet`` marked and escaped them, the rest escaped here. Through the
    template engine the 20 items of a page cost more than finding them."""
    items = []
    for r in results:
        post, rev = r["post"], r["rev"]
        topic = f" · {_e(rev.topic.name)}" if rev.topic_id and rev.topic else ""
        items.append(
            '<li class="result">\n'
            f'      <h3 class="result-title"><a href="{_e(post_href(post.unit.path, post.slug))}">{_e(r["title"])}</a></h3>\n'
            f'      <p class="result-snippet">{_e(r["snippet"])}</p>\n'
            f'      <p class="card-meta"><span class="card-unit">{_e(post.unit.name)}</span>{topic} · '
            f'{_published(post)}</p>\n'
            "    </li>"
        )
    return mark_safe("".join(items))  # noqa: S308 - every value escaped by _e (marked text kept as it is)
