"""Enqueueing that never breaks the request that asked for it."""

import logging

from celery import Task

logger = logging.getLogger(__name__)


def enqueue(task: Task, *args, **kwargs) -> bool:
    """``task.delay(...)``, but a broker outage is logged instead of raised.

    Called after commit: the database change has happened, and every task enqueued this way has
    a periodic sweep behind it (publishing, renditions...) that catches up once the broker is back.
    """
    try:
        task.apply_async(args=args, kwargs=kwargs, retry=True, retry_policy={"max_retries": 2, "interval_start": 0.2})
    except Exception:  # noqa: BLE001 - any broker failure: kombu, redis, OS errors
        logger.warning("Could not enqueue %s%r; a periodic sweep will catch up", task.name, args, exc_info=True)
        return False
    return True
