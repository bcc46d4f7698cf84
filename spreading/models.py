"""Spreading (lan tỏa): a live post shown on other units' pages, with one delivery row per
(post, target page).

The post is never copied: a target's page lists the canonical post through its delivery row,
so an edit, a withdrawal or a takedown of the post reaches every target at once. A unit has at
most one community page, so the target page is named by its unit (``Delivery.unit``): the
tree's interval then scopes the rows without a join.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from orgunits.models import OrgUnit
from pages.models import Post

from .states import DeliveryState


class Direction(models.TextChoices):
    DOWN = "down", _("Lan tỏa xuống cấp dưới")
    UP = "up", _("Đề xuất lên cấp trên")


class Scope(models.TextChoices):
    SUBTREE = "subtree", _("Mọi trang cấp dưới")
    KINDS = "kinds", _("Theo cấp")
    UNITS = "units", _("Các đơn vị được chọn")


class SpreadState(models.TextChoices):
    RUNNING = "running", _("Đang gửi")
    DONE = "done", _("Đã gửi xong")
    WITHDRAWN = "withdrawn", _("Đã thu hồi")


class Spread(models.Model):
    """One decision to show a post elsewhere: a mass posting down, or a proposal up."""

    post = models.ForeignKey(Post, verbose_name=_("bài viết"), on_delete=models.PROTECT, related_name="spreads")
    # The unit that spreads it, shown as the provenance ("Tin từ <U>"); for a proposal, the
    # proposing unit (the post's own).
    from_unit = models.ForeignKey(
        OrgUnit, verbose_name=_("đơn vị gửi"), on_delete=models.PROTECT, related_name="spreads_sent"
    )
    direction = models.CharField(_("hướng"), max_length=8, choices=Direction.choices, default=Direction.DOWN)
    scope = models.CharField(_("phạm vi"), max_length=8, choices=Scope.choices, default=Scope.SUBTREE)
    kinds = models.JSONField(_("các cấp"), default=list, blank=True)
    unit_ids = models.JSONField(_("các đơn vị"), default=list, blank=True)
    ask_confirmation = models.BooleanField(_("cần đơn vị nhận xác nhận"), default=False)
    state = models.CharField(
        _("tình trạng"), max_length=12, choices=SpreadState.choices, default=SpreadState.RUNNING, db_index=True
    )
    targeted = models.PositiveIntegerField(_("số trang nhắm tới"), default=0)
    # Units in the chosen scope without an active community page: not targets (there is no page
    # to show the post on), counted apart so that the failures stay the real ones.
    without_page = models.PositiveIntegerField(_("đơn vị chưa có trang"), default=0)
    note = models.TextField(_("ghi chú"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("người gửi"), on_delete=models.SET_NULL, null=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("gửi lúc"), auto_now_add=True, db_index=True)
    finished_at = models.DateTimeField(_("xong lúc"), null=True, blank=True)
    withdrawn_at = models.DateTimeField(_("thu hồi lúc"), null=True, blank=True)
    withdraw_reason = models.TextField(_("lý do thu hồi"), blank=True)

    class Meta:
        verbose_name = _("đợt lan tỏa")
        verbose_name_plural = _("các đợt lan tỏa")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.post} → {self.get_scope_display()}"


class Delivery(models.Model):
    """The record of one target page for one post: what state, since when, and why."""

    spread = models.ForeignKey(Spread, verbose_name=_("đợt lan tỏa"), on_delete=models.CASCADE,
                               related_name="deliveries")
    # Denormalised from spread.post: the unique constraint below is per post, across spreads.
    post = models.ForeignKey(Post, verbose_name=_("bài viết"), on_delete=models.CASCADE, related_name="deliveries")
    unit = models.ForeignKey(OrgUnit, verbose_name=_("trang nhận"), on_delete=models.CASCADE,
                             related_name="deliveries")
    state = models.CharField(_("trạng thái"), max_length=12, choices=DeliveryState.choices,
                             default=DeliveryState.QUEUED)
    reason = models.TextField(_("lý do từ chối"), blank=True)
    error = models.TextField(_("lỗi"), blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("người quyết định"), on_delete=models.SET_NULL, null=True,
        blank=True, related_name="+",
    )
    created_at = models.DateTimeField(_("tạo lúc"), auto_now_add=True)
    changed_at = models.DateTimeField(_("đổi trạng thái lúc"), db_index=True)

    class Meta:
        verbose_name = _("bài lan tỏa đến trang")
        verbose_name_plural = _("bài lan tỏa đến trang")
        ordering = ["-changed_at", "-id"]
        constraints = [
            # A target never gets the same post twice, whichever spread, however often the
            # worker runs: the inserts rely on it (ON CONFLICT DO NOTHING).
            models.UniqueConstraint(fields=["post", "unit"], name="delivery_one_per_post_page"),
        ]
        indexes = [
            models.Index(fields=["spread", "state", "id"], name="delivery_spread_state"),
            models.Index(fields=["unit", "state", "-changed_at"], name="delivery_unit_state"),
        ]

    def __str__(self) -> str:
        return f"{self.post_id} → {self.unit_id} ({self.state})"


class SpreadEvent(models.Model):
    """The audit log of spreading: every step a person or the worker took."""

    class Action(models.TextChoices):
        SPREAD = "spread", _("Lan tỏa xuống")
        PROPOSE = "propose", _("Đề xuất lên cấp trên")
        FINISH = "finish", _("Gửi xong")
        CONFIRM = "confirm", _("Xác nhận / chấp nhận")
        DECLINE = "decline", _("Từ chối")
        WITHDRAW = "withdraw", _("Thu hồi")
        RETRY = "retry", _("Gửi lại các trang lỗi")
        RESEND = "resend", _("Lan tỏa lại đến trang đã thu hồi")

    spread = models.ForeignKey(Spread, on_delete=models.CASCADE, related_name="events")
    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, null=True, blank=True, related_name="events")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                              related_name="+")
    action = models.CharField(_("thao tác"), max_length=12, choices=Action.choices)
    reason = models.TextField(_("lý do"), blank=True)
    data = models.JSONField(default=dict, blank=True)
    at = models.DateTimeField(_("lúc"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("nhật ký lan tỏa")
        verbose_name_plural = _("nhật ký lan tỏa")
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.action} {self.spread_id}"
