"""Load Vietnam's administrative units (pre-2025 or 2025 structure) into the unit tree."""

import time

from django.core.management.base import BaseCommand, CommandError

from orgunits.importers import ImportRefused, units_import
from orgunits.models import Structure
from orgunits.reorganise.run import PLAN_2025, reorganisation_run
from orgunits.signals import unit_tree_changed


class Command(BaseCommand):
    help = (
        "Import the official administrative units from the bundled vietnamadminunits data. "
        "All or nothing; running it again changes nothing. --structure 2025 on a pre-2025 tree "
        "applies the 2025 reform (renames, moves, dissolutions with successors, redirects) the "
        "way `reorganise --plan 2025` does, carrying grants, drafts and pending submissions."
    )

    def add_arguments(self, parser):
        parser.add_argument("--structure", required=True, choices=Structure.values)

    def handle(self, *args, structure: str, **options):
        started = time.perf_counter()
        report = None
        try:
            if structure == Structure.Y2025:
                # On a live tree the reform must carry people and work too: the same path as
                # `reorganise --plan 2025` (on an empty tree there is nothing to carry).
                outcome = reorganisation_run(plan=PLAN_2025)
                result, report = outcome.imported, outcome.report
            else:
                result = units_import(structure=structure)
        except ImportRefused as exc:
            raise CommandError(str(exc)) from exc
        except Exception as exc:
            # The transaction rolled back: say so plainly rather than leave a bare traceback.
            raise CommandError(
                f"Import of the {structure} structure failed and was rolled back; the unit tree "
                f"is unchanged. Cause: {exc.__class__.__name__}: {exc}"
            ) from exc
        elapsed = time.perf_counter() - started
        self.stdout.write(
            f"Structure {structure}: {result.created} created, {result.updated} updated, "
            f"{result.dissolved} dissolved, {result.unchanged} unchanged, "
            f"{result.redirects} redirects kept ({elapsed:.1f} s)."
        )
        if report is not None:
            for line in report.lines()[2:]:  # the unit counts are printed above
                self.stdout.write(line)
        changed = report.changed_anything if report is not None else False
        if not (result.created or result.updated or result.dissolved or changed):
            self.stdout.write("Nothing to do: the unit tree already matches the data set.")
        else:
            unit_tree_changed.send(sender=self.__class__)
            self.stdout.write(self.style.SUCCESS("Import complete."))
