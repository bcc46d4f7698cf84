"""Carry the work of dissolved units: unpublished posts follow their unit, pending submissions
go to the approving unit of the new structure, and what is public stays where it was published.

Published, withdrawn and taken-down posts keep their unit and page, so their URLs keep
working and the successor's page lists them as history. Takedown requests belong to their
post and keep their deadlines: nothing here touches them, the report counts them.
"""

from __future__ import annotations

from django.db.models import Q
from django.utils.translation import gettext

from moderation import notifications
from moderation.models import AuditEntry, Submission, TakedownRequest
from moderation.routing import approving_unit_for
from moderation.states import Action
from pages import services as page_services
from pages.models import CommunityPage, Post, PostStatus
from spreading.models import Delivery

from ..models import OrgUnit
from .report import Report
from .successors import active_successors

# Not public yet: the work goes on at the successor.
UNPUBLISHED = (
    PostStatus.DRAFT,
    PostStatus.SUBMITTED,
    PostStatus.CHANGES_REQUESTED,
    PostStatus.APPROVED,
    PostStatus.SCHEDULED,
)
PUBLIC_RECORD = (PostStatus.PUBLISHED, PostStatus.WITHDRAWN, PostStatus.TAKEN_DOWN)
OPEN_TAKEDOWNS = (TakedownRequest.State.OPEN, TakedownRequest.State.ESCALATED)


def _label(unit: OrgUnit) -> str:
    return f"{unit.name} ({unit.kind} {unit.code})"


def _page_for(unit: OrgUnit, report: Report) -> CommunityPage:
    """The successor's page; one is created (not yet set up) when it has none, so the moved
    work has a home. Its profile is for the unit admin to fill in (or copy from a predecessor)."""
    page = CommunityPage.objects.filter(unit=unit).first()
    if page is None:
        page = page_services.page_create(unit=unit, by=None, activate=False)
        report.pages_created.append(_label(unit))
    return page


def drafts_carry(*, unit_ids: set[int], report: Report) -> set[int]:
    """Move the unpublished posts of dissolved units to their successors' pages; returns their
    ids. Caller holds the tree lock. A post whose unit has no successor stays (and is counted)."""
    posts = list(
        Post.objects.select_for_update(of=("self",))
        .filter(unit_id__in=unit_ids, status__in=UNPUBLISHED)
        .order_by("pk")
    )
    if not posts:
        return set()
    successors = active_successors({p.unit_id for p in posts})
    names = dict(OrgUnit.objects.filter(pk__in={p.unit_id for p in posts}).values_list("pk", "name"))
    pages: dict[int, CommunityPage] = {}
    moved: set[int] = set()
    audit: list[AuditEntry] = []
    for post in posts:
        successor = successors[post.unit_id]
        if successor is None:
            report.notes.append(f"Post {post.pk} stays on dissolved unit {post.unit_id}: no successor.")
            continue
        if successor.pk not in pages:
            pages[successor.pk] = _page_for(successor, report)
        page = pages[successor.pk]
        from_unit = post.unit_id
        post.page = page
        if Post.objects.filter(page=page, slug=post.slug).exclude(pk=post.pk).exists():
            post.slug = ""  # Post.save picks the next free slug on the new page
        post.save(update_fields=["page", "slug"])
        moved.add(post.pk)
        # On the successor, whose approvers and admins read its log: why the post is there now.
        audit.append(_record(post, Action.UNIT_REORGANISED, unit_id=successor.pk,
                             source=(from_unit, names[from_unit]), target=successor))
    AuditEntry.objects.bulk_create(audit)
    report.drafts_moved += len(moved)
    return moved


def submissions_reroute(*, unit_ids: set[int], moved_post_ids: set[int], report: Report) -> None:
    """Send each pending submission waiting on a dissolved unit, or of a post that moved out from
    under its approving unit, to the approving unit of the new structure, and tell that unit's
    approvers (after commit). Caller holds the tree lock (fresh tree fields)."""
    pending = list(
        Submission.objects.select_for_update(of=("self",))
        .filter(state=Submission.State.PENDING)
        .filter(_waiting_on(unit_ids) | _of_posts(moved_post_ids))
        .select_related("post__unit", "approving_unit")
        .order_by("pk")
    )
    for submission in pending:
        current, unit = submission.approving_unit, submission.post.unit
        if current.is_active and current.tree_id == unit.tree_id and current.lft <= unit.lft <= current.rght:
            # Still a live unit above the post: the submitter's approvers keep it.
            continue
        target = approving_unit_for(unit)
        if target.pk == current.pk:
            continue
        report.submissions_rerouted.append(
            {"post": submission.post_id, "from_unit": _label(submission.approving_unit), "to_unit": _label(target)}
        )
        Submission.objects.filter(pk=submission.pk, state=Submission.State.PENDING).update(approving_unit=target)
        _record(submission.post, Action.REROUTED, unit_id=unit.pk, source=(current.pk, current.name),
                target=target).save()
        notifications.after_commit("submitted", submission_id=submission.pk)


def _record(
    post: Post, action: str, *, unit_id: int, source: tuple[int, str], target: OrgUnit
) -> AuditEntry:
    """A record (the state stays) with no actor: the reorganisation did it, not a person."""
    reason = gettext("Sắp xếp lại đơn vị: từ %(source)s sang %(target)s") % {
        "source": source[1], "target": target.name,
    }
    return AuditEntry(post=post, unit_id=unit_id, action=action, from_state=post.status, reason=reason,
                      data={"from_unit": source[0], "to_unit": target.pk})


def _waiting_on(unit_ids: set[int]) -> Q:
    return Q(approving_unit_id__in=unit_ids)


def _of_posts(post_ids: set[int]) -> Q:
    return Q(post_id__in=post_ids) if post_ids else Q(pk__in=[])


def public_record_count(*, unit_ids: set[int], report: Report) -> None:
    """Count what stays where it is: public posts, open takedown requests, spread deliveries."""
    report.published_kept += Post.objects.filter(unit_id__in=unit_ids, status=PostStatus.PUBLISHED).count()
    report.takedowns_kept += TakedownRequest.objects.filter(
        post__unit_id__in=unit_ids, state__in=OPEN_TAKEDOWNS
    ).count()
    report.deliveries_on_dissolved += Delivery.objects.filter(unit_id__in=unit_ids).count()
