"""Admin for roles on units: grant and revoke through the services, and the read-only log.

A grant row is never edited: changing a role is a revoke and a new grant, each logged. Unit
admins see and manage only grants on their subtree, and the form offers them only those units.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from vietfront.people import full_name

from .admin_scoping import UnitScopedAdminMixin
from .forms import RoleGrantForm
from .models import OrgUnit, OrgUnitUserObjectPermission, RoleGrantLog
from .roles import ROLE_PERMISSION, Perm, Role
from .selectors import units_for_user
from .services import role_grant, role_revoke
from .services.roles import role_from_codename

ROLE_FIELDS = ["user_label", "role_label", "unit_label"]


def _role_label(codename: str) -> str:
    role = role_from_codename(codename)
    return role.label if role is not None else codename


class RoleFilter(admin.SimpleListFilter):
    title = _("vai trò")
    parameter_name = "role"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return list(Role.choices)

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() in ROLE_PERMISSION:
            return queryset.filter(permission__codename=ROLE_PERMISSION[self.value()])
        return queryset


@admin.register(OrgUnitUserObjectPermission)
class RoleGrantAdmin(UnitScopedAdminMixin, admin.ModelAdmin):
    """ "Phân quyền": the role grants of users, limited to the three role permissions."""

    unit_lookup = "content_object"
    view_perm = Perm.ADMIN
    change_perm = Perm.ADMIN
    list_display = ROLE_FIELDS
    list_filter = [RoleFilter]
    search_fields = [
        "user__username",
        "user__first_name",
        "user__last_name",
        "content_object__name",
        "content_object__code",
    ]
    list_per_page = 100

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return (
            super()
            .get_queryset(request)
            .filter(
                permission__content_type__app_label="orgunits",
                permission__codename__in=ROLE_PERMISSION.values(),
            )
            .select_related("user", "permission", "content_object")
            .order_by("content_object__tree_id", "content_object__lft", "user__username")
        )

    # --- columns -----------------------------------------------------------------------------
    @admin.display(description=_("người được phân quyền"), ordering="user__username")
    def user_label(self, obj: OrgUnitUserObjectPermission) -> str:
        full = full_name(obj.user)  # "Họ Tên", Vietnamese order
        return f"{full} ({obj.user.username})" if full != obj.user.username else full

    @admin.display(description=_("vai trò"))
    def role_label(self, obj: OrgUnitUserObjectPermission) -> str:
        return _role_label(obj.permission.codename)

    @admin.display(description=_("đơn vị"))
    def unit_label(self, obj: OrgUnitUserObjectPermission) -> str:
        unit = obj.content_object
        return f"{unit.name} ({unit.code})" if unit.code else unit.name

    # --- forms: add through the service; an existing grant is only viewed or revoked ---------
    def get_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return ["username", "role", "unit"] if obj is None else ROLE_FIELDS

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [] if obj is None else ROLE_FIELDS

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any):
        if obj is not None:
            kwargs["form"] = forms.ModelForm
            return super().get_form(request, obj, change=change, **kwargs)
        kwargs["form"] = RoleGrantForm
        base = super().get_form(request, obj, change=change, **kwargs)
        granter = request.user
        units = (
            OrgUnit.objects.all() if granter.is_superuser else units_for_user(user=granter, perm=Perm.ADMIN)
        )

        class GranterRoleGrantForm(base):  # type: ignore[misc, valid-type]
            def __init__(self, *args: Any, **kw: Any) -> None:
                super().__init__(*args, granter=granter, units=units, **kw)

        return GranterRoleGrantForm

    def formfield_for_foreignkey(self, db_field, request: HttpRequest, **kwargs: Any):
        # The unit picker's choices (``admin_autocomplete``): roles go on active units only.
        formfield = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name == "content_object":
            formfield.queryset = formfield.queryset.filter(is_active=True)
        return formfield

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(
        self, request: HttpRequest, obj: OrgUnitUserObjectPermission, form: Any, change: bool
    ) -> None:
        data = form.cleaned_data
        user, unit = data["username"], data["unit"]
        created = role_grant(user=user, role=data["role"], unit=unit, by=request.user)
        grant = OrgUnitUserObjectPermission.objects.get(
            user=user,
            permission__content_type__app_label="orgunits",
            permission__codename=ROLE_PERMISSION[data["role"]],
            content_object=unit,
        )
        # The admin's add view goes on to log and redirect with ``obj``: make it the real row.
        obj.pk, obj.user, obj.permission, obj.content_object = grant.pk, user, grant.permission, unit
        if not created:
            self.message_user(request, _("Người dùng đã có vai trò này tại đơn vị này."), messages.WARNING)

    def delete_model(self, request: HttpRequest, obj: OrgUnitUserObjectPermission) -> None:
        role_revoke(
            user=obj.user,
            role=role_from_codename(obj.permission.codename),
            unit=obj.content_object,
            by=request.user,
        )

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet) -> None:
        for grant in queryset.select_related("user", "permission", "content_object"):
            self.delete_model(request, grant)


@admin.register(RoleGrantLog)
class RoleGrantLogAdmin(UnitScopedAdminMixin, admin.ModelAdmin):
    """Read-only: the log is append-only and written by the services alone."""

    unit_lookup = "unit"
    view_perm = Perm.ADMIN
    change_perm = Perm.ADMIN
    list_display = ["at", "action", "role_label", "user_label", "unit_label", "actor_label"]
    list_filter = ["action", "at"]
    search_fields = ["user__username", "actor__username", "unit__name", "unit__code"]
    list_select_related = ["user", "group", "unit", "actor"]
    list_per_page = 100

    @admin.display(description=_("vai trò"), ordering="role")
    def role_label(self, obj: RoleGrantLog) -> str:
        return _role_label(ROLE_PERMISSION.get(obj.role, obj.role))

    @admin.display(description=_("người được phân quyền"), ordering="user__username")
    def user_label(self, obj: RoleGrantLog) -> str:
        # Grants carried by a reorganisation may be a group's.
        return obj.user.username if obj.user_id else obj.group.name

    @admin.display(description=_("đơn vị"), ordering="unit__name")
    def unit_label(self, obj: RoleGrantLog) -> str:
        return obj.unit.name

    @admin.display(description=_("người thực hiện"), ordering="actor__username")
    def actor_label(self, obj: RoleGrantLog) -> str:
        return obj.actor.username if obj.actor else _("quản trị hệ thống (dòng lệnh)")

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
