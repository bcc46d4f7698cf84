"""python manage.py seed_demo: demo accounts with roles on real units (DEBUG runs only).

Idempotent: a second run resets the demo passwords and names and grants nothing twice. Needs
the pre-2025 tree (``import_units``), whose codes these accounts hang on.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from orgunits.models import OrgUnit, UnitKind
from orgunits.roles import Role
from orgunits.services import role_grant


@dataclass(frozen=True)
class DemoAccount:
    username: str
    # As Django's Vietnamese user form labels them: first_name "Tên" (the given name), last_name
    # "Họ" (family and middle names). ``vietfront.people`` reads them in Vietnamese order.
    last_name: str
    first_name: str
    role: Role | None  # None: superuser
    unit_kind: str | None = None
    unit_code: str | None = None


DEMO_ACCOUNTS = [
    DemoAccount("quantri", "Nguyễn Văn", "Quản", None),
    DemoAccount("quantri.hanoi", "Trần Thị", "Hà", Role.UNIT_ADMIN, UnitKind.PROVINCE, "01"),
    DemoAccount("duyet.hanoi", "Lê Minh", "Duyệt", Role.APPROVER, UnitKind.PROVINCE, "01"),
    DemoAccount("bientap.dongda", "Phạm Thu", "Trang", Role.EDITOR, UnitKind.DISTRICT, "006"),
    DemoAccount("bientap.vanmieu", "Hoàng Văn", "Miếu", Role.EDITOR, UnitKind.COMMUNE, "00181"),
]


class Command(BaseCommand):
    help = "Create demo accounts (super admin, unit admin, approver, editors) on a DEBUG run."

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG:
            raise CommandError("demo accounts are created only when DEBUG is on")
        password = settings.VIETFRONT_DEMO_PASSWORD
        units = self._units()
        rows: list[tuple[str, str, str, str]] = []
        with transaction.atomic():
            for account in DEMO_ACCOUNTS:
                user = self._user(account, password)
                if account.role is None:
                    rows.append((account.username, "superuser", "(all units)", password))
                    continue
                unit = units[(account.unit_kind, account.unit_code)]
                role_grant(user=user, role=account.role, unit=unit, by=None)
                rows.append((account.username, account.role.value, f"{unit.name} ({unit.code})", password))
        self._print_table(("username", "role", "unit", "password"), rows)

    def _units(self) -> dict[tuple[str | None, str | None], OrgUnit]:
        wanted = {(a.unit_kind, a.unit_code) for a in DEMO_ACCOUNTS if a.role is not None}
        found = {
            (u.kind, u.code): u
            for u in OrgUnit.objects.filter(code__in=[code for _kind, code in wanted], is_active=True)
            if (u.kind, u.code) in wanted
        }
        missing = sorted(f"{kind} {code}" for kind, code in wanted - found.keys())
        if missing:
            raise CommandError(
                f"Units missing: {', '.join(missing)}. The demo accounts need the pre-2025 tree: "
                "run import_units first."
            )
        return found

    def _user(self, account: DemoAccount, password: str):
        user_model = get_user_model()
        user, _created = user_model._default_manager.get_or_create(username=account.username)
        user.last_name, user.first_name = account.last_name, account.first_name
        user.email = f"{account.username}@example.org"
        user.is_active = True
        user.is_staff = True
        user.is_superuser = account.role is None
        user.set_password(password)
        user.save()
        return user

    def _print_table(self, header: tuple[str, ...], rows: list[tuple[str, ...]]) -> None:
        widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
        line = "  ".join("-" * w for w in widths)
        self.stdout.write("  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)))
        self.stdout.write(line)
        for row in rows:
            self.stdout.write("  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)))
