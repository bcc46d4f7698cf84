"""Write a plan to the database: a few bulk statements and one MPTT rebuild, all or nothing."""

from __future__ import annotations

from dataclasses import dataclass
from itertools import groupby

from django.db import connection
from django.utils import timezone

from ..locking import tree_write_lock
from ..models import OrgUnit, OrgUnitRedirect, Structure, UnitImport, UnitKind, unit_search_name
from . import source
from .plan import Node, Plan, build_plan

BATCH_SIZE = 1000
# In the order of the values `_apply` passes to `_update_rows`.
_UPDATE_FIELDS = [
    "name",
    "short_name",
    "search_name",
    "parent",
    "slug",
    "path",
    "is_active",
    "dissolved_on",
    "successor",
    "updated_at",
]


class ImportRefused(Exception):
    """The import would damage the tree as it stands; nothing was written."""


@dataclass(frozen=True)
class ImportResult:
    structure: str
    created: int
    updated: int
    dissolved: int
    unchanged: int
    redirects: int
    record: UnitImport


def reform_applied() -> bool:
    """Whether the tree already follows the 2025 structure.

    The import log says so; a commune directly under a province says so too, in case the
    reform reached the tree some other way (by hand, or a restored dump without the log).
    """
    if UnitImport.objects.filter(structure=Structure.Y2025).exists():
        return True
    return OrgUnit.objects.filter(
        kind=UnitKind.COMMUNE, is_active=True, parent__kind=UnitKind.PROVINCE
    ).exists()


def units_import(*, structure: str, data: source.DataSet | None = None) -> ImportResult:
    """Bring the tree in line with the official list for ``structure``, in one transaction.

    Units are matched by (kind, code); a second run with the same data changes nothing. On a
    pre-2025 tree the 2025 structure is applied as the reform: units that continue are renamed
    and moved, the others are dissolved with their successor, and changed paths redirect.
    """
    data = data if data is not None else source.load(structure)
    with tree_write_lock():
        if structure == Structure.PRE_2025 and reform_applied():
            raise ImportRefused(
                "The 2025 structure has already been applied to this unit tree; importing the "
                "pre-2025 structure would undo the reform. Nothing was changed."
            )
        plan = build_plan(data)
        if not plan.is_noop:
            _apply(plan)
        record = UnitImport.objects.create(
            structure=structure,
            created=len(plan.created),
            updated=len(plan.updated),
            dissolved=len(plan.dissolved),
            unchanged=plan.unchanged,
        )
    return ImportResult(
        structure=structure,
        created=len(plan.created),
        updated=len(plan.updated),
        dissolved=len(plan.dissolved),
        unchanged=plan.unchanged,
        redirects=len(plan.redirects),
        record=record,
    )


def _apply(plan: Plan) -> None:
    now = timezone.now()
    changed = plan.changed
    # Units whose slug or path change first step aside to values no other unit can hold, so
    # that no statement below trips the sibling-slug or path unique index half-way.
    moving = [n for n in changed if n.slug != n.before["slug"] or n.path != n.before["path"]]
    _update_rows(["slug", "path"], [(f"~{n.pk}", f"~import~{n.pk}", n.pk) for n in moving])
    _create(plan.created)
    _update_rows(
        _UPDATE_FIELDS,
        [
            (
                n.name,
                n.short_name,
                unit_search_name(n.name, n.short_name),
                n.parent.pk if n.parent else None,
                n.slug,
                n.path,
                n.is_active,
                n.dissolved_on,
                n.successor.pk if n.successor else None,
                now,
                n.pk,
            )
            for n in changed
        ],
    )
    _write_redirects(plan)
    # One pass over parent links sets every lft/rght/level/tree_id, ordered by code and name.
    OrgUnit.objects.rebuild(batch_size=BATCH_SIZE)


def _update_rows(field_names: list[str], rows: list[tuple]) -> None:
    """UPDATE each row by primary key (the pk is the last value of each row) in one executemany.

    Django's ``bulk_update`` builds a CASE expression per row and field; resolving those in
    Python took most of the reform's run time, while a prepared UPDATE per row is cheap on
    both SQLite and PostgreSQL. Values go through each field's ``get_db_prep_save``, as the
    ORM would send them.
    """
    if not rows:
        return
    meta = OrgUnit._meta
    fields = [meta.get_field(name) for name in field_names]
    quote = connection.ops.quote_name
    assignments = ", ".join(f"{quote(f.column)} = %s" for f in fields)
    sql = f"UPDATE {quote(meta.db_table)} SET {assignments} WHERE {quote(meta.pk.column)} = %s"  # noqa: S608
    params = [
        [f.get_db_prep_save(value, connection) for f, value in zip(fields, row[:-1], strict=True)] + [row[-1]]
        for row in rows
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)


def _create(created: list[Node]) -> None:
    """Insert new units a level at a time, so every parent has its primary key before its children."""
    for depth, group in groupby(created, key=lambda n: n.depth):
        nodes = list(group)
        # lft/rght/tree_id are placeholders: the rebuild at the end of the import sets them.
        units = OrgUnit.objects.bulk_create(
            [
                OrgUnit(
                    name=n.name,
                    short_name=n.short_name,
                    search_name=unit_search_name(n.name, n.short_name),
                    kind=n.kind,
                    code=n.code,
                    slug=n.slug,
                    path=n.path,
                    parent_id=n.parent.pk if n.parent else None,
                    is_active=n.is_active,
                    dissolved_on=n.dissolved_on,
                    lft=0,
                    rght=0,
                    tree_id=0,
                    level=depth,
                )
                for n in nodes
            ],
            batch_size=BATCH_SIZE,
        )
        for node, unit in zip(nodes, units, strict=True):
            node.pk = unit.pk


def _write_redirects(plan: Plan) -> None:
    """Old paths point to their unit; a path that is live again stops redirecting."""
    stale: list[int] = []
    by_path: dict[str, int] = dict(OrgUnitRedirect.objects.values_list("old_path", "pk"))
    wanted = dict(plan.redirects)
    for old_path, pk in by_path.items():
        if old_path in plan.live_paths or old_path in wanted:
            stale.append(pk)
    for start in range(0, len(stale), BATCH_SIZE):
        OrgUnitRedirect.objects.filter(pk__in=stale[start : start + BATCH_SIZE]).delete()
    OrgUnitRedirect.objects.bulk_create(
        [OrgUnitRedirect(old_path=old, unit_id=node.pk) for old, node in wanted.items()],
        batch_size=BATCH_SIZE,
    )
