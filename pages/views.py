"""Public views. Anonymous and read-only."""

from urllib.parse import quote

from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponsePermanentRedirect
from django.shortcuts import render
from django.utils.cache import add_never_cache_headers

from orgunits.models import OrgUnit, UnitKind
from orgunits.services import resolve_redirect
from vietfront.text import nfc, vi_slugify

from .documents import CONTENT_TYPES
from .selectors import access_document, public_post


def attachment_header(name: str, kind: str) -> str:
    """``attachment`` with an ASCII fallback name and the exact UTF-8 name (RFC 6266/5987).

    The extension always comes from the verified kind, never from what was uploaded.
    """
    stem = nfc(name).rsplit(".", 1)[0] if "." in name else nfc(name)
    ascii_name = f"{vi_slugify(stem, max_length=80) or 'tai-lieu'}.{kind}"
    utf8_name = quote(f"{stem.replace('/', '_').replace(chr(92), '_')}.{kind}", safe="")
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{utf8_name}"


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


def post_detail(request: HttpRequest, unit_path: str, slug: str) -> HttpResponse:
    """A published post on its own unit's page (placeholder layout; the public-site issue owns it)."""
    post = public_post(unit_path=unit_path, slug=slug)
    if post is None:
        raise Http404("No such post.")
    return render(request, "pages/post_detail.html", {"post": post, "page": post.page, "unit": post.unit})


def document_download(request: HttpRequest, pk: int) -> FileResponse:
    """A post's attached document, as a download, never rendered inline by the browser."""
    document = access_document(user=request.user, document_id=pk)
    response = FileResponse(document.file.open("rb"), content_type=CONTENT_TYPES[document.kind])
    response["Content-Disposition"] = attachment_header(document.original_name or document.title, document.kind)
    response["Content-Length"] = str(document.size)
    response["X-Content-Type-Options"] = "nosniff"
    # Should a browser render it after all, it runs nothing and reaches nothing.
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    if not document.post.is_public:
        add_never_cache_headers(response)
        response["Cache-Control"] += ", private"
    return response
