"""The shapes of the API's answers. Posts are read from their live revision only."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from orgunits.models import OrgUnit, UnitKind
from pages.models import PageStatus, Post

from ..content import absolute


def _active_page(unit: OrgUnit):  # noqa: ANN202 - a CommunityPage or None
    page = getattr(unit, "page", None)
    return page if page is not None and page.status == PageStatus.ACTIVE else None


class PageSummarySerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=PageStatus.choices, allow_null=True)
    name = serializers.CharField(allow_null=True, help_text="Only while the page is active.")
    url = serializers.URLField(allow_null=True, help_text="Only while the page is active.")


class ProfileSerializer(serializers.Serializer):
    about = serializers.CharField()
    address = serializers.CharField()
    phone = serializers.CharField()
    email = serializers.CharField()
    zalo_url = serializers.CharField()
    facebook_url = serializers.CharField()


class UnitSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    short_name = serializers.CharField()
    kind = serializers.ChoiceField(choices=UnitKind.choices)
    level = serializers.IntegerField()
    code = serializers.CharField()
    path = serializers.CharField()
    parent_id = serializers.IntegerField(allow_null=True)
    page = serializers.SerializerMethodField()

    @extend_schema_field(PageSummarySerializer)
    def get_page(self, unit: OrgUnit) -> dict:
        page = getattr(unit, "page", None)
        active = _active_page(unit)
        return {
            "status": page.status if page is not None else None,
            "name": active.name if active else None,
            "url": absolute(active.get_absolute_url()) if active else None,
        }


class UnitDetailSerializer(UnitSerializer):
    profile = serializers.SerializerMethodField()

    @extend_schema_field(ProfileSerializer(allow_null=True))
    def get_profile(self, unit: OrgUnit) -> dict | None:
        """The page's public profile, as the unit's page shows it: only while it is active."""
        page = _active_page(unit)
        return None if page is None else ProfileSerializer(page).data


class TopicSerializer(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField()


class PostSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    unit_id = serializers.IntegerField()
    title = serializers.CharField(source="live_revision.title")
    summary = serializers.CharField(source="live_revision.summary")
    topic = TopicSerializer(source="live_revision.topic", allow_null=True)
    published_at = serializers.DateTimeField()
    url = serializers.SerializerMethodField()

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, post: Post) -> str:
        return absolute(post.get_absolute_url())


class CoverSerializer(serializers.Serializer):
    url = serializers.SerializerMethodField()
    width = serializers.IntegerField()
    height = serializers.IntegerField()
    alt = serializers.CharField(source="alt_text")
    credit = serializers.CharField()

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, image) -> str:  # noqa: ANN001 - a MediaImage
        return absolute(image.file.url)


class PostDetailSerializer(PostSerializer):
    body_html = serializers.CharField(source="live_revision.body", help_text="Sanitised HTML, as approved.")
    cover = CoverSerializer(source="live_revision.approved_cover", allow_null=True)


# --- envelopes (for the schema; the views build the same dicts) ----------------------------
class UnitPageSerializer(serializers.Serializer):
    data = UnitSerializer(many=True)
    next = serializers.URLField(allow_null=True)


class UnitItemSerializer(serializers.Serializer):
    data = UnitDetailSerializer()


class PostPageSerializer(serializers.Serializer):
    data = PostSerializer(many=True)
    next = serializers.URLField(allow_null=True)


class PostItemSerializer(serializers.Serializer):
    data = PostDetailSerializer()


class TopicListSerializer(serializers.Serializer):
    data = TopicSerializer(many=True)


class SearchPageSerializer(serializers.Serializer):
    data = PostSerializer(many=True)
    count = serializers.IntegerField(help_text="Matches ranked (at most 200).")
    capped = serializers.BooleanField(help_text="More posts matched than are ranked.")
    page = serializers.IntegerField()
    pages = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)


class ErrorDetailSerializer(serializers.Serializer):
    status = serializers.IntegerField()
    message = serializers.CharField()
    fields = serializers.DictField(child=serializers.ListField(child=serializers.CharField()), required=False)


class ErrorSerializer(serializers.Serializer):
    error = ErrorDetailSerializer()
