"""Measure the staff side in process: every page each kind of staff uses, median and p95 time
and SQL queries, on the full pre-2025 tree with posts in every state (``seed_bench`` plus
``pages.bench_staff``). Prints a Markdown table per user and a summary against the budget.

Requests go through Django's test ``Client`` (full middleware stack, no network) signed in as
each user; the login itself is measured once per user through the real form (password hash
included, which is deliberate work and reported on its own line).
"""

from __future__ import annotations

import logging
import statistics
import time

from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings
from django.urls import reverse

from moderation.models import AuditEntry, Submission
from orgunits.models import OrgUnit
from orgunits.roles import Perm
from orgunits.selectors import unit_grants
from pages import bench_staff
from pages.models import Post, PostStatus

BUDGET_MS = {"postgresql": 150.0, "sqlite": 300.0}


def _pages(user) -> list[tuple[str, str]]:
    """The pages ``user`` works with: the same list for everyone, objects chosen in their scope."""
    edit = unit_grants(user=user, perm=Perm.EDIT)
    approve = unit_grants(user=user, perm=Perm.APPROVE)
    posts = Post.objects.filter(edit.q("unit__") | approve.q("unit__"))
    post = (posts.filter(cover__isnull=False, documents__isnull=False).order_by("-pk").first()
            or posts.order_by("-pk").first())
    own_unit = OrgUnit.objects.filter(edit.q() | approve.q()).order_by("lft").first()
    submission = (Submission.objects.filter(state=Submission.State.PENDING).filter(approve.q("approving_unit__"))
                  .order_by("submitted_at").first())
    pages = [
        ("admin index", reverse("admin:index")),
        ("post list", reverse("admin:pages_post_changelist")),
        ("post list, drafts", reverse("admin:pages_post_changelist") + f"?status={PostStatus.DRAFT}"),
        ("post list, search 'dai doan ket'", reverse("admin:pages_post_changelist") + "?q=dai+doan+ket"),
        ("post add form", reverse("admin:pages_post_add")),
    ]
    if own_unit is not None:
        pages.append(("post list, unit filter", reverse("admin:pages_post_changelist") + f"?don_vi={own_unit.pk}"))
    if post is not None:
        pages.append(("post change form (images, documents)", reverse("admin:pages_post_change", args=[post.pk])))
    pages += [
        ("media library", reverse("admin:pages_mediaimage_changelist")),
        ("official documents", reverse("admin:rollout_officialdocument_changelist")),
        ("approvers' queue", reverse("admin:moderation_submission_changelist")),
        ("approvers' queue, search 'dai doan ket'",
         reverse("admin:moderation_submission_changelist") + "?q=dai+doan+ket"),
    ]
    if submission is not None:
        pages.append(("submission review", reverse("admin:moderation_submission_decide", args=[submission.pk])))
    pages += [
        ("audit log", reverse("admin:moderation_auditentry_changelist")),
        ("takedown requests", reverse("admin:moderation_takedownrequest_changelist")),
        ("unit list", reverse("admin:orgunits_orgunit_changelist")),
        ("roles", reverse("admin:orgunits_orgunituserobjectpermission_changelist")),
        ("dashboard", reverse("rollout:dashboard")),
    ]
    return pages


class Command(BaseCommand):
    help = "Benchmark every staff page for every kind of staff user on the full tree."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--posts", type=int, default=100_000, help="published posts to seed if fewer")
        parser.add_argument("--runs", type=int, default=15)
        parser.add_argument("--users", nargs="*", help="only these bench users (e.g. bench.xa)")
        parser.add_argument("--pages", nargs="*", help="only the pages whose name contains one of these (e.g. queue)")

    def handle(self, *args, posts: int, runs: int, users: list[str] | None, pages: list[str] | None,
               **options) -> None:
        if Post.objects.filter(status=PostStatus.PUBLISHED).count() < posts:
            call_command("seed_bench", posts=posts, stdout=self.stdout)
        bench_staff.seed_staff(log=self.stdout.write)
        User = get_user_model()
        budget = BUDGET_MS.get(connection.vendor, 300.0)
        self.stdout.write(
            f"\nDatabase: {connection.vendor}; units: {OrgUnit.objects.count()}; posts: {Post.objects.count()}; "
            f"pending: {Submission.objects.filter(state=Submission.State.PENDING).count()}; "
            f"audit rows: {AuditEntry.objects.count()}; runs per cell: {runs}; budget {budget:.0f} ms median\n"
        )
        over: list[str] = []
        # Pages a role may not use answer 403, which Django logs with a traceback: not news here.
        logging.getLogger("django.request").setLevel(logging.ERROR)
        with override_settings(DEBUG=False, VIETFRONT_REQUIRE_2FA=False):
            for staff in bench_staff.STAFF:
                if users and staff.username not in users:
                    continue
                user = User.objects.get(username=staff.username)
                over += self._bench_user(user, staff.label, runs, budget, pages)
        if over:
            self.stdout.write(self.style.WARNING("Over budget: " + "; ".join(over)))
        else:
            self.stdout.write(self.style.SUCCESS(f"Every page within {budget:.0f} ms median."))

    def _bench_user(self, user, label: str, runs: int, budget: float, only: list[str] | None) -> list[str]:
        self.stdout.write(f"\n### {user.username} — {label}\n")
        self.stdout.write("| page | status | median ms | p95 ms | SQL |")
        self.stdout.write("| --- | ---: | ---: | ---: | ---: |")
        login_url = reverse("admin:login")
        anonymous = Client()
        rows = [("login page", *self._measure(anonymous, login_url, runs))]
        client = Client()
        t0 = time.perf_counter()
        response = client.post(login_url, {"username": user.username, "password": bench_staff.PASSWORD,
                                           "next": reverse("admin:index")})
        login_ms = (time.perf_counter() - t0) * 1000
        if response.status_code != 302:
            raise RuntimeError(f"{user.username} could not sign in ({response.status_code})")
        over = []
        for name, url in _pages(user):
            if only and not any(word in name for word in only):
                continue
            rows.append((name, *self._measure(client, url, runs)))
        for name, status, median, p95, queries in rows:
            self.stdout.write(f"| {name} | {status} | {median:.1f} | {p95:.1f} | {queries} |")
            if median > budget:
                over.append(f"{user.username}: {name} {median:.0f} ms")
        self.stdout.write(f"| sign in (form POST, password hash included) | 302 | {login_ms:.1f} | — | — |")
        return over

    def _measure(self, client: Client, url: str, runs: int) -> tuple[int, float, float, int]:
        status = client.get(url).status_code  # compile templates, fill per-process caches
        times, queries = [], 0
        for _ in range(runs):
            with CaptureQueriesContext(connection) as captured:
                t0 = time.perf_counter()
                response = client.get(url)
                times.append((time.perf_counter() - t0) * 1000)
            status = response.status_code
            queries = max(queries, len(captured))
        times.sort()
        p95 = times[min(len(times) - 1, int(round(0.95 * (len(times) - 1))))]
        return status, statistics.median(times), p95, queries
