"""The database half of a backup, per vendor: a consistent dump with its figures taken from the
same snapshot, and a restore that either completes or leaves the target as it was.

- PostgreSQL: ``pg_dump --format=custom`` reads a snapshot exported by a REPEATABLE READ
  transaction that computes the figures at the same time; ``pg_restore --single-transaction``.
- SQLite: the backup API copies a consistent image (WAL included); figures are computed on that
  copy; restore writes a copy next to the target and renames it into place.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
from contextlib import closing
from pathlib import Path

from django.db import connections, transaction

from .figures import DatabaseFigures, database_figures, postgres_tables, sqlite_tables

POSTGRESQL, SQLITE = "postgresql", "sqlite"
DUMP_NAMES = {POSTGRESQL: "database/postgresql.dump", SQLITE: "database/sqlite3.db"}


class BackupError(Exception):
    """A backup or restore that cannot go on; the message says why."""


def vendor(using: str = "default") -> str:
    kind = connections[using].vendor
    if kind not in DUMP_NAMES:
        raise BackupError(f"backups support PostgreSQL and SQLite, not {kind}")
    return kind


def _pg_command(program: str, using: str) -> tuple[list[str], dict[str, str]]:
    settings = connections[using].settings_dict
    args = [program, "--dbname", settings["NAME"]]
    for flag, key in (("--host", "HOST"), ("--port", "PORT"), ("--username", "USER")):
        if settings.get(key):
            args += [flag, str(settings[key])]
    env = {**os.environ}
    if settings.get("PASSWORD"):
        env["PGPASSWORD"] = settings["PASSWORD"]
    if sslmode := settings.get("OPTIONS", {}).get("sslmode"):
        env["PGSSLMODE"] = sslmode
    return args, env


def _run(args: list[str], env: dict[str, str]) -> None:
    done = subprocess.run(args, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        raise BackupError(f"{args[0]} failed ({done.returncode}): {done.stderr.strip()[-2000:]}")


def _sqlite_file_figures(path: Path) -> DatabaseFigures:
    with closing(sqlite3.connect(path)) as db:
        return database_figures(sqlite_tables(db.cursor()), db.cursor)


def dump(*, target: Path, using: str = "default") -> DatabaseFigures:
    """Write the database to ``target``; return the figures of exactly what was written.

    Must not run inside a transaction: on PostgreSQL it opens its own snapshot."""
    connection = connections[using]
    if vendor(using) == SQLITE:
        connection.ensure_connection()
        with closing(sqlite3.connect(target)) as copy:
            connection.connection.backup(copy)
        return _sqlite_file_figures(target)
    if connection.in_atomic_block:
        raise BackupError("run the backup outside a transaction: it takes its own snapshot")
    with transaction.atomic(using=using), connection.cursor() as cursor:
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        cursor.execute("SELECT pg_export_snapshot()")
        snapshot = cursor.fetchone()[0]
        args, env = _pg_command("pg_dump", using)
        _run([*args, "--format=custom", f"--snapshot={snapshot}", "--file", str(target)], env)
        return database_figures(postgres_tables(cursor), connection.chunked_cursor)


def figures(*, using: str = "default", scratch: Path) -> DatabaseFigures:
    """The figures of the database as it is now (``scratch``: a folder for SQLite's copy)."""
    connection = connections[using]
    if vendor(using) == SQLITE:
        return dump(target=scratch / "figures.sqlite3", using=using)
    outer = connection.in_atomic_block
    with transaction.atomic(using=using), connection.cursor() as cursor:
        if not outer:  # one snapshot for every table, unless the caller's transaction is it
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        return database_figures(postgres_tables(cursor), connection.chunked_cursor)


def is_empty(using: str = "default") -> bool:
    return not connections[using].introspection.table_names()


def load(*, source: Path, using: str = "default") -> None:
    """Restore ``source`` (a file ``dump`` wrote) into the empty target database."""
    connection = connections[using]
    if vendor(using) == POSTGRESQL:
        connection.close()
        args, env = _pg_command("pg_restore", using)
        _run([*args, "--single-transaction", "--exit-on-error", "--no-owner", "--no-acl", str(source)], env)
        return
    if connection.is_in_memory_db():
        raise BackupError("restore needs a SQLite database file (SQLITE_PATH), not an in-memory database")
    connection.close()
    path = Path(connection.settings_dict["NAME"])
    partial = path.with_name(path.name + ".restoring")
    partial.unlink(missing_ok=True)
    with closing(sqlite3.connect(source)) as src, closing(sqlite3.connect(partial)) as dst:
        src.backup(dst)
    for leftover in (path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        leftover.unlink(missing_ok=True)
    os.replace(partial, path)
