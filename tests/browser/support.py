"""Helpers for browser tests: constants, ``screenshot`` and ``assert_accessible`` (axe-core)."""

from __future__ import annotations

import json
import re
import warnings
from collections.abc import Mapping
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
# Headless, no sandbox (CI runs as root), and nothing that phones home or updates itself.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
# A failing step waits this long, not Playwright's default 30 s.
TIMEOUT_MS = 10_000
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
}
DESKTOP = {"viewport": {"width": 1280, "height": 800}}

REPO = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPO / "artifacts" / "screenshots"
# Vendored, see vendor/axe-core/README.md. Never loaded from a CDN: tests reach no network.
AXE_JS = Path(__file__).resolve().parent / "vendor" / "axe-core" / "axe.min.js"
# WCAG 2.0, 2.1 and 2.2, levels A and AA (axe-core's tag names).
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


def safe_name(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("_")[:150]


def screenshot(page, name: str, *, full_page: bool = True) -> Path:
    """Save a PNG of ``page`` as ``artifacts/screenshots/<name>.png`` and return its path.

    The folder is gitignored; CI leaves it in its work tree. Name files by what and where,
    e.g. ``home-phone``; a later run overwrites a file of the same name.
    """
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{safe_name(name)}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path


def axe_violations(page, *, context: str | None = None) -> list[dict]:
    """axe-core's WCAG 2.x A/AA violations on ``page`` (optionally within a CSS selector)."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.add_script_tag(path=str(AXE_JS))
    return page.evaluate(
        """async ([context, tags]) => {
            const results = await axe.run(context || document, {
                runOnly: {type: "tag", values: tags},
                resultTypes: ["violations"],
            });
            return results.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
                nodes: v.nodes.map(n => ({target: n.target, html: n.html})),
            }));
        }""",
        [context, AXE_TAGS],
    )


def assert_accessible(page, *, ignore: Mapping[str, str] | None = None, context: str | None = None) -> None:
    """Run axe-core's WCAG 2.x A and AA rules on ``page`` and fail listing every violation.

    ``ignore`` maps axe rule ids to the reason they are tolerated here (a TODO saying what has
    to be fixed, or why the rule does not apply). An id axe-core does not know is an error; an
    ignored rule that no longer fires draws a warning, so that the entry gets removed.
    ``context`` limits the check to a CSS selector (default: the whole document).
    """
    ignore = dict(ignore or {})
    for rule, reason in ignore.items():
        if not str(reason).strip():
            raise ValueError(f"ignore[{rule!r}] needs a reason")
    results = axe_violations(page, context=context)
    known = set(page.evaluate("() => axe.getRules().map(rule => rule.ruleId)"))
    unknown = sorted(set(ignore) - known)
    if unknown:
        raise ValueError(f"ignore= names rules that axe-core does not have: {unknown}")

    stale = sorted(set(ignore) - {v["id"] for v in results})
    if stale:
        warnings.warn(f"{page.url}: ignored axe rules no longer fire, remove them: {stale}", stacklevel=2)
    violations = [v for v in results if v["id"] not in ignore]
    if violations:
        lines = [
            f"{len(violations)} accessibility violation(s) on {page.url} (axe-core; {', '.join(AXE_TAGS)}):"
        ]
        for v in violations:
            lines.append(f"- {v['id']} [{v['impact']}] {v['help']} <{v['helpUrl']}>")
            for node in v["nodes"][:10]:
                target = json.dumps(node["target"], ensure_ascii=False)
                lines.append(f"    at {target}: {node['html'][:160]}")
            if len(v["nodes"]) > 10:
                lines.append(f"    ... and {len(v['nodes']) - 10} more")
        pytest.fail("\n".join(lines), pytrace=False)


def assert_fits_width(page) -> None:
    """Nothing sticks out sideways: the page never scrolls horizontally at this viewport."""
    widths = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert widths[0] <= widths[1], f"{page.url} is {widths[0]}px wide in a {widths[1]}px viewport"


def admin_login(page, username: str, password: str, *, next_path: str = "/quan-tri/") -> None:
    """Log in through the admin's login form, as a person does, and wait to land on ``next_path``."""
    page.goto(f"/quan-tri/login/?next={next_path}")
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill(password)
    page.locator("#login-form [type=submit]").click()
    page.wait_for_url(f"**{next_path}")
