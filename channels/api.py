"""The public read API, version 1: units, the published posts of a unit or its subtree, and a
post's approved content. Plain Django views: read-only JSON needs no framework.

Only what the public pages show: posts through ``Post.objects.published()`` and their live
revision, never the working copy. Lists page with opaque cursors (keyset, not offsets: a
constant cost on the ten-thousandth page) and cost a constant number of queries. Responses go
through the public page cache (ETag, Last-Modified, invalidated by publications), are JSON with
``<``, ``>`` and ``&`` escaped, and carry CORS headers for GET from any origin.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable
from functools import wraps

from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.dateparse import parse_datetime
from django.views.decorators.http import require_safe

from orgunits.managers import subtree_q
from orgunits.models import OrgUnit
from pages.cache import public_cache, site_wide
from pages.models import PageStatus, Post
from vietfront.escaping import json_for_script

from .content import absolute

DEFAULT_LIMIT, MAX_LIMIT = 20, 100
LIST_QUERY = ("cursor", "limit")


def _json(data, status: int = 200) -> HttpResponse:
    return HttpResponse(str(json_for_script(data)), status=status, content_type="application/json; charset=utf-8")


def _error(status: int, message: str) -> HttpResponse:
    return _json({"error": {"status": status, "message": message}}, status=status)


def cors(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Any origin may read (credentials are never involved); a preflight is answered here."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if request.method == "OPTIONS":
            response = HttpResponse(status=204)
            response["Access-Control-Allow-Methods"] = "GET, HEAD, OPTIONS"
            response["Access-Control-Allow-Headers"] = "If-None-Match, If-Modified-Since"
            response["Access-Control-Max-Age"] = "86400"
        else:
            response = view(request, *args, **kwargs)
        response["Access-Control-Allow-Origin"] = "*"
        response["Access-Control-Expose-Headers"] = "ETag, Last-Modified"
        response["X-Content-Type-Options"] = "nosniff"
        return response

    return wrapped


def api_view(view: Callable[..., HttpResponse], *, query: tuple[str, ...] = ()) -> Callable[..., HttpResponse]:
    def guarded(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except Http404:
            return _error(404, "not found")
        except ValueError:
            return _error(400, "bad parameter")

    return cors(public_cache(site_wide, query=query)(require_safe(wraps(view)(guarded))))


# --- cursors -------------------------------------------------------------------------------
def _encode(*values) -> str:
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


def _decode(cursor: str) -> list:
    try:
        values = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise ValueError("bad cursor") from exc
    if not isinstance(values, list):
        raise ValueError("bad cursor")
    return values


def _limit(request: HttpRequest) -> int:
    raw = request.GET.get("limit", "")
    if not raw:
        return DEFAULT_LIMIT
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_LIMIT:
        raise ValueError("bad limit")
    return int(raw)


def _page(request: HttpRequest, rows: list, limit: int, data: list, next_cursor: Callable) -> dict:
    more = len(rows) > limit
    next_url = None
    if more:
        next_url = request.build_absolute_uri(f"{request.path}?cursor={next_cursor(rows[limit - 1])}&limit={limit}")
    return {"data": data, "next": next_url}


# --- shapes --------------------------------------------------------------------------------
def _unit(unit: OrgUnit) -> dict:
    page = getattr(unit, "page", None)
    active = page is not None and page.status == PageStatus.ACTIVE
    return {
        "id": unit.pk,
        "name": unit.name,
        "short_name": unit.short_name,
        "kind": unit.kind,
        "code": unit.code,
        "path": unit.path,
        "parent_id": unit.parent_id,
        "page": {
            "status": page.status if page is not None else None,
            "name": page.name if active else None,
            "url": absolute(page.get_absolute_url()) if active else None,
        },
    }


def _post(post: Post, *, full: bool = False) -> dict:
    revision = post.live_revision
    data = {
        "id": post.pk,
        "unit_id": post.unit_id,
        "title": revision.title,
        "summary": revision.summary,
        "topic": revision.topic.name if revision.topic_id else None,
        "published_at": post.published_at.isoformat(),
        "url": absolute(post.get_absolute_url()),
    }
    if full:
        cover = revision.approved_cover
        data["body_html"] = revision.body
        data["cover"] = None if cover is None else {
            "url": absolute(cover.file.url), "width": cover.width, "height": cover.height,
            "alt": cover.alt_text, "credit": cover.credit,
        }
    return data


def _live_posts():
    return (
        Post.objects.published()
        .select_related("unit", "live_revision__topic")
        .defer("body", "summary", "search_text", "live_revision__body", "live_revision__content")
    )


def _units():
    return OrgUnit.objects.filter(is_active=True).select_related("page")


# --- views ---------------------------------------------------------------------------------
def _unit_list(request: HttpRequest) -> HttpResponse:
    limit = _limit(request)
    units = _units().order_by("tree_id", "lft")
    if cursor := request.GET.get("cursor"):
        tree_id, lft = (int(v) for v in _decode(cursor))
        units = units.filter(Q(tree_id__gt=tree_id) | Q(tree_id=tree_id, lft__gt=lft))
    rows = list(units[: limit + 1])
    return _json(_page(request, rows, limit, [_unit(u) for u in rows[:limit]], lambda u: _encode(u.tree_id, u.lft)))


def _unit_detail(request: HttpRequest, unit_id: int) -> HttpResponse:
    unit = _units().filter(pk=unit_id).first()
    if unit is None:
        raise Http404
    return _json({"data": _unit(unit)})


def _unit_posts(request: HttpRequest, unit_id: int, *, subtree: bool) -> HttpResponse:
    limit = _limit(request)
    unit = OrgUnit.objects.filter(pk=unit_id, is_active=True).first()
    if unit is None:
        raise Http404
    posts = _live_posts().order_by("-published_at", "-id")
    if subtree:
        posts = posts.filter(unit_id__in=OrgUnit.objects.filter(subtree_q(unit)).values("pk"))
    else:
        posts = posts.filter(unit=unit)
    if cursor := request.GET.get("cursor"):
        stamp, last_id = _decode(cursor)
        when = parse_datetime(str(stamp))
        if when is None or not isinstance(last_id, int):
            raise ValueError("bad cursor")
        posts = posts.filter(Q(published_at__lt=when) | Q(published_at=when, pk__lt=last_id))
    rows = list(posts[: limit + 1])
    return _json(_page(request, rows, limit, [_post(p) for p in rows[:limit]],
                       lambda p: _encode(p.published_at.isoformat(), p.pk)))


def _post_detail(request: HttpRequest, post_id: int) -> HttpResponse:
    post = (
        Post.objects.published().select_related("unit", "live_revision__topic", "live_revision__cover")
        .defer("body", "summary", "search_text").filter(pk=post_id).first()
    )
    if post is None:
        raise Http404
    return _json({"data": _post(post, full=True)})


unit_list = api_view(_unit_list, query=LIST_QUERY)
unit_detail = api_view(_unit_detail)
unit_posts = api_view(lambda request, unit_id: _unit_posts(request, unit_id, subtree=False), query=LIST_QUERY)
subtree_posts = api_view(lambda request, unit_id: _unit_posts(request, unit_id, subtree=True), query=LIST_QUERY)
post_detail = api_view(_post_detail)

