"""Verify the unit tree's invariants; with --fix, repair them under the tree lock and re-check."""

from django.core.management.base import BaseCommand, CommandError

from orgunits.integrity import tree_findings, tree_repair


class Command(BaseCommand):
    help = (
        "Check the unit tree (MPTT numbering, levels, nesting, one central root, allowed kinds, "
        "paths). Exits non-zero on damage. --fix rebuilds the MPTT fields and paths, then re-checks."
    )

    def add_arguments(self, parser):
        parser.add_argument("--fix", action="store_true", help="Repair the tree, then check again.")

    def handle(self, *args, fix: bool, **options):
        findings = tree_findings()
        if not findings:
            self.stdout.write(self.style.SUCCESS("Unit tree OK."))
            return
        self._print(findings)
        if not fix:
            raise CommandError(f"The unit tree is damaged ({len(findings)} finding(s)); run with --fix.")
        paths = tree_repair()
        self.stdout.write(f"Rebuilt the tree; {paths} path(s) recomputed. Checking again...")
        remaining = tree_findings()
        if remaining:
            self._print(remaining)
            raise CommandError(
                f"{len(remaining)} finding(s) remain after repair; they need a person "
                "(wrong kinds, several roots, looping parents)."
            )
        self.stdout.write(self.style.SUCCESS("Unit tree repaired and OK."))

    def _print(self, findings) -> None:
        for finding in findings:
            self.stderr.write(str(finding))
