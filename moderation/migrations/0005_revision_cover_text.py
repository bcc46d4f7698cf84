"""Revisions keep their cover's description (alt text, caption, credit).

Until now the public read it from the media library row, which editors may change at any time.
Existing revisions get it from the library's current values (the best that is known), as
columns and in ``content["cover"]``, and their content hash is recomputed over the new snapshot
shape, so a pending or approved revision still matches an unchanged working copy (otherwise the
next save would send it back to review and publishing would refuse it).
"""

import hashlib
import json

from django.db import migrations, models

BATCH = 500


def _hash(content: dict) -> str:
    # The same function as ``moderation.revisions.content_hash``, frozen here as migrations must be.
    return hashlib.sha256(json.dumps(content, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def fill_cover_text(apps, schema_editor):
    Revision = apps.get_model("moderation", "Revision")
    MediaImage = apps.get_model("pages", "MediaImage")
    last = 0
    # Batches by key, each read in full before it is written: SQLite gives no isolation between
    # an open cursor and writes to the same table on one connection.
    while batch := list(Revision.objects.filter(pk__gt=last).order_by("pk")[:BATCH]):
        last = batch[-1].pk
        todo = [r for r in batch if "cover" not in (r.content or {})]  # not yet in the new shape
        ids = {r.cover_id for r in todo if r.cover_id}
        images = {i.pk: i for i in MediaImage.objects.filter(pk__in=ids).only("alt_text", "caption", "credit")}
        for revision in todo:
            image = images.get(revision.cover_id)
            cover = None
            if image is not None:
                cover = {"id": image.pk, "alt_text": image.alt_text, "caption": image.caption, "credit": image.credit}
                revision.cover_alt_text, revision.cover_caption, revision.cover_credit = (
                    image.alt_text, image.caption, image.credit,
                )
            revision.content = {**(revision.content or {}), "cover": cover}
            revision.content_hash = _hash(revision.content)
        Revision.objects.bulk_update(
            todo, ["cover_alt_text", "cover_caption", "cover_credit", "content", "content_hash"], batch_size=BATCH
        )


class Migration(migrations.Migration):

    dependencies = [
        ("moderation", "0004_verbose_names"),
        ("pages", "0006_public_speed"),
    ]

    operations = [
        migrations.AddField(
            model_name="revision",
            name="cover_alt_text",
            field=models.CharField(blank=True, max_length=300, verbose_name="mô tả ảnh đại diện (alt)"),
        ),
        migrations.AddField(
            model_name="revision",
            name="cover_caption",
            field=models.CharField(blank=True, max_length=500, verbose_name="chú thích ảnh đại diện"),
        ),
        migrations.AddField(
            model_name="revision",
            name="cover_credit",
            field=models.CharField(blank=True, max_length=200, verbose_name="nguồn ảnh đại diện"),
        ),
        migrations.RunPython(fill_cover_text, migrations.RunPython.noop),
    ]
