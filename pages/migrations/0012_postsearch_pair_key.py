"""The phrase index: ``PostSearch.pair_key`` (each two neighbouring syllables of the title and
of the body, ``pages.search_rank.index_pairs``), filled for the rows already there, and on
PostgreSQL a GIN index over it as a tsvector of those pairs.

A phrase of common syllables ("đoàn kết") was checked against the positions of every post
holding all of them (99,000 of 100,000 for "đại đoàn kết": 150 ms country-wide); the pairs
narrow that to the posts where they are neighbours. The index is an expression over the text,
so nothing else is stored for it.
"""

import importlib

from django.db import migrations, models

INDEX = ("CREATE INDEX postsearch_pairs_gin ON pages_postsearch "
         "USING gin (array_to_tsvector(string_to_array(pair_key, ' ')))")


def fill_pairs(apps, schema_editor):
    """The pairs of every row, and its keys as ``index_key`` writes them: rows of the first
    backfill (0005) kept punctuation, which the ranking now reads the keys without. One
    ``UPDATE`` a row through ``executemany``, as the unit importer writes (``bulk_update``'s
    ``CASE`` over 2,000 rows of three long texts took 88 s for 104,000 rows), and the keys
    only where they change."""
    from pages.search_rank import _TERM_RE, index_pairs

    PostSearch = apps.get_model("pages", "PostSearch")
    rows = PostSearch.objects.order_by("post_id").values_list("post_id", "title_key", "body_key")
    pairs_only = "UPDATE pages_postsearch SET pair_key = %s WHERE post_id = %s"
    with_keys = "UPDATE pages_postsearch SET title_key = %s, body_key = %s, pair_key = %s WHERE post_id = %s"
    batches: dict[str, list] = {pairs_only: [], with_keys: []}
    with schema_editor.connection.cursor() as cursor:
        for post_id, title_key, body_key in rows.iterator(chunk_size=2000):
            clean_title, clean_body = " ".join(_TERM_RE.findall(title_key)), " ".join(_TERM_RE.findall(body_key))
            pairs = index_pairs(clean_title, clean_body)
            if (clean_title, clean_body) == (title_key, body_key):
                # The keys as they are: not rewritten, nor the document and indexes built from them.
                batches[pairs_only].append((pairs, post_id))
            else:
                batches[with_keys].append((clean_title, clean_body, pairs, post_id))
            for sql, batch in batches.items():
                if len(batch) >= 2000:
                    cursor.executemany(sql, batch)
                    batch.clear()
        for sql, batch in batches.items():
            if batch:
                cursor.executemany(sql, batch)


def restore_fts_triggers(apps, schema_editor):
    """SQLite adds this column by copying the table to a new one, and the FTS5 triggers of
    0010 went with the old table: they are made again, and the FTS5 index rebuilt."""
    fts = importlib.import_module("pages.migrations.0010_postsearch_fts")
    if fts._applies(schema_editor):
        for statement in fts.FORWARD[1:]:
            schema_editor.execute(statement)


def add_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(INDEX)


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS postsearch_pairs_gin")


class Migration(migrations.Migration):

    dependencies = [
        ("pages", "0011_post_live_title_key"),
    ]

    operations = [
        # Undone last: removing the column copies the table again.
        migrations.RunPython(migrations.RunPython.noop, restore_fts_triggers),
        migrations.AddField(
            model_name="postsearch",
            name="pair_key",
            field=models.TextField(blank=True, default=""),
        ),
        migrations.RunPython(restore_fts_triggers, migrations.RunPython.noop),
        migrations.RunPython(fill_pairs, migrations.RunPython.noop),
        migrations.RunPython(add_index, drop_index),
    ]
