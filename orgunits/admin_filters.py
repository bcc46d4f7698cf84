"""The admin's "đơn vị" filter: a unit and everything below it, among the units in the user's
scope that have a page."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet, Subquery
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from vietfront.precompiled import prepared_list

from .admin_scoping import request_scope_q
from .managers import subtree_q
from .models import OrgUnit


class ScopedUnitFilter(admin.SimpleListFilter):
    """Offers the top two levels of the user's scope: the centre and its 63 provinces for a
    central user, a province and its districts for a province's. Listing every unit would put
    thousands of links in the sidebar (and cost ~1 ms each to render); a deeper unit is still
    accepted as a value, from a link or a bookmark, and found with the search.

    Subclasses name the permissions of the scope and the path from the row to its unit.
    """

    title = _("đơn vị")
    parameter_name = "don_vi"
    unit_ref = "unit__"

    def scope_perms(self, model_admin: Any) -> tuple[str, ...]:
        return model_admin.scope_perms

    def _scope(self, request: HttpRequest) -> QuerySet:
        return OrgUnit.objects.filter(request_scope_q(request, *self.scope_perms(self.model_admin_ref)))

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        # One query: the scope's top level is a scalar subquery the database evaluates once,
        # not a round trip of its own, and the shallowest unit listed is at that level.
        with_page = self._scope(request).filter(page__isnull=False)
        top = Subquery(with_page.order_by("level").values("level")[:1])
        units = prepared_list(with_page.filter(level__lte=top + 1).order_by("tree_id", "lft").only("pk", "name", "level"))
        if not units:
            return []
        top_level = min(u.level for u in units)
        return [(str(u.pk), f"{'· ' * (u.level - top_level)}{u.name}") for u in units]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        value = self.value()
        if not value:
            return queryset
        unit = self._scope(request).filter(pk=value).first() if value.isdigit() else None
        if unit is None:
            return queryset.none()
        if unit.parent_id is None and not OrgUnit.objects.exclude(tree_id=unit.tree_id).exists():
            # The centre's subtree is the whole (single) tree: filtering every row through the
            # unit table would only cost a join over the country's posts.
            return queryset
        return queryset.filter(subtree_q(unit, self.unit_ref))

    def __init__(self, request: HttpRequest, params: dict, model: Any, model_admin: Any) -> None:
        self.model_admin_ref = model_admin
        super().__init__(request, params, model, model_admin)
