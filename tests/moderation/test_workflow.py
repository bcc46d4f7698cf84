"""The approval workflow through its services: transitions, roles, revisions, audit, publishing."""

import datetime

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.utils import timezone
from guardian.shortcuts import assign_perm

from moderation import services
from moderation.models import ApprovalRoute, AuditEntry, Revision, Submission, TakedownRequest
from moderation.routing import approvers_to_notify, approving_unit_for
from moderation.states import TRANSITIONS, Action, target_state
from pages.models import Post, PostStatus
from pages.services import post_save
from tests.moderation.workflow_fixtures import *  # noqa: F403
from tests.moderation.workflow_fixtures import make_post

S = PostStatus

# Every (action, state) pair: the allowed moves, and everything else refused.
ALLOWED = {
    (Action.SUBMIT, S.DRAFT): S.SUBMITTED,
    (Action.SUBMIT, S.CHANGES_REQUESTED): S.SUBMITTED,
    (Action.SUBMIT, S.WITHDRAWN): S.SUBMITTED,
    (Action.SUBMIT, S.TAKEN_DOWN): S.SUBMITTED,
    (Action.APPROVE, S.SUBMITTED): S.APPROVED,
    (Action.SEND_BACK, S.SUBMITTED): S.CHANGES_REQUESTED,
    (Action.SCHEDULE, S.APPROVED): S.SCHEDULED,
    (Action.PUBLISH, S.SCHEDULED): S.PUBLISHED,
    (Action.WITHDRAW, S.PUBLISHED): S.WITHDRAWN,
    (Action.WITHDRAW, S.SCHEDULED): S.WITHDRAWN,
    (Action.WITHDRAW, S.APPROVED): S.WITHDRAWN,
    (Action.WITHDRAW, S.SUBMITTED): S.WITHDRAWN,
    (Action.TAKE_DOWN, S.PUBLISHED): S.TAKEN_DOWN,
    (Action.EDIT, S.SUBMITTED): S.DRAFT,
    (Action.EDIT, S.APPROVED): S.DRAFT,
    (Action.EDIT, S.SCHEDULED): S.DRAFT,
    (Action.EDIT, S.PUBLISHED): S.DRAFT,
}


@pytest.mark.parametrize("action", list(TRANSITIONS))
@pytest.mark.parametrize("state", list(S))
def test_transition_table(action, state):
    assert target_state(action, state) == ALLOWED.get((action, state))


def _publish_now(post, people, django_capture_on_commit_callbacks):
    services.post_submit(post=post, by=people.editor)
    with django_capture_on_commit_callbacks(execute=True):
        services.post_approve(post=post, by=people.approver)
    return Post.objects.get(pk=post.pk)


@pytest.mark.django_db
def test_submit_approve_publishes_exactly_the_approved_revision(post, people, eager_celery, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        submission = services.post_submit(post=post, by=people.editor)
    assert Post.objects.get(pk=post.pk).status == S.SUBMITTED
    assert submission.approving_unit.name == "Thành phố Hà Nội"
    assert [m.to for m in mail.outbox] == [["duyet.hanoi@mattran.example.vn"]]

    with django_capture_on_commit_callbacks(execute=True):
        services.post_approve(post=post, by=people.approver, note="Đạt yêu cầu")
    post = Post.objects.get(pk=post.pk)
    assert post.status == S.PUBLISHED
    assert post.live_revision == submission.revision
    assert post.live_revision.content["title"] == post.title
    assert post.published_at is not None
    actions = list(AuditEntry.objects.filter(post=post).order_by("at", "id").values_list("action", "from_state", "to_state"))
    assert actions == [
        ("submit", "draft", "submitted"),
        ("approve", "submitted", "approved"),
        ("schedule", "approved", "scheduled"),
        ("publish", "scheduled", "published"),
    ]
    assert all(e.unit_id == post.unit_id for e in AuditEntry.objects.filter(post=post))


@pytest.mark.django_db
def test_illegal_transition_raises_clear_error_and_changes_nothing(post, people):
    with pytest.raises(services.WorkflowError) as exc:
        services.post_approve(post=post, by=people.approver)
    assert "chờ duyệt" in exc.value.messages[0]
    assert Post.objects.get(pk=post.pk).status == S.DRAFT
    assert not AuditEntry.objects.exists()
    services.post_submit(post=post, by=people.editor)
    with pytest.raises(services.WorkflowError):
        services.post_submit(post=post, by=people.editor)
    assert Submission.objects.filter(post=post).count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("who", "allowed"),
    [("approver", True), ("superuser", True), ("district_approver", False), ("other_approver", False), ("other_editor", False)],
)
def test_who_may_approve_follows_the_tree(post, people, who, allowed):
    services.post_submit(post=post, by=people.editor)
    user = getattr(people, who)
    if allowed:
        services.post_approve(post=post, by=user)
        assert Post.objects.get(pk=post.pk).status == S.SCHEDULED
    else:
        with pytest.raises(PermissionDenied):
            services.post_approve(post=post, by=user)
        assert Post.objects.get(pk=post.pk).status == S.SUBMITTED


@pytest.mark.django_db
def test_province_approver_acts_on_commune_content_in_its_subtree(tree, people):
    commune_editor = people.editor  # Đống Đa's grant covers its communes
    post = make_post(tree.vanmieu, commune_editor)
    submission = services.post_submit(post=post, by=commune_editor)
    assert submission.approving_unit == tree.dongda
    services.post_approve(post=post, by=people.approver)
    assert Post.objects.get(pk=post.pk).status == S.SCHEDULED


@pytest.mark.django_db
def test_nobody_approves_their_own_post(tree, post, people):
    assign_perm("orgunits.approve_content", people.editor, tree.hanoi)
    services.post_submit(post=post, by=people.editor)
    with pytest.raises(PermissionDenied):
        services.post_approve(post=post, by=people.editor)
    assert Post.objects.get(pk=post.pk).status == S.SUBMITTED


@pytest.mark.django_db
def test_only_the_units_editors_submit(post, people):
    with pytest.raises(PermissionDenied):
        services.post_submit(post=post, by=people.other_editor)
    assert Post.objects.get(pk=post.pk).status == S.DRAFT


@pytest.mark.django_db
def test_send_back_needs_a_reason_then_resubmit(post, people):
    services.post_submit(post=post, by=people.editor)
    with pytest.raises(services.WorkflowError):
        services.post_send_back(post=post, by=people.approver, reason="  ")
    services.post_send_back(post=post, by=people.approver, reason="Bổ sung nguồn ảnh")
    assert Post.objects.get(pk=post.pk).status == S.CHANGES_REQUESTED
    assert Submission.objects.get(post=post).state == Submission.State.SENT_BACK
    services.post_submit(post=post, by=people.editor)
    assert Post.objects.get(pk=post.pk).status == S.SUBMITTED
    assert list(Revision.objects.filter(post=post).order_by("number").values_list("number", flat=True)) == [1, 2]


@pytest.mark.django_db
def test_blocking_rule_refuses_submission_and_is_audited(tree, people):
    post = make_post(tree.dongda, people.editor, source_name="", summary="")
    with pytest.raises(services.RegulationBlocked) as exc:
        services.post_submit(post=post, by=people.editor)
    blocking = [f for f in exc.value.findings if f["severity"] == "block"]
    assert {(f["code"], f["field"]) for f in blocking} == {("required_fields", "summary"), ("required_fields", "source_name")}
    assert exc.value.messages == [f["message"] for f in blocking]  # what the editor is shown
    assert Post.objects.get(pk=post.pk).status == S.DRAFT
    assert not Submission.objects.exists()
    entry = AuditEntry.objects.get(post=post)
    assert entry.action == "rules_blocked" and entry.data["findings"] == exc.value.findings
    assert entry.actor == people.editor and entry.from_state == S.DRAFT and entry.to_state == ""


@pytest.mark.django_db
def test_edit_after_approval_returns_to_review_and_nothing_goes_live(post, people, eager_celery, django_capture_on_commit_callbacks):
    services.post_submit(post=post, by=people.editor)
    later = timezone.now() + datetime.timedelta(hours=2)
    services.post_approve(post=post, by=people.approver, publish_at=later)
    post = Post.objects.get(pk=post.pk)
    post.title = "Tiêu đề đã sửa sau khi duyệt"
    post_save(post=post, by=people.editor)
    assert Post.objects.get(pk=post.pk).status == S.DRAFT
    assert services.due_post_ids(now=later + datetime.timedelta(minutes=1)) == []
    assert services.post_publish(post_id=post.pk, now=later + datetime.timedelta(minutes=1)) is False
    assert Post.objects.get(pk=post.pk).live_revision is None


@pytest.mark.django_db
def test_edit_of_a_live_post_keeps_the_approved_revision_public(post, people, eager_celery, django_capture_on_commit_callbacks):
    post = _publish_now(post, people, django_capture_on_commit_callbacks)
    first = post.live_revision
    post.title = "Bản cập nhật chưa duyệt"
    post_save(post=post, by=people.editor)
    post = Post.objects.get(pk=post.pk)
    assert post.status == S.DRAFT
    assert post.live_revision == first
    assert post.live_revision.content["title"] != "Bản cập nhật chưa duyệt"
    services.post_submit(post=post, by=people.editor)
    with django_capture_on_commit_callbacks(execute=True):
        services.post_approve(post=post, by=people.approver)
    post = Post.objects.get(pk=post.pk)
    assert post.status == S.PUBLISHED
    assert post.live_revision.content["title"] == "Bản cập nhật chưa duyệt"
    assert post.published_at is not None


@pytest.mark.django_db
def test_publish_twice_goes_live_once_with_one_audit_and_one_mail(post, people, django_capture_on_commit_callbacks):
    services.post_submit(post=post, by=people.editor)
    services.post_approve(post=post, by=people.approver)  # on-commit callbacks not run: no task yet
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert services.post_publish(post_id=post.pk) is True
        assert services.post_publish(post_id=post.pk) is False
    assert AuditEntry.objects.filter(post=post, action="publish").count() == 1
    assert len(mail.outbox) == 1 and "[Đã đăng]" in mail.outbox[0].subject


@pytest.mark.django_db
def test_scheduled_post_waits_for_its_time(post, people):
    services.post_submit(post=post, by=people.editor)
    when = timezone.now() + datetime.timedelta(days=1)
    services.post_approve(post=post, by=people.approver, publish_at=when)
    assert services.due_post_ids() == []
    assert services.post_publish(post_id=post.pk) is False
    assert services.due_post_ids(now=when) == [post.pk]
    assert services.post_publish(post_id=post.pk, now=when) is True


@pytest.mark.django_db
def test_withdraw_by_own_unit_and_take_down_from_above(post, people, tree, eager_celery, django_capture_on_commit_callbacks):
    post = _publish_now(post, people, django_capture_on_commit_callbacks)
    with pytest.raises(PermissionDenied):
        services.post_withdraw(post=post, by=people.other_editor)
    with pytest.raises(PermissionDenied):
        services.post_take_down(post=post, by=people.district_approver, reason="Sai sự thật")
    with pytest.raises(services.WorkflowError):
        services.post_take_down(post=post, by=people.approver, reason="")
    services.post_take_down(post=post, by=people.approver, reason="Thông tin chưa được kiểm chứng")
    post = Post.objects.get(pk=post.pk)
    assert post.status == S.TAKEN_DOWN and post.live_revision is None
    entry = AuditEntry.objects.get(post=post, action="take_down")
    assert entry.reason == "Thông tin chưa được kiểm chứng" and entry.actor == people.approver

    other = _publish_now(make_post(tree.dongda, people.editor, title="Bài thứ hai của quận Đống Đa"), people, django_capture_on_commit_callbacks)
    services.post_withdraw(post=other, by=people.editor, reason="Đăng nhầm")
    assert Post.objects.get(pk=other.pk).status == S.WITHDRAWN


@pytest.mark.django_db
def test_takedown_request_deadline_escalation_and_closing(post, people, eager_celery, django_capture_on_commit_callbacks):
    post = _publish_now(post, people, django_capture_on_commit_callbacks)
    received = timezone.now()
    request = services.takedown_request_record(
        post=post, source=TakedownRequest.Source.AUTHORITY, requester="Sở Thông tin và Truyền thông",
        reason="Nội dung chưa chính xác", by=people.approver, received_at=received,
    )
    assert request.deadline == received + datetime.timedelta(hours=24)
    complaint = services.takedown_request_record(
        post=post, source=TakedownRequest.Source.COMPLAINT, requester="Ông N.V.A", reason="Khiếu nại",
        by=people.approver, received_at=received,
    )
    assert complaint.deadline == received + datetime.timedelta(hours=48)
    later = received + datetime.timedelta(hours=25)
    assert services.takedown_escalate_overdue(now=later) == 1
    assert services.takedown_escalate_overdue(now=later) == 0  # run twice: nothing more
    assert TakedownRequest.objects.get(pk=request.pk).state == TakedownRequest.State.ESCALATED
    services.post_take_down(post=post, by=people.approver, reason="Theo yêu cầu của Sở")
    assert set(TakedownRequest.objects.values_list("state", flat=True)) == {TakedownRequest.State.CLOSED}


@pytest.mark.django_db
def test_routing_is_configurable_per_kind_and_skips_levels_without_approvers(tree, people):
    assert approving_unit_for(tree.vanmieu) == tree.dongda
    assert approving_unit_for(tree.central) == tree.central
    ApprovalRoute.objects.create(unit_kind="commune", approver_kind="province")
    assert approving_unit_for(tree.vanmieu) == tree.hanoi
    # Bắc Ninh's city has no approver of its own: the province's approvers are asked.
    assert list(approvers_to_notify(tree.tpbacninh)) == [people.other_approver]
    assert list(approvers_to_notify(tree.dongda)) == [people.district_approver]
    people.district_approver.is_active = False
    people.district_approver.save()
    assert list(approvers_to_notify(tree.dongda)) == [people.approver]


@pytest.mark.django_db
def test_attaching_a_document_to_a_live_post_needs_approval_again(
    post, people, eager_celery, django_capture_on_commit_callbacks, settings, tmp_path
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MEDIA_ROOT = tmp_path

    from pages.models import PostDocument
    from pages.services import post_document_attach

    post = _publish_now(post, people, django_capture_on_commit_callbacks)
    assert post.live_revision.content["documents"] == []
    document = post_document_attach(
        document=PostDocument(post=post, title="Kế hoạch", file=SimpleUploadedFile("ke-hoach.pdf", b"%PDF-1.4\n%%EOF\n")),
        by=people.editor,
    )
    services.post_content_changed(post=post, by=people.editor)
    post = Post.objects.get(pk=post.pk)
    assert post.status == S.DRAFT and post.live_revision.content["documents"] == []
    services.post_submit(post=post, by=people.editor)
    with django_capture_on_commit_callbacks(execute=True):
        services.post_approve(post=post, by=people.approver)
    assert Post.objects.get(pk=post.pk).live_revision.content["documents"] == [[document.pk, "Kế hoạch"]]


@pytest.mark.django_db
def test_escalation_sweep_handles_every_overdue_request_in_constant_queries(
    tree, people, django_assert_max_num_queries, django_capture_on_commit_callbacks
):
    posts = [
        _publish_now(make_post(tree.dongda, people.editor, title=f"Tin hoạt động của quận số {n}"), people,
                     django_capture_on_commit_callbacks)
        for n in range(4)
    ]
    received = timezone.now() - datetime.timedelta(hours=30)
    requests = [
        services.takedown_request_record(post=p, source=TakedownRequest.Source.AUTHORITY, requester="Sở TT&TT",
                                         reason="Sai", by=people.approver, received_at=received)
        for p in posts
    ]
    # Not yet due: a complaint has 48 hours.
    waiting = services.takedown_request_record(post=posts[0], source=TakedownRequest.Source.COMPLAINT,
                                               requester="Ông N.V.A", reason="Khiếu nại", by=people.approver,
                                               received_at=received)
    # The overdue rows, their update, their audit rows, and the savepoint around them.
    with django_assert_max_num_queries(5):
        assert services.takedown_escalate_overdue() == 4
    assert services.takedown_escalate_overdue() == 0
    assert set(TakedownRequest.objects.filter(pk__in=[r.pk for r in requests]).values_list("state", flat=True)) == {
        TakedownRequest.State.ESCALATED
    }
    assert TakedownRequest.objects.get(pk=waiting.pk).state == TakedownRequest.State.OPEN
    entries = AuditEntry.objects.filter(action="takedown_escalated")
    assert sorted(entries.values_list("post_id", flat=True)) == sorted(p.pk for p in posts)
    assert {e.unit_id for e in entries} == {tree.dongda.pk}
