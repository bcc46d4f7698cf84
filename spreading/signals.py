"""Cache upkeep (infrastructure only): a post that stops or starts being live must leave or
reach the cached pages of every unit it was spread to, in one cache write. And the channels'
question: which units' pages carry a post besides its own."""

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


def posts_published(sender, post_ids: list[int], **kwargs) -> None:
    """The publishing sweep's bulk form of ``post_saved``: one query and one cache write."""
    from .models import Delivery
    from .states import VISIBLE

    paths = list(
        Delivery.objects.filter(post_id__in=post_ids, state__in=VISIBLE).values_list("unit__path", flat=True).distinct()
    )
    if paths:
        bump_pages(paths)


def units_carrying(sender, post_ids: list[int], **kwargs) -> list[tuple[int, int]]:
    """For the channels: (post, unit) for every unit whose page shows one of the posts through
    spreading; one query however many posts."""
    from .models import Delivery
    from .states import VISIBLE

    return list(Delivery.objects.filter(post_id__in=post_ids, state__in=VISIBLE).values_list("post_id", "unit_id"))


def connect() -> None:
    from channels.signals import units_carrying_posts
    from moderation.signals import posts_published as moderation_posts_published

    post_save.connect(post_saved, sender=Post, dispatch_uid="spreading.post_saved")
    moderation_posts_published.connect(posts_published, dispatch_uid="spreading.posts_published")
    units_carrying_posts.connect(units_carrying, dispatch_uid="spreading.units_carrying")
