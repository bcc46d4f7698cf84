"""Unit admins connect, watch and disconnect their unit's channels; editors see, on each post,
what became of it on every channel (``ChannelDeliveryInline``, added to the post admin)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import Model, QuerySet
from django.forms.models import BaseInlineFormSet
from django.http import Http404, HttpRequest
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from orgunits.admin_filters import ScopedUnitFilter
from orgunits.admin_scoping import UnitScopedAdminMixin
from orgunits.roles import Perm

from . import crypto, services
from .forms import ChannelConnectionForm
from .models import ChannelConnection, ChannelDelivery, ConnectionStatus, DeliveryState


class ConnectionUnitFilter(ScopedUnitFilter):
    unit_ref = "unit__"


def _local(value) -> str:
    return timezone.localtime(value).strftime("%H:%M %d/%m/%Y") if value else "—"


@admin.register(ChannelConnection)
class ChannelConnectionAdmin(UnitScopedAdminMixin, admin.ModelAdmin):
    form = ChannelConnectionForm
    unit_lookup = "unit"
    view_perm = Perm.ADMIN
    change_perm = Perm.ADMIN
    list_display = ("__str__", "unit", "platform", "health", "token_hint", "last_ok_at")
    list_select_related = ("unit",)
    list_filter = ("platform", "status", ConnectionUnitFilter)
    autocomplete_fields = ("unit",)
    readonly_fields = ("token_hint", "health", "status_message", "last_ok_at", "last_error_at", "token_expires_at",
                       "connected_by", "created_at", "updated_at")
    actions = ["disconnect_selected"]
    fieldsets = (
        (None, {"fields": ("unit", "platform", "external_id", "name")}),
        (_("Mã truy cập"), {"fields": ("access_token", "refresh_token", "token_hint", "token_expires_at")}),
        (_("Tình trạng"), {"fields": ("health", "status_message", "last_ok_at", "last_error_at", "connected_by",
                                       "created_at", "updated_at")}),
    )

    def get_object(self, request: HttpRequest, object_id: str, from_field: str | None = None) -> Model:
        # The same 404 for another unit's connection and for none at all.
        obj = super().get_object(request, object_id, from_field)
        if obj is None:
            raise Http404("No such connection.")
        return obj

    def get_readonly_fields(self, request: HttpRequest, obj: ChannelConnection | None = None) -> tuple[str, ...]:
        # A connection stays with its unit and platform: its deliveries were made there.
        return (*self.readonly_fields, "unit", "platform") if obj is not None else self.readonly_fields

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False  # disconnect instead: the posts made through it must stay traceable

    @admin.display(description=_("tình trạng"))
    def health(self, obj: ChannelConnection) -> str:
        marks = {ConnectionStatus.ACTIVE: "✓", ConnectionStatus.BROKEN: "✗", ConnectionStatus.DISCONNECTED: "–"}
        text = obj.get_status_display()
        if obj.status == ConnectionStatus.ACTIVE and obj.last_error_at and (
            obj.last_ok_at is None or obj.last_error_at > obj.last_ok_at
        ):
            text = gettext("%(status)s (lỗi tạm thời lúc %(when)s)") % {"status": text, "when": _local(obj.last_error_at)}
        return format_html('<span class="channel-health channel-health--{}">{} {}</span>', obj.status,
                           marks.get(obj.status, ""), text)

    def save_model(self, request: HttpRequest, obj: ChannelConnection, form: ChannelConnectionForm, change: bool) -> None:
        try:
            services.connection_save(connection=obj, by=request.user, access_token=form.cleaned_data.get("access_token", ""),
                                     refresh_token=form.cleaned_data.get("refresh_token", ""))
        except crypto.ChannelKeyError as exc:  # the form checked the key; it may have changed since
            self.message_user(request, str(exc), messages.ERROR)

    @admin.action(description=_("Ngắt kết nối các kênh đã chọn"), permissions=["change"])
    def disconnect_selected(self, request: HttpRequest, queryset: QuerySet) -> None:
        done = 0
        for connection in queryset:
            if self.has_change_permission(request, connection):
                services.connection_disconnect(connection=connection, by=request.user)
                done += 1
        self.message_user(request, gettext("Đã ngắt kết nối %(n)d kênh.") % {"n": done}, messages.SUCCESS)


class DisplayOnlyFormSet(BaseInlineFormSet):
    """Shown, never submitted: the rows are written by tasks, and a post form sent without this
    formset's management data (older pages, scripts, other tests' clients) must still save."""

    def __init__(self, data=None, files=None, *args, **kwargs):
        instance = kwargs.get("instance")
        if instance is None or instance.published_at is None:
            # Never published, so never sent anywhere: no query for the panel of a draft.
            kwargs["queryset"] = ChannelDelivery.objects.none()
        super().__init__(None, None, *args, **kwargs)
        self.new_objects, self.changed_objects, self.deleted_objects = [], [], []

    def is_valid(self) -> bool:
        return True

    def save(self, commit: bool = True) -> list:
        return []


class ChannelDeliveryInline(admin.TabularInline):
    """On the post change form: each channel's answer. Written by the tasks only; the post
    admin already scoped the post, and a delivery belongs to the post's own unit."""

    model = ChannelDelivery
    formset = DisplayOnlyFormSet
    fields = ("channel", "state_line", "remote_link", "message", "figures_line", "posted_at")
    readonly_fields = fields
    extra = 0
    can_delete = False
    verbose_name = _("bài trên kênh")
    verbose_name_plural = _("Facebook và Zalo")

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        # Not the inline's own permission check, which asks without the post (so it would
        # answer no): the formset is bound to a post the post admin already decided on.
        return self.model._default_manager.select_related("connection")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return obj is not None

    @admin.display(description=_("kênh"))
    def channel(self, obj: ChannelDelivery) -> str:
        # Plain text: editors do not open connections, which are the unit admin's.
        return str(obj.connection)

    @admin.display(description=_("trạng thái"))
    def state_line(self, obj: ChannelDelivery) -> str:
        labels = {DeliveryState.PENDING: gettext("Đang chờ"), DeliveryState.SENDING: gettext("Đang chờ")}
        return labels.get(obj.state, obj.get_state_display())

    @admin.display(description=_("liên kết"))
    def remote_link(self, obj: ChannelDelivery) -> str:
        if obj.state == DeliveryState.POSTED and obj.remote_url:
            return format_html('<a href="{}" rel="noopener noreferrer" target="_blank">{}</a>', obj.remote_url,
                               gettext("Xem trên kênh"))
        return obj.remote_id if obj.state == DeliveryState.POSTED else "—"

    @admin.display(description=_("số liệu"))
    def figures_line(self, obj: ChannelDelivery) -> str:
        if not obj.figures:
            return "—"
        names = {"reach": gettext("tiếp cận"), "reactions": gettext("cảm xúc"), "clicks": gettext("lượt bấm"),
                 "views": gettext("lượt xem"), "shares": gettext("chia sẻ"), "comments": gettext("bình luận")}
        text = ", ".join(f"{names.get(k, k)}: {v}" for k, v in obj.figures.items())
        return gettext("%(figures)s (lúc %(when)s)") % {"figures": text, "when": _local(obj.figures_at)}


@admin.register(ChannelDelivery)
class ChannelDeliveryAdmin(UnitScopedAdminMixin, admin.ModelAdmin):
    """Editors' list of what went where, and "send again" for what failed or is uncertain.
    Rows are written by the tasks only: nothing here is editable."""

    unit_lookup = "post__unit"
    view_perm = Perm.EDIT
    change_perm = Perm.EDIT
    list_display = ("post", "connection", "state", "message", "posted_at", "updated_at")
    list_select_related = ("post", "connection")
    list_filter = ("state", "connection__platform")
    fields = ("post", "connection", "state", "message", "remote_id", "remote_url", "attempts", "posted_at",
              "figures", "figures_at")
    readonly_fields = fields
    actions = ["send_again"]

    def get_object(self, request: HttpRequest, object_id: str, from_field: str | None = None) -> Model:
        obj = super().get_object(request, object_id, from_field)
        if obj is None:
            raise Http404("No such delivery.")
        return obj

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    @admin.action(description=_("Gửi lại lên kênh"), permissions=["change"])
    def send_again(self, request: HttpRequest, queryset: QuerySet) -> None:
        # ``queryset`` is already the user's scope; a live post on an active channel only.
        done = sum(services.delivery_retry(delivery_id=pk) for pk in queryset.values_list("pk", flat=True))
        self.message_user(request, gettext("Đã xếp %(n)d bài để gửi lại.") % {"n": done},
                          messages.SUCCESS if done else messages.WARNING)
