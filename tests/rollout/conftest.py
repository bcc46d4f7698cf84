"""Fixtures for the rollout: media in a temp folder, users with roles, helpers that build data."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from moderation.models import Revision, Submission
from orgunits.models import OrgUnit, UnitKind
from orgunits.services import unit_create
from pages import services as page_services
from pages.models import PageStatusChange, Post
from tests.pages.conftest import make_post, make_user, publish_post  # noqa: F401 - re-exported helpers

PDF = b"%PDF-1.7\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def activate_page(unit: OrgUnit, *, at: datetime.datetime | None = None):
    page = page_services.page_create(unit=unit, by=None, activate=True)
    if at is not None:
        PageStatusChange.objects.filter(page=page).update(at=at)
    return page


def published_post(page, *, title: str = "Ngày hội Đại đoàn kết", at: datetime.datetime | None = None) -> Post:
    return publish_post(make_post(page, title=title), at=at or timezone.now())


def decided_submission(post: Post, *, approving_unit: OrgUnit, by, hours: float, now=None, state=None) -> Submission:
    """A submission decided ``hours`` after it was sent, decided one day ago."""
    now = now or timezone.now()
    number = post.revisions.count() + 1
    revision = Revision.objects.create(post=post, number=number, title=post.title, content={}, content_hash=str(number))
    submission = Submission.objects.create(
        post=post, revision=revision, approving_unit=approving_unit, submitted_by=by,
        state=state or Submission.State.APPROVED, decided_by=by,
    )
    decided_at = now - datetime.timedelta(days=1)
    Submission.objects.filter(pk=submission.pk).update(
        submitted_at=decided_at - datetime.timedelta(hours=hours), decided_at=decided_at
    )
    return submission


def province_with_districts(central: OrgUnit, *, code: str, name: str, districts: int, communes: int = 0) -> OrgUnit:
    province = unit_create(name=name, kind=UnitKind.PROVINCE, parent=central, code=code)
    for d in range(districts):
        district = unit_create(
            name=f"Huyện {name} {d + 1}", kind=UnitKind.DISTRICT, parent=OrgUnit.objects.get(pk=province.pk),
            code=f"{code}{d:02d}",
        )
        for c in range(communes):
            unit_create(
                name=f"Xã {name} {d + 1}-{c + 1}", kind=UnitKind.COMMUNE, parent=OrgUnit.objects.get(pk=district.pk),
                code=f"{code}{d:02d}{c:02d}",
            )
    return OrgUnit.objects.get(pk=province.pk)


@pytest.fixture
def superuser(db):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.create_superuser(username="root", password="x", email="root@example.org")
