"""Telling a unit's admins that a channel broke. Mail goes out through moderation's mail task."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext as _

from orgunits.models import OrgUnit, OrgUnitGroupObjectPermission, OrgUnitUserObjectPermission
from orgunits.roles import Perm

from .models import ChannelConnection


def unit_admin_emails(unit: OrgUnit) -> list[str]:
    """Active users holding ``admin_unit`` on ``unit`` or above it, directly or through a group."""
    above = {
        "permission__codename": Perm.ADMIN,
        "content_object__tree_id": unit.tree_id,
        "content_object__lft__lte": unit.lft,
        "content_object__rght__gte": unit.rght,
    }
    users = get_user_model().objects.filter(is_active=True).filter(
        Q(pk__in=OrgUnitUserObjectPermission.objects.filter(**above).values("user_id"))
        | Q(groups__in=OrgUnitGroupObjectPermission.objects.filter(**above).values("group_id"))
    )
    return sorted({u.email for u in users if u.email})


def notify_broken(*, connection_id: int) -> None:
    from moderation.notifications import send
    from moderation.tasks import send_email_task
    from vietfront.tasks import enqueue

    connection = ChannelConnection.objects.select_related("unit").get(pk=connection_id)
    recipients = unit_admin_emails(connection.unit)
    if not recipients:
        return
    subject = _("[Kênh lỗi] %(channel)s của %(unit)s") % {"channel": connection, "unit": connection.unit.name}
    body = _(
        "Kênh %(channel)s của %(unit)s đã ngừng nhận bài: %(why)s\n"
        "Bài mới sẽ không được gửi lên kênh này cho tới khi kết nối lại.\n\nKết nối lại tại: %(url)s"
    ) % {
        "channel": connection, "unit": connection.unit.name, "why": connection.status_message,
        "url": settings.VIETFRONT_SITE_URL + reverse("admin:channels_channelconnection_change", args=[connection.pk]),
    }
    if not enqueue(send_email_task, subject=subject, body=body, recipients=recipients):
        send(subject=subject, body=body, recipients=recipients)
