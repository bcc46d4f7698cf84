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

A page found in the shared cache is also kept in a small per-process memory (``LOCAL_PAGES``),
under the same key. The key holds the generations, read from the shared cache on every request
(one round trip), so a takedown on any process changes the key every process computes next: the
local copy is never served again and ages out. A hit costs that one round trip and no
unpickling of the page. Pages rendered while the shared cache is unreachable (generations read
as 0) are never kept locally: nothing could invalidate them.

Logged-in users, previews and anything but GET/HEAD bypass the cache entirely and are marked
``private``. Cached responses carry ``ETag``, ``Last-Modified`` (the newest generation) and
``Cache-Control: public, max-age=…`` so a reverse proxy can hold them briefly too.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from functools import lru_cache, wraps

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


def local_cache_bytes() -> int:
    """Budget of the per-process page memory (bytes of page content); 0 turns it off."""
    return getattr(settings, "VIETFRONT_PUBLIC_LOCAL_CACHE_BYTES", 32 * 1024 * 1024)


class LocalPages:
    """Least recently used pages of this process, bounded by bytes of content, each until the
    same timeout the shared cache gives it. Thread-safe (threaded web workers)."""

    def __init__(self) -> None:
        self._data: OrderedDict[str, tuple[float, int, tuple]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key: str) -> tuple | None:
        with self._lock:
            item = self._data.get(key)
            if item is None:
                return None
            if item[0] <= time.monotonic():
                self._drop(key)
                return None
            self._data.move_to_end(key)
            return item[2]

    def put(self, key: str, entry: tuple, timeout: int) -> None:
        limit, size = local_cache_bytes(), len(entry[0]) + 256
        if timeout <= 0 or size > limit // 4:  # one huge page must not evict all the others
            return
        with self._lock:
            if key in self._data:
                self._drop(key)
            self._data[key] = (time.monotonic() + timeout, size, entry)
            self._bytes += size
            while self._bytes > limit:
                self._drop(next(iter(self._data)))

    def clear(self) -> None:
        with self._lock:
            self._data.clear()
            self._bytes = 0

    def _drop(self, key: str) -> None:
        self._bytes -= self._data.pop(key)[1]


LOCAL_PAGES = LocalPages()


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


_CONDITIONAL_HEADERS = frozenset(
    {"HTTP_IF_NONE_MATCH", "HTTP_IF_MODIFIED_SINCE", "HTTP_IF_MATCH", "HTTP_IF_UNMODIFIED_SINCE"}
)


@lru_cache(maxsize=1024)
def _http_date(seconds: int) -> str:
    return http_date(seconds)


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
            if not getattr(settings, "VIETFRONT_PUBLIC_PAGE_CACHE", True):  # benchmarks of the rendering
                return view(request, *args, **kwargs)
            gens = generations(scope(**kwargs))
            key = _page_key(request, gens)
            shared = bool(gens[0] and gens[1])  # read from the shared cache: bumps reach the key
            entry = LOCAL_PAGES.get(key) if shared else None
            if entry is None:
                entry = cache.get(key)
                if entry is not None and shared:
                    LOCAL_PAGES.put(key, entry, page_timeout())
            if entry is None:
                response = view(request, *args, **kwargs)
                if response.status_code != 200 or response.streaming:
                    return response
                if hasattr(response, "render"):
                    response.render()
                etag = '"' + hashlib.md5(response.content, usedforsecurity=False).hexdigest() + '"'
                entry = (response.content, response["Content-Type"], etag, max(gens))
                cache.set(key, entry, page_timeout())
                if shared:
                    LOCAL_PAGES.put(key, entry, page_timeout())
            content, content_type, etag, last_modified_us = entry
            last_modified = last_modified_us // 1_000_000
            conditional = None
            if not _CONDITIONAL_HEADERS.isdisjoint(request.META):
                conditional = get_conditional_response(request, etag=etag, last_modified=last_modified)
            response = conditional or HttpResponse(content, content_type=content_type)
            response["ETag"] = etag
            response["Last-Modified"] = _http_date(last_modified)
            # What ``patch_cache_control(public=True, max_age=…)`` writes on a fresh response,
            # without parsing the header it does not have yet (every hit pays for it).
            response["Cache-Control"] = f"public, max-age={max_age()}"
            return response

        return wrapped

    return decorator


def clear_public_cache() -> None:
    """Invalidate every public page (after bulk writes that bypass signals: imports, seeding)."""
    _bump_now([""], tree=True)
