"""The regulation's configuration in the admin: central staff (superusers) only.

Nothing here is cached: the engine reads these tables on every review
(``moderation.rules.load_context``), so a saved change applies to the next submission.
"""

from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from .forms import RuleSettingForm
from .models import AllowedDomain, BannedTerm, RuleSetting


class CentralStaffOnlyMixin:
    """Unit staff must not see or tune the regulation, whatever model permissions they hold."""

    def _central(self, request: HttpRequest) -> bool:
        user = request.user
        return bool(user.is_active and user.is_staff and user.is_superuser)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self._central(request)

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        return self._central(request)

    def has_add_permission(self, request: HttpRequest, *args) -> bool:
        return self._central(request)

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return self._central(request)

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return self._central(request)


@admin.register(BannedTerm)
class BannedTermAdmin(CentralStaffOnlyMixin, admin.ModelAdmin):
    list_display = ["term", "category", "severity", "is_active", "updated_at"]
    list_filter = ["category", "severity", "is_active"]
    list_editable = ["is_active"]
    search_fields = ["term", "note"]
    fields = ["term", "category", "severity", "is_active", "note"]


@admin.register(AllowedDomain)
class AllowedDomainAdmin(CentralStaffOnlyMixin, admin.ModelAdmin):
    list_display = ["domain", "note", "is_active", "updated_at"]
    list_filter = ["is_active"]
    list_editable = ["is_active"]
    search_fields = ["domain", "note"]
    fields = ["domain", "note", "is_active"]


@admin.register(RuleSetting)
class RuleSettingAdmin(CentralStaffOnlyMixin, admin.ModelAdmin):
    form = RuleSettingForm
    list_display = ["code", "rule_label", "default_severity", "is_enabled", "severity", "updated_at"]
    list_filter = ["is_enabled", "severity"]
    list_editable = ["is_enabled", "severity"]
    search_fields = ["code", "note"]

    @admin.display(description=_("quy tắc"))
    def rule_label(self, obj: RuleSetting) -> str:
        return str(obj.rule.label) if obj.rule else _("(không còn trong hệ thống)")

    @admin.display(description=_("mức mặc định"))
    def default_severity(self, obj: RuleSetting) -> str:
        return obj.rule.default_severity.label if obj.rule else ""

from . import admin_queue  # noqa: E402, F401  (registers the workflow admins)
