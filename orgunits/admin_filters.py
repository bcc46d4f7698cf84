"""The admin's "đơn vị" filter: a unit and everything below it, among the units in the user's
scope that have a page."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import Case, Exists, IntegerField, QuerySet, When
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from vietfront.precompiled import Precompiled

from .admin_scoping import request_scope, request_scope_q
from .managers import subtree_q
from .models import OrgUnit, UnitKind
from .selectors import UnitGrants


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
        scope = request_scope(request, *self.scope_perms(self.model_admin_ref))
        if not scope:
            return []
        if scope.everywhere:
            units = _TOP_UNITS.list({"everywhere": True})
        else:
            trees, lfts, rghts = (list(column) for column in zip(*scope.intervals, strict=True))
            units = _TOP_UNITS.list({"everywhere": False}, trees=trees, lfts=lfts, rghts=rghts)
        if not units:
            return []
        top_level = min(level for _pk, _name, level in units)
        return [(str(pk), f"{'· ' * (level - top_level)}{name}") for pk, name, level in units]

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


def _top_units(*, everywhere: bool, trees: list[int] = (), lfts: list[int] = (), rghts: list[int] = ()) -> QuerySet:
    """The units of a scope (the granted subtrees' intervals, or the whole country) with a
    page at its shallowest level with a page and the level below, in tree order. The
    shallowest level is the first of the four levels at which the scope has a page, each
    asked with ``EXISTS`` on the ``(level, tree_id, lft)`` index and only until one answers.
    Asked as "the lowest level of the scope's units with a page", PostgreSQL joined every page
    of the country, or sorted every unit for the whole country's scope (1.3 and 4 ms)."""
    scope = UnitGrants(everywhere=everywhere, intervals=tuple(zip(trees, lfts, rghts, strict=True)))
    with_page = OrgUnit.objects.filter(scope.q(), page__isnull=False)
    # The levels written into the SQL, not bound: a prepared statement's plan then knows that
    # level 0 is one unit (an index probe), not a quarter of the table (a scan).
    levels = [RawSQL(str(level), (), output_field=IntegerField()) for level in range(len(UnitKind))]  # noqa: S611 - integers
    top = Coalesce(*(Case(When(Exists(with_page.filter(level=level)), then=level)) for level in levels))
    return with_page.filter(level__lte=top + 1).order_by("tree_id", "lft").values_list("pk", "name", "level")


#: Compiled once per number of granted subtrees (the lists' length), and prepared: building
#: its four subqueries anew cost more than running them.
_TOP_UNITS = Precompiled(_top_units)
