"""The endpoints of /api/v1/: read-only, anonymous, JSON only.

Every view answers GET and HEAD through the public page cache (``pages.cache.public_cache``:
ETag, Last-Modified, 304; invalidated by any publication) and OPTIONS as a CORS preflight.
No authentication class runs, so no session is read and no CSRF check applies; the rate limit
runs before the cache, so cached answers count too.
"""

from __future__ import annotations

import datetime

from django.http import HttpRequest, HttpResponse
from django.utils import translation
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.views import APIView

from pages.cache import public_cache, site_wide
from pages.search import SearchFilters, search_page
from vietfront.text import nfc

from . import selectors
from .cursors import ListQuery, aware_datetime, db_int, decode, keyset_page
from .params import SearchQuery, TopicPostsQuery, UnitListQuery
from .rendering import EscapedJSONRenderer, JSONOnly, add_cors, exception_handler, preflight, render_json
from .serializers import (
    ErrorSerializer,
    PostDetailSerializer,
    PostItemSerializer,
    PostPageSerializer,
    PostSerializer,
    SearchPageSerializer,
    TopicListSerializer,
    TopicSerializer,
    UnitDetailSerializer,
    UnitItemSerializer,
    UnitPageSerializer,
    UnitSerializer,
)
from .throttling import ClientRateThrottle

ERRORS = {400: ErrorSerializer, 404: ErrorSerializer, 429: ErrorSerializer}
LIST_QUERY = ("cursor", "limit")


class ReadView(APIView):
    authentication_classes = ()
    permission_classes = (AllowAny,)
    throttle_classes = (ClientRateThrottle,)
    renderer_classes = (EscapedJSONRenderer,)
    parser_classes = ()
    content_negotiation_class = JSONOnly
    metadata_class = None
    http_method_names = ["get", "head", "options"]
    #: The query parameters the view reads: the only ones in the cache key.
    query: tuple[str, ...] = ()

    def get_exception_handler(self):  # noqa: ANN201 - DRF's signature
        return exception_handler

    def dispatch(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        # The API speaks to developers: DRF's own messages in English, whatever the site's language.
        with translation.override("en"):
            return super().dispatch(request, *args, **kwargs)

    def finalize_response(self, request, response, *args, **kwargs):  # noqa: ANN001, ANN201
        return add_cors(super().finalize_response(request, response, *args, **kwargs))

    def options(self, request: Request, *args, **kwargs) -> HttpResponse:
        return preflight()

    def get(self, request: Request, **kwargs) -> HttpResponse:
        return public_cache(site_wide, query=self.query)(self._fresh)(request._request, **kwargs)

    def _fresh(self, request: HttpRequest, **kwargs) -> HttpResponse:
        return render_json(self.payload(**kwargs))

    def payload(self, **kwargs) -> dict:
        raise NotImplementedError

    def params(self, serializer_class: type[serializers.Serializer]) -> dict:
        found = serializer_class(data=self.request.query_params)
        found.is_valid(raise_exception=True)
        return found.validated_data


def _unit_or_404(unit_id: int, *, with_page: bool = False):  # noqa: ANN202 - an OrgUnit
    unit = selectors.active_unit(unit_id, with_page=with_page)
    if unit is None:
        raise NotFound(f"No active unit with id {unit_id}.")
    return unit


def _post_key(cursor: str | None) -> tuple[datetime.datetime, int] | None:
    if not cursor:
        return None
    stamp, last_id = decode(cursor, 2)
    return aware_datetime(stamp), db_int(last_id)


class UnitList(ReadView):
    query = (*LIST_QUERY, "parent", "kind", "level")

    @extend_schema(operation_id="units_list", parameters=[UnitListQuery], responses={200: UnitPageSerializer, **ERRORS})
    def get(self, request: Request, **kwargs) -> HttpResponse:
        """Active units in tree order (each followed by its subtree), with their page's status."""
        return super().get(request, **kwargs)

    def payload(self) -> dict:
        params = self.params(UnitListQuery)
        after = None
        if params.get("cursor"):
            after = tuple(db_int(v) for v in decode(params["cursor"], 2))
        parent_id = params.get("parent")
        rows = selectors.unit_page(parent_id=parent_id, kind=params.get("kind"), level=params.get("level"),
                                   after=after, limit=params["limit"])
        if not rows and parent_id is not None:
            _unit_or_404(parent_id)  # an empty list only for a unit that exists
        rows, more = keyset_page(self.request, rows, params["limit"], lambda u: (u.tree_id, u.lft))
        return {"data": UnitSerializer(rows, many=True).data, "next": more}


class UnitDetail(ReadView):
    @extend_schema(operation_id="units_retrieve", responses={200: UnitItemSerializer, 404: ErrorSerializer,
                                                             429: ErrorSerializer})
    def get(self, request: Request, **kwargs) -> HttpResponse:
        """An active unit, its page's status and, while the page is active, its public profile."""
        return super().get(request, **kwargs)

    def payload(self, unit_id: int) -> dict:
        return {"data": UnitDetailSerializer(_unit_or_404(unit_id, with_page=True)).data}


class UnitPosts(ReadView):
    query = LIST_QUERY
    subtree = False

    @extend_schema(operation_id="units_posts_list", parameters=[ListQuery],
                   responses={200: PostPageSerializer, **ERRORS})
    def get(self, request: Request, **kwargs) -> HttpResponse:
        """The unit's own published posts, newest first."""
        return super().get(request, **kwargs)

    def payload(self, unit_id: int) -> dict:
        params = self.params(ListQuery)
        after = _post_key(params.get("cursor"))
        unit = _unit_or_404(unit_id)
        rows = selectors.post_page(unit=unit, subtree=self.subtree, topic=None, after=after, limit=params["limit"])
        return _post_list(self.request, rows, params["limit"])


class SubtreePosts(UnitPosts):
    subtree = True

    @extend_schema(operation_id="units_subtree_posts_list", parameters=[ListQuery],
                   responses={200: PostPageSerializer, **ERRORS})
    def get(self, request: Request, **kwargs) -> HttpResponse:
        """Published posts of the unit and every unit below it, newest first."""
        return super().get(request, **kwargs)


def _post_list(request: Request, rows: list, limit: int) -> dict:
    rows, more = keyset_page(request, rows, limit, lambda p: (p.published_at.isoformat(), p.pk))
    return {"data": PostSerializer(rows, many=True).data, "next": more}


class TopicList(ReadView):
    @extend_schema(operation_id="topics_list", responses={200: TopicListSerializer, 429: ErrorSerializer})
    def get(self, request: Request, **kwargs) -> HttpResponse:
        """The topics posts are filed under, as the public site lists them."""
        return super().get(request, **kwargs)

    def payload(self) -> dict:
        return {"data": TopicSerializer(selectors.topics(), many=True).data}


class TopicPosts(ReadView):
    query = (*LIST_QUERY, "unit")

    @extend_schema(operation_id="topics_posts_list", parameters=[TopicPostsQuery],
                   responses={200: PostPageSerializer, **ERRORS})
    def get(self, request: Request, **kwargs) -> HttpResponse:
        """Published posts of a topic, nationwide or within a unit's subtree, newest first."""
        return super().get(request, **kwargs)

    def payload(self, slug: str) -> dict:
        params = self.params(TopicPostsQuery)
        after = _post_key(params.get("cursor"))
        topic = selectors.active_topic(slug)
        if topic is None:
            raise NotFound(f"No topic {slug!r}.")
        unit = _unit_or_404(params["unit"]) if "unit" in params else None
        rows = selectors.post_page(unit=unit, subtree=True, topic=topic, after=after, limit=params["limit"])
        return _post_list(self.request, rows, params["limit"])


class Search(ReadView):
    query = ("q", "topic", "unit", "date_from", "date_to", "page", "limit")

    @extend_schema(operation_id="search", parameters=[SearchQuery], responses={200: SearchPageSerializer, **ERRORS})
    def get(self, request: Request, **kwargs) -> HttpResponse:
        """The public search's results, in its order (``pages.search``): live content only."""
        return super().get(request, **kwargs)

    def payload(self) -> dict:
        params = self.params(SearchQuery)
        topic = None
        if "topic" in params:
            topic = selectors.active_topic(params["topic"])
            if topic is None:
                raise ValidationError({"topic": [f"No topic {params['topic']!r}."]})
        unit = None
        if "unit" in params:
            unit = selectors.active_unit(params["unit"])
            if unit is None:
                raise ValidationError({"unit": [f"No active unit with id {params['unit']}."]})
        filters = SearchFilters(unit=unit, topic_id=topic.pk if topic else None,
                                date_from=params.get("date_from"), date_to=params.get("date_to"))
        limit, number = params["limit"], params["page"]
        # The public search form's own normalisation (pages.views.search).
        found = search_page(nfc(params["q"]).strip()[:200], filters, number=number, per_page=limit)
        more = None
        if number < found.pages:
            query = self.request.query_params.copy()
            query["page"] = str(number + 1)
            more = self.request.build_absolute_uri(f"{self.request.path}?{query.urlencode()}")
        return {"data": PostSerializer(found.posts, many=True).data, "count": found.count,
                "capped": found.capped, "page": number, "pages": found.pages, "next": more}


class PostDetail(ReadView):
    @extend_schema(operation_id="posts_retrieve", responses={200: PostItemSerializer, 404: ErrorSerializer,
                                                             429: ErrorSerializer})
    def get(self, request: Request, **kwargs) -> HttpResponse:
        """A published post's approved content (its live revision, never a pending edit)."""
        return super().get(request, **kwargs)

    def payload(self, post_id: int) -> dict:
        post = selectors.live_post(post_id)
        if post is None:
            raise NotFound(f"No published post with id {post_id}.")
        return {"data": PostDetailSerializer(post).data}


