"""Writes of the pages app. Each checks the actor's right on the unit (``by=None`` is the
system: management commands and tasks) and keeps side effects for after the commit.

Publication state (``Post.status``) is not written here: that belongs to ``moderation``.
"""

from __future__ import annotations

from functools import partial

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from orgunits.models import OrgUnit
from orgunits.roles import Perm
from orgunits.selectors import user_has_unit_perm
from vietfront.text import vi_slugify

from . import media
from .documents import detect_document_kind
from .models import (
    CommunityPage,
    MediaImage,
    PageStatus,
    PageStatusChange,
    Post,
    PostDocument,
    PostStatus,
    Rendition,
)

User = AbstractBaseUser

#: The rollout's allowed moves between page states.
PAGE_TRANSITIONS: dict[str, frozenset[str]] = {
    PageStatus.NOT_SET_UP: frozenset({PageStatus.ACTIVE, PageStatus.CLOSED}),
    PageStatus.ACTIVE: frozenset({PageStatus.SUSPENDED, PageStatus.CLOSED}),
    PageStatus.SUSPENDED: frozenset({PageStatus.ACTIVE, PageStatus.CLOSED}),
    PageStatus.CLOSED: frozenset({PageStatus.ACTIVE}),
}


def _require(by: User | None, perm: str, unit: OrgUnit) -> None:
    if by is None:
        return
    if not user_has_unit_perm(user=by, perm=perm, unit=unit):
        raise PermissionDenied(_("Bạn không có quyền trên đơn vị này."))


# --- community pages --------------------------------------------------------------------------


def page_create(*, unit: OrgUnit, by: User | None, activate: bool = True, **profile: object) -> CommunityPage:
    return page_set_up(page=CommunityPage(unit=unit, **profile), by=by, activate=activate)


def page_set_up(*, page: CommunityPage, by: User | None, activate: bool = True) -> CommunityPage:
    """Create the unsaved ``page`` for its unit (at most one per unit, enforced by the
    database). With ``activate`` it goes live at once and the history records it."""
    _require(by, Perm.ADMIN, page.unit)
    with transaction.atomic():
        page.full_clean(exclude=["avatar", "cover"])
        page.save()
        if activate:
            page_set_status(page=page, status=PageStatus.ACTIVE, by=by)
    return page


def page_status_check(*, current: str, status: str, reason: str) -> None:
    """Raise ``ValidationError`` keyed by ``"status"`` and/or ``"reason"`` if a page in
    ``current`` may not move to ``status`` with ``reason``. Staying put is always allowed,
    but a suspension always needs a reason. The admin form calls this too."""
    if status not in PageStatus.values:
        raise ValidationError({"status": ValidationError(_("Trạng thái không hợp lệ."), code="invalid")})
    errors: dict[str, ValidationError] = {}
    if status == PageStatus.SUSPENDED and not reason.strip():
        errors["reason"] = ValidationError(_("Cần ghi lý do tạm dừng trang."), code="reason_required")
    if status != current and status not in PAGE_TRANSITIONS[current]:
        errors["status"] = ValidationError(
            _("Không thể chuyển trang từ “%(old)s” sang “%(new)s”.")
            % {"old": PageStatus(current).label, "new": PageStatus(status).label},
            code="transition",
        )
    if errors:
        raise ValidationError(errors)


def page_set_status(*, page: CommunityPage, status: str, by: User | None, reason: str = "") -> CommunityPage:
    """Move ``page`` to ``status`` and record it. A suspension needs a reason.

    Takes a row lock so two admins cannot both write history from the same old state. A move
    to the current state is a no-op (nothing recorded).
    """
    _require(by, Perm.ADMIN, page.unit)
    reason = reason.strip()
    with transaction.atomic():
        locked = CommunityPage.objects.select_for_update().get(pk=page.pk)
        page_status_check(current=locked.status, status=status, reason=reason)
        if locked.status == status:
            return locked
        now = timezone.now()
        PageStatusChange.objects.create(
            page=locked, from_status=locked.status, to_status=status, reason=reason, by=by, at=now
        )
        locked.status = status
        locked.status_changed_at = now
        locked.suspension_reason = reason if status == PageStatus.SUSPENDED else ""
        locked.save(update_fields=["status", "status_changed_at", "suspension_reason", "updated_at"])
    page.status, page.status_changed_at, page.suspension_reason = (
        locked.status, locked.status_changed_at, locked.suspension_reason,
    )
    return locked


def page_update(*, page: CommunityPage, by: User | None) -> CommunityPage:
    """Save the profile fields already set on ``page`` (status is not among them)."""
    _require(by, Perm.ADMIN, page.unit)
    page.save()
    return page


# --- posts ------------------------------------------------------------------------------------


def post_save(*, post: Post, by: User | None) -> Post:
    """Create or update a post's content. It stays in whatever state moderation gave it."""
    _require(by, Perm.EDIT, post.page.unit)
    if post.cover_id is not None and post.cover.unit_id != post.page.unit_id:
        raise ValidationError({"cover": _("Ảnh đại diện phải thuộc thư viện ảnh của chính đơn vị.")})
    created = post.pk is None
    if created:
        post.created_by = by
    post.updated_by = by
    # A second writer may take the same slug between our read and our insert: retry once with
    # the next free suffix rather than failing the editor's save.
    for attempt in range(2):
        try:
            with transaction.atomic():
                post.save()
            break
        except IntegrityError:
            if attempt:
                raise
            post.slug = ""
    if not created:
        # An edit after submission or approval goes back to review; moderation decides.
        from moderation.services import post_content_changed

        post_content_changed(post=post, by=by)
    return post


def post_document_attach(*, document: PostDocument, by: User | None) -> PostDocument:
    """Verify and store a document already assigned to ``document.file`` (an upload)."""
    _require(by, Perm.EDIT, document.post.unit)
    upload = document.file.file
    kind, size = detect_document_kind(upload)
    original = getattr(upload, "name", "") or document.file.name
    stem = vi_slugify(original.rsplit(".", 1)[0], max_length=80) or "tai-lieu"
    document.original_name = original.rsplit("/", 1)[-1]
    document.kind = kind
    document.size = size
    document.uploaded_by = by
    if not document.title:
        document.title = document.original_name.rsplit(".", 1)[0]
    # The stored name comes from the verified kind, so a PDF named "x.exe" is served as .pdf.
    document.file.save(f"{stem}.{kind}", upload, save=False)
    document.save()
    return document


# --- media ------------------------------------------------------------------------------------


def media_image_create(
    *,
    unit: OrgUnit,
    image: media.ProcessedImage,
    alt_text: str,
    credit: str,
    caption: str = "",
    by: User | None,
    name_hint: str = "",
) -> MediaImage:
    record = MediaImage(unit=unit, alt_text=alt_text, credit=credit, caption=caption)
    return media_image_store(record=record, image=image, by=by, name_hint=name_hint)


def media_image_store(
    *, record: MediaImage, image: media.ProcessedImage, by: User | None, name_hint: str = ""
) -> MediaImage:
    """Store a verified, metadata-free image into the unsaved ``record`` (unit, alt text and
    credit already set); renditions are made by a task after the commit."""
    _require(by, Perm.EDIT, record.unit)
    stem = vi_slugify(name_hint.rsplit(".", 1)[0], max_length=60) or "anh"
    record.width, record.height, record.uploaded_by = image.width, image.height, by
    record.full_clean(exclude=["file"])
    with transaction.atomic():
        record.file.save(f"{stem}.{image.extension}", ContentFile(image.content), save=False)
        record.save()
        transaction.on_commit(partial(_enqueue_renditions, record.pk))
    return record


#: Working-copy states whose content has been submitted or approved (an edit returns them to review).
REVIEWED_STATES = (PostStatus.SUBMITTED, PostStatus.APPROVED, PostStatus.SCHEDULED, PostStatus.PUBLISHED)


def media_image_update(*, image: MediaImage, by: User | None) -> MediaImage:
    """Save the descriptive fields (alt, caption, credit) already set on ``image``.

    The description of a cover is part of what was reviewed: posts under review or approved
    with it go back to review (live ones stay live with their approved text meanwhile).
    """
    _require(by, Perm.EDIT, image.unit)
    with transaction.atomic():
        image.save()
        covered = list(Post.objects.filter(cover=image, status__in=REVIEWED_STATES).only("pk"))
        if covered:
            from moderation.services import post_content_changed

            for post in covered:
                post_content_changed(post=post, by=by)
    return image


def _enqueue_renditions(image_id: int) -> None:
    from .tasks import make_renditions_task

    make_renditions_task.delay(image_id)


def media_image_make_renditions(*, image: MediaImage) -> list[Rendition]:
    """Make every missing rendition of ``image``. Safe to run twice or concurrently: existing
    ones are skipped and a lost race on the unique constraint discards our copy."""
    existing = set(image.renditions.values_list("width", "format"))
    wanted = [(w, f) for w in media.rendition_widths(image.width) for f in ("webp", "jpeg")]
    missing = [pair for pair in wanted if pair not in existing]
    if not missing:
        return list(image.renditions.all())
    with image.file.open("rb") as fh:
        source = fh.read()
    for width, fmt in missing:
        content, w, h = media.render(source, width=width, fmt=fmt)
        rendition = Rendition(image=image, width=w, height=h, format=fmt)
        rendition.file.save(f"{w}.{'jpg' if fmt == 'jpeg' else 'webp'}", ContentFile(content), save=False)
        try:
            with transaction.atomic():
                rendition.save()
        except IntegrityError:
            rendition.file.delete(save=False)
    return list(image.renditions.all())

