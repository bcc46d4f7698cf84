"""Public search: posts by their LIVE content, units by name, diacritic-insensitive.

The index (``PostSearch``) is written only here, from a post's live revision, and is kept in
step by ``pages.signals`` whenever moderation changes ``Post.live_revision`` (publish, import,
withdraw, take down). Queries still join the post and require ``live_revision`` and a past
``published_at``, so a stale index row can never show what the public may not see.

PostgreSQL: the generated ``document`` tsvector (title weight A, body B) with a GIN index,
matched with ``to_tsquery('simple', …)`` over terms already unaccented in Python (``search_key``, identical to the SQLite path; calling the STABLE ``unaccent()`` in the query was re-evaluated per row and cost seconds), ranked by ``ts_rank`` so title matches
come first. SQLite: ``LIKE`` on the mark-free keys, title matches first.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass

from django.core.cache import cache
from django.db import connection
from django.db.models import Case, IntegerField, Q, QuerySet, Value, When
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from orgunits.managers import subtree_q
from orgunits.models import OrgUnit, UnitKind
from vietfront.text import search_key, strip_marks

from .models import Post, PostSearch, Tag
from .sanitize import html_to_text

_TERM_RE = re.compile(r"[a-z0-9]+")
MAX_TERMS = 8


def query_terms(text: str) -> list[str]:
    """The words of a query, lowercase and without marks: "Hà Nội!" -> ["ha", "noi"]."""
    return _TERM_RE.findall(search_key(text or ""))[:MAX_TERMS]


# --- the index ---------------------------------------------------------------------------------


def index_live_post(post: Post) -> None:
    """Make the index match what the public sees of ``post``: its live revision, or nothing.

    Call inside the transaction that changed ``live_revision`` (the signal receiver does).
    """
    post_id = post.pk
    row = (
        Post.objects.filter(pk=post_id, live_revision__isnull=False, published_at__isnull=False)
        .select_related("live_revision")
        .only("pk", "unit_id", "published_at", "live_revision")
        .first()
    )
    if row is None:
        PostSearch.objects.filter(post_id=post_id).delete()
        return
    rev = row.live_revision
    entry, _ = PostSearch.objects.update_or_create(
        post_id=post_id,
        defaults={
            "unit_id": row.unit_id,
            "topic_id": rev.topic_id,
            "published_at": row.published_at,
            "title_key": search_key(rev.title),
            "body_key": search_key(f"{rev.summary} {html_to_text(rev.body)}"),
        },
    )
    names = (rev.content or {}).get("tags", [])
    entry.tags.set(Tag.objects.filter(name__in=names) if names else [])


def live_search_entries() -> QuerySet[PostSearch]:
    """Index rows of posts the public may see now."""
    return PostSearch.objects.filter(
        post__live_revision__isnull=False, published_at__lte=timezone.now()
    )


# --- posts -------------------------------------------------------------------------------------


@dataclass
class SearchFilters:
    unit: OrgUnit | None = None
    topic_id: int | None = None
    date_from: datetime.date | None = None
    date_to: datetime.date | None = None


def _tsquery(terms: list[str]) -> str:
    # Terms are [a-z0-9]+ only, so the tsquery syntax cannot be injected; the last term matches
    # as a prefix ("dong d" finds "Đống Đa").
    return " & ".join(terms[:-1] + [terms[-1] + ":*"])


def search_posts(text: str, filters: SearchFilters, *, offset: int = 0, limit: int = 10) -> list[Post]:
    """Live posts matching every word of ``text``, best first; ``limit + 1`` rows are read so
    the caller knows whether a next page exists. Two queries whatever the data size."""
    terms = query_terms(text)
    if not terms:
        return []
    qs = live_search_entries()
    if filters.unit is not None and filters.unit.kind != UnitKind.CENTRAL:
        qs = qs.filter(subtree_q(filters.unit, "unit__"))
    if filters.topic_id:
        qs = qs.filter(topic_id=filters.topic_id)
    tz = timezone.get_current_timezone()
    if filters.date_from:
        qs = qs.filter(published_at__gte=datetime.datetime.combine(filters.date_from, datetime.time.min, tz))
    if filters.date_to:
        qs = qs.filter(published_at__lt=datetime.datetime.combine(
            filters.date_to + datetime.timedelta(days=1), datetime.time.min, tz))
    if connection.vendor == "postgresql":
        tsq = _tsquery(terms)
        qs = qs.extra(  # noqa: S610 - parameters bound; the tsquery holds only [a-z0-9] terms
            where=["pages_postsearch.document @@ to_tsquery('simple', %s)"],
            params=[tsq],
        ).annotate(
            rank=RawSQL("ts_rank('{0.1, 0.2, 0.4, 1.0}', pages_postsearch.document, to_tsquery('simple', %s))", (tsq,)),
        ).order_by("-rank", "-published_at")
    else:
        title_hit = Q()
        for term in terms:
            qs = qs.filter(Q(title_key__contains=term) | Q(body_key__contains=term))
            title_hit &= Q(title_key__contains=term)
        qs = qs.annotate(
            rank=Case(When(title_hit, then=Value(1)), default=Value(0), output_field=IntegerField())
        ).order_by("-rank", "-published_at")
    post_ids = list(qs.values_list("post_id", flat=True)[offset : offset + limit + 1])
    if not post_ids:
        return []
    posts = {p.pk: p for p in public_posts(with_body=True).filter(pk__in=post_ids)}
    return [posts[pk] for pk in post_ids if pk in posts]


def public_posts(*, with_body: bool = False) -> QuerySet[Post]:
    """Published posts with what a list shows (live revision, its topic and cover, the unit);
    the working copy's long fields and (unless asked) the revision's body are not read."""
    deferred = ["body", "search_text", "summary", "live_revision__content"]
    if not with_body:
        deferred.append("live_revision__body")
    return (
        Post.objects.published()
        .select_related("live_revision__topic", "live_revision__cover", "unit")
        .defer(*deferred)
    )


def _mark_map(text: str) -> str:
    """A per-character key of ``text`` (same length): lowercase and without marks, so
    positions found in it are positions in ``text``."""
    return "".join((strip_marks(ch).lower()[:1] or ch) for ch in text)


def snippet(text: str, terms: list[str], *, width: int = 220) -> SafeString:
    """An escaped excerpt of ``text`` around the first match, every match in ``<mark>``."""
    if not text:
        return mark_safe("")  # noqa: S308 - empty
    key = _mark_map(text)
    spans: list[tuple[int, int]] = []
    for term in terms:
        for m in re.finditer(r"(?<![a-z0-9])" + re.escape(term), key):
            spans.append((m.start(), m.end()))
    spans.sort()
    start = 0
    if spans and spans[0][0] > width // 3:
        start = text.rfind(" ", 0, spans[0][0] - width // 3) + 1
    end = min(len(text), start + width)
    if end < len(text):
        space = text.rfind(" ", start, end)
        end = space if space > start else end
    out, pos = [], start
    for s, e in spans:
        if s < pos or s >= end:
            continue
        out.append(escape(text[pos:s]))
        out.append(f"<mark>{escape(text[s:min(e, end)])}</mark>")
        pos = min(e, end)
    out.append(escape(text[pos:end]))
    prefix = "… " if start > 0 else ""
    suffix = " …" if end < len(text) else ""
    return mark_safe(prefix + "".join(out) + suffix)  # noqa: S308 - every piece escaped above


def highlight(text: str, terms: list[str]) -> SafeString:
    """The whole of ``text`` escaped, matches in ``<mark>`` (for titles)."""
    return snippet(text, terms, width=max(len(text), 1))


# --- units -------------------------------------------------------------------------------------

UNIT_INDEX_KEY = "vf:unit-search-index"


def _unit_index() -> list[tuple[str, str, str, str, str]]:
    """(key, name, path, kind, parent name) of every active unit, cached; ~11,000 rows."""
    from .cache import generations

    tree_gen = generations("")[0]
    cached = cache.get(UNIT_INDEX_KEY)
    if cached and cached[0] == tree_gen:
        return cached[1]
    rows = [
        (search_key(f"{name} {short}"), name, path, kind, parent or "")
        for name, short, path, kind, parent in OrgUnit.objects.filter(is_active=True)
        .exclude(kind=UnitKind.CENTRAL)
        .values_list("name", "short_name", "path", "kind", "parent__name")
    ]
    cache.set(UNIT_INDEX_KEY, (tree_gen, rows), 3600)
    return rows


def search_units(text: str, *, limit: int = 20) -> list[dict]:
    """Active units whose name holds every word of ``text``, without marks: "van mieu" finds
    "Phường Văn Miếu Quốc Tử Giám". Provinces first, then districts, then communes."""
    terms = query_terms(text)
    if not terms:
        return []
    patterns = [re.compile(r"(?<![a-z0-9])" + re.escape(t)) for t in terms]
    order = {UnitKind.PROVINCE: 0, UnitKind.DISTRICT: 1, UnitKind.COMMUNE: 2}
    hits = [row for row in _unit_index() if all(p.search(row[0]) for p in patterns)]
    hits.sort(key=lambda row: (order.get(row[3], 3), row[1]))
    return [
        {"name": name, "path": path, "kind": kind, "parent": parent, "key": key}
        for key, name, path, kind, parent in hits[:limit]
    ]
