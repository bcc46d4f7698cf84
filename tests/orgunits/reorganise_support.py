"""Helpers for the reorganisation tests."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.utils import timezone

from pages.demo import publish_demo_post_directly
from pages.models import Post


def user(username: str):
    return get_user_model().objects.create_user(
        username, email=f"{username}@mattran.example.vn", password="pw", is_staff=True
    )


def publish(post: Post) -> Post:
    """Put a post live the way the demo content does (its approval is not under test here)."""
    publish_demo_post_directly(post=post, at=timezone.now())
    return Post.objects.get(pk=post.pk)
