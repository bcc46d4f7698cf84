"""The rollout dashboard (staff: unit admins and approvers, scoped to their subtree) and the
public register of documents."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _

from orgunits.middleware import second_factor_required
from orgunits.models import OrgUnit, UnitKind
from pages.selectors import page_for_unit

from . import charts, reports
from .exports import file_response
from .models import Condition, RolloutTarget
from .selectors import (
    access_dashboard_unit,
    dashboard_for,
    dashboard_roots,
    dashboard_scope_q,
    public_document,
    public_documents,
    silent_pages_units,
    target_units,
)

EXPORT_FORMATS = ("csv", "xlsx")
LIST_PAGE_SIZE = 200


def staff_dashboard(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Login required; a second factor when the site asks approvers and admins for one (the
    admin's middleware covers only the admin's paths); never cached."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        user = request.user
        if not user.is_authenticated:
            return redirect_to_login(request.get_full_path(), reverse(settings.LOGIN_URL))
        is_verified = getattr(user, "is_verified", None)
        if settings.VIETFRONT_REQUIRE_2FA and not (is_verified and is_verified()) and second_factor_required(user):
            query = urlencode({"next": request.get_full_path()})
            return HttpResponseRedirect(f"{reverse('orgunits:otp_verify')}?{query}")
        response = view(request, *args, **kwargs)
        add_never_cache_headers(response)
        response["Cache-Control"] += ", private"
        return response

    return wrapped


def _root(request: HttpRequest) -> tuple[OrgUnit, list[OrgUnit]]:
    """The unit the request looks at (``?unit=``, inside the user's scope) and the tops of that
    scope. 403 for users without a dashboard; 404 for a unit outside their scope."""
    roots = dashboard_roots(user=request.user)
    unit_id = request.GET.get("unit")
    unit = access_dashboard_unit(user=request.user, unit_id=unit_id) if unit_id else roots[0]
    return unit, roots


def _trail(request: HttpRequest, unit: OrgUnit) -> list[OrgUnit]:
    """The unit's ancestors inside the user's scope, top down: the drill-up links."""
    return list(OrgUnit.objects.ancestors_of(unit, include_self=False).filter(dashboard_scope_q(request.user)))


@staff_dashboard
def dashboard(request: HttpRequest) -> HttpResponse:
    unit, roots = _root(request)
    d = dashboard_for(root=unit)
    tables = reports.dashboard_tables(d)
    target_blocks = []
    for f in d.targets:
        rows = [
            (cell.unit.name, cell.percent, None if cell.unit.pk == unit.pk else reports.dashboard_url(cell.unit))
            for cell in f.by_child
        ]
        target_blocks.append(
            {
                "figure": f,
                "note": reports.applies_note(f),
                "reason": reports.applies_reason(f),
                "table": tables[f"chi-tieu-{f.target.pk}"],
                "chart": charts.column_chart(title=f.target.name, rows=rows, target=f.target.target_percent)
                if len(rows) > 1 else None,
                "ranked": reports.ranking_tables(d, f),
                "missing_url": reports.list_url(unit, "missing", f.target.pk),
            }
        )
    timeline_chart = None
    if d.timeline:
        kinds = [k for k in d.timeline if any(d.timeline_units.get(k, ()))]
        if kinds:
            dates = [day for day, _n in d.timeline[kinds[0]]]
            # Each month over the units of that month: a reform changes the denominator.
            series = [
                (UnitKind(k).label, f"series-{k}", [d.timeline_percent(k, i) for i in range(len(dates))])
                for k in kinds
            ]
            goals = sorted(
                {(float(f.target.target_percent), f"{f.target.target_percent}%") for f in d.targets
                 if f.target.condition == Condition.ACTIVE_PAGE and f.target.unit_kind in kinds}
            )
            breaks = [(r, reports.reform_note(r)) for rows in reports.timeline_breaks(d).values() for r in rows]
            timeline_chart = charts.line_chart(
                title=_("Tỷ lệ đơn vị có trang đang hoạt động, cuối mỗi tháng"), dates=dates, series=series,
                targets=goals, breaks=breaks,
            )
    mapped = reports.map_figure(d)
    context = {
        "unit": unit,
        "roots": roots if len(roots) > 1 else [],
        "province_map": reports.province_map(d, mapped) if mapped else None,
        "trail": _trail(request, unit),
        "d": d,
        "tables": tables,
        # The map's own table folds under the map.
        "full_tables": [t for key, t in tables.items() if key != "ban-do"],
        "target_blocks": target_blocks,
        "timeline_chart": timeline_chart,
        "export_base": urlencode({"unit": unit.pk}),
    }
    return render(request, "rollout/dashboard.html", context)


@staff_dashboard
def export(request: HttpRequest, key: str, fmt: str) -> HttpResponse:
    """One table of the dashboard as CSV or XLSX: the same rows the page shows."""
    if fmt not in EXPORT_FORMATS:
        raise Http404("No such format.")
    unit, _roots = _root(request)
    table = reports.dashboard_tables(dashboard_for(root=unit)).get(key)
    if table is None:
        raise Http404("No such table.")
    return file_response(table, fmt, stem=f"{key}-{unit.slug or 'ca-nuoc'}")


def _units_list(request: HttpRequest, unit: OrgUnit) -> tuple[str, object]:
    which = request.GET.get("which", "")
    if which == "silent":
        return reports.which_title("silent"), silent_pages_units(root=unit)
    if which not in ("met", "missing"):
        raise Http404("No such list.")
    target_id = request.GET.get("target", "")
    target = (
        RolloutTarget.objects.filter(pk=int(target_id), is_active=True).select_related("scope").first()
        if target_id.isdecimal() and target_id.isascii() else None
    )
    if target is None:
        raise Http404("No such target.")
    title = f"{target.name}: {reports.which_title(which).lower()}"
    return title, target_units(target=target, root=unit, met=which == "met")


@staff_dashboard
def units(request: HttpRequest) -> HttpResponse:
    """The list behind a number: which units met a target, which did not, which pages are silent."""
    unit, _roots = _root(request)
    title, queryset = _units_list(request, unit)
    fmt = request.GET.get("format")
    host = request.build_absolute_uri("/").rstrip("/")
    if fmt in EXPORT_FORMATS:
        table = reports.units_table(units=queryset, title=title, request_host=host)
        return file_response(table, fmt, stem=f"danh-sach-{unit.slug or 'ca-nuoc'}")
    page = Paginator(queryset, LIST_PAGE_SIZE).get_page(request.GET.get("trang"))
    table = reports.units_table(
        units=page.object_list, title=title, request_host=host, start=page.start_index() or 1
    )
    params = request.GET.copy()
    params.pop("trang", None)
    return render(
        request,
        "rollout/units.html",
        {"unit": unit, "title": title, "table": table, "page": page, "trail": _trail(request, unit),
         "query": params.urlencode()},
    )


# --- public register of documents ---------------------------------------------------------------


def _public_unit(unit_path: str) -> OrgUnit:
    unit = OrgUnit.objects.filter(path=unit_path).first()
    if unit is None:
        raise Http404("No unit at this path.")
    return unit


def _with_approved_files(document):
    """``document`` with ``files``: the attachments its post's live revision was approved with,
    under their approved titles (from the prefetched rows: no query). A file attached since
    awaits approval like any other edit."""
    post = document.post
    document.files = post.live_revision.approved_documents(post.documents.all())
    return document


def documents(request: HttpRequest, unit_path: str) -> HttpResponse:
    unit = _public_unit(unit_path)
    query = request.GET.get("q", "").strip()[:200]
    page = Paginator(public_documents(unit=unit, query=query), 20).get_page(request.GET.get("trang"))
    page.object_list = [_with_approved_files(document) for document in page.object_list]
    return render(
        request, "rollout/documents.html",
        {"unit": unit, "page": page, "query": query, "community_page": page_for_unit(unit=unit)},
    )


def document_detail(request: HttpRequest, unit_path: str, pk: int) -> HttpResponse:
    document = _with_approved_files(public_document(unit_path=unit_path, pk=pk))
    return render(request, "rollout/document_detail.html", {"document": document, "unit": document.unit})
