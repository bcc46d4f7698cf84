"""Read a reorganisation plan file: what happens to which units, and from when.

The format (documented in docs/OPERATIONS.md, "Reorganising units") is JSON: a name, an
effective date and a list of operations applied in order. Units are named by
``"<kind>:<official code>"`` (``"commune:00181"``), the identity the importers use too, so a
plan written from the official conversion table needs no database ids.
"""

from __future__ import annotations

import datetime
import json
from dataclasses import dataclass, field
from pathlib import Path

from ..models import UnitKind

UnitRef = tuple[str, str]  # (kind, code)

OPERATIONS = ("create", "rename", "move", "merge", "split", "dissolve")


class PlanFileError(ValueError):
    """The plan file cannot be used; ``problems`` lists every reason found, in English."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


class PlanStopped(PlanFileError):
    """An operation was refused while applying: the provinces before it stay applied.

    ``user_messages`` keeps the services' own (Vietnamese) refusals for the admin's forms."""

    def __init__(self, problems: list[str], user_messages: list[str] | None = None) -> None:
        super().__init__(problems)
        self.user_messages = user_messages or []


@dataclass(frozen=True)
class Operation:
    op: str
    unit: UnitRef  # the unit the operation is about (for a merge: the unit merged into)
    index: int  # position in the file, for messages
    name: str = ""
    short_name: str = ""
    parent: UnitRef | None = None
    successor: UnitRef | None = None
    sources: tuple[UnitRef, ...] = ()  # merge: the units merged away
    parts: tuple[UnitRef, ...] = ()  # split: every unit that takes a part
    children: tuple[tuple[UnitRef, UnitRef], ...] = ()  # split: (child, new parent) overrides


@dataclass(frozen=True)
class PlanFile:
    name: str
    effective_on: datetime.date
    operations: tuple[Operation, ...] = field(default_factory=tuple)

    def refs(self) -> set[UnitRef]:
        """Every unit the plan names, created ones included."""
        found: set[UnitRef] = set()
        for op in self.operations:
            found.add(op.unit)
            found.update(r for r in (op.parent, op.successor) if r)
            found.update(op.sources)
            found.update(op.parts)
            for child, parent in op.children:
                found.update((child, parent))
        return found


def _ref(value: object, where: str, problems: list[str]) -> UnitRef | None:
    if not isinstance(value, str) or value.count(":") != 1:
        problems.append(f"{where}: expected a unit as \"kind:code\", got {value!r}")
        return None
    kind, code = (part.strip() for part in value.split(":"))
    if kind not in UnitKind.values or kind == UnitKind.CENTRAL or not code:
        problems.append(f"{where}: unknown unit kind or empty code in {value!r}")
        return None
    return kind, code


def _refs(value: object, where: str, problems: list[str]) -> tuple[UnitRef, ...]:
    if not isinstance(value, list) or not value:
        problems.append(f"{where}: expected a non-empty list of units")
        return ()
    refs = [_ref(item, f"{where}[{i}]", problems) for i, item in enumerate(value)]
    return tuple(r for r in refs if r)


def _operation(raw: object, index: int, problems: list[str]) -> Operation | None:
    where = f"operations[{index}]"
    if not isinstance(raw, dict):
        problems.append(f"{where}: expected an object")
        return None
    op = raw.get("op")
    if op not in OPERATIONS:
        problems.append(f"{where}: \"op\" must be one of {', '.join(OPERATIONS)}, got {op!r}")
        return None
    count = len(problems)
    opt = {
        "parent": _ref(raw["parent"], f"{where}.parent", problems) if "parent" in raw else None,
        "successor": _ref(raw["successor"], f"{where}.successor", problems) if raw.get("successor") else None,
    }
    name = raw.get("name", "")
    short_name = raw.get("short_name", "")
    if not isinstance(name, str) or not isinstance(short_name, str):
        problems.append(f"{where}: \"name\" and \"short_name\" must be text")
        name, short_name = "", ""
    if op == "merge":
        unit = _ref(raw.get("into"), f"{where}.into", problems)
        sources = _refs(raw.get("units"), f"{where}.units", problems)
        if unit and unit in sources:
            problems.append(f"{where}: a unit cannot be merged into itself")
        result = Operation(op, unit, index, sources=sources) if unit else None
    elif op == "split":
        unit = _ref(raw.get("unit"), f"{where}.unit", problems)
        parts = _refs(raw.get("into"), f"{where}.into", problems)
        default = _ref(raw.get("default"), f"{where}.default", problems)
        if default and parts and default not in parts:
            problems.append(f"{where}: \"default\" must be one of \"into\"")
        children_raw = raw.get("children", {})
        children: list[tuple[UnitRef, UnitRef]] = []
        if not isinstance(children_raw, dict):
            problems.append(f"{where}.children: expected an object mapping child to new parent")
        else:
            for child, parent in children_raw.items():
                c = _ref(child, f"{where}.children", problems)
                p = _ref(parent, f"{where}.children[{child}]", problems)
                if c and p:
                    children.append((c, p))
        result = (
            Operation(op, unit, index, successor=default, parts=parts, children=tuple(children))
            if unit and default else None
        )
    else:
        unit = _ref(raw.get("unit"), f"{where}.unit", problems)
        if op in ("create", "rename") and not name.strip():
            problems.append(f"{where}: \"name\" is required for {op}")
        if op in ("create", "move") and opt["parent"] is None:
            problems.append(f"{where}: \"parent\" is required for {op}")
        result = Operation(op, unit, index, name=name.strip(), short_name=short_name.strip(), **opt) if unit else None
    return result if len(problems) == count else None


def plan_file_parse(text: str) -> PlanFile:
    """Parse and check the plan's shape (not yet whether its units exist: ``validate`` does)."""
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise PlanFileError([f"not valid JSON: {exc}"]) from None
    if not isinstance(raw, dict):
        raise PlanFileError(["the plan must be a JSON object"])
    problems: list[str] = []
    try:
        effective_on = datetime.date.fromisoformat(str(raw.get("effective_on", "")))
    except ValueError:
        problems.append("\"effective_on\" must be a date as YYYY-MM-DD")
        effective_on = datetime.date.min
    operations_raw = raw.get("operations")
    if not isinstance(operations_raw, list) or not operations_raw:
        problems.append("\"operations\" must be a non-empty list")
        operations_raw = []
    operations = [_operation(item, i, problems) for i, item in enumerate(operations_raw)]
    if problems:
        raise PlanFileError(problems)
    name = str(raw.get("name") or "plan file")
    return PlanFile(name=name, effective_on=effective_on, operations=tuple(o for o in operations if o))


def plan_file_read(path: str | Path) -> PlanFile:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise PlanFileError([f"cannot read {path}: {exc}"]) from None
    return plan_file_parse(text)
