"""Reddit: new posts matching a search, and new comments in chosen subreddits (OAuth).

Application-only OAuth (``grant_type=client_credentials``, HTTP Basic with the app's
client id and secret) at ``/api/v1/access_token`` gives a bearer token for
``oauth.reddit.com``; a 401 renews it. Listings are ``{"kind": "Listing", "data":
{"after", "before", "children": [{"kind": "t3"|"t1", "data": {...}}]}}``, newest
first, 100 per page, 1000 deep at most. Reddit asks for a descriptive
``User-Agent`` and answers its rate limit (100 queries a minute per client id)
with ``X-Ratelimit-Used/Remaining/Reset`` headers and a 429.
"""

from __future__ import annotations

import base64
import json
import os
import time
import urllib.parse
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from streams.sources.base import Bad, Batch, Fatal, Item, Transient
from streams.sources.config import RedditConfig
from streams.sources.http import get, request


def _item(child: Any) -> Item | Bad | None:
    raw = json.dumps(child, ensure_ascii=False).encode()
    if not isinstance(child, dict) or not isinstance(child.get("data"), dict):
        return Bad("wrong_type", "listing child must be {kind, data}", raw)
    kind, d = child.get("kind"), child["data"]
    if kind not in ("t1", "t3"):
        return None
    name = d.get("name")
    if not isinstance(name, str) or not name:
        return Bad("missing_field", "data.name", raw)
    created = d.get("created_utc")
    if isinstance(created, bool) or not isinstance(created, int | float):
        return Bad("bad_created_at", "data.created_utc must be a number", raw, name)
    if kind == "t3":
        text = f"{d.get('title') or ''}\n{d.get('selftext') or ''}".strip()
        parent = None
    else:
        text = d.get("body")
        parent = d.get("parent_id")
    if not isinstance(text, str):
        return Bad("missing_field", "data.body", raw, name)
    permalink = d.get("permalink")
    return Item(
        platform_id=name,
        created_at=datetime.fromtimestamp(float(created), UTC),
        text=text,
        author_id=d.get("author_fullname"),
        author_handle=d.get("author"),
        in_reply_to=parent if isinstance(parent, str) else None,
        url=f"https://www.reddit.com{permalink}" if isinstance(permalink, str) else None,
        raw=raw,
        extra=(("subreddit", d.get("subreddit")),),
    )


class RedditSource:
    def __init__(
        self, cfg: RedditConfig, client_id: str, secret: str, clock: Callable[[], float] = time.time
    ) -> None:
        if not client_id or not secret:
            raise ValueError(
                f"{cfg.client_id_env}/{cfg.client_secret_env}: Reddit app credentials not set"
            )
        if not cfg.query and not cfg.subreddits:
            raise ValueError("reddit: set query, subreddits or both")
        self.cfg = cfg
        self._basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
        self._token: str | None = None
        self._expires = 0.0
        self._clock = clock

    @classmethod
    def from_env(cls, cfg: RedditConfig) -> RedditSource:
        return cls(
            cfg, os.environ.get(cfg.client_id_env, ""), os.environ.get(cfg.client_secret_env, "")
        )

    def _auth(self) -> str:
        if self._token and self._clock() < self._expires - 60:
            return self._token
        try:
            r = request(
                "POST",
                self.cfg.auth_url,
                {
                    "Authorization": f"Basic {self._basic}",
                    "User-Agent": self.cfg.user_agent,
                    "Content-Type": "application/x-www-form-urlencoded",
                },
                self.cfg.timeout_seconds,
                self._clock(),
                data=b"grant_type=client_credentials",
                ok=(200, 201),
                what="token",
            )
        except Fatal as exc:  # a 4xx here is the app's credentials, never worth a retry
            raise Fatal(f"{exc} (check the client id and secret)") from None
        try:
            doc = json.loads(r.body)
        except ValueError as exc:
            raise Transient(f"token: {type(exc).__name__}") from None
        token = doc.get("access_token") if isinstance(doc, dict) else None
        if not isinstance(token, str):
            raise Fatal(f"token: no access_token in the answer ({str(doc)[:100]})")
        self._token = token
        self._expires = self._clock() + float(doc.get("expires_in", 3600))
        return token

    def _listing(self, path: str, params: dict[str, Any]) -> dict[str, Any]:
        url = f"{self.cfg.api_url.rstrip('/')}{path}?{urllib.parse.urlencode(params)}"
        for attempt in range(2):
            h = {"Authorization": f"bearer {self._auth()}", "User-Agent": self.cfg.user_agent}
            r = get(url, h, self.cfg.timeout_seconds, self._clock(), ok=(200, 401))
            if r.status == 401 and attempt == 0:
                self._token = None  # expired or revoked: renew once
                continue
            if r.status == 401:
                raise Fatal("HTTP 401 with a fresh token")
            doc = json.loads(r.body)
            return doc.get("data", {}) if isinstance(doc, dict) else {}
        raise Fatal("unreachable")

    def _targets(self) -> list[list[Any]]:
        t: list[list[Any]] = []
        if self.cfg.query:
            t.append(["search", None, 0])
        t.extend(["comments", s, 0] for s in self.cfg.subreddits)
        return t

    def _page(self, kind: str, sub: str | None, after: str | None) -> dict[str, Any]:
        params: dict[str, Any] = {"limit": 100, "raw_json": 1}
        if after:
            params["after"] = after
        if kind == "search":
            params.update(q=self.cfg.query, sort="new", type="link")
            return self._listing("/search", params)
        return self._listing(f"/r/{sub}/comments", params)

    def _walk(self, cursor: dict[str, Any], stop_at: Callable[[Item], bool]) -> Batch:
        todo = [list(x) for x in cursor.get("todo", [])] or self._targets()
        kind, sub, depth = todo[0][:3]
        after = todo[0][3] if len(todo[0]) > 3 else None
        data = self._page(kind, sub, after)
        batch = Batch()
        stop = False
        for child in data.get("children") or []:
            r = _item(child)
            if isinstance(r, Item):
                if stop_at(r):
                    stop = True
                    continue
                batch.items.append(r)
            elif isinstance(r, Bad):
                batch.bad.append(r)
        rest = todo[1:]
        nxt = data.get("after")
        if nxt and not stop and depth + 1 < self.cfg.max_pages:
            rest.insert(0, [kind, sub, depth + 1, nxt])
        batch.items.sort(key=lambda i: i.created_at)
        batch.cursor = {k: v for k, v in cursor.items() if k != "todo"}
        batch.cursor["todo"] = rest
        batch.more = bool(rest)
        return batch

    def fetch(self, cursor: dict[str, Any]) -> Batch:
        """Newest first; go deeper while a page holds nothing older than the last run's newest."""
        mark = float(cursor.get("newest", 0.0))
        batch = self._walk(cursor, lambda i: i.created_at.timestamp() < mark - 600)
        top = max([i.created_at.timestamp() for i in batch.items] + [mark])
        top = max(top, float(cursor.get("pending", 0.0)))
        if batch.more:  # the walk goes on: keep the old mark until it ends
            batch.cursor["pending"] = top
        else:
            batch.cursor["newest"] = top
            batch.cursor.pop("pending", None)
        return batch

    def backfill_start(self, since: datetime) -> dict[str, Any]:
        return {"since": since.timestamp(), "todo": self._targets()}

    def backfill_fetch(self, cursor: dict[str, Any]) -> Batch:
        since = float(cursor["since"])
        return self._walk(cursor, lambda i: i.created_at.timestamp() < since)

    def check(self) -> str:
        self._auth()
        kind, sub, _ = self._targets()[0]
        data = self._page(kind, sub, None)
        return (
            f"token ok; {kind} {sub or self.cfg.query!r}: {len(data.get('children') or [])} recent"
        )
