"""Public search: posts by their LIVE content, units by name, with or without tone marks.

The index (``PostSearch``) is written only here, from a post's live revision, and is kept in
step by ``pages.signals`` whenever moderation changes ``Post.live_revision`` (publish, import,
withdraw, take down). Queries still join the post and require ``live_revision`` and a past
``published_at``, so a stale index row can never show what the public may not see.

The order of results is decided in ``pages.search_rank`` (phrase, then every syllable, then
most of them; whole syllables, the last one typed also as a prefix). The database finds the
candidates of each class in turn, best class first, the newest ``CANDIDATES`` of them:

- PostgreSQL: the generated ``document`` tsvector (with positions) and its GIN index, queried
  with ``<->`` for the phrase and ``&``/``|`` for the others (``to_tsquery('simple', …)`` over
  terms already without marks: calling the STABLE ``unaccent()`` per row cost seconds);
- SQLite with FTS5 (``pages_postsearch_fts``, migration 0009): its phrase and boolean queries;
- SQLite without FTS5: ``LIKE`` on the space-separated keys, whole syllables by their spaces.
"""

from __future__ import annotations

import datetime
import sqlite3
from dataclasses import dataclass, field
from functools import cache

from django.db import connection
from django.db.models import Case, Q, QuerySet, TextField, Value, When
from django.db.models.functions import Concat
from django.utils import timezone

from orgunits.managers import subtree_q
from orgunits.models import OrgUnit, UnitKind
from vietfront.precompiled import Precompiled
from vietfront.text import search_key

from . import search_postgres
from .cache import generations
from .models import Post, PostSearch, Tag
from .sanitize import html_to_text
from .search_filters import FIRST_DAY, LAST_DAY, Candidate, SearchFilters, date_bounds, search_scope, whole
from .search_rank import (
    _TERM_RE,
    PHRASE,
    Group,
    Rank,
    highlight,
    index_key,
    index_pair_key,
    plan,
    query_terms,
    rank,
    ranker,
    snippet,
)
from .unit_index import unit_index

__all__ = [
    "FIRST_DAY", "LAST_DAY", "SearchFilters", "SearchPage", "highlight", "index_live_post", "index_live_posts", "public_posts", "query_terms",
    "search_page", "search_posts", "search_units", "snippet",
]

FTS_TABLE = "pages_postsearch_fts"


@cache
def fts5_available() -> bool:
    """Whether this Python's SQLite has FTS5 (migration 0009 builds the table only then)."""
    try:
        sqlite3.connect(":memory:").execute("CREATE VIRTUAL TABLE t USING fts5(a)")
    except sqlite3.OperationalError:
        return False
    return True


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
        defaults={"unit_id": row.unit_id, "topic_id": rev.topic_id, "published_at": row.published_at,
                  **entry_keys(rev.title, rev.summary, rev.body, row.published_at)},
    )
    names = (rev.content or {}).get("tags", [])
    entry.tags.set(Tag.objects.filter(name__in=names) if names else [])


def entry_keys(title: str, summary: str, body: str, published_at: datetime.datetime) -> dict[str, str]:
    """An index row's keys for a post's title, summary and body (sanitised HTML), published
    at ``published_at``."""
    title_key, body_key = index_key(title), index_key(f"{summary} {html_to_text(body)}")
    return {"title_key": title_key, "body_key": body_key, "pair_key": index_pair_key(title_key, body_key, published_at)}


def _keys_from_working_copy(post: Post) -> tuple[str, str]:
    """``index_key`` of the title and of summary + body, from the columns ``Post.save`` derived
    already (``search_text`` is ``search_key`` of title, summary and body text, one space apart):
    no second pass over the body. Falls back to deriving them when the columns disagree."""
    head = search_key(post.title)
    text = post.search_text
    if text == head:
        rest = ""
    elif not head or text.startswith(head + " "):
        rest = text[len(head) + 1:] if head else text
    else:
        return index_key(post.title), index_key(f"{post.summary} {html_to_text(post.body)}")
    # ``index_key`` is ``search_key`` then its syllables: the first half is done.
    return " ".join(_TERM_RE.findall(head)), " ".join(_TERM_RE.findall(rest))


def index_live_posts(posts: list[Post]) -> None:
    """``index_live_post`` for posts just put live together (the publishing sweep): each with
    its ``live_revision`` loaded and ``published_at`` set, and its working copy equal to that
    revision (the sweep has compared their hashes), so the working copy's derived search text
    serves. A few queries whatever their number.

    Call inside the transaction that changed their ``live_revision``.
    """
    if not posts:
        return
    ids = [p.pk for p in posts]
    PostSearch.objects.filter(post_id__in=ids).delete()
    entries = []
    for post in posts:
        title_key, body_key = _keys_from_working_copy(post)
        entries.append(PostSearch(
            post_id=post.pk, unit_id=post.unit_id, topic_id=post.live_revision.topic_id,
            published_at=post.published_at, title_key=title_key, body_key=body_key,
            pair_key=index_pair_key(title_key, body_key, post.published_at),
        ))
    PostSearch.objects.bulk_create(entries)
    names = {p.pk: (p.live_revision.content or {}).get("tags", []) for p in posts}
    wanted = {n for tags in names.values() for n in tags}
    if not wanted:
        return
    tag_ids = dict(Tag.objects.filter(name__in=wanted).values_list("name", "pk"))
    through = PostSearch.tags.through
    through.objects.bulk_create(
        through(postsearch_id=post_id, tag_id=tag_ids[name])
        for post_id, tags in names.items() for name in set(tags) if name in tag_ids
    )


def live_search_entries() -> QuerySet[PostSearch]:
    """Index rows of posts the public may see now."""
    return PostSearch.objects.filter(
        post__live_revision__isnull=False, published_at__lte=timezone.now()
    )


# --- posts -------------------------------------------------------------------------------------


#: Search ranks at most this many candidates: the newest matches of the best classes (10 pages
#: of 20). Ranking every match of common words ("dai doan ket" matches nearly every post) cost
#: 0.6 s at 200k posts.
CANDIDATES = 200
#: PostgreSQL first looks for the candidates among this many newest live posts of the scope (one
#: bounded walk of the date indexes); only when they are too few does it ask the GIN index.
WINDOW = 1000
#: The window of a two-syllable phrase of common syllables (``_candidates_postgres``).
PHRASE_WINDOW = 2500
#: The newest posts of the window looked at first (``_candidates_postgres``).
SAMPLE = 100
#: A whole phrase country-wide is looked for in the pairs index a week at a time, the newest
#: this many weeks (``search_postgres``), before the whole index is asked.
WEEKS = 26


@dataclass
class SearchPage:
    """One page of results: the posts in rank order, how many matched (``capped`` when there
    were more candidates than are ranked) and the page's number."""

    posts: list[Post]
    count: int
    capped: bool
    number: int
    per_page: int
    ranks: dict[int, Rank] = field(default_factory=dict)

    @property
    def pages(self) -> int:
        return max(1, -(-self.count // self.per_page))


def ranked_ids(text: str, filters: SearchFilters) -> tuple[list[int], dict[int, Rank], bool]:
    """The ids of every candidate that matches, best first, their ranks, and whether the
    candidates were capped. At most three queries, on PostgreSQL at most two:

    - every syllable (for one syllable: it); if that finds fewer than ``CANDIDATES``, it found
      every phrase match too, and documents with most of the syllables are asked next;
    - else there are more matches than are ranked, and the newest phrase matches are asked
      for: they may be older than the newest matches of every syllable.

    PostgreSQL asks the phrase first and every syllable only when the whole phrases are too
    few, in one statement (``search_postgres.phrase_then_every``): the same candidates.
    """
    terms = query_terms(text)
    if not terms:
        return [], {}, False
    find = _candidates_postgres if connection.vendor == "postgresql" else (
        _candidates_fts if connection.vendor == "sqlite" and fts5_available() else _candidates_like)
    asked = plan(terms)
    if asked.every is None:
        rows, phrase_rows = find("phrase", asked.phrase, filters), []
    elif connection.vendor == "postgresql":
        phrase_rows, rows = search_postgres.phrase_then_every(asked.phrase, asked.every, filters, _limits())
    else:
        rows = find("all", asked.every, filters)
        # The phrase with its last syllable whole first: those matches rank before any where it
        # only begins a longer one, so they alone fill the candidates when there are enough.
        phrase_rows = find("phrase", asked.phrase, filters, exact_first=True) if len(rows) >= CANDIDATES else []
    by = ranker(tuple(terms))
    ranks: dict[int, tuple[Rank, Candidate]] = {}

    def add(found: list[Candidate]) -> None:
        for row in found:
            if row[0] not in ranks and (r := by.rank(row[2], row[3])) is not None:
                ranks[row[0]] = (r, row)

    add(phrase_rows)
    # As many whole phrases as are ranked: every one of them comes before any match of the
    # syllables apart, which need not be ranked (on PostgreSQL, not even asked for).
    phrases = sum(r.tier == PHRASE for r, _row in ranks.values()) >= CANDIDATES
    capped = phrases or len(rows) >= CANDIDATES
    if not phrases:
        add(rows)
    if not capped and asked.most:
        most = find("all", asked.most, filters)
        capped = len(most) >= CANDIDATES
        add(most)
    # Best first; of equal ranks, newest first. Dates compare as the backend returns them
    # (datetimes, or SQLite's sortable text from the FTS5 path's plain cursor).
    scored = sorted(ranks.values(), key=lambda pair: (pair[1][1], pair[1][0]), reverse=True)
    scored = [(r, row[0]) for r, row in scored]
    scored.sort(key=lambda pair: pair[0])
    capped = capped or len(scored) > CANDIDATES
    scored = scored[:CANDIDATES]
    return [pk for _r, pk in scored], {pk: r for r, pk in scored}, capped


def search_page(text: str, filters: SearchFilters, *, number: int = 1, per_page: int = 20) -> SearchPage:
    """Page ``number`` of the results for ``text``; a constant number of queries (the
    candidate searches, then the page's posts)."""
    ids, ranks, capped = ranked_ids(text, filters)
    page_ids = ids[(number - 1) * per_page : number * per_page]
    posts = {p.pk: p for p in _POSTS_BY_ID.list(ids=page_ids, now=timezone.now())} if page_ids else {}
    return SearchPage(
        posts=[posts[pk] for pk in page_ids if pk in posts], count=len(ids), capped=capped,
        number=number, per_page=per_page, ranks=ranks,
    )


def search_posts(text: str, filters: SearchFilters, *, offset: int = 0, limit: int = 10) -> list[Post]:
    """Live posts matching ``text``, best first: ``limit`` of them from ``offset``."""
    ids, _ranks, _capped = ranked_ids(text, filters)
    page_ids = ids[offset : offset + limit]
    if not page_ids:
        return []
    posts = {p.pk: p for p in _POSTS_BY_ID.list(ids=page_ids, now=timezone.now())}
    return [posts[pk] for pk in page_ids if pk in posts]


#: The posts of a page of results, with their bodies (for the snippets): one compilation per
#: number of ids (at most a page's).
_POSTS_BY_ID = Precompiled(lambda *, ids, now: public_posts(with_body=True, now=now).filter(pk__in=ids))


def _filtered_entries(filters: SearchFilters) -> QuerySet[PostSearch]:
    qs = live_search_entries()
    unit = search_scope(filters)
    if unit is not None:
        qs = qs.filter(subtree_q(unit, "unit__"))
    if filters.topic_id:
        qs = qs.filter(topic_id=filters.topic_id)
    start, end = date_bounds(filters)
    if start:
        qs = qs.filter(published_at__gte=start)
    if end:
        qs = qs.filter(published_at__lt=end)
    return qs


def _newest(qs: QuerySet[PostSearch]) -> list[Candidate]:
    return list(
        qs.order_by("-published_at", "-post_id")
        .values_list("post_id", "published_at", "title_key", "body_key")[:CANDIDATES]
    )


def _fts_query(kind: str, groups: list[Group]) -> str:
    # Every term is [a-z0-9]+ and quoted, so nothing typed can be read as FTS5 syntax.
    parts = []
    for terms, prefix in groups:
        star = "*" if prefix else ""
        if kind == "phrase":
            parts.append(f'"{" ".join(terms)}"{star}')
        else:
            parts.append(" AND ".join([*(f'"{t}"' for t in terms[:-1]), f'"{terms[-1]}"{star}']))
    return " OR ".join(f"({p})" for p in parts)


def _candidates_fts(kind: str, groups: list[Group], filters: SearchFilters, *, exact_first: bool = False
                    ) -> list[Candidate]:
    """SQLite FTS5: the matches walked from the FTS index in descending rowid (``post_id``)
    order, each checked against the filters, stopping at the ``CANDIDATES``-th. Driving from
    the date index instead read every post for a rare phrase; driving from the match set and
    sorting it by date cost ~1 s for common words in a province (99,000 matches of 100,000).
    So here "newest" is by id, which follows publication closely (a post is published after
    it is written); the order shown is still by rank, then date."""
    if exact_first:
        return _exact_then_begun(_candidates_fts, kind, groups, filters)
    ops = connection.ops
    where, params = [], [_fts_query(kind, groups), ops.adapt_datetimefield_value(timezone.now())]
    unit = search_scope(filters)
    if unit is not None:
        where.append("s.unit_id IN (SELECT id FROM orgunits_orgunit WHERE tree_id = %s AND lft >= %s AND rght <= %s)")
        params += [unit.tree_id, unit.lft, unit.rght]
    if filters.topic_id:
        where.append("s.topic_id = %s")
        params.append(filters.topic_id)
    start, end = date_bounds(filters)
    if start:
        where.append("s.published_at >= %s")
        params.append(ops.adapt_datetimefield_value(start))
    if end:
        where.append("s.published_at < %s")
        params.append(ops.adapt_datetimefield_value(end))
    # CROSS JOIN fixes the join order (SQLite's only hint): the FTS table outermost.
    sql = f"""SELECT s.post_id, s.published_at, s.title_key, s.body_key
        FROM {FTS_TABLE} CROSS JOIN pages_postsearch s ON s.post_id = {FTS_TABLE}.rowid
        CROSS JOIN pages_post p ON p.id = s.post_id
        WHERE {FTS_TABLE} MATCH %s AND p.live_revision_id IS NOT NULL AND s.published_at <= %s
        {"".join(" AND " + w for w in where)}
        ORDER BY {FTS_TABLE}.rowid DESC LIMIT %s"""  # noqa: S608 - fixed fragments, values bound
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, CANDIDATES])
        return [tuple(row) for row in cursor.fetchall()]


def _candidates_like(kind: str, groups: list[Group], filters: SearchFilters, *, exact_first: bool = False
                     ) -> list[Candidate]:
    """No FTS5: the keys are syllables one space apart (``index_key``), so " da " is the
    syllable "da" and " da" any syllable beginning with it."""
    if exact_first:
        return _exact_then_begun(_candidates_like, kind, groups, filters)
    qs = _filtered_entries(filters).annotate(
        t=Concat(Value(" "), "title_key", Value(" "), output_field=TextField()),
        b=Concat(Value(" "), "body_key", Value(" "), output_field=TextField()),
    )
    match = Q()
    for terms, prefix in groups:
        if kind == "phrase":
            needle = " " + " ".join(terms) + ("" if prefix else " ")
            match |= Q(t__contains=needle) | Q(b__contains=needle)
            continue
        every = Q()
        for i, term in enumerate(terms):
            needle = f" {term}" + ("" if prefix and i == len(terms) - 1 else " ")
            every &= Q(t__contains=needle) | Q(b__contains=needle)
        match |= every
    return _newest(qs.filter(match))


def _candidates_postgres(kind: str, groups: list[Group], filters: SearchFilters) -> list[Candidate]:
    return search_postgres.candidates(kind, groups, filters, _limits())


def _limits() -> search_postgres.Limits:
    # Read at each call, so that tests can narrow them.
    return search_postgres.Limits(CANDIDATES, WINDOW, PHRASE_WINDOW, SAMPLE, WEEKS)


def _exact_then_begun(find, kind: str, groups: list[Group], filters: SearchFilters) -> list[Candidate]:
    """What ``exact_first`` asks, in two queries: the matches with the last syllable whole,
    then, if too few, those where it begins a longer one."""
    exact = whole(groups)
    rows = find(kind, exact, filters)
    if len(rows) >= CANDIDATES or exact == groups:
        return rows
    seen = {row[0] for row in rows}
    return rows + [row for row in find(kind, groups, filters) if row[0] not in seen]


def public_posts(*, with_body: bool = False, now: datetime.datetime | None = None) -> QuerySet[Post]:
    """Published posts (as of ``now``, default the present) with what a list shows (live
    revision, its topic and cover, the unit); the working copy's long fields and (unless
    asked) the revision's body are not read."""
    deferred = ["body", "search_text", "summary", "live_revision__content"]
    if not with_body:
        deferred.append("live_revision__body")
    return (
        Post.objects.published(now)
        .select_related("live_revision__topic", "live_revision__cover", "unit")
        .defer(*deferred)
    )



# --- units -------------------------------------------------------------------------------------

#: Units matching a query that are ranked ("xa" alone matches thousands of communes).
UNIT_CANDIDATES = 300
#: Syllables of the kinds of units: a query of only these ("phường", "thị xã") names no unit.
KIND_WORDS = frozenset({"tinh", "thanh", "pho", "quan", "huyen", "thi", "xa", "phuong", "tran", "dac", "khu"})


def names_a_unit(text: str) -> bool:
    """Whether a search may be for a unit by name: not only words like "phường" or "huyện",
    for which a card of the first of 3,000 wards would be noise."""
    terms = query_terms(text)
    return bool(terms) and not set(terms) <= KIND_WORDS


def search_units(text: str, *, limit: int = 20) -> list[dict]:
    """Active units whose name holds the query's syllables, by the rules of posts (whole
    syllables, the last also as a prefix; in sequence first): "dong da" finds "Quận Đống Đa"
    and not "Đông Anh". Of equal matches, provinces first, then districts, then communes.

    From the in-memory index of the current tree (``pages.unit_index``); with no tree generation
    to key it by (the cache unreachable), one query on ``OrgUnit.search_name`` (11,000 short
    rows: a scan takes a few ms). The matching rows are few enough (``UNIT_CANDIDATES``) to rank
    here."""
    terms = query_terms(text)
    if not terms:
        return []
    generation = generations("")[0]
    if generation:
        rows = unit_index(generation, _unit_rows).matching(terms, UNIT_CANDIDATES)
    else:
        rows = _unit_rows(terms)
    ranked = []
    for key, name, path, kind, parent, order in rows:
        r = rank(terms, key, "")
        if r is not None:
            ranked.append(((r.tier, r.spread, order), {"name": name, "path": path, "kind": kind,
                                                        "parent": parent or "", "key": key}))
    ranked.sort(key=lambda pair: pair[0])
    return [unit for _r, unit in ranked[:limit]]


def _unit_rows(terms: list[str] | None = None) -> list:
    """Active units (but the centre), provinces first, then districts, then communes, each by
    name: all of them, or (``terms``) those whose key holds every term but the last as a
    syllable and a syllable starting with the last, at most ``UNIT_CANDIDATES``."""
    kind_order = Case(
        When(kind=UnitKind.PROVINCE, then=Value(0)),
        When(kind=UnitKind.DISTRICT, then=Value(1)),
        default=Value(2),
    )
    rows = OrgUnit.objects.annotate(kind_order=kind_order).filter(is_active=True).exclude(kind=UnitKind.CENTRAL)
    if terms is not None:
        padded = Concat(Value(" "), "search_name", Value(" "), output_field=TextField())
        match = Q()
        for i, term in enumerate(terms):
            match &= Q(padded__contains=f" {term}" + ("" if i == len(terms) - 1 else " "))
        rows = rows.annotate(padded=padded).filter(match)
    rows = rows.order_by("kind_order", "name").values_list(
        "search_name", "name", "path", "kind", "parent__name", "kind_order")
    return list(rows[:UNIT_CANDIDATES] if terms is not None else rows)
