"""A post put live by the publishing sweep (no ``post_save``) still reaches the cached pages of
the units it was spread to: spreading hears ``moderation.signals.posts_published``."""

from __future__ import annotations

import pytest

from moderation.signals import posts_published
from pages import cache as public_cache
from pages.models import Post
from spreading import services

pytestmark = pytest.mark.django_db


def test_the_sweeps_signal_bumps_the_pages_the_post_was_spread_to(
    tree, hanoi_post, approver_hanoi, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.spread_down(post=hanoi_post, from_unit=tree.hanoi, by=approver_hanoi)
    before = public_cache.generations(tree.phucxa.path)[1]
    untouched = public_cache.generations(tree.tpbacninh.path)[1]
    posts_published.send(sender=Post, post_ids=[hanoi_post.pk])
    assert public_cache.generations(tree.phucxa.path)[1] > before
    assert public_cache.generations(tree.tpbacninh.path)[1] == untouched
