"""The admin's "chủ đề" filter, shared by the post list and the approvers' queue."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from vietfront.precompiled import Precompiled

from .models import Topic

#: Every topic, in the regulation's order (``Topic.Meta.ordering``), as the filter lists them.
_TOPIC_CHOICES = Precompiled(lambda: Topic.objects.order_by("order", "name").values_list("pk", "name"))


class TopicFilter(admin.RelatedFieldListFilter):
    """Django's filter for the foreign key, its choices read by a query compiled once and
    prepared: the admin builds and compiles ``get_choices`` on every list page."""

    def field_choices(self, field: Any, request: HttpRequest, model_admin: Any) -> list[tuple[int, str]]:
        return _TOPIC_CHOICES.list()
