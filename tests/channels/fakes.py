"""Local stand-ins for the Facebook Graph API and the Zalo OA article API.

Each is a small WSGI app served by wsgiref on a free loopback port in a thread, speaking the
documented request and answer shapes, error bodies included. A test scripts failures with
``fail_next(kind, times)``: "rate_limit" (the platform's own throttling answer), "http_429"
(a bare 429 with Retry-After), "server_error", "expired", "permission", "drop" (the
connection closes after the request was accepted: the crash-after-remote-call case).
"""

from __future__ import annotations

import itertools
import json
import threading
import time
import urllib.parse
from collections import deque
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server


class _Quiet(WSGIRequestHandler):
    def log_message(self, *args) -> None:  # the tests' output is not an access log
        pass


class _ThreadedServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class FakeServer:
    prefix = ""

    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.failures: deque[str] = deque()
        self.ids = itertools.count(1001)
        self.lock = threading.Lock()
        self.httpd: WSGIServer | None = None
        self.thread: threading.Thread | None = None
        self.drop_seconds = 1.5
        self.delay_seconds = 0.0  # every answer waits this long: a slow platform, for races

    # --- control --------------------------------------------------------------------------
    def start(self) -> FakeServer:
        self.httpd = make_server("127.0.0.1", 0, self, server_class=_ThreadedServer, handler_class=_Quiet)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()
        return self

    def stop(self) -> None:
        if self.httpd is not None:
            self.httpd.shutdown()
            self.httpd.server_close()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_port}{self.prefix}"

    def fail_next(self, kind: str, times: int = 1) -> None:
        self.failures.extend([kind] * times)

    def calls(self, method: str, suffix: str) -> list[dict]:
        return [r for r in self.requests if r["method"] == method and r["path"].endswith(suffix)]

    # --- WSGI -----------------------------------------------------------------------------
    def __call__(self, environ, start_response):
        length = int(environ.get("CONTENT_LENGTH") or 0)
        raw = environ["wsgi.input"].read(length) if length else b""
        kind = environ.get("CONTENT_TYPE", "")
        if "json" in kind:
            body = json.loads(raw or b"{}")
        else:
            body = {k: v[0] for k, v in urllib.parse.parse_qs(raw.decode()).items()}
        request = {
            "method": environ["REQUEST_METHOD"],
            "path": environ["PATH_INFO"],
            "query": {k: v[0] for k, v in urllib.parse.parse_qs(environ.get("QUERY_STRING", "")).items()},
            "headers": {k[5:].lower(): v for k, v in environ.items() if k.startswith("HTTP_")},
            "body": body,
        }
        time.sleep(self.delay_seconds)
        with self.lock:
            self.requests.append(request)
            failure = self.failures.popleft() if self.failures else None
            status, payload, headers = self.handle(request, failure)
        if status == "drop":
            # The request was acted on; the answer comes after the client stopped waiting.
            time.sleep(self.drop_seconds)
            status = "200 OK"
        start_response(status, [("Content-Type", "application/json; charset=UTF-8"), *headers])
        return [json.dumps(payload).encode()]

    def handle(self, request: dict, failure: str | None):  # pragma: no cover - overridden
        raise NotImplementedError


class FakeGraph(FakeServer):
    """Graph API v25.0: /{page-id}/feed, /{page-id}/photos, DELETE /{post-id}, /{post-id}/insights.

    ``pages`` maps page id → its valid page access token; ``expired`` holds tokens Graph
    answers 190/463 for."""

    prefix = "/v25.0"

    def __init__(self) -> None:
        super().__init__()
        self.pages: dict[str, str] = {}
        self.expired: set[str] = set()
        self.posts: dict[str, dict] = {}

    @staticmethod
    def _error(status: str, code: int, message: str, subcode: int | None = None, kind: str = "OAuthException"):
        error = {"message": message, "type": kind, "code": code, "fbtrace_id": "AbCdEf123"}
        if subcode:
            error["error_subcode"] = subcode
        return status, {"error": error}, []

    def handle(self, request: dict, failure: str | None):
        token = request["headers"].get("authorization", "").removeprefix("Bearer ")
        if failure == "rate_limit":
            return self._error("400 Bad Request", 32, "(#32) Page request limit reached")
        if failure == "http_429":
            return "429 Too Many Requests", {"error": {"message": "Too many calls", "code": 4}}, [("Retry-After", "1")]
        if failure == "server_error":
            return self._error("500 Internal Server Error", 2, "An unexpected error has occurred. Please retry your "
                               "request later.")
        if failure == "permission":
            return self._error("403 Forbidden", 200, "(#200) Requires pages_manage_posts permission")
        if failure == "expired" or token in self.expired:
            return self._error("400 Bad Request", 190, "Error validating access token: Session has expired.", 463)
        parts = request["path"].removeprefix(self.prefix).strip("/").split("/")
        method = request["method"]
        if method == "POST" and len(parts) == 2 and parts[1] in {"feed", "photos"}:
            page_id = parts[0]
            if self.pages.get(page_id) != token:
                return self._error("400 Bad Request", 190, "Invalid OAuth access token - Cannot parse access token")
            post_id = f"{page_id}_{next(self.ids)}"
            self.posts[post_id] = {"kind": parts[1], **request["body"]}
            answer = {"id": post_id} if parts[1] == "feed" else {"id": str(next(self.ids)), "post_id": post_id}
            return ("drop" if failure == "drop" else "200 OK"), answer, []
        if method == "POST" and len(parts) == 1:
            if parts[0] not in self.posts:
                return self._error("400 Bad Request", 100, "Unsupported post request.", kind="GraphMethodException")
            key = "message" if self.posts[parts[0]]["kind"] == "feed" else "caption"
            self.posts[parts[0]][key] = request["body"].get("message", "")
            return "200 OK", {"success": True}, []
        if method == "DELETE" and len(parts) == 1:
            if self.posts.pop(parts[0], None) is None:
                return self._error("400 Bad Request", 100, "Unsupported delete request.", kind="GraphMethodException")
            return "200 OK", {"success": True}, []
        if method == "GET" and len(parts) == 2 and parts[1] == "insights" and parts[0] in self.posts:
            data = [
                {"name": "post_impressions_unique", "period": "lifetime", "values": [{"value": 1234}]},
                {"name": "post_reactions_by_type_total", "period": "lifetime", "values": [{"value": {"like": 40, "love": 2}}]},
                {"name": "post_clicks", "period": "lifetime", "values": [{"value": 87}]},
            ]
            return "200 OK", {"data": data}, []
        return self._error("400 Bad Request", 100, "Unsupported request", kind="GraphMethodException")


class FakeZalo(FakeServer):
    """OA article API v2.0 (/article/create, verify, update, remove, getdetail) and the OAuth v4
    token refresh (/oauth/v4/oa/access_token). ``tokens`` are the valid access tokens,
    ``refresh_tokens`` the single-use refresh tokens, ``secret`` the app's secret key."""

    prefix = ""

    def __init__(self) -> None:
        super().__init__()
        self.tokens: set[str] = set()
        self.expired: set[str] = set()
        self.refresh_tokens: set[str] = set()
        self.secret = "zalo-app-secret"
        self.articles: dict[str, dict] = {}
        self.processing: dict[str, str] = {}

    @property
    def article_url(self) -> str:
        return f"{self.url}/v2.0/article"

    @property
    def oauth_url(self) -> str:
        return f"{self.url}/v4/oa/access_token"

    def handle(self, request: dict, failure: str | None):
        path = request["path"]
        if path == "/v4/oa/access_token":
            return self._refresh(request)
        if failure == "rate_limit":
            return "200 OK", {"error": -32, "message": "The request exceeded the limit"}, []
        if failure == "http_429":
            return "429 Too Many Requests", {"error": -32, "message": "Too many requests"}, [("Retry-After", "1")]
        if failure == "server_error":
            return "502 Bad Gateway", {}, []
        token = request["headers"].get("access_token", "")
        if failure == "expired" or token in self.expired:
            return "200 OK", {"error": -124, "message": "Access token has expired"}, []
        if token not in self.tokens:
            return "200 OK", {"error": -216, "message": "Access token is invalid"}, []
        action = path.removeprefix("/v2.0/article/")
        body = request["body"]
        if action == "create":
            if len(body.get("title", "")) > 150 or len(body.get("description", "")) > 300:
                return "200 OK", {"error": -201, "message": "Parameter is invalid"}, []
            processing = f"tok{next(self.ids)}"
            article_id = f"art{next(self.ids)}"
            self.processing[processing] = article_id
            self.articles[article_id] = body
            return ("drop" if failure == "drop" else "200 OK"), {"error": 0, "message": "Success",
                                                                  "data": {"token": processing}}, []
        if action == "verify":
            article_id = self.processing.get(body.get("token", ""))
            if article_id is None:
                return "200 OK", {"error": -201, "message": "Token is invalid"}, []
            return "200 OK", {"error": 0, "message": "Success", "data": {"id": article_id}}, []
        if action in {"update", "remove"}:
            if body.get("id") not in self.articles:
                return "200 OK", {"error": -201, "message": "Article is not exist"}, []
            if action == "remove":
                del self.articles[body["id"]]
            else:
                self.articles[body["id"]] = body
            return "200 OK", {"error": 0, "message": "Success", "data": {"token": f"tok{next(self.ids)}"}}, []
        if action == "getdetail":
            article_id = request["query"].get("id", "")
            if article_id not in self.articles:
                return "200 OK", {"error": -201, "message": "Article is not exist"}, []
            return "200 OK", {"error": 0, "message": "Success", "data": {
                "id": article_id, "title": self.articles[article_id]["title"], "total_view": 321, "total_share": 12,
            }}, []
        return "404 Not Found", {"error": -404, "message": "Not found"}, []

    def _refresh(self, request: dict):
        body = request["body"]
        if request["headers"].get("secret_key") != self.secret:
            return "200 OK", {"error": -14002, "error_name": "Invalid secret key"}, []
        if body.get("grant_type") != "refresh_token" or body.get("refresh_token") not in self.refresh_tokens:
            return "200 OK", {"error": -14014, "error_name": "Invalid refresh token",
                              "error_reason": "Refresh token is invalid or expired"}, []
        self.refresh_tokens.discard(body["refresh_token"])
        access, refresh = f"zat-{next(self.ids)}-fresh-access", f"zrt-{next(self.ids)}-fresh-refresh"
        self.tokens.add(access)
        self.refresh_tokens.add(refresh)
        return "200 OK", {"access_token": access, "refresh_token": refresh, "expires_in": "90000"}, []
