"""Reddit's OAuth API: ``/api/v1/access_token`` (client credentials), ``/search`` and
``/r/{sub}/comments`` listings, rate-limit headers, 401 for a bad or expired token."""

from __future__ import annotations

import base64
import json
import secrets
from datetime import datetime
from typing import Any

from tests.sourcefakes.base import FakeServer, Reply, Request


def post(
    pid: str, title: str, selftext: str, created: datetime, sub: str = "Suomi"
) -> dict[str, Any]:
    return {
        "kind": "t3",
        "data": {
            "id": pid,
            "name": f"t3_{pid}",
            "title": title,
            "selftext": selftext,
            "author": "kayttaja",
            "author_fullname": "t2_abc",
            "created_utc": created.timestamp(),
            "subreddit": sub,
            "permalink": f"/r/{sub}/comments/{pid}/x/",
            "num_comments": 0,
        },
    }


def comment(
    cid: str, body: str, created: datetime, parent: str, sub: str = "Suomi"
) -> dict[str, Any]:
    return {
        "kind": "t1",
        "data": {
            "id": cid,
            "name": f"t1_{cid}",
            "body": body,
            "author": "toinen",
            "author_fullname": "t2_def",
            "created_utc": created.timestamp(),
            "parent_id": parent,
            "link_id": "t3_p1",
            "subreddit": sub,
            "permalink": f"/r/{sub}/comments/p1/x/{cid}/",
        },
    }


class RedditFake(FakeServer):
    def __init__(self, client_id: str, secret: str) -> None:
        super().__init__()
        self.basic = "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()
        self.tokens: set[str] = set()
        self.search: list[dict[str, Any]] = []  # newest first
        self.comments: dict[str, list[dict[str, Any]]] = {}

    def expire_tokens(self) -> None:
        with self.lock:
            self.tokens.clear()

    def answer(self, req: Request) -> Reply:
        limits = {
            "x-ratelimit-used": "1",
            "x-ratelimit-remaining": "99.0",
            "x-ratelimit-reset": "60",
        }
        if req.path == "/api/v1/access_token":
            if req.method != "POST" or req.headers.get("authorization") != self.basic:
                return Reply(401, b'{"message": "Unauthorized", "error": 401}')
            if req.body != b"grant_type=client_credentials":
                return Reply(200, b'{"error": "unsupported_grant_type"}')
            tok = secrets.token_hex(8)
            self.tokens.add(tok)
            doc = {"access_token": tok, "token_type": "bearer", "expires_in": 86400, "scope": "*"}
            return Reply(200, json.dumps(doc).encode(), {"Content-Type": "application/json"})
        auth = req.headers.get("authorization", "")
        if not auth.lower().startswith("bearer ") or auth[7:] not in self.tokens:
            return Reply(
                401,
                b'{"message": "Unauthorized", "error": 401}',
                {"www-authenticate": 'Bearer realm="reddit", error="invalid_token"'},
            )
        if req.path == "/search":
            rows = self.search
        elif req.path.startswith("/r/") and req.path.endswith("/comments"):
            rows = self.comments.get(req.path.split("/")[2], [])
        else:
            return Reply(404, b'{"message": "Not Found", "error": 404}')
        limit = int(req.query.get("limit", ["25"])[0])
        after = req.query.get("after", [None])[0]
        start = 0
        if after:
            names = [r["data"]["name"] for r in rows]
            start = names.index(after) + 1 if after in names else len(rows)
        page = rows[start : start + limit]
        nxt = page[-1]["data"]["name"] if start + limit < len(rows) and page else None
        doc = {
            "kind": "Listing",
            "data": {
                "after": nxt,
                "dist": len(page),
                "modhash": "",
                "before": None,
                "children": page,
            },
        }
        return Reply(
            200,
            json.dumps(doc).encode(),
            {"Content-Type": "application/json; charset=UTF-8", **limits},
        )
