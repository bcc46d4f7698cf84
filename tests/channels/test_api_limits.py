"""The API's rate limit per client, with the cache up and down, and its OpenAPI schema."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from drf_spectacular.validation import validate_schema

pytestmark = pytest.mark.django_db


@pytest.fixture
def limited(settings):
    settings.VIETFRONT_API_RATE = "3/min"
    cache.clear()


def test_a_client_over_its_rate_gets_429_with_retry_after(client, tree, limited):
    for _ in range(3):
        assert client.get("/api/v1/units/").status_code == 200
    refused = client.get("/api/v1/units/")
    assert refused.status_code == 429
    assert 0 < int(refused["Retry-After"]) <= 60
    assert refused.json()["error"]["status"] == 429
    assert refused.json()["error"]["message"].startswith("Request was throttled.")
    assert refused["Access-Control-Allow-Origin"] == "*" and "Retry-After" in refused["Access-Control-Expose-Headers"]
    # Cached answers count too; another client has its own allowance.
    assert client.get(f"/api/v1/units/{tree.dongda.pk}/").status_code == 429
    assert client.get("/api/v1/units/", REMOTE_ADDR="203.0.113.9").status_code == 200


def test_a_forwarded_address_is_believed_only_behind_the_configured_proxies(client, settings, limited):
    for i in range(3):
        client.get("/api/v1/units/", HTTP_X_FORWARDED_FOR=f"198.51.100.{i}")
    # No proxy configured: a client cannot escape its limit by inventing X-Forwarded-For.
    assert client.get("/api/v1/units/", HTTP_X_FORWARDED_FOR="198.51.100.99").status_code == 429
    settings.VIETFRONT_PROXY_COUNT = 1
    assert client.get("/api/v1/units/", HTTP_X_FORWARDED_FOR="198.51.100.99").status_code == 200


def test_the_limit_can_be_switched_off(client, settings):
    settings.VIETFRONT_API_RATE = ""
    assert all(client.get("/api/v1/topics/").status_code == 200 for _ in range(5))


def test_an_unreachable_cache_lets_requests_through_instead_of_500(client, tree, settings, limited):
    settings.CACHES = {"default": {
        "BACKEND": "vietfront.cache_backends.TolerantRedisCache",
        "LOCATION": "redis://127.0.0.1:9/0",  # nothing listens on the discard port
        "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
    }}
    for _ in range(5):
        response = client.get(f"/api/v1/units/{tree.dongda.pk}/posts/")
        assert response.status_code == 200


def test_the_schema_is_served_and_valid(client):
    response = client.get("/api/v1/schema/")
    assert response.status_code == 200 and response["Content-Type"].startswith("application/vnd.oai.openapi+json")
    schema = response.json()
    validate_schema(schema)  # against the OpenAPI 3.0 JSON schema drf-spectacular ships
    assert set(schema["paths"]) == {
        "/api/v1/units/", "/api/v1/units/{unit_id}/", "/api/v1/units/{unit_id}/posts/",
        "/api/v1/units/{unit_id}/subtree-posts/", "/api/v1/topics/", "/api/v1/topics/{slug}/posts/",
        "/api/v1/search/", "/api/v1/posts/{post_id}/",
    }
    assert all(set(ops) == {"get"} for ops in schema["paths"].values())
    assert all("429" in ops["get"]["responses"] for ops in schema["paths"].values())
