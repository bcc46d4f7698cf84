"""python manage.py bench_reorganise: time the whole 2025 reform with roles, posts and a queue.

Run on a throw-away database seeded with ``seed_bench`` (the pre-2025 tree, pages, posts, and
``--pending`` submissions). Adds roles the way a live Front holds them (an editor on every
tenth commune, an approver on every district, a unit admin on every province, a group of
editors), then times a dry run, the reform itself, and a second run that must change nothing.
"""

from __future__ import annotations

import time

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from moderation.models import Submission
from orgunits.importers import reform_applied, units_import
from orgunits.models import (
    OrgUnit,
    OrgUnitGroupObjectPermission,
    OrgUnitUserObjectPermission,
    Structure,
    UnitKind,
)
from orgunits.reorganise.coverage import coverage_gaps
from orgunits.reorganise.run import PLAN_2025, reorganisation_run
from orgunits.roles import Perm
from pages.models import Post

PREFIX = "bench.ro."


class Command(BaseCommand):
    help = "Time `reorganise --plan 2025` on a seed_bench database (throw-away databases only)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--editors-every", type=int, default=10, help="an editor on every Nth commune")

    def handle(self, *args, editors_every: int, **options) -> None:
        if reform_applied():
            raise CommandError("The 2025 structure is already applied: seed a fresh database with seed_bench.")
        if not OrgUnit.objects.filter(kind=UnitKind.DISTRICT).exists():
            raise CommandError("No pre-2025 tree: run seed_bench first.")
        self._seed_roles(editors_every)
        self.stdout.write(
            f"Data: {OrgUnit.objects.count()} units, {Post.objects.count()} posts, "
            f"{Submission.objects.filter(state='pending').count()} pending submissions, "
            f"{OrgUnitUserObjectPermission.objects.count()} user grants, "
            f"{OrgUnitGroupObjectPermission.objects.count()} group grants; database {connection.vendor}."
        )
        # Before carrying people and work existed, the reform was the tree import alone.
        started = time.perf_counter()
        with transaction.atomic():
            units_import(structure=Structure.Y2025)
            transaction.set_rollback(True)
        self.stdout.write(f"tree import only (rolled back): {time.perf_counter() - started:.1f} s")
        for label, dry_run in (("dry run", True), ("apply", False), ("second run", False)):
            started = time.perf_counter()
            outcome = reorganisation_run(plan=PLAN_2025, dry_run=dry_run)
            elapsed = time.perf_counter() - started
            report = outcome.report
            self.stdout.write(
                f"{label}: {elapsed:.1f} s - units {dict(report.units)}, grants moved "
                f"{len(report.grants_moved)}, ended {len(report.grants_ended)}, for decision "
                f"{len(report.grants_for_decision)}, submissions re-routed {len(report.submissions_rerouted)}, "
                f"posts moved {report.drafts_moved}, published kept {report.published_kept}, "
                f"provinces {report.provinces}, coverage lost {len(report.coverage_lost)}, "
                f"changed anything: {report.changed_anything}"
            )
        # The coverage report runs twice inside each run above; timed alone here too.
        started = time.perf_counter()
        with CaptureQueriesContext(connection) as queries:
            gaps = coverage_gaps()
        self.stdout.write(
            f"role coverage: {time.perf_counter() - started:.2f} s, {len(queries)} queries, "
            f"{len(gaps)} units with an active page lacking an editor or approver"
        )

    @transaction.atomic
    def _seed_roles(self, every: int) -> None:
        users = get_user_model().objects
        if users.filter(username__startswith=PREFIX).exists():
            return
        perms = {p.codename: p for p in Permission.objects.filter(content_type__app_label="orgunits")}
        communes = list(OrgUnit.objects.filter(kind=UnitKind.COMMUNE, is_active=True).order_by("pk")
                        .values_list("pk", flat=True))
        plan = [(Perm.EDIT, pk) for pk in communes[::every]]
        plan += [(Perm.APPROVE, pk) for pk in OrgUnit.objects.filter(kind=UnitKind.DISTRICT)
                 .values_list("pk", flat=True)]
        plan += [(Perm.ADMIN, pk) for pk in OrgUnit.objects.filter(kind=UnitKind.PROVINCE)
                 .values_list("pk", flat=True)]
        accounts = [users.model(username=f"{PREFIX}{i}", email=f"{PREFIX}{i}@example.org", is_staff=True)
                    for i in range(len(plan))]
        for account in accounts:
            account.set_unusable_password()  # bench accounts never sign in
        created = users.bulk_create(accounts)
        OrgUnitUserObjectPermission.objects.bulk_create(
            [OrgUnitUserObjectPermission(user=user, permission=perms[codename], content_object_id=pk)
             for user, (codename, pk) in zip(created, plan, strict=True)]
        )
        group = Group.objects.create(name=f"{PREFIX}group")
        group.user_set.add(*created[:20])
        OrgUnitGroupObjectPermission.objects.bulk_create(
            [OrgUnitGroupObjectPermission(group=group, permission=perms[Perm.EDIT], content_object_id=pk)
             for pk in communes[1::every * 5]]
        )
