"""A post spread down reaches the targets' channels too: once per channel, removed when the
spread is withdrawn or the target declines, and sent when a post spread ahead goes live."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from channels.models import ChannelDelivery, DeliveryState
from moderation import services as workflow
from spreading import services as spreading
from spreading.models import Scope
from tests.moderation.workflow_fixtures import make_post
from tests.pages.conftest import make_user
from tests.spreading.conftest import approver_hanoi, editor_dongda, hanoi_post, pages  # noqa: F401 - fixtures

pytestmark = pytest.mark.django_db
S = DeliveryState


def _spread(post, tree, by, capture, **kw):
    with capture(execute=True):
        return spreading.spread_down(post=post, from_unit=tree.hanoi, by=by, **kw)


def test_a_spread_posts_once_on_each_target_channel_and_its_withdrawal_deletes_it(
    tree, hanoi_post, approver_hanoi, fb_connection, graph, django_capture_on_commit_callbacks  # noqa: F811
):
    spread = _spread(hanoi_post, tree, approver_hanoi, django_capture_on_commit_callbacks)
    delivery = ChannelDelivery.objects.get(post=hanoi_post)
    assert (delivery.connection, delivery.state) == (fb_connection, S.POSTED)  # Đống Đa's page, the one channel
    (sent,) = graph.calls("POST", "/feed")
    assert f"https://trangcongdong.example.vn{hanoi_post.get_absolute_url()}" == sent["body"]["link"]
    with django_capture_on_commit_callbacks(execute=True):  # the spreading work run again
        spreading.spread_deliver(spread_id=spread.pk)
    assert len(graph.calls("POST", "/feed")) == 1 and ChannelDelivery.objects.filter(post=hanoi_post).count() == 1
    with django_capture_on_commit_callbacks(execute=True):
        spreading.spread_withdraw(spread=spread, by=approver_hanoi, reason="Đã cũ")
    assert graph.posts == {}
    assert ChannelDelivery.objects.get(post=hanoi_post).state == S.REMOVED


def test_ask_first_posts_on_confirmation(
    tree, hanoi_post, approver_hanoi, editor_dongda, fb_connection, graph,  # noqa: F811
    django_capture_on_commit_callbacks,
):
    spread = _spread(hanoi_post, tree, approver_hanoi, django_capture_on_commit_callbacks,
                     scope=Scope.UNITS, units=[tree.dongda], ask_confirmation=True)
    assert not ChannelDelivery.objects.exists() and graph.posts == {}  # waiting for Đống Đa's editors
    with django_capture_on_commit_callbacks(execute=True):
        spreading.delivery_confirm(delivery=spread.deliveries.get(), by=editor_dongda)
    assert ChannelDelivery.objects.get(post=hanoi_post).state == S.POSTED and len(graph.posts) == 1


def test_a_target_that_takes_the_post_off_its_page_takes_it_off_its_channel(
    tree, hanoi_post, approver_hanoi, editor_dongda, fb_connection, graph,  # noqa: F811
    django_capture_on_commit_callbacks,
):
    spread = _spread(hanoi_post, tree, approver_hanoi, django_capture_on_commit_callbacks,
                     scope=Scope.UNITS, units=[tree.dongda])
    assert len(graph.posts) == 1
    with django_capture_on_commit_callbacks(execute=True):
        spreading.delivery_decline(delivery=spread.deliveries.get(), by=editor_dongda,
                                   reason="Trang quận đã có bài tương tự")
    assert graph.posts == {} and ChannelDelivery.objects.get(post=hanoi_post).state == S.REMOVED


def test_a_post_spread_ahead_reaches_the_target_channels_when_it_is_published(
    tree, pages, approver_hanoi, fb_connection, graph,  # noqa: F811
    django_capture_on_commit_callbacks,
):
    central = make_user("duyet_tw", ("approve_content", tree.central))
    editor_hanoi = make_user("bt_hn", ("edit_content", tree.hanoi))
    post = make_post(tree.hanoi, editor_hanoi, title="Lịch tiếp công dân của Mặt trận thành phố")
    workflow.post_submit(post=post, by=editor_hanoi)
    at = timezone.now() + datetime.timedelta(hours=1)
    with django_capture_on_commit_callbacks(execute=False):
        workflow.post_approve(post=post, by=central, publish_at=at)
    _spread(post, tree, approver_hanoi, django_capture_on_commit_callbacks, scope=Scope.UNITS, units=[tree.dongda])
    assert not ChannelDelivery.objects.exists()  # not live: nothing goes out yet
    with django_capture_on_commit_callbacks(execute=True):
        assert workflow.post_publish(post_id=post.pk, now=at)
    assert ChannelDelivery.objects.get(post=post).state == S.POSTED and len(graph.posts) == 1
    with django_capture_on_commit_callbacks(execute=True):  # the post withdrawn: every channel lets go
        workflow.post_withdraw(post=post, by=editor_hanoi, reason="Đổi lịch")
    assert graph.posts == {}
