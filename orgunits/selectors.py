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

from dataclasses import dataclass, field
from functools import cache

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser, Permission
from django.db import connection
from django.db.models import CharField, IntegerField, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.http import Http404

from vietfront.precompiled import Precompiled
from vietfront.prepared_statements import Statement, statement

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


def prune_intervals(intervals: set[Interval]) -> tuple[Interval, ...]:
    """The granted intervals, sorted, without those inside another (a grant covers its subtree)."""
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
    return UnitGrants(intervals=prune_intervals(set(by_user.union(by_group))))


@dataclass(frozen=True)
class UserRights:
    """Everything a staff page asks about one user's rights, read in one query: where they hold
    each unit permission, and the model-level permissions Django's ``ModelBackend`` would read
    for the admins that are not about units (accounts, sign-in logs, devices) — two more queries
    on every admin page through the sidebar's app list otherwise. Model-level permissions never
    widen a unit decision (see the module's docstring)."""

    everywhere: bool = False
    by_perm: dict[str, UnitGrants] = field(default_factory=dict)
    user_perms: frozenset[str] = frozenset()  # "app_label.codename", granted to the user
    group_perms: frozenset[str] = frozenset()  # the same, through the user's groups

    def grants(self, perm: str) -> UnitGrants:
        if self.everywhere:
            return UnitGrants(everywhere=True)
        return self.by_perm.get(perm, UnitGrants())


_DIRECT, _GROUP = 0, 1


def _rights_rows(*, user_id: int) -> QuerySet:
    # The constant columns are written into the SQL, not bound: a bound value in the select
    # list would be typed text by the prepared statement.
    direct, group = _constant(str(_DIRECT), IntegerField()), _constant(str(_GROUP), IntegerField())
    orgunits, no_unit = _constant("'orgunits'", CharField()), _constant("NULL", IntegerField())
    unit_fields = ("content_object__tree_id", "content_object__lft", "content_object__rght")
    orgunits_perm = {"permission__content_type__app_label": "orgunits"}
    parts = [
        OrgUnitUserObjectPermission.objects.filter(user_id=user_id, **orgunits_perm).values_list(
            direct, orgunits, "permission__codename", *unit_fields),
        OrgUnitGroupObjectPermission.objects.filter(group__user=user_id, **orgunits_perm).values_list(
            group, orgunits, "permission__codename", *unit_fields),
        Permission.objects.filter(user=user_id).order_by().values_list(
            direct, "content_type__app_label", "codename", no_unit, no_unit, no_unit),
        Permission.objects.filter(group__user=user_id).order_by().values_list(
            group, "content_type__app_label", "codename", no_unit, no_unit, no_unit),
    ]
    return parts[0].union(*parts[1:], all=True)


def _constant(sql: str, output_field) -> RawSQL:  # noqa: ANN001 - a model field
    return RawSQL(sql, (), output_field=output_field)  # noqa: S611 - fixed literals of this module


#: Every staff request reads the user's rights: compiled once, prepared once per connection.
_RIGHTS = Precompiled(_rights_rows)


def user_rights(*, user: UserLike) -> UserRights:
    """One query (a UNION of the two grant tables and Django's two permission tables) for every
    permission of ``user``, whatever the number of grants, groups or units."""
    if not user.is_authenticated or not user.is_active:
        return UserRights()
    if user.is_superuser:
        return UserRights(everywhere=True)
    intervals: dict[str, set[Interval]] = {}
    model_perms: tuple[set[str], set[str]] = (set(), set())
    for source, app_label, codename, tree_id, lft, rght in _RIGHTS.list(user_id=user.pk):
        if tree_id is None:
            model_perms[source].add(f"{app_label}.{codename}")
        else:
            intervals.setdefault(codename, set()).add((tree_id, lft, rght))
    return UserRights(
        by_perm={perm: UnitGrants(intervals=prune_intervals(found)) for perm, found in intervals.items()},
        user_perms=frozenset(model_perms[_DIRECT]), group_perms=frozenset(model_perms[_GROUP]),
    )


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
    with connection.cursor() as cursor:
        _holds().execute(cursor, [unit.pk, user.pk, perm, user.pk, perm])
        return cursor.fetchone() is not None


@cache
def _holds() -> Statement:
    """The unit's row and an EXISTS over each grant table for a grant whose subtree holds it
    (one row to test, so a correlated EXISTS is cheap here, unlike in list filters). Written
    out: every write path asks it once or twice, and the ORM took twice as long to build the
    query as the database took to plan and run it. Prepared: planning its six tables was most
    of its time (1.3 ms of a submission's ~15 on a slow machine)."""
    from django.contrib.auth import get_user_model
    from django.contrib.contenttypes.models import ContentType

    q = connection.ops.quote_name
    names = {
        "unit": q(OrgUnit._meta.db_table),
        "by_user": q(OrgUnitUserObjectPermission._meta.db_table),
        "by_group": q(OrgUnitGroupObjectPermission._meta.db_table),
        "member": q(get_user_model().groups.through._meta.db_table),
        "perm": q(Permission._meta.db_table),
        "ct": q(ContentType._meta.db_table),
    }
    covers = (
        "JOIN {unit} a ON a.id = g.content_object_id JOIN {perm} p ON p.id = g.permission_id "
        "JOIN {ct} ct ON ct.id = p.content_type_id "
        "WHERE p.codename = %s AND ct.app_label = 'orgunits' "
        "AND a.tree_id = u.tree_id AND a.lft <= u.lft AND a.rght >= u.lft"
    )
    return statement((
        "SELECT 1 FROM {unit} u WHERE u.id = %s AND ("  # noqa: S608 - names from the models, values bound
        "EXISTS (SELECT 1 FROM {by_user} g " + covers.replace("WHERE", "WHERE g.user_id = %s AND", 1) + ") OR "
        "EXISTS (SELECT 1 FROM {by_group} g JOIN {member} m ON m.group_id = g.group_id "
        + covers.replace("WHERE", "WHERE m.user_id = %s AND", 1) + "))"
    ).format(**names), 5)


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
