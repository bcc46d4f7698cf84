"""Browser tests: Playwright's sync API drives Debian's Chromium against pytest-django's live server.

Fixtures:
- ``browser``: one headless Chromium (/usr/bin/chromium) for the whole session; skipped with a
  reason where it is missing, a failure on CI (``CI`` set) where it must be installed.
- ``phone_page`` / ``desktop_page``: a fresh context and page per test (390x844 phone, touch,
  2x pixels; or 1280x800), Vietnamese locale and time zone, ``base_url`` set to the live server
  so ``page.goto("/")`` works. Requests to any host but the live server are aborted and fail
  the test: the site must work without outside resources, and tests reach no network. A failed
  test leaves a screenshot of each of its pages in artifacts/screenshots/FAILED-*.png.
- ``live_url``: the live server's root URL, without the trailing slash.

Helpers live in ``tests/browser/support.py`` (``screenshot``, ``assert_accessible``).

Browser tests need ``@pytest.mark.django_db(transaction=True)``: the
live server answers from another thread (another connection on PostgreSQL), which never sees
data left uncommitted in a test transaction. The rows that data migrations seed (topics,
regulation, targets), which a transactional flush removes, are put back by an autouse fixture in
tests/conftest.py.
See docs/TESTING.md.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterator, Mapping
from urllib.parse import urlsplit

import pytest

from .support import CHROMIUM, CHROMIUM_ARGS, DESKTOP, PHONE, TIMEOUT_MS, safe_name, screenshot

_report_key = pytest.StashKey[dict]()


# --- collection --------------------------------------------------------------------------------


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark every test that uses the browser as ``browser``, and run those tests last.

    Last (after pytest-django's own ordering, hence ``trylast``): once Playwright's sync API has
    started, its event loop stays marked as running in the main thread until the session ends,
    and any later test calling ``asyncio.run`` or ``async_to_sync`` would fail for it.
    """
    for item in items:
        if "browser" in getattr(item, "fixturenames", ()) and not item.get_closest_marker("browser"):
            item.add_marker(pytest.mark.browser)
    items.sort(key=lambda item: "browser" in getattr(item, "fixturenames", ()))


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    """Keep each phase's report on the item, so page fixtures can screenshot a failed test."""
    report = yield
    item.stash.setdefault(_report_key, {})[report.when] = report
    return report


# --- the browser -------------------------------------------------------------------------------


def _unavailable(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI must run the browser tests: .ci/run installs Chromium)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def browser() -> Iterator:
    if not CHROMIUM.exists():
        _unavailable(f"browser tests need Debian's Chromium at {CHROMIUM}: apt-get install chromium")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("browser tests need the playwright package: pip install -r requirements-dev.txt")

    # Playwright's sync API runs an asyncio event loop in this (the main) thread and leaves it
    # marked as running between calls. Django then refuses every ORM call made from the test
    # itself (creating a user, checking a row) with SynchronousOnlyOperation, because it cannot
    # tell this loop from real async code. Nothing here runs coroutines that touch the database:
    # the live server answers in its own threads, with no loop. So allow it, from the moment the
    # loop exists until it is gone; browser tests run last (see pytest_collection_modifyitems).
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    playwright = sync_playwright().start()
    try:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()
    finally:
        playwright.stop()
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def live_url(live_server) -> str:
    """The live server's root, e.g. ``http://localhost:41234`` (no trailing slash)."""
    return live_server.url


def _new_page(
    browser, request: pytest.FixtureRequest, base_url: str, device: Mapping, label: str
) -> Iterator:
    context = browser.new_context(
        base_url=base_url,
        locale="vi-VN",
        timezone_id="Asia/Ho_Chi_Minh",
        # A Content-Security-Policy added to the site later must not block the injected axe-core
        # script. Test the policy itself on the response headers, with Django's test client.
        bypass_csp=True,
        **device,
    )
    context.set_default_timeout(TIMEOUT_MS)
    context.set_default_navigation_timeout(TIMEOUT_MS)
    own = urlsplit(base_url).netloc
    outside: list[str] = []

    def only_the_live_server(route, req) -> None:
        parts = urlsplit(req.url)
        if parts.scheme in ("http", "https", "ws", "wss") and parts.netloc != own:
            outside.append(req.url)
            route.abort("blockedbyclient")
        else:
            route.continue_()

    context.route("**/*", only_the_live_server)
    page = context.new_page()
    yield page

    reports = request.node.stash.get(_report_key, {})
    if reports.get("call") is not None and reports["call"].failed:
        try:
            screenshot(page, f"FAILED-{safe_name(request.node.nodeid)}-{label}")
        except Exception as exc:  # noqa: BLE001 - a broken page must not hide the real failure
            warnings.warn(f"no failure screenshot: {exc}", stacklevel=1)
    context.close()
    if outside:
        pytest.fail(
            "the page requested resources outside the site:\n  " + "\n  ".join(outside), pytrace=False
        )


@pytest.fixture
def phone_page(browser, live_url, request) -> Iterator:
    yield from _new_page(browser, request, live_url, PHONE, "phone")


@pytest.fixture
def desktop_page(browser, live_url, request) -> Iterator:
    yield from _new_page(browser, request, live_url, DESKTOP, "desktop")
