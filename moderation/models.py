"""What admins configure about the information regulation: banned terms, allowed domains and
per-rule settings. The rules themselves are code (``moderation.rules``)."""

import re

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from .rules.base import Severity
from .rules.context import normalize_domain
from .rules.text import normalize_phrase

_DOMAIN = r"^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9-]{2,63}$"


class BannedTerm(models.Model):
    """A word or phrase that must not appear in public content."""

    class Category(models.TextChoices):
        POLITICAL = "political", _("Chính trị, xuyên tạc, chống phá")
        OFFENSIVE = "offensive", _("Thô tục, xúc phạm, phân biệt đối xử")
        SUPERSTITION = "superstition", _("Mê tín, dị đoan")
        OTHER = "other", _("Khác")

    term = models.CharField(
        _("từ, cụm từ"),
        max_length=200,
        unique=True,
        help_text=_(
            "Chỉ khớp nguyên từ, không phân biệt hoa thường; không khớp bên trong từ dài hơn. "
            "Viết không dấu (“dong”) để khớp mọi cách viết có dấu (“Đồng”, “đông”). "
            "Viết có dấu (“phản động”) để khớp đúng dấu đó hoặc chữ không dấu (“phan dong”)."
        ),
    )
    category = models.CharField(
        _("danh mục"), max_length=32, choices=Category.choices, default=Category.OTHER, db_index=True
    )
    severity = models.CharField(_("mức độ"), max_length=8, choices=Severity.choices, default=Severity.BLOCK)
    is_active = models.BooleanField(_("đang áp dụng"), default=True, db_index=True)
    note = models.TextField(_("ghi chú"), blank=True)
    created_at = models.DateTimeField(_("tạo lúc"), auto_now_add=True)
    updated_at = models.DateTimeField(_("cập nhật lúc"), auto_now=True)

    class Meta:
        verbose_name = _("từ ngữ cấm")
        verbose_name_plural = _("từ ngữ cấm")
        ordering = ["term"]
        constraints = [
            models.CheckConstraint(condition=~models.Q(term=""), name="bannedterm_term_not_empty"),
            models.CheckConstraint(
                condition=models.Q(severity__in=Severity.values), name="bannedterm_severity_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.term

    def save(self, *args, **kwargs) -> None:
        # Stored in the matcher's own form so "Phản  Động" and "phản động" are one row.
        self.term = normalize_phrase(self.term)
        super().save(*args, **kwargs)

    def clean(self) -> None:
        self.term = normalize_phrase(self.term)
        if not self.term:
            raise ValidationError({"term": _("Hãy nhập từ hoặc cụm từ.")})


class AllowedDomain(models.Model):
    """A domain public content may link to; its subdomains are allowed with it."""

    domain = models.CharField(
        _("tên miền"),
        max_length=253,
        unique=True,
        help_text=_("Ví dụ “gov.vn” cho phép cả “www.chinhphu.gov.vn”."),
    )
    note = models.CharField(_("ghi chú"), max_length=300, blank=True)
    is_active = models.BooleanField(_("đang áp dụng"), default=True, db_index=True)
    created_at = models.DateTimeField(_("tạo lúc"), auto_now_add=True)
    updated_at = models.DateTimeField(_("cập nhật lúc"), auto_now=True)

    class Meta:
        verbose_name = _("tên miền được phép dẫn")
        verbose_name_plural = _("tên miền được phép dẫn")
        ordering = ["domain"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(domain__regex=_DOMAIN), name="alloweddomain_domain_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.domain

    def save(self, *args, **kwargs) -> None:
        self.domain = normalize_domain(self.domain)
        super().save(*args, **kwargs)

    def clean(self) -> None:
        self.domain = normalize_domain(self.domain)
        if not re.match(_DOMAIN, self.domain):
            raise ValidationError({"domain": _("Tên miền không hợp lệ (ví dụ đúng: “mattran.org.vn”).")})


class RuleSetting(models.Model):
    """An admin's choice for one rule: on or off, and a severity that replaces its default.

    A rule without a row runs with its defaults. ``code`` has no choices on purpose: the list
    of rules lives in code, and the admin form offers it (see ``forms.RuleSettingForm``).
    """

    code = models.CharField(_("mã quy tắc"), max_length=64, unique=True)
    is_enabled = models.BooleanField(_("đang áp dụng"), default=True)
    severity = models.CharField(
        _("mức độ"),
        max_length=8,
        choices=Severity.choices,
        blank=True,
        help_text=_("Để trống để dùng mức mặc định của quy tắc."),
    )
    note = models.CharField(_("ghi chú"), max_length=300, blank=True)
    updated_at = models.DateTimeField(_("cập nhật lúc"), auto_now=True)

    class Meta:
        verbose_name = _("thiết lập quy tắc")
        verbose_name_plural = _("thiết lập quy tắc của quy chế")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(severity="") | models.Q(severity__in=Severity.values),
                name="rulesetting_severity_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.code

    @property
    def rule(self):
        from .rules import registered_rules

        return next((r for r in registered_rules() if r.code == self.code), None)


# The workflow models live in their own module; importing them here registers them with the app.
from .workflow_models import *  # noqa: E402, F403
