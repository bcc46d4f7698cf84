"""Fixtures for the pages app: media in a temp folder, eager Celery, users with roles."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth import get_user_model
from guardian.shortcuts import assign_perm
from PIL import Image

from pages import services
from pages.models import CommunityPage, MediaImage, Post
from vietfront.celery import app as celery_app


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def eager_celery():
    old = celery_app.conf.task_always_eager, celery_app.conf.task_eager_propagates
    celery_app.conf.task_always_eager = True
    celery_app.conf.task_eager_propagates = True
    yield celery_app
    celery_app.conf.task_always_eager, celery_app.conf.task_eager_propagates = old


def make_user(username: str, *perms_on: tuple[str, object], staff: bool = True):
    user = get_user_model().objects.create_user(username=username, password="x", is_staff=staff)
    for perm, unit in perms_on:
        assign_perm(f"orgunits.{perm}", user, unit)
    return user


def image_bytes(fmt: str = "JPEG", size: tuple[int, int] = (800, 600), color=(200, 30, 30), **save) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, format=fmt, **save)
    return out.getvalue()


@pytest.fixture
def pages(tree):
    """An active page on every unit of the tree."""
    result = {}
    for name in ("central", "hanoi", "dongda", "vanmieu", "badinh", "phucxa"):
        unit = getattr(tree, name)
        result[name] = services.page_create(unit=unit, by=None, activate=True)
    return result


@pytest.fixture
def editor_dongda(tree):
    return make_user("bt_dongda", ("edit_content", tree.dongda))


@pytest.fixture
def editor_badinh(tree):
    return make_user("bt_badinh", ("edit_content", tree.badinh))


@pytest.fixture
def admin_dongda(tree):
    return make_user("qt_dongda", ("edit_content", tree.dongda), ("admin_unit", tree.dongda))


@pytest.fixture
def superuser(db):
    return get_user_model().objects.create_superuser(username="root", password="x", email="root@example.org")


def make_image(unit, *, alt: str = "Ảnh minh họa", size=(800, 600)) -> MediaImage:
    from pages.media import process_image

    processed = process_image(io.BytesIO(image_bytes(size=size)))
    return services.media_image_create(unit=unit, image=processed, alt_text=alt, credit="Ảnh: H.Nguyệt", by=None)


def make_post(page: CommunityPage, title: str = "Ngày hội Đại đoàn kết", **fields) -> Post:
    return services.post_save(post=Post(page=page, title=title, **fields), by=None)


def publish_post(post: Post, at=None) -> Post:
    """Put ``post`` live through moderation's audited import path (no approval queue needed)."""
    from django.utils import timezone

    from moderation.services import post_publish_imported

    return post_publish_imported(post=post, by=None, published_at=at or timezone.now(), reason="test")
