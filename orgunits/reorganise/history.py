"""Reads for a unit's page: the units it took over ("Trước đây: MTTQ phường …")."""

from __future__ import annotations

from ..models import OrgUnit


def unit_predecessors(unit: OrgUnit) -> list[OrgUnit]:
    """The dissolved units whose successor is ``unit``, by name; their pages and published posts
    stay at their old addresses. No query for a unit that never took any over (the flag is set
    by the reorganisation that named it successor), one otherwise."""
    if not unit.has_predecessors:
        return []
    return list(
        OrgUnit.objects.filter(successor=unit, is_active=False)
        .only("name", "path", "kind", "dissolved_on")
        .order_by("name", "pk")
    )
