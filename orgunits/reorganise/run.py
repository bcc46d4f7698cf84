"""Plan, then apply, a reorganisation: the tree first, then the people and work it strands.

The tree step is the 2025 import (``orgunits.importers``: one transaction and one MPTT
rebuild, which is global by nature) or a plan file's operations (one transaction per province).
The carrying step then runs one transaction per province under the tree lock, over the units
dissolved there: grants (``people``), unpublished posts and pending submissions (``work``).
A dry run does all of it inside one transaction that is rolled back, so the report is exactly
what applying would do, and nothing (no row, no mail) leaves it.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from django.db import transaction

from ..importers import ImportResult, units_import
from ..importers import source as import_source
from ..importers.plan import REFORM_DATE
from ..locking import tree_write_lock
from ..models import GrantReview, OrgUnit, Reorganisation, Structure
from . import coverage, people, targets, tree, work
from .planfile import PlanFile
from .report import Report

PLAN_2025 = "2025"


@dataclass
class Outcome:
    report: Report
    imported: ImportResult | None = None
    record: Reorganisation | None = None


def reorganisation_run(
    *, plan: str | PlanFile, dry_run: bool = False, data: import_source.DataSet | None = None
) -> Outcome:
    """Apply ``plan`` (``"2025"`` for the 2025 reform, or a parsed plan file) and return what it did.

    ``data`` replaces the bundled 2025 data set (tests use a small one). Raises
    ``PlanFileError`` or ``ImportRefused`` before anything is written when the plan cannot apply.
    """
    if not dry_run:
        return _run(plan, data)
    with transaction.atomic():
        outcome = _run(plan, data)
        transaction.set_rollback(True)
    outcome.report.dry_run = True
    outcome.record = None
    return outcome


def _run(plan: str | PlanFile, data: import_source.DataSet | None) -> Outcome:
    redirects_before = tree.redirect_count()
    uncovered_before = coverage.gap_keys(coverage.coverage_gaps())
    targets_before = targets.target_counts()
    imported = None
    if isinstance(plan, PlanFile):
        report = Report(source=plan.name, effective_on=plan.effective_on.isoformat())
        tree.plan_file_check(plan)
        for batch in tree.province_batches(plan):
            with tree_write_lock():
                tree.batch_apply(batch, plan=plan, report=report)
    elif plan == PLAN_2025:
        report = Report(source="2025", effective_on=REFORM_DATE.isoformat())
        imported = units_import(structure=Structure.Y2025, data=data)
        report.units.update(
            {"created": imported.created, "updated": imported.updated, "dissolved": imported.dissolved}
        )
    else:
        raise ValueError(f"Unknown plan {plan!r}: expected {PLAN_2025!r} or a plan file.")
    report.redirects_added = tree.redirect_count() - redirects_before
    carry(report=report)
    _coverage(report, uncovered_before)
    report.targets = targets.targets_compared(targets_before, targets.target_counts())
    record = None
    if report.changed_anything:
        record = Reorganisation.objects.create(
            source=report.source, effective_on=report.effective_on, report=report.as_dict()
        )
        new_reviews = [row["review"] for row in report.grants_for_decision if row["new"]]
        GrantReview.objects.filter(pk__in=new_reviews).update(reorganisation=record)
    return Outcome(report=report, imported=imported, record=record)


def _coverage(report: Report, uncovered_before: set[tuple[int, str]]) -> None:
    gaps = coverage.coverage_gaps()
    report.coverage_gaps = {
        role: sum(1 for g in gaps if role in g.missing) for _perm, role in coverage.ROLES
    }
    for gap in gaps:
        lost = tuple(role for role in gap.missing if (gap.unit_id, role) not in uncovered_before)
        if lost:
            report.coverage_lost.append({**gap.as_row(), "missing": ", ".join(lost)})


def _dissolved_by_province() -> dict[str, set[int]]:
    """Dissolved units grouped by the first segment of their path (their province then)."""
    groups: dict[str, set[int]] = defaultdict(set)
    for pk, path in OrgUnit.objects.filter(is_active=False).values_list("pk", "path"):
        groups[path.split("/", 1)[0]].add(pk)
    return groups


def carry(*, report: Report) -> None:
    """Carry people and work off every dissolved unit, one province per transaction."""
    with tree_write_lock():
        # Successors learn that they have a history to show (the flag spares the public page a
        # query for the many units without one).
        OrgUnit.objects.filter(has_predecessors=False, predecessors__isnull=False).update(has_predecessors=True)
    for _province, unit_ids in sorted(_dissolved_by_province().items()):
        with tree_write_lock():
            people.grants_carry(unit_ids=unit_ids, report=report)
            moved = work.drafts_carry(unit_ids=unit_ids, report=report)
            work.submissions_reroute(unit_ids=unit_ids, moved_post_ids=moved, report=report)
            work.public_record_count(unit_ids=unit_ids, report=report)
        report.provinces += 1
