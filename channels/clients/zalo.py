"""The Zalo Official Account article API (v2.0) and the OA token refresh (OAuth v4).

Zalo answers HTTP 200 with ``{"error": <code>, "message": ...}``: 0 is success, negative codes
are failures. Creating an article is asynchronous: ``create`` returns a token that ``verify``
turns into the article id once Zalo has processed it.
"""

from __future__ import annotations

import datetime

from django.utils import timezone
from django.utils.translation import gettext as _

from ..conf import setting
from .base import PermanentError, RateLimited, Response, RetryableError, TokenExpired, call, retry_after

TOKEN_CODES = {-124, -216}
RATE_LIMIT_CODES = {-32}
TRANSIENT_CODES = {-1, -14}
TITLE_MAX = 150
DESCRIPTION_MAX = 300
AUTHOR_MAX = 50
COVER_MAX_BYTES = 1024 * 1024


def base_url() -> str:
    return setting("VIETFRONT_ZALO_ARTICLE_URL", "https://openapi.zalo.me/v2.0/article").rstrip("/")


def oauth_url() -> str:
    return setting("VIETFRONT_ZALO_OAUTH_URL", "https://oauth.zaloapp.com/v4/oa/access_token")


def _checked(response: Response) -> dict:
    if response.status == 429:
        raise RateLimited(_("Zalo đang giới hạn số lần gửi; sẽ thử lại sau."), code="http:429",
                          retry_after=retry_after(response.headers))
    if response.status >= 500:
        raise RetryableError(_("Máy chủ Zalo đang lỗi; sẽ thử lại."), code=f"http:{response.status}")
    code = response.body.get("error", 0 if response.status < 400 else response.status)
    if code == 0:
        return response.body
    label = f"zalo:{code}"
    if code in TOKEN_CODES:
        raise TokenExpired(_("Mã truy cập Zalo OA đã hết hạn hoặc không hợp lệ."), code=label)
    if code in RATE_LIMIT_CODES:
        raise RateLimited(_("Zalo đang giới hạn số lần gửi; sẽ thử lại sau."), code=label)
    if code in TRANSIENT_CODES:
        raise RetryableError(_("Máy chủ Zalo đang lỗi; sẽ thử lại."), code=label)
    raise PermanentError(_("Zalo từ chối bài viết (mã lỗi %(code)s).") % {"code": code}, code=label)


def _headers(token: str) -> dict:
    return {"access_token": token}


def create(*, token: str, article: dict) -> str:
    """Submit an article; returns Zalo's processing token (not yet the article id)."""
    body = _checked(call("POST", f"{base_url()}/create", headers=_headers(token), json_body=article))
    return str((body.get("data") or {}).get("token", ""))


def verify(*, token: str, article_token: str) -> str:
    """The article id for a processing token; empty while Zalo is still processing it."""
    body = _checked(call("POST", f"{base_url()}/verify", headers=_headers(token), json_body={"token": article_token},
                         idempotent=True))
    return str((body.get("data") or {}).get("id", ""))


def update(*, token: str, article_id: str, article: dict) -> None:
    _checked(call("POST", f"{base_url()}/update", headers=_headers(token), json_body={**article, "id": article_id},
                  idempotent=True))


def remove(*, token: str, article_id: str) -> None:
    _checked(call("POST", f"{base_url()}/remove", headers=_headers(token), json_body={"id": article_id}, idempotent=True))


def detail(*, token: str, article_id: str) -> dict:
    body = _checked(call("GET", f"{base_url()}/getdetail", headers=_headers(token), query={"id": article_id}))
    return body.get("data") or {}


def refresh(*, refresh_token: str) -> tuple[str, str, datetime.datetime | None]:
    """New (access token, refresh token, expiry). Zalo's refresh tokens are single-use."""
    response = call(
        "POST", oauth_url(),
        headers={"secret_key": setting("VIETFRONT_ZALO_APP_SECRET", "")},
        form={"refresh_token": refresh_token, "app_id": setting("VIETFRONT_ZALO_APP_ID", ""),
              "grant_type": "refresh_token"},
    )
    if response.status >= 500:
        raise RetryableError(_("Máy chủ Zalo đang lỗi; sẽ thử lại."), code=f"http:{response.status}")
    body = response.body
    if not body.get("access_token"):
        raise TokenExpired(_("Không gia hạn được mã truy cập Zalo OA: hãy kết nối lại."),
                           code=f"zalo:{body.get('error', 'refresh')}")
    expires_in = int(body.get("expires_in") or 0)
    expires = timezone.now() + datetime.timedelta(seconds=expires_in) if expires_in else None
    return body["access_token"], body.get("refresh_token", refresh_token), expires
