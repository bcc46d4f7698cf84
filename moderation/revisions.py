"""Snapshots of a post's content: what a revision stores and how two are compared."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from pages.models import Post

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


def snapshot_post(post: Post) -> dict[str, Any]:
    """Everything the public will see of the post, as plain JSON."""
    content: dict[str, Any] = {field: getattr(post, field) for field in SNAPSHOT_FIELDS}
    content["topic_id"] = post.topic_id
    content["topic"] = post.topic.name if post.topic_id else ""
    content["cover_id"] = post.cover_id
    content["tags"] = sorted(post.tags.values_list("name", flat=True)) if post.pk else []
    # Attached documents are public content too: a file added after approval must not go live.
    content["documents"] = (
        [[pk, title] for pk, title in post.documents.order_by("pk").values_list("pk", "title")] if post.pk else []
    )
    return content


def approved_document_ids(revision) -> set[int]:
    """Ids of the documents that ``revision`` (a live or approved one) was approved with."""
    return {pk for pk, _title in (revision.content.get("documents") or [])} if revision else set()


def content_hash(content: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(content, sort_keys=True, ensure_ascii=False).encode()).hexdigest()
