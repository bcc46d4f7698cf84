"""The week of each row's publication in its ``pair_key`` (``pages.search_rank.week_token``):
the pairs index (0012) then finds the newest posts holding a common phrase a week at a time,
newest first (``pages.search_postgres``), instead of walking the newest posts one by one.

The token is what ``week_token`` writes, computed here by the database in one statement; rows
written from now on get it from ``index_pair_key``. The GIN index is over the text, so it
follows without being rebuilt.
"""

from django.db import migrations

WEEK_OF = {
    "postgresql": "(floor(extract(epoch FROM published_at) / 604800))::bigint",
    # Stored as UTC text, read as UTC by ``%s``; without the fraction of a second, which
    # ``strftime`` rounds (a week's last microsecond into the next). Integer division floors.
    "sqlite": "(CAST(strftime('%s', substr(published_at, 1, 19)) AS INTEGER) / 604800)",
}


def add_week_tokens(apps, schema_editor):
    week = WEEK_OF.get(schema_editor.connection.vendor)
    if week is None:
        raise RuntimeError(f"No week expression for {schema_editor.connection.vendor}")
    # A plain cursor without parameters: SQLite's ``%s`` is strftime's, not a placeholder.
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(f"UPDATE pages_postsearch SET pair_key = trim(pair_key || ' w' || {week})")  # noqa: S608 - fixed fragments


def drop_week_tokens(apps, schema_editor):
    # ``regexp_replace`` is PostgreSQL's; SQLite's rows keep a token nothing reads there.
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(r"UPDATE pages_postsearch SET pair_key = trim(regexp_replace(pair_key, '\s*\mw\d+\M', '', 'g'))")


class Migration(migrations.Migration):

    dependencies = [
        ("pages", "0012_postsearch_pair_key"),
    ]

    operations = [
        migrations.RunPython(add_week_tokens, drop_week_tokens),
    ]
