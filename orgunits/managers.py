"""Tree queries on the QuerySet: every subtree or ancestor question is one indexed query."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import models
from mptt.managers import TreeManager
from mptt.querysets import TreeQuerySet

if TYPE_CHECKING:
    from .models import OrgUnit


class OrgUnitQuerySet(TreeQuerySet):
    def active(self) -> OrgUnitQuerySet:
        return self.filter(is_active=True)

    def in_subtree(self, unit: OrgUnit, *, include_self: bool = True) -> OrgUnitQuerySet:
        """Units at or below ``unit``, by its MPTT interval."""
        lookup = self.filter(subtree_q(unit))
        return lookup if include_self else lookup.exclude(pk=unit.pk)

    def ancestors_of(self, unit: OrgUnit, *, include_self: bool = True) -> OrgUnitQuerySet:
        """Units whose interval contains ``unit``'s, from the top down."""
        lookup = self.filter(tree_id=unit.tree_id, lft__lte=unit.lft, rght__gte=unit.rght)
        if not include_self:
            lookup = lookup.exclude(pk=unit.pk)
        return lookup.order_by("lft")

    def of_kind(self, kind: str) -> OrgUnitQuerySet:
        return self.filter(kind=kind)


class OrgUnitManager(TreeManager.from_queryset(OrgUnitQuerySet)):  # type: ignore[misc]
    def get_by_path(self, path: str) -> OrgUnit:
        return self.get(path=path.strip("/"))


def subtree_q(unit: OrgUnit, prefix: str = "") -> models.Q:
    """A Q filtering any model by a foreign key to OrgUnit on the unit's subtree.

    ``prefix`` is the lookup path to the unit, e.g. ``"page__unit__"``.
    """
    return interval_q(unit.tree_id, unit.lft, unit.rght, prefix)


def interval_q(tree_id: int, lft: int, rght: int, prefix: str = "") -> models.Q:
    """The units whose interval lies inside ``[lft, rght]`` of tree ``tree_id``.

    ``lft`` is bounded on both sides so the (tree_id, lft, rght) index is read as one range,
    not from ``lft`` to the end of the tree; ``rght <= rght`` then holds by nesting.
    """
    return models.Q(
        **{
            f"{prefix}tree_id": tree_id,
            f"{prefix}lft__gte": lft,
            f"{prefix}lft__lte": rght,
        }
    )
