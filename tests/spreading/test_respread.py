"""Spreading ahead of publication, spreading again after a withdrawal, proposing again after
withdrawing a proposal: still one row and one appearance per target."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from moderation import services as workflow
from spreading import services
from spreading.models import Delivery, Scope, Spread, SpreadEvent
from spreading.states import DeliveryState as D
from tests.moderation.workflow_fixtures import make_post as make_ready_post
from tests.pages.conftest import make_user
from tests.spreading.conftest import live
from tests.spreading.test_public_pages import section


def _spread(post, unit, by, capture, **kw) -> Spread:
    with capture(execute=True):
        result = services.spread_down(post=post, from_unit=unit, by=by, **kw)
    result.refresh_from_db()
    return result


def _scheduled(page, editor, approver, capture, *, title: str, at: datetime.datetime):
    post = make_ready_post(page.unit, editor, title=title)  # passes the information regulation's rules
    workflow.post_submit(post=post, by=editor)
    with capture(execute=False):  # the publication task is not run: the post waits for ``at``
        workflow.post_approve(post=post, by=approver, publish_at=at)
    post.refresh_from_db()
    return post


def test_a_post_approved_for_later_is_spread_ahead_and_shows_when_it_goes_live(
    client, tree, pages, approver_hanoi, editor_hanoi, django_capture_on_commit_callbacks
):
    at = timezone.now() + datetime.timedelta(hours=2)
    central = make_user("duyet_tw", ("approve_content", tree.central))  # a province's posts are approved above it
    post = _scheduled(pages["hanoi"], editor_hanoi, central, django_capture_on_commit_callbacks,
                      title="Lịch tiếp công dân tháng tới", at=at)
    assert post.live_revision_id is None
    s = _spread(post, tree.hanoi, approver_hanoi, django_capture_on_commit_callbacks,
                scope=Scope.UNITS, units=[tree.vanmieu])
    assert Delivery.objects.get(spread=s).state == D.SHOWN
    client.force_login(approver_hanoi)
    progress = client.get(f"/quan-tri/spreading/spread/{s.pk}/change/").content.decode()
    assert 'id="spread-ahead"' in progress
    client.logout()
    assert post.title not in section(client.get(tree.vanmieu.get_absolute_url()).content.decode())  # not yet
    with django_capture_on_commit_callbacks(execute=True):
        assert workflow.post_publish(post_id=post.pk, now=at + datetime.timedelta(seconds=1))
    Delivery.objects.filter(spread=s).update(changed_at=timezone.now())
    with pytest.MonkeyPatch.context() as mp:  # the page is read after the publication time
        mp.setattr(timezone, "now", lambda: at + datetime.timedelta(minutes=1))
        assert post.title in section(client.get(tree.vanmieu.get_absolute_url()).content.decode())


def test_a_draft_or_a_post_waiting_for_approval_is_not_spread(tree, pages, approver_hanoi, editor_hanoi):
    post = make_ready_post(tree.hanoi, editor_hanoi, title="Bản nháp chưa gửi duyệt")
    for _step in ("draft", "submitted"):
        with pytest.raises(services.SpreadError) as err:
            services.spread_down(post=post, from_unit=tree.hanoi, by=approver_hanoi)
        assert err.value.code == "not_live"
        if _step == "draft":
            workflow.post_submit(post=post, by=editor_hanoi)
            post.refresh_from_db()


def test_spreading_again_after_a_withdrawal_shows_the_post_once_more(
    client, tree, hanoi_post, approver_hanoi, django_capture_on_commit_callbacks
):
    first = _spread(hanoi_post, tree.hanoi, approver_hanoi, django_capture_on_commit_callbacks)
    services.spread_withdraw(spread=first, by=approver_hanoi, reason="Gửi nhầm thời điểm")
    assert section(client.get(tree.vanmieu.get_absolute_url()).content.decode()) == ""
    second = _spread(hanoi_post, tree.hanoi, approver_hanoi, django_capture_on_commit_callbacks)
    rows = Delivery.objects.filter(post=hanoi_post)
    assert rows.count() == 4 and set(rows.values_list("spread_id", "state")) == {(second.pk, D.SHOWN)}
    assert SpreadEvent.objects.get(spread=second, action="resend").data == {"resent": 4}
    assert hanoi_post.title in section(client.get(tree.vanmieu.get_absolute_url()).content.decode())
    with django_capture_on_commit_callbacks(execute=True):  # the work run again changes nothing
        assert services.spread_deliver(spread_id=second.pk) == 0
    assert rows.count() == 4 and SpreadEvent.objects.filter(spread=second, action="resend").count() == 1


def test_a_target_that_declined_is_not_sent_the_post_again(
    tree, hanoi_post, approver_hanoi, editor_vanmieu, django_capture_on_commit_callbacks
):
    first = _spread(hanoi_post, tree.hanoi, approver_hanoi, django_capture_on_commit_callbacks,
                    scope=Scope.UNITS, units=[tree.vanmieu], ask_confirmation=True)
    services.delivery_decline(delivery=first.deliveries.get(), by=editor_vanmieu, reason="Không phù hợp địa bàn")
    _spread(hanoi_post, tree.hanoi, approver_hanoi, django_capture_on_commit_callbacks)
    declined = Delivery.objects.get(post=hanoi_post, unit=tree.vanmieu)
    assert (declined.spread_id, declined.state, declined.reason) == (first.pk, D.DECLINED, "Không phù hợp địa bàn")


def test_a_withdrawn_proposal_may_be_made_again_a_declined_one_may_not(
    tree, pages, editor_vanmieu, approver_dongda, django_capture_on_commit_callbacks
):
    post = live(pages["vanmieu"], "Phường Văn Miếu ra quân làm sạch đường phố")
    with django_capture_on_commit_callbacks(execute=True):
        first = services.post_propose(post=post, to_unit=tree.dongda, by=editor_vanmieu)
    services.spread_withdraw(spread=first.spread, by=editor_vanmieu, reason="Sửa lại ảnh")
    with django_capture_on_commit_callbacks(execute=True):
        again = services.post_propose(post=post, to_unit=tree.dongda, by=editor_vanmieu)
    assert again.pk == first.pk and again.state == D.AWAITING and again.spread_id != first.spread_id
    services.delivery_decline(delivery=again, by=approver_dongda, reason="Đã có bài tương tự")
    with pytest.raises(services.SpreadError) as err:
        services.post_propose(post=post, to_unit=tree.dongda, by=editor_vanmieu)
    assert err.value.code == "duplicate"
    assert Delivery.objects.filter(post=post).count() == 1


def test_only_the_sender_withdraws(tree, hanoi_post, approver_hanoi, django_capture_on_commit_callbacks):
    s = _spread(hanoi_post, tree.hanoi, approver_hanoi, django_capture_on_commit_callbacks)
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.spread_withdraw(spread=s, by=make_user("bt_vm2", ("edit_content", tree.vanmieu)))
    assert not Delivery.objects.filter(spread=s, state=D.WITHDRAWN).exists()
