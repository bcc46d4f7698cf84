"""Who is mailed at each step of the workflow, once, and the daily digest instead of mails."""

from __future__ import annotations

import pytest
from django.core import mail
from django.utils import timezone
from guardian.shortcuts import assign_perm

from moderation import notifications, publishing, services
from moderation.models import NotificationPreference, Submission
from moderation.tasks import notify_task, publish_due_posts_task, publish_post_task
from tests.moderation.workflow_fixtures import *  # noqa: F403
from tests.moderation.workflow_fixtures import make_post
from vietfront.celery import app as celery_app

pytestmark = pytest.mark.django_db

EDITOR = "bientap.dongda@mattran.example.vn"


def sent(prefix: str) -> list[list[str]]:
    return sorted(m.to for m in mail.outbox if m.subject.startswith(prefix))


def test_submission_mails_the_approvers_of_the_approving_unit_only(post, people, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        services.post_submit(post=post, by=people.editor)
    assert sent("[Chờ duyệt]") == [["duyet.hanoi@mattran.example.vn"]]  # not Đống Đa's, not Bắc Ninh's


def test_the_next_level_up_is_asked_when_no_approver_is_active(tree, people, django_capture_on_commit_callbacks):
    post = make_post(tree.vanmieu, people.editor)  # approved by Đống Đa
    people.district_approver.is_active = False
    people.district_approver.save()
    with django_capture_on_commit_callbacks(execute=True):
        services.post_submit(post=post, by=people.editor)
    assert sent("[Chờ duyệt]") == [["duyet.hanoi@mattran.example.vn"]]


def test_an_author_who_approves_at_that_level_is_skipped_for_the_next(tree, people, django_capture_on_commit_callbacks):
    assign_perm("orgunits.edit_content", people.district_approver, tree.vanmieu)
    post = make_post(tree.vanmieu, people.district_approver)
    with django_capture_on_commit_callbacks(execute=True):
        services.post_submit(post=post, by=people.district_approver)
    assert sent("[Chờ duyệt]") == [["duyet.hanoi@mattran.example.vn"]]


def test_editors_hear_of_approval_publication_and_take_down(tree, post, people, django_capture_on_commit_callbacks):
    colleague = people.editor.__class__.objects.create_user("bientap2.dongda", email="bt2@mattran.example.vn", is_staff=True)
    assign_perm("orgunits.edit_content", colleague, tree.dongda)
    with django_capture_on_commit_callbacks(execute=True):
        services.post_submit(post=post, by=colleague)  # a colleague submits the author's draft
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.post_approve(post=post, by=people.approver)
    both = [[EDITOR], ["bt2@mattran.example.vn"]]
    assert sorted(sent("[Đã duyệt]")) == sorted(both)
    assert sorted(sent("[Đã đăng]")) == sorted(both)
    assert not sent("[Chờ duyệt]")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.post_take_down(post=post, by=people.approver, reason="Sai sự thật")
    assert sorted(sent("[Đã gỡ bài]")) == sorted(both)
    assert all("Sai sự thật" in m.body for m in mail.outbox)
    assert all(len(m.to) == 1 for m in mail.outbox)  # one message each: addresses not disclosed


def test_send_back_mails_the_editor_with_the_reason(post, people, django_capture_on_commit_callbacks):
    services.post_submit(post=post, by=people.editor)
    with django_capture_on_commit_callbacks(execute=True):
        services.post_send_back(post=post, by=people.approver, reason="Bổ sung nguồn ảnh")
    assert sent("[Trả lại]") == [[EDITOR]]
    assert "Bổ sung nguồn ảnh" in mail.outbox[0].body


def test_withdraw_mails_the_editor(post, people, django_capture_on_commit_callbacks):
    services.post_submit(post=post, by=people.editor)
    with django_capture_on_commit_callbacks(execute=True):
        services.post_withdraw(post=post, by=people.editor, reason="Đăng nhầm")
    assert sent("[Đã rút bài]") == [[EDITOR]]


def test_one_mail_per_publication_when_the_task_runs_twice(post, people, django_capture_on_commit_callbacks):
    services.post_submit(post=post, by=people.editor)
    services.post_approve(post=post, by=people.approver)  # its on-commit publish is not run here
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        publish_post_task.delay(post.pk)
        publish_post_task.delay(post.pk)
        publish_due_posts_task.delay()
    assert sent("[Đã đăng]") == [[EDITOR]]


def test_daily_digest_replaces_the_immediate_queue_mails(tree, people, django_capture_on_commit_callbacks):
    # A digest user is still their level's approver: the level above is not mailed instead.
    central = people.approver.__class__.objects.create_user("duyet.tw", email="tw@mattran.example.vn", is_staff=True)
    assign_perm("orgunits.approve_content", central, tree.central)
    NotificationPreference.objects.create(user=people.approver, daily_digest=True)
    NotificationPreference.objects.create(user=people.editor, daily_digest=True)  # approves nothing
    first = make_post(tree.dongda, people.editor, title="Hội nghị hiệp thương lần thứ nhất")
    second = make_post(tree.badinh, people.other_editor, title="Tổng kết cuộc vận động năm nay")
    with django_capture_on_commit_callbacks(execute=True):
        services.post_submit(post=first, by=people.editor)
        services.post_submit(post=second, by=people.other_editor)
    assert not sent("[Chờ duyệt]")
    assert notifications.send_daily_digests() == 1
    digest = [m for m in mail.outbox if m.subject.startswith("[Tổng hợp]")]
    assert [m.to for m in digest] == [["duyet.hanoi@mattran.example.vn"]]
    assert "2 bài viết" in digest[0].subject
    assert "Hội nghị hiệp thương lần thứ nhất" in digest[0].body and "Tổng kết cuộc vận động" in digest[0].body
    # Times as the approver reads them: local, not the database's UTC.
    submitted = Submission.objects.get(post=first).submitted_at
    assert timezone.localtime(submitted).strftime("%H:%M %d/%m/%Y") in digest[0].body


def test_immediate_users_keep_their_mails_next_to_digest_users(tree, people, django_capture_on_commit_callbacks):
    colleague = people.approver.__class__.objects.create_user("duyet2.hanoi", email="d2@mattran.example.vn", is_staff=True)
    assign_perm("orgunits.approve_content", colleague, tree.hanoi)
    NotificationPreference.objects.create(user=people.approver, daily_digest=True)
    with django_capture_on_commit_callbacks(execute=True):
        services.post_submit(post=make_post(tree.dongda, people.editor), by=people.editor)
    assert sent("[Chờ duyệt]") == [["d2@mattran.example.vn"]]


def test_authors_are_skipped_level_by_level_up_to_the_first_other_approver(
    tree, people, django_assert_max_num_queries, django_capture_on_commit_callbacks
):
    # Văn Miếu's post is approved by Đống Đa, whose approver wrote it; Hà Nội's approver
    # submitted it. Neither may decide: the centre is asked, in a fixed number of queries.
    central = people.approver.__class__.objects.create_user("duyet.tw", email="tw@mattran.example.vn", is_staff=True)
    assign_perm("orgunits.approve_content", central, tree.central)
    assign_perm("orgunits.edit_content", people.district_approver, tree.vanmieu)
    assign_perm("orgunits.edit_content", people.approver, tree.vanmieu)
    post = make_post(tree.vanmieu, people.district_approver)
    submission = services.post_submit(post=post, by=people.approver)
    with django_assert_max_num_queries(3):  # the submission, the grants, the users
        notifications.notify_submitted(submission_id=submission.pk)
    assert sent("[Chờ duyệt]") == [["tw@mattran.example.vn"]]


def test_takedown_request_mails_the_approvers_and_escalation_the_level_above(tree, post, people, django_capture_on_commit_callbacks):
    import datetime

    from django.utils import timezone

    central = people.approver.__class__.objects.create_user("duyet.tw", email="tw@mattran.example.vn", is_staff=True)
    assign_perm("orgunits.approve_content", central, tree.central)

    services.post_submit(post=post, by=people.editor)
    with django_capture_on_commit_callbacks(execute=True):
        services.post_approve(post=post, by=people.approver)
    mail.outbox.clear()
    received = timezone.now() - datetime.timedelta(hours=30)
    with django_capture_on_commit_callbacks(execute=True):
        services.takedown_request_record(post=post, source="authority", requester="Sở TT&TT", reason="Sai",
                                         by=people.approver, received_at=received)
    assert sent("[Yêu cầu gỡ bài") == [["duyet.hanoi@mattran.example.vn"]]
    with django_capture_on_commit_callbacks(execute=True):
        assert services.takedown_escalate_overdue() == 1
        assert services.takedown_escalate_overdue() == 0
    assert sent("[Quá hạn gỡ bài]") == [["tw@mattran.example.vn"]]  # once, to the level above Hà Nội


def test_who_hears_is_worked_out_by_a_worker_not_the_request(
    post, people, celery_broker, django_capture_on_commit_callbacks, django_assert_num_queries
):
    # A broker that takes the task and no worker to run it: the request only sends the task.
    celery_broker("memory://")
    with django_capture_on_commit_callbacks() as callbacks:
        submission = services.post_submit(post=post, by=people.editor)
    with django_assert_num_queries(0):
        for callback in callbacks:
            callback()
    assert sent("[Chờ duyệt]") == []
    # What the workers do with the task it sent (and the mail task that one sends).
    celery_app.conf.task_always_eager = True
    notify_task.delay(event="submitted", submission_id=submission.pk)
    assert sent("[Chờ duyệt]") == [["duyet.hanoi@mattran.example.vn"]]


def test_with_no_broker_the_request_sends_the_notice_itself(post, people, celery_broker, django_capture_on_commit_callbacks):
    celery_broker("redis://127.0.0.1:1/0")  # nothing listens there
    with django_capture_on_commit_callbacks(execute=True):
        services.post_submit(post=post, by=people.editor)
    assert sent("[Chờ duyệt]") == [["duyet.hanoi@mattran.example.vn"]]


def test_a_notice_that_runs_after_the_decision_tells_no_approver(post, people):
    submission = services.post_submit(post=post, by=people.editor)  # the notice waits (no commit hook runs)
    services.post_approve(post=post, by=people.approver)
    notify_task(event="submitted", submission_id=submission.pk)
    assert sent("[Chờ duyệt]") == []


def test_the_sweep_hands_its_notices_to_a_worker(
    post, people, celery_broker, django_capture_on_commit_callbacks, django_assert_num_queries
):
    services.post_submit(post=post, by=people.editor)
    services.post_approve(post=post, by=people.approver)  # due now; its on-commit publish is not run
    mail.outbox.clear()
    celery_broker("memory://")  # a broker takes the task; no worker runs it here
    with django_capture_on_commit_callbacks() as callbacks:
        assert publishing.posts_publish_due() == 1
    handed_over = [c for c in callbacks if getattr(c, "func", None) is notifications._dispatch]
    assert len(handed_over) == 1
    with django_assert_num_queries(0):  # who hears is not worked out in the sweep
        handed_over[0]()
    assert sent("[Đã đăng]") == []
    celery_app.conf.task_always_eager = True  # what the workers then do
    notify_task.delay(event="published_many", post_ids=[post.pk])
    assert sent("[Đã đăng]") == [[EDITOR]]
