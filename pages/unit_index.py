"""Units by name, from memory: what ``search.search_units`` asks of the ~11,000 active units.

The query it replaces read every row of the unit table (``LIKE`` on the padded key cannot use an
index: the terms are syllables of two or three letters): 2.5 ms of the 5–7 ms a search took. The
index here holds the same rows in the same order, with each syllable's rows, and is rebuilt when
the tree generation changes (``pages.cache``: every change of a unit's name, path or state bumps
it), so a renamed or dissolved unit is found as it is now. With the cache unreachable there is
no generation to trust, and the caller reads the table as before.
"""

from __future__ import annotations

import threading
from bisect import bisect_left
from collections import defaultdict
from dataclasses import dataclass

Row = tuple[str, str, str, str, str | None, int]  # key, name, path, kind, parent's name, kind order


@dataclass(frozen=True)
class UnitIndex:
    rows: list[Row]  # in the order the query gave them: kind, then name
    postings: dict[str, list[int]]  # syllable -> positions in ``rows``, ascending
    syllables: list[str]  # sorted, for the last term's prefix

    @classmethod
    def build(cls, rows: list[Row]) -> UnitIndex:
        postings: dict[str, list[int]] = defaultdict(list)
        for position, row in enumerate(rows):
            for syllable in dict.fromkeys(row[0].split(" ")):
                postings[syllable].append(position)
        return cls(rows=rows, postings=dict(postings), syllables=sorted(postings))

    def matching(self, terms: list[str], limit: int) -> list[Row]:
        """The rows holding every term but the last as a syllable and a syllable that starts
        with the last, in the rows' order, at most ``limit``: what the padded ``LIKE`` finds."""
        *whole, last = terms
        start = bisect_left(self.syllables, last)
        prefixed: set[int] = set()
        for syllable in self.syllables[start:]:
            if not syllable.startswith(last):
                break
            prefixed.update(self.postings[syllable])
        found = prefixed.intersection(*(self.postings.get(term, ()) for term in whole))
        return [self.rows[position] for position in sorted(found)[:limit]]


_lock = threading.Lock()
_kept: tuple[int, UnitIndex] | None = None


def unit_index(generation: int, load) -> UnitIndex:  # noqa: ANN001 - () -> list[Row]
    """The index for tree ``generation``, built from ``load()`` the first time it is asked for."""
    global _kept
    kept = _kept
    if kept is not None and kept[0] == generation:
        return kept[1]
    with _lock:
        if _kept is None or _kept[0] != generation:
            _kept = (generation, UnitIndex.build(load()))
        return _kept[1]
