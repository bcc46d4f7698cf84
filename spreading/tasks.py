"""Celery tasks of spreading: thin, taking ids, safe to run twice (see ``services``)."""

from __future__ import annotations

from celery import shared_task
from django.db import DatabaseError

from . import services


@shared_task(bind=True, acks_late=True, autoretry_for=(DatabaseError,), retry_backoff=True, max_retries=8)
def spread_deliver_task(self, spread_id: int) -> int:
    return services.spread_deliver(spread_id=spread_id)


@shared_task(acks_late=True)
def resume_spreads_task() -> int:
    """The sweep behind ``spread_deliver_task``: a spread left running (broker down when it was
    enqueued, a worker lost past its retries) is delivered here."""
    return sum(services.spread_deliver(spread_id=pk) for pk in services.stalled_spread_ids())
