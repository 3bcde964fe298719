"""Meta's side: webhook deliveries (signed like Meta signs them) and a Graph API server.

Payload shapes follow Meta's Webhooks reference for the Page ``feed`` field and the
Instagram ``comments`` field. The Graph fake serves ``/{page}/feed`` and
``/{post}/comments`` with ``paging.next`` and answers a rate limit the way the
Graph API does: HTTP 400, ``{"error": {"code": 32, "type": "OAuthException", ...}}``
and an ``X-Business-Use-Case-Usage`` header.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import urlencode

from tests.sourcefakes.base import FakeServer, Reply, Request


def page_comment(
    page_id: str,
    comment_id: str,
    message: str,
    created: int,
    *,
    from_id: str = "u1",
    from_name: str = "Matti M",
    post_id: str | None = None,
    parent_id: str | None = None,
    verb: str = "add",
) -> dict[str, Any]:
    post = post_id or f"{page_id}_100"
    return {
        "field": "feed",
        "value": {
            "from": {"id": from_id, "name": from_name},
            "post": {"status_type": "added_photos", "is_published": True, "id": post},
            "message": message,
            "post_id": post,
            "comment_id": comment_id,
            "created_time": created,
            "item": "comment",
            "parent_id": parent_id or post,
            "verb": verb,
        },
    }


def instagram_comment(comment_id: str, text: str, *, username: str = "asiakas") -> dict[str, Any]:
    return {
        "field": "comments",
        "value": {
            "from": {"id": "ig-user-1", "username": username},
            "media": {"id": "ig-media-1", "media_product_type": "FEED"},
            "id": comment_id,
            "text": text,
        },
    }


def notification(obj: str, entry_id: str, changes: list[dict[str, Any]], time: int) -> bytes:
    return json.dumps(
        {"object": obj, "entry": [{"id": entry_id, "time": time, "changes": changes}]}
    ).encode()


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
    req = urllib.request.Request(
        url, data=body, method="POST", headers={"Content-Type": "application/json", **headers}
    )
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


class GraphFake(FakeServer):
    """``/v21.0/{page}/feed`` and ``/v21.0/{post}/comments``; ``limit``, ``since``, ``after``."""

    def __init__(self, token: str) -> None:
        super().__init__()
        self.token = token
        self.posts: dict[str, list[dict[str, Any]]] = {}  # page -> posts
        self.comments: dict[str, list[dict[str, Any]]] = {}  # post -> comments
        self.page_size = 2  # small pages, so paging.next is followed

    def rate_limit_next(self, n: int) -> None:
        body = json.dumps(
            {
                "error": {
                    "message": "(#32) Page request limit reached",
                    "type": "OAuthException",
                    "code": 32,
                    "fbtrace_id": "AbCdEf",
                }
            }
        ).encode()
        usage = json.dumps(
            {"1001": [{"type": "pages", "call_count": 100, "estimated_time_to_regain_access": 0}]}
        )
        self.fail_next(n, 400, body, **{"X-Business-Use-Case-Usage": usage})

    def answer(self, req: Request) -> Reply:
        if req.query.get("access_token", [""])[0] != self.token:
            err = {
                "error": {
                    "message": "Invalid OAuth access token.",
                    "type": "OAuthException",
                    "code": 190,
                }
            }
            return Reply(400, json.dumps(err).encode())
        parts = req.path.strip("/").split("/")
        if len(parts) != 3:
            return Reply(404, b'{"error": {"message": "unknown path", "code": 803}}')
        _, obj, edge = parts
        rows = self.posts.get(obj, []) if edge == "feed" else self.comments.get(obj, [])
        since = int(req.query.get("since", ["0"])[0])
        limit = min(int(req.query.get("limit", ["25"])[0]), self.page_size)
        after = int(req.query.get("after", ["0"])[0])
        rows = [r for r in rows if r["_ts"] >= since]
        page = rows[after : after + limit]
        doc: dict[str, Any] = {"data": [{k: v for k, v in r.items() if k != "_ts"} for r in page]}
        if after + limit < len(rows):
            q = {k: v[0] for k, v in req.query.items()}
            q["after"] = str(after + limit)
            doc["paging"] = {"next": f"{self.base_url}{req.path}?{urlencode(q)}"}
        return Reply(200, json.dumps(doc).encode(), {"Content-Type": "application/json"})
