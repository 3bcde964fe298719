"""Bluesky through Jetstream (a JSON WebSocket view of the network's firehose).

``wss://<host>/subscribe?wantedCollections=app.bsky.feed.post[&wantedDids=...][&cursor=<time_us>]``
sends one JSON event per message: ``{"did", "time_us", "kind": "commit", "commit":
{"operation": "create", "collection": "app.bsky.feed.post", "rkey", "cid", "record":
{"text", "createdAt", "langs", "reply": {"parent": {"uri"}}}}}``; ``identity`` and
``account`` events are skipped. Jetstream does not filter by words: every post is
matched against the brands here, and only matches are written. The cursor is the
last event's ``time_us``; a reconnection asks for ``cursor`` a few seconds earlier
(Jetstream replays from there) and the dedup drops the overlap, so nothing is lost
across a restart. A refused handshake (429, 5xx) is retried after ``Retry-After``.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator
from typing import Any

from detectors.mention import InvalidMention, parse_time
from streams.sources.base import Bad, Batch, Fatal, Item, RateLimited, Transient
from streams.sources.config import BlueskyConfig
from streams.sources.http import wait_seconds

POST = "app.bsky.feed.post"
REWIND_US = 5_000_000  # ask Jetstream for 5 s before the cursor on a reconnection


def post_uri(did: str, rkey: str) -> str:
    return f"at://{did}/{POST}/{rkey}"


def event_item(ev: Any, raw: bytes) -> Item | Bad | None:
    """A Jetstream event as an item; ``None`` for what is not a new post."""
    if not isinstance(ev, dict):
        return Bad("not_an_object", "a Jetstream event is a JSON object", raw)
    if ev.get("kind") != "commit":
        return None
    c = ev.get("commit")
    if not isinstance(c, dict) or c.get("operation") != "create" or c.get("collection") != POST:
        return None
    did, rkey = ev.get("did"), c.get("rkey")
    if not isinstance(did, str) or not isinstance(rkey, str):
        return Bad("missing_field", "did/commit.rkey", raw)
    uri = post_uri(did, rkey)
    rec = c.get("record")
    if not isinstance(rec, dict) or not isinstance(rec.get("text"), str):
        return Bad("missing_field", "commit.record.text", raw, uri)
    try:
        created = parse_time(rec.get("createdAt"))
    except InvalidMention as exc:
        return Bad(exc.reason, exc.detail, raw, uri)
    parent = ((rec.get("reply") or {}).get("parent") or {}).get("uri")
    langs = rec.get("langs")
    return Item(
        platform_id=uri,
        created_at=created,
        text=rec["text"],
        author_id=did,
        in_reply_to=parent if isinstance(parent, str) else None,
        url=f"https://bsky.app/profile/{did}/post/{rkey}",
        lang=langs[0][:2]
        if isinstance(langs, list) and langs and isinstance(langs[0], str)
        else None,
        raw=raw,
    )


class BlueskySource:
    def __init__(self, cfg: BlueskyConfig, clock: Callable[[], float] = time.time) -> None:
        self.cfg = cfg
        self._clock = clock

    def _url(self, cursor: int | None) -> str:
        q: list[tuple[str, str]] = [("wantedCollections", POST)]
        q += [("wantedDids", d) for d in self.cfg.dids]
        if cursor is not None:
            q.append(("cursor", str(max(0, cursor - REWIND_US))))
        return f"{self.cfg.url.rstrip('/')}/subscribe?{urllib.parse.urlencode(q)}"

    def _connect(self, cursor: int | None) -> Any:
        from websockets.exceptions import InvalidHandshake, InvalidStatus
        from websockets.sync.client import connect

        try:
            return connect(self._url(cursor), open_timeout=self.cfg.timeout_seconds, max_size=2**20)
        except InvalidStatus as exc:
            status = exc.response.status_code
            hdrs = {k.lower(): v for k, v in exc.response.headers.raw_items()}
            if status == 429:
                wait = wait_seconds(hdrs, self._clock())
                raise RateLimited(60.0 if wait is None else wait, "jetstream") from None
            if status >= 500:
                raise Transient(
                    f"jetstream: HTTP {status}", wait_seconds(hdrs, self._clock())
                ) from None
            raise Fatal(f"jetstream: HTTP {status}") from None
        except (InvalidHandshake, OSError, TimeoutError) as exc:
            raise Transient(f"jetstream: {type(exc).__name__}") from None

    def stream(self, cursor: dict[str, Any], stop: threading.Event) -> Iterator[Batch]:
        from websockets.exceptions import ConnectionClosed

        last = cursor.get("time_us")
        ws = self._connect(int(last) if last is not None else None)
        batch = Batch()
        flushed = time.monotonic()
        try:
            while not stop.is_set():
                try:
                    msg = ws.recv(timeout=0.5)
                except TimeoutError:
                    msg = None
                except ConnectionClosed:
                    raise Transient("jetstream closed the connection") from None
                if msg is not None:
                    raw = msg.encode() if isinstance(msg, str) else bytes(msg)
                    try:
                        ev = json.loads(raw)
                    except ValueError:
                        batch.bad.append(Bad("bad_json", "event is not JSON", raw))
                        ev = None
                    if ev is not None:
                        r = event_item(ev, raw)
                        if isinstance(r, Item):
                            batch.items.append(r)
                        elif isinstance(r, Bad):
                            batch.bad.append(r)
                        t = ev.get("time_us") if isinstance(ev, dict) else None
                        if isinstance(t, int) and (last is None or t > last):
                            last = t
                elapsed = time.monotonic() - flushed
                work = bool(batch.items or batch.bad)
                if (
                    len(batch.items) + len(batch.bad) >= 500
                    or (work and elapsed >= 0.5)
                    or (elapsed >= 5.0 and last is not None)
                ):  # mentions go out within 0.5 s; a cursor with nothing new every 5 s
                    if work or last != cursor.get("time_us"):
                        batch.cursor = {"time_us": last}
                        cursor = batch.cursor
                        yield batch
                        batch = Batch()
                    flushed = time.monotonic()
        finally:
            ws.close()

    def fetch(self, cursor: dict[str, Any]) -> Batch:
        return Batch(cursor=cursor)

    def check(self) -> str:
        ws = self._connect(None)
        try:
            ws.recv(timeout=self.cfg.timeout_seconds)
        finally:
            ws.close()
        return f"{self.cfg.url}: connected, events arrive"
