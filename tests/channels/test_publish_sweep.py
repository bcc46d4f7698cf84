"""The scheduled-publishing sweep hands each post it puts live to the channels once."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from channels.models import ChannelDelivery, DeliveryState
from moderation import publishing
from moderation import services as workflow

pytestmark = pytest.mark.django_db


def test_the_sweep_posts_once_to_the_units_channel(draft, people, fb_connection, graph, django_capture_on_commit_callbacks):
    when = timezone.now() + datetime.timedelta(minutes=5)
    workflow.post_submit(post=draft, by=people.editor)
    workflow.post_approve(post=draft, by=people.approver, publish_at=when)
    due = when + datetime.timedelta(seconds=1)
    with django_capture_on_commit_callbacks(execute=True):
        assert publishing.posts_publish_due(now=due) == 1
    with django_capture_on_commit_callbacks(execute=True):
        assert publishing.posts_publish_due(now=due) == 0
    (delivery,) = ChannelDelivery.objects.filter(post=draft)
    assert delivery.state == DeliveryState.POSTED
    assert len(graph.calls("POST", "/photos")) == 1


def test_without_a_channel_the_sweep_asks_once(draft, people, graph, django_capture_on_commit_callbacks,
                                               django_assert_num_queries):
    when = timezone.now() + datetime.timedelta(minutes=5)
    workflow.post_submit(post=draft, by=people.editor)
    workflow.post_approve(post=draft, by=people.approver, publish_at=when)
    with django_capture_on_commit_callbacks() as callbacks:
        assert publishing.posts_publish_due(now=when + datetime.timedelta(seconds=1)) == 1
    start = next(c for c in callbacks if getattr(getattr(c, "func", None), "__name__", "") == "_start_many")
    with django_assert_num_queries(1):
        start()
    assert not ChannelDelivery.objects.exists() and not graph.calls("POST", "/photos")
