"""Compare a data set with the tree in the database and work out, in memory, every change.

The plan is the whole final tree: each unit's parent, slug, path and state, with the units that
have to be created, updated, dissolved or redirected. Nothing here writes to the database, so
the plan can be inspected (and tested) before it is applied.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field

from ..models import OrgUnit, Structure, UnitKind
from ..services.tree import join_path, unique_slug, unit_slug_base
from .source import DataSet, UnitKey

CENTRAL_NAME = "Ủy ban Trung ương MTTQ Việt Nam"
# Resolution 202/2025/QH15: the 2025 structure took effect on 1 July 2025.
REFORM_DATE = datetime.date(2025, 7, 1)
LOCAL_KINDS = frozenset({UnitKind.PROVINCE, UnitKind.DISTRICT, UnitKind.COMMUNE})

# Columns compared to decide whether an existing unit changes; parent and successor compare by pk.
_VALUE_FIELDS = ("name", "short_name", "slug", "path", "is_active", "dissolved_on")


@dataclass(eq=False)
class Node:
    """One unit in the planned tree; ``pk`` is None until a new unit is inserted."""

    pk: int | None
    kind: str
    code: str
    name: str
    short_name: str
    slug: str
    path: str
    is_active: bool = True
    dissolved_on: datetime.date | None = None
    parent: Node | None = None
    successor: Node | None = None
    in_data_set: bool = False
    depth: int = 0
    # What the database holds now (empty for new units).
    before: dict = field(default_factory=dict)

    def state(self) -> dict:
        values: dict = {name: getattr(self, name) for name in _VALUE_FIELDS}
        values["parent_id"] = _ref(self.parent)
        values["successor_id"] = _ref(self.successor)
        return values


def _ref(node: Node | None) -> int | str | None:
    """A unit's identity for comparison: its pk, or a marker that never equals a stored pk."""
    if node is None:
        return None
    return node.pk if node.pk is not None else f"new:{id(node)}"


@dataclass
class Plan:
    structure: str
    nodes: list[Node]
    created: list[Node]
    updated: list[Node]
    dissolved: list[Node]
    unchanged: int
    # (old path, unit) pairs to keep as redirects; live paths that must stop redirecting.
    redirects: list[tuple[str, Node]]
    live_paths: set[str]

    @property
    def changed(self) -> list[Node]:
        return self.updated + self.dissolved

    @property
    def is_noop(self) -> bool:
        return not (self.created or self.updated or self.dissolved)


def _load_existing() -> list[Node]:
    rows = OrgUnit.objects.values_list(
        "pk",
        "kind",
        "code",
        "name",
        "short_name",
        "slug",
        "path",
        "is_active",
        "dissolved_on",
        "parent_id",
        "successor_id",
    )
    nodes: dict[int, Node] = {}
    links: list[tuple[Node, int | None, int | None]] = []
    for (
        pk,
        kind,
        code,
        name,
        short_name,
        slug,
        path,
        is_active,
        dissolved_on,
        parent_id,
        successor_id,
    ) in rows:
        node = Node(pk, kind, code, name, short_name, slug, path, is_active, dissolved_on)
        nodes[pk] = node
        links.append((node, parent_id, successor_id))
    for node, parent_id, successor_id in links:
        node.parent = nodes.get(parent_id) if parent_id else None
        node.successor = nodes.get(successor_id) if successor_id else None
        node.before = node.state()
    return list(nodes.values())


def build_plan(data: DataSet) -> Plan:
    """Caller holds the tree lock: the plan is only valid against the rows it read."""
    nodes = _load_existing()
    by_key: dict[UnitKey, Node] = {(n.kind, n.code): n for n in nodes if n.code}
    central = next((n for n in nodes if n.kind == UnitKind.CENTRAL), None)
    if central is None:
        central = Node(None, UnitKind.CENTRAL.value, "", CENTRAL_NAME, "", "", "", in_data_set=True)
        central.slug = unit_slug_base(name=CENTRAL_NAME, short_name="", kind=UnitKind.CENTRAL)
        nodes.append(central)

    for record in data.units:
        key = (record.kind, record.code)
        node = by_key.get(key)
        if node is None:
            node = Node(None, record.kind, record.code, record.name, record.short_name, "", "")
            nodes.append(node)
            by_key[key] = node
        node.name, node.short_name = record.name, record.short_name
        node.parent = by_key[record.parent] if record.parent else central
        # The official list says the unit exists: it is active whatever happened to it before.
        node.is_active, node.dissolved_on, node.successor = True, None, None
        node.in_data_set = True

    if data.structure == Structure.Y2025:
        for node in nodes:
            if node.kind in LOCAL_KINDS and node.is_active and not node.in_data_set:
                node.is_active, node.dissolved_on = False, REFORM_DATE
                successor = by_key.get(data.successors.get((node.kind, node.code), ("", "")))
                node.successor = successor if successor is not None and successor.in_data_set else None

    _assign_slugs_and_paths(nodes, central)
    return _diff(data.structure, nodes)


def _assign_slugs_and_paths(nodes: list[Node], central: Node) -> None:
    """Give every unit a slug unique among its siblings and the path that follows from it.

    Units of the data set claim their slugs first, in code order, so the same data always gives
    the same slugs; then active units from elsewhere keep theirs; dissolved units come last and
    yield a slug an active unit now needs (the 2025 Bắc Ninh takes "bac-ninh" from the old one,
    which becomes "bac-ninh-2"; the old path keeps working as the new province's page).
    """
    children: dict[int, list[Node]] = defaultdict(list)
    for node in nodes:
        if node.parent is not None:
            children[id(node.parent)].append(node)

    def claim_order(node: Node) -> tuple:
        rank = 0 if node.in_data_set else 1 if node.is_active else 2
        return (rank, node.code, node.name, node.pk or 0)

    for siblings in children.values():
        taken: set[str] = set()
        # Active units from outside the data set keep their slug: they may have been renamed by hand.
        for node in siblings:
            if not node.in_data_set and node.is_active:
                taken.add(node.slug)
        for node in sorted(siblings, key=claim_order):
            if node.in_data_set:
                base = unit_slug_base(name=node.name, short_name=node.short_name, kind=node.kind)
            elif node.is_active:
                continue
            else:
                base = node.slug
            node.slug = unique_slug(base, taken)
            taken.add(node.slug)

    central.path = ""
    central.depth = 0
    stack = [central]
    while stack:
        parent = stack.pop()
        for child in children[id(parent)]:
            child.path = join_path(parent.path, child.slug)
            child.depth = parent.depth + 1
            stack.append(child)


def _diff(structure: str, nodes: list[Node]) -> Plan:
    created: list[Node] = []
    updated: list[Node] = []
    dissolved: list[Node] = []
    redirects: list[tuple[str, Node]] = []
    unchanged = 0
    for node in nodes:
        if node.pk is None:
            created.append(node)
            continue
        if node.state() == node.before:
            unchanged += 1
            continue
        if node.before["is_active"] and not node.is_active:
            dissolved.append(node)
        else:
            updated.append(node)
        if node.path != node.before["path"] and node.before["path"]:
            redirects.append((node.before["path"], node))
    live_paths = {node.path for node in nodes}
    # A live path always wins over a redirect (the old Bắc Ninh's path now is the new one's).
    redirects = [(old, node) for old, node in redirects if old not in live_paths]
    created.sort(key=lambda n: n.depth)
    return Plan(structure, nodes, created, updated, dissolved, unchanged, redirects, live_paths)
