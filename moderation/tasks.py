"""Celery tasks: thin, taking ids, each calling one service; safe to run twice.

Scheduled publishing is a column swept every minute by beat, never a task with a far ETA:
Redis redelivers tasks scheduled beyond its visibility timeout again and again, and a sweep
turns a broker outage or a lost worker into a delay, never a loss.
"""

from __future__ import annotations

from celery import shared_task
from django.db import DatabaseError

from . import notifications, publishing, services


@shared_task(
    bind=True,
    acks_late=True,
    autoretry_for=(DatabaseError,),
    retry_backoff=True,
    retry_backoff_max=300,
    max_retries=8,
)
def publish_post_task(self, post_id: int) -> bool:
    return services.post_publish(post_id=post_id)


@shared_task(acks_late=True)
def publish_due_posts_task() -> int:
    return publishing.posts_publish_due()


@shared_task(acks_late=True)
def escalate_overdue_takedowns_task() -> int:
    return services.takedown_escalate_overdue()


@shared_task(acks_late=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_email_task(*, subject: str, body: str, recipients: list[str]) -> int:
    return notifications.send(subject=subject, body=body, recipients=recipients)


@shared_task(acks_late=True)
def notify_task(*, event: str, **ids) -> None:
    notifications.NOTIFIERS[event](**ids)


@shared_task(acks_late=True)
def send_daily_digests_task() -> int:
    return notifications.send_daily_digests()
