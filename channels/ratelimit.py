"""A rate limit per channel, shared by every worker through the cache (Redis in production).

A fixed one-minute window per connection: simple, and the platforms' own limits are far above
what a unit publishes. With the cache down every call is a miss, so sends go unthrottled
rather than stop (the platforms' 429 answers still slow us down).
"""

from __future__ import annotations

import time

from django.core.cache import cache

from .conf import setting

WINDOW = 60


def per_minute() -> int:
    return int(setting("VIETFRONT_CHANNEL_POSTS_PER_MINUTE", 6))


def acquire(connection_id: int, *, now: float | None = None) -> float:
    """0 when this channel may send now (and counts the send), else seconds until it may."""
    now = time.time() if now is None else now
    window = int(now // WINDOW)
    key = f"channels:rate:{connection_id}:{window}"
    cache.add(key, 0, timeout=WINDOW + 10)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr, or no cache
        cache.set(key, 1, timeout=WINDOW + 10)
        count = 1
    if count > per_minute():
        return WINDOW - (now % WINDOW) + 1
    return 0.0
