"""The workflow as data: which action moves a post from which states to which state.

``PostStatus`` describes the post's working copy. Whether the public sees the post is a separate
fact, ``Post.live_revision``: an edit to a live post returns the working copy to draft while the
public keeps seeing the approved revision.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from pages.models import PostStatus

S = PostStatus


class Action(models.TextChoices):
    SUBMIT = "submit", _("Gửi duyệt")
    APPROVE = "approve", _("Duyệt")
    SEND_BACK = "send_back", _("Trả lại để sửa")
    SCHEDULE = "schedule", _("Hẹn giờ đăng")
    PUBLISH = "publish", _("Đăng")
    WITHDRAW = "withdraw", _("Rút bài")
    TAKE_DOWN = "take_down", _("Gỡ bài")
    EDIT = "edit", _("Sửa sau khi gửi duyệt")
    # Records, not transitions: they leave the state as it was.
    RULES_BLOCKED = "rules_blocked", _("Quy chế chặn")
    PUBLISH_REFUSED = "publish_refused", _("Từ chối đăng")
    TAKEDOWN_REQUESTED = "takedown_requested", _("Yêu cầu gỡ bài")
    TAKEDOWN_ESCALATED = "takedown_escalated", _("Yêu cầu gỡ bài quá hạn")
    IMPORT = "import", _("Nhập bài đã đăng từ nguồn khác")
    # A reorganisation carried the post's work: its unit was dissolved.
    UNIT_REORGANISED = "unit_reorganised", _("Chuyển sang đơn vị kế thừa")
    REROUTED = "rerouted", _("Chuyển đơn vị duyệt")


TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    Action.SUBMIT: (frozenset({S.DRAFT, S.CHANGES_REQUESTED, S.WITHDRAWN, S.TAKEN_DOWN}), S.SUBMITTED),
    Action.APPROVE: (frozenset({S.SUBMITTED}), S.APPROVED),
    Action.SEND_BACK: (frozenset({S.SUBMITTED}), S.CHANGES_REQUESTED),
    Action.SCHEDULE: (frozenset({S.APPROVED}), S.SCHEDULED),
    Action.PUBLISH: (frozenset({S.SCHEDULED}), S.PUBLISHED),
    # Withdrawing and taking down also apply to any post that is live while its working copy is
    # being edited; ``services`` checks ``live_revision`` for those.
    Action.WITHDRAW: (frozenset({S.PUBLISHED, S.SCHEDULED, S.APPROVED, S.SUBMITTED}), S.WITHDRAWN),
    Action.TAKE_DOWN: (frozenset({S.PUBLISHED}), S.TAKEN_DOWN),
    Action.EDIT: (frozenset({S.SUBMITTED, S.APPROVED, S.SCHEDULED, S.PUBLISHED}), S.DRAFT),
}


def target_state(action: str, current: str) -> str | None:
    """The state ``action`` leads to from ``current``, or None when it is not allowed."""
    sources, target = TRANSITIONS[action]
    return target if current in sources else None
