"""Shared fixtures: a small four-level tree of real names, users with roles on it."""

from __future__ import annotations

import importlib
import os
from dataclasses import dataclass

import pytest
from django.db import connection

from orgunits.models import OrgUnit, UnitKind
from orgunits.services import unit_create


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _celery_eager():
    """Tasks run in-process unless a test starts a real worker (see ``celery_broker``): no test
    leaves messages in a shared broker."""
    from vietfront.celery import app

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous


@pytest.fixture
def celery_broker():
    """Point this process's Celery at another broker for one test, with tasks really sent."""
    from vietfront.celery import app

    saved = app.conf.broker_url, app.conf.task_always_eager

    def use(url: str) -> None:
        app.conf.broker_url = url
        app.conf.task_always_eager = False
        # Connections are pooled per app: drop them so the next send dials the new broker.
        app._pool = None
        app.amqp._producer_pool = None

    yield use
    app.conf.broker_url, app.conf.task_always_eager = saved
    app._pool = None
    app.amqp._producer_pool = None


# Reference data that data migrations seed; a transactional test's flush removes it, so every
# transactional test puts it back (the seed functions are idempotent).
SEED_MIGRATIONS = (
    "pages.migrations.0002_seed_topics",
    "moderation.migrations.0002_seed_regulation",
    "rollout.migrations.0002_seed_targets",
)


@pytest.fixture(autouse=True)
def _reference_data_in_transactional_tests(request):
    marker = request.node.get_closest_marker("django_db")
    if marker is None or not marker.kwargs.get("transaction"):
        return
    request.getfixturevalue("transactional_db")
    from django.apps import apps

    for module in SEED_MIGRATIONS:
        importlib.import_module(module).seed(apps, None)


@pytest.fixture
def on_postgres() -> bool:
    return connection.vendor == "postgresql"


@pytest.fixture
def postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: set DATABASE_URL")


@pytest.fixture
def redis_url() -> str:
    url = os.environ.get("REDIS_URL", "")
    if not url:
        pytest.skip("needs Redis: set REDIS_URL")
    return url


@dataclass
class Tree:
    central: OrgUnit
    hanoi: OrgUnit
    dongda: OrgUnit
    vanmieu: OrgUnit
    langthuong: OrgUnit
    badinh: OrgUnit
    phucxa: OrgUnit
    bacninh: OrgUnit
    tpbacninh: OrgUnit
    vuninh: OrgUnit

    def refresh(self) -> Tree:
        """Re-read every node: tree writes leave earlier instances with stale lft/rght."""
        for name, unit in vars(self).items():
            setattr(self, name, OrgUnit.objects.get(pk=unit.pk))
        return self


@pytest.fixture
def tree(db) -> Tree:
    """Central → Hà Nội → (Đống Đa → Văn Miếu, Láng Thượng; Ba Đình → Phúc Xá);
    Central → Bắc Ninh → TP Bắc Ninh → Vũ Ninh."""
    central = unit_create(name="Ủy ban Trung ương MTTQ Việt Nam", kind=UnitKind.CENTRAL, parent=None)
    hanoi = unit_create(name="Thành phố Hà Nội", short_name="Hà Nội", kind=UnitKind.PROVINCE, parent=central, code="01")
    dongda = unit_create(name="Quận Đống Đa", kind=UnitKind.DISTRICT, parent=hanoi, code="006")
    vanmieu = unit_create(name="Phường Văn Miếu Quốc Tử Giám", kind=UnitKind.COMMUNE, parent=dongda, code="00181")
    langthuong = unit_create(name="Phường Láng Thượng", kind=UnitKind.COMMUNE, parent=dongda, code="00187")
    badinh = unit_create(name="Quận Ba Đình", kind=UnitKind.DISTRICT, parent=hanoi, code="001")
    phucxa = unit_create(name="Phường Phúc Xá", kind=UnitKind.COMMUNE, parent=badinh, code="00001")
    bacninh = unit_create(name="Tỉnh Bắc Ninh", short_name="Bắc Ninh", kind=UnitKind.PROVINCE, parent=central, code="27")
    tpbacninh = unit_create(name="Thành phố Bắc Ninh", kind=UnitKind.DISTRICT, parent=bacninh, code="256")
    vuninh = unit_create(name="Phường Vũ Ninh", kind=UnitKind.COMMUNE, parent=tpbacninh, code="09163")
    return Tree(central, hanoi, dongda, vanmieu, langthuong, badinh, phucxa, bacninh, tpbacninh, vuninh).refresh()
