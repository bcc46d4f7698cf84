"""Cache upkeep (infrastructure only): a post that stops or starts being live must leave or
reach the cached pages of every unit it was spread to, in one cache write."""

from __future__ import annotations

from django.db.models.signals import post_save

from pages.cache import bump_pages
from pages.models import Post

# Moderation puts posts live and takes them off by saving exactly these (with update_fields);
# a save without update_fields is an edit of the working copy, which the public never sees.
_LIVE_FIELDS = {"live_revision", "published_at"}


def post_saved(sender, instance: Post, update_fields=None, **kwargs) -> None:
    if kwargs.get("raw") or update_fields is None or not _LIVE_FIELDS & set(update_fields):
        return
    from .models import Delivery
    from .states import VISIBLE

    paths = list(Delivery.objects.filter(post=instance, state__in=VISIBLE).values_list("unit__path", flat=True))
    if paths:
        bump_pages(paths)


def connect() -> None:
    post_save.connect(post_saved, sender=Post, dispatch_uid="spreading.post_saved")
