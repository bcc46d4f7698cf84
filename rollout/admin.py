"""Admin for documents (editors of the issuing unit) and targets (super-admins)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from orgunits.admin_scoping import UnitScopedAdminMixin
from orgunits.roles import Perm
from pages.models import CommunityPage
from pages.selectors import pages_writable_by
from vietfront.text import search_key

from . import services
from .forms import OfficialDocumentAdminForm
from .models import OfficialDocument, RolloutTarget


@admin.register(OfficialDocument)
class OfficialDocumentAdmin(UnitScopedAdminMixin, admin.ModelAdmin):
    """A document and its post, edited together; saved through ``rollout.services``. Submitting
    and approving happen on the post, as for any post (the action below submits)."""

    form = OfficialDocumentAdminForm
    unit_lookup = "post__unit"
    list_display = ("number", "title", "kind", "issued_on", "unit", "post_status", "post_link")
    list_select_related = ("post", "unit")
    list_filter = ("kind", "addressed_to_kind", "post__status", "issued_on")  # not date_hierarchy: see the post list
    search_fields = ("number", "post__title")
    actions = ["submit_for_approval"]
    fieldsets = (
        (_("Số, ký hiệu và loại"), {"fields": ("page", "number", "kind", "issued_on", "addressed_to_kind")}),
        (_("Nội dung công bố"), {"fields": ("title", "summary", "body", "topic")}),
        (_("Nguồn tin"), {"fields": ("source_kind", "source_name", "source_url")}),
        (_("Tệp văn bản"), {"fields": ("upload",)}),
    )

    def get_object(self, request: HttpRequest, object_id: str, from_field: str | None = None):
        obj = super().get_object(request, object_id, from_field)
        if obj is None:
            raise Http404("No such object.")
        return obj

    def get_form(self, request: HttpRequest, obj: OfficialDocument | None = None, change: bool = False, **kwargs: Any):
        kwargs["fields"] = ["number", "kind", "issued_on", "addressed_to_kind"]
        base = super().get_form(request, obj, change=change, **kwargs)
        pages = (
            CommunityPage.objects.select_related("unit")
            if request.user.is_superuser
            else pages_writable_by(user=request.user, perm=Perm.EDIT).select_related("unit")
        )

        class ScopedForm(base):  # type: ignore[misc, valid-type]
            def __init__(self, *args: Any, **inner: Any) -> None:
                inner.setdefault("pages", pages)
                super().__init__(*args, **inner)

        return ScopedForm

    def get_search_results(self, request: HttpRequest, queryset: QuerySet, search_term: str):
        """Without tone marks too: "huong dan" finds "Hướng dẫn"."""
        qs, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        key = search_key(search_term)
        if key:
            qs = qs | queryset.filter(number_key__contains=key) | queryset.filter(post__search_text__contains=key)
        return qs, may_have_duplicates

    def save_model(self, request: HttpRequest, obj: OfficialDocument, form: OfficialDocumentAdminForm, change: bool) -> None:
        services.official_document_save(
            document=obj, post=form.post_for_save(), by=request.user, upload=form.cleaned_data.get("upload"),
        )

    def has_delete_permission(self, request: HttpRequest, obj: OfficialDocument | None = None) -> bool:
        # A document under review or public leaves through moderation (withdraw, take down).
        if obj is not None and obj.post.status in services.FROZEN_POST_STATES:
            return False
        return super().has_delete_permission(request, obj)

    @admin.display(description=_("trạng thái bài"))
    def post_status(self, obj: OfficialDocument) -> str:
        return obj.post.get_status_display()

    @admin.display(description=_("trích yếu"))
    def title(self, obj: OfficialDocument) -> str:
        return obj.post.title

    @admin.display(description=_("bài viết"))
    def post_link(self, obj: OfficialDocument) -> str:
        return format_html('<a href="{}">{}</a>', reverse("admin:pages_post_change", args=[obj.post_id]), _("mở bài viết"))

    @admin.action(description=_("Gửi duyệt các văn bản đã chọn"))
    def submit_for_approval(self, request: HttpRequest, queryset: QuerySet) -> None:
        from moderation.services import post_submit

        done = 0
        for document in queryset.select_related("post__unit"):
            try:
                post_submit(post=document.post, by=request.user)
                done += 1
            except (ValidationError, PermissionDenied) as exc:
                for message in getattr(exc, "messages", [str(exc)]):
                    self.message_user(request, f"{document.number}: {message}", messages.ERROR)
        if done:
            self.message_user(request, _("Đã gửi duyệt %(n)s văn bản.") % {"n": done}, messages.SUCCESS)


@admin.register(RolloutTarget)
class RolloutTargetAdmin(admin.ModelAdmin):
    """Targets are national policy: super-admins edit them; nobody else sees this admin."""

    list_display = ("name", "unit_kind", "condition", "days", "target_percent", "scope", "is_active", "order")
    list_editable = ("target_percent", "is_active", "order")
    raw_id_fields = ("scope",)

    def _superuser(self, request: HttpRequest) -> bool:
        return request.user.is_active and request.user.is_superuser

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self._superuser(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._superuser(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return self._superuser(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._superuser(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._superuser(request)
