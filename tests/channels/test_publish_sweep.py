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


def test_with_a_channel_elsewhere_the_sweep_asks_four_times_whatever_its_size(
    tree, people, fb_connection, graph, django_capture_on_commit_callbacks, django_assert_num_queries
):
    """Đống Đa has a channel; the sweep publishes Hà Nội's posts: no post of it is carried by a
    channel, and the channels' work stays four queries for one post or five."""
    from pages import services as page_services
    from tests.moderation.workflow_fixtures import make_post
    from tests.pages.conftest import make_user

    page_services.page_create(unit=tree.hanoi, by=None, activate=True)
    editor = make_user("bt_hn", ("edit_content", tree.hanoi))
    central = make_user("duyet_tw", ("approve_content", tree.central))
    when = timezone.now() + datetime.timedelta(minutes=5)

    def sweep_of(n: int, offset: int):
        for i in range(n):
            post = make_post(tree.hanoi, editor, title=f"Hà Nội thông báo số {offset + i}")
            workflow.post_submit(post=post, by=editor)
            workflow.post_approve(post=post, by=central, publish_at=when)
        with django_capture_on_commit_callbacks() as callbacks:
            assert publishing.posts_publish_due(now=when + datetime.timedelta(seconds=1)) == n
        return next(c for c in callbacks if getattr(getattr(c, "func", None), "__name__", "") == "_start_many")

    for n, offset in ((1, 0), (5, 10)):
        start = sweep_of(n, offset)
        with django_assert_num_queries(4):
            start()
    assert not ChannelDelivery.objects.exists() and not graph.calls("POST", "/feed")
