"""``{{ post|post_href }}``, ``{{ unit|unit_href }}``, ``{{ topic|topic_href:unit.path }}``:
the public links of ``pages.public.links``, for templates that show many of them."""

from __future__ import annotations

from django import template

from pages.public import links

register = template.Library()


@register.filter
def post_href(post) -> str:  # noqa: ANN001 - a Post with its unit loaded
    return links.post_href(post.unit.path, post.slug)


@register.filter
def unit_href(unit) -> str:  # noqa: ANN001 - an OrgUnit
    return links.unit_href(unit.path)


@register.filter
def topic_href(topic, unit_path: str = "") -> str:  # noqa: ANN001 - a Topic
    return links.topic_href(topic.slug, unit_path or "")
