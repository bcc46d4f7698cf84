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
    backfill (0005) kept punctuation, which the ranking now reads the keys without."""
    from pages.search_rank import _TERM_RE, index_pairs

    PostSearch = apps.get_model("pages", "PostSearch")
    rows = PostSearch.objects.only("post_id", "title_key", "body_key").order_by("post_id")
    batch = []
    for row in rows.iterator(chunk_size=2000):
        row.title_key = " ".join(_TERM_RE.findall(row.title_key))
        row.body_key = " ".join(_TERM_RE.findall(row.body_key))
        row.pair_key = index_pairs(row.title_key, row.body_key)
        batch.append(row)
        if len(batch) == 2000:
            PostSearch.objects.bulk_update(batch, ["title_key", "body_key", "pair_key"])
            batch = []
    PostSearch.objects.bulk_update(batch, ["title_key", "body_key", "pair_key"])


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
