"""Cache and search-index upkeep (infrastructure only, no business rules), connected in
``PagesConfig.ready()``.

Moderation changes what the public sees by saving ``Post.live_revision``/``published_at``
(publish, import, withdraw, take down); these receivers re-index the post from its live
revision in the same transaction and bump the publication generations of its unit's path, so
every cached page that could show it is invalidated at once.
"""

from __future__ import annotations

from django.db.models.signals import m2m_changed, post_delete, post_save

from orgunits.models import OrgUnit
from orgunits.signals import unit_tree_changed

from . import cache as public_cache
from .models import CommunityPage, MediaImage, Post, Rendition, Topic
from .search import index_live_post

_LIVE_FIELDS = {"live_revision", "published_at", "status"}


def _unit_path(instance: Post | CommunityPage | MediaImage) -> str:
    """The path of ``instance``'s unit: no query when the unit is already loaded (a post or
    page saved by a service usually has it), else one for the path alone."""
    if type(instance).unit.is_cached(instance):
        return instance.unit.path
    return OrgUnit.objects.filter(pk=instance.unit_id).values_list("path", flat=True).first() or ""


def post_saved(sender, instance: Post, update_fields=None, **kwargs) -> None:
    if kwargs.get("raw"):
        return
    changes_live = update_fields is None or bool(_LIVE_FIELDS & set(update_fields))
    if changes_live:
        index_live_post(instance)
    if changes_live or instance.live_revision_id is not None:
        public_cache.bump_publication(_unit_path(instance))


def post_deleted(sender, instance: Post, **kwargs) -> None:
    public_cache.bump_publication(_unit_path(instance))


def page_saved(sender, instance: CommunityPage, **kwargs) -> None:
    if not kwargs.get("raw"):
        public_cache.bump_publication(_unit_path(instance))


def unit_changed(sender, instance: OrgUnit, **kwargs) -> None:
    if not kwargs.get("raw"):
        public_cache.bump_tree()


def image_changed(sender, instance: MediaImage | Rendition, **kwargs) -> None:
    if kwargs.get("raw"):
        return
    if isinstance(instance, MediaImage):
        path = _unit_path(instance)
    else:  # the rendition's image's unit's path, in one query (not one for each hop)
        path = MediaImage.objects.filter(pk=instance.image_id).values_list("unit__path", flat=True).first() or ""
    public_cache.bump_publication(path)


def post_tags_changed(sender, instance, action: str, **kwargs) -> None:
    if action.startswith("post_") and isinstance(instance, Post) and instance.live_revision_id:
        public_cache.bump_publication(_unit_path(instance))


def topic_changed(sender, **kwargs) -> None:
    from django.core.cache import cache

    from .public.selectors import TOPICS_KEY

    cache.delete(TOPICS_KEY)
    public_cache.bump_tree()


def unit_tree_bulk_changed(sender, **kwargs) -> None:
    public_cache.clear_public_cache()


def connect() -> None:
    uid = "pages.public."
    unit_tree_changed.connect(unit_tree_bulk_changed, dispatch_uid=uid + "unit_tree_changed")
    post_save.connect(post_saved, sender=Post, dispatch_uid=uid + "post_saved")
    post_delete.connect(post_deleted, sender=Post, dispatch_uid=uid + "post_deleted")
    post_save.connect(page_saved, sender=CommunityPage, dispatch_uid=uid + "page_saved")
    post_save.connect(unit_changed, sender=OrgUnit, dispatch_uid=uid + "unit_saved")
    post_delete.connect(unit_changed, sender=OrgUnit, dispatch_uid=uid + "unit_deleted")
    for model in (MediaImage, Rendition):
        post_save.connect(image_changed, sender=model, dispatch_uid=uid + f"{model.__name__}_saved")
    post_save.connect(topic_changed, sender=Topic, dispatch_uid=uid + "topic_saved")
    post_delete.connect(topic_changed, sender=Topic, dispatch_uid=uid + "topic_deleted")
    m2m_changed.connect(post_tags_changed, sender=Post.tags.through, dispatch_uid=uid + "post_tags")
