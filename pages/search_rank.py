"""How search results are ordered and marked, the same on every database.

A query is a list of syllables (``query_terms``); Vietnamese syllables are words. A syllable
matches a whole syllable of the text, never a prefix of a longer one, except the *last* one
typed, which may still be incomplete ("dong d" is on its way to "Đống Đa"), and such
matches come after every exact one. The rank of a document, best first:

1. the syllables in sequence (a phrase); 2. every syllable, anywhere; 3. most of them
   (``most_needed``), more before fewer;
4.–6. the same three with the last syllable found only as the beginning of a longer one.

Within a class: in the title before in the body, closer together before further apart, newer
before older. The databases only *find* candidates for these classes (``plan``); the
order is decided here, from the mark-free keys of the candidates, so PostgreSQL, SQLite FTS5 and
the ``LIKE`` fallback answer in the same order.
"""

from __future__ import annotations

import datetime
import html
import math
import re
from dataclasses import dataclass
from functools import cache, lru_cache
from itertools import combinations, pairwise

from django.utils.safestring import SafeString, mark_safe

from vietfront.text import search_key, strip_marks

_TERM_RE = re.compile(r"[a-z0-9]+")
MAX_TERMS = 8

PHRASE, ALL, MOST, PHRASE_PREFIX, ALL_PREFIX, MOST_PREFIX = range(6)


def query_terms(text: str) -> list[str]:
    """The syllables of a query, lowercase and without marks, in any Unicode form:
    "Hà Nội!" -> ["ha", "noi"]."""
    return _TERM_RE.findall(search_key(text or ""))[:MAX_TERMS]


def index_key(text: str) -> str:
    """What the index stores: the text's syllables without marks, one space apart, so a
    ``LIKE '% da %'`` matches the whole syllable "Đa" and nothing longer."""
    return " ".join(_TERM_RE.findall(search_key(text or "")))


def index_pairs(*keys: str) -> str:
    """Each two syllables that follow one another in one of ``keys`` (a title, a body), as
    ``"dai_doan doan_ket"``, once each: PostgreSQL's phrase index (``pages.search``). Words
    common on their own ("đại", "đoàn", "kết" are in nearly every post) are rarely neighbours,
    so a phrase of them is found among the few posts holding its pairs."""
    pairs: set[str] = set()
    for key in keys:
        syllables = _TERM_RE.findall(key or "")
        pairs.update(f"{a}_{b}" for a, b in pairwise(syllables))
    return " ".join(sorted(pairs))


#: Seconds in a week: the phrase index's rows carry the week they were published in
#: (``week_token``), counted from the Unix epoch.
WEEK = 604_800


def week_number(moment: datetime.datetime) -> int:
    """The week since the Unix epoch that ``moment`` (aware) falls in."""
    return int(moment.timestamp()) // WEEK


def week_token(moment: datetime.datetime) -> str:
    """The lexeme of ``moment``'s week in the pairs index, ``"w2920"``: a phrase's pairs and a
    week's token meet in the GIN index, so the newest posts holding a common phrase are found
    a week at a time, newest first, without reading every older post that holds it. It holds
    no "_", so no pair can be read as one."""
    return f"w{week_number(moment)}"


def index_pair_key(title_key: str, body_key: str, published_at: datetime.datetime) -> str:
    """A row's ``pair_key``: its pairs (``index_pairs``) and its week (``week_token``)."""
    pairs = index_pairs(title_key, body_key)
    return f"{pairs} {week_token(published_at)}" if pairs else week_token(published_at)


def most_needed(count: int) -> int:
    """How many of ``count`` syllables make "most of them": two thirds, and never fewer than
    all of a query of one or two syllables (one of "dong da" is not a match for it)."""
    return count if count <= 2 else math.ceil(count * 2 / 3)


@dataclass(frozen=True, order=True)
class Rank:
    """Sorts best first."""

    tier: int
    missing: int  # syllables not found (the MOST tiers)
    field: int  # 0 title, 1 body
    spread: int  # syllables spanned by the matches (proximity)


def _spread(positions: list[list[int]]) -> int:
    """The shortest window holding one position of each list."""
    events = sorted((p, i) for i, ps in enumerate(positions) for p in ps)
    need, have, counts, best, left = len(positions), 0, [0] * len(positions), 1 << 30, 0
    for pos, i in events:
        counts[i] += 1
        have += counts[i] == 1
        while have == need:
            lpos, li = events[left]
            best = min(best, pos - lpos + 1)
            counts[li] -= 1
            have -= counts[li] == 0
            left += 1
    return best


def _positions(text: str, needle: str) -> list[int]:
    """The syllable numbers at which ``needle`` (" syllable" or " syllable ") occurs in
    ``text``, a space-padded key: its spaces before each occurrence, counted as it goes."""
    out, spaces, counted = [], 0, 0
    i = text.find(needle)
    while i != -1:
        spaces += text.count(" ", counted, i + 1)
        counted = i + 1
        out.append(spaces)
        i = text.find(needle, i + 1)
    return out


class _Ranker:
    """The rank of documents for one query. Ranking reads the candidates' keys (up to 400 of
    a few thousand characters each), so it searches them as strings, where a syllable is
    " da " and a syllable starting with "da" is " da", instead of splitting them into lists
    (16 ms for 400 candidates, then 2)."""

    def __init__(self, terms: tuple[str, ...]) -> None:
        self.terms, self.n = list(terms), len(terms)
        self.exact_needles = [f" {t} " for t in terms]
        self.prefix_needle = f" {terms[-1]}"
        self.phrase = " " + " ".join(terms) + " "
        self.phrase_prefix = " " + " ".join(terms)

    def field(self, text: str, field: int) -> Rank | None:
        """The rank of ``text``, a key padded with a space at each end."""
        if self.phrase in text:
            return Rank(PHRASE, 0, field, self.n)
        n = self.n
        found_at: dict[str, list[int]] = {}
        exact = []
        for needle in self.exact_needles:
            if needle not in found_at:
                found_at[needle] = _positions(text, needle) if needle in text else []
            exact.append(found_at[needle])
        as_prefix = self.phrase_prefix in text
        found = [ps for ps in exact if ps]
        need = most_needed(n)
        if len(found) >= need:
            return Rank(ALL if len(found) == n else MOST, n - len(found), field, _spread(found))
        if as_prefix:
            return Rank(PHRASE_PREFIX, 0, field, n)
        if not exact[-1] and self.prefix_needle in text:
            found.append(_positions(text, self.prefix_needle))
            if len(found) >= need:
                return Rank(ALL_PREFIX if len(found) == n else MOST_PREFIX, n - len(found), field, _spread(found))
        return None

    def rank(self, title_key: str, body_key: str | None) -> Rank | None:
        """The rank of a document by its keys, ``index_key`` text (migration 0012 rewrote the
        rows an early backfill had written with punctuation). A ``body_key`` of ``None`` says
        the document holds the query's whole phrase (its finder checked): only the title can
        tell where."""
        if body_key is None:
            return Rank(PHRASE, 0, 0 if self.phrase in f" {title_key} " else 1, self.n)
        in_title = self.field(f" {title_key} ", 0)
        if in_title is not None and in_title.tier == PHRASE:
            return in_title  # nothing in the body can rank higher
        # Two spaces (an empty syllable) keep a phrase from running from the title into the body.
        whole = self.field(f" {title_key}  {body_key} ", 1)
        ranks = [r for r in (in_title, whole) if r is not None]
        return min(ranks) if ranks else None


@lru_cache(maxsize=64)
def ranker(terms: tuple[str, ...]) -> _Ranker:
    return _Ranker(terms)


def rank(terms: list[str], title_key: str, body_key: str) -> Rank | None:
    """The rank of a document by its mark-free title and body, ``None`` if it does not match."""
    return ranker(tuple(terms)).rank(title_key, body_key)


# --- marking matches ---------------------------------------------------------------------------


def _one_char_key(code: int) -> str:
    """A character lowercase and without marks, always one character."""
    ch = chr(code)
    return strip_marks(ch).lower()[:1] or ch


@cache
def _one_char_keys() -> dict[int, str]:
    """Every character that can become a letter or digit of a key: Latin with its marks
    (Vietnamese is in Latin Extended Additional), the combining marks, letter-like symbols (the
    Kelvin sign is a "K"). The rest keep themselves: neither way are they [a-z0-9]. A plain
    dict, built at the first search of a process: ``str.translate`` reads one twice as fast as
    a dict filled on first sight (23 against 40 µs for 1,000 characters)."""
    return {code: _one_char_key(code) for block in (
        range(0x0000, 0x0250), range(0x0300, 0x0370), range(0x1E00, 0x1F00), range(0x2100, 0x2150),
        range(0x2C60, 0x2C80), range(0xA720, 0xA800), range(0xAB30, 0xAB70), range(0xFF00, 0xFF70),
    ) for code in block}


def _mark_map(text: str) -> str:
    """A per-character key of ``text`` (same length): lowercase and without marks, so
    positions found in it are positions in ``text``."""
    return text.translate(_one_char_keys())


class _Marks:
    """The compiled patterns that find a query's syllables in a key (``_mark_map``), once per
    query: a page of results marks 20 titles and 20 snippets with them."""

    def __init__(self, terms: tuple[str, ...]) -> None:
        head = "".join(rf"({re.escape(t)})[^a-z0-9]+" for t in terms[:-1])
        last = re.escape(terms[-1])
        # The phrase with its last syllable whole, and with it begun (the groups: its syllables).
        self.phrase_whole = re.compile(r"(?<![a-z0-9])" + head + rf"({last})(?![a-z0-9])")
        self.phrase_begun = re.compile(r"(?<![a-z0-9])" + head + rf"({last}[a-z0-9]*)")
        self.groups = len(terms)
        self.exact = [re.compile(rf"(?<![a-z0-9]){re.escape(t)}(?![a-z0-9])") for t in terms]
        self.begun_last = re.compile(rf"(?<![a-z0-9]){last}[a-z0-9]*")

    def patterns(self, key: str, prefix: bool) -> tuple[list[re.Pattern], bool]:
        """What marks ``key``, decided on all of it: the phrase (its last syllable whole, else,
        with ``prefix``, begun), and then whether its syllables are the groups; else each
        syllable, the last as the syllable it begins only where it is nowhere whole."""
        for pattern in [self.phrase_whole] + ([self.phrase_begun] if prefix else []):
            if pattern.search(key):
                return [pattern], True
        if prefix and not self.exact[-1].search(key):
            return [*self.exact[:-1], self.begun_last], False
        return self.exact, False

    def spans(self, key: str, patterns: tuple[list[re.Pattern], bool], start: int = 0,
              end: int | None = None) -> list[tuple[int, int]]:
        """The spans ``patterns`` (``Marks.patterns``) mark, only those starting from ``start``
        to before ``end``: searched there alone."""
        end = len(key) if end is None else end
        found, phrase = patterns
        if phrase:
            return sorted({m.span(g) for m in _between(found[0], key, start, end) for g in range(1, self.groups + 1)})
        return sorted({m.span() for pattern in found for m in _between(pattern, key, start, end)})

    def anchor(self, key: str, patterns: tuple[list[re.Pattern], bool], prefix: bool) -> int:
        """Where an excerpt centres: the first phrase (its last syllable whole, else begun,
        even where only whole syllables are marked), else the first mark."""
        found, phrase = patterns
        # ``patterns`` searched the phrases already: only a begun one it did not mark is left.
        first = found[0].search(key) if phrase else (None if prefix else self.phrase_begun.search(key))
        if first:
            return first.start()
        return min((m.start() for pattern in found if (m := pattern.search(key))), default=0)


def _between(pattern: re.Pattern, key: str, start: int, end: int):
    """``pattern``'s matches starting from ``start`` to before ``end`` (the text before
    ``start`` still seen by its look-behinds)."""
    for m in pattern.finditer(key, start):
        if m.start() >= end:
            return
        yield m


@lru_cache(maxsize=64)
def _marks(terms: tuple[str, ...]) -> _Marks:
    return _Marks(terms)


def _spans(key: str, terms: list[str], prefix: bool = True) -> list[tuple[int, int]]:
    """Whole syllables to mark. Where the text holds the query as a phrase, only the phrase:
    "Đống Đa" in a text that also says "vận động" and "đã" marks just "Đống Đa". Otherwise each
    syllable, the last one marking the syllable it begins only where the text nowhere holds it
    whole (so "da" marks "Đa", and "dẫn" only when there is no "Đa" to mark). Without
    ``prefix`` (the document matched the last syllable whole) only whole syllables."""
    if not terms:
        return []
    marks = _marks(tuple(terms))
    return marks.spans(key, marks.patterns(key, prefix))


def _marked(text: str, spans: list[tuple[int, int]], start: int, end: int) -> str:
    # ``html.escape`` is what Django's ``escape`` calls, without its lazy-string wrapper: a
    # third of a snippet's time, for pieces that are plain ``str`` slices anyway.
    escape = html.escape
    out, pos = [], start
    for s, e in spans:
        if s < pos or s >= end:
            continue
        out.append(escape(text[pos:s]))
        out.append(f"<mark>{escape(text[s:min(e, end)])}</mark>")
        pos = min(e, end)
    out.append(escape(text[pos:end]))
    return "".join(out)


def snippet(text: str, terms: list[str], *, width: int = 220, prefix: bool = True) -> SafeString:
    """An escaped excerpt of ``text`` around the query's phrase (else its first match), with
    every matching syllable in ``<mark>``. Only the excerpt is searched for marks: a post's
    whole text was searched once for each syllable (90 µs for 850 characters, and posts run to
    many thousands)."""
    if not text:
        return mark_safe("")  # noqa: S308 - empty
    key = _mark_map(text)
    marks = _marks(tuple(terms)) if terms else None
    patterns = marks.patterns(key, prefix) if marks else None
    anchor = marks.anchor(key, patterns, prefix) if marks else 0
    start = 0
    if anchor > width // 3:
        start = text.rfind(" ", 0, anchor - width // 3) + 1
    end = min(len(text), start + width)
    if end < len(text):
        space = text.rfind(" ", start, end)
        end = space if space > start else end
    spans = marks.spans(key, patterns, start, end) if marks else []
    before = "… " if start > 0 else ""
    after = " …" if end < len(text) else ""
    return mark_safe(before + _marked(text, spans, start, end) + after)  # noqa: S308 - escaped in _marked


def highlight(text: str, terms: list[str], *, prefix: bool = True) -> SafeString:
    """The whole of ``text`` (a title is never cut), escaped, matching syllables in ``<mark>``."""
    return mark_safe(_marked(text, _spans(_mark_map(text), terms, prefix), 0, len(text)))  # noqa: S308 - escaped


def matched_as_prefix(found: Rank | None) -> bool:
    """Whether a result matched the last syllable only as a prefix: only then are the
    syllables it begins marked ("da" marking "dẫn" in a post found for "đông … đã" misleads)."""
    return found is None or found.tier >= PHRASE_PREFIX


# --- what the databases are asked ----------------------------------------------------------------


Group = tuple[tuple[str, ...], bool]  # terms, and whether the last of them matches as a prefix


@dataclass(frozen=True)
class Plan:
    """What the database is asked for a query, as groups of terms: ``phrase`` (the terms in
    sequence), ``every`` (all the terms anywhere; ``None`` for one term, where it is the
    phrase) and ``most`` (any ``most_needed`` of them; ``None`` when that is all of them).
    Only the query's last term ever matches as a prefix."""

    phrase: list[Group]
    every: list[Group] | None
    most: list[Group] | None


def plan(terms: list[str]) -> Plan:
    n = len(terms)
    whole: list[Group] = [(tuple(terms), True)]
    need = most_needed(n)
    most = [(tuple(terms[i] for i in c), c[-1] == n - 1) for c in combinations(range(n), need)] if need < n else None
    return Plan(phrase=whole, every=whole if n > 1 else None, most=most)
