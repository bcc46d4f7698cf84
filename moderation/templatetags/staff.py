"""Filters of the staff pages: people by their Vietnamese names (``vietfront.people``)."""

from __future__ import annotations

from django import template

from vietfront.people import full_name as _full_name
from vietfront.people import given_name as _given_name

register = template.Library()


@register.filter
def full_name(user) -> str:
    return _full_name(user)


@register.filter
def given_name(user) -> str:
    return _given_name(user)


@register.simple_tag(takes_context=True)
def inbox_counts(context) -> dict[str, int]:
    """``{% inbox_counts as counts %}``: the admin index's numbers (``moderation.inbox``)."""
    from moderation.inbox import inbox_counts as counts

    return counts(request=context["request"])


@register.simple_tag(takes_context=True)
def inbox_waiting(context) -> int:
    """``{% inbox_waiting as n %}``: the number beside "Việc của tôi" in the user tools."""
    from moderation.inbox import waiting_count

    request = context.get("request")
    if request is None or not request.user.is_authenticated:
        return 0
    return waiting_count(request)
