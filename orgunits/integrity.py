"""Check the unit tree's invariants, and repair what a rebuild can repair.

django-mptt keeps ``lft``/``rght``/``level``/``tree_id`` by bookkeeping that raw updates, bulk
writes and concurrent writers can all defeat. The check reads every node in one query and
verifies the invariants in one pass; the repair recomputes the MPTT fields from the parent links
(the source of truth) and the public paths from the slugs.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass

from .locking import tree_write_lock
from .models import OrgUnit, UnitKind
from .services.tree import ALLOWED_PARENT_KINDS, join_path, paths_rewrite

_FIELDS = ("pk", "parent_id", "tree_id", "lft", "rght", "level", "kind", "slug", "path", "is_active")


@dataclass(frozen=True)
class Finding:
    code: str
    message: str
    # Whether `tree_repair` (rebuild + paths) can fix it; kinds and roots need a person.
    repairable: bool = True

    def __str__(self) -> str:
        return f"[{self.code}] {self.message}"


@dataclass
class _Row:
    pk: int
    parent_id: int | None
    tree_id: int
    lft: int
    rght: int
    level: int
    kind: str
    slug: str
    path: str
    is_active: bool


def tree_findings(*, limit_per_code: int = 20) -> list[Finding]:
    """Every broken invariant of the unit tree; empty when the tree is sound. One query."""
    rows = {r[0]: _Row(*r) for r in OrgUnit.objects.values_list(*_FIELDS)}
    findings: list[Finding] = []
    per_code: Counter[str] = Counter()

    def report(code: str, message: str, *, repairable: bool = True) -> None:
        per_code[code] += 1
        if per_code[code] <= limit_per_code:
            findings.append(Finding(code, message, repairable))

    roots = [r for r in rows.values() if r.parent_id is None]
    centrals = [r for r in rows.values() if r.kind == UnitKind.CENTRAL]
    if rows and (len(roots) != 1 or len(centrals) != 1 or roots[0].kind != UnitKind.CENTRAL):
        report(
            "roots",
            f"expected exactly one root, the central unit; found {len(roots)} root(s) and "
            f"{len(centrals)} central unit(s)",
            repairable=False,
        )

    by_tree: dict[int, list[_Row]] = defaultdict(list)
    for row in rows.values():
        by_tree[row.tree_id].append(row)
    for tree_id, members in by_tree.items():
        values = sorted([r.lft for r in members] + [r.rght for r in members])
        if values != list(range(1, 2 * len(members) + 1)):
            report(
                "numbering",
                f"tree {tree_id}: lft/rght values are not exactly 1..{2 * len(members)} without repeats",
            )

    children: dict[int | None, list[_Row]] = defaultdict(list)
    for row in rows.values():
        children[row.parent_id].append(row)
        if row.lft >= row.rght:
            report("interval", f"unit {row.pk}: lft {row.lft} is not below rght {row.rght}")
        parent = rows.get(row.parent_id) if row.parent_id else None
        if row.parent_id and parent is None:
            report("parent", f"unit {row.pk}: parent {row.parent_id} does not exist", repairable=False)
            continue
        if parent is None:
            if row.level != 0:
                report("level", f"unit {row.pk}: a root has level {row.level}, expected 0")
            if row.path != "":
                report("path", f"unit {row.pk}: the root's path is {row.path!r}, expected ''")
        else:
            if row.level != parent.level + 1:
                report("level", f"unit {row.pk}: level {row.level}, expected {parent.level + 1}")
            if row.tree_id != parent.tree_id or not (parent.lft < row.lft and row.rght < parent.rght):
                report("nesting", f"unit {row.pk}: interval not inside its parent {parent.pk}'s")
            expected = join_path(parent.path, row.slug)
            if row.path != expected:
                report("path", f"unit {row.pk}: path {row.path!r}, expected {expected!r}")
            if row.is_active and not parent.is_active:
                report(
                    "dissolved-parent",
                    f"unit {row.pk} is active under dissolved unit {parent.pk}",
                    repairable=False,
                )
        parent_kind = parent.kind if parent else None
        if parent_kind not in ALLOWED_PARENT_KINDS.get(row.kind, set()):
            report(
                "kind",
                f"unit {row.pk}: a {row.kind} unit may not sit under {parent_kind or 'nothing'}",
                repairable=False,
            )

    # Parent links that loop never reach a root; a rebuild would silently skip them.
    reachable: set[int] = set()
    stack = [r.pk for r in roots]
    while stack:
        pk = stack.pop()
        reachable.add(pk)
        stack.extend(child.pk for child in children[pk])
    for pk in rows.keys() - reachable:
        report("cycle", f"unit {pk} cannot be reached from a root (its parent links loop)", repairable=False)

    for code, count in per_code.items():
        if count > limit_per_code:
            findings.append(Finding(code, f"... and {count - limit_per_code} more of this kind"))
    return findings


def tree_repair() -> int:
    """Recompute the MPTT fields from parent links and every path from the slugs.

    Returns how many paths changed; their old values are kept as redirects, as a rename would.
    """
    with tree_write_lock():
        OrgUnit.objects.rebuild()
        rows = list(OrgUnit.objects.order_by("tree_id", "lft").values_list("pk", "parent_id", "slug", "path"))
        paths: dict[int, str] = {}
        changed: list[tuple[int, str, str]] = []
        for pk, parent_id, slug, path in rows:
            # In lft order a parent always comes before its children.
            expected = (
                join_path(paths[parent_id], slug) if parent_id in paths else ("" if not parent_id else path)
            )
            paths[pk] = expected
            if expected != path:
                changed.append((pk, path, expected))
        paths_rewrite(changed)
        return len(changed)
