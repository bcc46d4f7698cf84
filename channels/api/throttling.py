"""The per-client rate limit: DRF's sliding window, its history in the default cache.

The client is its address as the login lockouts see it (``orgunits.middleware.client_ip_address``:
``X-Forwarded-For`` trusted only through ``VIETFRONT_PROXY_COUNT`` proxies), never DRF's own
guess, which believes any ``X-Forwarded-For`` a client sends. With the cache unreachable
(``TolerantRedisCache`` answers as a miss) every request passes: reading must not stop because
Redis did.
"""

from __future__ import annotations

from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle

from orgunits.middleware import client_ip_address


class ClientRateThrottle(SimpleRateThrottle):
    scope = "api"

    def get_rate(self) -> str | None:
        # Read per request (not once at import as DRF does), so the setting can change in tests.
        return getattr(settings, "VIETFRONT_API_RATE", "300/min") or None

    def get_cache_key(self, request, view) -> str:  # noqa: ANN001 - DRF's signature
        ident = client_ip_address(request._request) or "unknown"
        return self.cache_format % {"scope": self.scope, "ident": ident}
