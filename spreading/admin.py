"""Staff side of spreading: send a post down, propose it up, follow the progress, decide.

Every list and object is scoped through ``orgunits.admin_scoping`` (a spread by its sending
unit, a delivery by its target page's unit); absent and forbidden objects answer the same 404.
The writes are the services'; these views only collect the input and show the outcome.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from orgunits.admin_scoping import UnitScopedAdminMixin, request_grants, request_scope_q
from orgunits.models import OrgUnit
from orgunits.roles import Perm
from pages.models import Post

from . import services
from .forms import ProposeForm, ReasonForm, SpreadForm
from .models import Delivery, Direction, Spread, SpreadState
from .selectors import reach, spread_counts, spread_rows
from .states import VISIBLE, DeliveryState

SEND_PERMS = (Perm.APPROVE, Perm.ADMIN)


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _refusal(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return " ".join(exc.messages)
    return str(exc) or gettext("Bạn không có quyền thực hiện thao tác này.")


def _staff(request: HttpRequest) -> None:
    if not (request.user.is_active and request.user.is_staff):
        raise PermissionDenied


def _render(request: HttpRequest, template: str, context: dict) -> TemplateResponse:
    response = TemplateResponse(request, template, context)
    add_never_cache_headers(response)
    return response


@admin.register(Spread)
class SpreadAdmin(UnitScopedAdminMixin, admin.ModelAdmin):
    unit_lookup = "from_unit"
    view_perm = Perm.EDIT  # editors follow their proposals
    change_perm = Perm.APPROVE
    list_display = ("post", "from_unit", "direction", "scope", "state", "targeted", "created_at")
    list_select_related = ("post", "from_unit")
    list_filter = ("direction", "state")
    ordering = ("-created_at", "-id")
    change_list_template = "admin/spreading/spread/change_list.html"

    def has_add_permission(self, request: HttpRequest, *args) -> bool:
        return False  # spreads start from a post (the post list's actions)

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False  # the record stays; a spread is withdrawn, not deleted

    def get_urls(self):
        return [
            path("gui/", self.admin_site.admin_view(self.send_view), name="spreading_spread_send"),
            path("de-xuat/", self.admin_site.admin_view(self.propose_view), name="spreading_spread_propose"),
            path("so-lieu/", self.admin_site.admin_view(self.figures_view), name="spreading_spread_figures"),
            path("<path:object_id>/change/", self.admin_site.admin_view(self.progress_view),
                 name="spreading_spread_change"),
            *super().get_urls(),
        ]

    # --- sending down ------------------------------------------------------------------------
    def _senders(self, request: HttpRequest, post: Post) -> QuerySet[OrgUnit]:
        """Units from which the user may spread ``post``: its own, and those that accepted it
        from below, where they approve or administer."""
        accepted = Delivery.objects.filter(post=post, spread__direction=Direction.UP, state__in=VISIBLE)
        return OrgUnit.objects.filter(
            Q(pk=post.unit_id) | Q(pk__in=accepted.values("unit_id")),
            request_scope_q(request, *SEND_PERMS),
        ).order_by("lft")

    def send_view(self, request: HttpRequest) -> HttpResponse:
        _staff(request)
        post = services.spreadable_posts().select_related("unit").filter(pk=_int(request.GET.get("post"))).first()
        senders = self._senders(request, post) if post is not None else OrgUnit.objects.none()
        if post is None or not senders.exists():
            raise Http404("No such post.")
        below = Q()
        for grant in (request_grants(request, p) for p in SEND_PERMS):
            below |= grant.q()
        form = SpreadForm(request.POST or None, senders=senders, pickable=OrgUnit.objects.filter(below),
                          admin_site=self.admin_site, initial={"from_unit": senders.first()})
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                spread = services.spread_down(
                    post=post, from_unit=data["from_unit"], by=request.user, scope=data["scope"],
                    kinds=data["kinds"], units=data["units"], ask_confirmation=data["ask_confirmation"],
                    note=data["note"],
                )
            except (PermissionDenied, ValidationError) as exc:
                form.add_error(None, _refusal(exc))
            else:
                self.message_user(request, gettext("Đang gửi bài đến %(n)d trang.") % {"n": spread.targeted},
                                  messages.SUCCESS)
                return HttpResponseRedirect(reverse("admin:spreading_spread_change", args=[spread.pk]))
        return _render(request, "admin/spreading/send.html", {
            **self.admin_site.each_context(request), "opts": self.opts, "post": post, "form": form,
            "media": self.media + form.media, "title": gettext("Lan tỏa xuống cấp dưới: %(t)s") % {"t": post.title},
        })

    # --- proposing up ------------------------------------------------------------------------
    def propose_view(self, request: HttpRequest) -> HttpResponse:
        _staff(request)
        post = (Post.objects.published().select_related("unit")
                .filter(request_scope_q(request, Perm.EDIT, unit_ref="unit__"), pk=_int(request.GET.get("post")))
                .first())
        if post is None:
            raise Http404("No such post.")
        ancestors = OrgUnit.objects.ancestors_of(post.unit, include_self=False).filter(is_active=True)
        form = ProposeForm(request.POST or None, ancestors=ancestors,
                           initial={"to_unit": ancestors.order_by("-lft").first()})
        if request.method == "POST" and form.is_valid():
            try:
                delivery = services.post_propose(post=post, to_unit=form.cleaned_data["to_unit"], by=request.user,
                                                 note=form.cleaned_data["note"])
            except (PermissionDenied, ValidationError) as exc:
                form.add_error(None, _refusal(exc))
            else:
                self.message_user(request, gettext("Đã đề xuất bài lên %(u)s.") % {"u": delivery.unit.name},
                                  messages.SUCCESS)
                return HttpResponseRedirect(reverse("admin:spreading_spread_change", args=[delivery.spread_id]))
        return _render(request, "admin/spreading/propose.html", {
            **self.admin_site.each_context(request), "opts": self.opts, "post": post, "form": form,
            "title": gettext("Đề xuất lên cấp trên: %(t)s") % {"t": post.title},
        })

    # --- figures (the dashboard's tables and exports) -----------------------------------------
    def figures_view(self, request: HttpRequest) -> HttpResponse:
        """Reach, confirmations and declines per spread; proposals sent and accepted per unit;
        inside the units where the user holds a role. ``?xuat=csv|xlsx&bang=lan-toa|de-xuat``
        downloads a table."""
        from rollout.exports import file_response

        from .reports import proposals_table, spreads_table

        _staff(request)
        if not self.has_module_permission(request):
            raise PermissionDenied
        perms = (Perm.EDIT, Perm.APPROVE, Perm.ADMIN)
        tables = {
            "lan-toa": lambda: spreads_table(scope=request_scope_q(request, *perms, unit_ref="from_unit__")),
            "de-xuat": lambda: proposals_table(scope=request_scope_q(request, *perms, unit_ref="spread__from_unit__")),
        }
        fmt, key = request.GET.get("xuat", ""), request.GET.get("bang", "")
        if fmt or key:
            if fmt not in ("csv", "xlsx") or key not in tables:
                raise Http404("No such export.")
            table = tables[key]()
            return file_response(table, fmt, stem=table.title)
        return _render(request, "admin/spreading/figures.html", {
            **self.admin_site.each_context(request), "opts": self.opts,
            "tables": [build() for build in tables.values()], "title": gettext("Số liệu lan tỏa"),
        })

    # --- progress ----------------------------------------------------------------------------
    def progress_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        _staff(request)
        spread = (self.get_queryset(request).select_related("post", "from_unit", "created_by")
                  .filter(pk=_int(object_id)).first())
        if spread is None:
            raise Http404("No such spread.")
        reason_form = ReasonForm(request.POST or None)
        if request.method == "POST":
            try:
                if request.POST.get("action") == "retry":
                    n = services.spread_retry_failed(spread=spread, by=request.user)
                    self.message_user(request, gettext("Đã gửi lại %(n)d trang lỗi.") % {"n": n}, messages.SUCCESS)
                elif request.POST.get("action") == "withdraw":
                    n = services.spread_withdraw(spread=spread, by=request.user,
                                                 reason=request.POST.get("reason", ""))
                    self.message_user(request, gettext("Đã thu hồi bài khỏi %(n)d trang.") % {"n": n},
                                      messages.SUCCESS)
            except (PermissionDenied, ValidationError) as exc:
                self.message_user(request, _refusal(exc), messages.ERROR)
            return HttpResponseRedirect(request.path)
        state = request.GET.get("state", "")
        state = state if state in DeliveryState.values else ""
        counts = spread_counts(spread=spread)
        return _render(request, "admin/spreading/progress.html", {
            **self.admin_site.each_context(request), "opts": self.opts, "spread": spread, "original": spread,
            "counts": [(s, s.label, counts[s.value]) for s in DeliveryState], "state": state,
            "rows": list(spread_rows(spread=spread, state=state, limit=200)), "reach": reach(spread=spread),
            "ahead": spread.state != SpreadState.WITHDRAWN and not Post.objects.published().filter(pk=spread.post_id).exists(),
            "written": sum(counts.values()), "reason_form": reason_form,
            "title": gettext("Tiến độ lan tỏa: %(t)s") % {"t": spread.post.title},
        })


@admin.register(Delivery)
class DeliveryAdmin(UnitScopedAdminMixin, admin.ModelAdmin):
    """What was spread to the user's pages, and the proposals waiting for their decision."""

    unit_lookup = "unit"
    view_perm = Perm.EDIT
    change_perm = Perm.APPROVE
    list_display = ("post", "unit", "sender", "direction", "state", "changed_at", "decide")
    list_select_related = ("post", "unit", "spread__from_unit")
    list_filter = ("state", "spread__direction")
    ordering = ("-changed_at", "-id")
    readonly_fields = ("spread", "post", "unit", "state", "reason", "error", "decided_by", "changed_at")

    @admin.display(description=_("gửi từ"))
    def sender(self, obj: Delivery) -> str:
        return obj.spread.from_unit.name

    @admin.display(description=_("hướng"))
    def direction(self, obj: Delivery) -> str:
        return obj.spread.get_direction_display()

    @admin.display(description=_("quyết định"))
    def decide(self, obj: Delivery) -> str:
        from django.utils.html import format_html

        if obj.state != DeliveryState.AWAITING and obj.state != DeliveryState.SHOWN:
            return "—"
        return format_html('<a href="{}">{}</a>', reverse("admin:spreading_delivery_decide", args=[obj.pk]),
                           gettext("Xác nhận / từ chối"))

    def has_add_permission(self, request: HttpRequest, *args) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        """No edit form (decisions go through ``decide_view``). Without an object: whether the
        user may send anywhere, which the unit picker of the send form asks."""
        if obj is not None:
            return False
        return any(self._may(request, p, None) for p in SEND_PERMS)

    def formfield_for_foreignkey(self, db_field, request: HttpRequest, **kwargs):
        if db_field.name == "unit":  # the send form's picker: where the user may send
            kwargs["queryset"] = OrgUnit.objects.filter(request_scope_q(request, *SEND_PERMS))
            return db_field.formfield(**kwargs)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_urls(self):
        return [
            path("<path:object_id>/quyet-dinh/", self.admin_site.admin_view(self.decide_view),
                 name="spreading_delivery_decide"),
            *super().get_urls(),
        ]

    def decide_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        _staff(request)
        delivery = (self.get_queryset(request).select_related("post", "unit", "spread__from_unit")
                    .filter(pk=_int(object_id)).first())
        if delivery is None:
            raise Http404("No such delivery.")
        form = ReasonForm(request.POST or None)
        if request.method == "POST":
            try:
                if request.POST.get("action") == "confirm":
                    services.delivery_confirm(delivery=delivery, by=request.user)
                    done = gettext("Đã xác nhận hiển thị bài trên trang.")
                else:
                    services.delivery_decline(delivery=delivery, by=request.user,
                                              reason=request.POST.get("reason", ""))
                    done = gettext("Đã từ chối bài.")
            except (PermissionDenied, ValidationError) as exc:
                form.add_error(None, _refusal(exc))
            else:
                self.message_user(request, done, messages.SUCCESS)
                return HttpResponseRedirect(reverse("admin:spreading_delivery_changelist"))
        return _render(request, "admin/spreading/decide.html", {
            **self.admin_site.each_context(request), "opts": self.opts, "delivery": delivery, "form": form,
            "title": gettext("Bài gửi đến %(u)s: %(t)s") % {"u": delivery.unit.name, "t": delivery.post.title},
        })


# --- the post list's actions (contributed here so pages does not depend on spreading) ------
@admin.action(description=_("Lan tỏa xuống cấp dưới"))
def spread_down_action(modeladmin, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
    return _one_post_redirect(modeladmin, request, queryset, "admin:spreading_spread_send")


@admin.action(description=_("Đề xuất lên cấp trên"))
def propose_up_action(modeladmin, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
    return _one_post_redirect(modeladmin, request, queryset, "admin:spreading_spread_propose")


def _one_post_redirect(modeladmin, request, queryset, name: str) -> HttpResponse | None:
    ids = list(queryset.values_list("pk", flat=True)[:2])
    if len(ids) != 1:
        modeladmin.message_user(request, gettext("Hãy chọn đúng một bài viết."), messages.WARNING)
        return None
    return HttpResponseRedirect(f"{reverse(name)}?post={ids[0]}")


_post_admin = admin.site._registry.get(Post)
if _post_admin is not None:
    _post_admin.actions = [*(_post_admin.actions or []), spread_down_action, propose_up_action]
