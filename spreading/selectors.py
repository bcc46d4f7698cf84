"""Reads of spreading for the staff: the sender's progress and tally. (What a unit page shows
from elsewhere is read with the rest of the public page, ``pages.public.selectors.own_and_spread_posts``.)"""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from pages.models import Post

from .models import Delivery, Direction, Spread
from .states import VISIBLE, DeliveryState


def spread_counts(*, spread: Spread) -> dict[str, int]:
    """Rows per state (every state present, zeros included): one grouped query."""
    counts = {s.value: 0 for s in DeliveryState}
    for row in Delivery.objects.filter(spread=spread).values("state").annotate(n=Count("id")).order_by():
        counts[row["state"]] = row["n"]
    return counts


def spread_rows(*, spread: Spread, state: str = "", limit: int = 100) -> QuerySet[Delivery]:
    """The list behind one count, units named (one query)."""
    qs = Delivery.objects.filter(spread=spread).select_related("unit").order_by("unit__path")
    if state:
        qs = qs.filter(state=state)
    return qs[:limit]


def reach(*, spread: Spread) -> int:
    """Pages showing the post now: visible rows of a post that is itself live."""
    if not Post.objects.published().filter(pk=spread.post_id).exists():
        return 0
    return Delivery.objects.filter(spread=spread, state__in=VISIBLE).count()


def spread_figures(*, scope: Q, limit: int = 1000) -> list[Spread]:
    """Spreads down within ``scope`` (a Q on the sending unit), newest first, each with its
    figures: ``visible``, ``confirmed``, ``declined``, ``failed``, ``withdrawn_n`` and ``reach``
    (pages showing it now: none once the post is off the site). One grouped query."""
    def n(*states: str) -> Count:
        return Count("deliveries", filter=Q(deliveries__state__in=states))

    rows = list(
        Spread.objects.filter(scope, direction=Direction.DOWN)
        .select_related("post", "from_unit")
        .only("id", "created_at", "targeted", "without_page", "state", "from_unit__name", "from_unit__path", "post__title",
              "post__live_revision_id", "post__published_at", "post__unit_id")
        .annotate(visible=n(*VISIBLE), confirmed=n(DeliveryState.CONFIRMED), declined=n(DeliveryState.DECLINED),
                  failed=n(DeliveryState.FAILED), withdrawn_n=n(DeliveryState.WITHDRAWN))
        .order_by("-created_at", "-id")[:limit]
    )
    now = timezone.now()
    for row in rows:
        live = row.post.live_revision_id is not None and row.post.published_at and row.post.published_at <= now
        row.reach = row.visible if live else 0
    return rows


def proposal_figures(*, scope: Q) -> list[dict]:
    """Per proposing unit within ``scope``: proposals sent, accepted, declined, waiting. One query."""
    def n(*states: str) -> Count:
        return Count("id", filter=Q(state__in=states))

    return list(
        Delivery.objects.filter(scope, spread__direction=Direction.UP)
        .values("spread__from_unit_id", "spread__from_unit__name", "spread__from_unit__path")
        .annotate(sent=Count("id"), accepted=n(*VISIBLE), declined=n(DeliveryState.DECLINED),
                  waiting=n(DeliveryState.AWAITING))
        .order_by("-sent", "spread__from_unit__name")
    )
