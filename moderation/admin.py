"""The regulation's configuration in the admin: central staff (superusers) only.

A saved change applies to the next submission: each web process keeps these tables in memory
only under a version that every save or delete here (model signals, list-editable saves and
bulk deletes included) replaces in the shared cache (``moderation.rules.config_cache``).
"""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from orgunits.admin_scoping import SuperuserOnlyAdminMixin

from .forms import RuleSettingForm
from .models import AllowedDomain, BannedTerm, RuleSetting


@admin.register(BannedTerm)
class BannedTermAdmin(SuperuserOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["term", "category", "severity", "is_active", "updated_at"]
    list_filter = ["category", "severity", "is_active"]
    list_editable = ["is_active"]
    search_fields = ["term", "note"]
    fields = ["term", "category", "severity", "is_active", "note"]


@admin.register(AllowedDomain)
class AllowedDomainAdmin(SuperuserOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["domain", "note", "is_active", "updated_at"]
    list_filter = ["is_active"]
    list_editable = ["is_active"]
    search_fields = ["domain", "note"]
    fields = ["domain", "note", "is_active"]


@admin.register(RuleSetting)
class RuleSettingAdmin(SuperuserOnlyAdminMixin, admin.ModelAdmin):
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
