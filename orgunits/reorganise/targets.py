"""What a reorganisation does to the rollout's targets: the units each one measures over the
whole country, and how many meet it, before and after (a district target stops applying when
the districts go; a commune target is then measured over the new communes)."""

from __future__ import annotations

from rollout.selectors import target_figures

from ..models import OrgUnit, UnitKind

Counts = dict[int, dict]


def target_counts() -> Counts:
    """Per active target: its name, the level it measures, met, total and whether it applies."""
    root = OrgUnit.objects.filter(parent__isnull=True, kind=UnitKind.CENTRAL).first()
    if root is None:
        return {}
    return {
        f.target.pk: {"target": f.target.name, "kind": f.target.unit_kind, "met": f.met, "total": f.total,
                      "applies": f.applies}
        for f in target_figures(root=root)
    }


def targets_compared(before: Counts, after: Counts) -> list[dict]:
    """One row per target measured before or after, in the targets' order."""
    rows = []
    for pk in [*before, *(pk for pk in after if pk not in before)]:
        was, now = before.get(pk), after.get(pk)
        known = was or now
        rows.append({
            "target": known["target"], "kind": known["kind"],
            "met_before": was["met"] if was else 0, "total_before": was["total"] if was else 0,
            "met_after": now["met"] if now else 0, "total_after": now["total"] if now else 0,
            "stops_applying": bool(was and was["applies"] and not (now and now["applies"])),
        })
    return rows
