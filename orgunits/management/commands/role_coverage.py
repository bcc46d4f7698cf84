"""python manage.py role_coverage [--unit PATH] [--csv]"""

from __future__ import annotations

import csv

from django.core.management.base import BaseCommand, CommandError

from orgunits.models import OrgUnit
from orgunits.reorganise.coverage import coverage_gaps
from vietfront.escaping import spreadsheet_text


class Command(BaseCommand):
    help = (
        "List the active units with an active page that no editor or no approver covers (a grant "
        "on the unit or an ancestor, held by an active user or a group with an active member)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--unit", metavar="PATH", help="only this unit's subtree (its public path)")
        parser.add_argument("--csv", action="store_true", dest="as_csv", help="write CSV (path, name, kind, code, missing roles)")

    def handle(self, *args, unit: str | None, as_csv: bool, **options):
        within = None
        if unit is not None:
            within = OrgUnit.objects.filter(path=unit.strip("/")).first()
            if within is None:
                raise CommandError(f"No unit at path {unit!r}.")
        gaps = coverage_gaps(within=within)
        if as_csv:
            self._csv(gaps)
            return
        for gap in gaps:
            self.stdout.write(f"/{gap.path}\t{gap.name} ({gap.kind} {gap.code})\tno {', '.join(gap.missing)}")
        self.stdout.write(f"{len(gaps)} units without an editor or an approver.")

    def _csv(self, gaps) -> None:
        writer = csv.writer(self.stdout, lineterminator="\n")
        writer.writerow(["path", "name", "kind", "code", "missing"])
        for gap in gaps:
            writer.writerow([spreadsheet_text(v) for v in (
                f"/{gap.path}", gap.name, gap.kind, gap.code, " ".join(gap.missing))])
