"""The delivery record's states and moves, as data (like ``moderation.states``)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class DeliveryState(models.TextChoices):
    QUEUED = "queued", _("Đang chờ gửi")
    AWAITING = "awaiting", _("Chờ đơn vị nhận xác nhận")
    SHOWN = "shown", _("Đang hiển thị")
    CONFIRMED = "confirmed", _("Đã xác nhận")
    DECLINED = "declined", _("Đã từ chối")
    WITHDRAWN = "withdrawn", _("Đã thu hồi")
    FAILED = "failed", _("Lỗi")


class DeliveryAction(models.TextChoices):
    DELIVER = "deliver", _("Gửi đến trang")
    CONFIRM = "confirm", _("Xác nhận hiển thị")
    DECLINE = "decline", _("Từ chối")
    WITHDRAW = "withdraw", _("Thu hồi")
    RETRY = "retry", _("Gửi lại")
    RESEND = "resend", _("Lan tỏa lại sau khi thu hồi")


D = DeliveryState

#: Where the post appears on the target's page (while the post itself is live).
VISIBLE = frozenset({D.SHOWN, D.CONFIRMED})
#: Rows a withdrawal of the spreading ends.
OPEN = frozenset({D.QUEUED, D.AWAITING, D.SHOWN, D.CONFIRMED, D.FAILED})

TRANSITIONS: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    # The worker decides between the three targets by the target page's state and the spread's
    # "ask first" flag; see ``services.spread_deliver_chunk``.
    DeliveryAction.DELIVER: (frozenset({D.QUEUED}), frozenset({D.SHOWN, D.AWAITING, D.FAILED})),
    DeliveryAction.CONFIRM: (frozenset({D.AWAITING}), frozenset({D.CONFIRMED})),
    DeliveryAction.DECLINE: (frozenset({D.AWAITING, D.SHOWN}), frozenset({D.DECLINED})),
    DeliveryAction.WITHDRAW: (OPEN, frozenset({D.WITHDRAWN})),
    DeliveryAction.RETRY: (frozenset({D.FAILED}), frozenset({D.QUEUED})),
    # A withdrawn row is the one place a target may carry the post again: a new spread (or a
    # new proposal) takes the row over, so the target still has one row and one appearance.
    DeliveryAction.RESEND: (frozenset({D.WITHDRAWN}), frozenset({D.QUEUED, D.AWAITING})),
}


def sources(action: str) -> frozenset[str]:
    return TRANSITIONS[action][0]


def allowed(action: str, current: str, target: str) -> bool:
    froms, tos = TRANSITIONS[action]
    return current in froms and target in tos
