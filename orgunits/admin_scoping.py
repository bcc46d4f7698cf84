"""One mixin that scopes every ModelAdmin to the units the user holds a role on.

Django admin's ``has_change_permission(request, obj)`` ignores ``obj`` unless overridden, and
model-level permissions would let one global grant expose every unit. Every ModelAdmin of
unit-owned data uses this mixin: its queryset, every ``has_*_permission`` with or without an
object, and every foreign-key choice of a unit go through ``orgunits.selectors``.
"""

from __future__ import annotations

from functools import reduce
from typing import Any

from django.db.models import Model, QuerySet
from django.http import HttpRequest

from .models import OrgUnit
from .roles import Perm
from .selectors import unit_access_q, units_for_user, user_has_unit_perm


def request_may(request: HttpRequest, perm: str, unit: OrgUnit | None = None) -> bool:
    """Whether the request's user holds ``perm`` on ``unit`` (anywhere, when ``unit`` is None).

    One answer per (permission, unit) per request: a change view asks the same question for
    every button, inline, field and sidebar entry, and the admin's hooks share no other state.
    Callers check is_active/is_staff/is_superuser first.
    """
    cache = request.__dict__.setdefault("_unit_perm_cache", {})
    key = (perm, unit.pk if unit is not None else None)
    if key not in cache:
        if unit is None:
            cache[key] = units_for_user(user=request.user, perm=perm)[:1].exists()
        else:
            cache[key] = user_has_unit_perm(user=request.user, perm=perm, unit=unit)
    return cache[key]


class UnitScopedAdminMixin:
    """Scope a ModelAdmin by the unit each row belongs to.

    ``unit_lookup`` is the ORM path from the model to its ``OrgUnit`` (``""`` for OrgUnit
    itself, ``"unit"``, ``"page__unit"``...). ``view_perm`` lets a user list and open rows;
    ``change_perm`` lets them add, change and delete.
    """

    unit_lookup: str = "unit"
    view_perm: str = Perm.EDIT
    change_perm: str = Perm.EDIT

    # --- queryset and the unit of an object -------------------------------------------------
    def _unit_ref(self) -> str:
        return f"{self.unit_lookup}__" if self.unit_lookup else ""

    def scoped(self, request: HttpRequest, qs: QuerySet, perm: str) -> QuerySet:
        return qs.filter(unit_access_q(request.user, perm, unit_ref=self._unit_ref()))

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        qs = super().get_queryset(request)  # type: ignore[misc]
        return self.scoped(request, qs, self.view_perm)

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
        return self._may(request, self.view_perm, None)

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
            kwargs["queryset"] = units_for_user(user=request.user, perm=self.change_perm)
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
