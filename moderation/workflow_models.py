"""The approval workflow's records: revisions, submissions, takedown requests, the audit log.

Imported by ``moderation.models``. Only ``moderation.services`` writes these rows.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from orgunits.models import OrgUnit, UnitKind


class Revision(models.Model):
    """An immutable snapshot of a post's content, taken at submission.

    Approval pins one; publication puts exactly that one live (``Post.live_revision``).
    """

    post = models.ForeignKey("pages.Post", on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField(_("số phiên bản"))
    # What public lists show and filter on, as columns; everything else in ``content``.
    title = models.CharField(_("tiêu đề"), max_length=255)
    summary = models.TextField(_("sapo (tóm tắt)"), blank=True)
    body = models.TextField(_("nội dung"), blank=True)
    topic = models.ForeignKey("pages.Topic", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    cover = models.ForeignKey("pages.MediaImage", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    # The cover's description as approved. The media library may edit it afterwards; lists
    # show the cover without reading ``content``, so these are columns too.
    cover_alt_text = models.CharField(_("mô tả ảnh đại diện (alt)"), max_length=300, blank=True)
    cover_caption = models.CharField(_("chú thích ảnh đại diện"), max_length=500, blank=True)
    cover_credit = models.CharField(_("nguồn ảnh đại diện"), max_length=200, blank=True)
    content = models.JSONField(_("toàn bộ nội dung"))
    content_hash = models.CharField(max_length=64, db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người tạo"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("tạo lúc"), auto_now_add=True)

    class Meta:
        verbose_name = _("phiên bản bài viết")
        verbose_name_plural = _("phiên bản bài viết")
        constraints = [models.UniqueConstraint(fields=["post", "number"], name="revision_unique_number")]
        ordering = ["post", "-number"]

    def __str__(self) -> str:
        return f"{self.title} (v{self.number})"

    @property
    def approved_cover(self):
        """The cover image carrying the description it was approved with.

        The text is set on the cached ``cover`` instance (never saved), so whatever renders
        this revision's cover afterwards (the picture tag, Open Graph) shows the approved text.
        """
        cover = self.cover
        if cover is not None:
            cover.alt_text, cover.caption, cover.credit = self.cover_alt_text, self.cover_caption, self.cover_credit
        return cover

    def approved_documents(self, documents) -> list:
        """Of ``documents`` (the post's ``PostDocument`` rows), those this revision was approved
        with, in their approved order and under their approved titles (set on the instances)."""
        titles = dict(self.content.get("documents") or [])
        by_pk = {d.pk: d for d in documents}
        approved = []
        for pk, title in titles.items():
            document = by_pk.get(pk)
            if document is not None:
                document.title = title
                approved.append(document)
        return approved


class Submission(models.Model):
    """One request to publish one revision, and the decision on it."""

    class State(models.TextChoices):
        PENDING = "pending", _("Chờ duyệt")
        APPROVED = "approved", _("Đã duyệt")
        SENT_BACK = "sent_back", _("Trả lại")
        SUPERSEDED = "superseded", _("Đã thay bằng bản mới")

    post = models.ForeignKey("pages.Post", on_delete=models.CASCADE, related_name="submissions")
    revision = models.ForeignKey(Revision, on_delete=models.PROTECT, related_name="submissions")
    approving_unit = models.ForeignKey(
        OrgUnit, on_delete=models.PROTECT, related_name="submissions_to_approve", verbose_name=_("đơn vị duyệt")
    )
    state = models.CharField(_("trạng thái"), max_length=16, choices=State.choices, default=State.PENDING)
    findings = models.JSONField(_("kết quả kiểm tra quy chế"), default=list, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("người gửi"), on_delete=models.PROTECT, related_name="+"
    )
    submitted_at = models.DateTimeField(_("gửi lúc"), auto_now_add=True, db_index=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người quyết định"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("quyết định lúc"), null=True, blank=True)
    reason = models.TextField(_("lý do, ghi chú"), blank=True)
    publish_at = models.DateTimeField(_("đăng lúc"), null=True, blank=True, db_index=True)

    class Meta:
        verbose_name = _("yêu cầu duyệt")
        verbose_name_plural = _("hàng chờ duyệt")
        constraints = [
            models.UniqueConstraint(
                fields=["post"], condition=models.Q(state="pending"), name="submission_one_pending_per_post"
            )
        ]
        indexes = [
            models.Index(fields=["state", "submitted_at"], name="submission_queue"),
            # An approver's queue: the pending rows of the scope's units, counted and paged from
            # the index alone (with who submitted, for the badge that leaves out one's own).
            models.Index(fields=["approving_unit", "submitted_at", "id"], include=["submitted_by", "post"],
                         condition=models.Q(state="pending"), name="submission_pending_by_unit"),
        ]

    def __str__(self) -> str:
        return f"{self.revision.title} ({self.get_state_display()})"

    @property
    def warning_findings(self) -> list[dict]:
        return [f for f in self.findings if f.get("severity") != "block"]


class ApprovalRoute(models.Model):
    """Who approves content of units of a kind: the nearest ancestor-or-self of ``approver_kind``.

    Without a row for a kind, the parent approves (the centre approves its own content).
    """

    unit_kind = models.CharField(_("nội dung của cấp"), max_length=16, choices=UnitKind.choices, unique=True)
    approver_kind = models.CharField(_("do cấp duyệt"), max_length=16, choices=UnitKind.choices)

    class Meta:
        verbose_name = _("tuyến duyệt")
        verbose_name_plural = _("tuyến duyệt")

    def __str__(self) -> str:
        return f"{self.get_unit_kind_display()} → {self.get_approver_kind_display()}"


class TakedownRequest(models.Model):
    """A request to remove a published post (Decree 147/2024/NĐ-CP), with its legal deadline."""

    class Source(models.TextChoices):
        AUTHORITY = "authority", _("Yêu cầu của cơ quan có thẩm quyền (24 giờ)")
        COMPLAINT = "complaint", _("Khiếu nại có căn cứ (48 giờ)")

    class State(models.TextChoices):
        OPEN = "open", _("Đang xử lý")
        ESCALATED = "escalated", _("Quá hạn, đã báo cấp trên")
        CLOSED = "closed", _("Đã gỡ bài")
        REJECTED = "rejected", _("Không chấp nhận")

    post = models.ForeignKey("pages.Post", on_delete=models.CASCADE, related_name="takedown_requests")
    source = models.CharField(_("nguồn yêu cầu"), max_length=16, choices=Source.choices)
    requester = models.CharField(_("cơ quan, người yêu cầu"), max_length=300)
    reason = models.TextField(_("nội dung yêu cầu"))
    received_at = models.DateTimeField(_("nhận lúc"))
    deadline = models.DateTimeField(_("hạn xử lý"), db_index=True)
    state = models.CharField(_("trạng thái"), max_length=16, choices=State.choices, default=State.OPEN)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("người ghi nhận"), on_delete=models.PROTECT, related_name="+"
    )
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người đóng yêu cầu"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    closed_at = models.DateTimeField(_("đóng lúc"), null=True, blank=True)
    escalated_at = models.DateTimeField(_("báo cấp trên lúc"), null=True, blank=True)

    class Meta:
        verbose_name = _("yêu cầu gỡ bài")
        verbose_name_plural = _("yêu cầu gỡ bài")
        ordering = ["deadline"]

    def __str__(self) -> str:
        return f"{self.get_source_display()}: {self.requester}"


class AuditEntry(models.Model):
    """Every workflow step: who, when, on what, from which state to which, and why. Append-only."""

    post = models.ForeignKey("pages.Post", on_delete=models.CASCADE, null=True, blank=True, related_name="audit")
    unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="audit_entries")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người thực hiện"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    action = models.CharField(_("thao tác"), max_length=32, db_index=True)
    from_state = models.CharField(_("từ trạng thái"), max_length=32, blank=True)
    to_state = models.CharField(_("sang trạng thái"), max_length=32, blank=True)
    reason = models.TextField(_("lý do"), blank=True)
    data = models.JSONField(_("chi tiết"), default=dict, blank=True)
    at = models.DateTimeField(_("thời điểm"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("nhật ký kiểm duyệt")
        verbose_name_plural = _("nhật ký kiểm duyệt")
        ordering = ["-at", "-id"]
        # The audit log of a subtree, newest first (read per unit of the subtree, then merged).
        indexes = [models.Index(fields=["unit", "-at", "-id"], name="audit_unit_recent")]

    def __str__(self) -> str:
        return f"{self.action} {self.from_state}→{self.to_state}"

    @property
    def action_label(self) -> str:
        from .states import Action

        return Action(self.action).label if self.action in Action.values else self.action

    @property
    def from_label(self) -> str:
        return _state_label(self.from_state)

    @property
    def to_label(self) -> str:
        return _state_label(self.to_state)


def _state_label(state: str) -> str:
    from pages.models import PostStatus

    return PostStatus(state).label if state in PostStatus.values else state


class NotificationPreference(models.Model):
    """Per-user choice: immediate mails for the approval queue, or one daily digest."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preference")
    daily_digest = models.BooleanField(_("nhận bản tổng hợp hằng ngày thay cho từng thư"), default=False)

    class Meta:
        verbose_name = _("tùy chọn thông báo")
        verbose_name_plural = _("tùy chọn thông báo")

    def __str__(self) -> str:
        return str(self.user)


__all__ = [
    "ApprovalRoute",
    "AuditEntry",
    "NotificationPreference",
    "Revision",
    "Submission",
    "TakedownRequest",
]
