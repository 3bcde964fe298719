"""X API v2: stream rules, the filtered stream (one JSON object per line, ``\\r\\n``
keep-alives) and recent search with ``since_id``/``start_time``/``next_token``.

Shapes from the X API v2 reference: ``{"data": Post, "includes": {"users": [User]},
"matching_rules": [{"id", "tag"}]}`` on the stream, ``{"data": [...], "includes",
"meta": {"newest_id", "oldest_id", "result_count", "next_token"}}`` from search,
429 with ``x-rate-limit-limit/remaining/reset`` (epoch seconds).
"""

from __future__ import annotations

import itertools
import json
import queue
import threading
import time
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from tests.sourcefakes.base import FakeServer, Reply, Request


def post(
    pid: int, text: str, created: datetime, *, user: str = "u1", reply_to: int | None = None
) -> dict[str, Any]:
    p: dict[str, Any] = {
        "id": str(pid),
        "text": text,
        "created_at": created.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "author_id": f"id-{user}",
        "conversation_id": str(reply_to or pid),
        "lang": "fi",
        "edit_history_tweet_ids": [str(pid)],
    }
    if reply_to is not None:
        p["referenced_tweets"] = [{"type": "replied_to", "id": str(reply_to)}]
    return p


def user(name: str, followers: int = 10) -> dict[str, Any]:
    return {
        "id": f"id-{name}",
        "name": name.title(),
        "username": name,
        "public_metrics": {"followers_count": followers},
    }


class XFake(FakeServer):
    def __init__(self, token: str) -> None:
        super().__init__()
        self.token = token
        self.rules: list[dict[str, str]] = []
        self._ids = itertools.count(1_700_000_000_000_000_000)
        self.posts: list[tuple[dict[str, Any], dict[str, Any]]] = []  # (post, user), oldest first
        self._streams: list[queue.Queue[Any]] = []
        self._slock = threading.Lock()
        self._limited: float | None = None

    def add_rule(self, value: str, tag: str) -> None:
        self.rules.append({"id": str(next(self._ids)), "value": value, "tag": tag})

    def publish(self, p: dict[str, Any], u: dict[str, Any], *, live: bool = True) -> None:
        with self.lock:
            self.posts.append((p, u))
        if live:
            with self._slock:
                for q in self._streams:
                    q.put(
                        {
                            "data": p,
                            "includes": {"users": [u]},
                            "matching_rules": [{"id": "1", "tag": "spikewatch:nordbank"}],
                        }
                    )

    def push_raw(self, obj: dict[str, Any]) -> None:
        with self._slock:
            for q in self._streams:
                q.put(obj)

    def streams_open(self) -> int:
        with self._slock:
            return len(self._streams)

    def rate_limit_next(self, seconds: float) -> None:
        self._limited = seconds

    def _stream(self) -> Iterator[bytes]:
        q: queue.Queue[Any] = queue.Queue()
        with self._slock:
            self._streams.append(q)
        try:
            last = time.monotonic()
            while True:
                try:
                    obj = q.get(timeout=0.2)
                except queue.Empty:
                    if time.monotonic() - last > 1.0:
                        yield b"\r\n"  # keep-alive
                        last = time.monotonic()
                    continue
                yield json.dumps(obj).encode() + b"\r\n"
        finally:
            with self._slock:
                self._streams.remove(q)

    def answer(self, req: Request) -> Reply:
        if self._limited is not None:
            reset = int(time.time() + self._limited + 0.999)
            self._limited = None
            hdrs = {
                "x-rate-limit-limit": "50",
                "x-rate-limit-remaining": "0",
                "x-rate-limit-reset": str(reset),
            }
            return Reply(
                429,
                json.dumps(
                    {"title": "Too Many Requests", "detail": "Too Many Requests", "status": 429}
                ).encode(),
                hdrs,
            )
        if req.headers.get("authorization") != f"Bearer {self.token}":
            return Reply(
                401,
                json.dumps(
                    {"title": "Unauthorized", "status": 401, "detail": "Unauthorized"}
                ).encode(),
            )
        js = {"Content-Type": "application/json"}
        if req.path == "/2/tweets/search/stream/rules":
            if req.method == "GET":
                doc: dict[str, Any] = {
                    "meta": {"sent": "2026-03-02T08:00:00.000Z", "result_count": len(self.rules)}
                }
                if self.rules:
                    doc["data"] = self.rules
                return Reply(200, json.dumps(doc).encode(), js)
            body = json.loads(req.body)
            if "delete" in body:
                ids = set(body["delete"]["ids"])
                before = len(self.rules)
                self.rules = [r for r in self.rules if r["id"] not in ids]
                summary = {"deleted": before - len(self.rules), "not_deleted": 0}
                return Reply(
                    200, json.dumps({"meta": {"sent": "x", "summary": summary}}).encode(), js
                )
            added = []
            for r in body.get("add", []):
                self.add_rule(r["value"], r.get("tag", ""))
                added.append(self.rules[-1])
            summary = {"created": len(added), "not_created": 0, "valid": len(added), "invalid": 0}
            return Reply(
                201,
                json.dumps({"data": added, "meta": {"sent": "x", "summary": summary}}).encode(),
                js,
            )
        if req.path == "/2/tweets/search/stream":
            return Reply(200, headers={"Content-Type": "application/json"}, stream=self._stream())
        if req.path == "/2/tweets/search/recent":
            since_id = req.query.get("since_id", [None])[0]
            start = req.query.get("start_time", [None])[0]
            rows = [
                (p, u)
                for p, u in reversed(self.posts)  # newest first
                if (since_id is None or int(p["id"]) > int(since_id))
                and (start is None or p["created_at"] >= start)
            ]
            off = int(req.query.get("next_token", ["0"])[0])
            n = int(req.query.get("max_results", ["10"])[0])
            page = rows[off : off + n]
            meta: dict[str, Any] = {"result_count": len(page)}
            if page:
                meta.update(newest_id=page[0][0]["id"], oldest_id=page[-1][0]["id"])
                doc = {
                    "data": [p for p, _ in page],
                    "includes": {"users": [u for _, u in page]},
                    "meta": meta,
                }
            else:
                doc = {"meta": meta}
            if off + n < len(rows):
                meta["next_token"] = str(off + n)
            return Reply(200, json.dumps(doc).encode(), js)
        return Reply(404, b'{"title": "Not Found Error", "status": 404}')
