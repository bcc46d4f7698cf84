"""Reads about units and rights. The one place that answers "where may user U do P?".

Grants are django-guardian rows in direct foreign-key tables; a grant on a unit covers its
subtree, decided by the MPTT interval in SQL. Model-level (global) permissions are never
consulted: one global grant would otherwise expose every unit.
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404

from .models import OrgUnit, OrgUnitGroupObjectPermission, OrgUnitUserObjectPermission

UserLike = AbstractBaseUser | AnonymousUser


def _grant_covers(grants: QuerySet, codename: str, unit_ref: str) -> Exists:
    """EXISTS(a grant of ``codename`` on an ancestor-or-self of the unit at ``unit_ref``)."""
    return Exists(
        grants.filter(
            permission__codename=codename,
            permission__content_type__app_label="orgunits",
            content_object__tree_id=OuterRef(f"{unit_ref}tree_id"),
            content_object__lft__lte=OuterRef(f"{unit_ref}lft"),
            content_object__rght__gte=OuterRef(f"{unit_ref}rght"),
        )
    )


def unit_access_q(user: UserLike, codename: str, *, unit_ref: str = "") -> Q:
    """A Q for any queryset whose rows lead to a unit (``unit_ref`` like ``"page__unit__"``)
    that keeps the rows whose unit lies in a subtree where ``user`` holds ``codename``."""
    if not user.is_authenticated or not user.is_active:
        return Q(pk__in=[])
    if user.is_superuser:
        return Q()
    by_user = _grant_covers(OrgUnitUserObjectPermission.objects.filter(user_id=user.pk), codename, unit_ref)
    by_group = _grant_covers(
        OrgUnitGroupObjectPermission.objects.filter(group__user=user.pk), codename, unit_ref
    )
    return Q(by_user) | Q(by_group)


def units_for_user(*, user: UserLike, perm: str) -> QuerySet[OrgUnit]:
    """Units where ``user`` holds ``perm`` directly or through an ancestor: one query."""
    return OrgUnit.objects.filter(unit_access_q(user, perm))


def user_has_unit_perm(*, user: UserLike, perm: str, unit: OrgUnit) -> bool:
    return units_for_user(user=user, perm=perm).filter(pk=unit.pk).exists()


def granted_units(*, user: UserLike, perm: str) -> QuerySet[OrgUnit]:
    """The units where ``user`` was granted ``perm`` explicitly (the tops of their subtrees)."""
    return OrgUnit.objects.filter(
        Q(user_grants__user=user.pk, user_grants__permission__codename=perm)
        | Q(group_grants__group__user=user.pk, group_grants__permission__codename=perm)
    ).distinct()


def access_unit(*, user: UserLike, perm: str, unit_id: int) -> OrgUnit:
    """The unit, if ``user`` holds ``perm`` on it; the same 404 for missing and forbidden."""
    unit = units_for_user(user=user, perm=perm).filter(pk=unit_id).first()
    if unit is None:
        raise Http404("No such unit.")
    return unit
