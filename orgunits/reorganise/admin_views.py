"""The unit admin's pages for one change to the tree: a form, its dry-run report, then apply.

Only active super admins reach them (403 for everyone else, before any unit is looked up).
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _

from ..models import OrgUnit, UnitKind
from ..signals import unit_tree_changed
from .single import FORMS, OPERATION_TITLES, UNIT_COUNT_LABELS, SingleChangeError, single_change_run


def _report_context(report) -> dict:
    return {
        "report": report,
        "unit_counts": [(UNIT_COUNT_LABELS.get(kind, kind), n) for kind, n in sorted(report.units.items())],
        # Only the targets the change moves: the others read the same before and after.
        "target_rows": [
            {**row, "level": UnitKind(row["kind"]).label} for row in report.targets
            if (row["met_before"], row["total_before"]) != (row["met_after"], row["total_after"])
            or row["stops_applying"]
        ],
    }


def single_change_view(model_admin, request: HttpRequest, object_id: str, operation: str) -> HttpResponse:
    if not (request.user.is_active and request.user.is_superuser):
        raise PermissionDenied
    form_class = FORMS.get(operation)
    if form_class is None:
        raise Http404("No such operation.")
    unit = get_object_or_404(OrgUnit, pk=object_id)
    context: dict = {}
    if request.method == "POST":
        form = form_class(request.POST, unit=unit, admin_site=model_admin.admin_site)
        apply = "_apply" in request.POST
        if form.is_valid():
            try:
                outcome = single_change_run(form, by=request.user.get_username(), dry_run=not apply)
            except SingleChangeError as exc:
                for message in exc.messages:
                    form.add_error(None, message)
            else:
                if apply:
                    return _applied(model_admin, request, unit, outcome)
                context.update(_report_context(outcome.report))
    else:
        form = form_class(unit=unit, admin_site=model_admin.admin_site)
    opts = model_admin.model._meta
    context.update({
        **model_admin.admin_site.each_context(request),
        "title": OPERATION_TITLES[operation],
        "subtitle": unit.name,
        "opts": opts,
        "unit": unit,
        "form": form,
        "media": model_admin.media + form.media,
        "operation": operation,
        "operations": list(OPERATION_TITLES.items()),
    })
    return TemplateResponse(request, "admin/orgunits/reorganise_single.html", context)


def _applied(model_admin, request: HttpRequest, unit: OrgUnit, outcome) -> HttpResponse:
    if outcome.report.changed_anything:
        unit_tree_changed.send(sender=model_admin.__class__)
        model_admin.message_user(request, _("Đã áp dụng thay đổi cho “%(name)s”.") % {"name": unit.name},
                                 messages.SUCCESS)
    else:
        model_admin.message_user(request, _("Không có gì thay đổi: thao tác đã có hiệu lực từ trước."),
                                 messages.INFO)
    return HttpResponseRedirect(reverse("admin:orgunits_orgunit_change", args=[unit.pk]))
