"""The staff side: unit admins manage their own unit's connections only; editors see, on the
post, what became of it on each channel."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.urls import reverse

from channels.models import ChannelConnection, ChannelDelivery, ConnectionStatus, Platform
from channels.services import connection_save
from tests.pages.conftest import make_user

from .conftest import FB_TOKEN, publish

pytestmark = pytest.mark.django_db

NEW_TOKEN = "EAAG-brand-new-page-token-0042"  # noqa: S105


@pytest.fixture
def badinh_connection(tree):
    return connection_save(
        connection=ChannelConnection(unit=tree.badinh, platform=Platform.FACEBOOK, external_id="5566778899",
                                     name="MTTQ quận Ba Đình"),
        by=None, access_token="EAAG-badinh-secret-token-1234",
    )


def _object_urls(obj) -> list[str]:
    urls = []
    for pattern in admin.site._registry[ChannelConnection].urls:
        if pattern.name and "object_id" in pattern.pattern.converters:
            urls.append(reverse(f"admin:{pattern.name}", kwargs={"object_id": obj.pk}))
    return urls


def test_a_unit_admin_of_another_unit_gets_404_on_every_url_of_the_connection(client, tree, fb_connection):
    client.force_login(make_user("qt.badinh", ("admin_unit", tree.badinh)))
    urls = _object_urls(fb_connection)
    assert len(urls) >= 3  # change, history, delete at least
    for url in urls:
        assert client.get(url).status_code == 404, url
        assert client.post(url, {"name": "Chiếm quyền", "external_id": "1"}).status_code == 404, url
    assert ChannelConnection.objects.get(pk=fb_connection.pk).name == "MTTQ quận Đống Đa"
    listing = client.get(reverse("admin:channels_channelconnection_changelist"))
    assert listing.status_code == 200
    assert "MTTQ quận Đống Đa" not in listing.content.decode()


def test_an_editor_who_is_not_unit_admin_sees_no_connection(client, tree, fb_connection):
    client.force_login(make_user("bt.dongda2", ("edit_content", tree.dongda)))
    assert client.get(reverse("admin:channels_channelconnection_changelist")).status_code == 403
    for url in _object_urls(fb_connection):
        assert client.get(url).status_code == 404, url


def test_the_unit_admin_manages_their_connection_and_never_sees_the_token(
    client, tree, fb_connection, badinh_connection, django_assert_max_num_queries
):
    client.force_login(make_user("qt.dongda", ("admin_unit", tree.dongda)))
    with django_assert_max_num_queries(12):
        listing = client.get(reverse("admin:channels_channelconnection_changelist"))
    html = listing.content.decode()
    assert listing.status_code == 200
    assert "MTTQ quận Đống Đa" in html and "MTTQ quận Ba Đình" not in html
    assert "Đang hoạt động" in html and "••••9c" not in html

    url = reverse("admin:channels_channelconnection_change", args=[fb_connection.pk])
    page = client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert FB_TOKEN not in html and fb_connection.access_token_enc not in html
    assert "••••9c" not in html and "••••" in html  # the hint: the last four characters only
    assert FB_TOKEN[-4:] in html

    # A new token repairs a broken connection; leaving the field blank keeps the stored one.
    ChannelConnection.objects.filter(pk=fb_connection.pk).update(status=ConnectionStatus.BROKEN)
    response = client.post(url, {"external_id": "1122334455", "name": "Trang MTTQ Đống Đa", "access_token": NEW_TOKEN})
    assert response.status_code == 302
    connection = ChannelConnection.objects.get(pk=fb_connection.pk)
    assert connection.status == ConnectionStatus.ACTIVE and connection.token_hint == "••••0042"
    assert NEW_TOKEN not in connection.access_token_enc
    client.post(url, {"external_id": "1122334455", "name": "Trang MTTQ Đống Đa"})
    assert ChannelConnection.objects.get(pk=fb_connection.pk).access_token_enc == connection.access_token_enc


def test_connecting_without_a_key_is_refused_with_a_clear_message(client, tree, settings):
    settings.VIETFRONT_CHANNEL_KEY = ""
    client.force_login(make_user("qt.dongda", ("admin_unit", tree.dongda)))
    response = client.post(reverse("admin:channels_channelconnection_add"), {
        "unit": tree.dongda.pk, "platform": Platform.FACEBOOK, "external_id": "1122334455", "access_token": FB_TOKEN,
    })
    assert response.status_code == 200
    assert "Chưa cấu hình khóa mã hóa VIETFRONT_CHANNEL_KEY" in response.content.decode()
    assert not ChannelConnection.objects.exists()


def test_a_unit_admin_cannot_connect_another_units_channel(client, tree):
    client.force_login(make_user("qt.dongda", ("admin_unit", tree.dongda)))
    add = reverse("admin:channels_channelconnection_add")
    refused = client.post(add, {"unit": tree.badinh.pk, "platform": Platform.FACEBOOK, "external_id": "1",
                                "access_token": FB_TOKEN})
    assert refused.status_code == 200 and not ChannelConnection.objects.exists()
    accepted = client.post(add, {"unit": tree.vanmieu.pk, "platform": Platform.ZALO, "external_id": "42",
                                 "access_token": "zalo-token-vanmieu-0001"})
    assert accepted.status_code == 302
    assert ChannelConnection.objects.get().unit == tree.vanmieu  # a unit below: the role holds for the subtree


def test_disconnect_forgets_the_tokens(client, tree, fb_connection):
    client.force_login(make_user("qt.dongda", ("admin_unit", tree.dongda)))
    response = client.post(reverse("admin:channels_channelconnection_changelist"), {
        "action": "disconnect_selected", "_selected_action": [fb_connection.pk],
    })
    assert response.status_code == 302
    connection = ChannelConnection.objects.get(pk=fb_connection.pk)
    assert connection.status == ConnectionStatus.DISCONNECTED
    assert connection.access_token_enc == "" and connection.token_hint == ""


def test_the_post_form_shows_each_channel_waiting_posted_or_failed(
    client, draft, people, tree, fb_connection, zalo_connection, graph, zalo, django_capture_on_commit_callbacks
):
    zalo.expired.add(next(iter(zalo.tokens)))
    zalo.refresh_tokens.clear()
    post = publish(draft, people, django_capture_on_commit_callbacks)
    fb = ChannelDelivery.objects.get(post=post, connection=fb_connection)
    client.force_login(people.editor)
    html = client.get(reverse("admin:pages_post_change", args=[post.pk])).content.decode()
    assert "Facebook và Zalo" in html
    assert "Đã đăng" in html and f'href="{fb.remote_url}"' in html and "Xem trên kênh" in html
    assert "Không đăng được" in html and "Không gia hạn được mã truy cập Zalo OA" in html

    ChannelDelivery.objects.filter(pk=fb.pk).update(state="pending")
    html = client.get(reverse("admin:pages_post_change", args=[post.pk])).content.decode()
    assert "Đang chờ" in html


def test_an_editor_sends_again_what_failed_and_no_one_else_can(
    client, draft, people, tree, fb_connection, graph, django_capture_on_commit_callbacks
):
    graph.fail_next("permission")
    post = publish(draft, people, django_capture_on_commit_callbacks)
    delivery = ChannelDelivery.objects.get(post=post)
    assert delivery.state == "failed" and "thiếu quyền" in delivery.message
    changelist = reverse("admin:channels_channeldelivery_changelist")
    change = reverse("admin:channels_channeldelivery_change", args=[delivery.pk])

    client.force_login(people.other_editor)  # edits Ba Đình
    assert client.get(change).status_code == 404
    client.post(changelist, {"action": "send_again", "_selected_action": [delivery.pk]})
    assert ChannelDelivery.objects.get(pk=delivery.pk).state == "failed"

    client.force_login(people.editor)
    assert client.get(change).status_code == 200
    client.post(change, {"message": "sửa tay", "state": "posted"})  # every field is read-only
    assert ChannelDelivery.objects.get(pk=delivery.pk).state == "failed"
    assert ChannelDelivery.objects.get(pk=delivery.pk).message == delivery.message
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(changelist, {"action": "send_again", "_selected_action": [delivery.pk]})
    assert response.status_code == 302
    delivery.refresh_from_db()
    assert delivery.state == "posted" and len(graph.posts) == 1
