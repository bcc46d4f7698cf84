"""The Facebook Graph API, as far as a Page publishes: feed posts, photos, deletion, insights.

Tokens travel in the Authorization header (Graph accepts ``Bearer``), never in the URL, so no
proxy or access log keeps them. Errors come as ``{"error": {"code", "error_subcode", ...}}``.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from ..conf import setting
from .base import (
    ChannelError,
    PermanentError,
    RateLimited,
    Response,
    RetryableError,
    TokenExpired,
    call,
    retry_after,
)

# Graph's throttling codes: app, user, page and custom-level rate limits.
RATE_LIMIT_CODES = {4, 17, 32, 613, 80001}
TRANSIENT_CODES = {1, 2}
TOKEN_CODES = {102, 190}
PERMISSION_CODES = {10, *range(200, 300)}
INSIGHT_METRICS = ("post_impressions_unique", "post_reactions_by_type_total", "post_clicks")


def base_url() -> str:
    return setting("VIETFRONT_FACEBOOK_GRAPH_URL", "https://graph.facebook.com/v25.0").rstrip("/")


def web_url(remote_id: str) -> str:
    return f"{setting('VIETFRONT_FACEBOOK_WEB_URL', 'https://www.facebook.com').rstrip('/')}/{remote_id}"


def _headers(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def _checked(response: Response) -> dict:
    error = response.body.get("error")
    if response.status < 400 and not error:
        return response.body
    error = error if isinstance(error, dict) else {}
    code = error.get("code")
    label = f"facebook:{code}" if code is not None else f"http:{response.status}"
    if code in TOKEN_CODES:
        raise TokenExpired(_("Mã truy cập Trang Facebook đã hết hạn hoặc bị thu hồi."), code=label)
    if code in RATE_LIMIT_CODES or response.status == 429:
        raise RateLimited(_("Facebook đang giới hạn số lần gửi; sẽ thử lại sau."), code=label,
                          retry_after=retry_after(response.headers))
    if code in TRANSIENT_CODES or response.status >= 500:
        raise RetryableError(_("Máy chủ Facebook đang lỗi; sẽ thử lại."), code=label)
    if code in PERMISSION_CODES:
        raise PermanentError(_("Mã truy cập thiếu quyền đăng bài lên Trang Facebook này."), code=label)
    raise PermanentError(_("Facebook từ chối bài viết (mã lỗi %(code)s).") % {"code": code or response.status},
                         code=label)


def publish_link(*, page_id: str, token: str, message: str, link: str) -> str:
    """A feed post with a link preview. Returns the post id (``{page}_{post}``)."""
    body = _checked(call("POST", f"{base_url()}/{page_id}/feed", headers=_headers(token),
                         form={"message": message, "link": link}))
    return _id(body, "id")


def publish_photo(*, page_id: str, token: str, caption: str, url: str) -> str:
    """A photo post with a caption; Graph fetches the photo from ``url``. Returns the post id."""
    body = _checked(call("POST", f"{base_url()}/{page_id}/photos", headers=_headers(token),
                         form={"url": url, "caption": caption, "published": "true"}))
    return _id(body, "post_id", "id")


def update(*, remote_id: str, token: str, message: str) -> None:
    """New text on a Page post (a photo post's caption is its message). The photo itself
    cannot be swapped through the API."""
    _checked(call("POST", f"{base_url()}/{remote_id}", headers=_headers(token), form={"message": message},
                  idempotent=True))


def delete(*, remote_id: str, token: str) -> None:
    try:
        _checked(call("DELETE", f"{base_url()}/{remote_id}", headers=_headers(token)))
    except PermanentError as exc:
        if exc.code == "facebook:100":  # no such object: already gone, which is what we want
            return
        raise


def insights(*, remote_id: str, token: str) -> dict[str, int]:
    body = _checked(call("GET", f"{base_url()}/{remote_id}/insights", headers=_headers(token),
                         query={"metric": ",".join(INSIGHT_METRICS)}))
    figures: dict[str, int] = {}
    for metric in body.get("data") or []:
        values = metric.get("values") or [{}]
        value = values[-1].get("value", 0)
        figures[metric.get("name", "")] = sum(value.values()) if isinstance(value, dict) else int(value or 0)
    return {
        "reach": figures.get("post_impressions_unique", 0),
        "reactions": figures.get("post_reactions_by_type_total", 0),
        "clicks": figures.get("post_clicks", 0),
    }


def _id(body: dict, *names: str) -> str:
    for name in names:
        if body.get(name):
            return str(body[name])
    raise ChannelError(_("Facebook trả lời không có mã bài viết."), code="facebook:no_id")
