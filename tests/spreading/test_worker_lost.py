"""A real worker killed in the middle of delivering a spread (PostgreSQL, Redis): the task is
redelivered (late acknowledgement, reject on worker lost) and the rerun leaves exactly one row
and one appearance per target, and one "finished" entry."""

from __future__ import annotations

import contextlib
import os
import signal

import psycopg2
import pytest
from django.db import connection

from spreading import services
from spreading.models import Delivery, Spread, SpreadEvent, SpreadState
from spreading.states import DeliveryState as D
from tests.production.support import celery_worker, needs_redis_server, private_redis, wait_until
from tests.production.test_worker_lost import children, publisher_waiting_on_lock

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.redis]


@contextlib.contextmanager
def delivery_locked(delivery_id: int):
    db = connection.settings_dict
    holder = psycopg2.connect(dbname=db["NAME"], user=db["USER"], host=db["HOST"] or "127.0.0.1",
                              port=db["PORT"] or 5432)
    try:
        with holder.cursor() as cursor:
            cursor.execute("SELECT id FROM spreading_delivery WHERE id = %s FOR UPDATE", [delivery_id])
            yield
        holder.rollback()
    finally:
        holder.close()


def test_worker_killed_mid_delivery_leaves_one_row_per_target(
    postgres_only, tree, hanoi_post, approver_hanoi, tmp_path, celery_broker
):
    needs_redis_server()
    with private_redis() as redis:
        celery_broker(redis.url)
        spread = services.spread_down(post=hanoi_post, from_unit=tree.hanoi, by=approver_hanoi)  # task queued
        # Half the work done already (rows written, none delivered), as a first worker would have.
        services._materialise(spread, chunk_size=2)
        last = Delivery.objects.filter(spread=spread).order_by("-id").first()
        with celery_worker(tmp_path, broker_url=redis.url, beat=False) as worker:
            with delivery_locked(last.pk):
                # The worker's delivering chunk blocks inside its transaction on the row we hold.
                wait_until(lambda: publisher_waiting_on_lock(last.pk), timeout=30, what="worker mid-delivery")
                (child,) = children(worker.pid)
                os.kill(child, signal.SIGKILL)
                wait_until(lambda: children(worker.pid) and children(worker.pid) != [child], timeout=20,
                           what="a new pool process")
                assert not Delivery.objects.filter(spread=spread).exclude(state=D.QUEUED).exists()  # rolled back
            wait_until(lambda: Spread.objects.get(pk=spread.pk).state == SpreadState.DONE, timeout=30,
                       what="delivered by the redelivered task")
        log = (tmp_path / "worker.log").read_text()
    assert "WorkerLostError" in log or "exited prematurely" in log or "signal 9" in log, log[-2000:]
    rows = Delivery.objects.filter(post=hanoi_post)
    assert rows.count() == 4 and rows.values("unit").distinct().count() == 4
    assert rows.filter(state=D.SHOWN).count() == 4 and not rows.exclude(state=D.SHOWN).exists()
    assert SpreadEvent.objects.filter(spread=spread, action="finish").count() == 1
