"""Which active units with an active page no editor or no approver covers.

A grant on a unit covers its subtree, so the grants are read once as MPTT intervals (one
query for both roles, users and groups) and each unit is looked up among its tree's pruned,
disjoint intervals by bisection: a fixed number of queries whatever the number of units.
Only grants someone can use count: a user's when the account is active, a group's when the
group has an active member.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from dataclasses import dataclass

from pages.models import PageStatus

from ..models import OrgUnit, OrgUnitGroupObjectPermission, OrgUnitUserObjectPermission
from ..roles import Perm, Role
from ..selectors import prune_intervals

# The roles whose absence leaves a page without anyone to write or approve, in report order.
ROLES = ((Perm.EDIT, Role.EDITOR), (Perm.APPROVE, Role.APPROVER))


@dataclass(frozen=True)
class Gap:
    unit_id: int
    path: str
    name: str
    kind: str
    code: str
    missing: tuple[str, ...]  # roles (Role values) no grant covers

    def as_row(self) -> dict:
        return {"unit": f"{self.name} ({self.kind} {self.code})", "path": self.path,
                "missing": ", ".join(self.missing)}


class _Cover:
    """For one permission: per tree, the disjoint granted intervals, sorted, for bisection."""

    def __init__(self, intervals: set[tuple[int, int, int]]) -> None:
        by_tree: dict[int, list[tuple[int, int]]] = defaultdict(list)
        for tree_id, lft, rght in prune_intervals(intervals):
            by_tree[tree_id].append((lft, rght))
        self._starts = {t: [lft for lft, _r in rows] for t, rows in by_tree.items()}
        self._rows = dict(by_tree)

    def covers(self, tree_id: int, lft: int) -> bool:
        starts = self._starts.get(tree_id)
        if not starts:
            return False
        i = bisect_right(starts, lft) - 1
        return i >= 0 and lft <= self._rows[tree_id][i][1]


def _covers() -> dict[str, _Cover]:
    fields = ("permission__codename", "content_object__tree_id", "content_object__lft", "content_object__rght")
    perms = [perm for perm, _role in ROLES]
    scope = {"permission__codename__in": perms, "permission__content_type__app_label": "orgunits"}
    by_user = OrgUnitUserObjectPermission.objects.filter(user__is_active=True, **scope).values_list(*fields)
    # The join may repeat a grant once per active member; the UNION removes the repeats.
    by_group = OrgUnitGroupObjectPermission.objects.filter(group__user__is_active=True, **scope).values_list(*fields)
    found: dict[str, set[tuple[int, int, int]]] = {perm: set() for perm in perms}
    for codename, tree_id, lft, rght in by_user.union(by_group):
        found[codename].add((tree_id, lft, rght))
    return {perm: _Cover(intervals) for perm, intervals in found.items()}


def coverage_gaps(*, within: OrgUnit | None = None) -> list[Gap]:
    """Active units with an active page that no editor or no approver covers, in tree order."""
    covers = _covers()
    units = OrgUnit.objects.filter(is_active=True, page__status=PageStatus.ACTIVE)
    if within is not None:
        units = units.in_subtree(within)
    gaps: list[Gap] = []
    rows = units.order_by("tree_id", "lft").values_list("pk", "path", "name", "kind", "code", "tree_id", "lft")
    for pk, path, name, kind, code, tree_id, lft in rows.iterator(chunk_size=2000):
        missing = tuple(role for perm, role in ROLES if not covers[perm].covers(tree_id, lft))
        if missing:
            gaps.append(Gap(pk, path, name, kind, code, missing))
    return gaps


def gap_keys(gaps: list[Gap]) -> set[tuple[int, str]]:
    return {(g.unit_id, role) for g in gaps for role in g.missing}
