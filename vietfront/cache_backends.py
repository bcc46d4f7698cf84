"""A Redis cache that an outage of Redis cannot turn into a 500.

The cache only ever holds what can be recomputed (rendered pages, publication generations, the
topic menu), so while Redis is unreachable every call answers as a miss: reads return the
default, writes report failure, and the site renders everything from the database. One warning
is logged when Redis becomes unreachable and one line when it answers again; in between, calls
do not even dial Redis until ``RETRY_SECONDS`` have passed, so a dead host costs each request
nothing rather than a connection timeout per cache call.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger("vietfront.cache")

# What an unreachable server raises; anything else (a bug, a bad value) still propagates.
UNREACHABLE = (RedisConnectionError, RedisTimeoutError, OSError)


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
        return self._call(False, super().clear)
