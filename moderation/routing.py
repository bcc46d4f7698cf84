"""Approval routing along the tree: which unit approves a unit's content, and who is asked."""

from __future__ import annotations

from collections.abc import Collection

from django.contrib.auth import get_user_model
from django.db.models import QuerySet

from orgunits.models import OrgUnit, OrgUnitUserObjectPermission
from orgunits.roles import Perm

from .models import ApprovalRoute


def approving_unit_for(unit: OrgUnit) -> OrgUnit:
    """The unit whose approvers decide on ``unit``'s content.

    The configured kind for ``unit.kind`` (nearest ancestor-or-self of that kind), else the parent;
    the centre approves its own content. One query for the route, one for the ancestor.
    """
    route = ApprovalRoute.objects.filter(unit_kind=unit.kind).first()
    if route is not None:
        match = OrgUnit.objects.ancestors_of(unit).filter(kind=route.approver_kind).order_by("-lft").first()
        if match is not None:
            return match
    if unit.parent_id is None:
        return unit
    return OrgUnit.objects.get(pk=unit.parent_id)


def approvers_to_notify(unit: OrgUnit, *, exclude: Collection[int] = ()) -> QuerySet:
    """Active users granted ``approve_content`` on the nearest level that has any, from ``unit``
    upwards: when a unit has no active approver, the next level up is asked.

    Users in ``exclude`` (a post's authors, who may not decide on it) do not count: a level
    whose only approvers they are is passed over too. One query, and the users' own.
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
        .order_by("-content_object__lft")
        .values_list("content_object_id", "user_id")
    )
    nearest_unit = None
    user_ids: list[int] = []
    for unit_id, user_id in grants:
        if nearest_unit is None:
            nearest_unit = unit_id
        if unit_id != nearest_unit:
            break
        user_ids.append(user_id)
    return get_user_model().objects.filter(pk__in=user_ids)
