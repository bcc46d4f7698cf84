"""What a backup must preserve, as numbers: rows and a checksum per table, a checksum per media
file, and one content checksum over both.

The same functions run on the source before the dump and on the target after the restore, with
the same kind of driver, so equal figures mean equal content (not merely equal files).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from django.core.files.storage import Storage

CHUNK = 2000


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _plain(value: object) -> object:
    # psycopg2 hands bytea back as memoryview, whose repr is its address.
    return bytes(value) if isinstance(value, memoryview) else value


@dataclass
class DatabaseFigures:
    tables: dict[str, dict] = field(default_factory=dict)  # name -> {"rows": n, "sha256": hex}

    @property
    def rows(self) -> int:
        return sum(t["rows"] for t in self.tables.values())

    @property
    def checksum(self) -> str:
        digest = hashlib.sha256()
        for name in sorted(self.tables):
            digest.update(f"{name}\t{self.tables[name]['rows']}\t{self.tables[name]['sha256']}\n".encode())
        return digest.hexdigest()


@dataclass
class MediaFigures:
    files: dict[str, dict] = field(default_factory=dict)  # name -> {"bytes": n, "sha256": hex}

    @property
    def bytes(self) -> int:
        return sum(f["bytes"] for f in self.files.values())

    @property
    def checksum(self) -> str:
        digest = hashlib.sha256()
        for name in sorted(self.files):
            digest.update(f"{name}\t{self.files[name]['sha256']}\n".encode())
        return digest.hexdigest()


def content_checksum(database: DatabaseFigures, media: MediaFigures) -> str:
    return hashlib.sha256(f"{database.checksum}\n{media.checksum}\n".encode()).hexdigest()


def postgres_tables(cursor) -> list[tuple[str, list[str]]]:
    """Tables of the current schema with their primary-key columns (empty: order by all)."""
    cursor.execute(
        "SELECT c.oid, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') ORDER BY c.relname"
    )
    tables = cursor.fetchall()
    result = []
    for oid, name in tables:
        cursor.execute(
            "SELECT a.attname FROM pg_index i JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, n) ON true "
            "JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum "
            "WHERE i.indrelid = %s AND i.indisprimary ORDER BY k.n",
            [oid],
        )
        result.append((name, [row[0] for row in cursor.fetchall()]))
    return result


def sqlite_tables(cursor) -> list[tuple[str, list[str]]]:
    cursor.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
    names = [row[0] for row in cursor.fetchall()]
    result = []
    for name in names:
        cursor.execute(f"PRAGMA table_info({_quote(name)})")
        pk = sorted((row[5], row[1]) for row in cursor.fetchall() if row[5])
        result.append((name, [column for _, column in pk]))
    return result


def _rows(open_cursor: Callable[[], object], table: str, pk: list[str]) -> Iterator[tuple]:
    order = ", ".join(_quote(c) for c in pk) if pk else None
    cursor = open_cursor()
    try:
        if order is None:
            cursor.execute(f"SELECT * FROM {_quote(table)} LIMIT 0")  # noqa: S608 - quoted catalogue name
            order = ", ".join(str(i + 1) for i in range(len(cursor.description)))
        cursor.execute(f"SELECT * FROM {_quote(table)} ORDER BY {order}")  # noqa: S608
        while batch := cursor.fetchmany(CHUNK):
            yield from batch
    finally:
        cursor.close()


def database_figures(
    tables: Iterable[tuple[str, list[str]]], open_cursor: Callable[[], object]
) -> DatabaseFigures:
    """Rows and a content hash of every table, in primary-key order. ``open_cursor`` gives a
    fresh cursor per table (a server-side one on PostgreSQL, so a big table streams)."""
    figures = DatabaseFigures()
    for name, pk in tables:
        digest, count = hashlib.sha256(), 0
        for row in _rows(open_cursor, name, pk):
            digest.update(repr(tuple(_plain(v) for v in row)).encode())
            digest.update(b"\n")
            count += 1
        figures.tables[name] = {"rows": count, "sha256": digest.hexdigest()}
    return figures


def storage_names(storage: Storage, top: str = "") -> Iterator[str]:
    """Every file name in ``storage``, depth first and sorted. Works on object stores too,
    whose "folders" are only prefixes."""
    try:
        dirs, files = storage.listdir(top)
    except FileNotFoundError:  # a local media folder that was never created
        return
    for name in sorted(files):
        yield f"{top}/{name}" if top else name
    for name in sorted(dirs):
        yield from storage_names(storage, f"{top}/{name}" if top else name)


def file_figures(data: bytes) -> dict:
    return {"bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}
