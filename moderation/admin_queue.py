"""The approvers' queue: what awaits the user's decision in their subtree, oldest first.

Decisions (approve, send back, take down) go through ``moderation.services``; this module only
renders and dispatches.
"""

from __future__ import annotations

import difflib

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.cache import add_never_cache_headers
from django.utils.html import strip_tags
from django.utils.translation import gettext_lazy as _

from orgunits.admin_scoping import UnitScopedAdminMixin
from orgunits.models import UnitKind
from orgunits.roles import Perm

from . import services
from .models import ApprovalRoute, AuditEntry, Revision, Submission, TakedownRequest


class UnitKindFilter(admin.SimpleListFilter):
    title = _("cấp đơn vị")
    parameter_name = "unit_kind"

    def lookups(self, request, model_admin):
        return UnitKind.choices

    def queryset(self, request, queryset):
        return queryset.filter(post__unit__kind=self.value()) if self.value() else queryset


class StateFilter(admin.SimpleListFilter):
    """Pending by default: the queue is what awaits a decision."""

    title = _("trạng thái")
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [*Submission.State.choices, ("all", _("Tất cả"))]

    def choices(self, changelist):
        for value, label in self.lookup_choices:
            yield {
                "selected": (self.value() or Submission.State.PENDING) == value,
                "query_string": changelist.get_query_string({self.parameter_name: value}),
                "display": label,
            }

    def queryset(self, request, queryset):
        value = self.value() or Submission.State.PENDING
        return queryset if value == "all" else queryset.filter(state=value)


def _text(content: dict) -> list[str]:
    body = strip_tags(content.get("body", "")).replace("\r", "")
    return [content.get("title", ""), "", content.get("summary", ""), "", *body.split("\n")]


@admin.register(Submission)
class SubmissionQueueAdmin(UnitScopedAdminMixin, admin.ModelAdmin):
    unit_lookup = "approving_unit"
    view_perm = Perm.APPROVE
    change_perm = Perm.APPROVE
    list_display = ["title", "unit", "topic", "submitted_at", "warnings", "submitted_by", "state"]
    list_filter = [StateFilter, UnitKindFilter, "post__topic", "approving_unit__kind"]
    search_fields = ["revision__post__title", "post__unit__name"]
    list_select_related = ["revision", "post__unit", "post__topic", "submitted_by"]
    ordering = ["submitted_at", "pk"]
    list_per_page = 50

    def has_add_permission(self, request: HttpRequest, *args) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    @admin.display(description=_("tiêu đề"))
    def title(self, obj: Submission) -> str:
        return obj.revision.title

    @admin.display(description=_("đơn vị"))
    def unit(self, obj: Submission) -> str:
        return obj.post.unit.name

    @admin.display(description=_("chủ đề"))
    def topic(self, obj: Submission) -> str:
        return obj.post.topic.name if obj.post.topic_id else "—"

    @admin.display(description=_("cảnh báo"))
    def warnings(self, obj: Submission) -> int:
        return len(obj.warning_findings)

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        return [
            path("<int:pk>/quyet-dinh/", self.admin_site.admin_view(self.decide_view), name=f"{info[0]}_{info[1]}_decide"),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        return self.decide_view(request, object_id)

    def decide_view(self, request: HttpRequest, pk) -> TemplateResponse | HttpResponseRedirect:
        submission = get_object_or_404(
            self.get_queryset(request).select_related("revision", "post", "post__unit", "approving_unit"), pk=pk
        )
        if request.method == "POST":
            decided = self._decide(request, submission)
            if decided is not None:
                return decided
        previous = (
            Revision.objects.filter(post=submission.post, submissions__state=Submission.State.APPROVED)
            .exclude(pk=submission.revision_id)
            .order_by("-number")
            .first()
        )
        diff = None
        if previous is not None:
            diff = difflib.HtmlDiff(wrapcolumn=70).make_table(
                _text(previous.content), _text(submission.revision.content),
                fromdesc=_("Bản đã duyệt v%(n)d") % {"n": previous.number},
                todesc=_("Bản gửi duyệt v%(n)d") % {"n": submission.revision.number},
                context=True,
            )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Duyệt: %(title)s") % {"title": submission.revision.title},
            "submission": submission,
            "content": submission.revision.content,
            "diff": diff,
            "history": AuditEntry.objects.filter(post=submission.post).select_related("actor")[:30],
            "reason": request.POST.get("reason", ""),
        }
        response = TemplateResponse(request, "admin/moderation/submission/decide.html", context)
        add_never_cache_headers(response)
        return response

    def _decide(self, request: HttpRequest, submission: Submission) -> HttpResponseRedirect | None:
        """Apply the decision; None (with an error message) when refused, so the page re-renders
        with the reason the approver typed."""
        decision = request.POST.get("decision")
        reason = request.POST.get("reason", "")
        actions = {
            "approve": lambda: services.post_approve(post=submission.post, by=request.user, note=reason),
            "send_back": lambda: services.post_send_back(post=submission.post, by=request.user, reason=reason),
            "take_down": lambda: services.post_take_down(post=submission.post, by=request.user, reason=reason),
        }
        if decision not in actions:
            self.message_user(request, _("Hãy chọn một quyết định."), messages.ERROR)
            return None
        try:
            actions[decision]()
        except ValidationError as exc:
            self.message_user(request, "; ".join(exc.messages), messages.ERROR)
            return None
        except PermissionDenied as exc:
            self.message_user(request, str(exc) or _("Bạn không có quyền thực hiện thao tác này."), messages.ERROR)
            return None
        self.message_user(request, _("Đã ghi nhận quyết định."), messages.SUCCESS)
        return HttpResponseRedirect(reverse("admin:moderation_submission_changelist"))


class ReadOnlyAdminMixin:
    def has_add_permission(self, request: HttpRequest, *args) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdminMixin, UnitScopedAdminMixin, admin.ModelAdmin):
    """Read-only; visible to the approvers and admins of the unit and every level above."""

    unit_lookup = "unit"
    view_perm = Perm.APPROVE
    list_display = ["at", "action", "from_state", "to_state", "post", "unit", "actor", "reason"]
    list_filter = ["action", "unit__kind"]
    search_fields = ["post__title", "unit__name", "reason"]
    list_select_related = ["post", "unit", "actor"]
    date_hierarchy = "at"

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        return self._may(request, Perm.APPROVE, obj) or self._may(request, Perm.ADMIN, obj)

    def get_queryset(self, request: HttpRequest):
        from orgunits.selectors import unit_access_q

        qs = admin.ModelAdmin.get_queryset(self, request)
        return qs.filter(
            unit_access_q(request.user, Perm.APPROVE, unit_ref="unit__") | unit_access_q(request.user, Perm.ADMIN, unit_ref="unit__")
        )


@admin.register(TakedownRequest)
class TakedownRequestAdmin(UnitScopedAdminMixin, admin.ModelAdmin):
    """Requests to take posts down, with the legal clock; recorded and closed through services."""

    unit_lookup = "post__unit"
    view_perm = Perm.APPROVE
    change_perm = Perm.APPROVE
    list_display = ["post", "source", "requester", "received_at", "deadline", "time_left", "state"]
    list_filter = ["state", "source"]
    list_select_related = ["post"]
    search_fields = ["post__title", "requester"]
    ordering = ["deadline"]
    readonly_fields = ["post", "source", "requester", "reason", "received_at", "deadline", "state",
                       "recorded_by", "closed_by", "closed_at", "escalated_at"]

    @admin.display(description=_("còn lại"))
    def time_left(self, obj: TakedownRequest) -> str:
        from django.utils import timezone

        if obj.state not in (TakedownRequest.State.OPEN, TakedownRequest.State.ESCALATED):
            return "—"
        seconds = int((obj.deadline - timezone.now()).total_seconds())
        if seconds < 0:
            return _("quá hạn %(h)d giờ") % {"h": -seconds // 3600}
        return _("%(h)d giờ %(m)d phút") % {"h": seconds // 3600, "m": seconds % 3600 // 60}

    def has_add_permission(self, request: HttpRequest, *args) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(ApprovalRoute)
class ApprovalRouteAdmin(admin.ModelAdmin):
    list_display = ["unit_kind", "approver_kind"]

    def has_module_permission(self, request: HttpRequest) -> bool:
        return request.user.is_active and request.user.is_superuser

    has_view_permission = has_add_permission = has_change_permission = has_delete_permission = (
        lambda self, request, obj=None: request.user.is_active and request.user.is_superuser
    )
