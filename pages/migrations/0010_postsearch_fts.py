"""SQLite full-text search over the live-content index, when the Python build has FTS5.

An external-content FTS5 table over ``pages_postsearch`` (rowid = ``post_id``), kept in step by
triggers, so every writer of the index (``index_live_post``, bulk seeding, cascades) updates it
without knowing it exists. The keys are already without marks; ``unicode61`` splits them into
syllables. Nothing on PostgreSQL (its tsvector is migration 0005's) nor on an SQLite without
FTS5, which searches the keys with ``LIKE``.
"""

from django.db import migrations

FORWARD = [
    """CREATE VIRTUAL TABLE pages_postsearch_fts USING fts5(
        title_key, body_key, content='pages_postsearch', content_rowid='post_id', tokenize='unicode61')""",
    """CREATE TRIGGER pages_postsearch_fts_ai AFTER INSERT ON pages_postsearch BEGIN
        INSERT INTO pages_postsearch_fts(rowid, title_key, body_key)
        VALUES (new.post_id, new.title_key, new.body_key); END""",
    """CREATE TRIGGER pages_postsearch_fts_ad AFTER DELETE ON pages_postsearch BEGIN
        INSERT INTO pages_postsearch_fts(pages_postsearch_fts, rowid, title_key, body_key)
        VALUES ('delete', old.post_id, old.title_key, old.body_key); END""",
    """CREATE TRIGGER pages_postsearch_fts_au AFTER UPDATE ON pages_postsearch BEGIN
        INSERT INTO pages_postsearch_fts(pages_postsearch_fts, rowid, title_key, body_key)
        VALUES ('delete', old.post_id, old.title_key, old.body_key);
        INSERT INTO pages_postsearch_fts(rowid, title_key, body_key)
        VALUES (new.post_id, new.title_key, new.body_key); END""",
    "INSERT INTO pages_postsearch_fts(pages_postsearch_fts) VALUES ('rebuild')",
]
BACKWARD = [
    "DROP TRIGGER IF EXISTS pages_postsearch_fts_ai",
    "DROP TRIGGER IF EXISTS pages_postsearch_fts_ad",
    "DROP TRIGGER IF EXISTS pages_postsearch_fts_au",
    "DROP TABLE IF EXISTS pages_postsearch_fts",
]


def _applies(schema_editor) -> bool:
    from pages.search import fts5_available

    return schema_editor.connection.vendor == "sqlite" and fts5_available()


def forward(apps, schema_editor):
    if _applies(schema_editor):
        for statement in FORWARD:
            schema_editor.execute(statement)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        for statement in BACKWARD:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("pages", "0009_drop_postplacement")]

    operations = [migrations.RunPython(forward, backward)]
