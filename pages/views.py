"""Public views. Anonymous and read-only."""

from django.http import Http404, HttpRequest, HttpResponse, HttpResponsePermanentRedirect
from django.shortcuts import render

from orgunits.models import OrgUnit, UnitKind
from orgunits.services import resolve_redirect


def home(request: HttpRequest) -> HttpResponse:
    central = OrgUnit.objects.filter(kind=UnitKind.CENTRAL).first()
    provinces = (
        OrgUnit.objects.filter(parent=central, is_active=True).order_by("code", "name") if central else []
    )
    return render(request, "public/home.html", {"unit": central, "children": provinces})


def unit_page(request: HttpRequest, unit_path: str) -> HttpResponse:
    unit = OrgUnit.objects.filter(path=unit_path).select_related("successor").first()
    if unit is None:
        moved_to = resolve_redirect(unit_path)
        if moved_to is None:
            raise Http404("No unit at this path.")
        return HttpResponsePermanentRedirect(moved_to.get_absolute_url())
    children = OrgUnit.objects.filter(parent=unit, is_active=True).order_by("code", "name")
    ancestors = OrgUnit.objects.ancestors_of(unit, include_self=False)
    return render(request, "public/unit.html", {"unit": unit, "children": children, "ancestors": ancestors})
