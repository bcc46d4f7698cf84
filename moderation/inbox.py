"""The staff inbox ("Việc của tôi"): what waits for the user's decision, what was decided on
their posts, and the takedown clocks running in their subtree.

Reads only, scoped through the request's grants (``orgunits.admin_scoping``, read once per
request) exactly like the admin lists they point to (the queue, the post list, the takedown
requests), so the inbox never shows a row its link would refuse. A fixed number of queries
whatever the number of units, grants or rows.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.contrib.admin import AdminSite
from django.db.models import Q
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from orgunits.admin_scoping import request_grants
from orgunits.roles import Perm
from pages.models import Post

from .models import Submission, TakedownRequest

#: How far back "decided on my posts" looks.
DECIDED_WITHIN = datetime.timedelta(days=14)
#: Under this much time left, a takedown clock is shown as urgent.
URGENT = datetime.timedelta(hours=6)


@dataclass
class Section:
    title: str
    count: int = 0
    items: list = field(default_factory=list)


@dataclass
class Inbox:
    to_decide: Section
    decided: Section
    takedowns: Section

    @property
    def sections(self) -> list[Section]:
        return [self.to_decide, self.decided, self.takedowns]


def not_own_q(user) -> Q:
    """Submissions ``user`` may decide: neither sent by them nor of a post they wrote (the
    services refuse those). Their posts as a NOT IN: a short list read by the author index,
    not a join to the post of every submission counted."""
    return ~Q(submitted_by=user.pk) & ~Q(post__in=Post.objects.filter(created_by=user.pk).values("pk"))


def _to_decide(request: HttpRequest):
    """Pending submissions the user approves for, less their own."""
    return Submission.objects.filter(
        request_grants(request, Perm.APPROVE).q("approving_unit__"), not_own_q(request.user),
        state=Submission.State.PENDING,
    )


def _decided(request: HttpRequest, now: datetime.datetime):
    # Only posts still in the user's editing scope: a revoked editor no longer reads them.
    user = request.user
    return Submission.objects.filter(
        Q(post__created_by=user.pk) | Q(submitted_by=user.pk),
        request_grants(request, Perm.EDIT).q("post__unit__"),
        state__in=[Submission.State.APPROVED, Submission.State.SENT_BACK],
        decided_at__gte=now - DECIDED_WITHIN,
    )


def _takedowns(request: HttpRequest):
    return TakedownRequest.objects.filter(
        request_grants(request, Perm.APPROVE).q("post__unit__"),
        state__in=[TakedownRequest.State.OPEN, TakedownRequest.State.ESCALATED],
    )


def inbox_counts(*, request: HttpRequest) -> dict[str, int]:
    """The three numbers of the admin index; the first is the header badge's (one count)."""
    now = timezone.now()
    return {
        "to_decide": waiting_count(request),
        "decided": _decided(request, now).count(),
        "takedowns": _takedowns(request).count(),
    }


def waiting_count(request: HttpRequest) -> int:
    """What waits for the user's decision, for the badge beside "Việc của tôi" on every admin
    page: nothing to count (and no query but the request's grant read) for those who approve
    nowhere, one COUNT for the others, once per request. Pages that count the same rows
    already (the inbox, the whole queue) leave their number in ``request._inbox_waiting``."""
    if "_inbox_waiting" not in request.__dict__:
        grants = request_grants(request, Perm.APPROVE)
        request._inbox_waiting = (
            Submission.objects.filter(grants.q("approving_unit__"), not_own_q(request.user),
                                      state=Submission.State.PENDING).count()
            if grants else 0
        )
    return request._inbox_waiting


def inbox_for(*, request: HttpRequest, limit: int = 20) -> Inbox:
    """The request's user's inbox, each section's first ``limit`` rows and its full count."""
    now = timezone.now()
    to_decide = _to_decide(request)
    decided = _decided(request, now)
    takedowns = _takedowns(request)
    return Inbox(
        to_decide=Section(
            _("Chờ tôi quyết định"), to_decide.count(),
            list(to_decide.select_related("revision", "post__unit", "submitted_by").order_by("submitted_at", "pk")[:limit]),
        ),
        decided=Section(
            _("Đã có quyết định về bài của tôi"), decided.count(),
            list(decided.select_related("revision", "post__unit", "decided_by").order_by("-decided_at", "-pk")[:limit]),
        ),
        takedowns=Section(
            _("Yêu cầu gỡ bài đang chạy giờ"), takedowns.count(),
            list(takedowns.select_related("post__unit").order_by("deadline", "pk")[:limit]),
        ),
    )


def time_left(deadline: datetime.datetime, *, now: datetime.datetime | None = None) -> tuple[str, str]:
    """(text, css class) of a takedown clock: "3 giờ 20 phút", amber under six hours, red late."""
    seconds = int((deadline - (now or timezone.now())).total_seconds())
    if seconds < 0:
        late = -seconds
        return gettext("quá hạn %(h)d giờ %(m)d phút") % {"h": late // 3600, "m": late % 3600 // 60}, "vf-late"
    text = gettext("%(h)d giờ %(m)d phút") % {"h": seconds // 3600, "m": seconds % 3600 // 60}
    return text, "vf-soon" if seconds < URGENT.total_seconds() else ""


def inbox_view(request: HttpRequest, *, admin_site: AdminSite) -> TemplateResponse:
    """Behind ``admin_site.admin_view`` (staff only); every staff user has an inbox, maybe empty."""
    inbox = inbox_for(request=request)
    request._inbox_waiting = inbox.to_decide.count  # the header's badge: counted already
    now = timezone.now()
    clocks = [(r, *time_left(r.deadline, now=now)) for r in inbox.takedowns.items]
    context = {
        **admin_site.each_context(request),
        "title": gettext("Việc của tôi"),
        "inbox": inbox,
        "clocks": clocks,
        "decided_within_days": DECIDED_WITHIN.days,
    }
    response = TemplateResponse(request, "admin/moderation/inbox.html", context)
    add_never_cache_headers(response)
    return response
