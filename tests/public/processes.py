"""Web processes in one test: each a cache client, a page memory and a copy of the publication
generations of its own (``pages.cache``), sharing one redis-server of the test's own."""

from __future__ import annotations

import contextlib

import pytest
from django.core.cache import caches

from pages import cache as public_cache
from tests.production.support import needs_redis_server, private_redis, settings_for

__all__ = ["WebProcess", "processes", "shared_redis"]


class WebProcess:
    """What one web process holds of its own: its Redis client, its page memory, its copy of the
    generations and whether a bump of its own was lost."""

    def __init__(self, monkeypatch) -> None:
        self.monkeypatch = monkeypatch
        self.cache = caches.create_connection("default")
        self.local = public_cache.LocalPages()
        self.pushed = public_cache.PushedGenerations()
        self.lost_bump = False

    @contextlib.contextmanager
    def active(self):
        with self.monkeypatch.context() as patch:
            patch.setattr(public_cache, "cache", self.cache)
            patch.setattr(public_cache, "LOCAL_PAGES", self.local)
            patch.setattr(public_cache, "PUSHED", self.pushed)
            patch.setattr(public_cache, "_lost_bump", self.lost_bump)  # a process's own flag
            try:
                yield
            finally:
                self.lost_bump = public_cache._lost_bump

    def close(self) -> None:
        self.pushed.close()

    def get(self, client, url: str):
        with self.active():
            return client.get(url)


@pytest.fixture
def shared_redis(settings, monkeypatch):
    needs_redis_server()
    with private_redis() as redis:
        settings.CACHES = settings_for(monkeypatch, REDIS_URL=redis.url)["CACHES"]
        yield redis


@pytest.fixture
def processes(monkeypatch):
    """``processes(n)``: n web processes, their subscribers stopped at the end."""
    made: list[WebProcess] = []

    def make(n: int) -> list[WebProcess]:
        made.extend(WebProcess(monkeypatch) for _ in range(n))
        return made[-n:]

    yield make
    for process in made:
        process.close()
