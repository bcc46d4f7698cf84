"""The load test's users: anonymous readers and the staff who keep the pages going.

Run by ``scripts/loadtest.sh`` (headless, bounded, loopback only) against gunicorn; the plan
(``LOADTEST_PLAN``, written by ``manage.py seed_loadtest``) names the URLs and accounts.
Every request is tagged with its user class; at the end the per-class figures (throughput,
p50/p95/p99, errors) are printed and written to ``LOADTEST_SUMMARY`` as JSON.
"""

# ruff: noqa: S311 - random picks of URLs to visit, not secrets
from __future__ import annotations

import datetime
import itertools
import json
import os
import random
import re
import threading
import time
import zoneinfo
from pathlib import Path

from locust import HttpUser, between, events, task

PLAN_PATH = os.environ.get("LOADTEST_PLAN", "")
LOCAL_TZ = zoneinfo.ZoneInfo("Asia/Ho_Chi_Minh")
CSRF_RE = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
DECIDE_RE = re.compile(r'/quan-tri/moderation/submission/(\d+)/quyet-dinh/')


def load_plan() -> dict:
    if not PLAN_PATH:
        return {"units": ["/"], "posts": ["/"], "searches": ["ha noi"], "search_url": "/tim-kiem/", "feeds": ["/rss/"],
                "editors": [], "approvers": [], "password": ""}
    return json.loads(Path(PLAN_PATH).read_text())


PLAN = load_plan()


# --- per-class figures ----------------------------------------------------------------------------

class Recorder:
    """Response times per user class, kept after a warm-up so the spawn does not count."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        self.started = time.monotonic()
        self.warmup = float(os.environ.get("LOADTEST_WARMUP", "5"))
        self.samples: dict[str, list[float]] = {}
        self.errors: dict[str, int] = {}
        self.error_kinds: dict[str, int] = {}

    def add(self, kind: str, name: str, ms: float, failed: str | None) -> None:
        if time.monotonic() - self.started < self.warmup:
            return
        with self.lock:
            self.samples.setdefault(kind, []).append(ms)
            if failed:
                self.errors[kind] = self.errors.get(kind, 0) + 1
                key = f"{kind} {name}: {failed}"[:200]
                self.error_kinds[key] = self.error_kinds.get(key, 0) + 1

    def summary(self) -> dict:
        seconds = max(0.001, time.monotonic() - self.started - self.warmup)
        result = {"seconds": round(seconds, 1), "classes": {}, "errors": self.error_kinds}
        for kind, times in sorted(self.samples.items()):
            ordered = sorted(times)

            def pct(p: float, ordered=ordered) -> float:
                return round(ordered[min(len(ordered) - 1, int(p * len(ordered)))], 1)

            result["classes"][kind] = {
                "requests": len(ordered), "rps": round(len(ordered) / seconds, 1), "errors": self.errors.get(kind, 0),
                "p50": pct(0.50), "p95": pct(0.95), "p99": pct(0.99),
            }
        return result


RECORDER = Recorder()


@events.test_start.add_listener
def _start(environment, **kwargs) -> None:
    RECORDER.reset()


@events.request.add_listener
def _request(request_type, name, response_time, response_length, exception, context, **kwargs) -> None:
    RECORDER.add(context.get("kind", "other"), name, response_time, str(exception) if exception else None)


@events.quitting.add_listener
def _quitting(environment, **kwargs) -> None:
    summary = RECORDER.summary()
    if path := os.environ.get("LOADTEST_SUMMARY"):
        Path(path).write_text(json.dumps(summary, indent=1, ensure_ascii=False))
    print(f"\n{'class':10} {'requests':>9} {'req/s':>7} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} {'errors':>6}")
    for kind, row in summary["classes"].items():
        print(f"{kind:10} {row['requests']:9} {row['rps']:7} {row['p50']:7} {row['p95']:7} {row['p99']:7} {row['errors']:6}")
    for what, n in summary["errors"].items():
        print(f"  error x{n}: {what}")


# --- users ---------------------------------------------------------------------------------------

class Reader(HttpUser):
    """A citizen on a phone: unit pages, posts, search, feeds; a second or so between clicks."""

    kind = "reader"
    weight = 10
    wait_time = between(0.5, 1.5)

    def context(self) -> dict:
        return {"kind": self.kind}

    def _get(self, url: str, name: str) -> None:
        with self.client.get(url, name=name, catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"HTTP {response.status_code}")

    @task(35)
    def unit_page(self) -> None:
        self._get(random.choice(PLAN["units"]), "reader: unit page")

    @task(40)
    def post_page(self) -> None:
        self._get(random.choice(PLAN["posts"]), "reader: post page")

    @task(10)
    def search(self) -> None:
        words = random.sample(PLAN["searches"], 2)
        self._get(f"{PLAN['search_url']}?q={'+'.join(words)}", "reader: search")

    @task(15)
    def feed(self) -> None:
        self._get(random.choice(PLAN["feeds"]), "reader: feed")


class StaffUser(HttpUser):
    abstract = True
    accounts: list[dict] = []
    _next = itertools.count()

    def context(self) -> dict:
        return {"kind": self.kind}

    def on_start(self) -> None:
        self.account = self.accounts[next(self._next) % len(self.accounts)]
        # Logins (a deliberately slow password hash) are figures of their own, not staff actions.
        login = self.client.get("/quan-tri/login/", name=f"{self.kind}: login form", context={"kind": "login"})
        token = CSRF_RE.search(login.text).group(1)
        with self.client.post("/quan-tri/login/", name=f"{self.kind}: login", allow_redirects=False, catch_response=True, context={"kind": "login"},
                              data={"username": self.account["username"], "password": PLAN["password"],
                                    "csrfmiddlewaretoken": token, "next": "/quan-tri/"}) as response:
            if response.status_code != 302:
                response.failure(f"login answered {response.status_code}")

    def _csrf(self, url: str, name: str) -> str | None:
        with self.client.get(url, name=name, catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"HTTP {response.status_code}")
                return None
            self.last_page = response.text
            match = CSRF_RE.search(response.text)
            return match.group(1) if match else None


class Editor(StaffUser):
    """An editor of a district: opens one of their posts, edits it, saves and submits it."""

    kind = "editor"
    fixed_count = int(os.environ.get("LOADTEST_EDITORS", "4"))
    wait_time = between(2, 4)
    accounts = PLAN["editors"]

    @task
    def save_post(self) -> None:
        post = random.choice(self.account["posts"])
        url = f"/quan-tri/pages/post/{post['id']}/change/"
        token = self._csrf(url, "editor: open post")
        if token is None:
            return
        data = {
            "csrfmiddlewaretoken": token, "title": f"{post['title']} ({int(time.time() * 1000) % 100000})",
            "summary": post["summary"], "body": post["body"], "cover": "", "topic": post["topic"],
            "source_kind": post["source_kind"], "source_name": post["source_name"], "source_url": "",
            "author_line": post["author_line"], "photo_credit": "", "desired_publish_at_0": "",
            "desired_publish_at_1": "", "cover_alt": "", "cover_credit": "", "cover_upload_token": "",
            "documents-TOTAL_FORMS": "0", "documents-INITIAL_FORMS": "0", "documents-MIN_NUM_FORMS": "0",
            "documents-MAX_NUM_FORMS": "1000", "_gui_duyet": "1",
        }
        with self.client.post(url, data=data, name="editor: save and submit", allow_redirects=False,
                              catch_response=True) as response:
            if response.status_code != 302 or not response.headers.get("Location", "").endswith(url):
                response.failure(f"save answered {response.status_code} {response.headers.get('Location', '')}")


class Approver(StaffUser):
    """A provincial approver: opens the queue, approves the oldest submission now or in a minute
    (the beat sweep publishes those)."""

    kind = "approver"
    fixed_count = int(os.environ.get("LOADTEST_APPROVERS", "1"))
    wait_time = between(2, 4)
    accounts = PLAN["approvers"]

    @task
    def approve(self) -> None:
        token = self._csrf("/quan-tri/moderation/submission/", "approver: queue")
        pending = DECIDE_RE.findall(self.last_page) if token else []
        if not pending:
            return
        url = f"/quan-tri/moderation/submission/{pending[-1]}/quyet-dinh/"
        token = self._csrf(url, "approver: open submission")
        if token is None:
            return
        data = {"csrfmiddlewaretoken": token, "decision": "approve", "reason": "", "publish": "now", "publish_at": ""}
        if random.random() < 0.5:
            when = datetime.datetime.now(LOCAL_TZ) + datetime.timedelta(minutes=1)
            data.update(publish="at", publish_at=when.strftime("%Y-%m-%dT%H:%M"))
        with self.client.post(url, data=data, name="approver: approve", allow_redirects=False,
                              catch_response=True) as response:
            if response.status_code != 302:
                response.failure(f"approve answered {response.status_code}")
