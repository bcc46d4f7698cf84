"""Public views: anonymous, read-only, server-rendered, cached per publication generation.

Each view makes a small constant number of SQL queries (tests assert it as data grows); what
a post shows is its live revision. Unknown unit paths that used to exist redirect permanently.
"""

from __future__ import annotations

import datetime
from urllib.parse import quote, urlencode

from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponsePermanentRedirect,
)
from django.shortcuts import render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from orgunits.models import OrgUnit
from orgunits.reorganise.history import unit_predecessors
from orgunits.services import resolve_redirect
from vietfront.escaping import json_for_script
from vietfront.precompiled import Precompiled
from vietfront.text import nfc, vi_slugify

from .cache import public_cache, site_wide
from .documents import CONTENT_TYPES
from .models import Tag
from .og_image import open_graph_image
from .public import links
from .public.selectors import (
    UnitContext,
    attach_renditions,
    covers,
    directory,
    live_post,
    own_and_spread_posts,
    post_documents,
    subtree_posts,
    tag_posts,
    topics_menu,
    unit_context,
)
from .sanitize import html_to_text, sanitize_html
from .search import (
    FIRST_DAY,
    LAST_DAY,
    SearchFilters,
    highlight,
    names_a_unit,
    query_terms,
    search_page,
    search_units,
    snippet,
)
from .search_rank import matched_as_prefix
from .selectors import access_document

PER_PAGE = 20
OWN_ON_UNIT_PAGE = 8
BELOW_ON_UNIT_PAGE = 12
SPREAD_ON_UNIT_PAGE = 6


def unit_url(path: str, name: str = "unit", **kwargs) -> str:
    """The URL of a unit-scoped public view; the central unit's live at the site root."""
    if path:
        return reverse(f"public:{name}", kwargs={"unit_path": path, **kwargs})
    return reverse("public:home" if name == "unit" else f"public:central_{name}", kwargs=kwargs)


def attachment_header(name: str, kind: str) -> str:
    """``attachment`` with an ASCII fallback name and the exact UTF-8 name (RFC 6266/5987).

    The extension always comes from the verified kind, never from what was uploaded.
    """
    stem = nfc(name).rsplit(".", 1)[0] if "." in name else nfc(name)
    ascii_name = f"{vi_slugify(stem, max_length=80) or 'tai-lieu'}.{kind}"
    utf8_name = quote(f"{stem.replace('/', '_').replace(chr(92), '_')}.{kind}", safe="")
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{utf8_name}"


def _page_number(request: HttpRequest) -> int:
    try:
        return max(1, min(int(request.GET.get("trang", "1")), 10_000))
    except ValueError:
        return 1


def _pager(request: HttpRequest, rows: list, number: int) -> tuple[list, dict]:
    """Split ``limit + 1`` rows into the page and prev/next links (no COUNT query)."""
    has_next = len(rows) > PER_PAGE

    def link(n: int) -> str:
        params = request.GET.copy()
        params["trang"] = str(n)
        return "?" + params.urlencode()

    return rows[:PER_PAGE], {
        "number": number,
        "previous": link(number - 1) if number > 1 else "",
        "next": link(number + 1) if has_next else "",
    }


def _resolve_unit(unit_path: str, *, with_children: bool = False, suffix: str = "") -> UnitContext:
    """The unit at ``unit_path``, or a permanent redirect (raised) to where it moved."""
    ctx = unit_context(unit_path, with_children=with_children)
    if ctx is not None:
        return ctx
    moved_to = resolve_redirect(unit_path)
    if moved_to is None:
        raise Http404("No unit at this path.")
    raise _Moved(moved_to.get_absolute_url() + suffix)


class _Moved(Exception):  # noqa: N818 - control flow, not an error
    def __init__(self, url: str) -> None:
        self.url = url


def _follow_moves(view):
    """Turn ``_Moved`` into a 301, keeping the query string."""

    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except _Moved as moved:
            query = request.META.get("QUERY_STRING", "")
            return HttpResponsePermanentRedirect(moved.url + (f"?{query}" if query else ""))

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return wrapped


def _base_context(request: HttpRequest, **extra) -> dict:
    context = {"topics": topics_menu(), "canonical": request.build_absolute_uri(request.path)}
    context.update(extra)
    return context


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """The site's own 404 (``handler404``, and under ``DEBUG`` through
    ``pages.middleware.SiteNotFoundMiddleware``): Vietnamese, with the menu and a search box.
    Never cached: a page may appear at that address the next minute."""
    response = render(request, "404.html", {"topics": topics_menu()}, status=404)
    add_never_cache_headers(response)
    response.site_not_found = True
    return response


# --- unit pages ---------------------------------------------------------------------------------


@_follow_moves
@public_cache()
def unit_page(request: HttpRequest, unit_path: str = "") -> HttpResponse:
    """A unit's community page: profile (or a notice), pinned and latest own posts, the latest
    posts from its whole subtree, its units below, the posts spread to it (read with its own).
    Five queries, fewer with a warm topic list."""
    ctx = unit_context(unit_path, with_children=True)
    if ctx is None and not unit_path:
        return render(request, "public/home.html", _base_context(request, unit=None, ctx=None))
    ctx = ctx or _resolve_unit(unit_path, with_children=True)
    unit = ctx.unit
    # The centre too: what it accepted from below is on the home page ("Tin chọn từ cấp dưới").
    own, spread_down, spread_up = own_and_spread_posts(unit, own_limit=OWN_ON_UNIT_PAGE,
                                                       spread_limit=SPREAD_ON_UNIT_PAGE)
    below = subtree_posts(unit, limit=BELOW_ON_UNIT_PAGE, exclude_own=True)[:BELOW_ON_UNIT_PAGE]
    page = ctx.page
    attach_renditions(*(covers(own) + covers(below) + covers(spread_down) + covers(spread_up)),
                      page.avatar if page else None, page.cover if page else None)
    template = "public/home.html" if not unit.path else "public/unit.html"
    return render(request, template, _base_context(
        request, ctx=ctx, unit=unit, page=ctx.active_page, any_page=page, own=own, below=below,
        spread_down=spread_down, spread_up=spread_up, unit_history=unit_predecessors(unit),
        feed_url=unit_url(unit.path, "feed_rss"), feed_all_url=unit_url(unit.path, "feed_rss_all"),
        atom_url=unit_url(unit.path, "feed_atom"), archive_url=unit_url(unit.path, "archive"),
        og_image=_og_image(request, page.cover if page and page.cover else None),
        description=(page.about if page and page.about else _("Thông tin chính thống của %(name)s.")
                     % {"name": unit.display_name})[:300],
    ))


@_follow_moves
@public_cache(query=("trang",))
def archive(request: HttpRequest, unit_path: str = "") -> HttpResponse:
    """Every live post of the unit's subtree, newest first, 20 a page."""
    ctx = _resolve_unit(unit_path, suffix="bai-viet/")
    number = _page_number(request)
    rows = subtree_posts(ctx.unit, offset=(number - 1) * PER_PAGE, limit=PER_PAGE)
    posts, pager = _pager(request, rows, number)
    attach_renditions(*covers(posts))
    return render(request, "public/archive.html", _base_context(
        request, ctx=ctx, unit=ctx.unit, posts=posts, pager=pager,
        heading=_("Tất cả bài viết – %(name)s") % {"name": ctx.unit.display_name},
    ))


@_follow_moves
@public_cache(query=("trang",))
def topic_page(request: HttpRequest, slug: str, unit_path: str = "") -> HttpResponse:
    """A topic nationwide (at the root) or within a unit's subtree."""
    topic = next((t for t in topics_menu() if t.slug == slug), None)
    if topic is None:
        raise Http404("No such topic.")
    ctx = _resolve_unit(unit_path, suffix=f"chu-de/{slug}/")
    number = _page_number(request)
    rows = subtree_posts(ctx.unit, offset=(number - 1) * PER_PAGE, limit=PER_PAGE, topic=topic)
    posts, pager = _pager(request, rows, number)
    attach_renditions(*covers(posts))
    if ctx.unit.path:
        heading = _("Chủ đề “%(topic)s” – %(name)s") % {"topic": topic.name, "name": ctx.unit.display_name}
    else:
        heading = _("Chủ đề “%(topic)s” trên cả nước") % {"topic": topic.name}
    return render(request, "public/archive.html", _base_context(
        request, ctx=ctx, unit=ctx.unit, posts=posts, pager=pager, heading=heading, topic=topic,
    ))


@public_cache(site_wide, query=("trang",))
def tag_page(request: HttpRequest, slug: str) -> HttpResponse:
    tag = Tag.objects.filter(slug=slug).only("id", "name", "slug").first()
    if tag is None:
        raise Http404("No such tag.")
    number = _page_number(request)
    rows = tag_posts(tag.pk, offset=(number - 1) * PER_PAGE, limit=PER_PAGE)
    posts, pager = _pager(request, rows, number)
    attach_renditions(*covers(posts))
    return render(request, "public/archive.html", _base_context(
        request, ctx=None, unit=None, posts=posts, pager=pager, heading=_("Thẻ #%(tag)s") % {"tag": tag.name},
    ))


# --- posts ---------------------------------------------------------------------------------------


def _og_image(request: HttpRequest, image) -> dict | None:
    """The largest JPEG rendition (or the original) of ``image`` as an absolute URL, for
    Open Graph/Twitter cards. Renditions must already be prefetched."""
    if image is None:
        return None
    jpegs = sorted((r for r in image.renditions.all() if r.format == "jpeg"), key=lambda r: r.width)
    best = jpegs[-1] if jpegs else None
    return {
        "url": request.build_absolute_uri(best.file.url if best else image.file.url),
        "width": best.width if best else image.width,
        "height": best.height if best else image.height,
        "alt": image.alt_text,
    }


def _json_ld(data: dict) -> str:
    return json_for_script(data)


@_follow_moves
@public_cache()
def post_detail(request: HttpRequest, slug: str, unit_path: str = "") -> HttpResponse:
    """A live post as approved: its live revision's content, never the working copy."""
    ctx = _resolve_unit(unit_path, suffix=f"bai-viet/{slug}/")
    post, related = live_post(ctx.unit, slug)
    if post is None:
        raise Http404("No such post.")
    rev = post.live_revision
    content = rev.content or {}
    attach_renditions(rev.cover, *covers(related))
    documents = post_documents(post)
    tags = [{"name": name, "slug": vi_slugify(name, max_length=100) or "the"} for name in content.get("tags", [])]
    canonical = request.build_absolute_uri(post.get_absolute_url())
    # The 1200×630 crop for link previews; a plain rendition if the original is unreadable.
    og_image = open_graph_image(request, rev.approved_cover) or _og_image(request, rev.cover)
    unit = ctx.unit
    description = rev.summary or html_to_text(rev.body)[:200]
    ld = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": rev.title[:110],
        "description": description[:300],
        "datePublished": post.published_at.isoformat(),
        "dateModified": rev.created_at.isoformat() if rev.created_at else post.published_at.isoformat(),
        "mainEntityOfPage": canonical,
        "inLanguage": "vi",
        "author": {"@type": "Organization", "name": content.get("author_line") or unit.display_name},
        "publisher": {"@type": "Organization", "name": unit.display_name,
                      "url": request.build_absolute_uri(unit.get_absolute_url())},
    }
    if og_image:
        ld["image"] = [og_image["url"]]
    if rev.topic_id:
        ld["articleSection"] = rev.topic.name
    return render(request, "public/post.html", _base_context(
        request, ctx=ctx, unit=unit, post=post, rev=rev, content=content, body=mark_safe(sanitize_html(rev.body)),  # noqa: S308 - nh3 allow-list
        documents=documents, tags=tags, related=related, canonical=canonical, og_image=og_image,
        description=description, json_ld=_json_ld(ld), page=ctx.active_page or ctx.page,
    ))


# --- search and the directory ---------------------------------------------------------------------


def _parse_date(value: str) -> datetime.date | None:
    """An ISO date, ``None`` for an empty value; ``ValueError`` for anything else, and for a
    day outside what a search may be bounded by (``pages.search.FIRST_DAY`` to ``LAST_DAY``)."""
    if not value:
        return None
    day = datetime.date.fromisoformat(value)
    if not FIRST_DAY <= day <= LAST_DAY:
        raise ValueError(f"Day out of the searchable range: {value}")
    return day


def _scope_unit(value: str) -> OrgUnit | None:
    """The unit a search is narrowed to: by its path (what the autocomplete fills in), else by
    a name typed without it ("Quận Đống Đa") when exactly one unit bears it."""
    if not value:
        return None
    unit = _unit_at(value.strip("/"))
    if unit is not None or "/" in value:
        return unit
    named = search_units(value, limit=2)
    if len(named) == 1 or (named and named[0]["key"] == " ".join(query_terms(value))):
        return _unit_at(named[0]["path"])
    return None


#: A unit by its path, compiled once: building the query cost 0.7 of its 0.95 ms, on every
#: search narrowed to a unit.
_UNIT_AT = Precompiled(lambda *, path: OrgUnit.objects.filter(path=path).order_by("pk")[:1])


def _unit_at(path: str) -> OrgUnit | None:
    return next(iter(_UNIT_AT.list(path=path)), None) if links.is_unit_path(path) else None


def _search_filters(params) -> tuple[SearchFilters, dict, list[str]]:
    """The search filters from the query string, what the form shows back (always what was
    typed), and a message for each filter that cannot be honoured. A filter that cannot be
    honoured is never dropped silently: searching the whole country instead of an unknown unit
    would answer a different question."""
    errors: list[str] = []
    topic_slug = params.get("chu-de", "")
    topic = next((t for t in topics_menu() if t.slug == topic_slug), None)
    if topic_slug and topic is None:
        errors.append(_("Không có chủ đề “%(slug)s”.") % {"slug": topic_slug})
    scope_path = nfc(params.get("don-vi", "")).strip().strip("/")[:200]
    scope = _scope_unit(scope_path)
    if scope_path and scope is None:
        errors.append(_("Không có đơn vị có đường dẫn “%(path)s”.") % {"path": scope_path})
    dates: dict[str, datetime.date | None] = {}
    for name, label in (("tu", _("Từ ngày")), ("den", _("Đến ngày"))):
        try:
            dates[name] = _parse_date(params.get(name, "").strip())
        except ValueError:
            dates[name] = None
            errors.append(_("%(field)s không phải là ngày hợp lệ (năm-tháng-ngày).") % {"field": label})
    if dates["tu"] and dates["den"] and dates["tu"] > dates["den"]:
        errors.append(_("“Từ ngày” phải trước hoặc bằng “Đến ngày”."))
    filters = SearchFilters(unit=scope, topic_id=topic.pk if topic else None,
                            date_from=dates["tu"], date_to=dates["den"])
    shown = {"topic": topic, "scope": scope, "scope_path": scope.path if scope else scope_path,
             "date_from": params.get("tu", ""), "date_to": params.get("den", "")}
    return filters, shown, errors


def _numbered_pager(request: HttpRequest, number: int, pages: int) -> dict:
    """Links to the first, the last and the pages around ``number`` (``None`` marks a gap)."""

    def link(n: int) -> str:
        params = request.GET.copy()
        params["trang"] = str(n)
        return "?" + params.urlencode()

    shown = sorted({1, pages, *range(max(1, number - 2), min(pages, number + 2) + 1)})
    items: list[dict | None] = []
    for n in shown:
        if items and items[-1] is not None and n - items[-1]["number"] > 1:
            items.append(None)
        items.append({"number": n, "url": link(n), "current": n == number})
    return {
        "number": number, "pages": pages, "items": items if pages > 1 else [],
        "previous": link(number - 1) if number > 1 else "",
        "next": link(number + 1) if number < pages else "",
    }


@public_cache(site_wide, query=("q", "chu-de", "don-vi", "tu", "den", "trang"))
def search(request: HttpRequest) -> HttpResponse:
    """Posts by their live content and units by name, with or without tone marks: the best
    matching unit as a card above the posts, the posts best first, counted, with numbered
    pages. A constant number of queries (tests/public/test_search_ranking.py)."""
    q = nfc(request.GET.get("q", "")).strip()[:200]
    terms = query_terms(q)
    filters, shown, errors = _search_filters(request.GET)
    number = _page_number(request)
    results, pager, units, found = [], None, [], None
    if terms and not errors:
        found = search_page(q, filters, number=number, per_page=PER_PAGE)
        pager = _numbered_pager(request, min(number, found.pages), found.pages)
        for post in found.posts:
            rev = post.live_revision
            prefix = matched_as_prefix(found.ranks.get(post.pk))
            results.append({
                "post": post, "rev": rev, "title": highlight(rev.title, terms, prefix=prefix),
                "snippet": snippet(f"{rev.summary} {html_to_text(rev.body)}".strip(), terms, prefix=prefix),
            })
        if number == 1 and not filters.unit and not filters.topic_id and names_a_unit(q):
            units = search_units(q, limit=6)
    return render(request, "public/search.html", _base_context(
        request, q=q, results=results, pager=pager, unit_card=units[0] if units else None,
        units=units[1:], errors=errors, found=found, searched=bool(terms) and not errors,
        result_start=(number - 1) * PER_PAGE + 1, **shown,
    ))


@public_cache(site_wide, query=("q",))
def unit_suggestions(request: HttpRequest) -> HttpResponse:
    """The search form's unit autocomplete: units whose name matches ``q``, as JSON. Names are
    escaped for a page (no ``<``, ``>`` or ``&``) and the answer is cached like any page."""
    q = nfc(request.GET.get("q", "")).strip()[:100]
    units = search_units(q, limit=10) if len(query_terms(q)) else []
    data = [{"path": u["path"], "name": u["name"], "parent": u["parent"]} for u in units]
    response = HttpResponse(json_for_script(data), content_type="application/json; charset=utf-8")
    response["X-Content-Type-Options"] = "nosniff"
    return response


@public_cache(site_wide, query=("q", "tinh", "huyen"))
def directory_page(request: HttpRequest) -> HttpResponse:
    """Find one's commune: pick the province, then the district, or type part of the name."""
    q = nfc(request.GET.get("q", "")).strip()[:100]
    data = directory(request.GET.get("tinh", ""), request.GET.get("huyen", ""))
    matches = search_units(q, limit=50) if q else []
    return render(request, "public/directory.html", _base_context(request, q=q, matches=matches, **data))


# --- discovery and files ---------------------------------------------------------------------------


@require_GET
def robots_txt(request: HttpRequest) -> HttpResponse:
    lines = [
        "User-agent: *",
        "Disallow: /quan-tri/",
        "Disallow: /tai-khoan/",
        "Disallow: /tim-kiem/",
        f"Sitemap: {request.build_absolute_uri(reverse('sitemap-index'))}",
    ]
    response = HttpResponse("\n".join(lines) + "\n", content_type="text/plain; charset=utf-8")
    response["Cache-Control"] = "public, max-age=86400"
    return response


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


def search_url(**params: str) -> str:
    return reverse("public:search") + "?" + urlencode({k: v for k, v in params.items() if v})
