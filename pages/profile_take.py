"""After a reorganisation: a successor's page takes one predecessor's page profile.

Each dissolved predecessor keeps its page as history (its published posts stay there); the
successor's unit admin copies the profile of one of them into the successor's page
(``page_profile_take``), which leaves the predecessors' pages as they are. The admin's side
view is ``pages.admin_profile``.

Images are per unit: the page form accepts only the unit's own library (``pages.forms``), so a
predecessor's avatar or cover is copied into the successor's library (a new ``MediaImage`` with
the same bytes, already verified and stripped when first uploaded) rather than referenced; a
reference would make the next save of the successor's form fail.
"""

from __future__ import annotations

import io
import posixpath
from collections.abc import Sequence

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.text import capfirst
from django.utils.translation import gettext

from orgunits.models import OrgUnit
from orgunits.reorganise.history import unit_predecessors
from orgunits.roles import Perm
from orgunits.selectors import user_has_unit_perm

from . import media, services
from .models import CommunityPage, MediaImage

#: The profile, in the change form's order. Status and unit are not profile.
TEXT_FIELDS = ("display_name", "about", "address", "phone", "email", "zalo_url", "facebook_url")
IMAGE_FIELDS = ("avatar", "cover")
PROFILE_FIELDS = ("display_name", "about", "avatar", "cover", *TEXT_FIELDS[2:])


def predecessor_pages(unit: OrgUnit) -> list[CommunityPage]:
    """The pages of the dissolved units whose successor is ``unit``, by unit name, with their
    images. No query for a unit that never took any over, two otherwise."""
    predecessors = unit_predecessors(unit)
    if not predecessors:
        return []
    return list(
        CommunityPage.objects.filter(unit__in=predecessors)
        .select_related("unit", "avatar", "cover")
        .order_by("unit__name", "pk")
    )


def _image_copy(image: MediaImage, *, unit: OrgUnit) -> MediaImage:
    """A copy of ``image`` in ``unit``'s library. The bytes were verified and re-encoded when
    first uploaded, so they are stored as they are (no second lossy re-encoding); renditions
    are made after the commit like any upload's."""
    try:
        with image.file.open("rb") as fh:
            content = fh.read()
    except OSError as exc:
        raise ValidationError(
            gettext("Không đọc được tệp ảnh “%(alt)s” của trang cũ.") % {"alt": image.alt_text},
            code="image_missing",
        ) from exc
    name = posixpath.basename(image.file.name)
    by_extension = {ext: fmt for fmt, (ext, _type) in media.FORMATS.items()}
    fmt = by_extension.get(name.rsplit(".", 1)[-1].lower())
    processed = (
        media.ProcessedImage(content=content, format=fmt, width=image.width, height=image.height)
        if fmt
        else media.process_image(io.BytesIO(content))
    )
    record = MediaImage(unit=unit, alt_text=image.alt_text, credit=image.credit, caption=image.caption)
    # by=None: the caller checked the admin role on ``unit``; a unit admin need not be an editor.
    return services.media_image_store(record=record, image=processed, by=None, name_hint=name)


def _same_image(a: MediaImage, b: MediaImage) -> bool:
    """Whether ``a`` is ``b`` or a copy of it; the bytes are read only when the rest matches."""
    if a.pk == b.pk:
        return True
    if (a.alt_text, a.credit, a.width, a.height, a.file.size) != (
        b.alt_text,
        b.credit,
        b.width,
        b.height,
        b.file.size,
    ):
        return False
    with a.file.open("rb") as fa, b.file.open("rb") as fb:
        return fa.read() == fb.read()


def field_label(name: str) -> str:
    return capfirst(str(CommunityPage._meta.get_field(name).verbose_name))


def _shown(page: CommunityPage, name: str) -> str:
    if name in IMAGE_FIELDS:
        image = getattr(page, name)
        return f"#{image.pk} “{image.alt_text}”" if image is not None else "—"
    return f"“{getattr(page, name)}”"


def page_profile_take(
    *, page: CommunityPage, source: CommunityPage, fields: Sequence[str], by: AbstractBaseUser
) -> list[tuple[str, str, str]]:
    """Copy ``fields`` (names from ``PROFILE_FIELDS``) of ``source``, the page of a dissolved
    predecessor of ``page``'s unit, into ``page``; ``source`` is not changed. Returns the
    changes as (field label, old, new), old and new written out in full, for the history.

    Raises ``PermissionDenied`` unless ``by`` holds the admin role on ``page``'s unit, and
    ``ValidationError`` if ``source`` is not a predecessor's page or a copied value is no
    longer valid. Caller runs it inside a transaction (the images copied go with it).
    """
    if not user_has_unit_perm(user=by, perm=Perm.ADMIN, unit=page.unit):
        raise PermissionDenied(gettext("Bạn không có quyền trên đơn vị này."))
    if source.unit.is_active or source.unit.successor_id != page.unit_id:
        raise ValidationError(
            gettext("Trang đã chọn không phải của đơn vị cũ của đơn vị này."), code="not_predecessor"
        )
    unknown = set(fields) - set(PROFILE_FIELDS)
    if unknown:
        raise ValidationError(f"Unknown profile fields: {sorted(unknown)}")
    # Only the page's row is locked (PostgreSQL refuses FOR UPDATE on the images' outer joins).
    locked = (
        CommunityPage.objects.select_for_update(of=("self",))
        .select_related("unit", "avatar", "cover")
        .get(pk=page.pk)
    )
    changes: list[tuple[str, str, str]] = []
    for name in PROFILE_FIELDS:
        if name not in fields:
            continue
        label = field_label(name)
        if name in IMAGE_FIELDS:
            image = getattr(source, name)
            current = getattr(locked, name)
            if image is None and current is None:
                continue
            old = _shown(locked, name)
            if image is not None and current is not None and _same_image(current, image):
                continue  # taken before: no second copy in the library
            if image is not None and image.unit_id != locked.unit_id:
                image = _image_copy(image, unit=locked.unit)
                new = gettext("%(image)s (bản sao của ảnh #%(source)d)") % {
                    "image": f"#{image.pk} “{image.alt_text}”",
                    "source": getattr(source, name).pk,
                }
            else:
                new = f"#{image.pk} “{image.alt_text}”" if image is not None else "—"
            if image == current:
                continue
            setattr(locked, name, image)
            changes.append((label, old, new))
        else:
            value = getattr(source, name)
            if value == getattr(locked, name):
                continue
            old = _shown(locked, name)
            setattr(locked, name, value)
            changes.append((label, old, _shown(locked, name)))
    if changes:
        # The predecessor's values passed the same validators once; rules may have tightened.
        locked.full_clean(exclude=[f.name for f in CommunityPage._meta.fields if f.name not in TEXT_FIELDS])
        services.page_update(page=locked, by=by)
    return changes
