"""The Front hierarchy: one MPTT tree of units, roles granted on units, and their records."""

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase
from mptt.models import MPTTModel, TreeForeignKey

from vietfront.text import search_key

from .managers import OrgUnitManager


def unit_search_name(name: str, short_name: str) -> str:
    return search_key(f"{name} {short_name}")


class UnitKind(models.TextChoices):
    CENTRAL = "central", _("Trung ương")
    PROVINCE = "province", _("Tỉnh, thành phố")
    DISTRICT = "district", _("Quận, huyện, thị xã, thành phố thuộc tỉnh")
    COMMUNE = "commune", _("Xã, phường, thị trấn, đặc khu")


class Structure(models.TextChoices):
    """The administrative structure a data set describes."""

    PRE_2025 = "pre-2025", _("Trước 1/7/2025 (63 tỉnh, có cấp huyện)")
    Y2025 = "2025", _("Từ 1/7/2025 (34 tỉnh, không có cấp huyện)")


class OrgUnit(MPTTModel):
    """A unit of the Front at one level of government.

    The kind is stored, not derived from depth: in the 2025 structure communes sit directly
    under provinces. ``path`` is the slugs from the top joined by "/", kept in step with the
    tree by ``orgunits.services`` so a public URL resolves in one indexed lookup.
    """

    name = models.CharField(_("tên chính thức"), max_length=200)
    short_name = models.CharField(_("tên ngắn"), max_length=200, blank=True)
    kind = models.CharField(_("cấp"), max_length=16, choices=UnitKind.choices, db_index=True)
    code = models.CharField(
        _("mã đơn vị hành chính"),
        max_length=16,
        blank=True,
        help_text=_("Mã theo danh mục đơn vị hành chính của Tổng cục Thống kê."),
    )
    slug = models.SlugField(_("slug"), max_length=200, allow_unicode=False)
    path = models.CharField(_("đường dẫn"), max_length=600, unique=True, editable=False)
    parent = TreeForeignKey(
        "self",
        verbose_name=_("đơn vị cấp trên"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
    )
    is_active = models.BooleanField(_("đang hoạt động"), default=True, db_index=True)
    dissolved_on = models.DateField(_("ngày giải thể, sáp nhập"), null=True, blank=True)
    successor = models.ForeignKey(
        "self",
        verbose_name=_("đơn vị kế thừa"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="predecessors",
        help_text=_("Đơn vị tiếp nhận khi sáp nhập hoặc giải thể."),
    )
    # search_key(name + short name): "van mieu" finds "Phường Văn Miếu" with a plain LIKE.
    search_name = models.CharField(max_length=400, blank=True, editable=False)
    # Set by a reorganisation when dissolved units name this one as successor, so the public
    # page asks for its predecessors' history only when there is some (no query otherwise).
    has_predecessors = models.BooleanField(default=False, editable=False)
    created_at = models.DateTimeField(_("tạo lúc"), auto_now_add=True)
    updated_at = models.DateTimeField(_("cập nhật lúc"), auto_now=True)

    objects = OrgUnitManager()

    class MPTTMeta:
        order_insertion_by = ["code", "name"]

    class Meta:
        verbose_name = _("đơn vị")
        verbose_name_plural = _("đơn vị")
        permissions = [
            ("edit_content", _("Soạn nội dung của đơn vị")),
            ("approve_content", _("Duyệt nội dung của các đơn vị cấp dưới")),
            ("admin_unit", _("Quản trị trang và phân quyền trong đơn vị")),
        ]
        constraints = [
            models.UniqueConstraint(fields=["parent", "slug"], name="orgunit_unique_slug_among_siblings"),
            models.UniqueConstraint(
                fields=["kind", "code"],
                condition=~models.Q(code=""),
                name="orgunit_unique_code_per_kind",
            ),
            models.UniqueConstraint(
                fields=["kind"],
                condition=models.Q(kind="central"),
                name="orgunit_single_central_unit",
            ),
            models.CheckConstraint(
                condition=models.Q(is_active=True, dissolved_on__isnull=True) | models.Q(is_active=False),
                name="orgunit_active_units_not_dissolved",
            ),
        ]
        indexes = [
            models.Index(fields=["tree_id", "lft", "rght"], name="orgunit_tree_interval"),
            # The top levels of a scope (the admin's unit filters): for the whole country, its
            # centre and provinces read from here instead of sorting every unit by level.
            models.Index(fields=["level", "tree_id", "lft"], name="orgunit_by_level"),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        self.search_name = unit_search_name(self.name, self.short_name)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and {"name", "short_name"} & set(update_fields):
            kwargs["update_fields"] = {*update_fields, "search_name"}
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        if not self.path:
            return reverse("public:home")
        return reverse("public:unit", kwargs={"unit_path": self.path})

    @property
    def display_name(self) -> str:
        """The regulation's name pattern for a page: "Mặt trận" + the place."""
        if self.kind == UnitKind.CENTRAL:
            return self.name
        return f"Mặt trận {self.name}"


class OrgUnitRedirect(models.Model):
    """An old public path of a unit, kept when it is renamed, moved or merged."""

    old_path = models.CharField(_("đường dẫn cũ"), max_length=600, unique=True)
    unit = models.ForeignKey(OrgUnit, on_delete=models.CASCADE, related_name="redirects")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("chuyển hướng đơn vị")
        verbose_name_plural = _("chuyển hướng đơn vị")

    def __str__(self) -> str:
        return f"{self.old_path} → {self.unit.path}"


class OrgUnitUserObjectPermission(UserObjectPermissionBase):
    """django-guardian grant to a user, with a real foreign key to the unit (fast joins)."""

    content_object = models.ForeignKey(OrgUnit, on_delete=models.CASCADE, related_name="user_grants")

    class Meta(UserObjectPermissionBase.Meta):
        verbose_name = _("phân quyền")
        verbose_name_plural = _("phân quyền")
        indexes = [models.Index(fields=["user", "permission"], name="orgunit_uperm_user_perm")]

    def __str__(self) -> str:
        return f"{self.user} – {self.permission.name} – {self.content_object}"


class OrgUnitGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(OrgUnit, on_delete=models.CASCADE, related_name="group_grants")

    class Meta(GroupObjectPermissionBase.Meta):
        verbose_name = _("phân quyền cho nhóm")
        verbose_name_plural = _("phân quyền cho nhóm")
        indexes = [models.Index(fields=["group", "permission"], name="orgunit_gperm_group_perm")]


class RoleGrantLog(models.Model):
    """Who granted or revoked which role to whom on which unit, and when. Append-only."""

    class Action(models.TextChoices):
        GRANT = "grant", _("Cấp quyền")
        REVOKE = "revoke", _("Thu hồi quyền")
        MOVE = "move", _("Chuyển quyền sang đơn vị kế thừa")

    action = models.CharField(_("thao tác"), max_length=8, choices=Action.choices)
    role = models.CharField(_("vai trò"), max_length=32)
    unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="role_log")
    # A move (reorganisation) records where the grant came from; ``unit`` is where it went.
    from_unit = models.ForeignKey(
        OrgUnit, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("từ đơn vị"),
    )
    # Exactly one of user and group: grants are held by users or by groups.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
        related_name="role_log_received",
    )
    group = models.ForeignKey(
        "auth.Group", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("nhóm"),
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="role_log_given",
        help_text=_("Trống khi thao tác từ dòng lệnh quản trị hệ thống."),
    )
    at = models.DateTimeField(_("thời điểm"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("nhật ký phân quyền")
        verbose_name_plural = _("nhật ký phân quyền")
        ordering = ["-at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(user__isnull=False, group__isnull=True)
                | models.Q(user__isnull=True, group__isnull=False),
                name="rolegrantlog_user_or_group",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.role} – {self.user or self.group} @ {self.unit}"


class UnitImport(models.Model):
    """One run of ``import_units``: which structure, and what it changed."""

    structure = models.CharField(_("cơ cấu"), max_length=16, choices=Structure.choices)
    started_at = models.DateTimeField(_("bắt đầu"), auto_now_add=True)
    created = models.PositiveIntegerField(_("tạo mới"), default=0)
    updated = models.PositiveIntegerField(_("cập nhật"), default=0)
    dissolved = models.PositiveIntegerField(_("giải thể, sáp nhập"), default=0)
    unchanged = models.PositiveIntegerField(_("giữ nguyên"), default=0)

    class Meta:
        verbose_name = _("lần nhập dữ liệu đơn vị")
        verbose_name_plural = _("các lần nhập dữ liệu đơn vị")
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"{self.structure} @ {self.started_at:%Y-%m-%d %H:%M}"


class Reorganisation(models.Model):
    """One applied reorganisation (the 2025 reform, or a plan file) and what it did."""

    source = models.CharField(_("nguồn phương án"), max_length=200)
    effective_on = models.DateField(_("ngày có hiệu lực"))
    applied_at = models.DateTimeField(_("áp dụng lúc"), auto_now_add=True)
    # The report as printed by ``manage.py reorganise``: counts and the lists behind them.
    report = models.JSONField(_("báo cáo"), default=dict)

    class Meta:
        verbose_name = _("đợt sắp xếp đơn vị")
        verbose_name_plural = _("các đợt sắp xếp đơn vị")
        ordering = ["-applied_at"]

    def __str__(self) -> str:
        return f"{self.source} ({self.effective_on:%d/%m/%Y})"


class GrantReview(models.Model):
    """A grant left on a dissolved unit because carrying it would widen it: a super admin decides.

    One row per held grant (user or group, role, unit), so a second run of the same
    reorganisation lists it again without telling its holders twice.
    """

    class Reason(models.TextChoices):
        WIDER = "wider", _("Đơn vị kế thừa ở cấp cao hơn")
        NO_SUCCESSOR = "no_successor", _("Không có đơn vị kế thừa")

    role = models.CharField(_("vai trò"), max_length=32)
    unit = models.ForeignKey(OrgUnit, on_delete=models.CASCADE, related_name="grant_reviews")
    successor = models.ForeignKey(
        OrgUnit, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("đơn vị kế thừa"),
    )
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True,
                             related_name="+")
    group = models.ForeignKey("auth.Group", on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    reason = models.CharField(_("lý do"), max_length=16, choices=Reason.choices)
    reorganisation = models.ForeignKey(Reorganisation, on_delete=models.SET_NULL, null=True, blank=True,
                                       related_name="grant_reviews")
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(_("quyết định lúc"), null=True, blank=True)

    class Meta:
        verbose_name = _("quyền chờ quyết định sau sắp xếp")
        verbose_name_plural = _("quyền chờ quyết định sau sắp xếp")
        constraints = [
            models.UniqueConstraint(fields=["user", "role", "unit"], condition=models.Q(user__isnull=False),
                                    name="grantreview_one_per_user_grant"),
            models.UniqueConstraint(fields=["group", "role", "unit"], condition=models.Q(group__isnull=False),
                                    name="grantreview_one_per_group_grant"),
            models.CheckConstraint(
                condition=models.Q(user__isnull=False, group__isnull=True)
                | models.Q(user__isnull=True, group__isnull=False),
                name="grantreview_user_or_group",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.role} – {self.user or self.group} @ {self.unit}"
