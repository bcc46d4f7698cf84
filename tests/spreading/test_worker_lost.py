"""A real worker killed in the middle of delivering a spread (PostgreSQL, Redis): the task is
redelivered (late acknowledgement, reject on worker lost) and the rerun leaves exactly one row
and one appearance per target, and one "finished" entry."""

from __future__ import annotations

import os
import signal

import pytest

from spreading import services
from spreading.models import Delivery, Spread, SpreadEvent, SpreadState
from spreading.states import DeliveryState as D
from tests.production.support import (
    backend_waiting_on_lock,
    celery_worker,
    children,
    needs_redis_server,
    private_redis,
    row_locked,
    wait_until,
)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.redis]


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
            with row_locked("spreading_delivery", last.pk):
                # The worker's delivering chunk blocks inside its transaction on the row we hold.
                wait_until(backend_waiting_on_lock, timeout=30, what="worker mid-delivery")
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
