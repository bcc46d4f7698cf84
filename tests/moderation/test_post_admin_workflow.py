"""The editors' side of moderation in the Post admin, through HTTP: "Gửi duyệt" saves then
submits, a refused submission shows every finding and loses nothing, withdraw and take down
go through their confirmation pages, and the wrong role is refused with a Vietnamese message."""

from __future__ import annotations

import pytest
from django.urls import reverse

from moderation.models import AuditEntry, Submission
from pages.models import Post, PostStatus
from tests.moderation.admin_helpers import change_url, messages_of, post_form_data, publish
from tests.moderation.workflow_fixtures import *  # noqa: F403
from tests.moderation.workflow_fixtures import make_post

pytestmark = pytest.mark.django_db

S = PostStatus


def withdraw_url(post):
    return reverse("admin:pages_post_withdraw", args=[post.pk])


def take_down_url(post):
    return reverse("admin:pages_post_take_down", args=[post.pk])


def test_change_form_shows_state_and_the_submit_button(client, post, people):
    client.force_login(people.editor)
    response = client.get(change_url(post))
    assert response.status_code == 200
    body = response.content.decode()
    assert 'name="_gui_duyet"' in body and "Gửi duyệt" in body
    assert "Bản nháp" in body and "tình trạng kiểm duyệt" in body.lower()
    assert withdraw_url(post) not in body  # a draft has nothing to withdraw
    assert "no-store" in response["Cache-Control"]


def test_submit_button_saves_then_submits(client, post, people):
    client.force_login(people.editor)
    response = client.post(change_url(post), post_form_data(post, title="Tiêu đề đã chỉnh trước khi gửi", _gui_duyet="1"))
    assert response.status_code == 302 and response["Location"] == change_url(post)
    post.refresh_from_db()
    assert post.status == S.SUBMITTED and post.title == "Tiêu đề đã chỉnh trước khi gửi"
    submission = Submission.objects.get(post=post)
    assert submission.revision.title == "Tiêu đề đã chỉnh trước khi gửi"
    texts = [text for _level, text in messages_of(response)]
    assert "Đã gửi duyệt tới Thành phố Hà Nội." in texts

    page = client.get(change_url(post)).content.decode()
    assert "Đã gửi duyệt" in page and "v1 gửi lúc" in page and withdraw_url(post) in page


def test_blocked_submission_shows_every_finding_and_keeps_what_was_typed(client, post, people):
    client.force_login(people.editor)
    typed = post_form_data(post, title="Bản sửa chưa đủ nguồn tin", summary="", source_name="", _gui_duyet="1")
    response = client.post(change_url(post), typed)
    assert response.status_code == 302
    post.refresh_from_db()
    assert post.status == S.DRAFT and not Submission.objects.exists()
    assert post.title == "Bản sửa chưa đủ nguồn tin"  # saved: nothing the editor typed is lost
    findings = AuditEntry.objects.get(post=post, action="rules_blocked").data["findings"]
    blocking = [f["message"] for f in findings if f["severity"] == "block"]
    assert {(f["code"], f["field"]) for f in findings if f["severity"] == "block"} == {
        ("required_fields", "summary"), ("required_fields", "source_name"),
    }
    shown = messages_of(response)
    assert [t for level, t in shown if level == "error" and t in blocking] == blocking
    assert any("Chưa gửi duyệt được" in t for _level, t in shown)

    page = client.get(change_url(post))
    body = page.content.decode()
    assert 'value="Bản sửa chưa đủ nguồn tin"' in body
    for message in blocking:
        assert message.replace('"', "&quot;") in body or message in body
    assert 'class="wf-block"' in body and "Bị chặn lúc" in body


def test_blocked_submission_of_a_new_post_keeps_it(client, tree, people):
    from pages.services import page_create

    page = page_create(unit=tree.dongda, by=None)
    client.force_login(people.editor)
    data = post_form_data(Post(page=page, title="Bài mới chưa có nguồn", source_kind="own"), page=page.pk, _gui_duyet="1")
    response = client.post(reverse("admin:pages_post_add"), data)
    assert response.status_code == 302
    post = Post.objects.get(title="Bài mới chưa có nguồn")
    assert response["Location"] == change_url(post)
    assert post.status == S.DRAFT
    assert any(level == "error" for level, _t in messages_of(response))


def test_submitting_what_already_awaits_review_gives_a_clear_message(client, post, people):
    client.force_login(people.editor)
    client.post(change_url(post), post_form_data(post, _gui_duyet="1"))
    post.refresh_from_db()
    response = client.post(change_url(post), post_form_data(post, _gui_duyet="1"))
    assert response.status_code == 302
    assert ("error", "Không thể “Gửi duyệt” bài viết đang ở trạng thái “Đã gửi duyệt”.") in messages_of(response)
    assert Submission.objects.filter(post=post).count() == 1


def test_withdraw_through_its_page(client, post, people, django_capture_on_commit_callbacks):
    post = publish(post, editor=people.editor, approver=people.approver,
                   django_capture_on_commit_callbacks=django_capture_on_commit_callbacks)
    client.force_login(people.editor)
    assert withdraw_url(post) in client.get(change_url(post)).content.decode()
    page = client.get(withdraw_url(post))
    assert page.status_code == 200 and "Rút bài" in page.content.decode()
    assert "no-store" in page["Cache-Control"]
    response = client.post(withdraw_url(post), {"reason": "Đăng nhầm trang"})
    assert response.status_code == 302 and response["Location"] == change_url(post)
    post.refresh_from_db()
    assert post.status == S.WITHDRAWN and post.live_revision is None
    assert AuditEntry.objects.get(post=post, action="withdraw").reason == "Đăng nhầm trang"


def test_withdrawing_a_draft_is_refused_with_a_message(client, post, people):
    client.force_login(people.editor)
    response = client.post(withdraw_url(post), {"reason": ""})
    assert response.status_code == 200
    assert ("error", "Không thể “Rút bài” bài viết đang ở trạng thái “Bản nháp”.") in messages_of(response)
    assert Post.objects.get(pk=post.pk).status == S.DRAFT


def test_take_down_by_the_approver_above_needs_a_reason(client, post, people, django_capture_on_commit_callbacks):
    post = publish(post, editor=people.editor, approver=people.approver,
                   django_capture_on_commit_callbacks=django_capture_on_commit_callbacks)
    client.force_login(people.approver)
    form = client.get(change_url(post))
    assert form.status_code == 200  # read-only for an approver, with the take-down button
    body = form.content.decode()
    assert take_down_url(post) in body and 'name="_gui_duyet"' not in body
    response = client.post(take_down_url(post), {"reason": "   "})
    assert response.status_code == 200
    assert ("error", "Gỡ bài phải có lý do.") in messages_of(response)
    assert Post.objects.get(pk=post.pk).status == S.PUBLISHED
    response = client.post(take_down_url(post), {"reason": "Thông tin chưa được kiểm chứng"})
    assert response.status_code == 302
    post.refresh_from_db()
    assert post.status == S.TAKEN_DOWN and post.live_revision is None


@pytest.mark.parametrize("who", ["editor", "district_approver"])
def test_take_down_refused_below_the_approving_unit(client, post, people, who, django_capture_on_commit_callbacks):
    post = publish(post, editor=people.editor, approver=people.approver,
                   django_capture_on_commit_callbacks=django_capture_on_commit_callbacks)
    client.force_login(getattr(people, who))
    assert take_down_url(post) not in client.get(change_url(post)).content.decode()
    response = client.post(take_down_url(post), {"reason": "Không có quyền"})
    assert response.status_code == 200
    assert ("error", "Bạn không có quyền gỡ bài viết này.") in messages_of(response)
    assert Post.objects.get(pk=post.pk).status == S.PUBLISHED


def test_wrong_role_is_refused_and_nothing_changes(client, post, people):
    before = Post.objects.filter(pk=post.pk).values_list("title", "status").get()
    # Another unit's editor: the post does not exist for them.
    client.force_login(people.other_editor)
    assert client.post(change_url(post), post_form_data(post, title="Bị sửa", _gui_duyet="1")).status_code == 404
    assert client.post(withdraw_url(post), {"reason": "x"}).status_code == 404
    assert client.post(take_down_url(post), {"reason": "x"}).status_code == 404
    # An approver sees the draft read-only: saving or submitting it is forbidden.
    client.force_login(people.approver)
    assert client.post(change_url(post), post_form_data(post, title="Bị sửa", _gui_duyet="1")).status_code == 403
    response = client.post(withdraw_url(post), {"reason": "x"})
    assert ("error", "Bạn không có quyền rút bài viết của đơn vị này.") in messages_of(response)
    assert Post.objects.filter(pk=post.pk).values_list("title", "status").get() == before
    assert not Submission.objects.exists() and not AuditEntry.objects.exists()


def test_changelist_actions_submit_and_withdraw(client, tree, people):
    first = make_post(tree.dongda, people.editor, title="Bài thứ nhất gửi theo lô")
    second = make_post(tree.dongda, people.editor, title="Bài thứ hai thiếu nguồn", source_name="", summary="")
    client.force_login(people.editor)
    url = reverse("admin:pages_post_changelist")
    response = client.post(url, {"action": "submit_selected", "_selected_action": [first.pk, second.pk]})
    assert response.status_code == 302
    assert Post.objects.get(pk=first.pk).status == S.SUBMITTED
    assert Post.objects.get(pk=second.pk).status == S.DRAFT
    assert ("success", "Đã gửi duyệt 1 bài viết.") in messages_of(response)
    response = client.post(url, {"action": "withdraw_selected", "_selected_action": [first.pk]})
    assert Post.objects.get(pk=first.pk).status == S.WITHDRAWN


def test_tag_change_on_a_live_post_returns_it_to_review(client, post, people, django_capture_on_commit_callbacks):
    """Tags are saved after ``save_model``: the admin asks moderation again once they are."""
    from pages.models import Tag

    post = publish(post, editor=people.editor, approver=people.approver,
                   django_capture_on_commit_callbacks=django_capture_on_commit_callbacks)
    tag = Tag.objects.create(name="Ngày hội Đại đoàn kết")
    client.force_login(people.editor)
    assert client.post(change_url(post), post_form_data(post, tags=[tag.pk])).status_code == 302
    post.refresh_from_db()
    assert list(post.tags.values_list("name", flat=True)) == ["Ngày hội Đại đoàn kết"]
    assert post.status == S.DRAFT and post.live_revision is not None
