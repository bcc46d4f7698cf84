"""The editors' admin. Every ModelAdmin of unit-owned rows is scoped by
``UnitScopedAdminMixin``; writes go through ``pages.services``."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.db.models import Model, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from channels.admin import ChannelDeliveryInline
from orgunits.admin_autocomplete import SourceScopedAutocompleteMixin
from orgunits.admin_filters import ScopedUnitFilter
from orgunits.admin_scoping import UnitScopedAdminMixin, request_grants, request_may
from orgunits.models import OrgUnit
from orgunits.roles import Perm
from vietfront.text import search_key

from . import admin_profile, services
from .admin_filters import TopicFilter
from .forms import CommunityPageAdminForm, MediaImageAdminForm, PostAdminForm, PostDocumentForm
from .models import (
    DELETABLE_STATUSES,
    CommunityPage,
    MediaImage,
    PageStatusChange,
    Post,
    PostDocument,
    Tag,
    Topic,
)
from .selectors import access_post_draft
from .staging import discard_staged


class UnitListFilter(ScopedUnitFilter):
    unit_ref = "unit__"


class PagesScopedAdmin(UnitScopedAdminMixin, admin.ModelAdmin):
    """Adds what the shared mixin leaves to each app: the choices of pages and images, and a
    404 (not the admin's redirect) for objects outside the user's scope."""

    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    def get_object(self, request: HttpRequest, object_id: str, from_field: str | None = None) -> Model:
        obj = super().get_object(request, object_id, from_field)
        if obj is None:
            raise Http404("No such object.")
        return obj

    #: The roles whose units' images the forms offer (each form then holds a choice to its own
    #: unit's library).
    image_perms: tuple[str, ...] = (Perm.EDIT,)

    def formfield_for_foreignkey(self, db_field, request: HttpRequest, **kwargs: Any):
        if not request.user.is_superuser:
            if db_field.related_model is CommunityPage:
                edits = request_grants(request, Perm.EDIT).q("unit__")
                kwargs["queryset"] = CommunityPage.objects.filter(edits).select_related("unit")
            elif db_field.related_model is MediaImage:
                images = Q(pk__in=[])
                for perm in self.image_perms:
                    images |= request_grants(request, perm).q("unit__")
                kwargs["queryset"] = MediaImage.objects.filter(images)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_form(self, request: HttpRequest, obj: Model | None = None, change: bool = False, **kwargs: Any):
        # Staged uploads are bound to the user who made them (``forms.StagedImageMixin``).
        form = super().get_form(request, obj, change=change, **kwargs)
        return type(form.__name__, (form,), {"current_user_id": request.user.pk})

    def get_changeform_initial_data(self, request: HttpRequest) -> dict[str, Any]:
        initial = super().get_changeform_initial_data(request)
        units = list(OrgUnit.objects.filter(request_grants(request, self.change_perm).q()).values_list("pk", flat=True)[:2])
        if len(units) == 1 and "unit" not in initial:
            initial["unit"] = units[0]
        return initial


# --- media ------------------------------------------------------------------------------------


@admin.register(MediaImage)
class MediaImageAdmin(SourceScopedAutocompleteMixin, PagesScopedAdmin):
    form = MediaImageAdminForm
    unit_lookup = "unit"
    list_display = ("thumbnail", "alt_text", "unit", "credit", "size", "created_at")
    list_display_links = ("thumbnail", "alt_text")
    list_select_related = ("unit",)
    list_filter = (UnitListFilter, "created_at")  # not date_hierarchy: see the post list
    search_fields = ("alt_text", "caption", "credit")
    autocomplete_fields = ("unit",)
    readonly_fields = ("preview", "size", "uploaded_by", "created_at")

    def get_fields(self, request: HttpRequest, obj: MediaImage | None = None) -> list[str]:
        if obj is None:
            return ["unit", "upload", "upload_token", "alt_text", "credit", "caption"]
        return ["preview", "size", "alt_text", "credit", "caption", "uploaded_by", "created_at"]

    @admin.display(description=_("ảnh"))
    def thumbnail(self, obj: MediaImage) -> str:
        height = max(1, round(80 * obj.height / obj.width))
        return format_html('<img src="{}" width="80" height="{}" alt="" loading="lazy">', obj.file.url, height)

    @admin.display(description=_("xem ảnh"))
    def preview(self, obj: MediaImage) -> str:
        width = min(obj.width, 480)
        height = max(1, round(width * obj.height / obj.width))
        return format_html('<img src="{}" width="{}" height="{}" alt="{}">', obj.file.url, width, height, obj.alt_text)

    @admin.display(description=_("kích thước"))
    def size(self, obj: MediaImage) -> str:
        return f"{obj.width}×{obj.height}"

    def save_model(self, request: HttpRequest, obj: MediaImage, form: MediaImageAdminForm, change: bool) -> None:
        if change:
            services.media_image_update(image=obj, by=request.user)
            return
        processed, name = form.staged
        services.media_image_store(record=obj, image=processed, by=request.user, name_hint=name)
        discard_staged(form.staged_token)


# --- community pages --------------------------------------------------------------------------


class PageStatusChangeInline(admin.TabularInline):
    model = PageStatusChange
    fields = ("at", "from_status", "to_status", "reason", "by")
    readonly_fields = fields
    extra = 0
    can_delete = False

    # History is written by the service only; the parent admin already scoped the page.
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return obj is not None


@admin.register(CommunityPage)
class CommunityPageAdmin(SourceScopedAutocompleteMixin, PagesScopedAdmin):
    form = CommunityPageAdminForm
    unit_lookup = "unit"
    view_perm = Perm.EDIT
    change_perm = Perm.ADMIN
    # The profile is the unit admin's to set, editor or not.
    image_perms = (Perm.EDIT, Perm.ADMIN)
    list_display = ("name", "unit", "status", "status_changed_at", "updated_at")
    list_select_related = ("unit",)
    list_filter = ("status", UnitListFilter)
    search_fields = ("display_name", "unit__name")
    autocomplete_fields = ("unit",)
    readonly_fields = ("status", "status_changed_at", "suspension_reason")
    inlines = [PageStatusChangeInline]
    fieldsets = (
        (None, {"fields": ("unit", "display_name", "about", "avatar", "cover")}),
        (_("Liên hệ"), {"fields": ("address", "phone", "email", "zalo_url", "facebook_url")}),
        (_("Trạng thái triển khai"), {
            "fields": ("status", "status_changed_at", "suspension_reason", "new_status", "status_reason"),
        }),
    )

    def get_readonly_fields(self, request: HttpRequest, obj: CommunityPage | None = None) -> tuple[str, ...]:
        # A page never moves to another unit; reorganisation moves the unit itself.
        return (*self.readonly_fields, "unit") if obj is not None else self.readonly_fields

    def formfield_for_foreignkey(self, db_field, request: HttpRequest, **kwargs: Any):
        if db_field.name == "unit":
            # Offered through an autocomplete (``SourceScopedAutocompleteMixin``): active units
            # the user administers that have no page yet.
            grants = request_grants(request, self.change_perm)
            kwargs["queryset"] = OrgUnit.objects.filter(grants.q(), page__isnull=True, is_active=True)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    # --- after a reorganisation: keep a predecessor's profile (``admin_profile``) -----------
    def get_urls(self):
        view = self.admin_site.admin_view(self.profile_take_view)
        return [path("<path:object_id>/lay-ho-so/", view, name=admin_profile.URL_NAME), *super().get_urls()]

    def profile_take_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        return admin_profile.profile_take_view(self, request, object_id)

    def render_change_form(self, request: HttpRequest, context: dict, add: bool = False, change: bool = False,
                           form_url: str = "", obj: CommunityPage | None = None):
        if obj is not None:
            context["profile_take_url"] = admin_profile.profile_take_url(self, request, obj)
        return super().render_change_form(request, context, add, change, form_url, obj)

    def save_model(self, request: HttpRequest, obj: CommunityPage, form: CommunityPageAdminForm, change: bool) -> None:
        new_status = form.cleaned_data.get("new_status")
        if change:
            services.page_update(page=obj, by=request.user)
        else:
            services.page_set_up(page=obj, by=request.user, activate=False)
        if new_status and new_status != obj.status:
            services.page_set_status(
                page=obj, status=new_status, by=request.user, reason=form.cleaned_data.get("status_reason", "")
            )


# --- posts ------------------------------------------------------------------------------------


class PostDocumentInline(admin.TabularInline):
    model = PostDocument
    form = PostDocumentForm
    fields = ("title", "file", "kind", "size")
    readonly_fields = ("kind", "size")
    extra = 0

    # The parent Post admin is scoped; an inline only asks whether the user edits that post.
    def _may(self, request: HttpRequest, obj: Post | None) -> bool:
        parent = self.admin_site._registry[Post]
        return parent.has_change_permission(request, obj)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.admin_site._registry[Post].has_view_permission(request, obj)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._may(request, obj)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._may(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._may(request, obj)



class PostWorkflowAdminMixin:
    """The editors' and approvers' side of moderation on the post change form.

    Editors submit ("Gửi duyệt" saves what they typed, then submits it, so a refused submission
    loses nothing) and withdraw; approvers above the post's unit see its drafts read-only and
    take it down. Every step calls ``moderation.services``, which checks the role and the state;
    this class only turns their refusals into Vietnamese messages.
    """

    SUBMIT_BUTTON = "_gui_duyet"

    # --- who sees what: approvers read the drafts of the units they approve -----------------
    scope_perms = (Perm.EDIT, Perm.APPROVE)  # the mixin's EDIT-only scope, widened

    def has_module_permission(self, request: HttpRequest) -> bool:
        return super().has_module_permission(request) or self._may(request, Perm.APPROVE, None)

    def has_view_permission(self, request: HttpRequest, obj: Post | None = None) -> bool:
        return super().has_view_permission(request, obj) or self._may(request, Perm.APPROVE, obj)

    # --- the read-only panel ---------------------------------------------------------------
    def get_fieldsets(self, request: HttpRequest, obj: Post | None = None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None:
            return fieldsets
        return ((_("Kiểm duyệt"), {"fields": ("workflow_panel",)}), *fieldsets)

    @admin.display(description=_("tình trạng kiểm duyệt"))
    def workflow_panel(self, obj: Post) -> str:
        from moderation.models import AuditEntry, Submission
        from moderation.states import Action

        if obj is None or obj.pk is None:
            return "—"
        rows = [(gettext("Trạng thái"), format_html("<strong>{}</strong>", obj.get_status_display()))]
        live = obj.live_revision
        if live is not None:
            rows.append((gettext("Đang hiển thị công khai"), format_html(
                "{} (v{}){}", live.title, live.number,
                gettext(", đăng lúc %(at)s") % {"at": _local(obj.published_at)} if obj.published_at else "",
            )))
        else:
            rows.append((gettext("Đang hiển thị công khai"), gettext("Không")))
        submission = (
            Submission.objects.filter(post=obj).select_related("approving_unit", "decided_by", "revision")
            .order_by("-submitted_at", "-pk").first()
        )
        findings: list[dict] = []
        findings_at = None
        if submission is not None:
            text = gettext("v%(n)d gửi lúc %(at)s tới %(unit)s: %(state)s") % {
                "n": submission.revision.number, "at": _local(submission.submitted_at),
                "unit": submission.approving_unit.name, "state": submission.get_state_display(),
            }
            if submission.decided_by_id:
                text += gettext(" — %(who)s, %(at)s") % {"who": submission.decided_by, "at": _local(submission.decided_at)}
            if submission.reason:
                text += gettext(". Lý do, ghi chú: %(reason)s") % {"reason": submission.reason}
            if submission.state == Submission.State.APPROVED and submission.publish_at:
                text += gettext(". Đăng lúc %(at)s") % {"at": _local(submission.publish_at)}
            rows.append((gettext("Lần gửi duyệt gần nhất"), text))
            findings, findings_at = submission.findings, submission.submitted_at
        # A refused submission leaves no Submission, only an audit row with the findings; the
        # editor must see those, newest first.
        blocked = (
            AuditEntry.objects.filter(post=obj, action=Action.RULES_BLOCKED).order_by("-at", "-pk")
            .values_list("at", "data").first()
        )
        if blocked is not None and (findings_at is None or blocked[0] >= findings_at):
            findings = blocked[1].get("findings", [])
            rows.append((gettext("Lần kiểm tra quy chế gần nhất"), gettext("Bị chặn lúc %(at)s") % {"at": _local(blocked[0])}))
        panel = format_html_join("", "<div><span class=\"wf-label\">{}:</span> {}</div>", rows)
        if findings:
            items = format_html_join(
                "", '<li class="wf-{}">{} {}</li>',
                (
                    ("block" if f.get("severity") == "block" else "warn",
                     gettext("[Chặn]") if f.get("severity") == "block" else gettext("[Cảnh báo]"), f.get("message", ""))
                    for f in findings
                ),
            )
            panel = format_html('{}<ul class="wf-findings">{}</ul>', panel, items)
        elif submission is not None or blocked is not None:
            panel = format_html("{}<div>{}</div>", panel, gettext("Không có cảnh báo quy chế."))
        return format_html('<div class="wf-panel">{}</div>', panel)

    # --- buttons on the change form --------------------------------------------------------
    def render_change_form(self, request: HttpRequest, context: dict, add: bool = False, change: bool = False,
                           form_url: str = "", obj: Post | None = None):
        context["workflow"] = self._workflow_buttons(request, obj) if obj is not None else {
            "can_submit": self.has_add_permission(request), "submit_button": self.SUBMIT_BUTTON,
        }
        return super().render_change_form(request, context, add=add, change=change, form_url=form_url, obj=obj)

    def _workflow_buttons(self, request: HttpRequest, obj: Post) -> dict[str, Any]:
        from moderation.routing import approving_unit_for
        from moderation.states import Action, target_state

        may_edit = self.has_change_permission(request, obj)
        live = obj.live_revision_id is not None
        may_take_down = live and (
            request.user.is_superuser or request_may(request, Perm.APPROVE, approving_unit_for(obj.unit))
        )
        info = self.opts.app_label, self.opts.model_name
        return {
            "submit_button": self.SUBMIT_BUTTON,
            # Submitting a post that awaits review or is live unchanged is refused by the service
            # anyway; the button is offered where a save could make it valid (any edit returns
            # the post to draft), so it is hidden only where the state forbids it outright.
            "can_submit": may_edit,
            "can_withdraw": may_edit and (live or target_state(Action.WITHDRAW, obj.status) is not None),
            "withdraw_url": reverse(f"admin:{info[0]}_{info[1]}_withdraw", args=[obj.pk]),
            "can_take_down": may_take_down,
            "take_down_url": reverse(f"admin:{info[0]}_{info[1]}_take_down", args=[obj.pk]),
            "takedown_request_url": (
                f"{reverse('admin:moderation_takedownrequest_add')}?post={obj.pk}" if may_take_down else ""
            ),
        }

    def response_add(self, request: HttpRequest, obj: Post, post_url_continue: str | None = None) -> HttpResponse:
        if self.SUBMIT_BUTTON in request.POST:
            self.message_user(request, gettext("Đã lưu bài viết."), messages.SUCCESS)
            self._submit_for_review(request, obj)
            return HttpResponseRedirect(reverse("admin:pages_post_change", args=[obj.pk]))
        return super().response_add(request, obj, post_url_continue)

    def response_change(self, request: HttpRequest, obj: Post) -> HttpResponse:
        if self.SUBMIT_BUTTON in request.POST:
            self.message_user(request, gettext("Đã lưu bài viết."), messages.SUCCESS)
            self._submit_for_review(request, obj)
            return HttpResponseRedirect(request.path)
        return super().response_change(request, obj)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        if change:
            # Tags and documents are saved after ``save_model``: ask moderation again once they
            # are, or a tag changed on a submitted or live post would skip review.
            from moderation.services import post_content_changed

            post_content_changed(post=form.instance, by=request.user)

    def _submit_for_review(self, request: HttpRequest, post: Post) -> bool:
        from moderation.services import RegulationBlocked, post_submit

        try:
            submission = post_submit(post=post, by=request.user)
        except RegulationBlocked as exc:
            self.message_user(
                request, gettext("Chưa gửi duyệt được: bài viết chưa đáp ứng quy chế. Nội dung đã được lưu; "
                                 "hãy sửa các điểm sau rồi gửi lại."), messages.ERROR,
            )
            for finding in exc.findings:
                level = messages.ERROR if finding.get("severity") == "block" else messages.WARNING
                self.message_user(request, finding.get("message", ""), level)
            return False
        except (PermissionDenied, ValidationError) as exc:
            self.message_user(request, _refusal(exc), messages.ERROR)
            return False
        self.message_user(
            request, gettext("Đã gửi duyệt tới %(unit)s.") % {"unit": submission.approving_unit.name}, messages.SUCCESS
        )
        for finding in submission.warning_findings:
            self.message_user(request, gettext("Cảnh báo: %(m)s") % {"m": finding.get("message", "")}, messages.WARNING)
        return True

    # --- withdraw and take down: a confirmation page each ----------------------------------
    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        return [
            path("<path:object_id>/rut-bai/", self.admin_site.admin_view(self.withdraw_view),
                 name=f"{info[0]}_{info[1]}_withdraw"),
            path("<path:object_id>/go-bai/", self.admin_site.admin_view(self.take_down_view),
                 name=f"{info[0]}_{info[1]}_take_down"),
            *super().get_urls(),
        ]

    def withdraw_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        from moderation.services import post_withdraw

        return self._removal_view(
            request, object_id, title=gettext("Rút bài"), reason_required=False,
            intro=gettext("Bài viết sẽ không còn hiển thị công khai (hoặc sẽ không được đăng). "
                          "Có thể sửa và gửi duyệt lại sau."),
            perform=lambda post, reason: post_withdraw(post=post, by=request.user, reason=reason),
            done=gettext("Đã rút bài viết."),
        )

    def take_down_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        from moderation.services import post_take_down

        return self._removal_view(
            request, object_id, title=gettext("Gỡ bài"), reason_required=True,
            intro=gettext("Bài viết bị gỡ khỏi trang công khai ngay lập tức; các yêu cầu gỡ bài đang mở "
                          "được đóng lại. Lý do được ghi vào nhật ký và gửi cho người soạn."),
            perform=lambda post, reason: post_take_down(post=post, by=request.user, reason=reason),
            done=gettext("Đã gỡ bài viết."),
        )

    def _removal_view(self, request: HttpRequest, object_id: str, *, title: str, intro: str,
                      reason_required: bool, perform, done: str) -> HttpResponse:
        if not (request.user.is_active and request.user.is_staff):
            raise PermissionDenied
        post = self.get_queryset(request).select_related("unit", "live_revision").filter(pk=_int_or_none(object_id)).first()
        if post is None:
            raise Http404("No such post.")
        reason = request.POST.get("reason", "").strip() if request.method == "POST" else ""
        if request.method == "POST":
            try:
                perform(post, reason)
            except (PermissionDenied, ValidationError) as exc:
                self.message_user(request, _refusal(exc), messages.ERROR)
            else:
                self.message_user(request, done, messages.SUCCESS)
                return HttpResponseRedirect(reverse("admin:pages_post_change", args=[post.pk]))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts, "original": post, "title": f"{title}: {post.title}", "action_title": title,
            "intro": intro, "reason": reason, "reason_required": reason_required,
        }
        response = TemplateResponse(request, "admin/pages/post/workflow_action.html", context)
        add_never_cache_headers(response)
        return response

    # --- changelist actions ----------------------------------------------------------------
    @admin.action(description=_("Gửi duyệt các bài đã chọn"), permissions=["change"])
    def submit_selected(self, request: HttpRequest, queryset: QuerySet) -> None:
        done = sum(self._submit_for_review(request, post) for post in queryset.select_related("unit"))
        self.message_user(request, gettext("Đã gửi duyệt %(n)d bài viết.") % {"n": done},
                          messages.SUCCESS if done else messages.WARNING)

    @admin.action(description=_("Rút các bài đã chọn"), permissions=["change"])
    def withdraw_selected(self, request: HttpRequest, queryset: QuerySet) -> None:
        from moderation.services import post_withdraw

        done = 0
        for post in queryset.select_related("unit"):
            try:
                post_withdraw(post=post, by=request.user)
                done += 1
            except (PermissionDenied, ValidationError) as exc:
                self.message_user(request, f"{post.title}: {_refusal(exc)}", messages.ERROR)
        self.message_user(request, gettext("Đã rút %(n)d bài viết.") % {"n": done},
                          messages.SUCCESS if done else messages.WARNING)


def _int_or_none(value: str) -> int | None:
    return int(value) if str(value).isdigit() else None


def _local(value) -> str:
    return timezone.localtime(value).strftime("%H:%M %d/%m/%Y") if value else ""


def _refusal(exc: Exception) -> str:
    """The Vietnamese message of a service's refusal; never a traceback."""
    if isinstance(exc, ValidationError):
        return "; ".join(exc.messages)
    return str(exc) or gettext("Bạn không có quyền thực hiện thao tác này.")


class PostChangeList(ChangeList):
    """The list shows titles and metadata: the bodies and search text (kilobytes a row) stay
    in the database."""

    def get_queryset(self, request: HttpRequest, exclude_parameters=None) -> QuerySet:
        return super().get_queryset(request, exclude_parameters).defer("body", "summary", "search_text")


class MarkFreeSearchMixin:
    def get_search_results(self, request: HttpRequest, queryset: QuerySet, search_term: str):
        """Titles, word by word, without tone marks or case (the stored ``title_key``):
        "dai doan ket" finds "Đại đoàn kết". On PostgreSQL a trigram index serves the ``LIKE``s.
        Not the body: "đại đoàn kết" is in most posts of the Front, and a count over every
        matching body of a province costs seconds; Django's own ``ILIKE``, OR-ed in, would make
        every search a scan of the user's whole scope."""
        for word in search_key(search_term).split():
            queryset = queryset.filter(title_key__contains=word)
        return queryset, False


@admin.register(Post)
class PostAdmin(SourceScopedAutocompleteMixin, MarkFreeSearchMixin, PostWorkflowAdminMixin, PagesScopedAdmin):
    form = PostAdminForm
    unit_lookup = "unit"
    list_display = ("title", "unit", "topic", "status", "is_pinned", "updated_at", "updated_by")
    list_select_related = ("unit", "topic", "updated_by")
    # A date filter, not ``date_hierarchy``: the hierarchy reads the first and last date and
    # then every distinct day or year of the user's whole scope on each page view.
    list_filter = ("status", UnitListFilter, ("topic", TopicFilter), "source_kind", "is_pinned", "updated_at")
    search_fields = ("title",)
    # Staff work on what changed last (drafts have no publication date); indexed per unit.
    ordering = ("-updated_at", "-id")
    autocomplete_fields = ("page", "cover", "tags")
    readonly_fields = ("status", "published_at", "slug", "created_at", "created_by", "updated_at", "updated_by",
                       "workflow_panel")
    inlines = [PostDocumentInline, ChannelDeliveryInline]
    actions = ["submit_selected", "withdraw_selected"]
    fieldsets = (
        (None, {"fields": ("page", "title", "summary", "body")}),
        (_("Ảnh đại diện"), {"fields": ("cover", "cover_upload", "cover_upload_token", "cover_alt", "cover_credit")}),
        (_("Phân loại và nguồn tin"), {
            "fields": ("topic", "tags", "source_kind", "source_name", "source_url", "author_line", "photo_credit"),
        }),
        (_("Đăng bài"), {"fields": ("desired_publish_at", "is_pinned", "status", "published_at", "slug")}),
        (_("Lịch sử"), {"fields": ("created_at", "created_by", "updated_at", "updated_by")}),
    )

    def get_readonly_fields(self, request: HttpRequest, obj: Post | None = None) -> tuple[str, ...]:
        return (*self.readonly_fields, "page") if obj is not None else self.readonly_fields

    def get_changelist(self, request: HttpRequest, **kwargs: Any):
        return PostChangeList

    def view_on_site(self, obj: Post) -> str:
        """Public posts at their address; anything else in the preview, which checks the
        viewer's rights again (a draft's public address would carry its title)."""
        return obj.get_absolute_url() if obj.is_public else reverse("admin:pages_post_preview", args=[obj.pk])

    def has_delete_permission(self, request: HttpRequest, obj: Post | None = None) -> bool:
        # What was submitted or published leaves through moderation (withdraw, take down).
        if obj is not None and obj.status not in DELETABLE_STATUSES:
            return False
        return super().has_delete_permission(request, obj)

    def save_model(self, request: HttpRequest, obj: Post, form: PostAdminForm, change: bool) -> None:
        if form.staged is not None:
            processed, name = form.staged
            obj.cover = services.media_image_create(
                unit=obj.page.unit, image=processed, alt_text=form.cleaned_data["cover_alt"],
                credit=form.cleaned_data["cover_credit"], by=request.user, name_hint=name,
            )
            discard_staged(form.staged_token)
        services.post_save(post=obj, by=request.user)

    def save_formset(self, request: HttpRequest, form: PostAdminForm, formset: Any, change: bool) -> None:
        if formset.model is not PostDocument:
            return super().save_formset(request, form, formset, change)
        documents = formset.save(commit=False)
        for document in formset.deleted_objects:
            document.file.delete(save=False)
            document.delete()
        for document in documents:
            if document.pk is None:
                services.post_document_attach(document=document, by=request.user)
            else:
                document.save()
        return None

    # --- preview --------------------------------------------------------------------------
    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        return [
            path("<path:object_id>/preview/", self.admin_site.admin_view(self.preview_view),
                 name=f"{info[0]}_{info[1]}_preview"),
            *super().get_urls(),  # the workflow's pages come first, then the admin's own
        ]

    def preview_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """The post as the public will see it, whatever its state, for those who may see its
        draft. Never cached: a cached preview is a leaked draft."""
        if not (request.user.is_active and request.user.is_staff):
            raise PermissionDenied
        post = access_post_draft(user=request.user, post_id=object_id)
        response = TemplateResponse(
            request,
            "pages/post_detail.html",
            {"post": post, "page": post.page, "unit": post.unit, "is_preview": True,
             "change_url": reverse("admin:pages_post_change", args=[post.pk])},
        )
        add_never_cache_headers(response)
        response["X-Robots-Tag"] = "noindex, nofollow"
        return response


# --- shared vocabularies ----------------------------------------------------------------------


def _edits_somewhere(request: HttpRequest) -> bool:
    user = request.user
    return bool(
        user.is_active and user.is_staff
        and (user.is_superuser or request_may(request, Perm.EDIT))
    )


@admin.register(Topic)
class TopicAdmin(admin.ModelAdmin):
    """Topics are the regulation's list: everyone who writes reads it; super-admins edit it."""

    list_display = ("name", "slug", "order", "is_active")
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}

    def has_module_permission(self, request: HttpRequest) -> bool:
        return _edits_somewhere(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _edits_somewhere(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return request.user.is_active and request.user.is_superuser

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.is_active and request.user.is_superuser

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.is_active and request.user.is_superuser


@admin.register(Tag)
class TagAdmin(TopicAdmin):
    """Tags are shared by every unit: any editor may add one; only super-admins rename or
    delete (a rename would change every unit's posts)."""

    list_display = ("name", "slug")
    prepopulated_fields = {}

    def get_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return ["name"] if obj is None else ["name", "slug"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return _edits_somewhere(request)
