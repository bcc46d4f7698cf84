"""Stateful property test of the workflow: any sequence of actions by any role keeps the
invariants that make moderation trustworthy.

Hypothesis drives {edit, submit, approve, send back, publish sweep at time t, withdraw, take
down, record takedown, escalate} by six people. After every step:

* the public sees the post only if it has a live revision that an APPROVED submission, decided
  by someone other than its author, approved;
* the live revision's content is exactly what was submitted and approved;
* every audit row is a move of ``states.TRANSITIONS`` and the rows chain into the current state;
* at most one submission is pending.

Each example runs inside a savepoint of the test's transaction and is rolled back at teardown,
so the tree, the people and the seeded regulation are made once.
"""

from __future__ import annotations

import datetime

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.test import TestCase
from django.utils import timezone
from guardian.shortcuts import assign_perm
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from moderation import services
from moderation.models import AuditEntry, Revision, Submission, TakedownRequest
from moderation.revisions import content_hash, snapshot_post
from moderation.states import TRANSITIONS, Action
from pages.models import Post, PostStatus, Topic
from pages.services import page_create, post_save
from tests.moderation.workflow_fixtures import *  # noqa: F403

S = PostStatus
ROLES = ["author", "unit_editor", "other_editor", "district_approver", "province_approver", "superuser"]
TITLES = [
    "Ra quân hưởng ứng Ngày hội Đại đoàn kết toàn dân tộc",
    "Hội nghị hiệp thương cử Ủy ban MTTQ phường",
    "Trao nhà Đại đoàn kết cho hộ nghèo",
]
BLOCKED_EDIT = {"summary": "", "source_name": ""}  # content the regulation refuses to submit
REFUSALS = (PermissionDenied, ValidationError)  # WorkflowError and RegulationBlocked included


class WorkflowMachine(RuleBasedStateMachine):
    ctx: dict = {}  # set by the test: people and the page, made once outside the examples

    def __init__(self) -> None:
        super().__init__()
        self.savepoint = transaction.savepoint()
        people = self.ctx["people"]
        self.post_id = post_save(post=Post(page=self.ctx["page"], title=TITLES[0], summary="Tóm tắt tin.",
                                           body="<p>Nội dung tin.</p>", topic=self.ctx["topic"], source_kind="own",
                                           source_name="Ủy ban MTTQ quận Đống Đa"), by=people["author"]).pk
        self.clock = timezone.now()
        self.submitted: dict[int, dict] = {}  # revision id -> the post's content when it was submitted

    def teardown(self) -> None:
        transaction.savepoint_rollback(self.savepoint)

    # --- helpers -------------------------------------------------------------------------
    def _post(self) -> Post:
        return Post.objects.select_related("unit", "page").get(pk=self.post_id)

    def _do(self, action) -> None:
        """Run one action as the admin would: refusals are normal outcomes, side effects (the
        immediate publish task, mails) run as after a commit."""
        try:
            with TestCase.captureOnCommitCallbacks(execute=True):
                action()
        except REFUSALS:
            pass

    # --- rules ---------------------------------------------------------------------------
    @rule(role=st.sampled_from(ROLES), title=st.sampled_from(TITLES), blocked=st.booleans())
    def edit(self, role, title, blocked):
        def run():
            post = self._post()
            post.title = title
            post.summary, post.source_name = ("", "") if blocked else ("Tóm tắt tin.", "Ủy ban MTTQ quận Đống Đa")
            post_save(post=post, by=self.ctx["people"][role])
        self._do(run)

    @rule(role=st.sampled_from(ROLES))
    def submit(self, role):
        def run():
            submission = services.post_submit(post=self._post(), by=self.ctx["people"][role])
            self.submitted[submission.revision_id] = snapshot_post(self._post())
        self._do(run)

    @rule(role=st.sampled_from(ROLES), later=st.sampled_from([None, 0, 1, 48]))
    def approve(self, role, later):
        when = None if later is None else timezone.now() + datetime.timedelta(hours=later)
        self._do(lambda: services.post_approve(post=self._post(), by=self.ctx["people"][role], publish_at=when))

    @rule(role=st.sampled_from(ROLES), reason=st.sampled_from(["", "Bổ sung nguồn ảnh"]))
    def send_back(self, role, reason):
        self._do(lambda: services.post_send_back(post=self._post(), by=self.ctx["people"][role], reason=reason))

    @rule(hours=st.sampled_from([0, 1, 50]), twice=st.booleans())
    def publish_sweep(self, hours, twice):
        self.clock += datetime.timedelta(hours=hours)

        def run():
            for post_id in services.due_post_ids(now=self.clock):
                services.post_publish(post_id=post_id, now=self.clock)
            if twice:  # a redelivered task: must do nothing more
                services.post_publish(post_id=self.post_id, now=self.clock)
        self._do(run)

    @rule(role=st.sampled_from(ROLES))
    def withdraw(self, role):
        self._do(lambda: services.post_withdraw(post=self._post(), by=self.ctx["people"][role], reason="Rút"))

    @rule(role=st.sampled_from(ROLES), reason=st.sampled_from(["", "Thông tin chưa được kiểm chứng"]))
    def take_down(self, role, reason):
        self._do(lambda: services.post_take_down(post=self._post(), by=self.ctx["people"][role], reason=reason))

    @rule(role=st.sampled_from(ROLES), source=st.sampled_from(list(TakedownRequest.Source)))
    def record_takedown(self, role, source):
        self._do(lambda: services.takedown_request_record(
            post=self._post(), source=source, requester="Sở Thông tin và Truyền thông", reason="Sai sự thật",
            by=self.ctx["people"][role], received_at=self.clock,
        ))

    @rule(hours=st.sampled_from([1, 30, 60]))
    def escalate(self, hours):
        self.clock += datetime.timedelta(hours=hours)
        self._do(lambda: services.takedown_escalate_overdue(now=self.clock))

    # --- invariants ----------------------------------------------------------------------
    @invariant()
    def public_only_what_someone_else_approved(self):
        post = self._post()
        public = Post.objects.published().filter(pk=post.pk).exists()
        if public:
            assert post.live_revision_id is not None
        if post.live_revision_id is None:
            return
        live = Revision.objects.get(pk=post.live_revision_id)
        assert live.post_id == post.pk
        approvals = Submission.objects.filter(revision=live, state=Submission.State.APPROVED)
        assert approvals.exists(), "a live revision nobody approved"
        for approval in approvals:
            assert approval.decided_by_id is not None
            assert approval.decided_by_id not in {live.created_by_id, approval.submitted_by_id, post.created_by_id}
        # What went live is exactly what was submitted and approved, byte for byte.
        assert live.content == self.submitted[live.pk]
        assert live.content_hash == content_hash(live.content)
        assert post.status not in (S.WITHDRAWN, S.TAKEN_DOWN)

    @invariant()
    def audit_holds_only_allowed_moves_chained_to_the_state(self):
        state = S.DRAFT
        for entry in AuditEntry.objects.filter(post_id=self.post_id).order_by("id"):
            if not entry.to_state:  # a record (blocked by the rules, takedown request...): no move
                assert entry.from_state in ("", state), entry
                continue
            if entry.action == Action.PUBLISH_REFUSED:
                assert (entry.from_state, entry.to_state) == (S.SCHEDULED, S.DRAFT)
            else:
                sources, target = TRANSITIONS[entry.action]
                assert entry.from_state in sources and entry.to_state == target, entry
            # Removing a live post whose working copy was being edited records that state.
            assert entry.data.get("working_copy_state", entry.from_state) == state, entry
            state = entry.to_state
        assert state == Post.objects.get(pk=self.post_id).status

    @invariant()
    def at_most_one_pending(self):
        assert Submission.objects.filter(post_id=self.post_id, state=Submission.State.PENDING).count() <= 1
        status = Post.objects.values_list("status", flat=True).get(pk=self.post_id)
        pending = Submission.objects.filter(post_id=self.post_id, state=Submission.State.PENDING).exists()
        assert pending == (status == S.SUBMITTED)
        event(f"state {status}")  # --hypothesis-show-statistics: which states the examples reach


@pytest.mark.django_db
def test_workflow_invariants_hold_for_any_sequence(tree, people):
    user_model = get_user_model()
    unit_editor = user_model.objects.create_user("bientap2.dongda", email="bt2@mattran.example.vn", is_staff=True)
    assign_perm("orgunits.edit_content", unit_editor, tree.dongda)
    # The author also approves at Hà Nội, the unit that approves Đống Đa: the self-approval
    # guard is exercised on every example, not only in one hand-written test.
    assign_perm("orgunits.approve_content", people.editor, tree.hanoi)
    WorkflowMachine.ctx = {
        "people": {
            "author": people.editor, "unit_editor": unit_editor, "other_editor": people.other_editor,
            "district_approver": people.district_approver, "province_approver": people.approver,
            "superuser": people.superuser,
        },
        "page": page_create(unit=tree.dongda, by=None),
        "topic": Topic.objects.order_by("order").first(),
    }
    run_state_machine_as_test(
        WorkflowMachine,
        settings=settings(max_examples=60, stateful_step_count=25, deadline=None, database=None,
                          suppress_health_check=[HealthCheck.too_slow]),
    )
