"""Celery tasks of the pages app: thin, by id, safe to run twice."""

from __future__ import annotations

from vietfront.celery import app

from .models import MediaImage
from .services import media_image_make_renditions


@app.task(ignore_result=True, acks_late=True)
def make_renditions_task(image_id: int) -> None:
    image = MediaImage.objects.filter(pk=image_id).first()
    if image is None:
        # Deleted before the worker got to it: nothing to do.
        return
    media_image_make_renditions(image=image)
