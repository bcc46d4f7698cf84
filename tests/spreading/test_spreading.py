"""Spreading down: scopes, refusals, the delivery record, idempotent chunked work, withdrawal."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from moderation.services import post_take_down, post_withdraw
from orgunits.models import UnitKind
from spreading import services
from spreading.models import Delivery, Scope, Spread, SpreadEvent, SpreadState
from spreading.selectors import reach, spread_counts
from spreading.states import DeliveryState as D
from tests.pages.conftest import make_user
from tests.spreading.conftest import live


def spread(post, unit, by, capture, **kw) -> Spread:
    with capture(execute=True):
        result = services.spread_down(post=post, from_unit=unit, by=by, **kw)
    result.refresh_from_db()
    return result


def states(spread: Spread) -> dict[str, str]:
    return dict(Delivery.objects.filter(spread=spread).values_list("unit__name", "state"))


def test_spread_to_whole_subtree(tree, hanoi_post, approver_hanoi, django_capture_on_commit_callbacks):
    s = spread(hanoi_post, tree.hanoi, approver_hanoi, django_capture_on_commit_callbacks)
    # Láng Thượng has no community page: not a target, counted apart (not a failure).
    assert (s.state, s.targeted, s.without_page) == (SpreadState.DONE, 4, 1)
    assert states(s) == {
        "Quận Đống Đa": D.SHOWN, "Quận Ba Đình": D.SHOWN, "Phường Văn Miếu Quốc Tử Giám": D.SHOWN,
        "Phường Phúc Xá": D.SHOWN,
    }
    assert reach(spread=s) == 4
    assert list(SpreadEvent.objects.filter(spread=s).values_list("action", flat=True)) == ["finish", "spread"]


def test_spread_to_kinds(tree, hanoi_post, approver_hanoi, django_capture_on_commit_callbacks):
    s = spread(hanoi_post, tree.hanoi, approver_hanoi, django_capture_on_commit_callbacks,
               scope=Scope.KINDS, kinds=[UnitKind.DISTRICT])
    assert states(s) == {"Quận Đống Đa": D.SHOWN, "Quận Ba Đình": D.SHOWN}


def test_spread_to_chosen_units(tree, hanoi_post, approver_hanoi, django_capture_on_commit_callbacks):
    s = spread(hanoi_post, tree.hanoi, approver_hanoi, django_capture_on_commit_callbacks,
               scope=Scope.UNITS, units=[tree.vanmieu, tree.phucxa])
    assert states(s) == {"Phường Văn Miếu Quốc Tử Giám": D.SHOWN, "Phường Phúc Xá": D.SHOWN}


def test_spread_to_the_communes_of_a_chosen_district(
    tree, hanoi_post, approver_hanoi, django_capture_on_commit_callbacks
):
    s = spread(hanoi_post, tree.hanoi, approver_hanoi, django_capture_on_commit_callbacks,
               scope=Scope.UNITS, units=[tree.dongda], kinds=[UnitKind.COMMUNE])
    assert states(s) == {"Phường Văn Miếu Quốc Tử Giám": D.SHOWN}
    assert (s.targeted, s.without_page) == (1, 1)


def test_chosen_units_outside_the_subtree_are_refused(tree, hanoi_post, approver_hanoi):
    with pytest.raises(services.SpreadError) as err:
        services.spread_down(post=hanoi_post, from_unit=tree.hanoi, by=approver_hanoi, scope=Scope.UNITS,
                             units=[tree.vanmieu, tree.vuninh])
    assert "Phường Vũ Ninh" in err.value.messages[0]
    with pytest.raises(services.SpreadError):  # a unit's own self is not below it either
        services.spread_down(post=hanoi_post, from_unit=tree.hanoi, by=approver_hanoi, scope=Scope.UNITS,
                             units=[tree.hanoi])
    assert not Spread.objects.exists()


def test_nobody_spreads_outside_their_subtree(tree, pages, hanoi_post, approver_bacninh, editor_hanoi):
    with pytest.raises(PermissionDenied):  # an approver of another province
        services.spread_down(post=hanoi_post, from_unit=tree.hanoi, by=approver_bacninh)
    with pytest.raises(PermissionDenied):  # an editor is no approver
        services.spread_down(post=hanoi_post, from_unit=tree.hanoi, by=editor_hanoi)
    bacninh_post = live(pages["bacninh"], "Bắc Ninh tổ chức hội nghị")
    with pytest.raises(services.SpreadError) as err:  # someone else's post, spread "as" one's unit
        services.spread_down(post=bacninh_post, from_unit=tree.hanoi,
                             by=make_user("qt_all", ("approve_content", tree.central)))
    assert err.value.code == "not_own"
    assert not Spread.objects.filter(post=hanoi_post).exists()


def test_only_live_posts_spread(tree, pages, approver_hanoi):
    from tests.pages.conftest import make_post

    draft = make_post(pages["hanoi"], "Bản nháp")
    with pytest.raises(services.SpreadError) as err:
        services.spread_down(post=draft, from_unit=tree.hanoi, by=approver_hanoi)
    assert err.value.code == "not_live"


def test_a_target_never_gets_the_post_twice(tree, hanoi_post, approver_hanoi, django_capture_on_commit_callbacks):
    first = spread(hanoi_post, tree.hanoi, approver_hanoi, django_capture_on_commit_callbacks,
                   scope=Scope.KINDS, kinds=[UnitKind.DISTRICT])
    second = spread(hanoi_post, tree.hanoi, approver_hanoi, django_capture_on_commit_callbacks)
    assert Delivery.objects.filter(post=hanoi_post).count() == 4
    assert set(states(first)) == {"Quận Đống Đa", "Quận Ba Đình"}
    assert set(states(second)) == {"Phường Văn Miếu Quốc Tử Giám", "Phường Phúc Xá"}


def test_the_work_run_twice_and_in_small_chunks_leaves_one_row_per_target(
    tree, hanoi_post, approver_hanoi, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):  # the task is not run
        s = services.spread_down(post=hanoi_post, from_unit=tree.hanoi, by=approver_hanoi)
    assert services.spread_deliver(spread_id=s.pk, chunk_size=2) == 4
    assert services.spread_deliver(spread_id=s.pk, chunk_size=2) == 0
    assert Delivery.objects.filter(spread=s).count() == 4
    assert spread_counts(spread=s)[D.SHOWN] == 4
    assert SpreadEvent.objects.filter(spread=s, action="finish").count() == 1


def test_a_half_done_run_resumes(tree, hanoi_post, approver_hanoi, django_capture_on_commit_callbacks):
    """A worker that died after writing some rows: the rerun writes the rest, none twice."""
    with django_capture_on_commit_callbacks(execute=False):
        s = services.spread_down(post=hanoi_post, from_unit=tree.hanoi, by=approver_hanoi)
    services._materialise(s, chunk_size=2)
    Delivery.objects.filter(spread=s).order_by("id")[:1].get().delete()  # as if it never got there
    services._deliver_chunk(s, chunk_size=2)  # then died
    assert Spread.objects.get(pk=s.pk).state == SpreadState.RUNNING
    services.spread_deliver(spread_id=s.pk)
    assert Delivery.objects.filter(spread=s).count() == 4
    assert Spread.objects.get(pk=s.pk).state == SpreadState.DONE


def test_retry_of_the_failed_rows(tree, pages, hanoi_post, approver_hanoi, django_capture_on_commit_callbacks):
    from pages import services as page_services
    from pages.models import PageStatus

    with django_capture_on_commit_callbacks(execute=False):  # sent; the worker has not run yet
        s = services.spread_down(post=hanoi_post, from_unit=tree.hanoi, by=approver_hanoi)
    services._materialise(s, chunk_size=100)  # the rows are written...
    page = pages["phucxa"]
    page_services.page_set_status(page=page, status=PageStatus.SUSPENDED, by=None, reason="Tạm dừng")
    services.spread_deliver(spread_id=s.pk)  # ...then Phúc Xá's page closes before delivery: that row fails
    failed = Delivery.objects.get(spread=s, state=D.FAILED)
    assert (failed.unit, failed.error) == (tree.phucxa, "Đơn vị chưa có trang cộng đồng đang hoạt động.")
    with django_capture_on_commit_callbacks(execute=True):
        assert services.spread_retry_failed(spread=s, by=approver_hanoi) == 1  # still closed: fails again
    assert spread_counts(spread=s)[D.FAILED] == 1
    page_services.page_set_status(page=page, status=PageStatus.ACTIVE, by=None, reason="Mở lại")
    with django_capture_on_commit_callbacks(execute=True):
        assert services.spread_retry_failed(spread=s, by=approver_hanoi) == 1
    assert spread_counts(spread=s)[D.SHOWN] == 4 and spread_counts(spread=s)[D.FAILED] == 0
    with pytest.raises(PermissionDenied):
        services.spread_retry_failed(spread=s, by=make_user("other", ("approve_content", tree.bacninh)))


def test_ask_first_then_confirm_or_decline(tree, hanoi_post, approver_hanoi, editor_vanmieu, editor_dongda,
                                           django_capture_on_commit_callbacks):
    s = spread(hanoi_post, tree.hanoi, approver_hanoi, django_capture_on_commit_callbacks,
               scope=Scope.UNITS, units=[tree.vanmieu, tree.dongda], ask_confirmation=True)
    assert set(states(s).values()) == {D.AWAITING}
    vanmieu = Delivery.objects.get(spread=s, unit=tree.vanmieu)
    with pytest.raises(PermissionDenied):  # the target's editors decide, not another commune's
        services.delivery_confirm(delivery=vanmieu, by=make_user("bt_phucxa", ("edit_content", tree.phucxa)))
    assert services.delivery_confirm(delivery=vanmieu, by=editor_vanmieu).state == D.CONFIRMED
    with pytest.raises(services.SpreadError):  # confirmed once
        services.delivery_confirm(delivery=vanmieu, by=editor_vanmieu)
    dongda = Delivery.objects.get(spread=s, unit=tree.dongda)
    with pytest.raises(services.SpreadError):
        services.delivery_decline(delivery=dongda, by=editor_dongda, reason="  ")
    declined = services.delivery_decline(delivery=dongda, by=editor_dongda, reason="Trùng nội dung đã đăng")
    assert (declined.state, declined.reason) == (D.DECLINED, "Trùng nội dung đã đăng")
    assert reach(spread=s) == 1


def test_withdrawing_the_spread_ends_every_row(tree, hanoi_post, approver_hanoi, django_capture_on_commit_callbacks):
    s = spread(hanoi_post, tree.hanoi, approver_hanoi, django_capture_on_commit_callbacks)
    assert services.spread_withdraw(spread=s, by=approver_hanoi, reason="Thông tin đã cũ") == 4
    assert set(states(s).values()) == {D.WITHDRAWN}
    assert Spread.objects.get(pk=s.pk).state == SpreadState.WITHDRAWN
    with pytest.raises(services.SpreadError):
        services.spread_withdraw(spread=s, by=approver_hanoi)
    with django_capture_on_commit_callbacks(execute=True):  # a withdrawn spread is not resumed
        assert services.spread_deliver(spread_id=s.pk) == 0


@pytest.mark.parametrize("remove", ["withdraw", "take_down"])
def test_withdrawn_or_taken_down_post_leaves_the_record_but_no_page(
    remove, tree, hanoi_post, approver_hanoi, django_capture_on_commit_callbacks
):
    s = spread(hanoi_post, tree.hanoi, approver_hanoi, django_capture_on_commit_callbacks)
    central_approver = make_user("duyet_tw", ("approve_content", tree.central), ("edit_content", tree.central))
    if remove == "withdraw":
        post_withdraw(post=hanoi_post, by=approver_hanoi, reason="Rút")
    else:
        post_take_down(post=hanoi_post, by=central_approver, reason="Sai thông tin")
    assert reach(spread=s) == 0
    assert spread_counts(spread=s)[D.SHOWN] == 4  # the record keeps what was delivered


def test_the_sweep_delivers_a_spread_whose_task_was_lost(
    tree, hanoi_post, approver_hanoi, django_capture_on_commit_callbacks
):
    import datetime

    from spreading.tasks import resume_spreads_task

    with django_capture_on_commit_callbacks(execute=False):  # enqueued, never delivered
        s = services.spread_down(post=hanoi_post, from_unit=tree.hanoi, by=approver_hanoi)
    assert resume_spreads_task() == 0  # too recent: its task may still be on its way
    old = s.created_at - datetime.timedelta(minutes=11)
    Spread.objects.filter(pk=s.pk).update(created_at=old)
    SpreadEvent.objects.filter(spread=s).update(at=old)
    assert resume_spreads_task() == 4
    assert Spread.objects.get(pk=s.pk).state == SpreadState.DONE
