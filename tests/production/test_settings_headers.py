"""Production settings and headers: ``check --deploy`` clean with the production environment
(deploy/production.env, which compose and the smoke test read), a Content-Security-Policy on
every page, admin included, with nonces for the admin's inline styles."""

from __future__ import annotations

import hashlib
import os
import re
import secrets
import subprocess
import sys
from base64 import b64encode

import pytest
from django.test import Client

from tests.moderation.workflow_fixtures import *  # noqa: F403
from tests.moderation.workflow_fixtures import make_post

from .support import ROOT


def production_env(**extra: str) -> dict[str, str]:
    values = {}
    for line in (ROOT / "deploy" / "production.env").read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, _, value = line.partition("=")
            values[name.strip()] = value.strip()
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL"}}
    env.update(values, SECRET_KEY=secrets.token_urlsafe(50), ALLOWED_HOSTS="mattran.example.vn",
               STATIC_ROOT=str(ROOT / "staticfiles"), MEDIA_ROOT=str(ROOT / "media"), **extra)
    return env


def check_deploy(env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


def test_check_deploy_is_clean_with_the_production_environment():
    result = check_deploy(production_env())
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_is_clean_with_debug_off_and_nothing_else_set():
    """The defaults of DEBUG=0 are production's: HTTPS redirect, secure cookies, HSTS."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("VIETFRONT_") and k not in {
        "DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE"}}
    env.update(DEBUG="0", SECRET_KEY=secrets.token_urlsafe(50), ALLOWED_HOSTS="mattran.example.vn")
    result = check_deploy(env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_fails_without_hsts_and_ssl_redirect():
    result = check_deploy(production_env(VIETFRONT_HSTS_SECONDS="0", VIETFRONT_SECURE_SSL_REDIRECT="0"))
    assert result.returncode == 1
    assert "security.W004" in result.stderr and "security.W008" in result.stderr


@pytest.fixture
def secure_settings(settings):
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    return settings


def test_plain_http_is_redirected_and_https_carries_hsts(client, secure_settings, tree):
    plain = client.get("/ha-noi/")
    assert plain.status_code == 301
    assert plain["Location"] == "https://testserver/ha-noi/"
    assert client.get("/healthz").status_code == 200  # probes speak plain HTTP
    secure = client.get("/ha-noi/", HTTP_X_FORWARDED_PROTO="https")
    assert secure["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"


def policy(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in header.split(";") if part.strip()}


def test_public_pages_carry_a_policy_without_a_nonce(client, tree):
    # Cached pages are shared by every reader: a nonce in them would be the same for all.
    response = client.get("/")
    assert response.status_code == 200
    directives = policy(response)
    assert directives["default-src"] == ["'self'"]
    assert directives["object-src"] == ["'none'"] and directives["frame-ancestors"] == ["'none'"]
    assert not any(source.startswith("'nonce-") for source in directives["script-src"])
    assert "'unsafe-inline'" not in response["Content-Security-Policy"]


def test_admin_pages_carry_the_policy_and_nonce_their_inline_styles(client, tree, people):
    login = client.get("/quan-tri/login/")
    assert login.status_code == 200 and "default-src 'self'" in login["Content-Security-Policy"]

    post = make_post(tree.dongda, people.editor)
    client.force_login(people.editor)
    response = client.get(f"/quan-tri/pages/post/{post.pk}/change/")
    assert response.status_code == 200
    nonce = re.search(r"'nonce-([^']+)'", response["Content-Security-Policy"]).group(1)
    html = response.content.decode()
    styles = re.findall(r"<style([^>]*)>", html)
    assert styles and all(f'nonce="{nonce}"' in attrs for attrs in styles)
    # Trix injects its own <style> and reads the nonce from this tag.
    assert f'<meta name="csp-nonce" content="{nonce}">' in html
    assert not re.search(r"<script(?![^>]*\bsrc=)(?![^>]*application/(ld\+)?json)[^>]*>", html)
    # A fresh nonce for every response.
    again = client.get(f"/quan-tri/pages/post/{post.pk}/change/")
    assert nonce not in again["Content-Security-Policy"]


def test_the_policy_allows_the_500_pages_own_style(tree):
    """The 500 page is rendered without a request (no nonce) and without static files."""
    text = (ROOT / "templates" / "500.html").read_text(encoding="utf-8")
    style = re.search(r"<style>(.*?)</style>", text, re.S).group(1)
    digest = "'sha256-" + b64encode(hashlib.sha256(style.encode()).digest()).decode() + "'"
    response = Client(raise_request_exception=False).get("/quan-tri/login/", HTTP_HOST="[bad")
    assert response.status_code == 400  # the header is there on error pages too
    assert digest in response["Content-Security-Policy"]
