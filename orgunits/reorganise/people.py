"""Carry grants held on dissolved units to their successors, never wider than before.

Rules, one per outcome:
- moved: the successor is of the same breadth or narrower (a commune editor's grant goes to
  the successor commune); the grant row is re-pointed and logged as a move;
- ended: the holder already holds the role on the successor or above it; the old row goes,
  logged as a revoke (the holder loses nothing);
- moved to the parts: an editor's grant whose successor is wider (a district editor's, now
  that districts are gone) goes to the narrower units that took over the unit's own parts
  (the successors of its communes, and the communes that continued elsewhere), so the
  editor keeps writing for the same places and no more;
- for decision: there is no successor, or it is wider and the grant is not an editor's (a
  district approver's would become a province's, and approving each commune is not the same
  role). The grant stays on the dissolved unit, where it covers nothing active, a
  ``GrantReview`` lists it for a super admin, and its holders are told once.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils.translation import gettext as _

from moderation.notifications import send
from moderation.tasks import send_email_task
from vietfront.tasks import enqueue

from ..models import (
    GrantReview,
    OrgUnit,
    OrgUnitGroupObjectPermission,
    OrgUnitUserObjectPermission,
    RoleGrantLog,
)
from ..roles import Role
from ..services.roles import role_from_codename
from .report import Report
from .successors import active_successors, is_wider, unit_parts


@dataclass(frozen=True)
class _Grant:
    model: type
    pk: int
    holder_field: str  # "user" or "group"
    holder_id: int
    holder_label: str
    permission_id: int
    codename: str
    unit: OrgUnit


def _grants_on(unit_ids: set[int]) -> list[_Grant]:
    grants: list[_Grant] = []
    for model, holder, label in (
        (OrgUnitUserObjectPermission, "user", "user__username"),
        (OrgUnitGroupObjectPermission, "group", "group__name"),
    ):
        rows = (
            model.objects.filter(content_object_id__in=unit_ids, permission__content_type__app_label="orgunits")
            .select_for_update(of=("self",))
            .order_by("pk")
            .values_list("pk", f"{holder}_id", label, "permission_id", "permission__codename", "content_object_id")
        )
        units = OrgUnit.objects.in_bulk({row[-1] for row in rows})
        grants += [
            _Grant(model, pk, holder, holder_id, f"{holder}:{name}", perm_id, codename, units[unit_id])
            for pk, holder_id, name, perm_id, codename, unit_id in rows
        ]
    return grants


def _covered(grant: _Grant, successor: OrgUnit) -> bool:
    """Whether the holder already holds the same permission on ``successor`` or an ancestor."""
    return grant.model.objects.filter(
        **{f"{grant.holder_field}_id": grant.holder_id},
        permission_id=grant.permission_id,
        content_object__tree_id=successor.tree_id,
        content_object__lft__lte=successor.lft,
        content_object__rght__gte=successor.rght,
    ).exists()


def _row(grant: _Grant, role: str, to: OrgUnit | None, **extra) -> dict:
    return {
        "holder": grant.holder_label,
        "role": role,
        "from_unit": f"{grant.unit.name} ({grant.unit.kind} {grant.unit.code})",
        "to_unit": f"{to.name} ({to.kind} {to.code})" if to else "-",
        **extra,
    }


def grants_carry(*, unit_ids: set[int], report: Report) -> None:
    """Carry every grant on the dissolved units ``unit_ids``. Caller holds the tree lock."""
    grants = _grants_on(unit_ids)
    if not grants:
        return
    successors = active_successors({g.unit.pk for g in grants})
    for grant in grants:
        role = role_from_codename(grant.codename)
        if role is None:
            continue
        successor = successors[grant.unit.pk]
        holder = {grant.holder_field + "_id": grant.holder_id}
        wider = successor is not None and is_wider(successor=successor, than_kind=grant.unit.kind)
        parts = unit_parts(grant.unit) if wider and role == Role.EDITOR else []
        if parts:
            _carry_to_parts(grant, role, parts, report)
            continue
        if successor is None or wider:
            reason = GrantReview.Reason.NO_SUCCESSOR if successor is None else GrantReview.Reason.WIDER
            review, created = GrantReview.objects.get_or_create(
                role=role, unit=grant.unit, **holder, defaults={"successor": successor, "reason": reason}
            )
            report.grants_for_decision.append(
                _row(grant, role, successor, reason=reason.value, new=created, review=review.pk)
            )
            if created:
                transaction.on_commit(partial(_notify_review, grant=grant, role=role, successor=successor))
            continue
        if _covered(grant, successor):
            grant.model.objects.filter(pk=grant.pk).delete()
            RoleGrantLog.objects.create(action=RoleGrantLog.Action.REVOKE, role=role, unit=grant.unit, **holder)
            report.grants_ended.append(_row(grant, role, successor))
            continue
        grant.model.objects.filter(pk=grant.pk).update(content_object_id=successor.pk)
        RoleGrantLog.objects.create(
            action=RoleGrantLog.Action.MOVE, role=role, unit=successor, from_unit=grant.unit, **holder
        )
        report.grants_moved.append(_row(grant, role, successor))


def _carry_to_parts(grant: _Grant, role: str, parts: list[OrgUnit], report: Report) -> None:
    """Re-point the grant to the first part not already covered, add one row per further part."""
    holder = {grant.holder_field + "_id": grant.holder_id}
    todo = [part for part in parts if not _covered(grant, part)]
    if not todo:
        grant.model.objects.filter(pk=grant.pk).delete()
        RoleGrantLog.objects.create(action=RoleGrantLog.Action.REVOKE, role=role, unit=grant.unit, **holder)
        report.grants_ended.append(_row(grant, role, parts[0]))
        return
    grant.model.objects.filter(pk=grant.pk).update(content_object_id=todo[0].pk)
    grant.model.objects.bulk_create(
        [grant.model(permission_id=grant.permission_id, content_object=part, **holder) for part in todo[1:]]
    )
    for part in todo:
        RoleGrantLog.objects.create(
            action=RoleGrantLog.Action.MOVE, role=role, unit=part, from_unit=grant.unit, **holder
        )
        report.grants_moved.append(_row(grant, role, part))


def _holder_emails(grant: _Grant) -> list[str]:
    users = get_user_model().objects.filter(is_active=True).exclude(email="")
    if grant.holder_field == "user":
        users = users.filter(pk=grant.holder_id)
    else:
        users = users.filter(groups=grant.holder_id)
    return sorted(set(users.values_list("email", flat=True)))


def _notify_review(*, grant: _Grant, role: str, successor: OrgUnit | None) -> None:
    """Tell the holders their grant now covers nothing and waits for a super admin. After commit."""
    recipients = _holder_emails(grant)
    if not recipients:
        return
    subject = _("[Phân quyền] Quyền tại %(unit)s chờ quyết định sau sắp xếp đơn vị") % {"unit": grant.unit.name}
    if successor is None:
        where = _("Đơn vị này không có đơn vị kế thừa.")
    else:
        where = _("Đơn vị kế thừa là %(successor)s, ở cấp cao hơn, nên quyền không được tự động mở rộng.") % {
            "successor": successor.name
        }
    body = _(
        "Đơn vị %(unit)s đã giải thể hoặc sáp nhập. Quyền “%(role)s” của anh/chị tại đơn vị này "
        "hiện không còn áp dụng cho đơn vị nào đang hoạt động. %(where)s\n"
        "Quản trị hệ thống sẽ quyết định phân quyền mới cho anh/chị."
    ) % {"unit": grant.unit.name, "role": Role(role).label, "where": where}
    if not enqueue(send_email_task, subject=subject, body=body, recipients=recipients):
        send(subject=subject, body=body, recipients=recipients)
