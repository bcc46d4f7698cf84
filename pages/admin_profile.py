"""After a reorganisation: the successor's unit admin keeps one predecessor's page profile.

The successor unit has one page; each dissolved predecessor keeps its own as history (its
published posts stay there). This admin side view, on the successor page's change form, shows
the predecessors' profiles next to the successor's and copies the chosen one's fields into the
successor's page. The predecessors' pages are left as they are.

Who may: exactly those ``CommunityPageAdmin.has_change_permission(request, page)`` allows (the
unit admin role on the successor's unit or above, directly or through a group). Someone who
may open the page but not change it (an editor of the unit) gets 403; anyone else 404, as for
the change form itself.

The copy itself, images included, is ``pages.profile_take.page_profile_take``.

The successor's previous values go into the admin history (a ``LogEntry`` listing every
field's old and new value), so a wrong choice can be undone by hand.
"""

from __future__ import annotations

from collections.abc import Sequence

from django import forms
from django.contrib import messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .models import CommunityPage
from .profile_take import PROFILE_FIELDS, field_label, page_profile_take, predecessor_pages

URL_NAME = "pages_communitypage_profile_take"


# --- the change form's link ----------------------------------------------------------------


def profile_take_url(model_admin, request: HttpRequest, page: CommunityPage) -> str | None:
    """The link for the change form, when the user may change ``page`` and its unit has
    predecessors with pages; ``None`` otherwise (no query for a unit without predecessors)."""
    if not page.unit.has_predecessors or not model_admin.has_change_permission(request, page):
        return None
    if not predecessor_pages(page.unit):
        return None
    return reverse(f"admin:{URL_NAME}", args=[page.pk])


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
        self.fields["take"].choices = [(name, field_label(name)) for name in PROFILE_FIELDS]
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
