"""The API's reads: one query per list (plus the unit or topic it is about), whatever the
page's size or depth. Posts only through ``Post.objects.published()``, shown from their live
revision; units only while active, as on the public pages."""

from __future__ import annotations

import datetime

from django.db.models import Q, QuerySet

from orgunits.managers import subtree_q
from orgunits.models import OrgUnit, UnitKind
from pages.models import Post, Topic
from pages.public.selectors import as_approved, topics_menu


def _units() -> QuerySet[OrgUnit]:
    return OrgUnit.objects.filter(is_active=True).select_related("page")


def unit_page(*, parent_id: int | None, kind: str | None, level: int | None,
              after: tuple[int, int] | None, limit: int) -> list[OrgUnit]:
    """Active units in tree order (``tree_id``, ``lft``): ``limit + 1`` of them after ``after``."""
    units = _units().order_by("tree_id", "lft")
    if parent_id is not None:
        units = units.filter(parent_id=parent_id)
    if kind:
        units = units.filter(kind=kind)
    if level is not None:
        units = units.filter(level=level)
    if after is not None:
        tree_id, lft = after
        units = units.filter(Q(tree_id__gt=tree_id) | Q(tree_id=tree_id, lft__gt=lft))
    return list(units[: limit + 1])


def active_unit(unit_id: int, *, with_page: bool = False) -> OrgUnit | None:
    return (_units() if with_page else OrgUnit.objects.filter(is_active=True)).filter(pk=unit_id).first()


def topics() -> list[Topic]:
    return topics_menu()


def active_topic(slug: str) -> Topic | None:
    """The public site's topics (cached): a topic it does not list has no posts here either."""
    return next((t for t in topics_menu() if t.slug == slug), None)


def _live_posts() -> QuerySet[Post]:
    return (
        Post.objects.published()
        .select_related("unit", "live_revision__topic")
        .defer("body", "summary", "search_text", "live_revision__body", "live_revision__content")
        .order_by("-published_at", "-id")
    )


def post_page(*, unit: OrgUnit | None, subtree: bool, topic: Topic | None,
              after: tuple[datetime.datetime, int] | None, limit: int) -> list[Post]:
    """Live posts newest first: of ``unit`` (or its whole subtree; every unit when ``None``),
    of ``topic`` if given; ``limit + 1`` of them after the key ``after``. One query."""
    posts = _live_posts()
    if unit is not None and not subtree:
        posts = posts.filter(unit=unit)
    elif unit is not None and unit.kind != UnitKind.CENTRAL:
        # The country's subtree is every post: unfiltered, the site-wide date index serves it
        # (an IN over all ~10,800 units cost ~110 ms), as on the public pages.
        posts = posts.filter(unit_id__in=OrgUnit.objects.filter(subtree_q(unit)).values("pk"))
    if topic is not None:
        posts = posts.filter(live_revision__topic=topic)
    if after is not None:
        when, last_id = after
        posts = posts.filter(Q(published_at__lt=when) | Q(published_at=when, pk__lt=last_id))
    return list(posts[: limit + 1])


def live_post(post_id: int) -> Post | None:
    """A published post with its live revision (body and approved cover), or ``None``."""
    post = (
        Post.objects.published().select_related("unit", "live_revision__topic", "live_revision__cover")
        .defer("body", "summary", "search_text").filter(pk=post_id).first()
    )
    return None if post is None else as_approved([post])[0]
