"""A super admin's decision on a grant a reorganisation left for one (``GrantReview``): carry
it to the successor as it is (the admin accepts that it covers more), or end it.

Either way the grant row is re-pointed or deleted, the change is logged as a grant change with
the admin as actor, and the review is marked decided; deciding twice is refused.
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ..models import (
    GrantReview,
    OrgUnit,
    OrgUnitGroupObjectPermission,
    OrgUnitUserObjectPermission,
    RoleGrantLog,
)
from ..roles import ROLE_PERMISSION

MOVE, END = "move", "end"


def _grant_rows(review: GrantReview, unit: OrgUnit):
    model, holder = ((OrgUnitUserObjectPermission, {"user_id": review.user_id}) if review.user_id
                     else (OrgUnitGroupObjectPermission, {"group_id": review.group_id}))
    return model.objects.filter(
        **holder, content_object_id=unit.pk, permission__content_type__app_label="orgunits",
        permission__codename=ROLE_PERMISSION[review.role],
    ), holder


def grant_review_decide(*, review: GrantReview, decision: str, by: AbstractBaseUser) -> GrantReview:
    """Apply ``decision`` (``MOVE`` to the listed successor, or ``END``) to the reviewed grant."""
    if not (by.is_active and by.is_superuser):
        raise PermissionDenied(_("Chỉ quản trị viên cấp cao nhất quyết định được quyền chờ sau sắp xếp."))
    if decision not in (MOVE, END):
        raise ValueError(f"Unknown decision: {decision}")
    with transaction.atomic():
        review = GrantReview.objects.select_for_update(of=("self",)).select_related("unit", "successor").get(pk=review.pk)
        if review.decided_at is not None:
            raise ValidationError(_("Quyền này đã được quyết định."), code="decided")
        successor = review.successor
        if decision == MOVE and (successor is None or not successor.is_active):
            raise ValidationError(_("Không có đơn vị kế thừa đang hoạt động để chuyển quyền sang; hãy kết thúc quyền "
                                    "và phân quyền mới ở đơn vị phù hợp."), code="no_successor")
        rows, holder = _grant_rows(review, review.unit)
        if decision == MOVE and not _grant_rows(review, successor)[0].exists():
            moved = rows.update(content_object_id=successor.pk)
            if moved:
                RoleGrantLog.objects.create(action=RoleGrantLog.Action.MOVE, role=review.role, unit=successor,
                                            from_unit=review.unit, actor=by, **holder)
        elif rows.delete()[0]:  # ended, or already held on the successor: nothing is lost
            RoleGrantLog.objects.create(action=RoleGrantLog.Action.REVOKE, role=review.role, unit=review.unit,
                                        actor=by, **holder)
        review.decided_at = timezone.now()
        review.save(update_fields=["decided_at"])
    return review
