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

from django.db import connection
from django.db.models import Case, IntegerField, Q, QuerySet, Value, When
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


#: Search ranks at most this many candidates: the newest matches (10 pages of 20). Ranking every
#: match of common words ("dai doan ket" matches nearly every post) cost 0.6 s at 200k posts.
CANDIDATES = 200
#: PostgreSQL first looks for the candidates among this many newest live posts of the scope (one
#: bounded walk of the date indexes); only when they are too few does it ask the GIN index.
WINDOW = 1000


def _tsquery(terms: list[str], weight: str = "") -> str:
    # Terms are [a-z0-9]+ only, so the tsquery syntax cannot be injected; the last term matches
    # as a prefix ("dong d" finds "Đống Đa"). ``weight`` "A" restricts matches to the title.
    words = [f"{t}:{weight}" if weight else t for t in terms[:-1]]
    return " & ".join([*words, f"{terms[-1]}:*{weight}"])


def search_posts(text: str, filters: SearchFilters, *, offset: int = 0, limit: int = 10) -> list[Post]:
    """Live posts matching every word of ``text``, best first; ``limit + 1`` rows are read so
    the caller knows whether a next page exists. Two queries whatever the data size.

    "Best" is: the newest ``CANDIDATES`` matches, those with every word in the title first, then
    by ``ts_rank`` (PostgreSQL; title weighted above body), then newest. Bounding the candidates
    keeps a search for common words as cheap as one for rare words; past ``CANDIDATES`` results
    there is no next page (refine the query or the filters).
    """
    terms = query_terms(text)
    if not terms or offset >= CANDIDATES:
        return []
    limit = min(limit, CANDIDATES - offset)
    if connection.vendor == "postgresql":
        post_ids = _search_ids_postgres(terms, filters, offset=offset, limit=limit + 1)
    else:
        post_ids = _search_ids_like(terms, filters, offset=offset, limit=limit + 1)
    if not post_ids:
        return []
    posts = {p.pk: p for p in public_posts(with_body=True).filter(pk__in=post_ids)}
    return [posts[pk] for pk in post_ids if pk in posts]


def _date_bounds(filters: SearchFilters) -> tuple[datetime.datetime | None, datetime.datetime | None]:
    tz = timezone.get_current_timezone()
    start = datetime.datetime.combine(filters.date_from, datetime.time.min, tz) if filters.date_from else None
    end = (datetime.datetime.combine(filters.date_to + datetime.timedelta(days=1), datetime.time.min, tz)
           if filters.date_to else None)
    return start, end


def _search_ids_like(terms: list[str], filters: SearchFilters, *, offset: int, limit: int) -> list[int]:
    """SQLite (and any other database): ``LIKE`` on the mark-free keys. The newest
    ``CANDIDATES`` matches are found first (a walk of the date index that stops there), and
    only those are ranked: title matches first, then newest."""
    qs = live_search_entries()
    if filters.unit is not None and filters.unit.kind != UnitKind.CENTRAL:
        qs = qs.filter(subtree_q(filters.unit, "unit__"))
    if filters.topic_id:
        qs = qs.filter(topic_id=filters.topic_id)
    start, end = _date_bounds(filters)
    if start:
        qs = qs.filter(published_at__gte=start)
    if end:
        qs = qs.filter(published_at__lt=end)
    title_hit = Q()
    for term in terms:
        qs = qs.filter(Q(title_key__contains=term) | Q(body_key__contains=term))
        title_hit &= Q(title_key__contains=term)
    candidates = qs.order_by("-published_at", "-post_id").values("post_id")[:CANDIDATES]
    ranked = (
        PostSearch.objects.filter(post_id__in=candidates)
        .annotate(rank=Case(When(title_hit, then=Value(1)), default=Value(0), output_field=IntegerField()))
        .order_by("-rank", "-published_at", "-post_id")
    )
    return list(ranked.values_list("post_id", flat=True)[offset : offset + limit])


def _search_ids_postgres(terms: list[str], filters: SearchFilters, *, offset: int, limit: int) -> list[int]:
    """PostgreSQL, one statement. The candidates (the newest ``CANDIDATES`` matches) come from
    whichever of two paths is cheap for this query, decided inside the statement:

    - *window*: the newest ``WINDOW`` live posts of the scope (the site-wide date index, or per
      unit for a subtree, as ``subtree_posts``), their index rows matched one by one. If that
      yields ``CANDIDATES`` matches (common words) or the window is the whole scope (a
      district), these are the candidates: they are newer than any match outside the window.
    - *GIN*: otherwise (rarer words) the matches from the GIN index, newest first. The planner's
      estimate for a prefix term is a fixed 2 %, so it cannot be trusted to choose between
      these two itself; the second arm runs only when the first says so (a one-time filter).

    The candidates are then ranked: every word in the title first (``document`` weight A), then
    ``ts_rank``, then newest.
    """
    query, title_query = _tsquery(terms), _tsquery(terms, "A")
    now = timezone.now()
    unit = filters.unit if filters.unit is not None and filters.unit.kind != UnitKind.CENTRAL else None
    extra, extra_params = "", []
    if filters.topic_id:
        extra += " AND s.topic_id = %s"
        extra_params.append(filters.topic_id)
    start, end = _date_bounds(filters)
    if start:
        extra += " AND s.published_at >= %s"
        extra_params.append(start)
    if end:
        extra += " AND s.published_at < %s"
        extra_params.append(end)
    if unit is None:
        window = """SELECT p.id, p.published_at FROM pages_post p
            WHERE p.live_revision_id IS NOT NULL AND p.published_at <= %s
            ORDER BY p.published_at DESC, p.id DESC LIMIT %s"""
        window_params = [now, WINDOW]
        scope, scope_params = "", []
        whole_scope, whole_params = "false", []  # the whole country is never within one window
    else:
        window = """SELECT t.id, t.published_at FROM orgunits_orgunit u CROSS JOIN LATERAL (
                SELECT p.id, p.published_at FROM pages_post p
                WHERE p.unit_id = u.id AND p.live_revision_id IS NOT NULL AND p.published_at <= %s
                ORDER BY p.published_at DESC, p.id DESC LIMIT %s) t
            WHERE u.tree_id = %s AND u.lft >= %s AND u.rght <= %s
            ORDER BY t.published_at DESC, t.id DESC LIMIT %s"""
        window_params = [now, WINDOW, unit.tree_id, unit.lft, unit.rght, WINDOW]
        scope = " AND s.unit_id IN (SELECT id FROM orgunits_orgunit WHERE tree_id = %s AND lft >= %s AND rght <= %s)"
        scope_params = [unit.tree_id, unit.lft, unit.rght]
        # Too few matches in the window: if the window held the subtree's every post (a district,
        # a commune), there are no others to find; evaluated only then (after the OR).
        whole_scope = f"(SELECT count(*) FROM ({window}) x) < %s"  # noqa: S608 - fixed fragments
        whole_params = [*window_params, WINDOW]
    # The window is walked in order and each of its rows looked up by primary key (the LATERAL
    # with OFFSET 0 cannot be flattened into a join the planner might turn into a GIN scan of
    # every match): the walk stops at the CANDIDATES-th match.
    sql = f"""
        WITH q AS MATERIALIZED (SELECT to_tsquery('simple', %s) AS q, to_tsquery('simple', %s) AS qa),
        probe AS MATERIALIZED (
            SELECT m.post_id, m.published_at, m.document FROM ({window}) w
            CROSS JOIN LATERAL (
                SELECT s.post_id, s.published_at, s.document FROM pages_postsearch s
                WHERE s.post_id = w.id AND s.document @@ (SELECT q FROM q){extra} OFFSET 0
            ) m
            ORDER BY w.published_at DESC, w.id DESC LIMIT %s),
        enough AS MATERIALIZED (
            SELECT (SELECT count(*) FROM probe) >= %s OR {whole_scope} AS ok),
        candidates AS (
            SELECT post_id, published_at, document FROM probe WHERE (SELECT ok FROM enough)
            UNION ALL
            SELECT * FROM (
                SELECT s.post_id, s.published_at, s.document FROM pages_postsearch s
                JOIN pages_post p ON p.id = s.post_id AND p.live_revision_id IS NOT NULL
                WHERE s.document @@ (SELECT q FROM q) AND s.published_at <= %s{scope}{extra}
                ORDER BY s.published_at DESC, s.post_id DESC LIMIT %s
            ) g WHERE NOT (SELECT ok FROM enough)
        )
        SELECT c.post_id FROM candidates c
        ORDER BY c.document @@ (SELECT qa FROM q) DESC,
                 ts_rank('{{0.1, 0.2, 0.4, 1.0}}', c.document, (SELECT q FROM q)) DESC,
                 c.published_at DESC, c.post_id DESC
        LIMIT %s OFFSET %s"""  # noqa: S608 - fixed fragments; values bound; the tsquery holds [a-z0-9] terms
    params = [
        query, title_query, *window_params, *extra_params, CANDIDATES, CANDIDATES, *whole_params,
        now, *scope_params, *extra_params, CANDIDATES, limit, offset,
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [row[0] for row in cursor.fetchall()]


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

def search_units(text: str, *, limit: int = 20) -> list[dict]:
    """Active units whose name holds every word of ``text`` at a word start, without marks:
    "van mieu" finds "Phường Văn Miếu Quốc Tử Giám". Provinces first, then districts, then
    communes. One query on ``OrgUnit.search_name`` (11,000 short rows: a scan takes a few ms)."""
    terms = query_terms(text)
    if not terms:
        return []
    match = Q()
    for term in terms:
        match &= Q(search_name__startswith=term) | Q(search_name__contains=f" {term}")
    order = Case(
        When(kind=UnitKind.PROVINCE, then=Value(0)),
        When(kind=UnitKind.DISTRICT, then=Value(1)),
        default=Value(2),
    )
    rows = (
        OrgUnit.objects.filter(match, is_active=True)
        .exclude(kind=UnitKind.CENTRAL)
        .order_by(order, "name")
        .values_list("search_name", "name", "path", "kind", "parent__name")[:limit]
    )
    return [
        {"name": name, "path": path, "kind": kind, "parent": parent or "", "key": key}
        for key, name, path, kind, parent in rows
    ]
