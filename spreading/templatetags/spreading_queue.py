"""The approvers' queue shows the proposals from below that wait for the same people."""

from __future__ import annotations

from urllib.parse import urlencode

from django import template
from django.urls import reverse

from orgunits.admin_scoping import request_grants
from orgunits.roles import Perm
from spreading.models import Delivery, Direction
from spreading.states import DeliveryState

register = template.Library()


@register.simple_tag(takes_context=True)
def proposals_waiting(context) -> dict:
    """``{% proposals_waiting as proposals %}``: how many proposals wait for a decision of the
    request's user (they approve at the receiving unit), and the list behind the number. One
    COUNT, with the request's cached grants; nothing for those who approve nowhere."""
    request = context["request"]
    grants = request_grants(request, Perm.APPROVE)
    count = (
        Delivery.objects.filter(grants.q("unit__"), spread__direction=Direction.UP, state=DeliveryState.AWAITING).count()
        if grants else 0
    )
    query = urlencode({"state__exact": DeliveryState.AWAITING, "spread__direction__exact": Direction.UP})
    return {"count": count, "url": f"{reverse('admin:spreading_delivery_changelist')}?{query}"}
