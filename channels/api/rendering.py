"""JSON out: escaped for HTML contexts, errors in one shape, CORS headers for reading."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from rest_framework import exceptions
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.renderers import JSONRenderer
from rest_framework.views import exception_handler as drf_exception_handler

# Inside JSON these characters only occur in strings, where \u escapes mean the same, so a
# response pasted into a <script> (or sniffed as HTML) can never close a tag or open one.
_ESCAPES = ((b"<", b"\\u003c"), (b">", b"\\u003e"), (b"&", b"\\u0026"))
JSON_TYPE = "application/json; charset=utf-8"


class EscapedJSONRenderer(JSONRenderer):
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None) -> bytes:  # noqa: ANN001
        content = super().render(data, accepted_media_type, renderer_context)
        for raw, escaped in _ESCAPES:
            content = content.replace(raw, escaped)
        return content


def render_json(data, status: int = 200) -> HttpResponse:  # noqa: ANN001 - any JSON value
    return HttpResponse(EscapedJSONRenderer().render(data), status=status, content_type=JSON_TYPE)


class JSONOnly(BaseContentNegotiation):
    """JSON whatever the client accepts: a browser's ``Accept: text/html`` gets JSON, not 406."""

    def select_parser(self, request, parsers):  # noqa: ANN001, ANN201 - DRF's signature
        return parsers[0] if parsers else None

    def select_renderer(self, request, renderers, format_suffix=None):  # noqa: ANN001, ANN201
        return renderers[0], renderers[0].media_type


def _message(detail) -> str:  # noqa: ANN001 - str, list or dict of them
    if isinstance(detail, dict):
        return "; ".join(f"{name}: {_message(value)}" for name, value in detail.items())
    if isinstance(detail, list):
        return " ".join(_message(item) for item in detail)
    return str(detail)


def error_body(status: int, message: str, fields: dict | None = None) -> dict:
    error = {"status": status, "message": message}
    if fields:
        error["fields"] = fields
    return {"error": error}


def exception_handler(exc: Exception, context: dict):  # noqa: ANN201 - a Response or None
    """DRF's handler (it sets ``Retry-After`` on 429), with every error in one shape:
    ``{"error": {"status", "message", "fields"?}}``. Anything else is left to be a 500."""
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    fields = exc.detail if isinstance(exc, exceptions.ValidationError) and isinstance(exc.detail, dict) else None
    response.data = error_body(response.status_code, _message(exc.detail), fields)
    return response


def add_cors(response: HttpResponse) -> HttpResponse:
    """Any origin may read; credentials are never involved, so ``*`` is safe."""
    response["Access-Control-Allow-Origin"] = "*"
    response["Access-Control-Expose-Headers"] = "ETag, Last-Modified, Retry-After"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def preflight() -> HttpResponse:
    response = HttpResponse(status=204)
    response["Access-Control-Allow-Methods"] = "GET, HEAD, OPTIONS"
    response["Access-Control-Allow-Headers"] = "If-None-Match, If-Modified-Since"
    response["Access-Control-Max-Age"] = "86400"
    return add_cors(response)


def not_found(request: HttpRequest, rest: str = "") -> HttpResponse:
    """Any other address under /api/v1/: a JSON 404 like the API's own, not the HTML page."""
    if request.method == "OPTIONS":
        return preflight()
    return add_cors(render_json(error_body(404, "Not found."), status=404))
