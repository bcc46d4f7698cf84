"""After a reorganisation: the successor's unit admin keeps one predecessor's page profile.

The successor unit has one page; each dissolved predecessor keeps its own as history (its
published posts stay there). This admin side view, on the successor page's change form, shows
the predecessors' profiles next to the successor's and copies the chosen one's fields into the
successor's page. The predecessors' pages are left as they are.

Who may: exactly those ``CommunityPageAdmin.has_change_permission(request, page)`` allows (the
unit admin role on the successor's unit or above, directly or through a group). Someone who
may open the page but not change it (an editor of the unit) gets 403; anyone else 404, as for
the change form itself.

Images are per unit: the change form accepts only the unit's own library (``pages.forms``), so
a predecessor's avatar or cover is copied into the successor's library (a new ``MediaImage``
with the same bytes, already verified and stripped when first uploaded) rather than
referenced; a reference would make the next save of the successor's form fail.

The successor's previous values go into the admin history (a ``LogEntry`` listing every
field's old and new value), so a wrong choice can be undone by hand.
"""

from __future__ import annotations

import io
import posixpath
from collections.abc import Sequence

from django import forms
from django.contrib import messages
from django.contrib.admin.utils import unquote
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.utils.text import capfirst
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

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

URL_NAME = "pages_communitypage_profile_take"


# --- reads -----------------------------------------------------------------------------------


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


def profile_take_url(model_admin, request: HttpRequest, page: CommunityPage) -> str | None:
    """The link for the change form, when the user may change ``page`` and its unit has
    predecessors with pages; ``None`` otherwise (no query for a unit without predecessors)."""
    if not page.unit.has_predecessors or not model_admin.has_change_permission(request, page):
        return None
    if not predecessor_pages(page.unit):
        return None
    return reverse(f"admin:{URL_NAME}", args=[page.pk])


# --- the write -------------------------------------------------------------------------------


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


def _label(name: str) -> str:
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
        label = _label(name)
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


# --- the admin view --------------------------------------------------------------------------


class ProfileTakeForm(forms.Form):
    source = forms.TypedChoiceField(label=_("Lấy hồ sơ của trang"), coerce=int, widget=forms.RadioSelect)
    take = forms.MultipleChoiceField(
        label=_("Các mục sẽ lấy"),
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Mặc định lấy toàn bộ hồ sơ. Mục trống ở trang cũ sẽ làm trống mục đó ở trang này."),
        error_messages={"required": _("Hãy chọn ít nhất một mục.")},
    )

    def __init__(self, *args, sources: Sequence[CommunityPage], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["source"].choices = [(p.pk, p.name) for p in sources]
        self.fields["source"].error_messages.update(
            required=_("Hãy chọn trang có hồ sơ muốn giữ."),
            invalid_choice=_("Trang đã chọn không phải của đơn vị cũ của đơn vị này."),
        )
        self.fields["take"].choices = [(name, _label(name)) for name in PROFILE_FIELDS]
        self.fields["take"].initial = list(PROFILE_FIELDS)


def profile_take_view(model_admin, request: HttpRequest, object_id: str) -> HttpResponse:
    """GET: the predecessors' profiles beside the successor's; POST: copy the chosen one."""
    object_id = unquote(object_id)
    # The admin's own queryset: 404 outside the user's scope, as on the change form.
    page = (
        model_admin.get_queryset(request)
        .select_related("unit", "avatar", "cover")
        .filter(pk=int(object_id) if object_id.isdigit() else None)
        .first()
    )
    if page is None:
        raise Http404("No such page.")
    if not model_admin.has_change_permission(request, page):
        raise PermissionDenied
    sources = predecessor_pages(page.unit)
    if not sources:
        raise Http404("This unit took over no unit with a page.")
    change_url = reverse("admin:pages_communitypage_change", args=[page.pk])
    form = ProfileTakeForm(request.POST if request.method == "POST" else None, sources=sources)
    if request.method == "POST" and form.is_valid():
        source = next(p for p in sources if p.pk == form.cleaned_data["source"])
        try:
            with transaction.atomic():
                changes = page_profile_take(
                    page=page, source=source, fields=form.cleaned_data["take"], by=request.user
                )
                if changes:
                    model_admin.log_change(request, page, _history_message(source, changes))
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            if changes:
                model_admin.message_user(
                    request,
                    gettext(
                        "Đã lấy hồ sơ từ trang “%(source)s” (%(n)d mục thay đổi). Giá trị cũ được ghi trong lịch sử "
                        "thay đổi của trang."
                    )
                    % {"source": source.name, "n": len(changes)},
                    messages.SUCCESS,
                )
            else:
                model_admin.message_user(
                    request,
                    gettext("Không có gì thay đổi: hồ sơ đã giống trang “%(source)s”.")
                    % {"source": source.name},
                    messages.INFO,
                )
            return HttpResponseRedirect(change_url)
    opts = model_admin.opts
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": opts,
        "original": page,
        "title": gettext("Lấy hồ sơ từ trang của đơn vị cũ"),
        "subtitle": page.name,
        "form": form,
        "change_url": change_url,
        "columns": [_column(page, current=True), *(_column(p, current=False) for p in sources)],
        "chosen_source": str(form["source"].value() or ""),
    }
    response = TemplateResponse(request, "admin/pages/communitypage/profile_take.html", context)
    add_never_cache_headers(response)
    return response


def _column(page: CommunityPage, *, current: bool) -> dict:
    """One page's profile for the comparison table; values stay raw, the template escapes."""
    return {
        "page": page,
        "current": current,
        "unit": page.unit,
        "rows": [
            (name, CommunityPage._meta.get_field(name).verbose_name, getattr(page, name))
            for name in PROFILE_FIELDS
        ],
    }


def _history_message(source: CommunityPage, changes: list[tuple[str, str, str]]) -> str:
    """Plain text (the history page escapes it), every old value in full."""
    head = gettext("Lấy hồ sơ từ trang “%(source)s” (%(unit)s, trang #%(pk)d).") % {
        "source": source.name,
        "unit": source.unit.name,
        "pk": source.pk,
    }
    return " ".join([head, *(f"{label}: {old} → {new}." for label, old, new in changes)])
