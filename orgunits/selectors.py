"""Reads about units and rights. The one place that answers "where may user U do P?".

Grants are django-guardian rows in direct foreign-key tables; a grant on a unit covers its
subtree. The question is answered in two steps: one query over the grant tables alone reads
the MPTT intervals of the units where the user (directly or through a group) holds P, then
any queryset is filtered on those intervals, which the (tree_id, lft, rght) index serves as a
few range scans. A correlated EXISTS per row would instead be evaluated for every unit or
post scanned (seconds on the full tree when the answer is no). Model-level (global)
permissions are never consulted: one global grant would otherwise expose every unit.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Q, QuerySet
from django.http import Http404

from .managers import interval_q
from .models import OrgUnit, OrgUnitGroupObjectPermission, OrgUnitUserObjectPermission

UserLike = AbstractBaseUser | AnonymousUser
Interval = tuple[int, int, int]  # (tree_id, lft, rght) of a granted unit


@dataclass(frozen=True)
class UnitGrants:
    """Where one user holds one permission: everywhere (a superuser), or the subtrees of the
    units in ``intervals``. Nested grants are pruned, so the intervals are disjoint."""

    everywhere: bool = False
    intervals: tuple[Interval, ...] = ()

    def __bool__(self) -> bool:
        return self.everywhere or bool(self.intervals)

    def q(self, unit_ref: str = "") -> Q:
        """A Q for any queryset whose rows lead to a unit (``unit_ref`` like ``"page__unit__"``)."""
        if self.everywhere:
            return Q()
        if not self.intervals:
            return Q(pk__in=[])
        q = Q()
        for tree_id, lft, rght in self.intervals:
            q |= interval_q(tree_id, lft, rght, unit_ref)
        return q

    def covers(self, unit: OrgUnit) -> bool:
        """Whether ``unit`` lies in a granted subtree, from its own tree fields: the caller
        passes an instance read in this request (tree writes shift ``lft``/``rght``)."""
        if self.everywhere:
            return True
        return any(t == unit.tree_id and lft <= unit.lft <= rght for t, lft, rght in self.intervals)


def _prune(intervals: set[Interval]) -> tuple[Interval, ...]:
    kept: list[Interval] = []
    for interval in sorted(intervals):
        if kept and kept[-1][0] == interval[0] and interval[1] <= kept[-1][2]:
            continue  # inside the previous grant's subtree
        kept.append(interval)
    return tuple(kept)


def unit_grants(*, user: UserLike, perm: str) -> UnitGrants:
    """One query over the user's and their groups' grants of ``perm``, whatever the tree's size."""
    if not user.is_authenticated or not user.is_active:
        return UnitGrants()
    if user.is_superuser:
        return UnitGrants(everywhere=True)
    fields = ("content_object__tree_id", "content_object__lft", "content_object__rght")
    scope = {"permission__codename": perm, "permission__content_type__app_label": "orgunits"}
    by_user = OrgUnitUserObjectPermission.objects.filter(user_id=user.pk, **scope).values_list(*fields)
    by_group = OrgUnitGroupObjectPermission.objects.filter(group__user=user.pk, **scope).values_list(*fields)
    return UnitGrants(intervals=_prune(set(by_user.union(by_group))))


def unit_access_q(user: UserLike, codename: str, *, unit_ref: str = "") -> Q:
    """A Q for any queryset whose rows lead to a unit (``unit_ref`` like ``"page__unit__"``)
    that keeps the rows whose unit lies in a subtree where ``user`` holds ``codename``.
    Reads the grants now (one query); the Q carries the intervals as literals."""
    return unit_grants(user=user, perm=codename).q(unit_ref)


def units_for_user(*, user: UserLike, perm: str) -> QuerySet[OrgUnit]:
    """Units where ``user`` holds ``perm`` directly or through an ancestor."""
    return OrgUnit.objects.filter(unit_access_q(user, perm))


def user_has_unit_perm(*, user: UserLike, perm: str, unit: OrgUnit) -> bool:
    """Whether ``user`` holds ``perm`` on ``unit``, decided in SQL against the unit's current
    row (not the instance's possibly stale tree fields): for services that write."""
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser:
        return True
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
