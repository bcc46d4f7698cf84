"""Approval routing along the tree: which unit approves a unit's content, and who is asked."""

from __future__ import annotations

from collections.abc import Collection

from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet, Subquery

from orgunits.models import OrgUnit, OrgUnitUserObjectPermission
from orgunits.roles import Perm

from .models import ApprovalRoute
from .rules.config_cache import cached


def _routes() -> dict[str, str]:
    return dict(ApprovalRoute.objects.values_list("unit_kind", "approver_kind"))


def approving_unit_for(unit: OrgUnit) -> OrgUnit:
    """The unit whose approvers decide on ``unit``'s content.

    The configured kind for ``unit.kind`` (nearest ancestor-or-self of that kind), else the parent;
    the centre approves its own content. One query (the routes are part of the regulation's
    configuration, kept like it: ``rules.config_cache``), two while the routes are read.
    """
    approver_kind = cached("routes", _routes).get(unit.kind)
    if approver_kind is None:
        return unit if unit.parent_id is None else OrgUnit.objects.get(pk=unit.parent_id)
    # The match and the parent (the fallback) in one read: both lie on the path to the root.
    candidates = list(
        OrgUnit.objects.ancestors_of(unit).filter(Q(kind=approver_kind) | Q(pk=unit.parent_id)).order_by("-lft")
    )
    match = next((u for u in candidates if u.kind == approver_kind), None)
    if match is not None:
        return match
    if unit.parent_id is None:
        return unit
    parent = next((u for u in candidates if u.pk == unit.parent_id), None)
    return parent or OrgUnit.objects.get(pk=unit.parent_id)  # tree fields older than the row


def approvers_to_notify(unit: OrgUnit, *, exclude: Collection[int] = ()) -> QuerySet:
    """Active users granted ``approve_content`` on the nearest level that has any, from ``unit``
    upwards: when a unit has no active approver, the next level up is asked.

    Users in ``exclude`` (a post's authors, who may not decide on it) do not count: a level
    whose only approvers they are is passed over too. One query when evaluated: the nearest
    level is a subquery of the users' query.
    """
    grants = (
        OrgUnitUserObjectPermission.objects.filter(
            permission__codename=Perm.APPROVE,
            user__is_active=True,
            content_object__tree_id=unit.tree_id,
            content_object__lft__lte=unit.lft,
            content_object__rght__gte=unit.rght,
        )
        .exclude(user_id__in=list(exclude))
    )
    nearest = grants.order_by("-content_object__lft").values("content_object_id")[:1]
    return get_user_model().objects.filter(
        pk__in=grants.filter(content_object_id=Subquery(nearest)).values("user_id")
    )
