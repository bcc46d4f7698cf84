"""Apply a plan file's operations to the tree through the tree services, checked first.

Each operation is skipped when the tree already shows it (a rename to the current name, a
merge whose sources already name the target as successor...), which makes applying the same
plan twice change nothing the second time.
"""

from __future__ import annotations

from itertools import groupby

from django.core.exceptions import ValidationError

from ..models import OrgUnit, OrgUnitRedirect, UnitKind
from ..services import tree as tree_services
from .planfile import Operation, PlanFile, PlanFileError, PlanStopped, UnitRef
from .report import Report


def _units(refs: set[UnitRef]) -> dict[UnitRef, OrgUnit]:
    codes = {code for _kind, code in refs}
    return {(u.kind, u.code): u for u in OrgUnit.objects.filter(code__in=codes) if (u.kind, u.code) in refs}


def plan_file_check(plan: PlanFile) -> None:
    """Refuse the plan, listing every problem, unless each unit it names exists or is created
    by an earlier operation. Read-only; run before anything is written."""
    known = set(_units(plan.refs()))
    problems: list[str] = []
    for op in plan.operations:
        if op.op == "create":
            if op.unit in known:
                continue  # already there: the operation will be skipped
            needed = [op.parent]
        else:
            needed = [op.unit, op.parent, op.successor, *op.sources, *op.parts, *(p for c in op.children for p in c)]
        for ref in needed:
            if ref is not None and ref not in known:
                problems.append(f"operations[{op.index}] ({op.op}): no unit {ref[0]}:{ref[1]}")
        if op.op == "create":
            known.add(op.unit)
    if problems:
        raise PlanFileError(problems)


def province_key(op: Operation) -> UnitRef:
    """The province whose transaction carries ``op``: the one its unit (or new parent) is in."""
    ref = op.parent if op.op == "create" else op.unit
    unit = OrgUnit.objects.filter(kind=ref[0], code=ref[1]).first()
    if unit is None or unit.kind == UnitKind.PROVINCE:
        return ref
    top = OrgUnit.objects.ancestors_of(unit).filter(kind=UnitKind.PROVINCE).first()
    return (top.kind, top.code) if top else ref


def province_batches(plan: PlanFile) -> list[list[Operation]]:
    """Consecutive operations of the same province, in file order."""
    keyed = [(province_key(op), op) for op in plan.operations]
    return [[op for _key, op in group] for _key, group in groupby(keyed, key=lambda pair: pair[0])]


def _get(ref: UnitRef) -> OrgUnit:
    return OrgUnit.objects.get(kind=ref[0], code=ref[1])


def operation_apply(op: Operation, *, plan: PlanFile, report: Report) -> None:
    """Apply one operation. Caller holds the tree lock; every node is re-read here."""
    on = plan.effective_on
    if op.op == "create":
        if OrgUnit.objects.filter(kind=op.unit[0], code=op.unit[1]).exists():
            report.units["already done"] += 1
            return
        tree_services.unit_create(name=op.name, short_name=op.short_name, kind=op.unit[0], code=op.unit[1],
                                  parent=_get(op.parent))
        report.units["created"] += 1
        return
    unit = _get(op.unit)
    if op.op == "rename":
        if unit.name == op.name and unit.short_name == (op.short_name or unit.short_name):
            report.units["already done"] += 1
            return
        tree_services.unit_rename(unit=unit, name=op.name, short_name=op.short_name or None)
        report.units["renamed"] += 1
    elif op.op == "move":
        parent = _get(op.parent)
        if unit.parent_id == parent.pk:
            report.units["already done"] += 1
            return
        tree_services.unit_move(unit=unit, new_parent=parent)
        report.units["moved"] += 1
    elif op.op == "merge":
        sources = [_get(ref) for ref in op.sources]
        todo = [s for s in sources if s.is_active or s.successor_id != unit.pk]
        if not todo:
            report.units["already done"] += 1
            return
        tree_services.unit_merge(sources=todo, into=unit, on=on)
        report.units["merged away"] += len(todo)
    elif op.op == "split":
        default = _get(op.successor)
        if not unit.is_active:
            report.units["already done"] += 1
            return
        overrides = dict(op.children)
        for child in OrgUnit.objects.filter(parent=unit, is_active=True).order_by("pk"):
            ref = (child.kind, child.code)
            # A child that is itself one of the parts takes the split unit's place; the others
            # go to the part the plan names, else to the default successor.
            if ref in overrides:
                target = _get(overrides[ref])
            elif ref in op.parts:
                target = OrgUnit.objects.get(pk=unit.parent_id)
            else:
                target = default
            tree_services.unit_move(unit=child, new_parent=target)
        tree_services.unit_dissolve(unit=unit, on=on, successor=default)
        report.units["split"] += 1
    elif op.op == "dissolve":
        if not unit.is_active:
            report.units["already done"] += 1
            return
        successor = _get(op.successor) if op.successor else None
        tree_services.unit_dissolve(unit=unit, on=on, successor=successor)
        report.units["dissolved"] += 1


def batch_apply(ops: list[Operation], *, plan: PlanFile, report: Report) -> None:
    """Caller holds the tree lock. A refused operation refuses the plan, naming it."""
    for op in ops:
        try:
            operation_apply(op, plan=plan, report=report)
        except ValidationError as exc:
            raise PlanStopped([f"operations[{op.index}] ({op.op} {op.unit[0]}:{op.unit[1]}): "
                                 + "; ".join(exc.messages)], user_messages=exc.messages) from None


def redirect_count() -> int:
    return OrgUnitRedirect.objects.count()
