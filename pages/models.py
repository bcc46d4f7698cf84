"""Community pages, their posts, and the media those posts carry.

Every row here belongs to one ``OrgUnit`` (directly or through its page), so every query that
lists rows for a user filters on the unit's MPTT interval (see ``managers`` and ``selectors``).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext_lazy as _

from orgunits.models import OrgUnit
from orgunits.services.tree import unique_slug
from vietfront.text import nfc, search_key, vi_slugify

from .managers import CommunityPageQuerySet, MediaImageQuerySet, PostQuerySet

# --- validators -------------------------------------------------------------------------------


@deconstructible
class HostValidator:
    """Accept https URLs whose host is one of ``hosts`` or a subdomain of one."""

    def __init__(self, hosts: tuple[str, ...], message: str) -> None:
        self.hosts = tuple(hosts)
        self.message = message

    def __call__(self, value: str) -> None:
        parts = urlsplit(value)
        host = (parts.hostname or "").lower()
        if parts.scheme != "https" or not any(host == h or host.endswith("." + h) for h in self.hosts):
            raise ValidationError(self.message, code="host")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, HostValidator) and (self.hosts, self.message) == (other.hosts, other.message)

    def __hash__(self) -> int:
        return hash(self.hosts)


validate_zalo_url = HostValidator(
    ("zalo.me",), _("Địa chỉ Zalo OA phải là liên kết https trên zalo.me, ví dụ https://zalo.me/…")
)
validate_facebook_url = HostValidator(("facebook.com",), _("Địa chỉ Facebook phải là liên kết https trên facebook.com."))


# --- topics and tags --------------------------------------------------------------------------


class NamedSlugModel(models.Model):
    """A shared vocabulary entry: an NFC name, and a slug made from it when none is given."""

    name = models.CharField(_("tên"), max_length=100, unique=True)
    slug = models.SlugField(_("slug"), max_length=100, unique=True)

    #: The slug of a name with nothing to transliterate (punctuation only).
    slug_fallback = ""

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        self.name = nfc(self.name).strip()
        if not self.slug:
            self.slug = vi_slugify(self.name, max_length=100) or self.slug_fallback
        super().save(*args, **kwargs)


class Topic(NamedSlugModel):
    """A topic from the information regulation's list (seeded by a data migration)."""

    order = models.PositiveSmallIntegerField(_("thứ tự"), default=0)
    is_active = models.BooleanField(_("đang dùng"), default=True)

    class Meta:
        verbose_name = _("chủ đề")
        verbose_name_plural = _("chủ đề")
        ordering = ["order", "name"]


class Tag(NamedSlugModel):
    slug_fallback = "the"

    class Meta:
        verbose_name = _("thẻ")
        verbose_name_plural = _("thẻ")
        ordering = ["name"]


# --- media ------------------------------------------------------------------------------------


def media_upload_to(instance: MediaImage, filename: str) -> str:
    # The name is chosen by the service from the verified format; the unit id partitions the
    # folder so one unit's library can be listed or moved without scanning everyone's.
    return f"images/{instance.unit_id}/{filename}"


def rendition_upload_to(instance: Rendition, filename: str) -> str:
    return f"renditions/{instance.image.unit_id}/{instance.image_id}/{filename}"


def document_upload_to(instance: PostDocument, filename: str) -> str:
    return f"documents/{instance.post.unit_id}/{instance.post_id}/{filename}"


class MediaImage(models.Model):
    """An image in a unit's library. The file has been verified and re-encoded without any
    metadata by ``pages.media.process_image`` before it is stored."""

    unit = models.ForeignKey(OrgUnit, verbose_name=_("đơn vị"), on_delete=models.PROTECT, related_name="images")
    file = models.FileField(_("tệp ảnh"), upload_to=media_upload_to, max_length=300)
    width = models.PositiveIntegerField(_("chiều rộng"), editable=False)
    height = models.PositiveIntegerField(_("chiều cao"), editable=False)
    alt_text = models.CharField(
        _("mô tả ảnh (alt)"),
        max_length=300,
        help_text=_("Mô tả nội dung ảnh cho người khiếm thị và khi ảnh không tải được."),
    )
    caption = models.CharField(_("chú thích"), max_length=500, blank=True)
    credit = models.CharField(
        _("nguồn ảnh"), max_length=200, help_text=_("Ví dụ: Ảnh: H.Nguyệt")
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người tải lên"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    created_at = models.DateTimeField(_("tải lên lúc"), auto_now_add=True, db_index=True)

    objects = MediaImageQuerySet.as_manager()

    class Meta:
        verbose_name = _("ảnh")
        verbose_name_plural = _("thư viện ảnh")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(width__gt=0, height__gt=0), name="mediaimage_positive_size"),
        ]

    def __str__(self) -> str:
        return self.alt_text or self.file.name

    def save(self, *args, **kwargs) -> None:
        self.alt_text = nfc(self.alt_text).strip()
        self.caption = nfc(self.caption).strip()
        self.credit = nfc(self.credit).strip()
        super().save(*args, **kwargs)


class RenditionFormat(models.TextChoices):
    WEBP = "webp", "WebP"
    JPEG = "jpeg", "JPEG"


class Rendition(models.Model):
    """A resized copy of a ``MediaImage``; made by ``make_renditions_task``."""

    image = models.ForeignKey(MediaImage, on_delete=models.CASCADE, related_name="renditions")
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    format = models.CharField(max_length=8, choices=RenditionFormat.choices)
    file = models.FileField(upload_to=rendition_upload_to, max_length=300)

    class Meta:
        verbose_name = _("bản thu nhỏ")
        verbose_name_plural = _("bản thu nhỏ")
        ordering = ["image", "format", "width"]
        constraints = [
            models.UniqueConstraint(fields=["image", "width", "format"], name="rendition_unique_image_width_format"),
        ]

    def __str__(self) -> str:
        return f"{self.image_id} {self.width}w {self.format}"


# --- community pages --------------------------------------------------------------------------


class PageStatus(models.TextChoices):
    NOT_SET_UP = "not_set_up", _("Chưa thiết lập")
    ACTIVE = "active", _("Đang hoạt động")
    SUSPENDED = "suspended", _("Tạm dừng")
    CLOSED = "closed", _("Đã đóng")


class CommunityPage(models.Model):
    """The community page of one unit: its public profile and its place in the rollout.

    ``status`` changes only through ``pages.services.page_set_status``, which writes a
    ``PageStatusChange`` row for the rollout dashboard.
    """

    unit = models.OneToOneField(OrgUnit, verbose_name=_("đơn vị"), on_delete=models.PROTECT, related_name="page")
    display_name = models.CharField(
        _("tên hiển thị"), max_length=255, blank=True, help_text=_("Để trống để dùng “Mặt trận” + tên đơn vị.")
    )
    about = models.TextField(_("giới thiệu"), blank=True)
    avatar = models.ForeignKey(
        MediaImage, verbose_name=_("ảnh đại diện"), on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    cover = models.ForeignKey(
        MediaImage, verbose_name=_("ảnh bìa"), on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    address = models.CharField(_("địa chỉ"), max_length=300, blank=True)
    phone = models.CharField(_("điện thoại"), max_length=40, blank=True)
    email = models.EmailField(_("thư điện tử"), blank=True)
    zalo_url = models.URLField(_("Zalo Official Account"), blank=True, validators=[validate_zalo_url])
    facebook_url = models.URLField(_("Facebook"), blank=True, validators=[validate_facebook_url])
    status = models.CharField(
        _("trạng thái"), max_length=16, choices=PageStatus.choices, default=PageStatus.NOT_SET_UP, editable=False,
        db_index=True,
    )
    status_changed_at = models.DateTimeField(_("đổi trạng thái lúc"), null=True, blank=True, editable=False)
    suspension_reason = models.TextField(_("lý do tạm dừng"), blank=True, editable=False)
    created_at = models.DateTimeField(_("tạo lúc"), auto_now_add=True)
    updated_at = models.DateTimeField(_("cập nhật lúc"), auto_now=True)

    objects = CommunityPageQuerySet.as_manager()

    class Meta:
        verbose_name = _("trang cộng đồng")
        verbose_name_plural = _("trang cộng đồng")
        ordering = ["unit__tree_id", "unit__lft"]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        self.display_name = nfc(self.display_name).strip()
        self.about = nfc(self.about).strip()
        self.address = nfc(self.address).strip()
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return self.unit.get_absolute_url()

    @property
    def name(self) -> str:
        return self.display_name or self.unit.display_name


class PageStatusChange(models.Model):
    """One change of a page's rollout status. Append-only; the dashboard counts over it."""

    page = models.ForeignKey(CommunityPage, on_delete=models.CASCADE, related_name="status_changes")
    from_status = models.CharField(_("từ trạng thái"), max_length=16, choices=PageStatus.choices)
    to_status = models.CharField(_("sang trạng thái"), max_length=16, choices=PageStatus.choices, db_index=True)
    reason = models.TextField(_("lý do"), blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("người thực hiện"), on_delete=models.PROTECT, null=True, blank=True,
        related_name="+",
    )
    at = models.DateTimeField(_("thời điểm"), db_index=True)

    class Meta:
        verbose_name = _("lịch sử trạng thái trang")
        verbose_name_plural = _("lịch sử trạng thái trang")
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.page_id}: {self.from_status} → {self.to_status}"


# --- posts ------------------------------------------------------------------------------------


class PostStatus(models.TextChoices):
    """Publication states. Only ``moderation`` changes them; every post starts as a draft."""

    DRAFT = "draft", _("Bản nháp")
    SUBMITTED = "submitted", _("Đã gửi duyệt")
    CHANGES_REQUESTED = "changes_requested", _("Yêu cầu sửa")
    APPROVED = "approved", _("Đã duyệt")
    SCHEDULED = "scheduled", _("Đã lên lịch")
    PUBLISHED = "published", _("Đã đăng")
    WITHDRAWN = "withdrawn", _("Đã rút")
    TAKEN_DOWN = "taken_down", _("Đã gỡ")


# States in which the author may still delete a post outright: nothing was ever public or
# approved, so there is no record the regulation asks to keep.
DELETABLE_STATUSES = frozenset({PostStatus.DRAFT, PostStatus.CHANGES_REQUESTED})


class SourceKind(models.TextChoices):
    OWN = "own", _("Tin tự thực hiện")
    EXTERNAL = "external", _("Nguồn bên ngoài")


class Post(models.Model):
    page = models.ForeignKey(CommunityPage, verbose_name=_("trang"), on_delete=models.PROTECT, related_name="posts")
    # Denormalised from page.unit so subtree queries join one table, not two.
    unit = models.ForeignKey(OrgUnit, verbose_name=_("đơn vị"), on_delete=models.PROTECT, related_name="posts",
                             editable=False)
    title = models.CharField(_("tiêu đề"), max_length=255)
    slug = models.SlugField(_("slug"), max_length=220, editable=False)
    summary = models.TextField(_("sapo (tóm tắt)"), max_length=1000, blank=True)
    body = models.TextField(_("nội dung"), blank=True)
    cover = models.ForeignKey(
        MediaImage, verbose_name=_("ảnh đại diện bài"), on_delete=models.SET_NULL, null=True, blank=True,
        related_name="cover_of",
    )
    topic = models.ForeignKey(Topic, verbose_name=_("chủ đề"), on_delete=models.PROTECT, null=True, blank=True,
                              related_name="posts")
    tags = models.ManyToManyField(Tag, verbose_name=_("thẻ"), blank=True, related_name="posts")
    source_kind = models.CharField(_("loại nguồn"), max_length=16, choices=SourceKind.choices, default=SourceKind.OWN)
    source_name = models.CharField(_("tên nguồn"), max_length=200, blank=True)
    source_url = models.URLField(_("liên kết nguồn"), blank=True)
    author_line = models.CharField(_("tác giả"), max_length=200, blank=True)
    photo_credit = models.CharField(_("dòng ghi ảnh"), max_length=200, blank=True, help_text=_("Ví dụ: Ảnh: H.Nguyệt"))
    desired_publish_at = models.DateTimeField(_("thời điểm mong muốn đăng"), null=True, blank=True)
    is_pinned = models.BooleanField(_("ghim lên đầu trang"), default=False)
    status = models.CharField(
        _("trạng thái"), max_length=20, choices=PostStatus.choices, default=PostStatus.DRAFT, editable=False
    )
    published_at = models.DateTimeField(_("đăng lúc"), null=True, blank=True, editable=False)
    # What the public sees: the approved revision put live by moderation. The fields above are
    # the working copy, which may differ while an edit awaits approval.
    live_revision = models.ForeignKey(
        "moderation.Revision",
        verbose_name=_("phiên bản đang hiển thị"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    search_text = models.TextField(editable=False, blank=True)
    # search_key(title): the staff list searches titles by it, without tone marks (the whole
    # ``search_text`` holds the body too, which no index serves well).
    title_key = models.CharField(max_length=300, editable=False, blank=True)
    created_at = models.DateTimeField(_("tạo lúc"), auto_now_add=True)
    updated_at = models.DateTimeField(_("cập nhật lúc"), auto_now=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("người tạo"), on_delete=models.SET_NULL, null=True, blank=True,
        editable=False, related_name="+",
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("người sửa cuối"), on_delete=models.SET_NULL, null=True, blank=True,
        editable=False, related_name="+",
    )

    objects = PostQuerySet.as_manager()

    class Meta:
        verbose_name = _("bài viết")
        verbose_name_plural = _("bài viết")
        ordering = ["-is_pinned", "-published_at", "-updated_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["page", "slug"], name="post_unique_slug_per_page"),
        ]
        indexes = [
            models.Index(fields=["unit", "status", "published_at"], name="post_unit_status_pub"),
            models.Index(fields=["status", "published_at"], name="post_status_pub"),
            # The public lists: live posts newest first, site-wide and per unit (partial: only
            # live rows are indexed, so these stay small next to drafts and history).
            models.Index(
                fields=["-published_at", "-id"], condition=models.Q(live_revision__isnull=False),
                name="post_live_recent",
            ),
            models.Index(
                fields=["unit", "-published_at", "-id"], condition=models.Q(live_revision__isnull=False),
                name="post_live_unit_recent",
            ),
            # A unit's own posts, pinned first (``own_posts``): without it the central unit's
            # ~10,000 posts were read and sorted on every cold home page.
            models.Index(
                fields=["unit", "-is_pinned", "-published_at", "-id"],
                condition=models.Q(live_revision__isnull=False), name="post_live_unit_pinned",
            ),
            # The staff's post list, last edited first: the whole country's, and a subtree's
            # (read per unit of the subtree, then merged).
            models.Index(fields=["-updated_at", "-id"], name="post_recently_edited"),
            models.Index(fields=["unit", "-updated_at", "-id"], name="post_unit_recently_edited"),
            # The regulation's duplicate-title rule (``moderation.review``), on every submit and
            # approve: an equality on the live posts' key (the trigram index answered it in
            # 5-100 ms; this in under 1 ms), at the price of one more index write per publication.
            models.Index(fields=["title_key"], condition=models.Q(live_revision__isnull=False),
                         name="post_live_title_key"),
        ]

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs) -> None:
        """Keep the derived columns in step: unit, NFC text, sanitised body, slug, search key.

        These are data invariants, not workflow: every writer (admin, services, demo,
        moderation) gets them without having to remember.
        """
        from .sanitize import html_to_text, sanitize_html

        self.unit_id = self.page.unit_id
        self.title = nfc(self.title).strip()
        self.summary = nfc(self.summary).strip()
        self.body = sanitize_html(self.body)
        for name in ("source_name", "author_line", "photo_credit"):
            setattr(self, name, nfc(getattr(self, name)).strip())
        if not self.slug:
            self.slug = self.unique_slug()
        self.search_text = search_key(" ".join((self.title, self.summary, html_to_text(self.body))))
        self.title_key = search_key(self.title)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            kwargs["update_fields"] = {*update_fields, "unit", "search_text", "title_key", "slug"}
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        """The public address; it answers 404 until the post is published."""
        if not self.unit.path:
            return reverse("public:central_post", kwargs={"slug": self.slug})
        return reverse("public:post", kwargs={"unit_path": self.unit.path, "slug": self.slug})

    def unique_slug(self) -> str:
        """The title's slug, or the slug plus the first free "-2", "-3"... on this page."""
        base = vi_slugify(self.title, max_length=200) or "bai-viet"
        taken = set(
            Post.objects.filter(page_id=self.page_id, slug__startswith=base)
            .exclude(pk=self.pk)
            .values_list("slug", flat=True)
        )
        return unique_slug(base, taken)

    @property
    def is_public(self) -> bool:
        """The instance form of ``PostQuerySet.published``."""
        return (
            self.live_revision_id is not None
            and self.published_at is not None
            and self.published_at <= timezone.now()
        )


class DocumentKind(models.TextChoices):
    PDF = "pdf", "PDF"
    DOCX = "docx", "Word (DOCX)"
    XLSX = "xlsx", "Excel (XLSX)"
    ODT = "odt", "OpenDocument (ODT)"


class PostDocument(models.Model):
    """A document attached to a post; its type was decided from its content."""

    post = models.ForeignKey(Post, verbose_name=_("bài viết"), on_delete=models.CASCADE, related_name="documents")
    title = models.CharField(_("tên tài liệu"), max_length=255)
    file = models.FileField(_("tệp"), upload_to=document_upload_to, max_length=300)
    original_name = models.CharField(_("tên tệp gốc"), max_length=255, editable=False)
    kind = models.CharField(_("loại"), max_length=8, choices=DocumentKind.choices, editable=False)
    size = models.PositiveBigIntegerField(_("dung lượng"), editable=False)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, editable=False, related_name="+"
    )
    created_at = models.DateTimeField(_("tải lên lúc"), auto_now_add=True)

    class Meta:
        verbose_name = _("tài liệu đính kèm")
        verbose_name_plural = _("tài liệu đính kèm")
        ordering = ["post", "id"]

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs) -> None:
        self.title = nfc(self.title).strip()
        self.original_name = nfc(self.original_name)
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("public:document", kwargs={"pk": self.pk})


class PostSearch(models.Model):
    """The search index of what the public sees: one row per live post, built from its live
    revision (never the working copy) by ``pages.search.index_live_post``.

    ``title_key``/``body_key`` hold ``index_key`` text (syllables without tone marks, one space
    apart). On PostgreSQL a generated ``document`` tsvector column over them (title weighted A,
    body B) with a GIN index is added by migration 0005; on SQLite with FTS5 an external-content
    FTS5 table kept in step by triggers, by 0010. The model declares neither; an SQLite without
    FTS5 searches the keys with ``LIKE``. ``pair_key`` holds the keys' neighbouring syllables
    (``index_pairs``) and the week of ``published_at`` (``week_token``, since 0013), indexed on
    PostgreSQL by 0012 for phrases of common words. Since 0014 the columns a search reads row by
    row stay in the row on PostgreSQL (``STORAGE MAIN``, lz4) and the pairs leave it first.
    """

    post = models.OneToOneField(Post, on_delete=models.CASCADE, primary_key=True, related_name="search_entry")
    unit = models.ForeignKey(OrgUnit, on_delete=models.CASCADE, related_name="+")
    topic = models.ForeignKey(Topic, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    tags = models.ManyToManyField(Tag, blank=True, related_name="+")
    published_at = models.DateTimeField()
    title_key = models.TextField(blank=True)
    body_key = models.TextField(blank=True)
    pair_key = models.TextField(blank=True, default="")

    class Meta:
        verbose_name = _("chỉ mục tìm kiếm")
        verbose_name_plural = _("chỉ mục tìm kiếm")
        indexes = [
            models.Index(fields=["-published_at"], name="postsearch_recent"),
            models.Index(fields=["topic", "-published_at"], name="postsearch_topic_recent"),
        ]

    def __str__(self) -> str:
        return f"search:{self.post_id}"
