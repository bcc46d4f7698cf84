"""Read Vietnam's administrative units from the ``vietnamadminunits`` package's bundled data.

Nothing is fetched at run time: the package ships an SQLite file (read through its ``query``
helper) and ``converter_2025.json``, which maps every pre-reform ward and province to the 2025
unit that took it over. This module only turns those into plain records; it knows nothing about
the database of this project.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from importlib import resources

from vietnamadminunits.database import query

from vietfront.text import nfc

from ..models import Structure, UnitKind

# (kind, official code): the identity of a unit across imports and structures.
UnitKey = tuple[str, str]


@dataclass(frozen=True)
class UnitRecord:
    kind: str
    code: str
    name: str
    short_name: str
    parent: UnitKey | None  # None: directly under the central unit


@dataclass
class DataSet:
    structure: str
    # Parents always come before their children.
    units: list[UnitRecord]
    # Pre-2025 unit → the 2025 unit that took it over (only for the 2025 structure).
    successors: dict[UnitKey, UnitKey] = field(default_factory=dict)


def _text(value: str | None) -> str:
    return nfc(value or "").strip()


def _legacy_rows() -> list[dict]:
    return query(
        "SELECT provinceCode, province, provinceShort, provinceKey, "
        "districtCode, district, districtShort, districtKey, "
        "wardCode, ward, wardShort, wardKey "
        "FROM admin_units_legacy ORDER BY provinceCode, districtCode, wardCode"
    )


def _rows_2025() -> list[dict]:
    return query(
        "SELECT provinceCode, province, provinceShort, provinceKey, wardCode, ward, wardShort, wardKey "
        "FROM admin_units ORDER BY provinceCode, wardCode"
    )


def _converter() -> dict:
    data = resources.files("vietnamadminunits").joinpath("data/converter_2025.json")
    return json.loads(data.read_text(encoding="utf-8"))


def load_pre_2025() -> DataSet:
    """63 provinces, 696 districts and their wards (five island districts have no wards)."""
    units: list[UnitRecord] = []
    seen: set[UnitKey] = set()

    def add(record: UnitRecord) -> None:
        if (record.kind, record.code) not in seen:
            seen.add((record.kind, record.code))
            units.append(record)

    rows = _legacy_rows()
    for row in rows:
        province = (UnitKind.PROVINCE.value, row["provinceCode"])
        district = (UnitKind.DISTRICT.value, row["districtCode"])
        add(UnitRecord(*province, _text(row["province"]), _text(row["provinceShort"]), None))
        add(UnitRecord(*district, _text(row["district"]), _text(row["districtShort"]), province))
    # Wards after every district, so a parent is always listed before its children.
    for row in rows:
        if row["wardCode"]:
            add(
                UnitRecord(
                    UnitKind.COMMUNE.value,
                    row["wardCode"],
                    _text(row["ward"]),
                    _text(row["wardShort"]),
                    (UnitKind.DISTRICT.value, row["districtCode"]),
                )
            )
    return DataSet(structure=Structure.PRE_2025.value, units=units)


def load_2025() -> DataSet:
    """34 provinces and 3,321 communes directly under them, plus who succeeded whom."""
    rows = _rows_2025()
    units: list[UnitRecord] = []
    provinces_seen: set[str] = set()
    for row in rows:
        if row["provinceCode"] not in provinces_seen:
            provinces_seen.add(row["provinceCode"])
            units.append(
                UnitRecord(
                    UnitKind.PROVINCE.value,
                    row["provinceCode"],
                    _text(row["province"]),
                    _text(row["provinceShort"]),
                    None,
                )
            )
    for row in rows:
        units.append(
            UnitRecord(
                UnitKind.COMMUNE.value,
                row["wardCode"],
                _text(row["ward"]),
                _text(row["wardShort"]),
                (UnitKind.PROVINCE.value, row["provinceCode"]),
            )
        )
    return DataSet(structure=Structure.Y2025.value, units=units, successors=_successors_2025(rows))


def _successors_2025(rows_2025: list[dict]) -> dict[UnitKey, UnitKey]:
    """Map pre-2025 units to their 2025 successors using the converter's keys.

    Keys look like "thanhphohanoi" (province) and "thanhphohanoi_quanbadinh_phuongphucxa"
    (province_district_ward; the ward part is empty for the island districts without wards).
    """
    converter = _converter()
    new_province = {row["provinceKey"]: row["provinceCode"] for row in rows_2025}
    new_ward = {(row["provinceKey"], row["wardKey"]): row["wardCode"] for row in rows_2025}

    # legacy key → 2025 (province key, ward key)
    ward_target: dict[str, tuple[str, str]] = {}
    for province_key, wards in converter["DICT_PROVINCE_WARD_NO_DIVIDED"].items():
        for ward_key, legacy_keys in wards.items():
            for legacy_key in legacy_keys:
                ward_target[legacy_key] = (province_key, ward_key)
    # A ward split between several new ones goes to the one marked as its default successor.
    for province_key, legacy_wards in converter["DICT_PROVINCE_WARD_DIVIDED"].items():
        for legacy_key, targets in legacy_wards.items():
            default = next((t for t in targets if t["isDefaultNewWard"]), targets[0])
            ward_target[legacy_key] = (province_key, default["newWardKey"])
    province_target = {
        legacy_key: new_key
        for new_key, legacy_keys in converter["DICT_PROVINCE"].items()
        for legacy_key in legacy_keys
    }

    successors: dict[UnitKey, UnitKey] = {}
    province = UnitKind.PROVINCE.value
    for row in _legacy_rows():
        new_key = province_target.get(row["provinceKey"])
        if new_key not in new_province:
            continue
        successors[(province, row["provinceCode"])] = (province, new_province[new_key])
        ward_key = f"{row['provinceKey']}_{row['districtKey']}_{row['wardKey'] or ''}"
        target = ward_target.get(ward_key)
        target_code = new_ward.get(target) if target else None
        district = (UnitKind.DISTRICT.value, row["districtCode"])
        if not row["wardCode"]:
            # An island district without wards became a special zone (đặc khu) of its own.
            successors[district] = (
                (UnitKind.COMMUNE.value, target_code) if target_code else (province, new_province[new_key])
            )
            continue
        successors.setdefault(district, (province, new_province[new_key]))
        if target_code:
            successors[(UnitKind.COMMUNE.value, row["wardCode"])] = (UnitKind.COMMUNE.value, target_code)
    return successors


def load(structure: str) -> DataSet:
    if structure == Structure.PRE_2025:
        return load_pre_2025()
    if structure == Structure.Y2025:
        return load_2025()
    raise ValueError(f"Unknown structure {structure!r}: expected one of {Structure.values}.")
