"""Proposing up: to an ancestor only, accepted or declined with a reason, audited, mailed."""

from __future__ import annotations

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied

from spreading import services
from spreading.models import Delivery, SpreadEvent
from spreading.states import DeliveryState as D
from tests.spreading.conftest import live


@pytest.fixture
def vanmieu_post(pages):
    return live(pages["vanmieu"], "Phường Văn Miếu ra quân làm sạch phố phường")


def propose(post, to, by, capture):
    with capture(execute=True):
        return services.post_propose(post=post, to_unit=to, by=by)


def section(html: str) -> str:
    start = html.find('id="from-below-h"')
    return "" if start < 0 else html[start:html.find("</section>", start)]


def test_proposal_accepted_shows_on_the_receiving_page_and_can_go_on_down(
    client, tree, vanmieu_post, editor_vanmieu, approver_hanoi, django_capture_on_commit_callbacks
):
    approver_hanoi.email = "duyet@hanoi.vn"
    approver_hanoi.save()
    editor_vanmieu.email = "bt@vanmieu.vn"
    editor_vanmieu.save()
    proposal = propose(vanmieu_post, tree.hanoi, editor_vanmieu, django_capture_on_commit_callbacks)
    assert proposal.state == D.AWAITING
    assert [m.to for m in mail.outbox] == [["duyet@hanoi.vn"]]
    assert section(client.get(tree.hanoi.get_absolute_url()).content.decode()) == ""
    with django_capture_on_commit_callbacks(execute=True):
        services.delivery_confirm(delivery=proposal, by=approver_hanoi)
    assert mail.outbox[-1].to == ["bt@vanmieu.vn"] and "[Đã nhận]" in mail.outbox[-1].subject
    box = section(client.get(tree.hanoi.get_absolute_url()).content.decode())
    assert "Tin từ Phường Văn Miếu Quốc Tử Giám" in box and vanmieu_post.title in box
    # Hà Nội accepted it, so Hà Nội may spread it down, to Ba Đình's commune say
    with django_capture_on_commit_callbacks(execute=True):
        down = services.spread_down(post=vanmieu_post, from_unit=tree.hanoi, by=approver_hanoi,
                                    scope="units", units=[tree.phucxa])
    assert Delivery.objects.get(spread=down).state == D.SHOWN
    actions = list(SpreadEvent.objects.filter(spread=proposal.spread).order_by("id").values_list("action", flat=True))
    assert actions == ["propose", "confirm"]


def test_proposal_declined_with_a_reason_the_proposer_sees(
    tree, vanmieu_post, editor_vanmieu, approver_hanoi, django_capture_on_commit_callbacks
):
    editor_vanmieu.email = "bt@vanmieu.vn"
    editor_vanmieu.save()
    proposal = propose(vanmieu_post, tree.dongda, editor_vanmieu, django_capture_on_commit_callbacks)
    with pytest.raises(services.SpreadError):
        services.delivery_decline(delivery=proposal, by=approver_hanoi, reason="")
    with django_capture_on_commit_callbacks(execute=True):
        declined = services.delivery_decline(delivery=proposal, by=approver_hanoi, reason="Tin thuần địa phương")
    assert (declined.state, declined.reason) == (D.DECLINED, "Tin thuần địa phương")
    assert "Tin thuần địa phương" in mail.outbox[-1].body
    event = SpreadEvent.objects.get(spread=proposal.spread, action="decline")
    assert (event.actor, event.reason) == (approver_hanoi, "Tin thuần địa phương")


def test_proposals_go_only_up_the_proposers_line(tree, pages, vanmieu_post, editor_vanmieu, editor_dongda):
    for sideways in (tree.langthuong, tree.badinh, tree.bacninh, tree.vanmieu, tree.phucxa):
        with pytest.raises(services.SpreadError) as err:
            services.post_propose(post=vanmieu_post, to_unit=sideways, by=editor_vanmieu)
        assert err.value.code == "not_ancestor"
    with pytest.raises(PermissionDenied):  # an editor of another unit (here: above) cannot propose it
        services.post_propose(post=live(pages["phucxa"], "Tin Phúc Xá"), to_unit=tree.hanoi, by=editor_dongda)
    assert not Delivery.objects.exists()


def test_the_same_proposal_twice_is_refused(tree, vanmieu_post, editor_vanmieu, django_capture_on_commit_callbacks):
    propose(vanmieu_post, tree.central, editor_vanmieu, django_capture_on_commit_callbacks)
    with pytest.raises(services.SpreadError) as err:
        services.post_propose(post=vanmieu_post, to_unit=tree.central, by=editor_vanmieu)
    assert err.value.code == "duplicate"
    assert Delivery.objects.count() == 1


def test_only_the_receiving_units_approvers_decide(
    tree, vanmieu_post, editor_vanmieu, editor_dongda, approver_bacninh, django_capture_on_commit_callbacks
):
    proposal = propose(vanmieu_post, tree.dongda, editor_vanmieu, django_capture_on_commit_callbacks)
    for outsider in (editor_dongda, approver_bacninh, editor_vanmieu):  # an editor, another province, the proposer
        with pytest.raises(PermissionDenied):
            services.delivery_confirm(delivery=proposal, by=outsider)
    assert Delivery.objects.get(pk=proposal.pk).state == D.AWAITING


def test_the_approvers_queue_shows_the_proposals_that_wait_for_them(
    client, tree, vanmieu_post, editor_vanmieu, approver_hanoi, django_capture_on_commit_callbacks
):
    import re

    from django.urls import reverse

    from tests.pages.conftest import make_user

    propose(vanmieu_post, tree.hanoi, editor_vanmieu, django_capture_on_commit_callbacks)
    client.force_login(approver_hanoi)
    html = client.get(reverse("admin:moderation_submission_changelist")).content.decode()
    (link,) = re.findall(r'class="vf-proposals-waiting"><a href="([^"]+)">1 bài đề xuất từ cấp dưới chờ quyết định', html)
    listing = client.get(link.replace("&amp;", "&"))
    assert [d.post_id for d in listing.context["cl"].result_list] == [vanmieu_post.pk]
    # An approver elsewhere sees no such line.
    client.force_login(make_user("duyet.bacninh", ("approve_content", tree.bacninh)))
    assert "vf-proposals-waiting" not in client.get(reverse("admin:moderation_submission_changelist")).content.decode()


def test_a_proposal_the_centre_accepts_shows_on_the_home_page(
    client, tree, vanmieu_post, editor_vanmieu, django_capture_on_commit_callbacks
):
    from tests.pages.conftest import make_user

    central_approver = make_user("duyet.trunguong", ("approve_content", tree.central))
    proposal = propose(vanmieu_post, tree.central, editor_vanmieu, django_capture_on_commit_callbacks)
    assert section(client.get("/").content.decode()) == ""
    with django_capture_on_commit_callbacks(execute=True):
        services.delivery_confirm(delivery=proposal, by=central_approver)
    box = section(client.get("/").content.decode())
    assert "Tin từ Phường Văn Miếu Quốc Tử Giám" in box and vanmieu_post.title in box
