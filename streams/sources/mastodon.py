"""Mastodon: hashtag streams (Server-Sent Events), catch-up and backfill from the hashtag timeline.

Live: ``GET /api/v1/streaming/hashtag?tag=T`` (one connection per hashtag, bearer
token), events ``update`` with a Status as ``data``; ``delete`` and edits are not
new mentions. On every (re)connection the source first reads
``GET /api/v1/timelines/tag/T?min_id=<last id seen>`` (40 per page, oldest first
after ``min_id``) so nothing posted while it was away is lost. Backfill walks
``max_id`` back to ``--since``. Mastodon answers its rate limit (300 requests per
5 minutes per token) with 429 and ``X-RateLimit-Reset`` (an ISO 8601 time).
"""

from __future__ import annotations

import json
import os
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

from detectors.mention import InvalidMention, parse_time
from streams.sources.base import Bad, Batch, Item, as_dict
from streams.sources.config import MastodonConfig
from streams.sources.http import get
from streams.sources.rss import plain
from streams.sources.stream import lines, open_stream, sse_events


def _newer(a: str | None, b: str) -> bool:
    """Mastodon ids are decimal strings that grow with time."""
    if a is None:
        return True
    return (len(b), b) > (len(a), a)


def status_item(s: Any) -> Item | Bad | None:
    raw = json.dumps(s, ensure_ascii=False).encode()
    if not isinstance(s, dict):
        return Bad("not_an_object", "a status is a JSON object", raw)
    if s.get("reblog"):
        return None  # a boost repeats an older status; not a new mention
    sid = s.get("id")
    if not isinstance(sid, str) or not sid:
        return Bad("missing_field", "id", raw)
    try:
        created = parse_time(s.get("created_at"))
    except InvalidMention as exc:
        return Bad(exc.reason, exc.detail, raw, sid)
    acct = as_dict(s.get("account"))
    text = plain(str(s.get("content") or ""))
    if s.get("spoiler_text"):
        text = f"{s['spoiler_text']}\n{text}"
    followers = acct.get("followers_count")
    return Item(
        platform_id=sid,
        created_at=created,
        text=text,
        author_id=None if acct.get("id") is None else str(acct["id"]),
        author_handle=acct.get("acct"),
        author_followers=followers if isinstance(followers, int) and followers >= 0 else None,
        in_reply_to=s.get("in_reply_to_id") if isinstance(s.get("in_reply_to_id"), str) else None,
        url=s.get("url") or s.get("uri"),
        lang=s.get("language") if isinstance(s.get("language"), str) else None,
        raw=raw,
    )


class MastodonSource:
    def __init__(
        self, cfg: MastodonConfig, token: str | None, clock: Callable[[], float] = time.time
    ) -> None:
        self.cfg = cfg
        self._token = token
        self._clock = clock

    @classmethod
    def from_env(cls, cfg: MastodonConfig) -> MastodonSource:
        return cls(cfg, os.environ.get(cfg.token_env) or None)

    def _headers(self) -> dict[str, str]:
        h = {"Accept": "application/json", "User-Agent": "spikewatch"}
        if self._token:
            h["Authorization"] = f"Bearer {self._token}"
        return h

    def _timeline(self, tag: str, **params: Any) -> list[Any]:
        q = urllib.parse.urlencode({"limit": 40, **params})
        url = f"{self.cfg.base_url.rstrip('/')}/api/v1/timelines/tag/{urllib.parse.quote(tag)}?{q}"
        r = get(url, self._headers(), self.cfg.timeout_seconds, self._clock())
        doc = json.loads(r.body)
        return doc if isinstance(doc, list) else []

    @staticmethod
    def _batch(statuses: list[Any], last: dict[str, str], tag: str) -> Batch:
        batch = Batch()
        for s in statuses:
            r = status_item(s)
            if isinstance(r, Item):
                batch.items.append(r)
            elif isinstance(r, Bad):
                batch.bad.append(r)
            sid = s.get("id") if isinstance(s, dict) else None
            if isinstance(sid, str) and _newer(last.get(tag), sid):
                last[tag] = sid
        batch.items.sort(key=lambda i: i.created_at)
        return batch

    def stream(self, cursor: dict[str, Any], stop: threading.Event) -> Iterator[Batch]:
        last: dict[str, str] = dict(cursor.get("last_id", {}))
        # catch up on what was posted while we were away (min_id pages forward, oldest first)
        for tag in self.cfg.hashtags:
            while tag in last and not stop.is_set():
                page = self._timeline(tag, min_id=last[tag])
                if not page:
                    break
                batch = self._batch(page, last, tag)
                batch.cursor = {"last_id": dict(last)}
                yield batch
        base = self.cfg.base_url.rstrip("/")
        resps = [
            open_stream(
                f"{base}/api/v1/streaming/hashtag?{urllib.parse.urlencode({'tag': t})}",
                {**self._headers(), "Accept": "text/event-stream"},
                self.cfg.timeout_seconds,
                self._clock(),
            )
            for t in self.cfg.hashtags
        ]
        pending: list[Any] = []
        for ev in sse_events(lines(resps, stop)):
            if ev is not None:
                kind, data = ev
                if kind != "update":
                    continue
                try:
                    pending.append(json.loads(data))
                except ValueError:
                    pending.append({"_unparsed": data[:2000]})
                if len(pending) < 200:
                    continue
            if pending:
                batch = Batch()
                for s in pending:
                    tags = (
                        [
                            t.get("name", "").lower()
                            for t in s.get("tags", [])
                            if isinstance(t, dict)
                        ]
                        if isinstance(s, dict)
                        else []
                    )
                    tag = next(
                        (t for t in self.cfg.hashtags if t.lower() in tags), self.cfg.hashtags[0]
                    )
                    b = self._batch([s], last, tag)
                    batch.items += b.items
                    batch.bad += b.bad
                batch.cursor = {"last_id": dict(last)}
                pending = []
                yield batch

    def fetch(self, cursor: dict[str, Any]) -> Batch:
        return Batch(cursor=cursor)

    def backfill_start(self, since: datetime) -> dict[str, Any]:
        return {"since": since.timestamp(), "todo": [[t, None] for t in self.cfg.hashtags]}

    def backfill_fetch(self, cursor: dict[str, Any]) -> Batch:
        todo = [list(x) for x in cursor["todo"]]
        tag, max_id = todo[0]
        page = self._timeline(tag, **({"max_id": max_id} if max_id else {}))
        batch = self._batch(page, {}, tag)
        since = float(cursor["since"])
        every = batch.items
        batch.items = [i for i in every if i.created_at.timestamp() >= since]
        rest = todo[1:]
        ids = [s["id"] for s in page if isinstance(s, dict) and isinstance(s.get("id"), str)]
        older = any(i.created_at.timestamp() < since for i in every)
        if ids and not older:  # the page is all after --since: there may be more before it
            rest.insert(0, [tag, min(ids, key=lambda x: (len(x), x))])
        batch.cursor = {"since": since, "todo": rest}
        batch.more = bool(rest)
        return batch

    def check(self) -> str:
        tag = self.cfg.hashtags[0]
        n = len(self._timeline(tag, limit=5))
        return f"{self.cfg.base_url}: #{tag} timeline answers ({n} recent)"
