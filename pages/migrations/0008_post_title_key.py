"""The staff list searches titles by a stored mark-free key, with a trigram index on PostgreSQL.

Filled here for existing posts. The trigram index (``pg_trgm``) serves ``LIKE '%word%'``; there
is nothing to add on SQLite, where a laptop's data set is scanned fast enough.
"""

from django.db import migrations, models

BATCH = 2000


def fill_title_key(apps, schema_editor):
    from vietfront.text import search_key

    Post = apps.get_model("pages", "Post")
    batch = []
    for post in Post.objects.only("id", "title").iterator(chunk_size=BATCH):
        post.title_key = search_key(post.title)
        batch.append(post)
        if len(batch) == BATCH:
            Post.objects.bulk_update(batch, ["title_key"])
            batch = []
    Post.objects.bulk_update(batch, ["title_key"])


def trigram_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS post_title_key_trgm ON pages_post USING gin (title_key gin_trgm_ops)"
    )


def drop_trigram_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS post_title_key_trgm")


class Migration(migrations.Migration):
    dependencies = [("pages", "0007_staff_lists")]

    operations = [
        migrations.AddField(
            model_name="post", name="title_key", field=models.CharField(blank=True, editable=False, max_length=300),
        ),
        migrations.RunPython(fill_title_key, migrations.RunPython.noop, elidable=True),
        migrations.RunPython(trigram_index, drop_trigram_index),
    ]
