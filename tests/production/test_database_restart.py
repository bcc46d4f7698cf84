"""PostgreSQL restarted under traffic: gunicorn's persistent connections were cut by the server;
the first request after it must succeed (CONN_HEALTH_CHECKS), not answer 500 and only then
reconnect. The server side of a restart is done with pg_terminate_backend on the app's own
connections, so the shared PostgreSQL of the machine keeps running for everyone else."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import urllib.error
import urllib.request

import pytest
from django.db import connection

from tests.public.conftest import live

from .support import ROOT, database_url, free_port, wait_port

pytestmark = pytest.mark.django_db(transaction=True)


@contextlib.contextmanager
def gunicorn(tmp_path, **env: str):
    port = free_port()
    environ = {**os.environ, "DATABASE_URL": database_url(), "DEBUG": "0", "SECRET_KEY": "x" * 50,
               "ALLOWED_HOSTS": "127.0.0.1", "VIETFRONT_SECURE_SSL_REDIRECT": "0", "CONN_MAX_AGE": "600",
               "STATIC_ROOT": str(tmp_path / "static"), "VIETFRONT_PUBLIC_CACHE_SECONDS": "0", **env}
    environ.pop("REDIS_URL", None)
    log = open(tmp_path / "gunicorn.log", "wb")  # noqa: SIM115 - closed below
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "vietfront.wsgi:application", "--bind", f"127.0.0.1:{port}",
         "--workers", "1", "--access-logfile", "-"],
        cwd=ROOT, env=environ, stdout=log, stderr=subprocess.STDOUT,
    )
    try:
        wait_port(port, timeout=30)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=20)
        log.close()


def status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=20) as response:  # noqa: S310 - loopback
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def cut_app_connections() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'"
        )
        return cursor.fetchone()[0]


def test_requests_after_a_database_restart_succeed(postgres_only, pages, tmp_path):
    post = live(pages["dongda"], "Tin trước khi khởi động lại cơ sở dữ liệu")
    # The manifest storage of DEBUG=0 needs collected static files.
    subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=ROOT, check=True,
                   env={**os.environ, "DEBUG": "0", "SECRET_KEY": "x" * 50, "STATIC_ROOT": str(tmp_path / "static")})
    with gunicorn(tmp_path) as base:  # CONN_HEALTH_CHECKS as production has it (on)
        assert status(base + post.get_absolute_url()) == 200
        assert status(base + "/ha-noi/quan-dong-da/") == 200
        assert cut_app_connections() >= 1
        assert status(base + post.get_absolute_url()) == 200
        assert status(base + "/ha-noi/quan-dong-da/") == 200
