"""Reads for the public site: what anonymous citizens may see, in a constant number of queries.

Everything shown of a post comes from its live revision (``Post.live_revision``), never from
the working-copy fields, which may hold an edit awaiting approval, nor from the rows the post
refers to (the cover's description in the media library, the documents' titles), which editors
may change after approval: every list here returns posts whose cover carries its approved text. Lists read one page plus one
row (``limit + 1``) instead of counting, so a list costs one query however many posts exist.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.core.cache import cache
from django.db import connection
from django.db.models import (
    BooleanField,
    F,
    FilteredRelation,
    Q,
    QuerySet,
    Subquery,
    prefetch_related_objects,
)
from django.db.models.expressions import RawSQL
from django.utils import timezone

from orgunits.managers import interval_q
from orgunits.models import OrgUnit, UnitKind
from vietfront.precompiled import Precompiled

from ..cache import path_prefixes
from ..models import CommunityPage, MediaImage, PageStatus, Post, PostDocument, Topic
from ..search import public_posts

TOPICS_KEY = "vf:public-topics"


@dataclass
class UnitContext:
    """A unit with its page, its ancestors (top first) and its active children: one query."""

    unit: OrgUnit
    ancestors: list[OrgUnit]
    children: list[OrgUnit] = field(default_factory=list)

    @property
    def page(self) -> CommunityPage | None:
        return getattr(self.unit, "page", None)

    @property
    def active_page(self) -> CommunityPage | None:
        return active_page(self.unit)


def active_page(unit: OrgUnit) -> CommunityPage | None:
    """``unit``'s page if it is active (read with the unit, as ``unit_context`` reads it)."""
    page = getattr(unit, "page", None)
    return page if page is not None and page.status == PageStatus.ACTIVE else None


def _unit_rows(*, prefixes: list[str], unit_path: str | None = None) -> QuerySet[OrgUnit]:
    """The units at ``prefixes``, and the active children of the one at ``unit_path`` if given."""
    condition = Q(path__in=prefixes)
    if unit_path is not None:
        # Children by ``parent_id`` (an index probe); ``level = 1`` for the centre's children
        # matched a tenth of the table and joined every page to it.
        parent = OrgUnit.objects.filter(path=unit_path).values("pk")[:1]
        condition |= Q(parent_id=Subquery(parent), is_active=True)
    return (
        OrgUnit.objects.filter(condition)
        .select_related("page__avatar", "page__cover", "successor")
        .order_by("level", "code", "name")
    )


_UNIT_ROWS = Precompiled(_unit_rows)


def unit_context(unit_path: str, *, with_children: bool = False) -> UnitContext | None:
    """The unit at ``unit_path`` and its ancestors by path prefix (paths mirror the tree), with
    its active children if asked, in one query. ``None`` when no unit has that path."""
    unit_path = unit_path.strip("/")
    prefixes = path_prefixes(unit_path)
    if with_children:
        rows = _UNIT_ROWS.list(prefixes=prefixes, unit_path=unit_path)
    else:
        rows = _UNIT_ROWS.list(prefixes=prefixes)
    by_path = {u.path: u for u in rows}
    unit = by_path.get(unit_path)
    if unit is None:
        return None
    ancestors = [by_path[p] for p in prefixes[:-1] if p in by_path]
    children = [u for u in rows if u.level == unit.level + 1 and u.tree_id == unit.tree_id
                and u.lft > unit.lft and u.rght < unit.rght] if with_children else []
    return UnitContext(unit=unit, ancestors=ancestors, children=children)


def topics_menu() -> list[Topic]:
    """Active topics, cached (they change rarely; ``Topic`` saves clear it)."""
    topics = cache.get(TOPICS_KEY)
    if topics is None:
        topics = list(Topic.objects.filter(is_active=True).only("id", "name", "slug", "order"))
        cache.set(TOPICS_KEY, topics, 3600)
    return topics


def as_approved(posts: list[Post]) -> list[Post]:
    """``posts`` (live, with their live revision and its cover loaded), each cover carrying the
    description its revision was approved with. No query."""
    for post in posts:
        post.live_revision.approved_cover  # noqa: B018 - sets the approved text on the cover
    return posts


#: Above this many units in a subtree (only the central unit's, ~11,000), the latest posts are
#: read by walking the site-wide date index; at or below it, per unit (see ``subtree_posts``).
PER_UNIT_MAX_UNITS = 3000


def subtree_posts(
    unit: OrgUnit, *, offset: int = 0, limit: int, exclude_own: bool = False, topic: Topic | None = None
) -> list[Post]:
    """Live posts of the unit's whole subtree, newest first, in one query.
    Returns up to ``limit + 1`` rows so the caller can tell whether there is a next page.

    The plan is chosen by the subtree's size (``rght - lft`` counts its units), not left to the
    planner, whose estimate of "posts in this interval" is off by orders of magnitude:

    - the whole country: walk the site-wide partial date index (``post_live_recent``); the
      first rows found are the answer;
    - anything smaller (a province, a district): on PostgreSQL, the newest ``offset + limit + 1``
      posts *of each unit* from ``post_live_unit_recent`` (a ``LATERAL`` top-N per unit), then
      the newest of those. Cost grows with the number of units (≤ ~700 even in the biggest
      province), not with the number of posts in the country. SQLite has no ``LATERAL``; its
      planner reads the subtree's posts through the per-unit index by itself (``IN`` the
      interval's units) and sorts them.
    """
    if exclude_own and unit.rght - unit.lft == 1:
        return []  # a leaf has nothing below it; no query (and no planner gamble on an empty set)
    units = (unit.rght - unit.lft + 1) // 2
    values: dict = {"now": timezone.now()}
    if exclude_own:
        values["exclude_id"] = unit.pk
    if topic is not None:
        values["topic_id"] = topic.pk
    if unit.kind != UnitKind.CENTRAL and units <= PER_UNIT_MAX_UNITS and connection.vendor == "postgresql":
        rows = _SUBTREE_PER_UNIT.list(tree_id=unit.tree_id, lft=unit.lft, rght=unit.rght, wanted=offset + limit + 1,
                                      page_rows=limit + 1, offset=offset, **values)
    else:
        if unit.kind != UnitKind.CENTRAL:
            values.update(tree_id=unit.tree_id, lft=unit.lft, rght=unit.rght)
        rows = _SUBTREE_SLICED.list({"offset": offset, "limit": limit}, **values)
    return as_approved(rows)


def _subtree_sliced(*, now: datetime.datetime, offset: int, limit: int, tree_id: int | None = None,
                    lft: int = 0, rght: int = 0, exclude_id: int | None = None, topic_id: int | None = None
                    ) -> QuerySet[Post]:
    def scoped(qs: QuerySet[Post]) -> QuerySet[Post]:
        if tree_id is not None:  # not the whole country
            qs = qs.filter(unit_id__in=OrgUnit.objects.filter(interval_q(tree_id, lft, rght)).values("pk"))
        if exclude_id is not None:
            qs = qs.exclude(unit_id=exclude_id)
        if topic_id is not None:
            qs = qs.filter(live_revision__topic_id=topic_id)
        return qs.order_by("-published_at", "-id")[offset : offset + limit + 1]

    if connection.vendor == "postgresql":  # the whole country: the date index walk stops early
        return scoped(public_posts(now=now))
    # SQLite reads a subtree's posts by the per-unit index and sorts them: the page's ids are
    # chosen on posts alone, and what a card shows is joined for those rows only (joined first,
    # each of a province's 3,805 posts was joined to its revision, topic and cover: 13 ms).
    page = scoped(Post.objects.published(now)).values("pk")
    return public_posts(now=now).filter(pk__in=page).order_by("-published_at", "-id")


def _subtree_per_unit(*, now: datetime.datetime, tree_id: int, lft: int, rght: int, wanted: int, page_rows: int,
                      offset: int, exclude_id: int | None = None, topic_id: int | None = None) -> QuerySet[Post]:
    """PostgreSQL: the live posts ``offset`` to ``offset + page_rows`` (newest first) of a
    subtree, ``wanted`` being their sum: per unit, its newest ``wanted`` from the partial index
    ``(unit_id, published_at DESC, id DESC)``, then the newest of those."""
    topic_join = ""
    params: list = []
    if topic_id is not None:
        topic_join = "JOIN moderation_revision r ON r.id = p.live_revision_id AND r.topic_id = %s"
        params.append(topic_id)
    # ``lft BETWEEN`` bounds the interval index on both ends (``rght <= `` alone reads from
    # ``lft`` to the end of the tree); ``rght`` then holds by nesting.
    params += [now, wanted, tree_id, lft, rght]
    own = ""
    if exclude_id is not None:
        own = "AND u.id <> %s"
        params.append(exclude_id)
    params += [page_rows, offset]
    ids = RawSQL(  # noqa: S611 - fixed fragments, every value bound
        f"""SELECT t.id FROM orgunits_orgunit u CROSS JOIN LATERAL (
                SELECT p.id, p.published_at FROM pages_post p {topic_join}
                WHERE p.unit_id = u.id AND p.live_revision_id IS NOT NULL AND p.published_at <= %s
                ORDER BY p.published_at DESC, p.id DESC LIMIT %s
            ) t
            WHERE u.tree_id = %s AND u.lft BETWEEN %s AND %s {own}
            ORDER BY t.published_at DESC, t.id DESC LIMIT %s OFFSET %s""",  # noqa: S608 - fixed fragments, values bound
        params,
    )
    return public_posts(now=now).filter(pk__in=ids).order_by("-published_at", "-id")


_SUBTREE_SLICED = Precompiled(_subtree_sliced)
_SUBTREE_PER_UNIT = Precompiled(_subtree_per_unit)


def _own_and_spread_rows(*, unit_id: int, now: datetime.datetime, own_limit: int, spread_limit: int) -> QuerySet[Post]:
    from spreading.states import VISIBLE  # a leaf module: states only, no import back

    live = Post.objects.published(now)
    own_ids = live.filter(unit_id=unit_id).order_by("-is_pinned", "-published_at", "-id").values("pk")[:own_limit]
    spread_ids = (live.filter(deliveries__unit_id=unit_id, deliveries__state__in=VISIBLE)
                  .order_by("-deliveries__changed_at", "-id").values("pk")[: 2 * spread_limit])
    if connection.vendor == "postgresql":  # an OR would scan posts; so would a plain IN here
        wanted = _pk_any(own_ids.union(spread_ids, all=True))
    else:  # SQLite allows no LIMIT inside a compound select; two IN lists are fine there
        wanted = Q(pk__in=own_ids) | Q(pk__in=spread_ids)
    return (
        public_posts(now=now).filter(wanted)
        .annotate(delivery=FilteredRelation(
            "deliveries", condition=Q(deliveries__unit_id=unit_id, deliveries__state__in=VISIBLE)))
        .annotate(spread_from_name=F("delivery__spread__from_unit__name"),
                  spread_from_path=F("delivery__spread__from_unit__path"),
                  spread_direction=F("delivery__spread__direction"),
                  spread_at=F("delivery__changed_at"))
        .order_by("-is_pinned", "-published_at", "-id")
    )


_OWN_AND_SPREAD = Precompiled(_own_and_spread_rows)


def own_and_spread_posts(unit: OrgUnit, *, own_limit: int, spread_limit: int) -> tuple[list[Post], list[Post], list[Post]]:
    """The unit's own live posts (pinned first, newest first) and the live posts spread to ``unit``'s page (``spreading``), in one query:
    (own, sent down from above, accepted from below). Each spread post carries its provenance,
    ``spread_from_name``/``spread_from_path``, from its delivery row (a post has at most one per
    page, so the join adds no rows). Spread posts come newest delivery first."""
    rows = _OWN_AND_SPREAD.list({"own_limit": own_limit, "spread_limit": spread_limit},
                                unit_id=unit.pk, now=timezone.now())
    as_approved(rows)
    own = [p for p in rows if p.unit_id == unit.pk]
    spread = sorted((p for p in rows if p.unit_id != unit.pk), key=lambda p: (p.spread_at, p.pk), reverse=True)
    down = [p for p in spread if p.spread_direction == "down"][:spread_limit]
    up = [p for p in spread if p.spread_direction == "up"][:spread_limit]
    return own, down, up


def _pk_any(ids: QuerySet) -> RawSQL:
    """PostgreSQL: ``id = ANY(ARRAY(ids))``. The ids are computed once (an InitPlan) and the
    posts fetched by primary key. As ``id IN (ids UNION ALL …)`` the planner joined every live
    post to its revision, unit and delivery before keeping the eight wanted (0.5 s on 100,000)."""
    sql, params = ids.query.sql_with_params()
    return RawSQL(f'"pages_post"."id" = ANY(ARRAY({sql}))', params, output_field=BooleanField())  # noqa: S611 - Django-compiled SQL, values bound


def tag_posts(tag_id: int, *, offset: int, limit: int) -> list[Post]:
    """Live posts whose live revision carries the tag (from the live-content index)."""
    return as_approved(list(
        public_posts().filter(search_entry__tags=tag_id).order_by("-published_at", "-id")[offset : offset + limit + 1]
    ))


def _live_post_rows(*, unit_id: int, slug: str, now: datetime.datetime, related: int) -> QuerySet[Post]:
    live = Post.objects.published(now)
    latest = live.filter(unit_id=unit_id).order_by("-published_at", "-id").values("pk")[: related + 1]
    if connection.features.supports_slicing_ordering_in_compound:
        # PostgreSQL: "id IN (this post UNION the latest)" uses the indexes on both arms; an OR
        # of the two conditions would scan the table.
        wanted = Q(pk__in=Post.objects.filter(unit_id=unit_id, slug=slug).values("pk").union(latest, all=True))
    else:  # SQLite allows no LIMIT inside a compound select; its planner handles the OR well.
        wanted = Q(unit_id=unit_id, slug=slug) | Q(pk__in=latest)
    return (
        live.filter(wanted)
        .select_related("live_revision__topic", "live_revision__cover", "unit")
        .defer("body", "summary", "search_text")
        .order_by("-published_at", "-id")
    )


_LIVE_POST = Precompiled(_live_post_rows)


def live_post(unit: OrgUnit, slug: str, *, related: int = 4) -> tuple[Post | None, list[Post]]:
    """The live post ``slug`` of ``unit`` with its whole live revision, and the unit's
    ``related`` latest other live posts, in one query (an ``IN`` over a limited subquery)."""
    rows = as_approved(_LIVE_POST.list({"related": related}, unit_id=unit.pk, slug=slug, now=timezone.now()))
    post = next((p for p in rows if p.slug == slug and p.unit_id == unit.pk), None)
    return post, [p for p in rows if p is not post][:related]


def post_documents(post: Post) -> list[PostDocument]:
    """The documents the live revision was approved with (not ones attached since), under the
    titles they were approved with. No query when there are none."""
    rev = post.live_revision
    approved = [pk for pk, _title in (rev.content.get("documents") or [])]
    if not approved:
        return []
    rows = PostDocument.objects.filter(post=post, pk__in=approved).only("id", "title", "kind", "size", "post_id")
    return rev.approved_documents(rows)


def attach_renditions(*images: MediaImage | None) -> None:
    """Prefetch the renditions of every image shown on a page in one query (none if no image)."""
    unique = list({img.pk: img for img in images if img is not None}.values())
    if unique:
        prefetch_related_objects(unique, "renditions")


def covers(posts: list[Post]) -> list[MediaImage | None]:
    return [p.live_revision.approved_cover for p in posts]


def directory(province_code: str = "", district_code: str = "") -> dict:
    """Provinces; the districts of one; the communes of one district (or of a 2025 province,
    where communes sit directly under it). At most three small indexed queries."""
    provinces = list(
        OrgUnit.objects.filter(kind=UnitKind.PROVINCE, is_active=True).only("id", "name", "path", "code", "kind")
        .order_by("name")
    )
    province = next((p for p in provinces if p.code == province_code), None)
    districts: list[OrgUnit] = []
    communes: list[OrgUnit] = []
    district = None
    if province is not None:
        below = list(
            OrgUnit.objects.filter(parent=province, is_active=True).only("id", "name", "path", "code", "kind")
            .order_by("name")
        )
        districts = [u for u in below if u.kind == UnitKind.DISTRICT]
        communes = [u for u in below if u.kind == UnitKind.COMMUNE]
        district = next((d for d in districts if d.code == district_code), None)
        if district is not None:
            communes = list(
                OrgUnit.objects.filter(parent=district, is_active=True).only("id", "name", "path", "code", "kind")
                .order_by("name")
            )
    return {"provinces": provinces, "province": province, "districts": districts, "district": district,
            "communes": communes}
