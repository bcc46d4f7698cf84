"""The delivery work run by two workers at once, on PostgreSQL: one row per target, one
appearance, one "finished" entry (SQLite serialises whole-database writes anyway)."""

from __future__ import annotations

import pytest

from spreading import services
from spreading.models import Delivery, SpreadEvent, SpreadState
from spreading.states import DeliveryState as D
from tests.moderation.test_concurrency import race

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]


@pytest.mark.parametrize("chunk_size", [1, 2, 2000])
def test_two_workers_at_once_leave_one_row_per_target(
    postgres_only, monkeypatch, tree, hanoi_post, approver_hanoi, chunk_size
):
    monkeypatch.setattr(services, "_enqueue_deliver", lambda spread_id: None)  # the workers are the threads
    spread = services.spread_down(post=hanoi_post, from_unit=tree.hanoi, by=approver_hanoi)
    results = race(*[lambda: services.spread_deliver(spread_id=spread.pk, chunk_size=chunk_size)] * 3)
    assert not [r for r in results if isinstance(r, Exception)], results
    assert sum(results) == 4  # each row moved out of "queued" by exactly one of them
    rows = Delivery.objects.filter(post=hanoi_post)
    assert rows.count() == 4 and rows.values("unit").distinct().count() == 4
    assert rows.filter(state=D.SHOWN).count() == 4 and not rows.exclude(state=D.SHOWN).exists()
    spread.refresh_from_db()
    assert spread.state == SpreadState.DONE
    assert SpreadEvent.objects.filter(spread=spread, action="finish").count() == 1
