"""What a reorganisation did (or, in a dry run, would do): counts and the rows behind them."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

# Lines printed per list; the stored report keeps every row.
SHOWN_PER_LIST = 30


@dataclass
class Report:
    source: str
    effective_on: str
    dry_run: bool = False
    # Tree: operation kind → count ("renamed", "dissolved", "already done"...).
    units: Counter = field(default_factory=Counter)
    redirects_added: int = 0
    grants_moved: list[dict] = field(default_factory=list)
    grants_ended: list[dict] = field(default_factory=list)
    grants_for_decision: list[dict] = field(default_factory=list)
    submissions_rerouted: list[dict] = field(default_factory=list)
    drafts_moved: int = 0
    pages_created: list[str] = field(default_factory=list)
    published_kept: int = 0
    takedowns_kept: int = 0
    deliveries_on_dissolved: int = 0
    provinces: int = 0
    # Active units with an active page left without an editor or approver by this change
    # (``coverage``), and how many such units there are in all afterwards, by role.
    coverage_lost: list[dict] = field(default_factory=list)
    coverage_gaps: dict = field(default_factory=dict)
    # The rollout's targets over the whole country, before and after (``targets``).
    targets: list[dict] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def changed_anything(self) -> bool:
        done = {k: v for k, v in self.units.items() if k != "already done"}
        return bool(
            sum(done.values()) or self.redirects_added or self.grants_moved or self.grants_ended
            or self.submissions_rerouted or self.drafts_moved or self.pages_created
            or any(row.get("new") for row in self.grants_for_decision)
        )

    def as_dict(self) -> dict:
        return {
            "source": self.source,
            "effective_on": self.effective_on,
            "units": dict(self.units),
            "redirects_added": self.redirects_added,
            "grants_moved": self.grants_moved,
            "grants_ended": self.grants_ended,
            "grants_for_decision": self.grants_for_decision,
            "submissions_rerouted": self.submissions_rerouted,
            "drafts_moved": self.drafts_moved,
            "pages_created": self.pages_created,
            "published_kept": self.published_kept,
            "takedowns_kept": self.takedowns_kept,
            "deliveries_on_dissolved": self.deliveries_on_dissolved,
            "provinces": self.provinces,
            "coverage_lost": self.coverage_lost,
            "coverage_gaps": self.coverage_gaps,
            "targets": self.targets,
        }

    def lines(self) -> list[str]:
        """The report as the command prints it (English: it is an operator's tool)."""
        head = "DRY RUN - nothing was changed. " if self.dry_run else ""
        out = [f"{head}Reorganisation {self.source!r}, effective {self.effective_on}."]
        units = ", ".join(f"{n} {kind}" for kind, n in sorted(self.units.items())) or "no change"
        out.append(f"Units: {units}; {self.redirects_added} redirects added.")
        new_decisions = sum(1 for row in self.grants_for_decision if row.get("new"))
        out.append(
            f"Grants: {len(self.grants_moved)} moved to a successor, {len(self.grants_ended)} ended "
            f"(already covered there), {len(self.grants_for_decision)} left for a super admin's "
            f"decision ({new_decisions} new)."
        )
        out += _rows("moved", self.grants_moved, "{holder}: {role} {from_unit} -> {to_unit}")
        out += _rows("ended", self.grants_ended, "{holder}: {role} on {from_unit} (covered by {to_unit})")
        out += _rows("for decision", self.grants_for_decision,
                     "{holder}: {role} on {from_unit} ({reason}; successor: {to_unit})")
        out.append(
            f"Work: {len(self.submissions_rerouted)} pending submissions re-routed, "
            f"{self.drafts_moved} unpublished posts moved to their unit's successor, "
            f"{self.published_kept} published posts kept where they were published, "
            f"{self.takedowns_kept} open takedown requests kept with their deadlines."
        )
        out += _rows("re-routed", self.submissions_rerouted, "post {post}: {from_unit} -> {to_unit}")
        out.append(
            f"Pages: {len(self.pages_created)} created for successors without one; "
            f"{self.deliveries_on_dissolved} spread deliveries target dissolved units (left as they are)."
        )
        out += _rows("page created", [{"unit": u} for u in self.pages_created], "{unit}")
        gaps = ", ".join(f"{n} without an {role}" for role, n in sorted(self.coverage_gaps.items())) or "none"
        out.append(
            f"Coverage: {len(self.coverage_lost)} units with an active page lose their last editor or "
            f"approver; active units with an active page afterwards: {gaps}."
        )
        out += _rows("no longer covered", self.coverage_lost, "{unit} /{path}: no {missing}")
        stopping = sum(row["stops_applying"] for row in self.targets)
        out.append(f"Targets: {len(self.targets)} measured before and after, {stopping} no longer apply.")
        out += _rows("target", [
            {**row, "end": " - no longer applies" if row["stops_applying"] else ""} for row in self.targets
        ], "{target} ({kind}): {met_before} of {total_before} -> {met_after} of {total_after}{end}")
        out.append(f"Provinces processed: {self.provinces} (one transaction each).")
        out += self.notes
        return out


def _rows(title: str, rows: list[dict], pattern: str) -> list[str]:
    shown = [f"  {title}: " + pattern.format(**row) for row in rows[:SHOWN_PER_LIST]]
    if len(rows) > SHOWN_PER_LIST:
        shown.append(f"  ... and {len(rows) - SHOWN_PER_LIST} more {title} (all in the stored report)")
    return shown
