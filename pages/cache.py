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
under the same key. The key holds the generations, so a takedown on any process changes the key
every process computes next: the local copy is never served again and ages out. Pages rendered
while the shared cache is unreachable (generations read as 0) are never kept locally: nothing
could invalidate them.

The generations themselves come from ``PUSHED``, this process's copy of the ones it has read,
kept current by the bumps of every process: with Redis, a bump sets the generations and
publishes them in one transaction (``TolerantRedisCache.set_many_and_push``), and a thread of
this process, started by the first page request (so after a fork, never in a Celery worker),
applies the messages in the order the writes happened. A hit then makes no round trip at all.
The copy is trusted only while that subscription is known healthy: subscribed, answering a
ping less than ``VIETFRONT_PUBLIC_PUSH_HEALTH_SECONDS`` ago, and with nothing waiting in its
socket that the thread has not applied yet (a takedown's message that has arrived is honoured
even if the thread has not run since). It is emptied whenever the subscription breaks or is
made again (the messages in between are lost), and not used after a bump of this process
failed. Otherwise, and with any cache but Redis, each request reads the generations from the
cache (one round trip), as it always did.

Logged-in users, previews and anything but GET/HEAD bypass the cache entirely and are marked
``private``. Cached responses carry ``ETag``, ``Last-Modified`` (the newest generation) and
``Cache-Control: public, max-age=…`` so a reverse proxy can hold them briefly too.
"""

from __future__ import annotations

import hashlib
import logging
import os
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

from vietfront import cache_backends

logger = logging.getLogger("vietfront.cache")

GEN_PREFIX = "vf:pubgen:"
TREE_KEY = "vf:pubgen:#tree"
PAGE_PREFIX = "vf:page:"


def page_timeout() -> int:
    """How long a rendered page stays in the cache (seconds); generations end it sooner."""
    return getattr(settings, "VIETFRONT_PUBLIC_CACHE_SECONDS", 600)


def max_age() -> int:
    """``Cache-Control: max-age`` for browsers and reverse proxies."""
    return getattr(settings, "VIETFRONT_PUBLIC_MAX_AGE", 60)


def push_health_seconds() -> float:
    """How long after the subscription's last answer the pushed generations are still trusted
    (it is pinged four times as often); 0 turns them off: a cache round trip per request."""
    return getattr(settings, "VIETFRONT_PUBLIC_PUSH_HEALTH_SECONDS", 1.0)


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


class PushedGenerations:
    """This process's copy of the publication generations it has read, kept current by the
    messages every bump publishes (module docstring). Thread-safe; reset after a fork.

    Every change of the copy (a message applied, the subscription made or lost) advances
    ``_changes``. A request that reads generations from the cache notes it before the read and
    stores what it read only if it has not moved: a bump published between the read and the
    store would otherwise be overwritten by the older value it read, and trusted.
    """

    RETRY_SECONDS = (0.05, 2.0)  # first and longest wait between attempts to subscribe

    def __init__(self) -> None:
        self._reset()

    def _reset(self) -> None:
        self._pid = os.getpid()
        self._lock = threading.Lock()
        self._values: dict[str, int] = {}
        self._changes = 0
        self._answered = 0.0  # monotonic time of the subscription's last answer; 0: none
        self._source = None
        self._clears = cache_backends.CLEARS
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self.subscriptions = 0  # how many times it (re)subscribed: for tests and diagnostics
        self.subscription = None  # the current one while subscribed

    # The request's side.

    def lookup(self, shared_cache, keys: list[str]) -> tuple[list[int] | None, int]:
        """``(values, mark)``: the values of ``keys`` if all are held and may be trusted, else
        ``None`` and the mark to give ``fill`` with what the caller reads instead. Starts the
        subscription if this process has none (for this cache) yet."""
        if self._pid != os.getpid():
            self._reset()  # a forked child: the parent's thread and copy are not ours
        source = getattr(shared_cache, "push_source", None)
        health = push_health_seconds()
        if source is None or health <= 0:
            return None, -1
        with self._lock:
            if source != self._source or self._thread is None or not self._thread.is_alive():
                # The backend itself, not the proxy: ``cache`` resolves per thread, and the
                # subscriber must follow the very server this request's cache writes to.
                self._start(shared_cache.push_subscription.__self__, source)
                return None, self._changes
            if self._clears != cache_backends.CLEARS:  # this process cleared the cache
                self._clears = cache_backends.CLEARS
                self._values.clear()
                self._changes += 1
            if self._answered and time.monotonic() - self._answered < health:
                values = [self._values.get(k) for k in keys]
                # A message already in the socket but not applied yet (the subscriber thread
                # has not run since it came) may be the takedown this request must honour.
                if None not in values and not self.subscription.pending():
                    return values, self._changes
            return None, self._changes

    def fill(self, values: dict[str, int], mark: int) -> None:
        """Keep ``values`` just read from the cache, unless the copy changed since ``mark``."""
        if mark < 0 or self._pid != os.getpid():
            return
        with self._lock:
            if mark == self._changes and self._answered:
                self._values.update(values)

    def bumped(self, values: dict[str, int] | None) -> None:
        """A bump of this process: its new values (``None``: it failed, trust nothing held)."""
        if self._pid != os.getpid():
            return  # a forked child that has not served a page: nothing held (and the lock may be)
        with self._lock:
            if not self._answered:
                return
            self._changes += 1
            if values is None:
                self._values.clear()
            else:
                self._values.update(values)

    def close(self) -> None:
        """Stop following (tests; a process about to exit)."""
        self._stop.set()
        with self._lock:
            self._source, self._answered, self.subscription = None, 0.0, None
            self._values.clear()

    # The subscriber thread's side.

    def _start(self, backend, source) -> None:
        self._stop.set()  # a previous thread (another cache) ends at its next wake-up
        self._stop = threading.Event()
        self._source, self._answered, self.subscription = source, 0.0, None
        self._values.clear()
        self._changes += 1
        self._thread = threading.Thread(
            target=self._follow, args=(backend, self._stop), name="vf-pushed-generations", daemon=True
        )
        self._thread.start()

    def _follow(self, backend, stop: threading.Event) -> None:
        UNREACHABLE = cache_backends.UNREACHABLE  # noqa: N806
        wait = self.RETRY_SECONDS[0]
        while not stop.is_set():
            try:
                subscription = backend.push_subscription()
            except Exception as exc:  # unreachable, or refused (a wrong password): try again later
                if not isinstance(exc, UNREACHABLE):
                    logger.warning("Pushed generations: cannot subscribe (%s)", exc)
                stop.wait(wait)
                wait = min(wait * 2, self.RETRY_SECONDS[1])
                continue
            wait = self.RETRY_SECONDS[0]
            try:
                self._subscribed(subscription, stop)
                self._listen(subscription, stop)
            except UNREACHABLE as exc:
                logger.info("Pushed generations lost (%s): reading them per request until resubscribed", exc)
            except Exception:  # a bug must not leave a copy trusted that nothing updates
                logger.exception("Pushed generations: the subscriber failed")
            finally:
                self._lost(stop)
                subscription.close()

    def _subscribed(self, subscription, stop: threading.Event) -> None:
        with self._lock:
            if stop.is_set():
                return
            self._values.clear()  # what was published while unsubscribed is unknown: read again
            self._changes += 1
            self._answered = time.monotonic()
            self.subscription = subscription
            self.subscriptions += 1

    def _listen(self, subscription, stop: threading.Event) -> None:
        interval = max(push_health_seconds() / 4, 0.01)
        pinged = time.monotonic()
        while not stop.is_set():
            if subscription.wait(interval):
                # Read and applied under the lock: a request sees a message either still in the
                # socket (``pending``: it reads Redis instead) or applied, never in between.
                with self._lock:
                    if stop.is_set():
                        return
                    for kind, data in subscription.drain():
                        if kind != "answer":
                            self._changes += 1
                            if kind == "everything":
                                self._values.clear()
                            else:
                                self._values.update(data)
                    self._answered = time.monotonic()
            if time.monotonic() - pinged >= interval:
                subscription.ping()
                pinged = time.monotonic()

    def _lost(self, stop: threading.Event) -> None:
        with self._lock:
            if not stop.is_set():
                self._answered = 0.0
                self._values.clear()
                self._changes += 1
                self.subscription = None


PUSHED = PushedGenerations()


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
    # With Redis the values are also published, in the same transaction: every process's
    # ``PUSHED`` learns them (Celery workers bump too, and only publish).
    write = getattr(cache, "set_many_and_push", cache.set_many)
    _lost_bump = bool(write(values, timeout=None))
    PUSHED.bumped(None if _lost_bump else values)


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
    """(tree generation, generation of ``unit_path``), creating missing ones: from ``PUSHED``
    while it may be trusted, else one cache trip (and kept there for the next request)."""
    if _lost_bump:
        _bump_now([], tree=True)
    keys = [TREE_KEY, GEN_PREFIX + unit_path]
    pushed, mark = PUSHED.lookup(cache, keys) if not _lost_bump else (None, -1)
    if pushed is not None:
        return pushed[0], pushed[1]
    found = cache.get_many(keys)
    missing = [k for k in keys if k not in found]
    if missing:
        now = _now()
        for key in missing:
            cache.add(key, now, timeout=None)
        found.update(cache.get_many(missing))
    gens = found.get(keys[0], 0), found.get(keys[1], 0)
    if gens[0] and gens[1]:  # 0: the cache did not answer, nothing to keep
        PUSHED.fill(dict(zip(keys, gens, strict=True)), mark)
    return gens


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
