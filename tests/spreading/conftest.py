"""Fixtures for spreading: pages on the small tree (Láng Thượng has none), live posts, staff."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from orgunits.roles import Perm
from pages import services as page_services
from tests.pages.conftest import make_post, make_user, publish_post


@pytest.fixture(autouse=True)
def _clean_cache_and_media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def pages(tree):
    """Active pages on every unit but Láng Thượng (none at all); Bắc Ninh's side has pages too."""
    names = ("central", "hanoi", "dongda", "vanmieu", "badinh", "phucxa", "bacninh", "tpbacninh", "vuninh")
    return {n: page_services.page_create(unit=getattr(tree, n), by=None, activate=True) for n in names}


def live(page, title: str):
    return publish_post(make_post(page, title))


@pytest.fixture
def hanoi_post(pages):
    return live(pages["hanoi"], "Hà Nội phát động tháng cao điểm vì người nghèo")


@pytest.fixture
def approver_hanoi(tree):
    return make_user("duyet_hanoi", (Perm.APPROVE, tree.hanoi), (Perm.EDIT, tree.hanoi))


@pytest.fixture
def approver_bacninh(tree):
    return make_user("duyet_bacninh", (Perm.APPROVE, tree.bacninh), (Perm.EDIT, tree.bacninh))


@pytest.fixture
def editor_hanoi(tree):
    return make_user("bt_hanoi", (Perm.EDIT, tree.hanoi))


@pytest.fixture
def editor_vanmieu(tree):
    return make_user("bt_vanmieu", (Perm.EDIT, tree.vanmieu))


@pytest.fixture
def editor_dongda(tree):
    return make_user("bt_dongda", (Perm.EDIT, tree.dongda))


@pytest.fixture
def approver_dongda(tree):
    return make_user("duyet_dongda", (Perm.APPROVE, tree.dongda))
