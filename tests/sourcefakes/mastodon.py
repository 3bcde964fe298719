"""A Mastodon instance: hashtag timelines (``min_id``/``max_id``) and hashtag streams (SSE).

Statuses as the REST API returns them (``id`` a growing decimal string, ``content``
HTML, ``account.acct``); the stream sends ``event: update`` / ``data: <Status>``
and ``:thump`` heartbeats, as Mastodon's streaming server does. A 429 carries
``X-RateLimit-Reset`` as an ISO 8601 time.
"""

from __future__ import annotations

import json
import queue
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.sourcefakes.base import FakeServer, Reply, Request


def status(
    sid: int,
    text: str,
    created: datetime,
    *,
    acct: str = "matti",
    tag: str = "nordbank",
    reply_to: int | None = None,
) -> dict[str, Any]:
    return {
        "id": str(sid),
        "created_at": created.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "in_reply_to_id": None if reply_to is None else str(reply_to),
        "in_reply_to_account_id": None,
        "sensitive": False,
        "spoiler_text": "",
        "visibility": "public",
        "language": "fi",
        "uri": f"https://mastodon.example/users/{acct}/statuses/{sid}",
        "url": f"https://mastodon.example/@{acct}/{sid}",
        "replies_count": 0,
        "reblogs_count": 0,
        "favourites_count": 0,
        "content": (
            f"<p>{text} <a href='https://mastodon.example/tags/{tag}' class='mention hashtag'>"
            f"#<span>{tag}</span></a></p>"
        ),
        "reblog": None,
        "account": {"id": f"acc-{acct}", "username": acct, "acct": acct, "followers_count": 42},
        "tags": [{"name": tag, "url": f"https://mastodon.example/tags/{tag}"}],
    }


class MastodonFake(FakeServer):
    def __init__(self, token: str) -> None:
        super().__init__()
        self.token = token
        self.timeline: dict[str, list[dict[str, Any]]] = {}  # tag -> statuses, newest first
        self._streams: list[queue.Queue[Any]] = []
        self._slock = threading.Lock()
        self._limited: float | None = None

    def publish(self, tag: str, s: dict[str, Any], *, live: bool = True) -> None:
        """Post a status: it joins the timeline and, with ``live``, goes to open streams."""
        with self.lock:
            self.timeline.setdefault(tag, []).insert(0, s)
        if live:
            with self._slock:
                for q in self._streams:
                    q.put(s)

    def push_raw(self, data: str) -> None:
        with self._slock:
            for q in self._streams:
                q.put(data)

    def streams_open(self) -> int:
        with self._slock:
            return len(self._streams)

    def rate_limit_next(self, seconds: float) -> None:
        """The next request gets a 429 whose reset lies ``seconds`` after it arrives."""
        self._limited = seconds

    def _rate_limited(self) -> Reply:
        reset = datetime.now(UTC) + timedelta(seconds=self._limited or 0.0)
        self._limited = None
        headers = {
            "X-RateLimit-Limit": "300",
            "X-RateLimit-Remaining": "0",
            "X-RateLimit-Reset": reset.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        }
        return Reply(429, b'{"error": "Too many requests"}', headers)

    def _stream(self) -> Iterator[bytes]:
        q: queue.Queue[Any] = queue.Queue()
        with self._slock:
            self._streams.append(q)
        try:
            yield b":)\n"
            last = time.monotonic()
            while True:
                try:
                    s = q.get(timeout=0.2)
                except queue.Empty:
                    if time.monotonic() - last > 1.0:
                        yield b":thump\n"
                        last = time.monotonic()
                    continue
                data = s if isinstance(s, str) else json.dumps(s)
                yield f"event: update\ndata: {data}\n\n".encode()
        finally:
            with self._slock:
                self._streams.remove(q)

    def answer(self, req: Request) -> Reply:
        if self._limited is not None:
            return self._rate_limited()
        if req.headers.get("authorization") != f"Bearer {self.token}":
            return Reply(401, b'{"error": "The access token is invalid"}')
        if req.path == "/api/v1/streaming/hashtag":
            return Reply(200, headers={"Content-Type": "text/event-stream"}, stream=self._stream())
        if req.path.startswith("/api/v1/timelines/tag/"):
            tag = req.path.rsplit("/", 1)[1]
            rows = self.timeline.get(tag, [])
            limit = int(req.query.get("limit", ["20"])[0])
            key = lambda s: (len(s["id"]), s["id"])  # noqa: E731
            if "min_id" in req.query:  # the statuses right after min_id, newest first
                m = req.query["min_id"][0]
                newer = [s for s in rows if key(s) > (len(m), m)]
                page = newer[-limit:]
            elif "max_id" in req.query:
                m = req.query["max_id"][0]
                page = [s for s in rows if key(s) < (len(m), m)][:limit]
            else:
                page = rows[:limit]
            return Reply(200, json.dumps(page).encode(), {"Content-Type": "application/json"})
        return Reply(404, b'{"error": "Record not found"}')
