"""The approvers' queue: what awaits the user's decision in their subtree, oldest first.

Decisions (approve, send back, take down) go through ``moderation.services``; this module only
renders and dispatches.
"""

from __future__ import annotations

import datetime
import difflib
from functools import lru_cache, partial
from html.parser import HTMLParser

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.views.main import ORDER_VAR, PAGE_VAR, ChangeList
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Subquery
from django.http import HttpRequest, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.functional import cached_property
from django.utils.html import format_html, strip_tags
from django.utils.safestring import mark_safe
from django.utils.translation import get_language, gettext
from django.utils.translation import gettext_lazy as _

from orgunits.admin_filters import ScopedUnitFilter
from orgunits.admin_scoping import (
    SuperuserOnlyAdminMixin,
    UnitScopedAdminMixin,
    request_grants,
    request_scope_q,
)
from orgunits.models import OrgUnit, UnitKind
from orgunits.roles import Perm
from orgunits.selectors import user_has_unit_perm
from pages.admin_filters import TopicFilter
from vietfront.escaping import escaped as _e
from vietfront.people import full_name
from vietfront.precompiled import prepared_list
from vietfront.text import search_key

from . import services
from .inbox import inbox_view, not_own_q, time_left
from .models import ApprovalRoute, AuditEntry, NotificationPreference, Revision, Submission, TakedownRequest
from .routing import approving_unit_for


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


class PostUnitFilter(ScopedUnitFilter):
    """The post's unit and everything below it, among the units the user approves for."""

    unit_ref = "post__unit__"

    def scope_perms(self, model_admin) -> tuple[str, ...]:
        return (Perm.APPROVE,)


class _Named:
    """A row's unit, topic or revision: its name or title only."""

    __slots__ = ("name", "title")

    def __init__(self, text: str) -> None:
        self.name = self.title = text


class _Submitter:
    __slots__ = ("username", "first_name", "last_name")

    def __init__(self, username: str, first_name: str, last_name: str) -> None:
        self.username, self.first_name, self.last_name = username, first_name, last_name

    def get_username(self) -> str:
        return self.username


class _Post:
    __slots__ = ("unit", "topic", "topic_id")

    def __init__(self, unit: str, topic_id: int | None, topic: str | None) -> None:
        self.unit, self.topic_id = _Named(unit), topic_id
        self.topic = _Named(topic) if topic_id else None


class QueueRow:
    """A row of the queue as the display methods read a ``Submission`` (its revision's title,
    its post's unit and topic, its submitter), built from one tuple: fifty submissions with
    their five related objects were 300 model instances, a third of building the page.
    ``_meta`` lets Django's own changelist code read the rows as it reads submissions."""

    _meta = Submission._meta
    __slots__ = ("pk", "state", "findings", "submitted_at", "revision", "post", "submitted_by", "decide_url")
    warning_findings = Submission.warning_findings

    def __init__(self, row: tuple, decide_url: str) -> None:
        (self.pk, title, unit, topic_id, topic, self.state, self.findings, self.submitted_at,
         username, first_name, last_name) = row
        self.revision, self.post = _Named(title), _Post(unit, topic_id, topic)
        self.submitted_by, self.decide_url = _Submitter(username, first_name, last_name), decide_url


class QueueChangeList(ChangeList):
    """The queue's rows read only what they show: a title, a unit, a topic, a name, a date and
    the findings, not the bodies and revision snapshots (kilobytes a row) the joined rows hold."""

    columns = ("pk", "revision__title", "post__unit__name", "post__topic_id", "post__topic__name", "state",
               "findings", "submitted_at", "submitted_by__username", "submitted_by__first_name",
               "submitted_by__last_name")

    def get_results(self, request) -> None:
        super().get_results(request)
        # The page's keys are chosen on the submissions alone (scope, filters, order, slice);
        # the joins for titles, units and names then run for these rows only, not for every
        # pending row of the scope before the sort.
        # Its SQL text repeats from request to request: prepared once per connection.
        page = Subquery(self.result_list.values("pk"))
        rows = prepared_list(Submission.objects.filter(pk__in=page).order_by(*self.queryset.query.order_by)
                             .values_list(*self.columns))
        # One reverse for the page, not one per row: the rows' links differ only by the key.
        head, tail = reverse("admin:moderation_submission_decide", args=[0]).rsplit("/0/", 1)
        self.result_list = [QueueRow(row, f"{head}/{row[0]}/{tail}") for row in rows]


class QueuePaginator(Paginator):
    """On the whole queue (pending, no filter, no search) the rows counted are those the
    header's badge counts, less the user's own: one query answers both."""

    def __init__(self, *args, request: HttpRequest, whole_queue: bool, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.request, self.whole_queue = request, whole_queue

    @cached_property
    def count(self) -> int:
        if not self.whole_queue:
            return super().count
        totals = self.object_list.aggregate(rows=Count("pk"), waiting=Count("pk", filter=not_own_q(self.request.user)))
        self.request._inbox_waiting = totals["waiting"]
        return totals["rows"]


class DecisionForm(forms.Form):
    """An approver's decision. The rules on reasons and rights are the services'; this form only
    reads the publication time."""

    NOW, AT = "now", "at"

    decision = forms.ChoiceField(choices=[("approve", _("Duyệt")), ("send_back", _("Trả lại để sửa"))])
    reason = forms.CharField(label=_("Lý do, ghi chú"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    publish = forms.ChoiceField(
        label=_("Thời điểm đăng"), choices=[(NOW, _("Đăng ngay")), (AT, _("Hẹn giờ đăng"))],
        widget=forms.RadioSelect, required=False,
    )
    publish_at = forms.DateTimeField(
        label=_("Đăng lúc"), required=False, input_formats=["%Y-%m-%dT%H:%M", "%d/%m/%Y %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )

    def clean(self):
        data = super().clean()
        if data.get("decision") == "approve" and data.get("publish") == self.AT:
            when = data.get("publish_at")
            if when is None:
                self.add_error("publish_at", _("Hãy chọn ngày giờ đăng."))
            elif when <= timezone.now():
                self.add_error("publish_at", _("Thời điểm hẹn đăng phải ở tương lai."))
        return data

    def publish_time(self):
        """An explicit "now" overrides the editor's wish; a chosen time is kept as chosen."""
        if self.cleaned_data.get("publish") == self.AT:
            return self.cleaned_data["publish_at"]
        return timezone.now()


def audit_states(entry: AuditEntry) -> str:
    """The states of a history line: "Bản nháp → Chờ duyệt" for a move; for a record that left
    the state as it was (a submission the rules blocked), the state it stayed in."""
    if entry.from_state and entry.to_state:
        return f"{entry.from_label} → {entry.to_label}"
    if entry.from_state:
        return gettext("giữ nguyên: %(state)s") % {"state": entry.from_label}
    if entry.to_state:
        return gettext("thành: %(state)s") % {"state": entry.to_label}
    return ""


@lru_cache(maxsize=64)
def _state_label(state: str, language: str | None) -> str:
    # ``get_state_display`` rebuilds the choices and translates again for every row.
    return str(Submission.State(state).label)


def _local(value: datetime.datetime | None) -> str:
    # "d/m/Y H:i" in digits only, as ``date_format`` would print it at ten times the cost: a
    # queue page prints fifty.
    return timezone.localtime(value).strftime("%d/%m/%Y %H:%M") if value else "—"


def _history(post) -> list[dict]:
    """The post's last 30 workflow steps, each line complete, people by their full names."""
    entries = AuditEntry.objects.filter(post=post).select_related("actor")[:30]
    return [
        {"at": e.at, "actor": full_name(e.actor) if e.actor_id else gettext("hệ thống"), "action": e.action_label,
         "states": audit_states(e), "reason": e.reason}
        for e in entries
    ]


class _BodyImages(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.images: list[dict[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "img":
            values = dict(attrs)
            self.images.append({"src": values.get("src") or "", "alt": values.get("alt") or ""})


def _review_media(submission: Submission) -> dict:
    """What the public will see besides the text: the cover with the description it goes live
    with, the images in the body (their library rows give the credit), the attachments under
    their submitted titles. Three queries at most, whatever the number of images."""
    from django.conf import settings

    from pages.models import MediaImage, PostDocument

    revision = submission.revision
    parser = _BodyImages()
    parser.feed(revision.content.get("body", ""))
    names = [i["src"][len(settings.MEDIA_URL):] for i in parser.images if i["src"].startswith(settings.MEDIA_URL)]
    library = {m.file.name: m for m in MediaImage.objects.filter(file__in=names)} if names else {}
    for image in parser.images:
        image["record"] = library.get(image["src"][len(settings.MEDIA_URL):])
    documents = PostDocument.objects.filter(post=submission.post_id)
    return {
        "cover": revision.approved_cover if revision.cover_id else None,
        "body_images": parser.images,
        "documents": revision.approved_documents(documents),
    }


def _text(content: dict) -> list[str]:
    body = strip_tags(content.get("body", "")).replace("\r", "")
    return [content.get("title", ""), "", content.get("summary", ""), "", *body.split("\n")]


@admin.register(Submission)
class SubmissionQueueAdmin(UnitScopedAdminMixin, admin.ModelAdmin):
    unit_lookup = "approving_unit"
    view_perm = Perm.APPROVE
    change_perm = Perm.APPROVE
    # Four columns, each carrying what belongs together: a title gets the room to read on one
    # or two lines at 1366 px, and the table stays whole on a phone.
    list_display = ["post_column", "submitted_column", "warnings", "state_column"]
    list_display_links = None
    list_filter = [StateFilter, PostUnitFilter, UnitKindFilter, ("post__topic", TopicFilter)]
    search_fields = ["post__title"]  # the box; the search itself is ``get_search_results``
    list_select_related = False  # the rows are read by ``QueueChangeList.get_results``
    ordering = ["submitted_at", "pk"]
    list_per_page = 50

    def changelist_view(self, request: HttpRequest, extra_context=None):
        # The admin would title it "choose a submission to change": it is a queue of decisions.
        extra_context = {"title": _("Hàng chờ duyệt"), **(extra_context or {})}
        return super().changelist_view(request, extra_context)

    def get_changelist(self, request: HttpRequest, **kwargs):
        return QueueChangeList

    def get_paginator(self, request: HttpRequest, queryset, per_page, orphans=0, allow_empty_first_page=True):
        # Paging and sorting leave the rows counted as they are; any other parameter filters.
        whole_queue = set(request.GET) <= {PAGE_VAR, ORDER_VAR}
        return QueuePaginator(queryset, per_page, orphans, allow_empty_first_page,
                              request=request, whole_queue=whole_queue)

    def get_queryset(self, request: HttpRequest):
        """Submissions routed to a unit of the user's scope, as an IN over the scope's units:
        the database reads those few hundred ids once instead of probing the unit table for
        every pending submission of the country."""
        qs = admin.ModelAdmin.get_queryset(self, request)
        grants = request_grants(request, Perm.APPROVE)
        return qs if grants.everywhere else qs.filter(approving_unit__in=OrgUnit.objects.filter(grants.q()))

    def get_search_results(self, request: HttpRequest, queryset, search_term: str):
        """Titles word by word, without tone marks or case, on the post's ``title_key`` (trigram-
        indexed on PostgreSQL), as the post list searches: Django's ``icontains`` over titles and
        unit names OR-ed together read every submission of the scope. Units have their filter."""
        for word in search_key(search_term).split():
            queryset = queryset.filter(post__title_key__contains=word)
        return queryset, False

    def has_add_permission(self, request: HttpRequest, *args) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def row_cells(self, obj: Submission) -> list[str]:
        """The row's cells as Django's changelist writes them (``templatetags/queue_list.py``).
        Escaped with ``html.escape`` rather than ``format_html``, whose lazy-string wrappers
        were most of a row's cost (four cells, fifty rows)."""
        return [mark_safe(f'<td class="field-{name}">{getattr(self, name)(obj)}</td>')  # noqa: S308 - the cells are safe strings
                for name in self.list_display]

    @admin.display(description=_("bài viết"), ordering="revision__title")
    def post_column(self, obj: Submission) -> str:
        topic = obj.post.topic.name if obj.post.topic_id else "—"
        href = getattr(obj, "decide_url", None) or reverse("admin:moderation_submission_decide", args=[obj.pk])
        return mark_safe(  # noqa: S308 - every value escaped
            f'<a class="vf-title" href="{_e(href)}">{_e(obj.revision.title)}</a>'
            f'<span class="vf-meta">{_e(obj.post.unit.name)} · {_e(topic)}</span>')

    @admin.display(description=_("gửi lúc"), ordering="submitted_at")
    def submitted_column(self, obj: Submission) -> str:
        return mark_safe(  # noqa: S308 - every value escaped
            f'<span class="vf-nowrap">{_e(_local(obj.submitted_at))}</span>'
            f'<span class="vf-meta">{_e(full_name(obj.submitted_by))}</span>')

    @admin.display(description=_("cảnh báo"))
    def warnings(self, obj: Submission) -> str:
        count = len(obj.warning_findings)
        return mark_safe(f'<span class="vf-badge{" vf-badge-warn" if count else ""}">{count}</span>')  # noqa: S308 - an integer

    @admin.display(description=_("trạng thái"), ordering="state")
    def state_column(self, obj: Submission) -> str:
        return mark_safe(  # noqa: S308 - every value escaped
            f'<span class="vf-state vf-state-{_e(obj.state)}">{_e(_state_label(obj.state, get_language()))}</span>')

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        return [
            path("<int:pk>/quyet-dinh/", self.admin_site.admin_view(self.decide_view), name=f"{info[0]}_{info[1]}_decide"),
            # Every staff user's inbox; it lives here because the queue is its main part.
            path("viec-cua-toi/", self.admin_site.admin_view(partial(inbox_view, admin_site=self.admin_site)),
                 name="moderation_inbox"),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        return self.decide_view(request, object_id)

    def decide_view(self, request: HttpRequest, pk) -> TemplateResponse | HttpResponseRedirect:
        submission = get_object_or_404(
            self.get_queryset(request).select_related(
                "revision__cover", "post__unit", "approving_unit", "submitted_by"
            ), pk=pk
        )
        if request.method == "POST":
            form = DecisionForm(request.POST)
            decided = self._decide(request, submission, form)
            if decided is not None:
                return decided
        else:
            wish = submission.post.desired_publish_at
            later = wish is not None and wish > timezone.now()
            form = DecisionForm(initial={
                "publish": DecisionForm.AT if later else DecisionForm.NOW,
                "publish_at": timezone.localtime(wish) if later else None,
            })
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
            "history": _history(submission.post),
            "submitted_by": full_name(submission.submitted_by),
            **_review_media(submission),
            "reason": request.POST.get("reason", ""),
            "form": form,
            "own": request.user.pk in {submission.submitted_by_id, submission.post.created_by_id},
        }
        response = TemplateResponse(request, "admin/moderation/submission/decide.html", context)
        add_never_cache_headers(response)
        return response

    def _decide(
        self, request: HttpRequest, submission: Submission, form: DecisionForm
    ) -> HttpResponseRedirect | None:
        """Apply the decision; None (with an error message) when refused, so the page re-renders
        with the reason the approver typed."""
        if not self.has_change_permission(request, submission):
            raise PermissionDenied
        if not form.is_valid():
            if "decision" in form.errors:
                self.message_user(request, _("Hãy chọn một quyết định."), messages.ERROR)
            for field, errors in form.errors.items():
                if field != "decision":
                    self.message_user(request, "; ".join(errors), messages.ERROR)
            return None
        reason = form.cleaned_data["reason"]
        try:
            if form.cleaned_data["decision"] == "approve":
                services.post_approve(post=submission.post, by=request.user, note=reason, publish_at=form.publish_time())
            else:
                services.post_send_back(post=submission.post, by=request.user, reason=reason)
        except services.RegulationBlocked as exc:
            self.message_user(request, _("Không duyệt được: bài viết nay vi phạm quy chế."), messages.ERROR)
            for message in exc.messages:  # the blocking findings' messages
                self.message_user(request, message, messages.ERROR)
            return None
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
    list_display = ["at", "action_display", "states", "post", "unit", "actor_name", "reason"]
    # A date filter, not ``date_hierarchy``: the hierarchy reads the first and last date and
    # then every distinct day or year of the user's whole scope on each page view.
    list_filter = ["action", "unit__kind", "at"]
    search_fields = ["post__title", "unit__name", "reason"]
    list_select_related = ["post", "unit", "actor"]

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        return self._may(request, Perm.APPROVE, obj) or self._may(request, Perm.ADMIN, obj)

    @admin.display(description=_("thao tác"), ordering="action")
    def action_display(self, obj: AuditEntry) -> str:
        return obj.action_label

    @admin.display(description=_("trạng thái"))
    def states(self, obj: AuditEntry) -> str:
        return audit_states(obj) or "—"

    @admin.display(description=_("người thực hiện"), ordering="actor__username")
    def actor_name(self, obj: AuditEntry) -> str:
        return full_name(obj.actor) if obj.actor_id else gettext("hệ thống")

    def get_queryset(self, request: HttpRequest):
        qs = admin.ModelAdmin.get_queryset(self, request)
        return qs.filter(
            request_scope_q(request, Perm.APPROVE, Perm.ADMIN, unit_ref="unit__")
        )


class TakedownRequestForm(forms.ModelForm):
    """Record a takedown request. Only live posts whose approvers the user is among may be named;
    the service checks the same right again."""

    class Meta:
        model = TakedownRequest
        fields = ["post", "source", "requester", "reason", "received_at"]

    user = None  # set by ``TakedownRequestAdmin.get_form``

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)

        self.fields["received_at"].initial = timezone.now
        self.fields["received_at"].help_text = _("Thời điểm nhận văn bản, đơn: hạn xử lý tính từ đây.")

    def clean_received_at(self):
        value = self.cleaned_data["received_at"]
        if value and value > timezone.now() + datetime.timedelta(minutes=5):
            raise ValidationError(_("Thời điểm nhận yêu cầu không thể ở tương lai."))
        return value

    def clean_post(self):
        post = self.cleaned_data["post"]
        if post is not None and not user_has_unit_perm(user=self.user, perm=Perm.APPROVE, unit=approving_unit_for(post.unit)):
            raise ValidationError(_("Chỉ người duyệt của đơn vị cấp trên mới ghi nhận yêu cầu gỡ bài này."))
        return post


@admin.register(TakedownRequest)
class TakedownRequestAdmin(UnitScopedAdminMixin, admin.ModelAdmin):
    """Requests to take posts down, with the legal clock; recorded through
    ``services.takedown_request_record`` and closed by ``services.post_take_down``."""

    unit_lookup = "post__unit"
    view_perm = Perm.APPROVE
    change_perm = Perm.APPROVE
    form = TakedownRequestForm
    list_display = ["post", "unit", "source", "requester", "received_at", "deadline", "time_left", "state"]
    list_filter = ["state", "source"]
    list_select_related = ["post", "post__unit"]
    search_fields = ["post__title", "requester"]
    autocomplete_fields = ["post"]
    ordering = ["deadline"]
    readonly_fields = ["post", "source", "requester", "reason", "received_at", "deadline", "state",
                       "recorded_by", "closed_by", "closed_at", "escalated_at"]

    @admin.display(description=_("đơn vị"))
    def unit(self, obj: TakedownRequest) -> str:
        return obj.post.unit.name

    @admin.display(description=_("còn lại"))
    def time_left(self, obj: TakedownRequest) -> str:
        if obj.state not in (TakedownRequest.State.OPEN, TakedownRequest.State.ESCALATED):
            return "—"
        # Amber under six hours left, red when late: the list shows what must be handled first.
        text, css = time_left(obj.deadline)
        return format_html('<span class="{}">{}</span>', css, text) if css else text

    def get_form(self, request: HttpRequest, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        return type(form.__name__, (form,), {"user": request.user})

    def formfield_for_foreignkey(self, db_field, request: HttpRequest, **kwargs):
        if db_field.name == "post":
            # Picked through an autocomplete (``SourceScopedAutocompleteMixin`` on the post
            # admin): live posts of the units the user approves for.
            from pages.models import Post

            kwargs["queryset"] = Post.objects.filter(
                request_grants(request, Perm.APPROVE).q("unit__"), live_revision__isnull=False
            ).select_related("unit")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_readonly_fields(self, request: HttpRequest, obj=None):
        return self.readonly_fields if obj is not None else []

    def get_fields(self, request: HttpRequest, obj=None):
        return self.readonly_fields if obj is not None else ["post", "source", "requester", "reason", "received_at"]

    def has_add_permission(self, request: HttpRequest, *args) -> bool:
        return self._may(request, Perm.APPROVE, None)

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        # A request is a record: it changes only by taking the post down (which closes it).
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: TakedownRequest, form: TakedownRequestForm, change: bool) -> None:
        recorded = services.takedown_request_record(
            post=form.cleaned_data["post"], source=form.cleaned_data["source"],
            requester=form.cleaned_data["requester"], reason=form.cleaned_data["reason"],
            received_at=form.cleaned_data["received_at"], by=request.user,
        )
        # The admin goes on with ``obj`` (its log entry, its redirect): make it the saved row.
        obj.pk, obj.deadline, obj.recorded_by, obj.state = recorded.pk, recorded.deadline, request.user, recorded.state

    def changelist_view(self, request: HttpRequest, extra_context=None):
        response = super().changelist_view(request, extra_context)
        add_never_cache_headers(response)
        return response


@admin.register(ApprovalRoute)
class ApprovalRouteAdmin(SuperuserOnlyAdminMixin, admin.ModelAdmin):
    """Routes are set by the centre's super-admins only."""

    list_display = ["unit_kind", "approver_kind"]


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(admin.ModelAdmin):
    """Each user edits their own preference, and only theirs (superusers included: it is a
    personal choice, not configuration). The list is the user's own form."""

    fields = ["daily_digest"]

    def _staff(self, request: HttpRequest) -> bool:
        return bool(request.user.is_active and request.user.is_staff)

    def get_queryset(self, request: HttpRequest):
        return super().get_queryset(request).filter(user=request.user.pk)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self._staff(request)

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        return self._staff(request) and (obj is None or obj.user_id == request.user.pk)

    has_change_permission = has_view_permission

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def changelist_view(self, request: HttpRequest, extra_context=None):
        if not self._staff(request):
            raise PermissionDenied
        # Created on first visit: every user has exactly one, and "no row" already means "immediate".
        preference, _created = NotificationPreference.objects.get_or_create(user=request.user)
        return HttpResponseRedirect(reverse("admin:moderation_notificationpreference_change", args=[preference.pk]))

    def response_change(self, request: HttpRequest, obj):
        self.message_user(request, gettext("Đã lưu tùy chọn thông báo."), messages.SUCCESS)
        return HttpResponseRedirect(reverse("admin:moderation_notificationpreference_change", args=[obj.pk]))
