"""Snapshots of a post's content: what a revision stores and how two are compared.

A snapshot holds every text the public will see, including the parts that live in other rows
and can be edited on their own (the cover's description in the media library, the titles of
attached documents, the tags): the public reads them from the live revision, never from those
rows, so an edit there after approval changes nothing public until it is approved.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from pages.models import MediaImage, Post, PostDocument

SNAPSHOT_FIELDS = [
    "title",
    "summary",
    "body",
    "source_kind",
    "source_name",
    "source_url",
    "author_line",
    "photo_credit",
]

#: The description of the cover as a snapshot keeps it (and ``Revision`` stores as columns).
COVER_TEXT_FIELDS = ("alt_text", "caption", "credit")


def cover_snapshot(image: MediaImage | None) -> dict[str, Any] | None:
    if image is None:
        return None
    return {"id": image.pk, **{name: getattr(image, name) for name in COVER_TEXT_FIELDS}}


def snapshot_post(
    post: Post, *, tags: list[str] | None = None, documents: list[list] | None = None
) -> dict[str, Any]:
    """Everything the public will see of the post, as plain JSON.

    ``tags`` (names) and ``documents`` (``[pk, title]`` pairs), when given, are the post's own
    read in bulk by the caller (``snapshot_related``), saving their two queries per post.
    """
    content: dict[str, Any] = {field: getattr(post, field) for field in SNAPSHOT_FIELDS}
    content["topic_id"] = post.topic_id
    content["topic"] = post.topic.name if post.topic_id else ""
    content["cover_id"] = post.cover_id
    content["cover"] = cover_snapshot(post.cover if post.cover_id else None)
    if tags is None:
        tags = list(post.tags.values_list("name", flat=True)) if post.pk else []
    content["tags"] = sorted(tags)
    # Attached documents are public content too: a file added after approval must not go live.
    if documents is None:
        documents = (
            [[pk, title] for pk, title in post.documents.order_by("pk").values_list("pk", "title")] if post.pk else []
        )
    content["documents"] = sorted(documents)
    return content


def snapshot_related(post_ids: list[int]) -> tuple[dict[int, list[str]], dict[int, list[list]]]:
    """The tags and documents of many posts for ``snapshot_post``: two queries in all."""
    tags: dict[int, list[str]] = {pk: [] for pk in post_ids}
    for post_id, name in Post.tags.through.objects.filter(post_id__in=post_ids).values_list("post_id", "tag__name"):
        tags[post_id].append(name)
    documents: dict[int, list[list]] = {pk: [] for pk in post_ids}
    for post_id, pk, title in PostDocument.objects.filter(post_id__in=post_ids).values_list("post_id", "pk", "title"):
        documents[post_id].append([pk, title])
    return tags, documents


def approved_document_ids(revision) -> set[int]:
    """Ids of the documents that ``revision`` (a live or approved one) was approved with."""
    return {pk for pk, _title in (revision.content.get("documents") or [])} if revision else set()


def content_hash(content: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(content, sort_keys=True, ensure_ascii=False).encode()).hexdigest()
