"""The dashboard's reach tables: spreads down, proposals up, and the channels' figures per
unit, inside the viewer's subtree only, exported as the other tables."""

from __future__ import annotations

import csv
import io

import pytest
from cryptography.fernet import Fernet
from django.urls import reverse

from channels.models import ChannelConnection, ChannelDelivery, DeliveryState, Platform
from channels.services import connection_save
from spreading import services as spreading
from tests.pages.conftest import make_user
from tests.spreading.conftest import live


@pytest.fixture
def world(tree, settings, django_capture_on_commit_callbacks):
    from pages import services as page_services

    settings.VIETFRONT_CHANNEL_KEY = Fernet.generate_key().decode()
    pages = {n: page_services.page_create(unit=getattr(tree, n), by=None, activate=True)
             for n in ("hanoi", "dongda", "vanmieu", "bacninh")}
    approver = make_user("duyet_hn", ("approve_content", tree.hanoi))
    post = live(pages["hanoi"], "Hà Nội <b>phát động</b> tháng cao điểm")
    with django_capture_on_commit_callbacks(execute=True):
        spreading.spread_down(post=post, from_unit=tree.hanoi, by=approver)
        proposal = spreading.post_propose(post=live(pages["vanmieu"], "Văn Miếu ra quân"), to_unit=tree.dongda,
                                          by=make_user("bt_vm", ("edit_content", tree.vanmieu)))
    spreading.delivery_confirm(delivery=proposal, by=make_user("duyet_dd", ("approve_content", tree.dongda)))
    connection = connection_save(
        connection=ChannelConnection(unit=tree.dongda, platform=Platform.FACEBOOK, external_id="1122",
                                     name="MTTQ quận Đống Đa"), by=None, access_token="EAAG-test")  # noqa: S106
    # Figures as the insights task stores them (its reading is tested in tests/channels).
    ChannelDelivery.objects.create(post=post, connection=connection, state=DeliveryState.POSTED,
                                   figures={"reach": 1200, "reactions": 35, "clicks": 8})
    return {"post": post, "approver": approver}


def _table(html: str, key: str) -> str:
    start = html.index(f'id="bang-{key}"')
    return html[start:html.index("</table>", start)]


def test_the_province_sees_its_spreads_proposals_and_channels(client, tree, world):
    client.force_login(world["approver"])
    html = client.get(reverse("rollout:dashboard")).content.decode()
    spreads = _table(html, "lan-toa")
    assert "Hà Nội &lt;b&gt;phát động&lt;/b&gt; tháng cao điểm" in spreads  # escaped, as every cell
    # targeted 3 pages (Đống Đa, Văn Miếu; Láng Thượng, Ba Đình, Phúc Xá have none), showing 2, 100%
    assert '<td class="t-int">2</td><td class="t-int">3</td><td class="t-int">2</td><td class="t-pct">100,0</td>' in spreads
    proposals = _table(html, "de-xuat")
    assert "Phường Văn Miếu Quốc Tử Giám" in proposals
    assert '<td class="t-int">1</td><td class="t-int">1</td><td class="t-int">0</td><td class="t-int">0</td>' in proposals
    channels = _table(html, "kenh")
    assert "Quận Đống Đa" in channels
    assert ('<td class="t-int">1</td><td class="t-int">1.200</td><td class="t-int">0</td><td class="t-int">35</td>'
            '<td class="t-int">8</td><td class="t-int">0</td>') in channels


def test_another_province_sees_none_of_it(client, tree, world):
    client.force_login(make_user("duyet_bn", ("approve_content", tree.bacninh)))
    html = client.get(reverse("rollout:dashboard")).content.decode()
    for key in ("lan-toa", "de-xuat", "kenh"):
        assert "Chưa có số liệu." in _table(html, key), key
    assert "phát động" not in html and "Quận Đống Đa" not in html
    for key in ("lan-toa", "kenh"):
        body = client.get(reverse("rollout:export", args=[key, "csv"])).content.decode("utf-8-sig")
        assert len(list(csv.reader(io.StringIO(body)))) == 1, body  # the header only


def test_the_exports_hold_the_rows(client, tree, world):
    client.force_login(world["approver"])
    body = client.get(reverse("rollout:export", args=["kenh", "csv"])).content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(body)))
    assert rows[0][:3] == ["Đơn vị", "Bài đang có trên kênh", "Tiếp cận (Facebook)"]
    assert rows[1][:3] == ["Quận Đống Đa", "1", "1200"] or rows[1][:3] == ["Quận Đống Đa", "1", "1.200"]
    xlsx = client.get(reverse("rollout:export", args=["lan-toa", "xlsx"]))
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
