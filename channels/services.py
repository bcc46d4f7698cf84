"""Every write to channel connections and deliveries.

Exactly one remote post per (post, channel): the delivery row is unique per pair, and a worker
must win a conditional update (pending → sending, with its own claim) committed before it calls
the platform, so a second run of the task, or a second worker, finds nothing to do. A worker
that dies after the platform accepted a post but before recording it leaves the row "sending":
``deliveries_sweep`` marks such rows "uncertain" after a lease instead of sending again, and the
editor checks the channel — a missing post is repaired by one click, a doubled one is not.
"""

from __future__ import annotations

import datetime
import logging
import random
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from functools import partial

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from pages.models import Post
from vietfront.tasks import enqueue

from . import crypto, ratelimit
from .clients import facebook, zalo
from .clients.base import ChannelError, RetryableError, TokenExpired, Uncertain
from .conf import setting
from .content import ContentRefused, content_for
from .models import ChannelConnection, ChannelDelivery, ConnectionStatus, DeliveryState, Platform
from .signals import units_carrying_posts

logger = logging.getLogger(__name__)
S = DeliveryState
REPOSTABLE = (S.REMOVED, S.CANCELLED, S.FAILED)


@dataclass(frozen=True)
class Outcome:
    """What a task does next: nothing, or run again after ``retry_in`` seconds."""

    done: bool
    retry_in: float = 0.0

    @classmethod
    def finished(cls) -> Outcome:
        return cls(done=True)

    @classmethod
    def later(cls, seconds: float) -> Outcome:
        return cls(done=False, retry_in=seconds)


def lease() -> datetime.timedelta:
    return datetime.timedelta(seconds=int(setting("VIETFRONT_CHANNEL_LEASE_SECONDS", 900)))


def backoff(retries: int) -> float:
    """Exponential back-off with full jitter, so workers retrying together spread out."""
    cap = min(float(setting("VIETFRONT_CHANNEL_BACKOFF_MAX", 3600)), 30 * 2**retries)
    return random.uniform(cap / 2, cap)  # noqa: S311 - jitter, not a secret


# --- connections ---------------------------------------------------------------------------
def connection_save(
    *, connection: ChannelConnection, by: AbstractBaseUser | None, access_token: str = "", refresh_token: str = ""
) -> ChannelConnection:
    """Create or update a connection. New tokens are encrypted here (blank keeps the stored
    one); saving with a new token repairs a broken or disconnected connection.

    Raises ``crypto.ChannelKeyError`` (nothing saved) when no key is configured."""
    if access_token:
        connection.access_token_enc = crypto.encrypt(access_token.strip())
        connection.token_hint = crypto.masked(access_token.strip())
        connection.status = ConnectionStatus.ACTIVE
        connection.status_message = ""
        connection.connected_by = by if getattr(by, "pk", None) else None
    if refresh_token:
        connection.refresh_token_enc = crypto.encrypt(refresh_token.strip())
    connection.save()
    return connection


def connection_disconnect(*, connection: ChannelConnection, by: AbstractBaseUser | None) -> ChannelConnection:
    """Forget the tokens; the row stays, so what was posted through it can still be listed."""
    ChannelConnection.objects.filter(pk=connection.pk).update(
        status=ConnectionStatus.DISCONNECTED, access_token_enc="", refresh_token_enc="", token_hint="",
        status_message=_("Ngắt kết nối bởi %(user)s.") % {"user": getattr(by, "username", "—")},
        updated_at=timezone.now(),
    )
    connection.refresh_from_db()
    return connection


def connection_break(*, connection_id: int, message: str) -> bool:
    """Mark an active connection broken and tell the unit's admins (once, after commit)."""
    now = timezone.now()
    changed = ChannelConnection.objects.filter(pk=connection_id, status=ConnectionStatus.ACTIVE).update(
        status=ConnectionStatus.BROKEN, status_message=message, last_error_at=now, updated_at=now
    )
    if changed:
        from .notify import notify_broken

        transaction.on_commit(partial(notify_broken, connection_id=connection_id))
    return bool(changed)


def _tokens(connection: ChannelConnection) -> tuple[str, str]:
    return crypto.decrypt(connection.access_token_enc), crypto.decrypt(connection.refresh_token_enc)


def _zalo_refresh(connection: ChannelConnection) -> str:
    """Trade the refresh token for a new pair, stored at once: Zalo's refresh tokens are
    single-use, so losing the new one would break the connection for good."""
    _access, refresh = _tokens(connection)
    if not refresh:
        raise TokenExpired(_("Mã truy cập Zalo OA đã hết hạn và chưa có mã làm mới."), code="zalo:no_refresh")
    access, refresh, expires = zalo.refresh(refresh_token=refresh)
    ChannelConnection.objects.filter(pk=connection.pk).update(
        access_token_enc=crypto.encrypt(access), refresh_token_enc=crypto.encrypt(refresh),
        token_hint=crypto.masked(access), token_expires_at=expires, updated_at=timezone.now(),
    )
    connection.refresh_from_db()
    return access


def _with_token(connection: ChannelConnection, call):
    """``call(token)``; on Zalo, an expired token is refreshed once and the call repeated."""
    token, _refresh = _tokens(connection)
    try:
        return call(token)
    except TokenExpired:
        if connection.platform != Platform.ZALO:
            raise
        return call(_zalo_refresh(connection))


# --- publishing out ------------------------------------------------------------------------
def deliveries_on_publish(*, post_id: int) -> None:
    """For moderation's publish path, inside its transaction: after commit, one delivery per
    active channel of every unit whose page carries the post (its own, and those it was spread
    to) is created and sent. Nothing happens without channels."""
    transaction.on_commit(partial(_start, post_id))


def deliveries_on_publish_many(*, post_ids: list[int]) -> None:
    """``deliveries_on_publish`` for the posts of a publishing sweep: one callback after commit.
    Without any active channel in the country that is one query for them all; with channels,
    each post is prepared as a single publication would be."""
    transaction.on_commit(partial(_start_many, list(post_ids)))


def _start_many(post_ids: list[int]) -> None:
    """One query when the country has no active channel; else four for the whole sweep (that one,
    the live posts, the units carrying them, which of those have an active channel), then only
    the posts some channel carries are prepared, one by one."""
    if not ChannelConnection.objects.filter(status=ConnectionStatus.ACTIVE).exists():
        return
    posts = dict(Post.objects.filter(pk__in=post_ids, live_revision__isnull=False).values_list("pk", "unit_id"))
    if not posts:
        return
    carrying = carrying_units(posts)
    with_channel = set(
        ChannelConnection.objects.filter(status=ConnectionStatus.ACTIVE, unit_id__in=set().union(*carrying.values()))
        .values_list("unit_id", flat=True)
    )
    for post_id, units in carrying.items():
        if units & with_channel:
            _start(post_id, frozenset(units))


def deliveries_on_spread(*, post_id: int, unit_ids: Iterable[int]) -> None:
    """For spreading, inside its transaction: the post now shows on these units' pages, so
    their channels carry it too (once it is live; a post spread ahead waits for its publication)."""
    transaction.on_commit(partial(_start, post_id, frozenset(unit_ids)))


def _start(post_id: int, unit_ids: frozenset[int] | None = None) -> None:
    from .tasks import deliver_task

    for delivery_id in deliveries_prepare(post_id=post_id, unit_ids=unit_ids):
        enqueue(deliver_task, delivery_id)


def carrying_units(post_units: dict[int, int]) -> dict[int, set[int]]:
    """Post id -> the units whose pages carry it: its own (``post_units`` maps each post to it),
    and those other apps answer for (spreading's targets). One query per receiver."""
    carrying = {pk: {unit_id} for pk, unit_id in post_units.items()}
    for _receiver, pairs in units_carrying_posts.send(sender=Post, post_ids=list(post_units)):
        for post_id, unit_id in pairs or ():
            carrying[post_id].add(unit_id)
    return carrying


def deliveries_prepare(*, post_id: int, unit_ids: Iterable[int] | None = None) -> list[int]:
    """Ensure a delivery row per active channel of a live post; the ids waiting to be sent.
    ``unit_ids`` narrows it to those units' channels (default: every unit carrying the post).

    A post published again (after a withdrawal, or after content was refused) is sent again."""
    post = (
        Post.objects.filter(pk=post_id, live_revision__isnull=False)
        .select_related("live_revision").only("pk", "unit_id", "live_revision__number").first()
    )
    if post is None:
        return []
    units = carrying_units({post.pk: post.unit_id})[post.pk] if unit_ids is None else set(unit_ids)
    connections = list(
        ChannelConnection.objects.filter(unit_id__in=units, status=ConnectionStatus.ACTIVE).values_list("pk", flat=True)
    )
    if not connections:
        return []
    existing = set(ChannelDelivery.objects.filter(post=post).values_list("connection_id", flat=True))
    for connection_id in set(connections) - existing:
        try:
            with transaction.atomic():
                ChannelDelivery.objects.create(post=post, connection_id=connection_id)
        except IntegrityError:
            pass  # another worker created it: the unique constraint is the arbiter
    ChannelDelivery.objects.filter(post=post, connection_id__in=connections, state__in=REPOSTABLE).update(
        state=S.PENDING, remote_id="", remote_url="", message="", claim="", updated_at=timezone.now()
    )
    # An approved edit of a live post: what the channels carry is updated in place (a pending
    # row that keeps its remote id is an update, not a new post).
    ChannelDelivery.objects.filter(post=post, connection_id__in=connections, state=S.POSTED).exclude(
        revision_number=post.live_revision.number
    ).update(state=S.PENDING, claim="", message=_("Chờ cập nhật bản đã duyệt mới."), updated_at=timezone.now())
    return list(
        ChannelDelivery.objects.filter(post=post, connection_id__in=connections, state=S.PENDING).values_list("pk", flat=True)
    )


def _set(delivery_id: int, holding: str, state: str, **fields) -> bool:
    """Leave ``sending`` only while still holding the claim (a sweep may have taken it)."""
    return bool(
        ChannelDelivery.objects.filter(pk=delivery_id, state=S.SENDING, claim=holding).update(
            state=state, updated_at=timezone.now(), **fields
        )
    )


def delivery_send(*, delivery_id: int, retries: int = 0) -> Outcome:
    """Send one delivery. Safe to run twice: only the run that claims the row calls out."""
    claim = uuid.uuid4().hex
    claimed = ChannelDelivery.objects.filter(pk=delivery_id, state=S.PENDING).update(
        state=S.SENDING, claim=claim, claimed_at=timezone.now(), attempts=F("attempts") + 1, updated_at=timezone.now()
    )
    if not claimed:
        return Outcome.finished()
    delivery = ChannelDelivery.objects.select_related(
        "connection", "post__unit", "post__live_revision__cover"
    ).get(pk=delivery_id)
    connection, post = delivery.connection, delivery.post
    if connection.status != ConnectionStatus.ACTIVE or post.live_revision is None:
        _set(delivery_id, claim, S.CANCELLED, message=_("Không gửi: kênh không hoạt động hoặc bài không còn hiển thị."))
        return Outcome.finished()
    wait = ratelimit.acquire(connection.pk)
    if wait:
        _set(delivery_id, claim, S.PENDING, claim="", message=_("Chờ lượt gửi (giới hạn số bài mỗi phút của kênh)."))
        return Outcome.later(wait)
    try:
        payload = content_for(post, connection.platform)
    except ContentRefused as exc:
        _set(delivery_id, claim, S.FAILED, message=" ".join(exc.messages))
        return Outcome.finished()
    except Exception:
        # Nothing was sent: never leave the row "sending" (it would end up "uncertain").
        _set(delivery_id, claim, S.PENDING, claim="", message=_("Chưa chuẩn bị được nội dung; sẽ thử lại."))
        raise
    try:
        if delivery.remote_id:
            remote_id, remote_url = _with_token(connection, partial(_update, connection, delivery, payload))
        else:
            remote_id, remote_url = _with_token(connection, partial(_publish, connection, payload))
    except crypto.ChannelKeyError as exc:
        connection_break(connection_id=connection.pk, message=str(exc))
        _set(delivery_id, claim, S.FAILED, message=str(exc))
        return Outcome.finished()
    except TokenExpired as exc:
        connection_break(connection_id=connection.pk, message=exc.message)
        _set(delivery_id, claim, S.FAILED, message=exc.message)
        return Outcome.finished()
    except Uncertain as exc:
        _set(delivery_id, claim, S.UNCERTAIN, claim="", message=exc.message)
        return Outcome.finished()
    except RetryableError as exc:
        _set(delivery_id, claim, S.PENDING, claim="", message=exc.message)
        ChannelConnection.objects.filter(pk=connection.pk).update(last_error_at=timezone.now())
        return Outcome.later(exc.retry_after or backoff(retries))
    except ChannelError as exc:
        _set(delivery_id, claim, S.FAILED, message=exc.message)
        return Outcome.finished()
    now = timezone.now()
    _set(delivery_id, claim, S.POSTED, remote_id=remote_id, remote_url=remote_url, posted_at=now, message="",
         revision_number=post.live_revision.number)
    ChannelConnection.objects.filter(pk=connection.pk).update(last_ok_at=now)
    # Withdrawn while we were sending: the removal found nothing posted yet, so remove it now.
    if not Post.objects.filter(pk=post.pk, live_revision__isnull=False).exists():
        deliveries_remove(post_id=post.pk)
    return Outcome.finished()


def _publish(connection: ChannelConnection, payload: dict, token: str) -> tuple[str, str]:
    if connection.platform == Platform.FACEBOOK:
        if payload["photo_url"]:
            remote_id = facebook.publish_photo(page_id=connection.external_id, token=token,
                                               caption=payload["message"], url=payload["photo_url"])
        else:
            remote_id = facebook.publish_link(page_id=connection.external_id, token=token,
                                              message=payload["message"], link=payload["link"])
        return remote_id, facebook.web_url(remote_id)
    processing = zalo.create(token=token, article=payload)
    # Created is created: a failure to read the id now must not lead to a second article.
    try:
        article_id = zalo.verify(token=token, article_token=processing)
    except ChannelError:
        article_id = ""
    return article_id or f"token:{processing}", ""


def _update(connection: ChannelConnection, delivery: ChannelDelivery, payload: dict, token: str) -> tuple[str, str]:
    """Put the newly approved text on the existing remote post (idempotent: safe to repeat)."""
    if connection.platform == Platform.FACEBOOK:
        facebook.update(remote_id=delivery.remote_id, token=token, message=payload["message"])
        return delivery.remote_id, delivery.remote_url
    article_id = _zalo_article_id(token, delivery.remote_id)
    zalo.update(token=token, article_id=article_id, article=payload)
    return article_id, delivery.remote_url


def delivery_give_up(*, delivery_id: int, message: str) -> None:
    ChannelDelivery.objects.filter(pk=delivery_id, state=S.PENDING).update(
        state=S.FAILED, message=message, updated_at=timezone.now()
    )


def delivery_retry(*, delivery_id: int) -> bool:
    """An editor's "send again" for a failed or uncertain delivery of a live post."""
    from .tasks import deliver_task

    changed = ChannelDelivery.objects.filter(
        pk=delivery_id, state__in=[S.FAILED, S.UNCERTAIN], post__live_revision__isnull=False,
        connection__status=ConnectionStatus.ACTIVE,
    ).update(state=S.PENDING, claim="", message="", updated_at=timezone.now())
    if changed:
        transaction.on_commit(partial(enqueue, deliver_task, delivery_id))
    return bool(changed)


# --- taking posts down ---------------------------------------------------------------------
def deliveries_on_removal(*, post_id: int) -> None:
    """For moderation's withdraw and take-down, inside their transaction."""
    transaction.on_commit(partial(deliveries_remove, post_id=post_id))


def deliveries_on_unspread(*, post_id: int, unit_ids: Iterable[int]) -> None:
    """For spreading's withdrawal and a target's decline: those units' channels let go of it."""
    transaction.on_commit(partial(deliveries_remove, post_id=post_id, unit_ids=frozenset(unit_ids)))


def deliveries_remove(*, post_id: int, unit_ids: Iterable[int] | None = None) -> int:
    """Cancel what was not sent yet; delete what was posted (on the channels of ``unit_ids``
    only, when given). Returns the removals started."""
    from .tasks import remove_task

    now = timezone.now()
    rows = ChannelDelivery.objects.filter(post_id=post_id)
    if unit_ids is not None:
        rows = rows.filter(connection__unit_id__in=list(unit_ids))
    rows.filter(state=S.PENDING).update(state=S.CANCELLED, updated_at=now)
    ids = list(rows.filter(state=S.POSTED).values_list("pk", flat=True))
    ChannelDelivery.objects.filter(pk__in=ids, state=S.POSTED).update(state=S.REMOVING, claim="", updated_at=now)
    for delivery_id in ids:
        enqueue(remove_task, delivery_id)
    return len(ids)


def delivery_remove(*, delivery_id: int, retries: int = 0) -> Outcome:
    claim = uuid.uuid4().hex
    if not ChannelDelivery.objects.filter(pk=delivery_id, state=S.REMOVING, claim="").update(
        claim=claim, claimed_at=timezone.now()
    ):
        return Outcome.finished()
    delivery = ChannelDelivery.objects.select_related("connection").get(pk=delivery_id)
    connection = delivery.connection
    mine = ChannelDelivery.objects.filter(pk=delivery_id, state=S.REMOVING, claim=claim)
    try:
        _with_token(connection, partial(_delete, connection, delivery.remote_id))
    except RetryableError as exc:
        mine.update(claim="", message=exc.message, updated_at=timezone.now())
        return Outcome.later(exc.retry_after or backoff(retries))
    except (ChannelError, crypto.ChannelKeyError) as exc:
        message = getattr(exc, "message", str(exc))
        if isinstance(exc, TokenExpired | crypto.ChannelKeyError):
            connection_break(connection_id=connection.pk, message=message)
        mine.update(state=S.POSTED, claim="", updated_at=timezone.now(),
                    message=_("Chưa gỡ được trên kênh: %(why)s Hãy gỡ trực tiếp trên kênh.") % {"why": message})
        return Outcome.finished()
    mine.update(state=S.REMOVED, message="", updated_at=timezone.now())
    return Outcome.finished()


def delivery_removal_give_up(*, delivery_id: int) -> None:
    """The platform kept failing: the post is still up there, and the editor must know."""
    ChannelDelivery.objects.filter(pk=delivery_id, state=S.REMOVING, claim="").update(
        state=S.POSTED, updated_at=timezone.now(),
        message=_("Chưa gỡ được trên kênh sau nhiều lần thử. Hãy gỡ trực tiếp trên kênh."),
    )


def _delete(connection: ChannelConnection, remote_id: str, token: str) -> None:
    if connection.platform == Platform.FACEBOOK:
        facebook.delete(remote_id=remote_id, token=token)
        return
    article_id = _zalo_article_id(token, remote_id)
    zalo.remove(token=token, article_id=article_id)


def _zalo_article_id(token: str, remote_id: str) -> str:
    if remote_id.startswith("token:"):
        article_id = zalo.verify(token=token, article_token=remote_id.removeprefix("token:"))
        if not article_id:
            raise RetryableError(_("Zalo chưa xử lý xong bài viết; sẽ thử lại."), code="zalo:processing")
        return article_id
    return remote_id


# --- sweeping ------------------------------------------------------------------------------
def deliveries_sweep(*, now: datetime.datetime | None = None) -> dict[str, int]:
    """Rows a dead worker left behind. "sending" past the lease becomes "uncertain" (never sent
    again on its own); "pending" untouched for a lease is enqueued again (a lost task)."""
    from .tasks import deliver_task

    now = now or timezone.now()
    stale = now - lease()
    uncertain = ChannelDelivery.objects.filter(state=S.SENDING, claimed_at__lt=stale).update(
        state=S.UNCERTAIN, claim="", updated_at=now,
        message=_("Máy chủ dừng giữa chừng khi đang gửi: bài có thể đã lên kênh. Hãy kiểm tra trên kênh, "
                  "rồi chọn “Gửi lại” ở mục Bài trên kênh nếu chưa có."),
    )
    ChannelDelivery.objects.filter(state=S.REMOVING, claimed_at__lt=stale).exclude(claim="").update(claim="")
    lost = list(ChannelDelivery.objects.filter(state=S.PENDING, updated_at__lt=stale).values_list("pk", flat=True)[:500])
    for delivery_id in lost:
        enqueue(deliver_task, delivery_id)
    return {"uncertain": uncertain, "requeued": len(lost)}


# --- listening back ------------------------------------------------------------------------
def insights_refresh(*, now: datetime.datetime | None = None, limit: int = 200) -> int:
    """Read the platforms' figures for recent posts whose figures are oldest. Returns how many
    were stored. A broken token breaks the connection; other failures wait for the next run."""
    now = now or timezone.now()
    every = datetime.timedelta(seconds=int(setting("VIETFRONT_CHANNEL_INSIGHTS_SECONDS", 6 * 3600)))
    recent = now - datetime.timedelta(days=int(setting("VIETFRONT_CHANNEL_INSIGHTS_DAYS", 30)))
    due = (
        ChannelDelivery.objects.select_related("connection")
        .filter(state=S.POSTED, posted_at__gte=recent, connection__status=ConnectionStatus.ACTIVE)
        .filter(Q(figures_at__isnull=True) | Q(figures_at__lt=now - every))
        .order_by(F("figures_at").asc(nulls_first=True))[:limit]
    )
    stored = 0
    for delivery in due:
        try:
            figures = _with_token(delivery.connection, partial(_figures, delivery))
        except (TokenExpired, crypto.ChannelKeyError) as exc:
            connection_break(connection_id=delivery.connection_id, message=getattr(exc, "message", str(exc)))
            continue
        except ChannelError as exc:
            logger.info("Insights for delivery %s not read now: %s", delivery.pk, exc.code)
            continue
        ChannelDelivery.objects.filter(pk=delivery.pk).update(figures=figures, figures_at=now)
        stored += 1
    return stored


def _figures(delivery: ChannelDelivery, token: str) -> dict[str, int]:
    if delivery.connection.platform == Platform.FACEBOOK:
        return facebook.insights(remote_id=delivery.remote_id, token=token)
    article_id = _zalo_article_id(token, delivery.remote_id)
    if article_id != delivery.remote_id:
        ChannelDelivery.objects.filter(pk=delivery.pk).update(remote_id=article_id)
    data = zalo.detail(token=token, article_id=article_id)
    return {"views": int(data.get("total_view") or 0), "shares": int(data.get("total_share") or 0)}
