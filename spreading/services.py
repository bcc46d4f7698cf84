"""Every write of spreading: sending a post down, proposing it up, and each delivery's moves.

Spreading adds places where a live post appears; it never changes the post's publication
state (that is ``moderation``'s alone). The delivery rows are written in bulk, chunk by chunk,
each chunk its own transaction, with conditional updates: running the work twice, or two
workers at once, or resuming after a worker died, leaves one row per target. The tree is read,
never locked.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from functools import partial

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from channels import services as channel_services
from orgunits.managers import interval_q
from orgunits.models import OrgUnit, UnitKind
from orgunits.roles import Perm
from orgunits.selectors import user_has_unit_perm
from pages.cache import bump_pages
from pages.models import PageStatus, Post, PostStatus
from vietfront.tasks import enqueue

from . import notifications
from .models import Delivery, Direction, Scope, Spread, SpreadEvent, SpreadState
from .states import OPEN, VISIBLE, DeliveryAction, DeliveryState, allowed, sources

CHUNK_SIZE = 2000
D = DeliveryState
SPREADABLE_KINDS = (UnitKind.PROVINCE, UnitKind.DISTRICT, UnitKind.COMMUNE)


class SpreadError(ValidationError):
    """A refused spreading step; its message is Vietnamese and safe to show."""


# --- helpers ---------------------------------------------------------------------------------
def _event(spread: Spread, action: str, *, by: AbstractBaseUser | None, delivery: Delivery | None = None,
           reason: str = "", **data) -> None:
    SpreadEvent.objects.create(spread=spread, delivery=delivery, actor=by if getattr(by, "pk", None) else None,
                               action=action, reason=reason, data=data)


def _may_send(user: AbstractBaseUser, unit: OrgUnit) -> bool:
    """Approvers and unit admins of a unit spread its posts down."""
    return any(user_has_unit_perm(user=user, perm=p, unit=unit) for p in (Perm.APPROVE, Perm.ADMIN))


def _is_live(post: Post) -> bool:
    return Post.objects.published().filter(pk=post.pk).exists()


#: Posts approved for publication but not live yet may be spread ahead: their targets show
#: them from the moment they go live (a target's page lists live posts only).
AHEAD = (PostStatus.APPROVED, PostStatus.SCHEDULED)


def spreadable_posts() -> QuerySet[Post]:
    """Posts that may be spread down: live ones, and those approved for publication."""
    # The condition of ``Post.objects.published()``, inline: an OR with a subquery on posts would scan.
    return Post.objects.filter(Q(status__in=AHEAD) | Q(live_revision__isnull=False, published_at__lte=timezone.now()))


def _is_spreadable(post: Post) -> bool:
    return spreadable_posts().filter(pk=post.pk).exists()


def _move_rows(rows: QuerySet[Delivery], action: str, to_state: str, **fields) -> int:
    """The one writer of ``Delivery.state``: a conditional update from the action's source
    states, so a row already moved (by a second worker, a second click) is left alone."""
    if not any(allowed(action, s, to_state) for s in sources(action)):
        raise ValueError(f"{action} cannot lead to {to_state}")
    return rows.filter(state__in=sources(action)).update(state=to_state, changed_at=timezone.now(), **fields)


def _bump_after_commit(paths: Iterable[str]) -> None:
    """Invalidate the target pages' caches: one cache write however many pages."""
    paths = list(paths)
    if paths:
        bump_pages(paths)


def target_units(*, spread: Spread) -> QuerySet[OrgUnit]:
    """The units below the sender that the spread aims at: those with an active page (never
    the post's own unit)."""
    if spread.direction == Direction.UP:
        return OrgUnit.objects.filter(pk__in=spread.unit_ids)
    return scope_units(spread=spread).filter(page__status=PageStatus.ACTIVE)


def scope_units(*, spread: Spread) -> QuerySet[OrgUnit]:
    """Every active unit in the spread's chosen scope, with a page or not."""
    sender = spread.from_unit
    below = interval_q(sender.tree_id, sender.lft + 1, sender.rght)
    qs = OrgUnit.objects.filter(below, is_active=True).exclude(pk=spread.post.unit_id)
    if spread.scope == Scope.KINDS:
        qs = qs.filter(kind__in=spread.kinds)
    elif spread.scope == Scope.UNITS and spread.kinds:
        # Those levels inside the chosen units ("every commune of Quận Đống Đa"): one read of
        # the chosen units' intervals.
        within = Q(pk__in=[])
        for tree_id, lft, rght in OrgUnit.objects.filter(pk__in=spread.unit_ids).values_list("tree_id", "lft", "rght"):
            within |= interval_q(tree_id, lft, rght)
        qs = qs.filter(within, kind__in=spread.kinds)
    elif spread.scope == Scope.UNITS:
        qs = qs.filter(pk__in=spread.unit_ids)
    return qs


# --- spreading down --------------------------------------------------------------------------
def spread_down(
    *,
    post: Post,
    from_unit: OrgUnit,
    by: AbstractBaseUser,
    scope: str = Scope.SUBTREE,
    kinds: Iterable[str] = (),
    units: Iterable[OrgUnit] = (),
    ask_confirmation: bool = False,
    note: str = "",
) -> Spread:
    """Spread the live ``post`` from ``from_unit`` to pages below it; the deliveries are written
    by ``spread_deliver_task`` after commit. ``from_unit`` is the post's unit, or a unit that
    accepted the post as a proposal from below."""
    from_unit = OrgUnit.objects.get(pk=from_unit.pk)  # fresh tree fields
    if not _may_send(by, from_unit):
        raise PermissionDenied(_("Bạn không có quyền lan tỏa bài viết từ đơn vị này."))
    if not _is_spreadable(post):
        raise SpreadError(_("Chỉ lan tỏa được bài viết đang hiển thị công khai hoặc đã được duyệt để đăng."),
                          code="not_live")
    accepted = Delivery.objects.filter(post=post, unit=from_unit, state__in=VISIBLE).exists()
    if post.unit_id != from_unit.pk and not accepted:
        raise SpreadError(_("Đơn vị chỉ lan tỏa được bài của mình hoặc bài đã nhận từ cấp dưới."), code="not_own")
    kinds = sorted(set(kinds)) if scope != Scope.SUBTREE else []
    unit_ids = sorted({u.pk for u in units})
    if not set(kinds) <= set(SPREADABLE_KINDS) or (scope == Scope.KINDS and not kinds):
        raise SpreadError(_("Hãy chọn ít nhất một cấp."), code="no_kinds")
    if scope == Scope.UNITS:
        if not unit_ids:
            raise SpreadError(_("Hãy chọn ít nhất một đơn vị."), code="no_units")
        inside = set(
            OrgUnit.objects.filter(interval_q(from_unit.tree_id, from_unit.lft + 1, from_unit.rght), pk__in=unit_ids)
            .values_list("pk", flat=True)
        )
        outside = sorted(set(unit_ids) - inside)
        if outside:
            names = ", ".join(OrgUnit.objects.filter(pk__in=outside).values_list("name", flat=True))
            raise SpreadError(_("Các đơn vị sau không thuộc cấp dưới của %(unit)s: %(names)s.")
                              % {"unit": from_unit.name, "names": names}, code="outside")
    with transaction.atomic():
        spread = Spread(post=post, from_unit=from_unit, direction=Direction.DOWN, scope=scope, kinds=kinds,
                        unit_ids=unit_ids, ask_confirmation=ask_confirmation, note=note.strip(), created_by=by)
        in_scope = scope_units(spread=spread).aggregate(
            n=Count("pk"), with_page=Count("pk", filter=Q(page__status=PageStatus.ACTIVE)))
        spread.targeted, spread.without_page = in_scope["with_page"], in_scope["n"] - in_scope["with_page"]
        if spread.targeted == 0:
            raise SpreadError(_("Không có trang cộng đồng đang hoạt động nào trong phạm vi đã chọn."), code="empty")
        spread.save()
        _event(spread, SpreadEvent.Action.SPREAD, by=by, scope=scope, kinds=kinds, unit_ids=unit_ids,
               targeted=spread.targeted, without_page=spread.without_page)
        transaction.on_commit(partial(_enqueue_deliver, spread.pk))
    return spread


def _enqueue_deliver(spread_id: int) -> None:
    from .tasks import spread_deliver_task

    enqueue(spread_deliver_task, spread_id)


def spread_deliver(*, spread_id: int, chunk_size: int = CHUNK_SIZE) -> int:
    """Write the spread's delivery rows and deliver them, ``chunk_size`` at a time; returns the
    rows this call moved out of "queued". Safe to run twice and concurrently (see the module).
    """
    spread = Spread.objects.select_related("post", "from_unit").get(pk=spread_id)
    if spread.state == SpreadState.WITHDRAWN:
        return 0
    _materialise(spread, chunk_size=chunk_size)
    moved = 0
    while True:
        done = _deliver_chunk(spread, chunk_size=chunk_size)
        if done is None:
            break
        moved += done
    _finish(spread)
    return moved


def _materialise(spread: Spread, *, chunk_size: int) -> None:
    """One "queued" row per target, inserted in chunks by unit id; a target that already has a
    row for this post (from this spread or any other) keeps it and gets no second one, except a
    row withdrawn with an earlier spread, which this one takes over."""
    targets = target_units(spread=spread).order_by("pk").values_list("pk", flat=True)
    last = 0
    while True:
        ids = list(targets.filter(pk__gt=last)[:chunk_size])
        if not ids:
            return
        now = timezone.now()
        Delivery.objects.bulk_create(
            [Delivery(spread_id=spread.pk, post_id=spread.post_id, unit_id=pk, state=D.QUEUED, changed_at=now)
             for pk in ids],
            ignore_conflicts=True, batch_size=chunk_size,
        )
        with transaction.atomic():
            resent = _move_rows(
                Delivery.objects.filter(post_id=spread.post_id, unit_id__in=ids).exclude(spread_id=spread.pk),
                DeliveryAction.RESEND, D.QUEUED, spread_id=spread.pk, error="", reason="", decided_by=None,
            )
            if resent:
                _event(spread, SpreadEvent.Action.RESEND, by=None, resent=resent)
        last = ids[-1]


def _deliver_chunk(spread: Spread, *, chunk_size: int) -> int | None:
    """Deliver the next chunk of queued rows; ``None`` when none is left."""
    ids = list(Delivery.objects.filter(spread=spread, state=D.QUEUED).order_by("id").values_list("id", flat=True)
               [:chunk_size])
    if not ids:
        return None
    shown = D.AWAITING if spread.ask_confirmation else D.SHOWN
    # Read first, then update by literal ids: an UPDATE whose condition went through a join
    # becomes "id IN (subquery)", and PostgreSQL re-checks only that, from the old snapshot,
    # after waiting for another worker's lock, so both workers would move the same rows.
    ready = {pk: (unit_id, path) for pk, unit_id, path in
             Delivery.objects.filter(pk__in=ids, unit__page__status=PageStatus.ACTIVE)
             .values_list("pk", "unit_id", "unit__path")}
    with transaction.atomic():
        moved = _move_rows(Delivery.objects.filter(pk__in=list(ready)), DeliveryAction.DELIVER, shown, error="")
        # A page closed since the spread was sent: the row fails and can be retried.
        moved += _move_rows(Delivery.objects.filter(pk__in=[pk for pk in ids if pk not in ready]),
                            DeliveryAction.DELIVER, D.FAILED,
                            error=_("Đơn vị chưa có trang cộng đồng đang hoạt động."))
        if shown == D.SHOWN and ready:
            _bump_after_commit(path for _unit, path in ready.values())
            channel_services.deliveries_on_spread(post_id=spread.post_id,
                                                  unit_ids=[unit for unit, _path in ready.values()])
    return moved


def _finish(spread: Spread) -> None:
    if Delivery.objects.filter(spread=spread, state=D.QUEUED).exists():
        return  # another worker is still on it; it finishes
    with transaction.atomic():
        if Spread.objects.filter(pk=spread.pk, state=SpreadState.RUNNING).update(
            state=SpreadState.DONE, finished_at=timezone.now()
        ):
            counts = tally(spread=spread)
            _event(spread, SpreadEvent.Action.FINISH, by=None, **counts)
            transaction.on_commit(partial(notifications.notify_spread_done, spread_id=spread.pk))


def tally(*, spread: Spread) -> dict[str, int]:
    from .selectors import spread_counts

    return spread_counts(spread=spread)


def spread_retry_failed(*, spread: Spread, by: AbstractBaseUser) -> int:
    """Queue the failed rows again and run the work; returns how many were queued."""
    _require_sender(by, spread)
    with transaction.atomic():
        spread = Spread.objects.select_for_update().get(pk=spread.pk)
        if spread.state == SpreadState.WITHDRAWN:
            raise SpreadError(_("Đợt lan tỏa đã bị thu hồi."), code="withdrawn")
        queued = _move_rows(spread.deliveries.all(), DeliveryAction.RETRY, D.QUEUED, error="")
        if queued:
            spread.state = SpreadState.RUNNING
            spread.finished_at = None
            spread.save(update_fields=["state", "finished_at"])
            _event(spread, SpreadEvent.Action.RETRY, by=by, queued=queued)
            transaction.on_commit(partial(_enqueue_deliver, spread.pk))
    return queued


def _require_sender(user: AbstractBaseUser, spread: Spread) -> None:
    if spread.direction == Direction.UP:
        ok = user_has_unit_perm(user=user, perm=Perm.EDIT, unit=spread.from_unit)
    else:
        ok = _may_send(user, spread.from_unit)
    if not ok:
        raise PermissionDenied(_("Bạn không có quyền với đợt lan tỏa này."))


def spread_withdraw(*, spread: Spread, by: AbstractBaseUser, reason: str = "") -> int:
    """Take the post off every target page of this spread at once; returns the rows ended."""
    _require_sender(by, spread)
    with transaction.atomic():
        spread = Spread.objects.select_for_update().get(pk=spread.pk)
        if spread.state == SpreadState.WITHDRAWN:
            raise SpreadError(_("Đợt lan tỏa đã bị thu hồi."), code="withdrawn")
        rows = spread.deliveries.filter(state__in=OPEN)
        visible = list(rows.filter(state__in=VISIBLE).values_list("unit_id", "unit__path"))
        paths = [path for _unit, path in visible]
        ended = _move_rows(rows, DeliveryAction.WITHDRAW, D.WITHDRAWN)
        spread.state = SpreadState.WITHDRAWN
        spread.withdrawn_at = timezone.now()
        spread.withdraw_reason = reason.strip()
        spread.save(update_fields=["state", "withdrawn_at", "withdraw_reason"])
        _event(spread, SpreadEvent.Action.WITHDRAW, by=by, reason=reason.strip(), ended=ended)
        _bump_after_commit(paths)
        if visible:
            channel_services.deliveries_on_unspread(post_id=spread.post_id, unit_ids=[u for u, _p in visible])
    return ended


# --- proposing up ----------------------------------------------------------------------------
def post_propose(*, post: Post, to_unit: OrgUnit, by: AbstractBaseUser, note: str = "") -> Delivery:
    """An editor of the post's unit proposes the live post to an ancestor's page (the parent,
    or any level up to the centre); the receiving unit's approvers accept or decline."""
    unit = OrgUnit.objects.get(pk=post.unit_id)
    to_unit = OrgUnit.objects.get(pk=to_unit.pk)
    if not user_has_unit_perm(user=by, perm=Perm.EDIT, unit=unit):
        raise PermissionDenied(_("Bạn không có quyền đề xuất bài viết của đơn vị này."))
    is_ancestor = to_unit.tree_id == unit.tree_id and to_unit.lft < unit.lft and to_unit.rght > unit.rght
    if not is_ancestor or not to_unit.is_active:
        raise SpreadError(_("Chỉ đề xuất được lên các cấp trên trực tiếp của đơn vị."), code="not_ancestor")
    if not _is_live(post):
        raise SpreadError(_("Chỉ đề xuất được bài viết đang hiển thị công khai."), code="not_live")
    try:
        with transaction.atomic():
            spread = Spread.objects.create(
                post=post, from_unit=unit, direction=Direction.UP, scope=Scope.UNITS, unit_ids=[to_unit.pk],
                ask_confirmation=True, targeted=1, note=note.strip(), created_by=by, state=SpreadState.DONE,
                finished_at=timezone.now(),
            )
            # A proposal the proposer withdrew may be made again: the new one takes its row over.
            if _move_rows(Delivery.objects.filter(post=post, unit=to_unit), DeliveryAction.RESEND, D.AWAITING,
                          spread=spread, reason="", error="", decided_by=None):
                delivery = Delivery.objects.get(post=post, unit=to_unit)
            else:
                delivery = Delivery.objects.create(spread=spread, post=post, unit=to_unit, state=D.AWAITING,
                                                   changed_at=timezone.now())
            _event(spread, SpreadEvent.Action.PROPOSE, by=by, delivery=delivery, to_unit=to_unit.pk)
            transaction.on_commit(partial(notifications.notify_proposed, delivery_id=delivery.pk))
    except IntegrityError:
        raise SpreadError(_("Bài viết này đã được gửi đến trang của %(unit)s.") % {"unit": to_unit.name},
                          code="duplicate") from None
    return delivery


# --- the target's decisions ------------------------------------------------------------------
def _decider_perm(delivery: Delivery) -> str:
    """A proposal is the receiving unit's editorial decision (its approvers); a post sent
    down with "ask first" is confirmed by the target's editors."""
    return Perm.APPROVE if delivery.spread.direction == Direction.UP else Perm.EDIT


def _locked_delivery(delivery: Delivery) -> Delivery:
    return (Delivery.objects.select_for_update(of=("self",)).select_related("spread", "unit")
            .get(pk=delivery.pk))


def delivery_confirm(*, delivery: Delivery, by: AbstractBaseUser) -> Delivery:
    """Show an awaiting post on the target's page (for a proposal: accept it)."""
    with transaction.atomic():
        delivery = _locked_delivery(delivery)
        if not user_has_unit_perm(user=by, perm=_decider_perm(delivery), unit=delivery.unit):
            raise PermissionDenied(_("Bạn không có quyền quyết định với trang này."))
        if not _move_rows(Delivery.objects.filter(pk=delivery.pk), DeliveryAction.CONFIRM, D.CONFIRMED,
                          decided_by=by):
            raise SpreadError(_("Bài này không ở trạng thái chờ xác nhận."), code="illegal")
        _event(delivery.spread, SpreadEvent.Action.CONFIRM, by=by, delivery=delivery)
        _bump_after_commit([delivery.unit.path])
        channel_services.deliveries_on_spread(post_id=delivery.post_id, unit_ids=[delivery.unit_id])
        transaction.on_commit(partial(notifications.notify_decided, delivery_id=delivery.pk))
    delivery.refresh_from_db()
    return delivery


def delivery_decline(*, delivery: Delivery, by: AbstractBaseUser, reason: str) -> Delivery:
    """Refuse (or take off the page) a post sent to the target; the reason goes to the sender."""
    if not reason.strip():
        raise SpreadError(_("Từ chối phải có lý do."), code="reason_required")
    with transaction.atomic():
        delivery = _locked_delivery(delivery)
        if not user_has_unit_perm(user=by, perm=_decider_perm(delivery), unit=delivery.unit):
            raise PermissionDenied(_("Bạn không có quyền quyết định với trang này."))
        was_visible = delivery.state in VISIBLE
        if not _move_rows(Delivery.objects.filter(pk=delivery.pk), DeliveryAction.DECLINE, D.DECLINED,
                          decided_by=by, reason=reason.strip()):
            raise SpreadError(_("Bài này không còn chờ quyết định."), code="illegal")
        _event(delivery.spread, SpreadEvent.Action.DECLINE, by=by, delivery=delivery, reason=reason.strip())
        if was_visible:
            _bump_after_commit([delivery.unit.path])
            channel_services.deliveries_on_unspread(post_id=delivery.post_id, unit_ids=[delivery.unit_id])
        transaction.on_commit(partial(notifications.notify_decided, delivery_id=delivery.pk))
    delivery.refresh_from_db()
    return delivery


def stalled_spread_ids(*, older_than_minutes: int = 10) -> list[int]:
    """Spreads still running well after they were sent or retried: their task was lost."""
    since = timezone.now() - datetime.timedelta(minutes=older_than_minutes)
    return list(
        Spread.objects.filter(state=SpreadState.RUNNING, direction=Direction.DOWN, created_at__lt=since)
        .exclude(events__at__gte=since).values_list("pk", flat=True)[:50]
    )
