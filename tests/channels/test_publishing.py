"""Publishing out to Facebook and Zalo against the local fake servers."""

from __future__ import annotations

import datetime
import logging

import pytest
from django.core import mail
from django.db import connection as db
from django.utils import timezone
from PIL import Image

from channels import services
from channels.models import ChannelConnection, ChannelDelivery, ConnectionStatus, DeliveryState
from channels.tasks import deliver_task
from moderation import services as workflow
from tests.moderation.workflow_fixtures import make_post
from tests.pages.conftest import make_user

from .conftest import FB_TOKEN, ZALO_REFRESH, ZALO_TOKEN, publish

pytestmark = pytest.mark.django_db
S = DeliveryState


def _delivery(post, conn) -> ChannelDelivery:
    return ChannelDelivery.objects.get(post=post, connection=conn)


def test_a_publish_posts_once_to_each_channel_of_the_unit(
    draft, people, fb_connection, zalo_connection, graph, zalo, django_capture_on_commit_callbacks
):
    post = publish(draft, people, django_capture_on_commit_callbacks)
    assert post.live_revision is not None

    fb, za = _delivery(post, fb_connection), _delivery(post, zalo_connection)
    assert (fb.state, za.state) == (S.POSTED, S.POSTED)
    assert len(graph.calls("POST", "/photos")) == 1  # a cover: a photo post with the text as caption
    sent = graph.calls("POST", "/photos")[0]
    assert sent["headers"]["authorization"] == f"Bearer {FB_TOKEN}"
    assert sent["body"]["caption"].startswith(post.live_revision.title)
    assert f"https://trangcongdong.example.vn{post.get_absolute_url()}" in sent["body"]["caption"]
    assert fb.remote_id in graph.posts and fb.remote_url == f"https://www.facebook.com/{fb.remote_id}"
    assert len(zalo.calls("POST", "/article/create")) == 1
    article = zalo.articles[za.remote_id]
    assert article["title"] == post.live_revision.title and article["description"] == post.live_revision.summary
    assert article["cover"]["photo_url"].startswith("https://trangcongdong.example.vn/media/channels/covers/")

    # The task run again (a redelivered message, a second worker): nothing more goes out.
    for delivery in (fb, za):
        deliver_task.apply(args=[delivery.pk])
        services.delivery_send(delivery_id=delivery.pk)
    assert services.deliveries_prepare(post_id=post.pk) == []
    assert len(graph.calls("POST", "/photos")) == 1 and len(zalo.calls("POST", "/article/create")) == 1
    assert ChannelDelivery.objects.filter(post=post).count() == 2


def test_a_claimed_delivery_is_not_sent_by_a_second_run(draft, people, fb_connection, graph, django_capture_on_commit_callbacks):
    fb_connection.status = ConnectionStatus.BROKEN  # keep the publish from sending
    fb_connection.save()
    post = publish(draft, people, django_capture_on_commit_callbacks)
    ChannelConnection.objects.filter(pk=fb_connection.pk).update(status=ConnectionStatus.ACTIVE)
    delivery_id = services.deliveries_prepare(post_id=post.pk)[0]
    # A first worker has claimed the row and is talking to Facebook right now.
    ChannelDelivery.objects.filter(pk=delivery_id).update(state=S.SENDING, claim="w1", claimed_at=timezone.now())
    assert services.delivery_send(delivery_id=delivery_id).done
    assert graph.calls("POST", "/photos") == []


def test_without_a_channel_nothing_is_attempted(draft, people, graph, zalo, django_capture_on_commit_callbacks):
    publish(draft, people, django_capture_on_commit_callbacks)
    assert ChannelDelivery.objects.count() == 0
    assert graph.requests == [] and zalo.requests == []


@pytest.mark.parametrize("failure", ["http_429", "rate_limit", "server_error"])
def test_a_rate_limit_or_server_error_retries_later_and_succeeds(
    failure, draft, people, fb_connection, graph, django_capture_on_commit_callbacks
):
    fb_connection.status = ConnectionStatus.BROKEN
    fb_connection.save()
    post = publish(draft, people, django_capture_on_commit_callbacks)
    ChannelConnection.objects.filter(pk=fb_connection.pk).update(status=ConnectionStatus.ACTIVE)
    delivery_id = services.deliveries_prepare(post_id=post.pk)[0]

    graph.fail_next(failure)
    outcome = services.delivery_send(delivery_id=delivery_id, retries=2)
    assert not outcome.done
    if failure == "http_429":
        assert outcome.retry_in == 1.0  # the platform's Retry-After
    else:
        assert 60 <= outcome.retry_in <= 120  # back-off 30·2² with jitter in [cap/2, cap]
    delivery = ChannelDelivery.objects.get(pk=delivery_id)
    assert delivery.state == S.PENDING and "thử lại" in delivery.message
    assert ChannelConnection.objects.get(pk=fb_connection.pk).status == ConnectionStatus.ACTIVE

    assert services.delivery_send(delivery_id=delivery_id).done  # the retry, later
    delivery.refresh_from_db()
    assert delivery.state == S.POSTED and delivery.attempts == 2
    assert len(graph.calls("POST", "/photos")) == 2  # the refused one and the one that went through
    assert len(graph.posts) == 1


def test_the_task_retries_a_429_and_posts(draft, people, fb_connection, graph, django_capture_on_commit_callbacks):
    fb_connection.status = ConnectionStatus.BROKEN
    fb_connection.save()
    post = publish(draft, people, django_capture_on_commit_callbacks)
    ChannelConnection.objects.filter(pk=fb_connection.pk).update(status=ConnectionStatus.ACTIVE)
    delivery_id = services.deliveries_prepare(post_id=post.pk)[0]
    graph.fail_next("http_429")
    # Eagerly, Celery runs the retry at once instead of after its countdown.
    result = deliver_task.apply(args=[delivery_id], throw=False)
    assert result.get() is True
    delivery = ChannelDelivery.objects.get(pk=delivery_id)
    assert delivery.state == S.POSTED and delivery.attempts == 2
    assert len(graph.posts) == 1


def test_an_expired_token_marks_the_connection_broken_and_tells_the_unit_admin(
    draft, people, tree, fb_connection, graph, django_capture_on_commit_callbacks
):
    admin = make_user("qt.dongda", ("admin_unit", tree.dongda))
    admin.email = "qt.dongda@mattran.example.vn"
    admin.save()
    graph.expired.add(FB_TOKEN)
    mail.outbox.clear()
    post = publish(draft, people, django_capture_on_commit_callbacks)

    delivery = _delivery(post, fb_connection)
    assert delivery.state == S.FAILED and "hết hạn" in delivery.message
    assert len(graph.calls("POST", "/photos")) == 1  # no retry on a permanent error
    connection = ChannelConnection.objects.get(pk=fb_connection.pk)
    assert connection.status == ConnectionStatus.BROKEN
    broken_mails = [m for m in mail.outbox if m.subject.startswith("[Kênh lỗi]")]
    assert [m.to for m in broken_mails] == [["qt.dongda@mattran.example.vn"]]
    assert FB_TOKEN not in broken_mails[0].body

    # The next post of the unit is not even tried on the broken channel.
    second = make_post(tree.dongda, people.editor, title="Hội nghị hiệp thương lần thứ nhất")
    publish(second, people, django_capture_on_commit_callbacks)
    assert not ChannelDelivery.objects.filter(post=second).exists()
    assert len(graph.requests) == 1


def test_an_expired_zalo_token_is_refreshed_once_and_the_article_goes_out(
    draft, people, zalo_connection, zalo, django_capture_on_commit_callbacks
):
    zalo.expired.add(ZALO_TOKEN)
    post = publish(draft, people, django_capture_on_commit_callbacks)
    assert _delivery(post, zalo_connection).state == S.POSTED
    connection = ChannelConnection.objects.get(pk=zalo_connection.pk)
    assert connection.status == ConnectionStatus.ACTIVE and connection.token_expires_at is not None
    assert ZALO_REFRESH not in zalo.refresh_tokens  # spent; the new pair is stored encrypted
    assert connection.token_hint == "••••cess"
    assert len(zalo.calls("POST", "/v4/oa/access_token")) == 1


def test_a_zalo_refresh_refused_breaks_the_connection(draft, people, zalo_connection, zalo,
                                                      django_capture_on_commit_callbacks):
    zalo.expired.add(ZALO_TOKEN)
    zalo.refresh_tokens.clear()
    post = publish(draft, people, django_capture_on_commit_callbacks)
    assert _delivery(post, zalo_connection).state == S.FAILED
    assert ChannelConnection.objects.get(pk=zalo_connection.pk).status == ConnectionStatus.BROKEN
    assert zalo.calls("POST", "/article/create") == [zalo.requests[0]]


def test_a_summary_too_long_for_zalo_gets_a_vietnamese_message_and_nothing_is_sent(
    tree, people, zalo_connection, fb_connection, zalo, graph, django_capture_on_commit_callbacks
):
    from .conftest import make_cover

    summary = ("Ủy ban MTTQ quận Đống Đa tổ chức hội nghị tổng kết công tác Mặt trận năm nay, "
               "biểu dương các khu dân cư tiêu biểu. ") * 4
    post = make_post(tree.dongda, people.editor, summary=summary.strip(), cover=make_cover(tree.dongda))
    post = publish(post, people, django_capture_on_commit_callbacks)

    delivery = _delivery(post, zalo_connection)
    assert delivery.state == S.FAILED
    assert delivery.message == (
        f"Sapo dài {len(post.live_revision.summary)} ký tự; Zalo chỉ nhận mô tả tối đa 300 ký tự. "
        "Hãy rút gọn sapo rồi gửi duyệt lại."
    )
    assert zalo.calls("POST", "/article/create") == []
    assert _delivery(post, fb_connection).state == S.POSTED  # Facebook takes it as it is


def test_zalo_limits_name_every_field_that_does_not_fit():
    from channels.content import ContentRefused, Outgoing, zalo_article

    item = Outgoing(title="Đ" * 151, summary="S" * 301, body_html="<p>x</p>", link="https://x.vn/a",
                    author="Ủy ban Mặt trận Tổ quốc Việt Nam phường Văn Miếu Quốc Tử Giám", cover_url="")
    with pytest.raises(ContentRefused) as refused:
        zalo_article(item)
    assert refused.value.messages == [
        "Tiêu đề dài 151 ký tự; Zalo chỉ nhận tối đa 150 ký tự. Hãy rút gọn tiêu đề rồi gửi duyệt lại.",
        "Sapo dài 301 ký tự; Zalo chỉ nhận mô tả tối đa 300 ký tự. Hãy rút gọn sapo rồi gửi duyệt lại.",
        "Dòng tác giả dài 61 ký tự; Zalo chỉ nhận tối đa 50 ký tự.",
        "Bài đăng Zalo cần ảnh đại diện.",
    ]
    fitting = Outgoing(title="Đ" * 150, summary="S" * 300, body_html="<p>x</p>", link="https://x.vn/a",
                       author="MTTQ Đống Đa", cover_url="https://x.vn/c.jpg")
    assert zalo_article(fitting)["title"] == "Đ" * 150


def test_the_zalo_cover_is_a_jpeg_rendition_under_one_megabyte(tree, people, zalo_connection, zalo, settings,
                                                               django_capture_on_commit_callbacks):
    from .conftest import make_cover

    cover = make_cover(tree.dongda, size=(2400, 1600))
    assert cover.file.size > 1024 * 1024
    post = publish(make_post(tree.dongda, people.editor, cover=cover), people, django_capture_on_commit_callbacks)
    delivery = _delivery(post, zalo_connection)
    assert delivery.state == S.POSTED
    url = zalo.articles[delivery.remote_id]["cover"]["photo_url"]
    path = settings.MEDIA_ROOT / url.split("/media/", 1)[1]
    assert path.stat().st_size <= 1024 * 1024
    with Image.open(path) as image:
        assert image.format == "JPEG" and image.width <= 1280


def test_withdraw_and_take_down_delete_the_remote_posts(
    draft, people, fb_connection, zalo_connection, graph, zalo, django_capture_on_commit_callbacks
):
    post = publish(draft, people, django_capture_on_commit_callbacks)
    assert len(graph.posts) == 1 and len(zalo.articles) == 1
    with django_capture_on_commit_callbacks(execute=True):
        workflow.post_withdraw(post=post, by=people.editor, reason="Sai thông tin")
    assert graph.posts == {} and zalo.articles == {}
    assert set(ChannelDelivery.objects.filter(post=post).values_list("state", flat=True)) == {S.REMOVED}
    assert len(graph.calls("DELETE", _delivery(post, fb_connection).remote_id)) == 1

    # Approved and published again: posted again, once.
    post = publish(post, people, django_capture_on_commit_callbacks)
    assert len(graph.posts) == 1 and len(zalo.articles) == 1
    with django_capture_on_commit_callbacks(execute=True):
        workflow.post_take_down(post=post, by=people.approver, reason="Yêu cầu của cơ quan chức năng")
    assert graph.posts == {} and zalo.articles == {}


def test_a_lost_answer_after_the_platform_accepted_is_never_sent_twice(
    draft, people, fb_connection, graph, settings, django_capture_on_commit_callbacks
):
    settings.VIETFRONT_CHANNEL_HTTP_TIMEOUT = 0.5
    graph.drop_seconds = 1.5
    graph.fail_next("drop")
    post = publish(draft, people, django_capture_on_commit_callbacks)
    delivery = _delivery(post, fb_connection)
    assert delivery.state == S.UNCERTAIN and "có thể đã lên kênh" in delivery.message
    assert len(graph.posts) == 1  # Facebook has it
    deliver_task.apply(args=[delivery.pk])
    services.deliveries_sweep()
    assert len(graph.calls("POST", "/photos")) == 1


def test_a_worker_that_died_mid_send_leaves_an_uncertain_row_not_a_second_post(
    draft, people, fb_connection, graph, django_capture_on_commit_callbacks
):
    fb_connection.status = ConnectionStatus.BROKEN
    fb_connection.save()
    post = publish(draft, people, django_capture_on_commit_callbacks)
    ChannelConnection.objects.filter(pk=fb_connection.pk).update(status=ConnectionStatus.ACTIVE)
    delivery_id = services.deliveries_prepare(post_id=post.pk)[0]
    ChannelDelivery.objects.filter(pk=delivery_id).update(
        state=S.SENDING, claim="dead", claimed_at=timezone.now() - datetime.timedelta(hours=1)
    )
    assert services.deliveries_sweep() == {"uncertain": 1, "requeued": 0}
    assert ChannelDelivery.objects.get(pk=delivery_id).state == S.UNCERTAIN
    assert graph.requests == []
    # The editor checked the Page and found nothing: one click sends it.
    assert services.delivery_retry(delivery_id=delivery_id)
    assert services.delivery_send(delivery_id=delivery_id).done
    assert ChannelDelivery.objects.get(pk=delivery_id).state == S.POSTED


def test_a_rate_limit_per_channel(draft, people, tree, fb_connection, graph, settings, django_capture_on_commit_callbacks):
    settings.VIETFRONT_CHANNEL_POSTS_PER_MINUTE = 1
    fb_connection.status = ConnectionStatus.BROKEN
    fb_connection.save()
    first = publish(draft, people, django_capture_on_commit_callbacks)
    second = publish(make_post(tree.dongda, people.editor, title="Hội nghị hiệp thương"), people,
                     django_capture_on_commit_callbacks)
    ChannelConnection.objects.filter(pk=fb_connection.pk).update(status=ConnectionStatus.ACTIVE)
    ids = [services.deliveries_prepare(post_id=p.pk)[0] for p in (first, second)]
    assert services.delivery_send(delivery_id=ids[0]).done
    later = services.delivery_send(delivery_id=ids[1])
    assert not later.done and 0 < later.retry_in <= 61
    assert ChannelDelivery.objects.get(pk=ids[1]).state == S.PENDING
    assert len(graph.requests) == 1


def test_tokens_are_not_readable_in_the_database_or_the_logs(
    draft, people, fb_connection, zalo_connection, graph, zalo, caplog, django_capture_on_commit_callbacks
):
    caplog.set_level(logging.DEBUG)
    publish(draft, people, django_capture_on_commit_callbacks)
    with db.cursor() as cursor:
        cursor.execute("SELECT * FROM channels_channelconnection")
        dump = repr(cursor.fetchall())
    for token in (FB_TOKEN, ZALO_TOKEN, ZALO_REFRESH):
        assert token not in dump
        assert token not in caplog.text
    assert "channel request" in caplog.text.lower()  # the requests were logged, without tokens
    assert FB_TOKEN not in repr(fb_connection) and FB_TOKEN not in str(fb_connection)


def test_a_rotated_key_gives_a_clear_error_and_not_a_crash(
    draft, people, fb_connection, graph, settings, django_capture_on_commit_callbacks
):
    from cryptography.fernet import Fernet

    old = settings.VIETFRONT_CHANNEL_KEY
    settings.VIETFRONT_CHANNEL_KEY = f"{Fernet.generate_key().decode()},{old}"  # rotation: new key first
    post = publish(draft, people, django_capture_on_commit_callbacks)
    assert _delivery(post, fb_connection).state == S.POSTED  # the old key still opens the token

    second = make_post(draft.unit, people.editor, title="Hội nghị hiệp thương lần hai")
    settings.VIETFRONT_CHANNEL_KEY = Fernet.generate_key().decode()  # the old key dropped too soon
    second = publish(second, people, django_capture_on_commit_callbacks)
    delivery = _delivery(second, fb_connection)
    assert delivery.state == S.FAILED and "khóa mã hóa đã đổi" in delivery.message
    assert ChannelConnection.objects.get(pk=fb_connection.pk).status == ConnectionStatus.BROKEN


def test_insights_are_read_into_stored_figures(draft, people, fb_connection, zalo_connection, graph, zalo,
                                               django_capture_on_commit_callbacks):
    post = publish(draft, people, django_capture_on_commit_callbacks)
    assert services.insights_refresh() == 2
    assert _delivery(post, fb_connection).figures == {"reach": 1234, "reactions": 42, "clicks": 87}
    assert _delivery(post, zalo_connection).figures == {"views": 321, "shares": 12}
    assert services.insights_refresh() == 0  # fresh figures are not read again within the interval




def test_an_approved_edit_updates_the_remote_posts_in_place(
    draft, people, fb_connection, zalo_connection, graph, zalo, django_capture_on_commit_callbacks
):
    from pages.services import post_save

    post = publish(draft, people, django_capture_on_commit_callbacks)
    fb, za = _delivery(post, fb_connection), _delivery(post, zalo_connection)
    approved = post.title
    post.title = "Ra quân hưởng ứng Ngày hội Đại đoàn kết (cập nhật)"
    post_save(post=post, by=people.editor)
    workflow.post_content_changed(post=post, by=people.editor)
    # Not yet approved: the channels keep the approved text.
    assert graph.posts[fb.remote_id]["caption"].startswith(approved + "\n")
    post = publish(post, people, django_capture_on_commit_callbacks)

    assert len(graph.posts) == 1 and len(zalo.articles) == 1  # updated, not posted again
    assert graph.posts[fb.remote_id]["caption"].startswith("Ra quân hưởng ứng Ngày hội Đại đoàn kết (cập nhật)")
    assert zalo.articles[za.remote_id]["title"] == "Ra quân hưởng ứng Ngày hội Đại đoàn kết (cập nhật)"
    for delivery in (fb, za):
        delivery.refresh_from_db()
        assert delivery.state == S.POSTED and delivery.revision_number == post.live_revision.number == 2


def test_without_a_cover_facebook_gets_a_link_post_and_zalo_says_what_is_missing(
    tree, people, fb_connection, zalo_connection, graph, zalo, django_capture_on_commit_callbacks
):
    post = publish(make_post(tree.dongda, people.editor), people, django_capture_on_commit_callbacks)
    (sent,) = graph.calls("POST", "/feed")
    assert sent["body"]["link"] == f"https://trangcongdong.example.vn{post.get_absolute_url()}"
    assert sent["body"]["message"] == f"{post.live_revision.title}\n\n{post.live_revision.summary}"
    zalo_delivery = _delivery(post, zalo_connection)
    assert zalo_delivery.state == S.FAILED and zalo_delivery.message == "Bài đăng Zalo cần ảnh đại diện."


def test_the_sweep_requeues_a_delivery_whose_task_was_lost(
    draft, people, fb_connection, graph, django_capture_on_commit_callbacks
):
    fb_connection.status = ConnectionStatus.BROKEN
    fb_connection.save()
    post = publish(draft, people, django_capture_on_commit_callbacks)
    ChannelConnection.objects.filter(pk=fb_connection.pk).update(status=ConnectionStatus.ACTIVE)
    delivery_id = services.deliveries_prepare(post_id=post.pk)[0]
    ChannelDelivery.objects.filter(pk=delivery_id).update(updated_at=timezone.now() - datetime.timedelta(hours=1))
    assert services.deliveries_sweep() == {"uncertain": 0, "requeued": 1}  # eager: sent at once
    assert ChannelDelivery.objects.get(pk=delivery_id).state == S.POSTED


def test_rotating_the_key_re_encrypts_every_token(fb_connection, zalo_connection, settings):
    from io import StringIO

    from cryptography.fernet import Fernet
    from django.core.management import call_command

    from channels import crypto

    old = settings.VIETFRONT_CHANNEL_KEY
    before = ChannelConnection.objects.get(pk=fb_connection.pk).access_token_enc
    settings.VIETFRONT_CHANNEL_KEY = f"{Fernet.generate_key().decode()},{old}"
    out = StringIO()
    call_command("rotate_channel_tokens", stdout=out)
    assert out.getvalue().strip() == "rotated=2 unreadable=0"
    settings.VIETFRONT_CHANNEL_KEY = settings.VIETFRONT_CHANNEL_KEY.split(",")[0]  # the old key dropped
    rotated = ChannelConnection.objects.get(pk=fb_connection.pk)
    assert rotated.access_token_enc != before and crypto.decrypt(rotated.access_token_enc) == FB_TOKEN
    assert crypto.decrypt(ChannelConnection.objects.get(pk=zalo_connection.pk).refresh_token_enc) == ZALO_REFRESH
