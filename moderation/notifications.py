"""E-mail notifications of workflow steps. Called after commit; mail goes out through a task.

Approvers hear when something awaits them (or, with the daily digest option, once a day);
editors hear when their post is approved, sent back, published, withdrawn or taken down.

A step taken in a request schedules its notice with ``after_commit``: who is to hear is worked
out by a worker (three or four queries that the person who clicked should not wait for), or in
the request when no broker takes the task, so no notice is lost to an outage.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mass_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from orgunits.roles import Perm
from orgunits.selectors import unit_access_q
from vietfront.escaping import one_line, strip_controls


def after_commit(event: str, **ids) -> None:
    """Tell whoever must hear of ``event`` (a key of ``NOTIFIERS``) once the transaction commits."""
    transaction.on_commit(partial(_dispatch, event, ids))


def _dispatch(event: str, ids: dict) -> None:
    from vietfront.tasks import enqueue

    from .tasks import notify_task

    if not enqueue(notify_task, event=event, **ids):
        NOTIFIERS[event](**ids)


def _emails(users: Iterable) -> list[str]:
    return sorted({u.email for u in users if u.email and u.is_active})


def _queue(subject: str, body: str, recipients: list[str], *, link: str = "") -> None:
    """``link``: the site path where the recipient acts on the mail."""
    if not recipients:
        return
    if link:
        body = _with_link(body, link)
    from vietfront.tasks import enqueue

    from .tasks import send_email_task

    if not enqueue(send_email_task, subject=subject, body=body, recipients=recipients):
        # No broker: send now rather than lose the mail (no sweep stands behind notifications).
        send(subject=subject, body=body, recipients=recipients)


def send(*, subject: str, body: str, recipients: list[str]) -> int:
    """One message per recipient, so addresses are not disclosed to each other.

    Titles and reasons are plain text and the mail is text/plain: the body carries them as
    typed. The subject is one line whatever a title holds: a line break there would start a
    header of its own (Django refuses such a message, so the mail was lost).
    """
    subject, body = one_line(subject), strip_controls(body)
    messages = [(subject, body, settings.DEFAULT_FROM_EMAIL, [r]) for r in recipients]
    return send_mass_mail(messages, fail_silently=False)


def _link(path: str) -> str:
    """An absolute address for a mail: read outside the site, a bare path leads nowhere."""
    return f"{settings.VIETFRONT_SITE_URL}{path}"


def _with_link(body: str, path: str) -> str:
    return f"{body}\n\n" + _("Xem tại: %(url)s") % {"url": _link(path)}


def _when(value) -> str:
    """A time as the editor reads it: local, day first (not the database's UTC ISO form)."""
    return timezone.localtime(value).strftime("%H:%M %d/%m/%Y") if value else "—"


def _post_people(post, *, submitter=None) -> list:
    """The editors who answer for a post: its author and ``submitter``, by default whoever last
    submitted it (a colleague of the same unit may submit the author's draft; both must hear
    what became of it). ``_emails`` removes the doubles."""
    from .models import Submission

    if submitter is None:
        latest = (
            Submission.objects.filter(post=post).select_related("submitted_by").order_by("-submitted_at", "-pk").first()
        )
        submitter = latest.submitted_by if latest else None
    return [p for p in (post.created_by, submitter) if p is not None]


def notify_submitted(*, submission_id: int) -> None:
    from .models import Submission
    from .routing import approvers_to_notify

    submission = Submission.objects.select_related("post", "approving_unit", "post__unit", "revision").get(pk=submission_id)
    if submission.state != Submission.State.PENDING:
        return  # decided or withdrawn before the notice went out: nothing awaits the approvers
    # The nearest level with an active approver who is not the post's author: an author who
    # approves at that level cannot decide, so the post would otherwise wait unseen.
    approvers = approvers_to_notify(
        submission.approving_unit, exclude={submission.submitted_by_id, submission.post.created_by_id}
    )
    # Digest users still count as that level's approvers, but hear once a day instead
    # (``send_daily_digests``).
    approvers = approvers.exclude(notification_preference__daily_digest=True)
    _queue(
        _("[Chờ duyệt] %(title)s") % {"title": submission.revision.title},
        _("Bài viết “%(title)s” của %(unit)s đang chờ anh/chị duyệt.\nCảnh báo quy chế: %(n)d.")
        % {"title": submission.revision.title, "unit": submission.post.unit.name, "n": len(submission.warning_findings)},
        _emails(approvers),
        link=reverse("admin:moderation_submission_decide", args=[submission.pk]),
    )


def notify_decided(*, submission_id: int) -> None:
    from .models import Submission

    submission = Submission.objects.select_related("post__created_by", "revision", "submitted_by").get(pk=submission_id)
    if submission.state == Submission.State.APPROVED:
        subject = _("[Đã duyệt] %(title)s")
        body = _("Bài viết “%(title)s” đã được duyệt và sẽ đăng lúc %(when)s.")
    else:
        subject = _("[Trả lại] %(title)s")
        body = _("Bài viết “%(title)s” được trả lại để sửa. Lý do: %(reason)s")
    values = {"title": submission.revision.title, "when": _when(submission.publish_at), "reason": submission.reason}
    _queue(subject % values, body % values, _emails(_post_people(submission.post, submitter=submission.submitted_by)),
           link=reverse("admin:pages_post_change", args=[submission.post_id]))


def notify_published(*, post_id: int) -> None:
    from pages.models import Post

    post = Post.objects.select_related("created_by", "live_revision").get(pk=post_id)
    title = post.live_revision.title if post.live_revision else post.title
    _queue(
        _("[Đã đăng] %(title)s") % {"title": title},
        _("Bài viết “%(title)s” đã đăng công khai: %(url)s") % {"title": title, "url": _link(post.get_absolute_url())},
        _emails(_post_people(post)),
    )


def notify_removed(*, post_id: int, action: str, reason: str) -> None:
    from pages.models import Post

    post = Post.objects.select_related("created_by").get(pk=post_id)
    verb = _("gỡ") if action == "take_down" else _("rút")
    _queue(
        _("[Đã %(verb)s bài] %(title)s") % {"verb": verb, "title": post.title},
        _("Bài viết “%(title)s” đã bị %(verb)s khỏi trang công khai. Lý do: %(reason)s")
        % {"title": post.title, "verb": verb, "reason": reason or "—"},
        _emails(_post_people(post)),
        link=reverse("admin:pages_post_change", args=[post.pk]),
    )


def notify_takedown_requested(*, request_id: int) -> None:
    from .models import TakedownRequest
    from .routing import approvers_to_notify, approving_unit_for

    request = TakedownRequest.objects.select_related("post", "post__unit").get(pk=request_id)
    approvers = approvers_to_notify(approving_unit_for(request.post.unit))
    _queue(
        _("[Yêu cầu gỡ bài, hạn %(deadline)s] %(title)s") % {"deadline": _when(request.deadline), "title": request.post.title},
        _("%(requester)s yêu cầu gỡ bài “%(title)s”. Hạn xử lý: %(deadline)s.\n%(reason)s")
        % {"requester": request.requester, "title": request.post.title, "deadline": _when(request.deadline),
           "reason": request.reason},
        _emails(approvers),
        link=reverse("admin:moderation_takedownrequest_change", args=[request.pk]),
    )


def notify_takedown_escalated(*, request_id: int) -> None:
    from .models import TakedownRequest
    from .routing import approvers_to_notify, approving_unit_for

    request = TakedownRequest.objects.select_related("post", "post__unit").get(pk=request_id)
    responsible = approving_unit_for(request.post.unit)
    above = responsible.parent if responsible.parent_id else responsible
    _queue(
        _("[Quá hạn gỡ bài] %(title)s") % {"title": request.post.title},
        _("Yêu cầu gỡ bài “%(title)s” của %(requester)s đã quá hạn %(deadline)s mà chưa được xử lý.")
        % {"title": request.post.title, "requester": request.requester, "deadline": _when(request.deadline)},
        _emails(approvers_to_notify(above)),
        link=reverse("admin:moderation_takedownrequest_change", args=[request.pk]),
    )


def send_daily_digests() -> int:
    """One mail per approver who chose the digest, listing what awaits them."""
    from .models import NotificationPreference, Submission

    sent = 0
    # Without an address there is nobody to mail: skip those users before querying their queue.
    users = get_user_model().objects.filter(
        pk__in=NotificationPreference.objects.filter(daily_digest=True).values("user_id"), is_active=True
    ).exclude(email="")
    # One queue query per user: each sees their own subtree.
    for user in users:
        pending = Submission.objects.filter(state=Submission.State.PENDING).filter(
            unit_access_q(user, Perm.APPROVE, unit_ref="approving_unit__")
        ).select_related("revision", "post__unit").order_by("submitted_at")
        lines = [
            # One line per post: a title holding line breaks must not pass for several entries.
            f"- {one_line(s.revision.title)} ({one_line(s.post.unit.name)}, {_when(s.submitted_at)})\n"
            f"  {_link(reverse('admin:moderation_submission_decide', args=[s.pk]))}"
            for s in pending[:200]
        ]
        if not lines:
            continue
        send(
            subject=_("[Tổng hợp] %(n)d bài viết chờ duyệt") % {"n": len(lines)},
            body="\n".join(lines),
            recipients=[user.email],
        )
        sent += 1
    return sent


def notify_published_many(*, post_ids: list[int]) -> None:
    """``notify_published`` for a publishing sweep: one mail per recipient, whatever the number
    of their posts that went live together (the subject and body of a single publication when
    there is one). Three queries, then a mail per recipient."""
    from pages.models import Post

    from .models import Submission

    posts = list(
        Post.objects.filter(pk__in=post_ids).select_related("created_by", "live_revision", "unit")
        # What a mail says and where it points: not the bodies of a whole chunk of posts.
        .only("pk", "title", "slug", "unit__path", "live_revision__title", "created_by__email",
              "created_by__is_active")
        .order_by("pk")
    )
    submitters = {}
    for submission in (
        Submission.objects.filter(post_id__in=post_ids).select_related("submitted_by")
        .order_by("post_id", "-submitted_at", "-pk")
    ):
        submitters.setdefault(submission.post_id, submission.submitted_by)
    by_recipient: dict[str, list[tuple[str, str]]] = {}
    for post in posts:
        title = post.live_revision.title if post.live_revision else post.title
        item = (title, _link(post.get_absolute_url()))
        for email in _emails(_post_people(post, submitter=submitters.get(post.pk) or post.created_by)):
            by_recipient.setdefault(email, []).append(item)
    for email, items in by_recipient.items():
        if len(items) == 1:
            ((title, url),) = items
            subject = _("[Đã đăng] %(title)s") % {"title": title}
            body = _("Bài viết “%(title)s” đã đăng công khai: %(url)s") % {"title": title, "url": url}
        else:
            subject = _("[Đã đăng] %(n)d bài viết") % {"n": len(items)}
            # One line per post: a title holding line breaks must not pass for several entries.
            body = _("Các bài viết sau đã đăng công khai:") + "\n" + "\n".join(
                f"- {one_line(title)}\n  {url}" for title, url in items
            )
        _queue(subject, body, [email])


#: The notices ``after_commit`` can schedule, by the name the task carries.
NOTIFIERS = {
    "submitted": notify_submitted,
    "decided": notify_decided,
    "published": notify_published,
    "published_many": notify_published_many,
    "removed": notify_removed,
    "takedown_requested": notify_takedown_requested,
    "takedown_escalated": notify_takedown_escalated,
}
