"""The rollout: official documents (văn bản) units issue, and the targets the rollout is measured by.

An ``OfficialDocument`` is the register entry of a post: the post carries what the public reads
(title, summary, body, topic, source) and goes through moderation like any post; the file is a
``pages.PostDocument`` attached to that post. Only a published post makes its document public,
and only a published guidance counts towards the guidance target.
"""

from __future__ import annotations

from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from orgunits.models import OrgUnit, UnitKind
from vietfront.text import nfc, search_key

from .managers import OfficialDocumentQuerySet


class DocumentKind(models.TextChoices):
    GUIDANCE = "huong_dan", _("Hướng dẫn")
    PLAN = "ke_hoach", _("Kế hoạch")
    REGULATION = "quy_che", _("Quy chế")
    DECISION = "quyet_dinh", _("Quyết định")
    NOTICE = "thong_bao", _("Thông báo")
    LETTER = "cong_van", _("Công văn")
    REPORT = "bao_cao", _("Báo cáo")
    OTHER = "khac", _("Văn bản khác")


class OfficialDocument(models.Model):
    """A document issued by a unit, published as a post of that unit.

    ``unit`` is the issuing unit, denormalised from ``post.unit`` (set on save) so the register
    and the guidance target filter one table. Number, kind and addressees are fixed once the
    post is under review: ``rollout.services.official_document_save`` refuses to change them.
    """

    post = models.OneToOneField(
        "pages.Post", verbose_name=_("bài viết"), on_delete=models.CASCADE, related_name="official_document"
    )
    unit = models.ForeignKey(
        OrgUnit, verbose_name=_("đơn vị ban hành"), on_delete=models.PROTECT, related_name="official_documents",
        editable=False,
    )
    number = models.CharField(
        _("số, ký hiệu"), max_length=100, help_text=_("Ví dụ: 15/HD-MTTQ-BTT")
    )
    kind = models.CharField(_("loại văn bản"), max_length=16, choices=DocumentKind.choices, db_index=True)
    issued_on = models.DateField(_("ngày ban hành"))
    addressed_to_kind = models.CharField(
        _("gửi đến cấp"), max_length=16, choices=UnitKind.choices, blank=True,
        help_text=_("Cấp đơn vị nhận văn bản, ví dụ hướng dẫn gửi Mặt trận cấp huyện."),
    )
    number_key = models.CharField(max_length=100, editable=False, db_index=True)
    created_at = models.DateTimeField(_("tạo lúc"), auto_now_add=True)
    updated_at = models.DateTimeField(_("cập nhật lúc"), auto_now=True)

    objects = OfficialDocumentQuerySet.as_manager()

    class Meta:
        verbose_name = _("văn bản")
        verbose_name_plural = _("văn bản")
        ordering = ["-issued_on", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["unit", "number"], name="officialdocument_unique_number_per_unit"),
        ]
        indexes = [models.Index(fields=["unit", "kind", "addressed_to_kind"], name="officialdoc_unit_kind_to")]

    def __str__(self) -> str:
        return f"{self.number} – {self.post.title}" if self.post_id else self.number

    def save(self, *args, **kwargs) -> None:
        self.unit_id = self.post.unit_id
        self.number = nfc(self.number).strip()
        self.number_key = search_key(self.number)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            kwargs["update_fields"] = {*update_fields, "unit", "number_key"}
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("documents:detail", kwargs={"unit_path": self.unit.path, "pk": self.pk})

    @property
    def title(self) -> str:
        return self.post.title


class Condition(models.TextChoices):
    ACTIVE_PAGE = "active_page", _("Có trang cộng đồng đang hoạt động")
    PUBLISHED_GUIDANCE = "published_guidance", _("Đã ban hành hướng dẫn (đã đăng)")
    RECENT_POST = "recent_post", _("Có bài đăng trong N ngày gần đây")


class RolloutTarget(models.Model):
    """One target of the rollout, e.g. "80% of communes set up a community page".

    Measured over the active units of ``unit_kind`` in the subtree of ``scope`` (the whole
    country when empty) that meet ``condition``.
    """

    name = models.CharField(_("tên chỉ tiêu"), max_length=200)
    unit_kind = models.CharField(_("cấp được đo"), max_length=16, choices=UnitKind.choices)
    scope = models.ForeignKey(
        OrgUnit, verbose_name=_("phạm vi"), on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        help_text=_("Để trống để tính trên cả nước."),
    )
    condition = models.CharField(_("điều kiện đạt"), max_length=24, choices=Condition.choices)
    days = models.PositiveSmallIntegerField(
        _("số ngày"), null=True, blank=True, help_text=_("Với điều kiện “có bài đăng trong N ngày gần đây”.")
    )
    guidance_to_kind = models.CharField(
        _("hướng dẫn gửi đến cấp"), max_length=16, choices=UnitKind.choices, blank=True,
        help_text=_("Với điều kiện “đã ban hành hướng dẫn”: cấp nhận hướng dẫn; để trống là cấp nào cũng được."),
    )
    target_percent = models.PositiveSmallIntegerField(_("chỉ tiêu (%)"))
    is_active = models.BooleanField(_("đang theo dõi"), default=True)
    order = models.PositiveSmallIntegerField(_("thứ tự"), default=0)

    class Meta:
        verbose_name = _("chỉ tiêu triển khai")
        verbose_name_plural = _("chỉ tiêu triển khai")
        ordering = ["order", "id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(target_percent__lte=100), name="rollouttarget_percent_le_100"),
            models.CheckConstraint(
                condition=~models.Q(condition="recent_post") | models.Q(days__gt=0),
                name="rollouttarget_recent_post_has_days",
            ),
        ]

    def __str__(self) -> str:
        return self.name
