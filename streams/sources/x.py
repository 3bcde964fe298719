"""X API v2: the filtered stream with rule management, and recent search for catch-up and backfill.

- Rules: ``GET /2/tweets/search/stream/rules`` lists them, ``POST`` with ``{"add": [...]}``
  or ``{"delete": {"ids": [...]}}`` changes them. At start the source makes the
  rules tagged ``spikewatch:*`` equal to the configured ``rules`` (tag -> query),
  leaving other rules of the app alone.
- Stream: ``GET /2/tweets/search/stream`` sends one JSON object per line
  (``{"data": Post, "includes": {"users": [...]}, "matching_rules": [...]}``) and a
  bare ``\\r\\n`` keep-alive every 20 s; ``{"errors": [...]}`` lines are dead-lettered.
- Catch-up: on every (re)connection, ``GET /2/tweets/search/recent?since_id=<last>``
  (the last 7 days, 100 a page, ``meta.next_token``) per rule, so what was posted
  while the stream was down is not lost. Backfill uses the same search with
  ``start_time`` (at most 7 days back).
- Limits: 429 with ``x-rate-limit-reset`` (epoch seconds) on every endpoint; one
  stream connection per app (a second gets 429 ``TooManyConnections``).
"""

from __future__ import annotations

import json
import os
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from detectors.mention import InvalidMention, format_time, parse_time
from streams.sources.base import Bad, Batch, Fatal, Item, Transient, as_dict
from streams.sources.config import XConfig
from streams.sources.http import get, request
from streams.sources.stream import lines, open_stream

TWEET_FIELDS = "created_at,author_id,conversation_id,in_reply_to_user_id,referenced_tweets,lang"
PARAMS = {
    "tweet.fields": TWEET_FIELDS,
    "expansions": "author_id",
    "user.fields": "username,public_metrics",
}
TAG_PREFIX = "spikewatch:"


def _newer(a: str | None, b: str) -> bool:
    return a is None or (len(b), b) > (len(a), a)


def post_item(post: Any, users: dict[str, Any]) -> Item | Bad:
    raw = json.dumps(post, ensure_ascii=False).encode()
    if not isinstance(post, dict):
        return Bad("not_an_object", "a post is a JSON object", raw)
    pid = post.get("id")
    if not isinstance(pid, str) or not pid:
        return Bad("missing_field", "id", raw)
    text = post.get("text")
    if not isinstance(text, str):
        return Bad("missing_field", "text", raw, pid)
    try:
        created = parse_time(post.get("created_at"))
    except InvalidMention as exc:
        return Bad(exc.reason, exc.detail, raw, pid)
    author = str(post.get("author_id")) if post.get("author_id") is not None else None
    user = users.get(author or "", {})
    followers = (user.get("public_metrics") or {}).get("followers_count")
    parent = None
    for ref in post.get("referenced_tweets") or []:
        if isinstance(ref, dict) and ref.get("type") == "replied_to":
            parent = str(ref.get("id"))
    handle = user.get("username")
    return Item(
        platform_id=pid,
        created_at=created,
        text=text,
        author_id=author,
        author_handle=handle,
        author_followers=followers if isinstance(followers, int) and followers >= 0 else None,
        in_reply_to=parent,
        url=f"https://x.com/{handle or 'i'}/status/{pid}",
        lang=post.get("lang") if isinstance(post.get("lang"), str) else None,
        raw=raw,
    )


def _users(doc: dict[str, Any]) -> dict[str, Any]:
    inc = as_dict(doc.get("includes"))
    return {str(u.get("id")): u for u in inc.get("users") or [] if isinstance(u, dict)}


class XSource:
    def __init__(self, cfg: XConfig, token: str, clock: Callable[[], float] = time.time) -> None:
        if not token:
            raise ValueError(f"{cfg.token_env}: the X API bearer token is not set")
        self.cfg = cfg
        self._token = token
        self._clock = clock

    @classmethod
    def from_env(cls, cfg: XConfig) -> XSource:
        return cls(cfg, os.environ.get(cfg.token_env, ""))

    def _h(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self._token}", "User-Agent": "spikewatch"}

    def _url(self, path: str, params: dict[str, Any] | None = None) -> str:
        q = f"?{urllib.parse.urlencode(params)}" if params else ""
        return f"{self.cfg.api_url.rstrip('/')}{path}{q}"

    def _get(self, path: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        r = get(self._url(path, params), self._h(), self.cfg.timeout_seconds, self._clock())
        doc = json.loads(r.body)
        return doc if isinstance(doc, dict) else {}

    def _post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        r = request(
            "POST",
            self._url(path),
            {**self._h(), "Content-Type": "application/json"},
            self.cfg.timeout_seconds,
            self._clock(),
            data=json.dumps(body).encode(),
            ok=(200, 201),  # X answers 201 Created for new rules
            what="rules",
        )
        try:
            doc = json.loads(r.body)
        except ValueError as exc:
            raise Transient(f"rules: {type(exc).__name__}") from None
        return doc if isinstance(doc, dict) else {}

    def sync_rules(self) -> dict[str, Any]:
        """Make our tagged rules equal the configured ones; return the change summary."""
        have = self._get("/2/tweets/search/stream/rules").get("data") or []
        want = {f"{TAG_PREFIX}{t}": v for t, v in self.cfg.rules.items()}
        ours = [r for r in have if str(r.get("tag", "")).startswith(TAG_PREFIX)]
        stale = [r["id"] for r in ours if want.get(r.get("tag")) != r.get("value")]
        kept = {r["tag"] for r in ours if want.get(r.get("tag")) == r.get("value")}
        summary: dict[str, Any] = {"deleted": len(stale), "created": 0}
        if stale:
            self._post("/2/tweets/search/stream/rules", {"delete": {"ids": stale}})
        add = [{"value": v, "tag": t} for t, v in want.items() if t not in kept]
        if add:
            doc = self._post("/2/tweets/search/stream/rules", {"add": add})
            errs = doc.get("errors") or []
            if errs:
                raise Fatal(f"rules refused: {str(errs)[:300]}")
            summary["created"] = len(add)
        return summary

    def _search(self, query: str, **params: Any) -> dict[str, Any]:
        return self._get(
            "/2/tweets/search/recent", {"query": query, "max_results": 100, **PARAMS, **params}
        )

    def _batch(self, doc: dict[str, Any], last: list[str | None]) -> Batch:
        batch = Batch()
        users = _users(doc)
        data = doc.get("data")
        for post in data if isinstance(data, list) else [data]:
            r = post_item(post, users)
            (batch.items if isinstance(r, Item) else batch.bad).append(r)  # type: ignore[arg-type]
            if isinstance(r, Item) and _newer(last[0], r.platform_id):
                last[0] = r.platform_id
        batch.items.sort(key=lambda i: i.created_at)
        return batch

    def stream(self, cursor: dict[str, Any], stop: threading.Event) -> Iterator[Batch]:
        self.sync_rules()
        last: list[str | None] = [cursor.get("last_id")]
        if last[0] is not None:  # catch up on what the stream missed while we were away
            since = last[0]
            for query in self.cfg.rules.values():
                token: str | None = None
                while not stop.is_set():
                    p: dict[str, Any] = {"since_id": since}
                    if token:
                        p["next_token"] = token
                    doc = self._search(query, **p)
                    if doc.get("data"):
                        batch = self._batch(doc, last)
                        batch.cursor = {"last_id": last[0]}
                        yield batch
                    token = (doc.get("meta") or {}).get("next_token")
                    if not token:
                        break
        resp = open_stream(
            self._url("/2/tweets/search/stream", PARAMS), self._h(), 60.0, self._clock()
        )
        pending: list[dict[str, Any]] = []
        for line in lines([resp], stop):
            if line is not None and line.strip():
                try:
                    doc = json.loads(line)
                except ValueError:
                    doc = {"_unparsed": line[:2000].decode("utf-8", "replace")}
                pending.append(doc if isinstance(doc, dict) else {"_unparsed": str(doc)[:2000]})
                if len(pending) < 200:
                    continue
            if pending:
                batch = Batch()
                for doc in pending:
                    if "data" in doc:
                        b = self._batch(doc, last)
                        batch.items += b.items
                        batch.bad += b.bad
                    else:
                        raw = json.dumps(doc, ensure_ascii=False).encode()
                        batch.bad.append(Bad("stream_error", str(doc.get("errors"))[:300], raw))
                batch.cursor = {"last_id": last[0]}
                pending = []
                yield batch

    def fetch(self, cursor: dict[str, Any]) -> Batch:
        return Batch(cursor=cursor)

    def backfill_start(self, since: datetime) -> dict[str, Any]:
        floor = (
            datetime.fromtimestamp(self._clock(), UTC) - timedelta(days=7) + timedelta(minutes=1)
        )
        start = max(since, floor)
        return {"start": format_time(start), "todo": [[q, None] for q in self.cfg.rules.values()]}

    def backfill_fetch(self, cursor: dict[str, Any]) -> Batch:
        todo = [list(x) for x in cursor["todo"]]
        query, token = todo[0]
        p: dict[str, Any] = {"start_time": cursor["start"]}
        if token:
            p["next_token"] = token
        doc = self._search(query, **p)
        batch = self._batch(doc, [None]) if doc.get("data") else Batch()
        rest = todo[1:]
        nxt = (doc.get("meta") or {}).get("next_token")
        if nxt:
            rest.insert(0, [query, nxt])
        batch.cursor = {"start": cursor["start"], "todo": rest}
        batch.more = bool(rest)
        return batch

    def check(self) -> str:
        rules = self._get("/2/tweets/search/stream/rules").get("data") or []
        return f"token ok; {len(rules)} stream rules on the app ({len(self.cfg.rules)} configured)"
