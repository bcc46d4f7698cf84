"""Admin for the unit tree: an indented, paginated list; every write goes through services.

The tree is large (some 11,000 units) and written rarely: no drag-and-drop that rewrites
``lft``/``rght`` on every drop; renames, moves and dissolutions are explicit service calls that
keep redirects and take the tree lock.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest
from django.urls import path
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from mptt.admin import MPTTModelAdmin

from vietfront.text import search_key

from . import admin_roles  # noqa: F401  (registers the role admin)
from .admin_autocomplete import SourceScopedAutocompleteMixin
from .admin_scoping import SuperuserOnlyAdminMixin, UnitScopedAdminMixin
from .models import GrantReview, OrgUnit, OrgUnitRedirect, UnitImport, UnitKind
from .reorganise import decisions
from .reorganise.admin_views import single_change_view
from .reorganise.single import OPERATION_TITLES
from .roles import Perm
from .services import (
    unit_create,
    unit_dissolve,
    unit_move,
    unit_move_check,
    unit_parent_check,
    unit_rename,
)


class ProvinceFilter(admin.SimpleListFilter):
    title = _("tỉnh, thành phố")
    parameter_name = "province"

    def lookups(self, request, model_admin):
        provinces = model_admin.get_queryset(request).filter(kind=UnitKind.PROVINCE).order_by("-is_active", "code")
        return [(p.pk, p.name if p.is_active else f"{p.name} ({_('đã sáp nhập')})") for p in provinces.only("pk", "name", "is_active")]

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        province = OrgUnit.objects.filter(pk=self.value(), kind=UnitKind.PROVINCE).first()
        if province is None:
            return queryset.none()
        return queryset.in_subtree(province)


class OrgUnitForm(forms.ModelForm):
    class Meta:
        model = OrgUnit
        fields = ["name", "short_name", "kind", "code", "parent"]

    def clean(self) -> dict:
        """The services' own placement checks, so a refused parent shows on the form with what
        was typed kept, rather than as a server error from ``save_model``."""
        data = super().clean()
        parent = data.get("parent")
        try:
            if self.instance.pk is None:
                if data.get("kind"):
                    unit_parent_check(kind=data["kind"], parent=parent)
            elif parent is None and self.instance.parent_id is not None:
                # Clearing the parent would make a second root; the services never move there.
                unit_parent_check(kind=self.instance.kind, parent=None)
            elif parent is not None and parent.pk != self.instance.parent_id:
                unit_move_check(unit=self.instance, new_parent=parent)
        except ValidationError as exc:
            self.add_error("parent", exc)
        return data


@admin.register(OrgUnit)
class OrgUnitAdmin(SourceScopedAutocompleteMixin, UnitScopedAdminMixin, MPTTModelAdmin):
    """Unit admins see their subtree; only super-admins at the centre change the tree."""

    unit_lookup = ""
    view_perm = Perm.ADMIN
    change_perm = Perm.ADMIN
    form = OrgUnitForm
    mptt_level_indent = 18
    list_display = ["name", "kind", "code", "public_link", "is_active", "dissolved_on"]
    list_filter = ["kind", "is_active", ProvinceFilter]
    search_fields = ["name", "code", "short_name"]
    list_select_related = False
    autocomplete_fields = ["parent"]
    readonly_fields = ["path", "successor", "is_active", "dissolved_on", "created_at", "updated_at"]
    actions = ["dissolve_selected"]
    change_form_template = "admin/orgunits/orgunit/change_form.html"

    def get_queryset(self, request: HttpRequest):
        return super().get_queryset(request).order_by("tree_id", "lft")

    def get_urls(self):
        """Rename, move, merge, split and dissolve as one-operation plans (``reorganise.single``)."""
        view = self.admin_site.admin_view(self.single_change)
        return [
            path("<path:object_id>/reorganise/<slug:operation>/", view, name="orgunits_orgunit_reorganise"),
            *super().get_urls(),
        ]

    def single_change(self, request: HttpRequest, object_id: str, operation: str):
        return single_change_view(self, request, object_id, operation)

    def change_view(self, request: HttpRequest, object_id: str, form_url: str = "", extra_context=None):
        extra = {**(extra_context or {})}
        if self._is_super(request):
            extra["reorganise_operations"] = list(OPERATION_TITLES.items())
        return super().change_view(request, object_id, form_url, extra_context=extra)

    def get_search_results(self, request: HttpRequest, queryset, search_term: str):
        """Without tone marks too, from the stored key: "van mieu" finds "Phường Văn Miếu"."""
        qs, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        key = search_key(search_term)
        if key:
            qs = qs | queryset.filter(search_name__contains=key)
        return qs, may_have_duplicates

    @admin.display(description=_("trang công khai"))
    def public_link(self, obj: OrgUnit) -> str:
        return format_html('<a href="{}">/{}</a>', obj.get_absolute_url(), obj.path)

    def _is_super(self, request: HttpRequest) -> bool:
        return request.user.is_active and request.user.is_superuser

    def has_add_permission(self, request: HttpRequest, *args) -> bool:
        return self._is_super(request)

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return self._is_super(request)

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        # Units are dissolved, never deleted: their posts and history must survive.
        return False

    def get_readonly_fields(self, request: HttpRequest, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None:
            fields += ["kind", "code"]
        return fields

    def save_model(self, request: HttpRequest, obj: OrgUnit, form, change: bool) -> None:
        data = form.cleaned_data
        if not change:
            created = unit_create(
                name=data["name"],
                short_name=data.get("short_name", ""),
                kind=data["kind"],
                code=data.get("code", ""),
                parent=data.get("parent"),
            )
            obj.pk = created.pk
            return
        current = OrgUnit.objects.get(pk=obj.pk)
        if data.get("parent") and data["parent"].pk != current.parent_id:
            unit_move(unit=current, new_parent=data["parent"])
        if data["name"] != current.name or data.get("short_name", "") != current.short_name:
            unit_rename(unit=current, name=data["name"], short_name=data.get("short_name", ""))

    @admin.action(description=_("Giải thể các đơn vị đã chọn (hôm nay)"))
    def dissolve_selected(self, request: HttpRequest, queryset) -> None:
        if not self._is_super(request):
            self.message_user(request, _("Bạn không có quyền giải thể đơn vị."), messages.ERROR)
            return
        done = 0
        for unit in queryset.order_by("-level"):
            try:
                unit_dissolve(unit=unit, on=timezone.localdate())
                done += 1
            except ValidationError as exc:
                self.message_user(request, "; ".join(exc.messages), messages.ERROR)
        if done:
            self.message_user(request, _("Đã giải thể %(n)d đơn vị.") % {"n": done}, messages.SUCCESS)


@admin.register(OrgUnitRedirect)
class OrgUnitRedirectAdmin(UnitScopedAdminMixin, admin.ModelAdmin):
    unit_lookup = "unit"
    view_perm = Perm.ADMIN
    change_perm = Perm.ADMIN
    list_display = ["old_path", "unit", "created_at"]
    search_fields = ["old_path", "unit__name"]
    list_select_related = ["unit"]
    raw_id_fields = ["unit"]

    def has_add_permission(self, request, *args):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(UnitImport)
class UnitImportAdmin(SuperuserOnlyAdminMixin, admin.ModelAdmin):
    """The record of imports: read-only, written by ``import_units`` alone."""

    list_display = ["structure", "started_at", "created", "updated", "dissolved", "unchanged"]

    def has_add_permission(self, request, *args):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(GrantReview)
class GrantReviewAdmin(SuperuserOnlyAdminMixin, admin.ModelAdmin):
    """Grants a reorganisation left on dissolved units because carrying them would widen them:
    the centre's super admins carry each to its successor or end it (actions)."""

    list_display = ["holder", "role", "unit", "successor", "reason", "created_at", "decided_at"]
    list_filter = ["reason", ("decided_at", admin.EmptyFieldListFilter)]
    list_select_related = ["unit", "successor", "user", "group"]
    search_fields = ["user__username", "group__name", "unit__name"]
    actions = ["carry_to_successor", "end_grant"]
    ordering = ["decided_at", "-created_at", "pk"]

    @admin.display(description=_("người hoặc nhóm giữ quyền"))
    def holder(self, obj: GrantReview) -> str:
        return obj.user.username if obj.user_id else _("nhóm %(name)s") % {"name": obj.group.name}

    def has_add_permission(self, request, *args):
        return False

    def has_change_permission(self, request, obj=None):
        return obj is None and self._is_superuser(request)  # the actions; no edit form

    def has_delete_permission(self, request, obj=None):
        return False

    def _decide(self, request: HttpRequest, queryset, decision: str, done: str) -> None:
        n, refused = 0, []
        for review in queryset.filter(decided_at__isnull=True):
            try:
                decisions.grant_review_decide(review=review, decision=decision, by=request.user)
                n += 1
            except (ValidationError, PermissionDenied) as exc:
                refused.append(f"{review.unit.name}: {' '.join(getattr(exc, 'messages', [str(exc)]))}")
        if n:
            self.message_user(request, done % {"n": n}, messages.SUCCESS)
        for message in refused:
            self.message_user(request, message, messages.ERROR)

    @admin.action(description=_("Chuyển quyền sang đơn vị kế thừa"))
    def carry_to_successor(self, request: HttpRequest, queryset) -> None:
        self._decide(request, queryset, decisions.MOVE, str(_("Đã chuyển %(n)d quyền sang đơn vị kế thừa.")))

    @admin.action(description=_("Kết thúc quyền"))
    def end_grant(self, request: HttpRequest, queryset) -> None:
        self._decide(request, queryset, decisions.END, str(_("Đã kết thúc %(n)d quyền.")))
