"""Roles users hold on units, and the object permission each stands for.

A role granted on a unit holds for the unit's whole subtree (see ``selectors``).
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    EDITOR = "editor", _("Biên tập viên")
    APPROVER = "approver", _("Người duyệt")
    UNIT_ADMIN = "unit_admin", _("Quản trị đơn vị")


class Perm:
    """Codenames of the object permissions on ``OrgUnit`` (declared in its Meta)."""

    EDIT = "edit_content"
    APPROVE = "approve_content"
    ADMIN = "admin_unit"


ROLE_PERMISSION: dict[str, str] = {
    Role.EDITOR: Perm.EDIT,
    Role.APPROVER: Perm.APPROVE,
    Role.UNIT_ADMIN: Perm.ADMIN,
}
