"""Two workers at once on the same delivery, on PostgreSQL with real transactions."""

from __future__ import annotations

import threading

import pytest
from django.db import connection as db

from channels import services
from channels.models import ChannelConnection, ChannelDelivery, ConnectionStatus, DeliveryState

from .conftest import publish


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_workers_sending_the_same_delivery_post_once(
    postgres_only, draft, people, fb_connection, graph, django_capture_on_commit_callbacks
):
    ChannelConnection.objects.filter(pk=fb_connection.pk).update(status=ConnectionStatus.BROKEN)
    post = publish(draft, people, django_capture_on_commit_callbacks)
    ChannelConnection.objects.filter(pk=fb_connection.pk).update(status=ConnectionStatus.ACTIVE)
    delivery_id = services.deliveries_prepare(post_id=post.pk)[0]
    graph.delay_seconds = 0.3  # both are surely in flight together
    start = threading.Barrier(2)
    outcomes = []

    def worker() -> None:
        try:
            start.wait()
            outcomes.append(services.delivery_send(delivery_id=delivery_id))
        finally:
            db.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(outcomes) == 2 and all(o.done for o in outcomes)
    assert len(graph.calls("POST", "/photos")) == 1 and len(graph.posts) == 1
    delivery = ChannelDelivery.objects.get(pk=delivery_id)
    assert delivery.state == DeliveryState.POSTED and delivery.attempts == 1
