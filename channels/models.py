"""A unit's connections to Facebook Pages and Zalo Official Accounts, and what was posted there."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from orgunits.models import OrgUnit


class Platform(models.TextChoices):
    FACEBOOK = "facebook", _("Trang Facebook")
    ZALO = "zalo", _("Zalo Official Account")


class ConnectionStatus(models.TextChoices):
    ACTIVE = "active", _("Đang hoạt động")
    BROKEN = "broken", _("Lỗi, cần kết nối lại")
    DISCONNECTED = "disconnected", _("Đã ngắt kết nối")


class ChannelConnection(models.Model):
    """One per unit and platform. Tokens are stored encrypted (``channels.crypto``); the only
    part kept readable is ``token_hint``, the last characters staff recognise a token by."""

    unit = models.ForeignKey(OrgUnit, verbose_name=_("đơn vị"), on_delete=models.PROTECT, related_name="channels")
    platform = models.CharField(_("nền tảng"), max_length=16, choices=Platform.choices)
    external_id = models.CharField(
        _("mã trang / mã OA"), max_length=64, help_text=_("Page ID của Trang Facebook, hoặc OA ID của Zalo OA.")
    )
    name = models.CharField(_("tên hiển thị"), max_length=200, blank=True)
    access_token_enc = models.TextField(editable=False, blank=True)
    refresh_token_enc = models.TextField(editable=False, blank=True)
    token_hint = models.CharField(_("mã truy cập đang lưu"), max_length=8, editable=False, blank=True)
    token_expires_at = models.DateTimeField(_("mã truy cập hết hạn lúc"), null=True, blank=True, editable=False)
    status = models.CharField(
        _("tình trạng"), max_length=16, choices=ConnectionStatus.choices, default=ConnectionStatus.ACTIVE,
        editable=False,
    )
    status_message = models.TextField(_("ghi chú tình trạng"), blank=True, editable=False)
    last_ok_at = models.DateTimeField(_("gửi được lần cuối"), null=True, blank=True, editable=False)
    last_error_at = models.DateTimeField(_("lỗi lần cuối"), null=True, blank=True, editable=False)
    connected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("người kết nối"), on_delete=models.SET_NULL, null=True,
        blank=True, editable=False, related_name="+",
    )
    created_at = models.DateTimeField(_("tạo lúc"), auto_now_add=True)
    updated_at = models.DateTimeField(_("cập nhật lúc"), auto_now=True)

    class Meta:
        verbose_name = _("kết nối kênh")
        verbose_name_plural = _("kết nối kênh")
        ordering = ["unit__tree_id", "unit__lft", "platform"]
        constraints = [
            models.UniqueConstraint(fields=["unit", "platform"], name="channel_one_per_unit_platform"),
        ]

    def __str__(self) -> str:
        return f"{self.get_platform_display()}: {self.name or self.external_id}"

    def __repr__(self) -> str:
        # Never the encrypted columns either: a repr ends up in tracebacks and logs.
        return f"<ChannelConnection {self.pk} {self.platform} unit={self.unit_id} {self.status}>"


class DeliveryState(models.TextChoices):
    PENDING = "pending", _("Đang chờ gửi")
    SENDING = "sending", _("Đang gửi")
    POSTED = "posted", _("Đã đăng")
    FAILED = "failed", _("Không đăng được")
    UNCERTAIN = "uncertain", _("Chưa rõ kết quả")
    REMOVING = "removing", _("Đang gỡ")
    REMOVED = "removed", _("Đã gỡ")
    CANCELLED = "cancelled", _("Đã hủy")


class ChannelDelivery(models.Model):
    """One post on one channel: at most one remote post per pair, enforced by the database.

    The state moves only through conditional updates in ``channels.services``: a worker claims
    the row (pending → sending) in its own committed transaction before calling the platform.
    """

    post = models.ForeignKey("pages.Post", verbose_name=_("bài viết"), on_delete=models.CASCADE,
                             related_name="channel_deliveries")
    connection = models.ForeignKey(ChannelConnection, verbose_name=_("kênh"), on_delete=models.PROTECT,
                                   related_name="deliveries")
    state = models.CharField(_("trạng thái"), max_length=16, choices=DeliveryState.choices,
                             default=DeliveryState.PENDING)
    message = models.TextField(_("ghi chú"), blank=True)
    remote_id = models.CharField(_("mã bài trên kênh"), max_length=128, blank=True)
    remote_url = models.URLField(_("liên kết trên kênh"), max_length=500, blank=True)
    revision_number = models.PositiveIntegerField(_("phiên bản đã gửi"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("số lần gửi"), default=0)
    claim = models.CharField(max_length=32, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    posted_at = models.DateTimeField(_("đăng lúc"), null=True, blank=True)
    figures = models.JSONField(_("số liệu"), default=dict, blank=True)
    figures_at = models.DateTimeField(_("số liệu lúc"), null=True, blank=True)
    created_at = models.DateTimeField(_("tạo lúc"), auto_now_add=True)
    updated_at = models.DateTimeField(_("cập nhật lúc"), auto_now=True)

    class Meta:
        verbose_name = _("bài trên kênh")
        verbose_name_plural = _("bài trên kênh")
        ordering = ["connection__platform", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["post", "connection"], name="channel_one_delivery_per_post"),
        ]
        indexes = [models.Index(fields=["state", "figures_at"], name="channel_delivery_state")]

    def __str__(self) -> str:
        return f"{self.connection} — {self.get_state_display()}"
