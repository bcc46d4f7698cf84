"""Where a dissolved unit's people and work go: its successor, followed to an active unit."""

from __future__ import annotations

from ..models import OrgUnit, OrgUnitRedirect, UnitKind

# Breadth of a kind: a smaller number covers more. A grant may only move to a unit of the same
# breadth or a narrower one.
KIND_RANK = {UnitKind.CENTRAL: 0, UnitKind.PROVINCE: 1, UnitKind.DISTRICT: 2, UnitKind.COMMUNE: 3}
MAX_HOPS = 20


def active_successors(unit_ids: set[int]) -> dict[int, OrgUnit | None]:
    """For each dissolved unit, the active unit its successor chain ends at (None: no successor).

    One query per hop of the longest chain (a reform is one hop; a later one adds one), then
    one for the active units reached.
    """
    next_of: dict[int, int | None] = {}
    frontier = set(unit_ids)
    active: set[int] = set()
    for _hop in range(MAX_HOPS):
        if not frontier:
            break
        rows = OrgUnit.objects.filter(pk__in=frontier).values_list("pk", "is_active", "successor_id")
        frontier = set()
        for pk, is_active, successor_id in rows:
            if is_active:
                active.add(pk)
                continue
            next_of[pk] = successor_id
            if successor_id and successor_id not in next_of and successor_id not in active:
                frontier.add(successor_id)
    units = OrgUnit.objects.in_bulk(active)
    result: dict[int, OrgUnit | None] = {}
    for pk in unit_ids:
        current, seen = pk, set()
        while current is not None and current not in active and current not in seen:
            seen.add(current)
            current = next_of.get(current)
        result[pk] = units.get(current) if current in active else None
    return result


def is_wider(*, successor: OrgUnit, than_kind: str) -> bool:
    return KIND_RANK[successor.kind] < KIND_RANK[than_kind]


def unit_parts(unit: OrgUnit) -> list[OrgUnit]:
    """The active units, narrower than dissolved ``unit``, that now hold what lay below it: the
    successors of its dissolved sub-units, and the sub-units that continued elsewhere (their
    old path under ``unit`` is kept as a redirect). Ordered by code."""
    below = OrgUnit.objects.in_subtree(unit, include_self=False)
    dissolved_below = set(below.filter(is_active=False).values_list("pk", flat=True))
    reached = {s.pk for s in active_successors(dissolved_below).values() if s is not None}
    moved_away = OrgUnitRedirect.objects.filter(
        old_path__startswith=f"{unit.path}/", unit__is_active=True
    ).values_list("unit_id", flat=True)
    candidates = OrgUnit.objects.filter(pk__in=reached | set(moved_away), is_active=True).order_by("code", "pk")
    return [c for c in candidates if KIND_RANK[c.kind] > KIND_RANK[unit.kind]]
