"""The query parameters of each endpoint, validated (a 400 naming the field otherwise) and
documented in the schema from the same declarations."""

from __future__ import annotations

from rest_framework import serializers
from rest_framework.exceptions import ValidationError

from orgunits.models import UnitKind
from pages.search import FIRST_DAY, LAST_DAY

from .cursors import MAX_ID, MAX_LIMIT, ListQuery


class UnitListQuery(ListQuery):
    parent = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID, help_text="Only its children.")
    kind = serializers.ChoiceField(choices=UnitKind.choices, required=False)
    level = serializers.IntegerField(required=False, min_value=0, max_value=3, help_text="0: central … 3: commune.")


class TopicPostsQuery(ListQuery):
    unit = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID,
                                    help_text="Only the posts of this unit's subtree.")


class SearchQuery(serializers.Serializer):
    q = serializers.CharField(max_length=1000, help_text="Words, with or without tone marks.")
    topic = serializers.SlugField(required=False, help_text="A topic's slug.")
    unit = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID, help_text="Within its subtree.")
    date_from = serializers.DateField(required=False, help_text="From this day (1900-01-01 to 9998-12-31).")
    date_to = serializers.DateField(required=False, help_text="To this day, inclusive.")
    page = serializers.IntegerField(required=False, min_value=1, max_value=1000, default=1)
    limit = serializers.IntegerField(required=False, min_value=1, max_value=MAX_LIMIT, default=20)

    def validate(self, attrs: dict) -> dict:
        for name in ("date_from", "date_to"):
            if name in attrs and not FIRST_DAY <= attrs[name] <= LAST_DAY:
                raise ValidationError({name: ["Must be between 1900-01-01 and 9998-12-31."]})
        if attrs.get("date_from") and attrs.get("date_to") and attrs["date_from"] > attrs["date_to"]:
            raise ValidationError({"date_to": ["Must not be before date_from."]})
        return attrs
