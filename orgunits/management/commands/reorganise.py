"""python manage.py reorganise --plan 2025 | --plan-file PATH [--dry-run]"""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError

from orgunits.importers import ImportRefused
from orgunits.reorganise.planfile import PlanFileError, PlanStopped, plan_file_read
from orgunits.reorganise.run import PLAN_2025, reorganisation_run
from orgunits.signals import unit_tree_changed


class Command(BaseCommand):
    help = (
        "Apply a reorganisation of units and carry their people and work: grants to successors "
        "(never wider), unpublished posts and pending submissions to the new structure. "
        "--dry-run prints the same report and changes nothing. Running it twice changes nothing "
        "the second time. The plan-file format is described in docs/OPERATIONS.md."
    )

    def add_arguments(self, parser):
        which = parser.add_mutually_exclusive_group(required=True)
        which.add_argument("--plan", choices=[PLAN_2025], help="a built-in plan: the 1 July 2025 reform")
        which.add_argument("--plan-file", metavar="PATH", help="a JSON plan file")
        parser.add_argument("--dry-run", action="store_true", help="report what would happen; change nothing")

    def handle(self, *args, plan: str | None, plan_file: str | None, dry_run: bool, **options):
        started = time.perf_counter()
        try:
            chosen = plan_file_read(plan_file) if plan_file else plan
            outcome = reorganisation_run(plan=chosen, dry_run=dry_run)
        except PlanStopped as exc:
            raise CommandError(
                "The plan stopped; the provinces before this operation were applied (running the "
                "plan again skips what is done):\n- " + "\n- ".join(exc.problems)
            ) from exc
        except PlanFileError as exc:
            raise CommandError("The plan cannot be applied; nothing was changed:\n- "
                               + "\n- ".join(exc.problems)) from exc
        except ImportRefused as exc:
            raise CommandError(str(exc)) from exc
        for line in outcome.report.lines():
            self.stdout.write(line)
        self.stdout.write(f"({time.perf_counter() - started:.1f} s)")
        if dry_run:
            return
        if outcome.report.changed_anything:
            unit_tree_changed.send(sender=self.__class__)
            self.stdout.write(self.style.SUCCESS("Reorganisation applied."))
        else:
            self.stdout.write("Nothing to do: the reorganisation is already in effect.")
