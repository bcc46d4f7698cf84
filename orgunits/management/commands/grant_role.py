"""python manage.py grant_role USERNAME ROLE (UNIT_CODE [--kind KIND] | --path PATH)

Run by the system operator: the grant is logged with no actor. Exits non-zero with a clear
message when the user, the role or the unit cannot be told apart.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from orgunits.models import OrgUnit, UnitKind
from orgunits.roles import Role
from orgunits.services import resolve_redirect, role_grant


class RoleCommand(BaseCommand):
    """Shared arguments and look-ups of ``grant_role`` and ``revoke_role``."""

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("role", help=f"one of: {', '.join(Role.values)}")
        parser.add_argument(
            "unit_code", nargs="?", help="official administrative code of the unit (e.g. 01 for Hà Nội)"
        )
        parser.add_argument(
            "--kind",
            choices=UnitKind.values,
            help="unit kind, needed when the code is used by units of several kinds",
        )
        parser.add_argument(
            "--path", help="public path of the unit instead of its code, e.g. ha-noi/quan-dong-da"
        )

    def get_user(self, username: str) -> AbstractBaseUser:
        user = get_user_model()._default_manager.filter(username=username).first()
        if user is None:
            raise CommandError(f"Unknown user {username!r}.")
        return user

    def get_role(self, value: str) -> Role:
        try:
            return Role(value)
        except ValueError:
            raise CommandError(f"Unknown role {value!r}: use one of {', '.join(Role.values)}.") from None

    def get_unit(self, *, code: str | None, kind: str | None, path: str | None) -> OrgUnit:
        if bool(code) == (path is not None):
            raise CommandError("Give either UNIT_CODE or --path, not both and not neither.")
        if path is not None:
            unit = OrgUnit.objects.filter(path=path.strip("/")).first()
            if unit is None:
                moved = resolve_redirect(path)
                hint = f" (it is now {moved.path!r})" if moved is not None else ""
                raise CommandError(f"No unit at path {path!r}{hint}.")
            return unit
        units = OrgUnit.objects.filter(code=code)
        if kind:
            units = units.filter(kind=kind)
        found = list(units.order_by("kind")[:10])
        if not found:
            of_kind = f" of kind {kind!r}" if kind else ""
            raise CommandError(f"No unit{of_kind} with code {code!r}.")
        if len(found) > 1:
            listing = "; ".join(f"{u.kind}: {u.name}" for u in found)
            raise CommandError(f"Code {code!r} is ambiguous ({listing}): add --kind.")
        return found[0]

    def resolve(self, options: dict[str, Any]) -> tuple[AbstractBaseUser, Role, OrgUnit]:
        user = self.get_user(options["username"])
        role = self.get_role(options["role"])
        unit = self.get_unit(code=options["unit_code"], kind=options["kind"], path=options["path"])
        return user, role, unit

    @staticmethod
    def describe(unit: OrgUnit) -> str:
        return f"{unit.name} ({unit.kind} {unit.code or '-'}, /{unit.path})"

    @staticmethod
    def refused(exc: Exception) -> CommandError:
        messages = exc.messages if isinstance(exc, ValidationError) else [str(exc)]
        return CommandError(f"Refused: {' '.join(messages)}")


class Command(RoleCommand):
    help = "Grant a role on a unit (and its whole subtree) to a user."

    def handle(self, *args: Any, **options: Any) -> None:
        user, role, unit = self.resolve(options)
        if not unit.is_active:
            successor = (
                f"; its successor is {unit.successor.name} (/{unit.successor.path})" if unit.successor else ""
            )
            raise CommandError(f"Unit {unit.name!r} is dissolved{successor}.")
        try:
            created = role_grant(user=user, role=role, unit=unit, by=None)
        except (PermissionDenied, ValidationError) as exc:
            raise self.refused(exc) from exc
        where = self.describe(unit)
        if created:
            self.stdout.write(
                self.style.SUCCESS(f"Granted {role.value} to {user.get_username()} on {where}.")
            )
        else:
            self.stdout.write(
                f"{user.get_username()} already holds {role.value} on {where}; nothing changed."
            )
