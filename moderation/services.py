"""Every change to a post's publication state. The only writer of ``Post.status``.

Each transition: permission check, source-state check under a row lock, audit entry, side
effects after commit. An illegal transition raises ``WorkflowError`` and changes nothing.
"""

from __future__ import annotations

import datetime
import logging
from functools import partial

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.db.transaction import TransactionManagementError
from django.utils import timezone
from django.utils.translation import gettext as _

from channels import services as channel_services
from orgunits.roles import Perm
from orgunits.selectors import user_has_unit_perm
from pages.models import Post, PostStatus
from vietfront.precompiled import Precompiled
from vietfront.tasks import enqueue

from . import notifications
from .models import AuditEntry, Revision, Submission, TakedownRequest
from .review import post_documents, review_post
from .revisions import COVER_TEXT_FIELDS, content_hash, snapshot_post
from .routing import approving_unit_for
from .rules import Severity
from .states import Action, target_state

logger = logging.getLogger(__name__)

TAKEDOWN_DEADLINES = {
    TakedownRequest.Source.AUTHORITY: datetime.timedelta(hours=24),
    TakedownRequest.Source.COMPLAINT: datetime.timedelta(hours=48),
}


class WorkflowError(ValidationError):
    """A refused transition; its message is Vietnamese and safe to show to the user."""


class RegulationBlocked(WorkflowError):
    """Its ``messages`` are the blocking findings' messages; ``findings`` keeps them all."""

    def __init__(self, findings: list[dict]):
        self.findings = findings
        messages = [f["message"] for f in _blocking(findings)]
        super().__init__(messages or [_("Bài viết chưa đáp ứng quy chế thông tin.")])


# --- helpers ---------------------------------------------------------------------------------
# Every submission and decision reads these two: compiled once, prepared once per connection.
# The topic and cover with the post: the rules and the snapshot read both.
_LOCKED_POST = Precompiled(lambda *, pk: Post.objects.select_for_update(of=("self",))
                           .select_related("unit", "topic", "cover").filter(pk=pk))
_PENDING = Precompiled(lambda *, post_id: Submission.objects.select_for_update(of=("self",))
                       .select_related("revision", "approving_unit")
                       .filter(post_id=post_id, state=Submission.State.PENDING).order_by("pk")[:1])


def _require_transaction() -> None:
    """What Django checks when it compiles a ``select_for_update``, which a precompiled query
    does only once."""
    connection = transaction.get_connection()
    if connection.features.has_select_for_update and connection.get_autocommit():
        raise TransactionManagementError("select_for_update cannot be used outside of a transaction.")


def _locked(post: Post) -> Post:
    """Re-read the post under a row lock; the caller is inside ``transaction.atomic``."""
    _require_transaction()
    rows = _LOCKED_POST.list(pk=post.pk)
    if not rows:
        raise Post.DoesNotExist("No post with this id.")
    return rows[0]


def _audit_entry(
    *, post: Post, actor, action: str, from_state: str = "", to_state: str = "", reason: str = "", **data
) -> AuditEntry:
    """An unsaved audit row (``_audit`` saves one; sweeps save theirs in bulk)."""
    return AuditEntry(
        post=post,
        unit_id=post.unit_id,
        actor=actor if getattr(actor, "pk", None) else None,
        action=action,
        from_state=from_state,
        to_state=to_state,
        reason=reason,
        data=data,
    )


def _audit(**fields) -> None:
    _audit_entry(**fields).save()


def _target(action: str, current: str) -> str:
    """The state ``action`` leads to from ``current``; refuses with a message the user can read."""
    target = target_state(action, current)
    if target is None:
        raise WorkflowError(
            _("Không thể “%(action)s” bài viết đang ở trạng thái “%(state)s”.")
            % {"action": Action(action).label, "state": PostStatus(current).label},
            code="illegal_transition",
        )
    return target


def _move(post: Post, action: str, *, actor, reason: str = "", **data) -> str:
    """Apply ``action`` to the locked ``post``: state check, save, audit. Returns the old state."""
    return _move_steps(post, [(action, reason, data)], actor=actor)


def _move_steps(post: Post, steps: list[tuple[str, str, dict]], *, actor) -> str:
    """Apply ``(action, reason, data)`` steps in turn to the locked ``post`` (approve, then
    schedule): each transition checked and audited, the final state written once. Returns the
    state before the first step."""
    first = post.status
    entries = []
    for action, reason, data in steps:
        current = post.status
        post.status = _target(action, current)
        entries.append(_audit_entry(post=post, actor=actor, action=action, from_state=current,
                                    to_state=post.status, reason=reason, **data))
    # The state alone, set-based: ``Post.save`` would re-derive every column (sanitising the
    # body again) and re-index the live revision, none of which a change of state touches. The
    # public never reads ``status``, so there is no cache to invalidate either.
    Post.objects.filter(pk=post.pk).update(status=post.status)
    AuditEntry.objects.bulk_create(entries)
    return first


def _require(user: AbstractBaseUser, perm: str, unit, message: str) -> None:
    if not user_has_unit_perm(user=user, perm=perm, unit=unit):
        raise PermissionDenied(message)


def _pending(post: Post) -> Submission | None:
    """The pending submission, locked, with what the decision reads (the joined rows unlocked)."""
    _require_transaction()
    rows = _PENDING.list(post_id=post.pk)
    return rows[0] if rows else None


def _supersede_pending(post: Post) -> None:
    Submission.objects.filter(post=post, state=Submission.State.PENDING).update(state=Submission.State.SUPERSEDED)


def _new_revision(post: Post, *, by: AbstractBaseUser | None, documents: list[list] | None = None) -> Revision:
    """Snapshot the locked ``post`` as its next revision (``documents``: see ``snapshot_post``)."""
    content = snapshot_post(post, documents=documents)
    number = (Revision.objects.filter(post=post).aggregate(n=Max("number"))["n"] or 0) + 1
    return Revision.objects.create(
        post=post,
        number=number,
        title=content["title"],
        summary=content["summary"],
        body=content["body"],
        topic_id=content["topic_id"],
        cover_id=content["cover_id"],
        **{f"cover_{name}": (content["cover"] or {}).get(name, "") for name in COVER_TEXT_FIELDS},
        content=content,
        content_hash=content_hash(content),
        created_by=by,
    )


def _blocking(findings: list[dict]) -> list[dict]:
    return [f for f in findings if f.get("severity") == Severity.BLOCK]


def _blocked_by_rules(post: Post, findings: list[dict], *, by: AbstractBaseUser) -> bool:
    """True when a finding blocks; the refusal is then audited. The caller raises
    ``RegulationBlocked`` after its transaction commits, so the audit row is kept."""
    if not _blocking(findings):
        return False
    _audit(post=post, actor=by, action=Action.RULES_BLOCKED, from_state=post.status, findings=findings)
    return True


# --- transitions -----------------------------------------------------------------------------
def post_submit(*, post: Post, by: AbstractBaseUser) -> Submission:
    """Snapshot the post, run the regulation's rules and ask the approving unit to decide.

    Blocking findings refuse the submission (recorded in the audit log, state unchanged).
    """
    blocked: list[dict] | None = None
    with transaction.atomic():
        post = _locked(post)
        # Against the locked row's unit, read with it (the caller's instance may not hold it).
        _require(by, Perm.EDIT, post.unit, _("Bạn không có quyền gửi duyệt bài viết của đơn vị này."))
        _target(Action.SUBMIT, post.status)  # refuse before running the rules
        approving_unit = approving_unit_for(post.unit)
        documents = post_documents(post)  # read once: the rules and the snapshot both need them
        findings = review_post(post, approving_unit=approving_unit, documents=documents)
        if _blocked_by_rules(post, findings, by=by):
            blocked = findings
        else:
            revision = _new_revision(post, by=by, documents=documents)
            _supersede_pending(post)
            submission = Submission.objects.create(
                post=post,
                revision=revision,
                approving_unit=approving_unit,
                findings=findings,
                submitted_by=by,
            )
            _move(post, Action.SUBMIT, actor=by, revision=revision.number, findings=findings)
            notifications.after_commit("submitted", submission_id=submission.pk)
    if blocked is not None:
        raise RegulationBlocked(blocked)
    return submission


def post_approve(
    *, post: Post, by: AbstractBaseUser, note: str = "", publish_at: datetime.datetime | None = None
) -> Submission:
    """Approve the pending revision and schedule it (now when no later time is asked for).

    The rules run again: terms or domains may have changed since submission.
    """
    with transaction.atomic():
        post = _locked(post)
        submission = _pending(post)
        if submission is None or post.status != PostStatus.SUBMITTED:
            raise WorkflowError(_("Bài viết không ở trạng thái chờ duyệt."), code="illegal_transition")
        _require(by, Perm.APPROVE, submission.approving_unit, _("Bạn không có quyền duyệt bài viết này."))
        if by.pk in {submission.submitted_by_id, post.created_by_id}:
            raise PermissionDenied(_("Không ai được tự duyệt bài viết của mình."))
        findings = review_post(post, approving_unit=submission.approving_unit)
        blocked = findings if _blocked_by_rules(post, findings, by=by) else None
        if blocked is None:
            now = timezone.now()
            when = max(publish_at or post.desired_publish_at or now, now)
            submission.state = Submission.State.APPROVED
            submission.decided_by = by
            submission.decided_at = now
            submission.reason = note
            submission.findings = findings
            submission.publish_at = when
            submission.save(update_fields=["state", "decided_by", "decided_at", "reason", "findings", "publish_at"])
            _move_steps(post, [
                (Action.APPROVE, note, {"revision": submission.revision.number}),
                (Action.SCHEDULE, "", {"publish_at": when.isoformat()}),
            ], actor=by)
            notifications.after_commit("decided", submission_id=submission.pk)
            if when <= now:
                from .tasks import publish_post_task

                transaction.on_commit(partial(enqueue, publish_post_task, post.pk))
    if blocked is not None:
        raise RegulationBlocked(blocked)
    return submission


def post_send_back(*, post: Post, by: AbstractBaseUser, reason: str) -> Submission:
    if not reason.strip():
        raise WorkflowError(_("Hãy ghi rõ lý do trả lại để người soạn biết cần sửa gì."), code="reason_required")
    with transaction.atomic():
        post = _locked(post)
        submission = _pending(post)
        if submission is None:
            raise WorkflowError(_("Bài viết không ở trạng thái chờ duyệt."), code="illegal_transition")
        _require(by, Perm.APPROVE, submission.approving_unit, _("Bạn không có quyền duyệt bài viết này."))
        _move(post, Action.SEND_BACK, actor=by, reason=reason)
        submission.state = Submission.State.SENT_BACK
        submission.decided_by = by
        submission.decided_at = timezone.now()
        submission.reason = reason
        submission.save(update_fields=["state", "decided_by", "decided_at", "reason"])
        notifications.after_commit("decided", submission_id=submission.pk)
    return submission


def post_publish(*, post_id: int, now: datetime.datetime | None = None) -> bool:
    """Put the approved revision live if it is due. Safe to run twice or on two workers at once:
    the row lock serialises them and the second finds the post already published.

    Refuses (and returns the post to draft) when the post's content is no longer the approved
    revision; publishing never shows the public anything that was not approved.
    """
    now = now or timezone.now()
    with transaction.atomic():
        post = Post.objects.select_for_update().filter(pk=post_id).first()
        if post is None or post.status != PostStatus.SCHEDULED:
            return False
        submission = (
            Submission.objects.filter(post=post, state=Submission.State.APPROVED)
            .select_related("revision")
            .order_by("-decided_at", "-pk")
            .first()
        )
        if submission is None or (submission.publish_at and submission.publish_at > now):
            return False
        if content_hash(snapshot_post(post)) != submission.revision.content_hash:
            post.status = PostStatus.DRAFT
            post.save(update_fields=["status"])
            _audit(post=post, actor=None, action=Action.PUBLISH_REFUSED, from_state=PostStatus.SCHEDULED,
                   to_state=PostStatus.DRAFT, reason="content changed after approval")
            logger.warning("Refused to publish post %s: content differs from the approved revision", post.pk)
            return False
        post.live_revision = submission.revision
        post.published_at = post.published_at or now
        post.save(update_fields=["live_revision", "published_at"])
        _move(post, Action.PUBLISH, actor=None, revision=submission.revision.number)
        notifications.after_commit("published", post_id=post.pk)
        channel_services.deliveries_on_publish(post_id=post.pk)  # Facebook and Zalo, after commit
    return True


def post_content_changed(*, post: Post, by: AbstractBaseUser) -> Post:
    """Called after an editor saves a post: an edit after submission or approval needs review
    again. A live post stays live with its approved revision meanwhile."""
    with transaction.atomic():
        post = _locked(post)
        if target_state(Action.EDIT, post.status) is None:
            return post
        # Saving without changing anything the public sees must not send a post back to review.
        reviewed = (
            Submission.objects.filter(post=post, state__in=[Submission.State.PENDING, Submission.State.APPROVED])
            .order_by("-submitted_at", "-pk")
            .values_list("revision__content_hash", flat=True)
            .first()
        )
        if reviewed == content_hash(snapshot_post(post)):
            return post
        _supersede_pending(post)
        _move(post, Action.EDIT, actor=by)
    return post


def post_publish_imported(
    *, post: Post, by: AbstractBaseUser | None, published_at: datetime.datetime, reason: str
) -> Post:
    """Put content live that was already public elsewhere (a unit's former Zalo or Facebook
    page, demo data) without the approval queue. Super-admins only; audited as an import.

    It still goes through a revision, so the public sees exactly the recorded snapshot.
    """
    if by is not None and not by.is_superuser:
        raise PermissionDenied(_("Chỉ quản trị hệ thống được nhập bài đã đăng từ nguồn khác."))
    with transaction.atomic():
        post = _locked(post)
        if post.live_revision_id is not None:
            return post
        revision = _new_revision(post, by=by or post.created_by)
        previous = post.status
        post.status = PostStatus.PUBLISHED
        post.live_revision = revision
        post.published_at = published_at
        post.save(update_fields=["status", "live_revision", "published_at"])
        _audit(post=post, actor=by, action=Action.IMPORT, from_state=previous, to_state=PostStatus.PUBLISHED, reason=reason)
    return post


def _end_publication(post: Post, action: str, *, by: AbstractBaseUser, reason: str) -> None:
    data = {}
    if post.live_revision_id is not None and target_state(action, post.status) is None:
        # A live post whose working copy is being edited: the live copy is what is removed. The
        # audit row keeps the working copy's real state too, so the log's chain of states holds.
        data["working_copy_state"] = post.status
        post.status = PostStatus.PUBLISHED
    _move(post, action, actor=by, reason=reason, **data)
    _supersede_pending(post)
    post.live_revision = None
    post.save(update_fields=["live_revision"])
    notifications.after_commit("removed", post_id=post.pk, action=action, reason=reason)
    channel_services.deliveries_on_removal(post_id=post.pk)  # delete what Facebook and Zalo carry


def post_withdraw(*, post: Post, by: AbstractBaseUser, reason: str = "") -> Post:
    """Its own unit takes the post off the public site (or cancels it before it goes live)."""
    _require(by, Perm.EDIT, post.unit, _("Bạn không có quyền rút bài viết của đơn vị này."))
    with transaction.atomic():
        post = _locked(post)
        _end_publication(post, Action.WITHDRAW, by=by, reason=reason)
    return post


def post_take_down(*, post: Post, by: AbstractBaseUser, reason: str) -> Post:
    """An approver above the post's unit removes it at once, with a reason; closes open
    takedown requests on it."""
    if not reason.strip():
        raise WorkflowError(_("Gỡ bài phải có lý do."), code="reason_required")
    _require(by, Perm.APPROVE, approving_unit_for(post.unit), _("Bạn không có quyền gỡ bài viết này."))
    with transaction.atomic():
        post = _locked(post)
        if post.live_revision_id is None:
            raise WorkflowError(_("Bài viết không đang hiển thị công khai."), code="illegal_transition")
        _end_publication(post, Action.TAKE_DOWN, by=by, reason=reason)
        TakedownRequest.objects.filter(
            post=post, state__in=[TakedownRequest.State.OPEN, TakedownRequest.State.ESCALATED]
        ).update(state=TakedownRequest.State.CLOSED, closed_by=by, closed_at=timezone.now())
    return post


# --- takedown requests -----------------------------------------------------------------------
def takedown_request_record(
    *,
    post: Post,
    source: str,
    requester: str,
    reason: str,
    by: AbstractBaseUser,
    received_at: datetime.datetime | None = None,
) -> TakedownRequest:
    _require(by, Perm.APPROVE, approving_unit_for(post.unit), _("Bạn không có quyền ghi nhận yêu cầu gỡ bài này."))
    received_at = received_at or timezone.now()
    with transaction.atomic():
        request = TakedownRequest.objects.create(
            post=post,
            source=source,
            requester=requester,
            reason=reason,
            received_at=received_at,
            deadline=received_at + TAKEDOWN_DEADLINES[source],
            recorded_by=by,
        )
        _audit(post=post, actor=by, action=Action.TAKEDOWN_REQUESTED, reason=reason,
               source=source, requester=requester, deadline=request.deadline.isoformat())
        notifications.after_commit("takedown_requested", request_id=request.pk)
    return request


def takedown_escalate_overdue(*, now: datetime.datetime | None = None) -> int:
    """Mark open requests past their deadline escalated and tell the next level up. Idempotent."""
    now = now or timezone.now()
    with transaction.atomic():
        # A few queries whatever the number of requests. Rows another sweep (or a take-down
        # closing them) holds are skipped: that one deals with them, none is escalated twice.
        overdue = list(
            TakedownRequest.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("post")
            .filter(state=TakedownRequest.State.OPEN, deadline__lt=now)
        )
        if not overdue:
            return 0
        TakedownRequest.objects.filter(pk__in=[r.pk for r in overdue]).update(
            state=TakedownRequest.State.ESCALATED, escalated_at=now
        )
        AuditEntry.objects.bulk_create(
            _audit_entry(post=r.post, actor=None, action=Action.TAKEDOWN_ESCALATED, deadline=r.deadline.isoformat())
            for r in overdue
        )
        for request in overdue:
            notifications.after_commit("takedown_escalated", request_id=request.pk)
    return len(overdue)


def due_post_ids(*, now: datetime.datetime | None = None) -> list[int]:
    now = now or timezone.now()
    return list(
        Submission.objects.filter(
            state=Submission.State.APPROVED, post__status=PostStatus.SCHEDULED, publish_at__lte=now
        ).values_list("post_id", flat=True).distinct()
    )
