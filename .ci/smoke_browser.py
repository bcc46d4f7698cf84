"""Chromium through the smoke test's nginx: public pages and the admin (login, the post editor
with Trix, the approvers' queue, the dashboard) must load without a single Content-Security-
Policy violation or console error. Usage: smoke_browser.py BASE_URL USERNAME PASSWORD PATH..."""

from __future__ import annotations

import os
import sys

from playwright.sync_api import sync_playwright

ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def main(base: str, username: str, password: str, public_paths: list[str]) -> int:
    problems: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        context = browser.new_context(ignore_https_errors=True, locale="vi-VN")
        page = context.new_page()
        page.on("console", lambda m: m.type in ("error", "warning") and problems.append(f"{page.url}: {m.text}"))
        page.on("pageerror", lambda e: problems.append(f"{page.url}: {e}"))
        # Every violation, even those the console would summarise, reaches this listener.
        context.add_init_script(
            "document.addEventListener('securitypolicyviolation', e => console.error("
            "'CSP violation: ' + e.violatedDirective + ' ' + e.blockedURI));"
        )

        def visit(path: str) -> None:
            response = page.goto(base + path, wait_until="networkidle")
            if response is None or response.status != 200:
                problems.append(f"{path}: HTTP {response.status if response else 'none'}")
            print(f"  browser {path}: {response.status if response else '-'}")

        for path in public_paths:
            visit(path)
        visit("/quan-tri/login/")
        page.fill("#id_username", username)
        page.fill("#id_password", password)
        page.click("input[type=submit]")
        page.wait_for_load_state("networkidle")
        if "/quan-tri/login/" in page.url:
            problems.append("admin login did not get past the login page")
        extra = [p for p in os.environ.get("SMOKE_ADMIN_PATHS", "").split() if p]
        for path in ("/quan-tri/", "/quan-tri/pages/post/add/", "/quan-tri/moderation/submission/",
                     "/bang-dieu-khien/", *extra):
            visit(path)
            shots = os.environ.get("SMOKE_SCREENSHOTS")
            if shots and path in extra:
                for width in (1366, 390):
                    page.set_viewport_size({"width": width, "height": 900})
                    page.screenshot(path=f"{shots}/admin-{width}.png", full_page=True)
                page.set_viewport_size({"width": 1280, "height": 800})
        if page.locator("trix-editor").count() and not page.evaluate("!!window.Trix"):
            problems.append("Trix did not start")
        visit("/quan-tri/pages/post/add/")
        if not page.locator("trix-toolbar").count():
            problems.append("the post editor has no Trix toolbar")
        browser.close()
    for problem in problems:
        print(f"  browser problem: {problem}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]))
