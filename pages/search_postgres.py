"""PostgreSQL's finder of search candidates: hand-written statements over the ``document``
tsvector, its GIN index and the pairs index (``pages`` 0012, with the weeks of 0013), each
deciding inside itself between a bounded walk of the newest posts (or weeks) and the indexes.
``pages.search`` calls it with its limits (``Limits``), read at each call so that tests can
narrow them."""

from __future__ import annotations

import math
from collections.abc import Callable
from itertools import pairwise
from typing import NamedTuple

from django.db import connection
from django.utils import timezone

from vietfront.prepared_statements import statement

from .search_filters import Candidate, SearchFilters, date_bounds, search_scope, whole
from .search_rank import Group, week_number

#: The newest weeks of a walk of the weeks that sample it (``_statement``).
SAMPLE_WEEKS = 2


class Limits(NamedTuple):
    """``pages.search``'s ``CANDIDATES``, ``WINDOW``, ``PHRASE_WINDOW``, ``SAMPLE`` and
    ``WEEKS``."""

    candidates: int
    window: int
    phrase_window: int
    sample: int
    weeks: int


def candidates(kind: str, groups: list[Group], filters: SearchFilters, limits: Limits) -> list[Candidate]:
    """PostgreSQL, one statement (``_statement``): the newest ``limits.candidates`` matches."""
    return _fetch(*_with_sample(_statement(kind, groups, filters, limits), filters, limits), filters)


def phrase_then_every(phrase: list[Group], every: list[Group], filters: SearchFilters, limits: Limits
                      ) -> tuple[list[Candidate], list[Candidate]]:
    """The newest phrase matches (``_phrases``) and, only when fewer than ``limits.candidates``
    of them hold the phrase whole, the newest matches of every syllable: in one statement.

    Asked in this order, a phrase common enough to fill the candidates ("đoàn kết", "đại đoàn
    kết" on the Front's pages) costs one search, not two: every post with the whole phrase ranks
    before any with the syllables apart, so those are not needed. Otherwise the second holds
    every phrase match the first found, and more (rows of both may repeat)."""
    phrase_sql, phrase_params = _phrases(phrase, filters, limits)
    every_sql, every_params = _statement("all", every, filters, limits)
    whole_row, whole_params = _phrase_match(whole(phrase), alias="p")
    sql = f"""WITH p AS MATERIALIZED ({phrase_sql})
        SELECT p.*, true FROM p UNION ALL
        SELECT e.*, false FROM ({every_sql}) e
        WHERE (SELECT count(*) FROM p WHERE p.body_key IS NULL OR {whole_row}) < %s"""  # noqa: S608 - fixed fragments
    rows = _fetch(*_with_sample((sql, [*phrase_params, *every_params, *whole_params, limits.candidates]), filters, limits),
                  filters)
    return [row[:4] for row in rows if row[4]], [row[:4] for row in rows if not row[4]]


def _phrases(groups: list[Group], filters: SearchFilters, limits: Limits) -> tuple[str, list]:
    """The newest phrases with their last syllable whole and, when those are fewer than
    ``limits.candidates``, the newest where it begins a longer one too: one statement, in the
    order cheaper for the scope. The rows holding the phrase whole come without their bodies
    (``Candidate``): the title alone ranks them, and 200 bodies sent were a fifth of the time
    of "đoàn kết"'s statement."""
    exact = whole(groups)
    begun_sql, begun_params = _statement("phrase", groups, filters, limits)
    if exact == groups:
        return begun_sql, begun_params
    exact_sql, exact_params = _statement("phrase", exact, filters, limits, bodiless=True)
    if search_scope(filters) is None:
        # Country-wide the whole phrase is usually found more often than it is ranked: asked
        # first, it is enough alone, and its pairs are looked up whole, not walked as a prefix.
        return _then_if((exact_sql, exact_params), (begun_sql, begun_params),
                        ("(SELECT count(*) FROM f) < %s", [limits.candidates]))
    # Within a unit it is often rarer (11 posts of Hà Nội hold "đại đoàn kết"): the phrases begun
    # hold the whole ones, and only when they fill the candidates with some that are not whole
    # can older whole ones have been left out. The same candidates, one search instead of two.
    whole_row, whole_params = _phrase_match(exact, alias="f")
    enough_but_some_begun = f"(SELECT count(*) FROM f) >= %s AND EXISTS (SELECT 1 FROM f WHERE NOT {whole_row})"  # noqa: S608 - fixed fragments
    return _then_if((begun_sql, begun_params), (exact_sql, exact_params),
                    (enough_but_some_begun, [limits.candidates, *whole_params]))


def _then_if(first: tuple[str, list], then: tuple[str, list], when: tuple[str, list]) -> tuple[str, list]:
    """The rows of the ``first`` statement, and those of ``then`` not among them if ``when``
    holds of the first's rows (``f``): a one-time filter, so ``then`` is not run otherwise."""
    sql = f"""WITH f AS MATERIALIZED ({first[0]})
        SELECT * FROM f UNION ALL
        SELECT * FROM ({then[0]}) t
        WHERE {when[0]} AND t.post_id NOT IN (SELECT post_id FROM f)"""  # noqa: S608 - fixed fragments
    return sql, [*first[1], *then[1], *when[1]]


def _tsquery(kind: str, groups: list[Group]) -> str:
    # Terms are [a-z0-9]+ only, so the tsquery syntax cannot be injected.
    op = " <-> " if kind == "phrase" else " & "
    parts = [op.join([*terms[:-1], terms[-1] + (":*" if prefix else "")]) for terms, prefix in groups]
    return " | ".join(f"({p})" for p in parts)


def _pairs_match(tsquery: str) -> str:
    """A row of the pairs index (``pages`` 0012) matching ``tsquery``, an SQL expression: the
    index's own expression, so the index answers it."""
    return f"array_to_tsvector(string_to_array(s.pair_key, ' ')) @@ {tsquery}"


def _pairs_tsquery(groups: list[Group]) -> str:
    # Lexemes quoted: a pair holds "_", and the terms are [a-z0-9]+, so nothing typed escapes.
    parts = []
    for terms, prefix in groups:
        pairs = [f"'{a}_{b}'" for a, b in pairwise(terms)]
        pairs[-1] += ":*" if prefix else ""
        parts.append(" & ".join(pairs))
    return " | ".join(f"({p})" for p in parts)


def _statement(kind: str, groups: list[Group], filters: SearchFilters, limits: Limits, *,
               bodiless: bool = False) -> tuple[str, list]:
    """PostgreSQL, one statement: the newest ``limits.candidates`` matches of the tsquery, from
    whichever of two paths is cheap for this query, decided inside the statement:

    - *window*: the newest ``limits.window`` live posts of the scope (the site-wide date index, or per
      unit for a subtree, as ``subtree_posts``), their index rows matched one by one. If that
      yields ``limits.candidates`` matches (common words) or the window is the whole scope (a
      district), these are the candidates: they are newer than any match outside the window.
    - *GIN*: otherwise (rarer words) the matches from the GIN index, newest first. The planner's
      estimate for a prefix term is a fixed 2 %, so it cannot be trusted to choose between
      these two itself; the second arm runs only when the first says so (a one-time filter).

    A phrase would have the document's GIN arm check the positions of every post holding its
    syllables (99,000 of 100,000 hold "đại", "đoàn" and "kết": 150 ms country-wide). Its GIN arm
    asks the pairs index (migration 0012) for the posts where the syllables are neighbours: for
    two syllables the pair is the phrase (and their window is longer: "đoàn kết", in 13 % of
    posts, fills it, where the GIN arm would read 13,000 rows); a longer phrase is then checked
    on the keys of those posts only.

    ``bodiless``: the groups are the query's whole phrase, its last syllable whole, so every
    row found holds it; each is sent with a ``NULL`` body (``Candidate``).
    """
    window_size, gin_match, pairs = limits.window, "s.document @@ (SELECT q FROM q)", []
    # A row's match, checked on the row: a phrase as the ranker checks it, a string search in its
    # keys (3 times faster than the positions of its tsvector); other queries on the tsvector.
    row_match, row_params = "s.document @@ (SELECT q FROM q)", []
    if kind == "phrase":
        row_match, row_params = _phrase_match(groups)
    by_pairs = kind == "phrase" and all(len(terms) > 1 for terms, _prefix in groups)
    if by_pairs:
        gin_match, pairs = _pairs_match("%s::tsquery"), [_pairs_tsquery(groups)]
        if all(len(terms) == 2 for terms, _prefix in groups):
            window_size = limits.phrase_window
    query = _tsquery(kind, groups)
    now = timezone.now()
    unit = search_scope(filters)
    extra, extra_params = "", []
    if filters.topic_id:
        extra += " AND s.topic_id = %s"
        extra_params.append(filters.topic_id)
    start, end = date_bounds(filters)
    if start:
        extra += " AND s.published_at >= %s"
        extra_params.append(start)
    if end:
        extra += " AND s.published_at < %s"
        extra_params.append(end)
    window, window_params = _window(unit, now)
    if unit is None:
        scope, scope_params = "", []
        whole_scope, whole_params = "false", []  # the whole country is never within one window
    else:
        # ``= ANY(ARRAY(…))``: a list of ids, so the unit index and the GIN index meet in one
        # BitmapAnd and only the subtree's matching rows are read (an ``IN (SELECT …)`` becomes
        # a hash join that rechecks every match of the country on the heap: 0.13 s for a
        # phrase most posts nearly contain).
        scope = (" AND s.unit_id = ANY(ARRAY(SELECT id FROM orgunits_orgunit"
                 " WHERE tree_id = %s AND lft >= %s AND lft <= %s))")
        scope_params = [unit.tree_id, unit.lft, unit.rght]
        # Too few matches in the window: if the window held the subtree's every post (a district,
        # a commune), there are no others to find; evaluated only then (after the OR).
        whole_scope = f"(SELECT count(*) FROM ({window}) x) < %s"  # noqa: S608 - fixed fragments
        whole_params = [*window_params(window_size), window_size]
    # The time is checked after the index's rows are found (OFFSET 0): with it beside them the
    # generic plan may meet them with the date index's every post (12 ms for a name no post
    # holds, once a rewrite of the table had left its statistics stale).
    gin = f"""SELECT s.post_id, s.published_at, s.title_key, s.body_key FROM (
                    SELECT s.* FROM pages_postsearch s WHERE {gin_match}{scope}{extra} OFFSET 0) s
                JOIN pages_post p ON p.id = s.post_id AND p.live_revision_id IS NOT NULL
                WHERE s.published_at <= %s"""  # noqa: S608 - fixed fragments
    gin_params = [*pairs, *scope_params, *extra_params, now]
    if by_pairs and any(len(terms) > 2 for terms, _prefix in groups):
        # The phrase checked on the rows the pairs index found, newest first until enough
        # (OFFSET 0: not by a scan of the document index, which reads every post holding the
        # syllables; and the time checked after it, else the generic plan meets the pairs with
        # the date index's every post: 6 ms).
        gin = f"""SELECT s.post_id, s.published_at, s.title_key, s.body_key FROM (
                    SELECT s.* FROM pages_postsearch s WHERE {gin_match}{scope}{extra}
                    ORDER BY s.published_at DESC, s.post_id DESC OFFSET 0) s
                JOIN pages_post p ON p.id = s.post_id AND p.live_revision_id IS NOT NULL
                WHERE s.published_at <= %s AND {row_match}"""  # noqa: S608 - fixed fragments
        gin_params = [*pairs, *scope_params, *extra_params, now, *row_params]
    # The window is walked in order and each of its rows looked up by primary key (the LATERAL
    # with OFFSET 0 cannot be flattened into a join the planner might turn into a GIN scan of
    # every match): the walk stops at the last candidate. Its newest ``limits.sample`` posts are
    # looked at first: if they hold fewer than half the share of matches the window needs,
    # it would be walked to its end in vain (6.6 ms for a name no post holds), and the GIN
    # arm answers at once. Skipped, the walk says nothing about the scope: "enough" is false.
    # Those posts are read once for every statement of a search (``sampled``, ``_with_sample``).
    sample_needed = math.ceil(limits.sample * limits.candidates / window_size / 2)
    probe = f"""SELECT m.post_id, m.published_at, m.title_key, m.body_key FROM ({window}) w
            CROSS JOIN LATERAL (
                SELECT s.post_id, s.published_at, s.title_key, s.body_key FROM pages_postsearch s
                WHERE s.post_id = w.id AND {row_match}{extra} OFFSET 0
            ) m
            WHERE (SELECT likely FROM sample)
            ORDER BY w.published_at DESC, w.id DESC LIMIT %s"""  # noqa: S608 - fixed fragments
    probe_params = [*window_params(window_size), *row_params, *extra_params, limits.candidates]
    sample = f"SELECT count(*) >= %s AS likely FROM sampled s WHERE {row_match}{extra}"  # noqa: S608 - fixed fragments
    sample_params = [sample_needed, *row_params, *extra_params]
    first_weeks, first_params = "", []
    if by_pairs and unit is None and not extra and not any(prefix for _terms, prefix in groups):
        # A whole phrase country-wide: its pairs and each week's token meet in the pairs index,
        # the newest week first (``week_token``), and the walk stops at the last candidate: a
        # few index lookups of ~30 rows each for "đoàn kết" where the window checked 1,500
        # posts one by one. Prefixes are not walked so (each lookup would expand them again),
        # nor scopes and filters (a unit's posts are a few in a week of the country's). The time
        # is checked after the week's rows are found (OFFSET 0), else the generic plan meets
        # them with the date index's every post: 15 ms a week. The pair of two syllables is
        # their phrase, whole: only a longer phrase is checked on the keys.
        #
        # The sample is the walk's own newest weeks (``SAMPLE_WEEKS``), not the newest posts:
        # two index lookups instead of reading 100 rows and searching their keys (1.2 ms).
        newest, sampled_weeks = week_number(now), min(SAMPLE_WEEKS, limits.weeks)
        checked, checked_params = ("", []) if all(len(t) == 2 for t, _p in groups) else (f" AND {row_match}", row_params)
        weeks = f"""SELECT m.post_id, m.published_at, m.title_key, m.body_key
            FROM generate_series(%s::bigint, %s::bigint, -1) w(n)
            CROSS JOIN LATERAL (
                SELECT s.post_id, s.published_at, s.title_key, s.body_key FROM (
                    SELECT s.post_id, s.published_at, s.title_key, s.body_key FROM pages_postsearch s
                    WHERE {_pairs_match("(%s::tsquery && ('w' || w.n)::tsquery)")} OFFSET 0) s
                JOIN pages_post p ON p.id = s.post_id AND p.live_revision_id IS NOT NULL
                WHERE s.published_at <= %s{checked}
                ORDER BY s.published_at DESC, s.post_id DESC
            ) m"""  # noqa: S608 - fixed fragments

        def weeks_params(first: int, last: int) -> list:
            return [first, last, *pairs, now, *checked_params]

        # The sample's weeks are read once: the walk goes on from the week before them.
        first_weeks = f"first_weeks AS MATERIALIZED ({weeks}),"  # noqa: S608 - fixed fragments
        first_params = weeks_params(newest, newest - sampled_weeks + 1)
        probe = f"""SELECT * FROM (SELECT * FROM first_weeks UNION ALL {weeks}) m
            WHERE (SELECT likely FROM sample) LIMIT %s"""  # noqa: S608 - fixed fragments
        probe_params = [*weeks_params(newest - sampled_weeks, newest - limits.weeks + 1), limits.candidates]
        # As the window's sample: half the share of matches the walk needs, in its first weeks.
        sample = "SELECT count(*) >= %s AS likely FROM first_weeks"
        sample_params = [math.ceil(limits.candidates * sampled_weeks / limits.weeks / 2)]
    sql = f"""
        WITH q AS MATERIALIZED (SELECT to_tsquery('simple', %s) AS q), {first_weeks}
        sample AS MATERIALIZED ({sample}),
        probe AS MATERIALIZED ({probe}),
        enough AS MATERIALIZED (
            SELECT (SELECT likely FROM sample) AND ((SELECT count(*) FROM probe) >= %s OR {whole_scope}) AS ok),
        candidates AS (
            SELECT * FROM probe WHERE (SELECT ok FROM enough)
            UNION ALL
            SELECT * FROM (
                {gin}
                ORDER BY s.published_at DESC, s.post_id DESC LIMIT %s
            ) g WHERE NOT (SELECT ok FROM enough)
        )
        SELECT post_id, published_at, title_key, {"NULL::text AS body_key" if bodiless else "body_key"} FROM candidates"""  # noqa: S608 - fixed fragments; values bound; the tsquery holds [a-z0-9] terms
    return sql, [
        query, *first_params, *sample_params,
        *probe_params, limits.candidates, *whole_params,
        *gin_params, limits.candidates,
    ]


def _window(unit, now) -> tuple[str, Callable[[int], list]]:
    """The newest live posts of the scope, as a statement and its parameters for a number of
    posts: the whole country's from the date index; a unit's from ``scope_posts``, the
    subtree's newest read once for every statement of a search (``_with_sample``)."""
    if unit is None:
        return """SELECT p.id, p.published_at FROM pages_post p
            WHERE p.live_revision_id IS NOT NULL AND p.published_at <= %s
            ORDER BY p.published_at DESC, p.id DESC LIMIT %s""", lambda size: [now, size]
    return """SELECT t.id, t.published_at FROM scope_posts t
        ORDER BY t.published_at DESC, t.id DESC LIMIT %s""", lambda size: [size]


def _scope_posts(unit, now, size: int) -> tuple[str, list]:
    """A unit's subtree's newest ``size`` live posts, as ``subtree_posts`` reads them: the newest
    of each unit from the per-unit index, then the newest of those. Every post of the subtree
    is read whatever ``size`` (1.5–1.8 ms for the 557 units of Hà Nội), which is why it is read
    once, the largest window a search may walk, and not for each window and sample."""
    return """SELECT t.id, t.published_at FROM orgunits_orgunit u CROSS JOIN LATERAL (
            SELECT p.id, p.published_at FROM pages_post p
            WHERE p.unit_id = u.id AND p.live_revision_id IS NOT NULL AND p.published_at <= %s
            ORDER BY p.published_at DESC, p.id DESC LIMIT %s) t
        WHERE u.tree_id = %s AND u.lft >= %s AND u.lft <= %s
        ORDER BY t.published_at DESC, t.id DESC LIMIT %s""", [now, size, unit.tree_id, unit.lft, unit.rght, size]


def _with_sample(statement: tuple[str, list], filters: SearchFilters, limits: Limits) -> tuple[str, list]:
    """``statement`` with the ``sampled`` rows its samples count: the index rows of the scope's
    newest ``limits.sample`` posts, read once however many statements it joins (three for a
    search of two syllables: 1 ms each); within a unit, with the subtree's newest posts that
    its windows walk (``scope_posts``)."""
    unit, now = search_scope(filters), timezone.now()
    scope, scope_params = "", []
    if unit is not None:
        scope_sql, scope_params = _scope_posts(unit, now, max(limits.window, limits.phrase_window, limits.sample))
        scope = f"scope_posts AS MATERIALIZED ({scope_sql}),"
    window, window_params = _window(unit, now)
    sql = f"""WITH {scope} sampled AS MATERIALIZED (
            SELECT s.* FROM ({window}) w
            CROSS JOIN LATERAL (
                -- What a sample's match and filters read (``_statement``), not the pairs.
                SELECT s.post_id, s.published_at, s.topic_id, s.title_key, s.body_key, s.document
                FROM pages_postsearch s WHERE s.post_id = w.id OFFSET 0) s)
        SELECT * FROM ({statement[0]}) found"""  # noqa: S608 - fixed fragments
    return sql, [*scope_params, *window_params(limits.sample), *statement[1]]


def _phrase_match(groups: list[Group], alias: str = "s") -> tuple[str, list[str]]:
    """A row holding one of the phrases, tested on its keys as the ranker tests them
    (``search_rank._Ranker.rank``): " dai doan ket" in " <title>  <body> ", where two
    spaces keep a phrase from running from the title into the body."""
    needles = [" " + " ".join(terms) + ("" if prefix else " ") for terms, prefix in groups]
    test = f"strpos(' ' || {alias}.title_key || '  ' || {alias}.body_key || ' ', %s) > 0"
    return "(" + " OR ".join([test] * len(needles)) + ")", needles


def _fetch(sql: str, params: list, filters: SearchFilters) -> list[Candidate]:
    """The rows of a hand-written candidates statement, prepared on PostgreSQL; within a unit
    by its generic plan even where statements are not kept prepared (``fetchall_generic``)."""
    with connection.cursor() as cursor:
        prepared = statement(sql, len(params))
        if search_scope(filters) is None:
            prepared.execute(cursor, params)
            rows = cursor.fetchall()
        else:
            rows = prepared.fetchall_generic(cursor, params)
        return [tuple(row) for row in rows]
