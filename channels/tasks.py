"""Celery tasks: thin, taking ids, each calling one service; safe to run twice."""

from __future__ import annotations

from celery import shared_task
from django.db import DatabaseError
from django.utils.translation import gettext as _

from . import services

MAX_RETRIES = 8


@shared_task(bind=True, acks_late=True, autoretry_for=(DatabaseError,), retry_backoff=True, max_retries=MAX_RETRIES)
def deliver_task(self, delivery_id: int) -> bool:
    outcome = services.delivery_send(delivery_id=delivery_id, retries=self.request.retries)
    if outcome.done:
        return True
    if self.request.retries >= MAX_RETRIES:
        services.delivery_give_up(delivery_id=delivery_id, message=_("Đã thử gửi nhiều lần không được; hãy gửi lại sau."))
        return False
    raise self.retry(countdown=outcome.retry_in, max_retries=MAX_RETRIES)


@shared_task(bind=True, acks_late=True, autoretry_for=(DatabaseError,), retry_backoff=True, max_retries=MAX_RETRIES)
def remove_task(self, delivery_id: int) -> bool:
    outcome = services.delivery_remove(delivery_id=delivery_id, retries=self.request.retries)
    if outcome.done:
        return True
    if self.request.retries >= MAX_RETRIES:
        services.delivery_removal_give_up(delivery_id=delivery_id)
        return False
    raise self.retry(countdown=outcome.retry_in, max_retries=MAX_RETRIES)


@shared_task(acks_late=True)
def sweep_deliveries_task() -> dict:
    return services.deliveries_sweep()


@shared_task(acks_late=True)
def refresh_insights_task() -> int:
    return services.insights_refresh()
