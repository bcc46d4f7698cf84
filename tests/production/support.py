"""Helpers for the production drills: free ports, private Redis servers stopped by pid, the
settings a given environment produces, and real Celery workers."""

from __future__ import annotations

import contextlib
import os
import runpy
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from email import message_from_string
from email.header import decode_header, make_header
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port: int, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return
        time.sleep(0.05)
    raise AssertionError(f"nothing listens on port {port} after {timeout}s")


def needs_redis_server() -> None:
    if not shutil.which("redis-server"):
        pytest.skip("needs redis-server")


class PrivateRedis:
    """A redis-server of this test's own on ``port``; stopped (or paused) by its pid only."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.url = f"redis://127.0.0.1:{port}/0"
        self.process: subprocess.Popen | None = None

    def start(self) -> PrivateRedis:
        self.process = subprocess.Popen(
            ["redis-server", "--bind", "127.0.0.1", "--port", str(self.port), "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_port(self.port)
        return self

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGCONT)  # a paused server cannot act on SIGTERM
            self.process.terminate()
            self.process.wait(timeout=10)
        self.process = None

    def pause(self) -> None:
        """Unreachable but not restarted: connections hang, data survives (a partition)."""
        os.kill(self.process.pid, signal.SIGSTOP)

    def resume(self) -> None:
        os.kill(self.process.pid, signal.SIGCONT)


@contextlib.contextmanager
def private_redis(port: int | None = None) -> Iterator[PrivateRedis]:
    server = PrivateRedis(port or free_port()).start()
    try:
        yield server
    finally:
        server.stop()


def settings_for(monkeypatch, **env: str) -> dict:
    """The settings ``vietfront/settings.py`` produces for this environment (as a process started
    with it would read them), without touching the running settings."""
    for name in ("REDIS_URL", "CELERY_BROKER_URL"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(ROOT / "vietfront" / "settings.py"))


def database_url() -> str:
    db = settings.DATABASES["default"]
    return f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@contextlib.contextmanager
def celery_worker(tmp_path: Path, *, broker_url: str, beat: bool, concurrency: int = 1, **env: str):
    """A real worker (prefork) on the test database; with ``beat``, the publish sweep every second."""
    environ = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "CELERY_BROKER_URL": broker_url,
        "VIETFRONT_PUBLISH_SWEEP_SECONDS": "1",
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": str(tmp_path / "mail"),
    }
    environ.pop("REDIS_URL", None)  # the worker's cache only when the test says so
    environ.update(env)
    command = [sys.executable, "-m", "celery", "-A", "vietfront", "worker", "--concurrency", str(concurrency),
               "--pool", "prefork", "--loglevel", "INFO", "--without-gossip", "--without-mingle"]
    if beat:
        command += ["-B", "--schedule", str(tmp_path / "beat-schedule")]
    log = open(tmp_path / "worker.log", "wb")  # noqa: SIM115 - closed below
    process = subprocess.Popen(command, cwd=ROOT, env=environ, stdout=log, stderr=subprocess.STDOUT)
    try:
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def mails_sent(tmp_path: Path, subject_starts: str = "") -> int:
    """Messages the file-based backend wrote whose decoded subject starts with ``subject_starts``
    (one file per connection, messages separated by a line of 79 dashes)."""
    folder = tmp_path / "mail"
    if not folder.exists():
        return 0
    count = 0
    for file in folder.iterdir():
        for raw in file.read_text(encoding="utf-8").split("\n" + "-" * 79 + "\n"):
            if not raw.strip():
                continue
            subject = str(make_header(decode_header(message_from_string(raw)["Subject"] or "")))
            count += subject.startswith(subject_starts)
    return count


def wait_until(predicate, *, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError(f"{what}: not within {timeout}s")


def children(pid: int) -> list[int]:
    """The child processes of ``pid`` (a Celery worker's pool)."""
    return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


@contextlib.contextmanager
def row_locked(table: str, row_id: int):
    """A row of ``table`` locked from a connection of its own, until the block ends (a probe of
    the other backends needs fresh statistics, which one transaction would freeze)."""
    import psycopg2
    from django.db import connection

    db = connection.settings_dict
    holder = psycopg2.connect(dbname=db["NAME"], user=db["USER"], host=db["HOST"] or "127.0.0.1",
                              port=db["PORT"] or 5432)
    try:
        with holder.cursor() as cursor:
            cursor.execute(f"SELECT id FROM {table} WHERE id = %s FOR UPDATE", [row_id])  # noqa: S608 - a test's table name
            yield
        holder.rollback()
    finally:
        holder.close()


def backend_waiting_on_lock() -> bool:
    """A backend other than ours waits for a lock: the worker is inside the locked step."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
            " AND pid <> pg_backend_pid() AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0] > 0
