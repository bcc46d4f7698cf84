"""A Redis cache that an outage of Redis cannot turn into a 500.

The cache only ever holds what can be recomputed (rendered pages, publication generations, the
topic menu), so while Redis is unreachable every call answers as a miss: reads return the
default, writes report failure, and the site renders everything from the database. One warning
is logged when Redis becomes unreachable and one line when it answers again; in between, calls
do not even dial Redis until ``RETRY_SECONDS`` have passed, so a dead host costs each request
nothing rather than a connection timeout per cache call.

Keys whose every change other processes must learn at once (the publication generations) are
written with ``set_many_and_push``: the values are set and published on the cache's push channel
in one ``MULTI``/``EXEC``, so no write lands without its message, and messages arrive in the
order the writes happened. ``clear()`` publishes that everything changed. A process follows the
channel through ``push_subscription()`` (pages/cache.py keeps the generations it reads that way).
"""

from __future__ import annotations

import json
import logging
import select
import threading
import time
from collections.abc import Callable
from functools import cached_property
from typing import Any

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from redis.retry import Retry

logger = logging.getLogger("vietfront.cache")

# What an unreachable server raises; anything else (a bug, a bad value) still propagates.
UNREACHABLE = (RedisConnectionError, RedisTimeoutError, OSError)

# What ``clear()`` publishes: every pushed key changed.
EVERYTHING = "*"

# Successful ``clear()`` calls in this process: its own subscriber learns of them only when the
# message comes back, and the next request of the same thread must not wait for that.
CLEARS = 0


class ReusingRedisCacheClient(RedisCacheClient):
    """Django's client builds a new ``redis.Redis`` around the pool on every call (~0.15 ms,
    more than the round trip to a local server); this one keeps one per pool. ``redis.Redis``
    is thread-safe, and its pool notices a fork and reconnects."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, Any] = {}

    def get_client(self, key=None, *, write=False):  # noqa: ANN001, ANN201 - Django's signature
        index = self._get_connection_pool_index(write)
        client = self._clients.get(index)
        if client is None:
            client = self._clients[index] = self._client(connection_pool=self._get_connection_pool(write))
        return client


class PushSubscription:
    """One connection subscribed to a cache's push channel, without redis-py's silent reconnect
    (which re-subscribes and hides the messages lost meanwhile): any failure raises one of
    ``UNREACHABLE``, and the subscriber must then assume it missed something.

    One thread reads (``wait``, then ``drain``); any thread may ask ``pending()``: whether
    something has arrived that the reader has not taken yet. ``drain`` yields
    ``("changed", {key: value})``, ``("everything", None)`` after a ``clear()``, and
    ``("answer", None)`` for a ``ping()``'s reply.
    """

    def __init__(self, pool: Any, channel: str) -> None:
        self._pool = pool
        self._conn = pool.make_connection()
        try:
            self._conn.connect()
            self._conn.send_command("SUBSCRIBE", channel)
            reply = self._conn.read_response()
            if not (isinstance(reply, list) and reply[0] == b"subscribe"):
                raise RedisConnectionError(f"unexpected answer to SUBSCRIBE: {reply!r}")
        except BaseException:
            self.close()
            raise

    def ping(self) -> None:
        self._conn.send_command("PING")

    def pending(self) -> bool:
        """Bytes wait in the socket (a message, an answer, or the server closing it). Looks
        without reading: a closed or failing socket counts as pending."""
        sock = self._conn._sock
        try:
            return sock is None or bool(select.select([sock], [], [], 0)[0])
        except (OSError, ValueError):
            return True

    def wait(self, timeout: float) -> bool:
        """Whether something arrived within ``timeout`` seconds (nothing is read)."""
        sock = self._conn._sock
        if sock is None:
            raise RedisConnectionError("subscription closed")
        return bool(select.select([sock], [], [], timeout)[0])

    def drain(self):  # noqa: ANN201 - a generator of (kind, data)
        """Every message that has arrived, parsed; raises if the server closed the connection."""
        while self._conn.can_read(timeout=0):
            reply = self._conn.read_response()
            kind = reply[0] if isinstance(reply, list) else reply
            if kind == b"message":
                data = reply[2].decode()
                yield ("everything", None) if data == EVERYTHING else ("changed", json.loads(data))
            elif kind in (b"pong", b"PONG"):
                yield "answer", None

    def close(self) -> None:
        self._conn.disconnect()
        self._pool.disconnect()


class TolerantRedisCache(RedisCache):
    """``RedisCache`` that degrades to "always a miss" while the server is unreachable.

    ``OPTIONS["RETRY_SECONDS"]`` (default 5) is how long calls skip Redis after a failure;
    every other option goes to redis-py's connection pool as usual.
    """

    def __init__(self, server: str, params: dict[str, Any]) -> None:
        params = {**params, "OPTIONS": dict(params.get("OPTIONS") or {})}
        self._retry_seconds = float(params["OPTIONS"].pop("RETRY_SECONDS", 5))
        super().__init__(server, params)
        self._class = ReusingRedisCacheClient
        self._down_until = 0.0
        self._down = False
        self._lock = threading.Lock()

    def validate_key(self, key):  # noqa: ANN001, ANN201 - Django's signature
        # Django's check warns about keys memcached would refuse; Redis takes any key, and the
        # check walks every character of every key on every page hit.
        return None

    def _call(self, fallback: Any, method: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        if self._down and time.monotonic() < self._down_until:
            return fallback
        try:
            result = method(*args, **kwargs)
        except UNREACHABLE as exc:
            with self._lock:
                self._down_until = time.monotonic() + self._retry_seconds
                if not self._down:
                    self._down = True
                    logger.warning("Cache server unreachable (%s): serving uncached until it answers", exc)
            return fallback
        if self._down:
            with self._lock:
                if self._down:
                    self._down = False
                    logger.info("Cache server answers again")
        return result

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):  # noqa: ANN001, ANN201 - Django's signature
        return self._call(False, super().add, key, value, timeout, version=version)

    def get(self, key, default=None, version=None):  # noqa: ANN001, ANN201
        return self._call(default, super().get, key, default, version=version)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):  # noqa: ANN001, ANN201
        return self._call(None, super().set, key, value, timeout, version=version)

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):  # noqa: ANN001, ANN201
        return self._call(False, super().touch, key, timeout, version=version)

    def delete(self, key, version=None):  # noqa: ANN001, ANN201
        return self._call(False, super().delete, key, version=version)

    def get_many(self, keys, version=None):  # noqa: ANN001, ANN201
        return self._call({}, super().get_many, keys, version=version)

    def has_key(self, key, version=None):  # noqa: ANN001, ANN201
        return self._call(False, super().has_key, key, version=version)

    def incr(self, key, delta=1, version=None):  # noqa: ANN001, ANN201
        # No sensible value to invent for a counter: the caller sees the same error as for a
        # missing key.
        result = self._call(None, super().incr, key, delta, version=version)
        if result is None:
            raise ValueError(f"Key '{key}' not found (cache unreachable)")
        return result

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):  # noqa: ANN001, ANN201
        # Django's contract: the keys that failed to be stored.
        return self._call(list(data), super().set_many, data, timeout, version=version)

    def delete_many(self, keys, version=None):  # noqa: ANN001, ANN201
        return self._call(None, super().delete_many, keys, version=version)

    def clear(self):  # noqa: ANN201
        def flush_and_push() -> bool:
            global CLEARS
            pipeline = self._cache.get_client(None, write=True).pipeline()  # MULTI ... EXEC
            pipeline.flushdb()
            pipeline.publish(self.push_channel, EVERYTHING)
            flushed = bool(pipeline.execute()[0])
            CLEARS += 1
            return flushed

        return self._call(False, flush_and_push)

    # Pushed keys (see the module docstring).

    @cached_property
    def push_channel(self) -> str:
        # Channels are server-wide, not per database: the database number keeps two sites (or
        # the tests and a benchmark) on one server apart, as the key prefix does.
        db = self._cache._get_connection_pool(True).connection_kwargs.get("db", 0)
        return f"{self.make_key('#push')}@{db}"

    @cached_property
    def push_source(self) -> tuple[str, str]:
        """What a subscription follows: the server written to and the channel."""
        return (self._servers[0], self.push_channel)

    def set_many_and_push(self, data: dict[str, int], timeout=DEFAULT_TIMEOUT, version=None) -> list[str]:  # noqa: ANN001
        """``set_many`` of JSON-able values, published on the push channel in the same
        transaction; returns the keys that failed (all of them while Redis is unreachable)."""
        if not data:
            return []
        message = json.dumps(data, separators=(",", ":"))
        made = {self.make_key(key, version=version): value for key, value in data.items()}
        timeout = self.get_backend_timeout(timeout)
        serializer = self._cache._serializer

        def set_and_push() -> list[str]:
            pipeline = self._cache.get_client(None, write=True).pipeline()  # MULTI ... EXEC
            pipeline.mset({key: serializer.dumps(value) for key, value in made.items()})
            if timeout is not None:
                for key in made:
                    pipeline.expire(key, timeout)
            pipeline.publish(self.push_channel, message)
            pipeline.execute()
            return []

        return self._call(list(data), set_and_push)

    def push_subscription(self) -> PushSubscription:
        """A new connection subscribed to the push channel (raises one of ``UNREACHABLE``).
        Its own pool, with no retries: a failure must reach the subscriber. RESP2 (redis-py 8
        speaks RESP3 by default), where messages and replies are plain arrays read in order."""
        options = {**self._cache._pool_options, "retry": Retry(NoBackoff(), 0), "protocol": 2}
        pool = self._cache._pool_class.from_url(self._servers[0], **options)
        return PushSubscription(pool, self.push_channel)
