"""Caching of the public site for anonymous readers, invalidated by publication events.

Every cached page is keyed by *publication generations*: a counter per unit path, held in the
cache (no expiry) and set to the current time whenever something below that path changes
(a post goes live, is withdrawn or taken down, a page profile is edited). A change at
``ha-noi/quan-dong-da/phuong-van-mieu`` bumps that path and every prefix of it up to the central
unit's ``""``, so the commune's, the district's, the province's and the home page's keys all
change at once while the rest of the country keeps its cache. A second, tree-wide generation
covers changes to unit names and paths (breadcrumbs appear on every page).

A generation missing from the cache (evicted, or after ``cache.clear()``) is re-created with the
current time, never read as 0: a page cached before the eviction can never be served again.

Logged-in users, previews and anything but GET/HEAD bypass the cache entirely and are marked
``private``. Cached responses carry ``ETag``, ``Last-Modified`` (the newest generation) and
``Cache-Control: public, max-age=…`` so a reverse proxy can hold them briefly too.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.http import HttpRequest, HttpResponse, QueryDict
from django.utils.cache import get_conditional_response, patch_cache_control
from django.utils.http import http_date
from django.utils.translation import get_language

GEN_PREFIX = "vf:pubgen:"
TREE_KEY = "vf:pubgen:#tree"
PAGE_PREFIX = "vf:page:"


def page_timeout() -> int:
    """How long a rendered page stays in the cache (seconds); generations end it sooner."""
    return getattr(settings, "VIETFRONT_PUBLIC_CACHE_SECONDS", 600)


def max_age() -> int:
    """``Cache-Control: max-age`` for browsers and reverse proxies."""
    return getattr(settings, "VIETFRONT_PUBLIC_MAX_AGE", 60)


def path_prefixes(path: str) -> list[str]:
    """``"a/b/c"`` -> ``["", "a", "a/b", "a/b/c"]``: the unit and its ancestors, by path."""
    parts = [p for p in path.strip("/").split("/") if p]
    return [""] + ["/".join(parts[: i + 1]) for i in range(len(parts))]


def _now() -> int:
    return time.time_ns() // 1000  # microseconds: distinct across quick successive bumps


# Set when a bump could not be stored (the cache server unreachable): pages cached before the
# outage may show what has since changed, so the first bump that reaches the cache again, or
# the first page read, invalidates every page. A restarted server has lost them anyway.
_lost_bump = False


def _bump_now(paths: list[str], *, tree: bool) -> None:
    global _lost_bump
    now = _now()
    if _lost_bump:
        paths, tree = [*paths, ""], True
    values = {GEN_PREFIX + p: now for p in paths}
    if tree:
        values[TREE_KEY] = now
    _lost_bump = bool(cache.set_many(values, timeout=None))


def bump_publication(unit_path: str) -> None:
    """Something visible changed at ``unit_path``: invalidate it and its ancestors' pages.

    Bumps now (so this process sees it at once) and again after the transaction commits (so a
    page rendered by another request between the two, from the old data, is not kept).
    """
    paths = path_prefixes(unit_path)
    _bump_now(paths, tree=False)
    transaction.on_commit(lambda: _bump_now(paths, tree=False))


def bump_pages(unit_paths: list[str]) -> None:
    """Many unit pages changed at once (a post spread to thousands of them): their own
    generations in one cache write, now and after commit. Their ancestors' pages are unaffected."""
    paths = list(unit_paths)
    _bump_now(paths, tree=False)
    transaction.on_commit(lambda: _bump_now(paths, tree=False))


def bump_tree() -> None:
    """A unit's name, path or state changed: invalidate every public page."""
    _bump_now([""], tree=True)
    transaction.on_commit(lambda: _bump_now([""], tree=True))


def generations(unit_path: str) -> tuple[int, int]:
    """(tree generation, generation of ``unit_path``), creating missing ones: one cache trip."""
    if _lost_bump:
        _bump_now([], tree=True)
    keys = [TREE_KEY, GEN_PREFIX + unit_path]
    found = cache.get_many(keys)
    missing = [k for k in keys if k not in found]
    if missing:
        now = _now()
        for key in missing:
            cache.add(key, now, timeout=None)
        found.update(cache.get_many(missing))
    return found.get(keys[0], 0), found.get(keys[1], 0)


def is_private_request(request: HttpRequest) -> bool:
    """Logged-in users and previews are never served from, nor stored in, the public cache.

    Only a request carrying a session cookie can be logged in, so anonymous readers cost no
    session query here.
    """
    if "preview" in request.GET:
        return True
    if request.COOKIES.get(settings.SESSION_COOKIE_NAME):
        user = getattr(request, "user", None)
        return bool(user is not None and user.is_authenticated)
    return False


def _read_params(request: HttpRequest, names: tuple[str, ...]) -> QueryDict:
    """Only the query parameters the view reads, in a fixed order: ``?utm_x=1``, ``?x=N`` and
    the order of the parameters can neither create cache entries nor reach the page's links."""
    params = QueryDict(mutable=True)
    for name in sorted(names):
        values = request.GET.getlist(name)
        if values:
            params.setlist(name, values)
    params._mutable = False
    return params


def _page_key(request: HttpRequest, gens: tuple[int, int]) -> str:
    # Scheme and host are in the key: pages carry absolute URLs (canonical, Open Graph, feeds),
    # and a page rendered for one allowed host must never be served on another.
    raw = (
        f"{request.scheme}://{request.get_host()}{request.path}?{request.GET.urlencode()}"
        f"|{get_language()}|{gens[0]}|{gens[1]}"
    )
    return PAGE_PREFIX + hashlib.md5(raw.encode(), usedforsecurity=False).hexdigest()


def unit_scope(**view_kwargs) -> str:
    """The default scope: the view's unit path (the central unit's ``""`` at the root)."""
    return view_kwargs.get("unit_path", "")


def site_wide(**view_kwargs) -> str:
    """The scope of pages that may show any unit's posts (search, tags, the directory)."""
    return ""


def public_cache(scope: Callable[..., str] = unit_scope, *, query: tuple[str, ...] = ()) -> Callable:
    """Decorate a public view: serve anonymous GETs from the cache, keyed by scheme, host, path,
    the query parameters named in ``query`` and the generations of the unit path
    ``scope(**view_kwargs)`` returns (the central ``""`` for site-wide pages).

    The view sees only the ``query`` parameters (every other one is dropped from
    ``request.GET``), so what is cached depends on nothing the key leaves out. Only 200
    responses are stored. Headers for proxies are added on every public response.
    """

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if request.method not in ("GET", "HEAD") or is_private_request(request):
                response = view(request, *args, **kwargs)
                patch_cache_control(response, private=True, no_cache=True, max_age=0)
                return response
            request.GET = _read_params(request, query)
            gens = generations(scope(**kwargs))
            key = _page_key(request, gens)
            entry = cache.get(key)
            if entry is None:
                response = view(request, *args, **kwargs)
                if response.status_code != 200 or response.streaming:
                    return response
                if hasattr(response, "render"):
                    response.render()
                etag = '"' + hashlib.md5(response.content, usedforsecurity=False).hexdigest() + '"'
                entry = (response.content, response["Content-Type"], etag, max(gens))
                cache.set(key, entry, page_timeout())
            content, content_type, etag, last_modified_us = entry
            last_modified = last_modified_us // 1_000_000
            conditional = get_conditional_response(request, etag=etag, last_modified=last_modified)
            response = conditional or HttpResponse(content, content_type=content_type)
            response["ETag"] = etag
            response["Last-Modified"] = http_date(last_modified)
            patch_cache_control(response, public=True, max_age=max_age())
            return response

        return wrapped

    return decorator


def clear_public_cache() -> None:
    """Invalidate every public page (after bulk writes that bypass signals: imports, seeding)."""
    _bump_now([""], tree=True)
