"""What every platform client shares: one HTTP call, and the errors the services act on.

Errors are sorted by what to do next, not by platform: retry later (rate limits, server
errors, a network failure), give up on this delivery (content refused, permission missing),
or give up on the connection (token expired or revoked). Their ``message`` is Vietnamese and
shown to editors; it never carries a token, since no token is ever put in a URL or a message.
"""

from __future__ import annotations

import json
import logging
import socket
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass

from django.utils.translation import gettext as _

from ..conf import setting

logger = logging.getLogger(__name__)


class ChannelError(Exception):
    def __init__(self, message: str, *, code: str = "", retry_after: float | None = None):
        super().__init__(message)
        self.message = message
        self.code = code
        self.retry_after = retry_after


class RetryableError(ChannelError):
    """Try again later: server errors, timeouts."""


class RateLimited(RetryableError):
    """The platform asks us to slow down."""


class Uncertain(ChannelError):
    """The request left but no answer came back: the platform may have acted on it."""


class PermanentError(ChannelError):
    """This delivery will not succeed as it is (content refused, permission missing)."""


class TokenExpired(ChannelError):
    """The token is expired or revoked: the connection is broken until reconnected."""


@dataclass
class Response:
    status: int
    body: dict
    headers: dict


def timeout() -> float:
    return float(setting("VIETFRONT_CHANNEL_HTTP_TIMEOUT", 10))


def call(method: str, url: str, *, headers: dict | None = None, form: dict | None = None,
         json_body: dict | None = None, query: dict | None = None, idempotent: bool | None = None) -> Response:
    """One request; the answer's JSON body whatever the status.

    A connection that could not be made is retryable. One lost after the request left is
    retryable only for an idempotent request; for a create it is ``Uncertain``, since sending
    it again could post twice.

    Only the path is logged: headers (which carry the tokens) and bodies never are.
    """
    if query:
        url = f"{url}?{urllib.parse.urlencode(query)}"
    data = None
    headers = dict(headers or {})
    if form is not None:
        data = urllib.parse.urlencode(form).encode()
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    elif json_body is not None:
        data = json.dumps(json_body, ensure_ascii=False).encode()
        headers["Content-Type"] = "application/json; charset=utf-8"
    request = urllib.request.Request(url, data=data, method=method, headers=headers)  # noqa: S310 - https/loopback
    path = urllib.parse.urlsplit(url).path
    try:
        with urllib.request.urlopen(request, timeout=timeout()) as answer:  # noqa: S310
            status, raw, answer_headers = answer.status, answer.read(), dict(answer.headers)
    except urllib.error.HTTPError as exc:
        status, raw, answer_headers = exc.code, exc.read(), dict(exc.headers or {})
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        logger.warning("Channel request %s %s failed: %s", method, path, type(reason).__name__)
        never_sent = isinstance(reason, ConnectionRefusedError | socket.gaierror)
        if never_sent or (idempotent if idempotent is not None else method in {"GET", "DELETE"}):
            raise RetryableError(_("Không kết nối được tới máy chủ của nền tảng; sẽ thử lại."), code="network") from exc
        raise Uncertain(_("Mất kết nối khi đang gửi: bài có thể đã lên kênh. Hãy kiểm tra trên kênh, rồi "
                          "chọn “Gửi lại” ở mục Bài trên kênh nếu chưa có."), code="network") from exc
    try:
        body = json.loads(raw.decode() or "{}")
    except (UnicodeDecodeError, ValueError):
        body = {}
    if not isinstance(body, dict):
        body = {"data": body}
    logger.info("Channel request %s %s answered %s", method, path, status)
    return Response(status=status, body=body, headers=answer_headers)


def retry_after(headers: dict) -> float | None:
    value = headers.get("Retry-After") or headers.get("retry-after")
    try:
        return float(value) if value else None
    except ValueError:
        return None
