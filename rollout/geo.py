"""Where the provinces are: their centroids from the ``vietnamadminunits`` package's data.

Read once per process (the data ships with the package and changes only with it), never per
request. Nothing is fetched from elsewhere.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass

from orgunits.models import Structure

#: The package's tables, by the structure they describe.
TABLES = {Structure.PRE_2025.value: "admin_units_legacy", Structure.Y2025.value: "admin_units"}


@dataclass(frozen=True)
class Centroid:
    code: str
    name: str
    lat: float
    lon: float


@functools.cache
def province_centroids() -> dict[str, dict[str, Centroid]]:
    """``{structure: {province code: centroid}}`` for both structures the package describes."""
    from vietnamadminunits.database import query

    from vietfront.text import nfc

    result: dict[str, dict[str, Centroid]] = {}
    for structure, table in TABLES.items():
        rows = query(f"SELECT DISTINCT provinceCode, province, provinceLat, provinceLon FROM {table}")  # noqa: S608 - constant table names
        result[structure] = {
            row["provinceCode"]: Centroid(row["provinceCode"], nfc(row["province"]), float(row["provinceLat"]),
                                          float(row["provinceLon"]))
            for row in rows
            if row["provinceLat"] is not None and row["provinceLon"] is not None
        }
    return result


def centroids_for(provinces: Iterable[tuple[str, str]]) -> dict[str, Centroid]:
    """The centroid of each ``(code, name)`` province, from the one structure that fits them.

    Both structures reuse codes (the 2025 "Tuyên Quang", code 08, took over Hà Giang and lies
    elsewhere than the pre-2025 one), so a code alone does not place a province: the tree follows
    one structure, and the structure that knows the most of its (code, name) pairs, then of its
    codes, is taken for all of them (the 2025 one on a tie). Provinces it does not know get no
    centroid; the caller says so rather than guess.
    """
    provinces = [(code, name) for code, name in provinces if code]
    if not provinces:
        return {}
    data = province_centroids()

    def fit(structure: str) -> tuple[int, int, int]:
        known = data[structure]
        by_name = sum(1 for code, name in provinces if code in known and known[code].name == name)
        by_code = sum(1 for code, _name in provinces if code in known)
        return by_name, by_code, structure == Structure.Y2025.value

    best = data[max(data, key=fit)]
    return {code: best[code] for code, _name in provinces if code in best}
