"""Helpers for the moderation admin tests: post form data and messages of a response."""

from __future__ import annotations

from django.contrib.messages import get_messages
from django.urls import reverse

from moderation import services
from pages.models import Post


def post_form_data(post: Post, **changes) -> dict:
    """The post change form as the browser sends it, with ``changes`` applied."""
    data = {
        "title": post.title, "summary": post.summary, "body": post.body, "cover": post.cover_id or "",
        "topic": post.topic_id or "", "source_kind": post.source_kind, "source_name": post.source_name,
        "source_url": post.source_url, "author_line": post.author_line, "photo_credit": post.photo_credit,
        "desired_publish_at_0": "", "desired_publish_at_1": "", "cover_alt": "", "cover_credit": "",
        "cover_upload_token": "", "documents-TOTAL_FORMS": "0", "documents-INITIAL_FORMS": "0",
        "documents-MIN_NUM_FORMS": "0", "documents-MAX_NUM_FORMS": "1000",
    }
    data.update(changes)
    return data


def messages_of(response) -> list[tuple[str, str]]:
    """(level tag, text) of the messages the request added."""
    return [(m.level_tag, str(m)) for m in get_messages(response.wsgi_request)]


def change_url(post: Post) -> str:
    return reverse("admin:pages_post_change", args=[post.pk])


def publish(post: Post, *, editor, approver, django_capture_on_commit_callbacks) -> Post:
    services.post_submit(post=post, by=editor)
    with django_capture_on_commit_callbacks(execute=True):
        services.post_approve(post=post, by=approver)
    return Post.objects.get(pk=post.pk)
