"""One mixin that scopes every ModelAdmin to the units the user holds a role on.

Django admin's ``has_change_permission(request, obj)`` ignores ``obj`` unless overridden, and
model-level permissions would let one global grant expose every unit. Every ModelAdmin of
unit-owned data uses this mixin: its queryset, every ``has_*_permission`` with or without an
object, and every foreign-key choice of a unit go through ``orgunits.selectors``.
"""

from __future__ import annotations

from functools import reduce
from typing import Any

from django.db.models import Model, Q, QuerySet
from django.http import HttpRequest

from .models import OrgUnit
from .roles import Perm
from .selectors import UnitGrants, UserRights, prune_intervals, user_rights


def request_rights(request: HttpRequest) -> UserRights:
    """Every right of the request's user, read once per request (one query).

    A change view asks for every button, inline, field and sidebar entry, and the admin's
    hooks share no other state than the request. The sidebar also asks the admins that are
    not about units (accounts, sign-in logs, devices), which go to Django's ``ModelBackend``:
    its per-user caches are filled from the same read, so that it does not read the
    permission tables again (it fills them itself, with two queries, when they are missing).
    """
    rights = request.__dict__.get("_user_rights")
    if rights is None:
        user = request.user
        rights = request._user_rights = user_rights(user=user)
        if user.is_authenticated and user.is_active and not user.is_superuser:
            if not hasattr(user, "_user_perm_cache"):
                user._user_perm_cache = set(rights.user_perms)
            if not hasattr(user, "_group_perm_cache"):
                user._group_perm_cache = set(rights.group_perms)
    return rights


def request_grants(request: HttpRequest, perm: str) -> UnitGrants:
    """Where the request's user holds ``perm`` (``request_rights``: read once per request)."""
    return request_rights(request).grants(perm)


def request_scope(request: HttpRequest, *perms: str) -> UnitGrants:
    """Where the request's user holds any of ``perms``: their grants merged and pruned."""
    grants = [request_grants(request, perm) for perm in perms]
    if any(g.everywhere for g in grants):
        return UnitGrants(everywhere=True)
    return UnitGrants(intervals=prune_intervals({interval for g in grants for interval in g.intervals}))


def request_scope_q(request: HttpRequest, *perms: str, unit_ref: str = "") -> Q:
    """Rows whose unit lies where the request's user holds any of ``perms``."""
    return request_scope(request, *perms).q(unit_ref)


def request_may(request: HttpRequest, perm: str, unit: OrgUnit | None = None) -> bool:
    """Whether the request's user holds ``perm`` on ``unit`` (anywhere, when ``unit`` is None).

    ``unit`` must have been read in this request: the decision uses its tree fields.
    Callers check is_active/is_staff/is_superuser first.
    """
    grants = request_grants(request, perm)
    return bool(grants) if unit is None else grants.covers(unit)


class UnitScopedAdminMixin:
    """Scope a ModelAdmin by the unit each row belongs to.

    ``unit_lookup`` is the ORM path from the model to its ``OrgUnit`` (``""`` for OrgUnit
    itself, ``"unit"``, ``"page__unit"``...). ``view_perm`` lets a user list and open rows;
    ``change_perm`` lets them add, change and delete.
    """

    unit_lookup: str = "unit"
    view_perm: str = Perm.EDIT
    change_perm: str = Perm.EDIT
    # Staff lists on the national tree: 50 rows (each row costs ~1 ms of rendering), and no
    # second COUNT over the user's whole scope for "N total" beside the filtered count.
    list_per_page = 50
    show_full_result_count = False

    # --- queryset and the unit of an object -------------------------------------------------
    def _unit_ref(self) -> str:
        return f"{self.unit_lookup}__" if self.unit_lookup else ""

    def scoped(self, request: HttpRequest, qs: QuerySet, perm: str) -> QuerySet:
        return qs.filter(request_grants(request, perm).q(self._unit_ref()))

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        """Rows the user may view: those of units where they hold ``view_perm`` or, since who
        may change may look, ``change_perm`` (a unit admin who is not an editor opens the
        unit's page)."""
        qs = super().get_queryset(request)  # type: ignore[misc]
        return qs.filter(request_scope_q(request, *self.scope_perms, unit_ref=self._unit_ref()))

    @property
    def scope_perms(self) -> tuple[str, ...]:
        """The permissions whose units bound the rows listed (and the unit filter's choices)."""
        return tuple(dict.fromkeys((self.view_perm, self.change_perm)))

    def unit_of(self, obj: Model) -> OrgUnit | None:
        if not self.unit_lookup:
            return obj  # type: ignore[return-value]
        return reduce(lambda o, attr: getattr(o, attr, None) if o is not None else None, self.unit_lookup.split("__"), obj)

    def _may(self, request: HttpRequest, perm: str, obj: Model | None) -> bool:
        user = request.user
        if not (user.is_active and user.is_staff):
            return False
        if user.is_superuser:
            return True
        unit = None if obj is None else self.unit_of(obj)
        if obj is not None and unit is None:
            return False
        return request_may(request, perm, unit)

    # --- the admin's permission hooks -------------------------------------------------------
    def has_module_permission(self, request: HttpRequest) -> bool:
        return self._may(request, self.view_perm, None) or self._may(request, self.change_perm, None)

    def has_view_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return self._may(request, self.view_perm, obj) or self._may(request, self.change_perm, obj)

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return self._may(request, self.change_perm, None)

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return self._may(request, self.change_perm, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return self._may(request, self.change_perm, obj)

    # --- choices of units offered in forms --------------------------------------------------
    def formfield_for_foreignkey(self, db_field, request: HttpRequest, **kwargs: Any):
        if db_field.related_model is OrgUnit and not request.user.is_superuser:
            kwargs["queryset"] = OrgUnit.objects.filter(request_grants(request, self.change_perm).q())
        return super().formfield_for_foreignkey(db_field, request, **kwargs)  # type: ignore[misc]


class SuperuserOnlyAdminMixin:
    """For configuration that only the centre's super-admins see and tune (regulation lists,
    approval routes, imports), whatever model permissions other staff hold."""

    def _is_superuser(self, request: HttpRequest) -> bool:
        user = request.user
        return bool(user.is_active and user.is_staff and user.is_superuser)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self._is_superuser(request)

    def has_view_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return self._is_superuser(request)

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return self._is_superuser(request)

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return self._is_superuser(request)

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return self._is_superuser(request)
