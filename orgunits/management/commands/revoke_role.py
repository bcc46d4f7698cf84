"""python manage.py revoke_role USERNAME ROLE (UNIT_CODE [--kind KIND] | --path PATH)"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError

from orgunits.services import role_revoke

from .grant_role import RoleCommand


class Command(RoleCommand):
    help = "Revoke a role a user holds on a unit (a grant on an ancestor is not touched)."

    def handle(self, *args: Any, **options: Any) -> None:
        user, role, unit = self.resolve(options)
        try:
            revoked = role_revoke(user=user, role=role, unit=unit, by=None)
        except (PermissionDenied, ValidationError) as exc:
            raise self.refused(exc) from exc
        where = self.describe(unit)
        if revoked:
            self.stdout.write(
                self.style.SUCCESS(f"Revoked {role.value} from {user.get_username()} on {where}.")
            )
        else:
            self.stdout.write(
                f"{user.get_username()} does not hold {role.value} on {where}; nothing changed."
            )
