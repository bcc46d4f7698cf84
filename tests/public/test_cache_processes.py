"""Warm pages come from a per-process copy in front of Redis (``pages.cache.LOCAL_PAGES``); a
takedown on one web process still reaches every other one at once, because the copy is keyed by
the publication generations, which every process holds current (``pages.cache.PUSHED``, see
test_cache_push.py) or reads from Redis.

Two web processes are two cache clients, two page memories and two copies of the generations
sharing one redis-server."""

from __future__ import annotations

import pytest

from moderation.services import post_take_down
from pages import cache as public_cache
from tests.public.processes import *  # noqa: F403 - the fixtures: processes, shared_redis
from tests.public.processes import WebProcess

pytestmark = pytest.mark.django_db


def test_a_warm_page_is_served_from_the_process_memory(client, shared_redis, posts, tree, processes):
    (a,) = processes(1)
    url = tree.vanmieu.get_absolute_url()
    first = a.get(client, url)
    assert first.status_code == 200 and len(a.local._data) == 1
    # The shared copy is gone (evicted): this process still has the page, for the same key.
    for key in shared_redis_page_keys(a):
        a.cache._cache.get_client(key, write=True).delete(key)
    again = a.get(client, url)
    assert again.status_code == 200 and again["ETag"] == first["ETag"]
    assert again.content == first.content


def shared_redis_page_keys(process: WebProcess) -> list[str]:
    client = process.cache._cache.get_client(None)
    return [k.decode() for k in client.keys("*" + public_cache.PAGE_PREFIX + "*")]


def test_a_takedown_on_one_process_reaches_every_process_at_once(
    client, shared_redis, posts, tree, processes, django_user_model
):
    a, b = processes(2)
    post = posts["vanmieu"]
    urls = ["/", tree.hanoi.get_absolute_url(), tree.vanmieu.get_absolute_url(), post.get_absolute_url()]
    for process in (a, b):
        for url in urls:
            for _ in range(2):  # the second from the process's own memory
                response = process.get(client, url)
                assert response.status_code == 200 and post.slug in response.content.decode(), url
    assert len(a.local._data) == len(b.local._data) == len(urls)

    approver = django_user_model.objects.create_superuser(username="duyet", password="x", email="d@example.org")
    with b.active():
        post_take_down(post=post, by=approver, reason="Yêu cầu của cơ quan có thẩm quyền")

    for process in (a, b):
        for url in urls[:-1]:
            response = process.get(client, url)
            assert response.status_code == 200
            assert post.slug not in response.content.decode(), url
        assert process.get(client, post.get_absolute_url()).status_code == 404


def test_pages_rendered_while_redis_is_unreachable_are_not_kept(client, shared_redis, posts, tree, processes):
    """Nothing could invalidate them: generations cannot be read, so no bump would reach them."""
    (a,) = processes(1)
    shared_redis.stop()
    for _ in range(2):
        assert a.get(client, tree.vanmieu.get_absolute_url()).status_code == 200
    assert a.local._data == {}


def test_the_process_memory_is_bounded_by_bytes_and_by_the_cache_timeout(settings, monkeypatch):
    settings.VIETFRONT_PUBLIC_LOCAL_CACHE_BYTES = 10_000
    memory = public_cache.LocalPages()
    page = (b"x" * 1_500, "text/html", '"e"', 0)  # ~1,750 bytes with its overhead: 5 fit
    for n in range(5):
        memory.put(f"k{n}", page, timeout=60)
    memory.get("k0")  # recently used: kept
    memory.put("k5", page, timeout=60)
    assert memory.get("k0") is not None and memory.get("k5") is not None
    assert memory.get("k1") is None  # the least recently used made room
    assert all(memory.get(f"k{n}") is not None for n in (2, 3, 4))
    assert memory._bytes <= 10_000
    memory.put("huge", (b"x" * 3_000, "text/html", '"e"', 0), timeout=60)  # over a quarter of it
    assert memory.get("huge") is None

    now = [1000.0]
    monkeypatch.setattr(public_cache.time, "monotonic", lambda: now[0])
    memory.put("short", page, timeout=5)
    now[0] += 4
    assert memory.get("short") is not None
    now[0] += 2
    assert memory.get("short") is None
    memory.put("none", page, timeout=0)  # the shared cache would not keep it either
    assert memory.get("none") is None
