"""On PostgreSQL, the columns a search reads row by row kept in the row and, when compressed,
compressed by lz4; the pairs, which only their index reads, out of the row first.

A row of ``pages_postsearch`` is ~3.7 kB for a post of ~800 characters, more than the 2 kB
PostgreSQL keeps in a row, and the toaster takes the biggest columns first: it compressed the
pairs, the body's key (pglz), then moved the ``document`` tsvector out of the row. So every
row a search checked decompressed its body to find a phrase in it (pglz: ~1.3 µs a row, half
the check), and every ``document @@`` of a window fetched the tsvector from the toast table.
Now ``title_key``, ``body_key`` and ``document`` are ``MAIN`` (compressed, lz4, only once the
pairs are out of the row and it is still too long) and ``pair_key`` stays ``EXTENDED`` (lz4): the
pairs leave the row before anything read is touched. Figures: ``docs/PERFORMANCE.md``.

The settings apply to rows written from now on; every existing row is rewritten (its keys
copied to new values: an unchanged value would keep its old compression and place), a tenth
of the table at a time, then the table's indexes, which the rewrite doubled, are rebuilt
concurrently (searches go on meanwhile).
SQLite stores rows whole: nothing to do.
"""

from django.db import migrations, transaction

READ_COLUMNS = ("title_key", "body_key", "document")
#: The fewest rows rewritten between two ``VACUUM``s (``rewrite_rows``).
BATCH = 20_000


def _lz4(cursor) -> bool:
    cursor.execute("SELECT 'lz4' = ANY(enumvals) FROM pg_settings WHERE name = 'default_toast_compression'")
    row = cursor.fetchone()
    return bool(row and row[0])


def _alter(schema_editor, storage_read: str, compression: str | None) -> None:
    with schema_editor.connection.cursor() as cursor:
        clauses = [f"ALTER COLUMN {c} SET STORAGE {storage_read}" for c in READ_COLUMNS]
        if compression == "lz4" and not _lz4(cursor):
            compression = None  # a server built without lz4: the places alone
        if compression:
            clauses += [f"ALTER COLUMN {c} SET COMPRESSION {compression}" for c in (*READ_COLUMNS, "pair_key")]
        cursor.execute("ALTER TABLE pages_postsearch " + ", ".join(clauses))


def keep_read_columns_in_row(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        _alter(schema_editor, "MAIN", "lz4")


def back_to_defaults(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        _alter(schema_editor, "EXTENDED", "default")


def rewrite_rows(apps, schema_editor):
    """Each row's keys as new values (``document``, generated from them, is computed again), a
    tenth of the table at a time with a ``VACUUM`` after each: the next tenth's new rows reuse
    what the last one left, instead of the table doubling. Each batch commits on its own; the
    rows are the same search either way, so a rewrite cut short leaves nothing to undo."""
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pages_postsearch")
        batch, last = max(BATCH, -(-cursor.fetchone()[0] // 10)), 0
        while True:
            with transaction.atomic(using=schema_editor.connection.alias):
                cursor.execute(
                    """WITH b AS (SELECT post_id FROM pages_postsearch WHERE post_id > %s ORDER BY post_id LIMIT %s)
                    UPDATE pages_postsearch s SET title_key = s.title_key || '', body_key = s.body_key || '',
                        pair_key = s.pair_key || ''
                    FROM b WHERE s.post_id = b.post_id RETURNING s.post_id""", [last, batch])
                ids = [row[0] for row in cursor.fetchall()]
            if not ids:
                return
            last = max(ids)
            cursor.execute("VACUUM pages_postsearch")


def rebuild_indexes(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute("REINDEX TABLE CONCURRENTLY pages_postsearch")
            cursor.execute("ANALYZE pages_postsearch")


class Migration(migrations.Migration):
    # REINDEX CONCURRENTLY and VACUUM run outside a transaction; the rewrite has one of its own.
    atomic = False

    dependencies = [
        ("pages", "0013_postsearch_week_token"),
    ]

    # Undone in the same order: the settings, then the rewrite, then the indexes.
    operations = [
        migrations.RunPython(migrations.RunPython.noop, rebuild_indexes),
        migrations.RunPython(migrations.RunPython.noop, rewrite_rows),
        migrations.RunPython(keep_read_columns_in_row, back_to_defaults),
        migrations.RunPython(rewrite_rows, migrations.RunPython.noop),
        migrations.RunPython(rebuild_indexes, migrations.RunPython.noop),
    ]
