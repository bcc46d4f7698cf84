"""Writes to roles on units: grant and revoke, each checked and logged in one place.

A role is the django-guardian object permission ``ROLE_PERMISSION[role]`` on a unit, stored in
the direct foreign-key table ``OrgUnitUserObjectPermission``; it covers the unit's subtree (see
``orgunits.selectors``). The admin, the management commands and ``seed_demo`` all come here, so
the permission check and the ``RoleGrantLog`` row cannot be skipped by any of them.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from ..models import OrgUnit, OrgUnitUserObjectPermission, RoleGrantLog
from ..roles import ROLE_PERMISSION, Perm, Role
from ..selectors import user_has_unit_perm


def role_from_codename(codename: str) -> Role | None:
    """The role a permission codename stands for, or None for any other permission."""
    for role, perm in ROLE_PERMISSION.items():
        if perm == codename:
            return Role(role)
    return None


def _permission(role: Role) -> Permission:
    return Permission.objects.get(content_type__app_label="orgunits", codename=ROLE_PERMISSION[role])


def role_change_check(*, role: Role | str, unit: OrgUnit, by: AbstractBaseUser | None) -> Role:
    """Refuse unless ``by`` may grant or revoke ``role`` on ``unit``; return the role.

    Who may: the system operator (``by=None``, the command line), an active superuser, or an
    active user holding ``admin_unit`` on the unit or an ancestor (the grant's subtree must lie
    inside the granter's). "No role above its own": ``unit_admin`` is the highest role a unit
    holds, so within its subtree a unit admin may give any of the three roles, ``unit_admin``
    included; what lies above it (the ``is_superuser`` flag, grants on units above its own)
    stays with superusers and the admins of those units. A unit admin may likewise revoke any
    role on units of its subtree, a peer's included.

    Raises ``ValidationError`` for an unknown role, ``PermissionDenied`` otherwise.
    """
    try:
        role = Role(role)
    except ValueError:
        raise ValidationError(
            _("Vai trò không hợp lệ: %(role)s.") % {"role": role}, code="invalid_role"
        ) from None
    if by is None:
        return role
    if not by.is_active:
        raise PermissionDenied(_("Tài khoản của bạn không còn hoạt động."))
    if by.is_superuser:
        return role
    if not user_has_unit_perm(user=by, perm=Perm.ADMIN, unit=unit):
        raise PermissionDenied(
            _("Bạn không có quyền quản trị đơn vị “%(unit)s” nên không thể phân quyền tại đây.")
            % {"unit": unit}
        )
    return role


def role_grant(
    *, user: AbstractBaseUser, role: Role | str, unit: OrgUnit, by: AbstractBaseUser | None
) -> bool:
    """Grant ``role`` on ``unit`` (and so its subtree) to ``user``; ``by=None`` is the operator.

    Returns True when a grant was written, False when the user already held it (no second
    row, no log). An effective grant writes a ``RoleGrantLog`` row and makes the user staff so
    they can sign in to the admin. The (user, permission, unit) unique constraint makes two
    concurrent grants of the same role write one row and one log.
    """
    role = role_change_check(role=role, unit=unit, by=by)
    if not unit.is_active:
        raise ValidationError(
            _("Đơn vị “%(unit)s” đã giải thể hoặc sáp nhập, không thể phân quyền.") % {"unit": unit},
            code="dissolved_unit",
        )
    with transaction.atomic():
        # The same row ``guardian.shortcuts.assign_perm`` writes, but get_or_create tells us
        # whether it was new, which the log and the return value need.
        _grant, created = OrgUnitUserObjectPermission.objects.get_or_create(
            user=user, permission=_permission(role), content_object=unit
        )
        if not created:
            return False
        if not user.is_staff:
            get_user_model().objects.filter(pk=user.pk).update(is_staff=True)
            user.is_staff = True
        RoleGrantLog.objects.create(
            action=RoleGrantLog.Action.GRANT, role=role, unit=unit, user=user, actor=by
        )
    return True


def role_revoke(
    *, user: AbstractBaseUser, role: Role | str, unit: OrgUnit, by: AbstractBaseUser | None
) -> bool:
    """Take back ``role`` on ``unit`` from ``user``; same rules as ``role_grant``.

    Returns False (and logs nothing) when there was no such grant. Only the grant on this very
    unit goes: a grant on an ancestor still covers the unit. ``is_staff`` is left as it is,
    since it may have been set for other reasons; with no grant left the admin shows nothing.
    """
    role = role_change_check(role=role, unit=unit, by=by)
    with transaction.atomic():
        deleted, _rows = OrgUnitUserObjectPermission.objects.filter(
            user=user,
            permission__content_type__app_label="orgunits",
            permission__codename=ROLE_PERMISSION[role],
            content_object=unit,
        ).delete()
        if not deleted:
            return False
        RoleGrantLog.objects.create(
            action=RoleGrantLog.Action.REVOKE, role=role, unit=unit, user=user, actor=by
        )
    return True
