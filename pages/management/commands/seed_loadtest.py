"""Prepare a load test: the ``seed_bench`` data set (tree, pages, live posts), staff accounts
with roles, draft posts for the editors to save, and a JSON plan of the URLs readers visit.

The plan is what ``loadtest/locustfile.py`` reads (``LOADTEST_PLAN``). Throw-away databases only:
the accounts have a known password.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.urls import reverse

from orgunits.models import OrgUnit, UnitKind
from orgunits.roles import Role
from orgunits.services import role_grant
from pages import services
from pages.models import CommunityPage, Post, SourceKind, Topic

from .seed_bench import WORDS

EDITOR_DISTRICTS = ("006", "001", "003", "005")  # Đống Đa, Ba Đình, Tây Hồ, Cầu Giấy (Hà Nội)
DRAFTS_PER_EDITOR = 5


class Command(BaseCommand):
    help = "Seed a load-test data set (seed_bench + staff + drafts) and write the readers' URL plan."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--posts", type=int, default=20_000)
        parser.add_argument("--plan", type=Path, required=True)
        parser.add_argument("--password", default="tai-thu-tai-2025")
        parser.add_argument("--seed", type=int, default=2025)

    def handle(self, *args, posts: int, plan: Path, password: str, seed: int, **options) -> None:
        rng = random.Random(seed)  # noqa: S311 - test data
        missing = posts - Post.objects.published().count()
        if missing > 0:
            call_command("seed_bench", posts=missing, seed=seed, stdout=self.stdout)
        hanoi = OrgUnit.objects.get(kind=UnitKind.PROVINCE, code="01", is_active=True)
        approver = self._user("lt.duyet.hanoi", password)
        role_grant(user=approver, role=Role.APPROVER, unit=hanoi, by=None)
        editors = []
        topic = Topic.objects.filter(is_active=True).order_by("order").first()
        for code in EDITOR_DISTRICTS:
            unit = OrgUnit.objects.get(kind=UnitKind.DISTRICT, code=code, parent=hanoi)
            editor = self._user(f"lt.bientap.{code}", password)
            role_grant(user=editor, role=Role.EDITOR, unit=unit, by=None)
            page = CommunityPage.objects.filter(unit=unit).first() or services.page_create(
                unit=unit, by=None, activate=True
            )
            drafts = []
            for n in range(DRAFTS_PER_EDITOR):
                title, marker = f"Bài tải thử {code}-{n}", f"Tải thử {code}-{n}"
                # Found again by its author line: editors change the title at every save.
                post = Post.objects.filter(page=page, author_line=marker).first() or services.post_save(post=Post(
                    page=page, title=title, summary=" ".join(rng.sample(WORDS, 20)).capitalize() + ".",
                    body="".join(f"<p>{' '.join(rng.sample(WORDS, 40)).capitalize()}.</p>" for _ in range(3)),
                    topic=topic, source_kind=SourceKind.OWN, source_name="Ban Tuyên giáo",
                    author_line=marker,
                ), by=editor)
                drafts.append({"id": post.pk, "title": title, "summary": post.summary, "body": post.body,
                               "topic": post.topic_id or "", "source_kind": post.source_kind,
                               "source_name": post.source_name, "author_line": post.author_line})
            editors.append({"username": editor.username, "posts": drafts})
        units = self._units(rng)
        live = list(Post.objects.published().select_related("unit").order_by("?")[:3000])
        plan.parent.mkdir(parents=True, exist_ok=True)
        plan.write_text(json.dumps({
            "password": password,
            "units": [u.get_absolute_url() for u in units],
            "posts": [p.get_absolute_url() for p in live],
            "searches": sorted({w.lower() for w in WORDS}),
            "search_url": reverse("public:search"),
            "feeds": [reverse(name, kwargs={"unit_path": u.path}) for u in units[:200] if u.path
                      for name in ("public:feed_rss", "public:feed_atom_all")],
            "editors": editors,
            "approvers": [{"username": approver.username}],
        }, ensure_ascii=False, indent=1))
        self.stdout.write(f"Plan written to {plan}: {len(units)} units, {len(live)} posts, {len(editors)} editors.")

    def _user(self, username: str, password: str):
        user, _ = get_user_model().objects.get_or_create(username=username, defaults={"is_staff": True})
        user.set_password(password)
        user.is_staff = True
        user.save()
        return user

    def _units(self, rng: random.Random) -> list[OrgUnit]:
        """The centre, every province, and a sample of districts and communes with a page."""
        with_page = OrgUnit.objects.filter(is_active=True, page__isnull=False)
        units = list(with_page.filter(kind__in=[UnitKind.CENTRAL, UnitKind.PROVINCE]))
        for kind, n in ((UnitKind.DISTRICT, 200), (UnitKind.COMMUNE, 400)):
            ids = list(with_page.filter(kind=kind).values_list("id", flat=True))
            units += list(OrgUnit.objects.filter(id__in=rng.sample(ids, min(n, len(ids)))))
        return units
