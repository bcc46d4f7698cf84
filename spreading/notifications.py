"""Mails of spreading: to the receiving approvers of a proposal, and back to the sender."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext as _

from moderation.routing import approvers_to_notify

from .models import Delivery, Direction, Spread
from .states import DeliveryState


def _queue(subject: str, body: str, users, *, path: str) -> None:
    from moderation import notifications as mail
    from moderation.tasks import send_email_task
    from vietfront.tasks import enqueue

    recipients = sorted({u.email for u in users if u is not None and u.email and u.is_active})
    if not recipients:
        return
    body = f"{body}\n\n" + _("Xem tại: %(url)s") % {"url": f"{settings.VIETFRONT_SITE_URL}{path}"}
    if not enqueue(send_email_task, subject=subject, body=body, recipients=recipients):
        mail.send(subject=subject, body=body, recipients=recipients)  # no broker: send now, not never


def notify_proposed(*, delivery_id: int) -> None:
    delivery = Delivery.objects.select_related("post", "unit", "spread__from_unit", "spread__created_by").get(
        pk=delivery_id)
    approvers = approvers_to_notify(delivery.unit, exclude={delivery.spread.created_by_id})
    values = {"title": delivery.post.title, "unit": delivery.spread.from_unit.name, "to": delivery.unit.name}
    _queue(_("[Đề xuất] %(title)s") % values,
           _("%(unit)s đề xuất bài “%(title)s” lên trang của %(to)s.") % values,
           approvers, path=reverse("admin:spreading_delivery_changelist") + "?state=awaiting")


def notify_decided(*, delivery_id: int) -> None:
    delivery = Delivery.objects.select_related("post", "unit", "spread__created_by").get(pk=delivery_id)
    values = {"title": delivery.post.title, "to": delivery.unit.name, "reason": delivery.reason}
    if delivery.state == DeliveryState.DECLINED:
        subject, body = _("[Từ chối] %(title)s"), _("%(to)s từ chối bài “%(title)s”. Lý do: %(reason)s")
    elif delivery.spread.direction == Direction.UP:
        subject, body = _("[Đã nhận] %(title)s"), _("%(to)s đã nhận bài “%(title)s” lên trang của mình.")
    else:
        subject, body = _("[Đã xác nhận] %(title)s"), _("%(to)s đã xác nhận hiển thị bài “%(title)s”.")
    _queue(subject % values, body % values, [delivery.spread.created_by],
           path=reverse("admin:spreading_spread_change", args=[delivery.spread_id]))


def notify_spread_done(*, spread_id: int) -> None:
    from .selectors import spread_counts

    spread = Spread.objects.select_related("post", "created_by").get(pk=spread_id)
    if spread.direction != Direction.DOWN:
        return
    counts = spread_counts(spread=spread)
    values = {"title": spread.post.title, "shown": counts[DeliveryState.SHOWN] + counts[DeliveryState.AWAITING],
              "failed": counts[DeliveryState.FAILED], "targeted": spread.targeted}
    _queue(_("[Lan tỏa xong] %(title)s") % values,
           _("Bài “%(title)s” đã gửi đến %(shown)d/%(targeted)d trang; lỗi: %(failed)d.") % values,
           [spread.created_by], path=reverse("admin:spreading_spread_change", args=[spread.pk]))
