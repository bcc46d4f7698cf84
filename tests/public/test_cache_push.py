"""A warm page costs no Redis round trip: each web process holds the publication generations,
kept current by what every bump publishes (``pages.cache.PUSHED``). A bump on one process
reaches every other one as fast as the message; while a process's subscription is broken,
stalled or being made again, it reads the generations from Redis per request instead, so a
takedown is never missed; with Redis down, pages still answer.

Two web processes are two cache clients, page memories and copies of the generations sharing one
redis-server of the test's own (``CLIENT KILL TYPE pubsub`` must not reach anyone else's)."""

from __future__ import annotations

import contextlib
import threading
import time

import pytest
import redis as redis_py

from moderation.services import post_take_down
from pages import cache as public_cache
from tests.public.processes import *  # noqa: F403 - the web processes and their redis-server

pytestmark = pytest.mark.django_db

HEALTH = 0.3  # seconds a silent subscription is still trusted, in these tests


@pytest.fixture(autouse=True)
def _short_health(settings):
    settings.VIETFRONT_PUBLIC_PUSH_HEALTH_SECONDS = HEALTH


@pytest.fixture
def approver(django_user_model):
    return django_user_model.objects.create_superuser(username="duyet", password="x", email="d@example.org")


def take_down(process, post, approver) -> None:
    with process.active():
        post_take_down(post=post, by=approver, reason="Yêu cầu của cơ quan có thẩm quyền")


_counters: dict[str, redis_py.Redis] = {}


def redis_commands(redis) -> int:
    """Commands the server has run, but for the subscribers' pings and these counts."""
    counter = _counters.get(redis.url) or _counters.setdefault(redis.url, redis_py.Redis.from_url(redis.url))
    stats = counter.info("commandstats")
    return sum(v["calls"] for k, v in stats.items() if k not in {"cmdstat_ping", "cmdstat_info"})


def redis_client(redis) -> redis_py.Redis:
    return redis_py.Redis.from_url(redis.url)


def eventually(predicate, what: str, timeout: float = 1.0) -> None:
    """Poll for at most ``timeout`` (the time a message takes, with a wide margin)."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout}s")
        time.sleep(0.005)


def subscribed(process, times: int = 1, timeout: float = 1.0) -> None:
    eventually(
        lambda: process.pushed.subscriptions >= times and process.pushed._answered, "subscribed", timeout
    )


def warm(process, client, url: str) -> bytes:
    """Served twice: rendered (and the subscriber started), then from the memories."""
    first = process.get(client, url)
    assert first.status_code == 200
    subscribed(process)
    assert process.get(client, url).status_code == 200  # generations read once more, now kept
    return first.content


def hit_commands(process, client, url: str, redis) -> tuple[int, bytes]:
    before = redis_commands(redis)
    response = process.get(client, url)
    assert response.status_code == 200
    return redis_commands(redis) - before, response.content


def test_a_warm_page_makes_no_redis_round_trip(client, shared_redis, posts, tree, processes, settings):
    (a,) = processes(1)
    url = tree.vanmieu.get_absolute_url()
    warm(a, client, url)
    for _ in range(3):
        assert hit_commands(a, client, url, shared_redis)[0] == 0

    settings.VIETFRONT_PUBLIC_PUSH_HEALTH_SECONDS = 0  # switched off: one MGET a hit, as before
    assert hit_commands(a, client, url, shared_redis)[0] == 1


def test_a_bump_on_one_process_makes_the_next_request_on_another_miss(
    client, shared_redis, posts, tree, processes, approver
):
    a, b = processes(2)
    url, post = tree.hanoi.get_absolute_url(), posts["dongda"]
    for process in (a, b):
        assert post.slug.encode() in warm(process, client, url)
    assert hit_commands(b, client, url, shared_redis)[0] == 0

    take_down(a, post, approver)
    # a's own copy knows at once; b's as soon as the message arrives.
    assert post.slug.encode() not in a.get(client, url).content
    eventually(lambda: post.slug.encode() not in b.get(client, url).content, "b sees the takedown")
    assert b.get(client, url).status_code == 200
    assert hit_commands(b, client, url, shared_redis)[0] == 0  # and serves it warm again


@contextlib.contextmanager
def subscriber_held(process):
    """The process's subscriber thread stops pinging, then reading (as if starved of the CPU),
    until the end; the last answer to its pings has been read when this starts."""
    gate, held = threading.Event(), threading.Event()
    subscription = process.pushed.subscription
    wait = subscription.wait

    def held_wait(timeout: float) -> bool:
        held.set()
        gate.wait()
        return wait(timeout)

    subscription.ping = lambda: None
    time.sleep(0.02)  # a ping sent just before is answered
    subscription.wait = held_wait
    try:
        eventually(held.is_set, "the subscriber held")
        assert not subscription.pending()
        yield
    finally:
        for name in ("ping", "wait", "pending"):  # the class's own again
            subscription.__dict__.pop(name, None)
        gate.set()


def test_a_message_not_yet_applied_is_not_trusted_past(
    client, shared_redis, posts, tree, processes, approver, settings
):
    """The takedown's message has reached the process but its subscriber has not read it: the
    request sees bytes waiting on the subscription and reads the generations from Redis."""
    settings.VIETFRONT_PUBLIC_PUSH_HEALTH_SECONDS = 2  # what is asserted is not the window
    a, b = processes(2)
    url, post = tree.hanoi.get_absolute_url(), posts["hanoi"]
    for process in (a, b):
        warm(process, client, url)
    key = public_cache.GEN_PREFIX + tree.hanoi.path
    kept = b.pushed._values[key]
    with subscriber_held(b):
        assert hit_commands(b, client, url, shared_redis)[0] == 0
        applied = b.pushed._changes
        take_down(a, post, approver)
        commands, content = hit_commands(b, client, url, shared_redis)  # no wait at all
        assert commands >= 1 and post.slug.encode() not in content
        assert b.pushed._changes == applied  # the message was not applied: b asked Redis
    eventually(lambda: b.pushed._changes > applied, "the message applied")
    assert b.pushed._values[key] != kept
    eventually(lambda: hit_commands(b, client, url, shared_redis)[0] == 0, "b trusts its copy again")
    assert post.slug.encode() not in b.get(client, url).content


def test_a_silent_subscription_is_trusted_only_for_the_health_window(
    client, shared_redis, posts, tree, processes, settings
):
    """Nothing arrives (no answer to the pings either: a stalled server or network): after the
    window the process reads the generations from Redis per request."""
    settings.VIETFRONT_PUBLIC_PUSH_HEALTH_SECONDS = health = 1
    (b,) = processes(1)
    url = tree.hanoi.get_absolute_url()
    warm(b, client, url)
    with subscriber_held(b):
        assert hit_commands(b, client, url, shared_redis)[0] == 0
        time.sleep(health)
        assert hit_commands(b, client, url, shared_redis)[0] == 1
    eventually(lambda: hit_commands(b, client, url, shared_redis)[0] == 0, "b trusts its copy again")


def test_a_bump_made_while_the_subscription_is_broken_is_honoured(
    client, shared_redis, posts, tree, processes, approver
):
    a, b = processes(2)
    url, post = tree.hanoi.get_absolute_url(), posts["dongda"]
    for process in (a, b):
        warm(process, client, url)
    # b cannot subscribe again until the test says so: the takedown lands while it has no
    # subscription, so its message never reaches b.
    gate = threading.Event()
    subscribe = b.cache.push_subscription

    def held_subscribe():
        gate.wait()
        return subscribe()

    b.cache.push_subscription = held_subscribe
    try:
        redis_client(shared_redis).client_kill_filter(_type="pubsub")
        eventually(lambda: not b.pushed._answered, "b noticed the broken subscription")
        commands, content = hit_commands(b, client, url, shared_redis)
        assert commands >= 1 and post.slug.encode() in content  # falls back to reading Redis

        take_down(a, post, approver)
        commands, content = hit_commands(b, client, url, shared_redis)
        assert commands >= 1 and post.slug.encode() not in content
    finally:
        gate.set()
    subscribed(b, times=2)
    eventually(lambda: hit_commands(b, client, url, shared_redis)[0] == 0, "b trusts its copy again")
    assert post.slug.encode() not in b.get(client, url).content  # re-read, not the lost copy


def test_a_value_read_before_a_message_is_not_kept_after_it(client, shared_redis, posts, tree, processes):
    """A request reads the generations, a bump's message is applied, then the request would
    store what it read: the older value must not replace the newer one."""
    a, b = processes(2)
    url = tree.hanoi.get_absolute_url()
    for process in (a, b):
        warm(process, client, url)
    key = public_cache.GEN_PREFIX + tree.hanoi.path
    with b.active():
        _, mark = b.pushed.lookup(b.cache, [public_cache.TREE_KEY, key])
        read_before = b.cache.get(key)
    with a.active():
        public_cache.bump_publication(tree.hanoi.path)
    eventually(lambda: b.pushed._values.get(key) != read_before, "the message applied")
    newer = b.pushed._values[key]
    b.pushed.fill({key: read_before}, mark)
    assert b.pushed._values[key] == newer


def test_a_bump_that_fails_makes_the_process_read_the_generations_again(
    client, shared_redis, posts, tree, processes, approver, settings
):
    """Redis stopped: the subscription breaks, pages answer 200 from the database, and what is
    taken down meanwhile does not show; back up, the lost bump invalidates every page."""
    settings.CACHES["default"]["OPTIONS"]["RETRY_SECONDS"] = 0.1
    a, b = processes(2)
    url, post = tree.hanoi.get_absolute_url(), posts["dongda"]
    for process in (a, b):
        warm(process, client, url)
    shared_redis.stop()
    eventually(lambda: not b.pushed._answered, "b noticed Redis gone")
    take_down(a, post, approver)
    assert a.lost_bump
    for process in (a, b):
        response = process.get(client, url)
        assert response.status_code == 200 and post.slug.encode() not in response.content

    shared_redis.start()
    time.sleep(0.1)  # the caches' pause after a failure
    subscribed(b, times=2, timeout=4)
    for process in (a, b):
        for _ in range(2):
            response = process.get(client, url)
            assert response.status_code == 200 and post.slug.encode() not in response.content
    assert not a.lost_bump


def test_clearing_the_cache_empties_every_copy(client, shared_redis, posts, tree, processes):
    a, b = processes(2)
    url = tree.hanoi.get_absolute_url()
    for process in (a, b):
        warm(process, client, url)
    assert a.pushed._values and b.pushed._values
    a.cache.clear()
    eventually(lambda: not b.pushed._values, "b's copy emptied")


def test_a_process_does_not_wait_for_the_message_of_its_own_bump_or_clear(
    client, shared_redis, posts, tree, processes, approver
):
    (a,) = processes(1)
    url, post = tree.hanoi.get_absolute_url(), posts["hanoi"]
    warm(a, client, url)
    keys = [public_cache.TREE_KEY, public_cache.GEN_PREFIX + tree.hanoi.path]
    with subscriber_held(a):
        a.pushed.subscription.pending = lambda: False  # as if its messages were still on the way
        assert hit_commands(a, client, url, shared_redis)[0] == 0
        take_down(a, post, approver)
        commands, content = hit_commands(a, client, url, shared_redis)
        assert post.slug.encode() not in content and commands >= 1  # a miss: the page rendered
        assert a.pushed.lookup(a.cache, keys)[0] is not None
        a.cache.clear()
        assert a.pushed.lookup(a.cache, keys)[0] is None


def test_without_redis_nothing_is_subscribed(client, posts, tree, monkeypatch, settings):
    """The local-memory cache of development and tests: no thread, no push, one process."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    pushed = public_cache.PushedGenerations()
    monkeypatch.setattr(public_cache, "PUSHED", pushed)
    for _ in range(2):
        assert client.get(tree.hanoi.get_absolute_url()).status_code == 200
    assert pushed._thread is None and pushed._values == {}
