"""The staff side: send, propose, progress, decide; and a walker of every new admin URL as
users of the right unit, of another unit, and of no role, with the exact answers."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from spreading import services
from spreading.models import Delivery, Spread, SpreadState
from spreading.states import DeliveryState as D
from tests.pages.conftest import make_user
from tests.spreading.conftest import live


@pytest.fixture
def world(tree, pages, hanoi_post, approver_hanoi, editor_vanmieu, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        spread = services.spread_down(post=hanoi_post, from_unit=tree.hanoi, by=approver_hanoi,
                                      scope="units", units=[tree.vanmieu, tree.langthuong], ask_confirmation=True)
    vanmieu_post = live(pages["vanmieu"], "Phường Văn Miếu ra quân")
    return {
        "spread": spread, "post": hanoi_post, "vanmieu_post": vanmieu_post,
        "delivery": Delivery.objects.get(spread=spread, unit=tree.vanmieu),
    }


def urls(world) -> dict[str, str]:
    return {
        "send": reverse("admin:spreading_spread_send") + f"?post={world['post'].pk}",
        "propose": reverse("admin:spreading_spread_propose") + f"?post={world['vanmieu_post'].pk}",
        "progress": reverse("admin:spreading_spread_change", args=[world["spread"].pk]),
        "decide": reverse("admin:spreading_delivery_decide", args=[world["delivery"].pk]),
    }


# Who gets what on each URL: the sender (Hà Nội's approver), the target commune's editor, an
# approver of another province, an editor of Hà Nội (no right to send). Roles hold for the
# subtree: Hà Nội's editors are editors of the commune too, and may confirm for its page.
EXPECTED = {
    "duyet_hanoi": {"send": 200, "propose": 200, "progress": 200, "decide": 200},
    "bt_vanmieu": {"send": 404, "propose": 200, "progress": 404, "decide": 200},
    "duyet_bacninh": {"send": 404, "propose": 404, "progress": 404, "decide": 404},
    "bt_hanoi": {"send": 404, "propose": 200, "progress": 200, "decide": 200},
}


@pytest.mark.parametrize("username", list(EXPECTED))
def test_the_walker(client, world, approver_hanoi, editor_vanmieu, approver_bacninh, editor_hanoi, username):
    from django.contrib.auth import get_user_model

    client.force_login(get_user_model().objects.get(username=username))
    for name, url in urls(world).items():
        assert client.get(url).status_code == EXPECTED[username][name], (username, name)
        if EXPECTED[username][name] == 404:  # a POST is refused alike, and changes nothing
            assert client.post(url, {"action": "withdraw", "reason": "x"}).status_code == 404, (username, name)
    assert Spread.objects.get(pk=world["spread"].pk).state == SpreadState.DONE


def test_unknown_ids_are_404_and_strangers_are_sent_to_log_in(client, world, approver_hanoi):
    client.force_login(approver_hanoi)
    for url in (reverse("admin:spreading_spread_send") + "?post=999999", reverse("admin:spreading_spread_send"),
                reverse("admin:spreading_spread_send") + "?post=abc",
                reverse("admin:spreading_spread_change", args=[999999]),
                reverse("admin:spreading_delivery_decide", args=[999999])):
        assert client.get(url).status_code == 404, url
    client.logout()
    client.force_login(make_user("dan", staff=False))
    for url in urls(world).values():
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("admin:login"))


def test_an_editor_who_may_see_the_progress_may_not_withdraw(client, world, editor_hanoi):
    client.force_login(editor_hanoi)
    response = client.post(urls(world)["progress"], {"action": "withdraw", "reason": "x"}, follow=True)
    assert "Bạn không có quyền với đợt lan tỏa này." in response.content.decode()
    assert Spread.objects.get(pk=world["spread"].pk).state == SpreadState.DONE


def test_send_through_the_form_then_progress_retry_and_withdraw(
    client, tree, world, approver_hanoi, django_capture_on_commit_callbacks
):
    from pages import services as page_services
    from pages.models import PageStatus

    client.force_login(approver_hanoi)
    post = live(world["post"].page, "Hà Nội gửi thư chúc mừng")
    with django_capture_on_commit_callbacks(execute=False):  # sent; the worker runs below
        response = client.post(reverse("admin:spreading_spread_send") + f"?post={post.pk}", {
            "from_unit": tree.hanoi.pk, "scope": "kinds", "kinds": ["commune"],
        })
    spread = Spread.objects.get(post=post)
    assert response.status_code == 302 and response["Location"] == urls({**world, "spread": spread})["progress"]
    services._materialise(spread, chunk_size=100)  # the rows are written, then a page closes
    phucxa = world["post"].page.__class__.objects.get(unit=tree.phucxa)
    page_services.page_set_status(page=phucxa, status=PageStatus.SUSPENDED, by=None, reason="Tạm dừng")
    services.spread_deliver(spread_id=spread.pk)  # Phúc Xá's page closed in between
    page = client.get(response["Location"]).content.decode()
    assert 'data-state="shown"><a href="?state=shown">Đang hiển thị<strong>1</strong>' in page
    assert 'data-state="failed"><a href="?state=failed">Lỗi<strong>1</strong>' in page
    # Láng Thượng has no page: not a target, not a failure, said apart.
    assert ('<p id="spread-without-page">1 đơn vị trong phạm vi đã chọn chưa có trang cộng đồng đang hoạt động '
            'nên không được gửi.</p>') in page
    failed = client.get(response["Location"] + "?state=failed").content.decode()
    assert "Phường Phúc Xá" in failed and "Phường Văn Miếu" not in failed.split('id="spread-rows"')[1]
    page_services.page_set_status(page=phucxa, status=PageStatus.ACTIVE, by=None, reason="Mở lại")
    with django_capture_on_commit_callbacks(execute=True):
        client.post(response["Location"], {"action": "retry"})
    assert Delivery.objects.get(spread=spread, unit=tree.phucxa).state == D.SHOWN
    assert not Delivery.objects.filter(spread=spread, unit=tree.langthuong).exists()
    client.post(response["Location"], {"action": "withdraw", "reason": "Nhầm"})
    assert set(spread.deliveries.values_list("state", flat=True)) == {D.WITHDRAWN}


def test_the_form_refuses_units_outside_and_says_why(client, tree, world, approver_hanoi):
    client.force_login(approver_hanoi)
    response = client.post(urls(world)["send"], {"from_unit": tree.hanoi.pk, "scope": "units",
                                                 "units": [tree.vuninh.pk]})
    assert response.status_code == 200
    assert "Phường Vũ Ninh" not in Delivery.objects.values_list("unit__name", flat=True)
    assert f"Hãy chọn một lựa chọn hợp lệ. {tree.vuninh.pk} không phải" in response.content.decode()
    assert not Spread.objects.exclude(pk=world["spread"].pk).exists()


def test_the_unit_picker_offers_only_where_the_user_may_send(client, tree, world, approver_hanoi, approver_bacninh,
                                                             editor_vanmieu):
    url = reverse("admin:autocomplete") + "?app_label=spreading&model_name=delivery&field_name=unit&term=Phường"

    def names(user):
        client.force_login(user)
        response = client.get(url)
        return response.status_code, sorted(r["text"] for r in json.loads(response.content)["results"]) \
            if response.status_code == 200 else []

    status, found = names(approver_hanoi)
    assert status == 200 and found and all("Vũ Ninh" not in n for n in found)
    status, found = names(approver_bacninh)
    assert status == 200 and found and all("Vũ Ninh" in n for n in found)
    assert names(editor_vanmieu)[0] == 403


def test_target_editor_confirms_and_the_list_shows_only_their_page(client, tree, world, editor_vanmieu):
    client.force_login(editor_vanmieu)
    listing = client.get(reverse("admin:spreading_delivery_changelist")).content.decode()
    assert world["post"].title in listing and "Phường Láng Thượng" not in listing
    response = client.post(urls(world)["decide"], {"action": "confirm"})
    assert response.status_code == 302
    assert Delivery.objects.get(pk=world["delivery"].pk).state == D.CONFIRMED


def test_post_list_actions_lead_to_the_forms(client, world, approver_hanoi):
    client.force_login(approver_hanoi)
    response = client.post(reverse("admin:pages_post_changelist"), {
        "action": "spread_down_action", "_selected_action": [world["post"].pk]})
    assert response.status_code == 302 and response["Location"] == urls(world)["send"]


def test_figures_per_spread_and_per_unit_with_exports(
    client, tree, world, approver_hanoi, approver_bacninh, editor_vanmieu, django_capture_on_commit_callbacks,
    django_assert_max_num_queries,
):
    services.delivery_decline(delivery=world["delivery"], by=editor_vanmieu, reason="Không phù hợp")
    with django_capture_on_commit_callbacks(execute=True):
        proposal = services.post_propose(post=world["vanmieu_post"], to_unit=tree.dongda, by=editor_vanmieu)
    services.delivery_confirm(delivery=proposal, by=make_user("duyet_dd", ("approve_content", tree.dongda)))
    url = reverse("admin:spreading_spread_figures")
    client.force_login(approver_hanoi)
    with django_assert_max_num_queries(12):
        page = client.get(url).content.decode()
    spreads = page[page.index('id="table-lan-toa"'):page.index('id="table-de-xuat"')]
    # targeted 1 (Láng Thượng has no page: counted apart), showing 0 (declined), 0%
    assert '<td class="t-int">1</td><td class="t-int">1</td><td class="t-int">0</td><td class="t-pct">0,0</td>' in spreads
    assert '<td class="t-int">0</td><td class="t-int">1</td><td class="t-int">0</td><td class="t-int">0</td>' in spreads
    proposals = page[page.index('id="table-de-xuat"'):]
    assert "Phường Văn Miếu Quốc Tử Giám" in proposals
    assert '<td class="t-int">1</td><td class="t-int">1</td><td class="t-int">0</td><td class="t-int">0</td>' in proposals
    csv = client.get(url + "?xuat=csv&bang=lan-toa")
    assert csv.status_code == 200 and csv["Content-Type"].startswith("text/csv")
    assert world["post"].title in csv.content.decode("utf-8-sig")
    assert client.get(url + "?xuat=xlsx&bang=de-xuat").status_code == 200
    assert client.get(url + "?xuat=pdf&bang=lan-toa").status_code == 404
    client.force_login(approver_bacninh)  # another province sees none of it
    other = client.get(url).content.decode()
    assert world["post"].title not in other and "Phường Văn Miếu" not in other
    client.force_login(make_user("khong_vai_tro"))
    assert client.get(url).status_code == 403
