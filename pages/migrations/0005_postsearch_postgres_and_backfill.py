"""PostgreSQL full-text search on the live-content index, and a backfill of live posts.

On PostgreSQL: the ``unaccent`` extension, a generated ``document`` tsvector column (title
weighted A, body B) over the already mark-free keys, and a GIN index on it. Nothing on SQLite,
which searches the keys with LIKE.
"""

from django.db import migrations

FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS unaccent",
    """ALTER TABLE pages_postsearch ADD COLUMN document tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('simple', coalesce(title_key, '')), 'A')
        || setweight(to_tsvector('simple', coalesce(body_key, '')), 'B')
    ) STORED""",
    "CREATE INDEX postsearch_document_gin ON pages_postsearch USING gin (document)",
]
BACKWARD = [
    "DROP INDEX IF EXISTS postsearch_document_gin",
    "ALTER TABLE pages_postsearch DROP COLUMN IF EXISTS document",
]


def forward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for statement in FORWARD:
        schema_editor.execute(statement)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for statement in BACKWARD:
        schema_editor.execute(statement)


def backfill(apps, schema_editor):
    from pages.sanitize import html_to_text
    from vietfront.text import search_key

    Post = apps.get_model("pages", "Post")
    PostSearch = apps.get_model("pages", "PostSearch")
    Tag = apps.get_model("pages", "Tag")
    tag_ids = dict(Tag.objects.values_list("name", "id"))
    rows, tag_links = [], []
    for post in Post.objects.filter(live_revision__isnull=False, published_at__isnull=False).select_related(
        "live_revision"
    ).iterator(chunk_size=2000):
        rev = post.live_revision
        rows.append(PostSearch(
            post_id=post.pk, unit_id=post.unit_id, topic_id=rev.topic_id, published_at=post.published_at,
            title_key=search_key(rev.title), body_key=search_key(f"{rev.summary} {html_to_text(rev.body)}"),
        ))
        for name in (rev.content or {}).get("tags", []):
            if name in tag_ids:
                tag_links.append(PostSearch.tags.through(postsearch_id=post.pk, tag_id=tag_ids[name]))
    PostSearch.objects.bulk_create(rows, batch_size=2000)
    PostSearch.tags.through.objects.bulk_create(tag_links, batch_size=2000)


class Migration(migrations.Migration):
    dependencies = [("pages", "0004_public_site"), ("moderation", "0003_workflow")]

    operations = [
        migrations.RunPython(forward, backward),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
