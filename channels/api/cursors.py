"""Keyset cursors and the list parameters.

A cursor is the sort key of the last row shown, base64 of a JSON list: the next page is "rows
after this key", one index range whatever the page's depth (an offset would read and discard
every earlier row). Cursors are opaque to clients; anything that does not decode to the
expected key is a 400, never a 500 (an integer too large for the database included).
"""

from __future__ import annotations

import base64
import binascii
import datetime
import json

from django.utils.dateparse import parse_datetime
from rest_framework import serializers
from rest_framework.request import Request

DEFAULT_LIMIT, MAX_LIMIT = 20, 100
MAX_ID = 2**63 - 1  # the largest value a BIGINT column (and SQLite's INTEGER) holds


class ListQuery(serializers.Serializer):
    cursor = serializers.CharField(required=False, max_length=200, help_text="From the previous page's `next`.")
    limit = serializers.IntegerField(required=False, min_value=1, max_value=MAX_LIMIT, default=DEFAULT_LIMIT)


def bad_cursor() -> serializers.ValidationError:
    return serializers.ValidationError({"cursor": ["Invalid cursor."]})


def encode(*values) -> str:  # noqa: ANN002 - JSON values
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


def decode(cursor: str, size: int) -> list:
    try:
        values = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise bad_cursor() from exc
    if not isinstance(values, list) or len(values) != size:
        raise bad_cursor()
    return values


def db_int(value) -> int:  # noqa: ANN001 - a decoded JSON value
    if type(value) is not int or not 0 <= value <= MAX_ID:  # bool is an int too: refused
        raise bad_cursor()
    return value


def aware_datetime(value) -> datetime.datetime:  # noqa: ANN001 - a decoded JSON value
    try:
        when = parse_datetime(value) if isinstance(value, str) else None
    except ValueError:  # well-formed but impossible ("2026-13-40T…")
        when = None
    if when is None or when.tzinfo is None:
        raise bad_cursor()
    return when


def next_url(request: Request, cursor: str, limit: int) -> str:
    params = request.query_params.copy()
    params["cursor"], params["limit"] = cursor, str(limit)
    return request.build_absolute_uri(f"{request.path}?{params.urlencode()}")


def keyset_page(request: Request, rows: list, limit: int, key) -> tuple[list, str | None]:  # noqa: ANN001
    """The page's rows (``rows`` holds ``limit + 1``: one more tells there is a next page) and
    the URL of the next page, or ``None``."""
    if len(rows) <= limit:
        return rows, None
    return rows[:limit], next_url(request, encode(*key(rows[limit - 1])), limit)
