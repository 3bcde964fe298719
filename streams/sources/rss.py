"""RSS and Atom feeds (news sites, forums, blogs), parsed by ``feedparser``.

Conditional GET: the feed's ``ETag`` and ``Last-Modified`` are kept in the cursor
and sent back as ``If-None-Match`` / ``If-Modified-Since``; a ``304 Not Modified``
costs the site nothing. Entries are deduplicated by their ``id`` (``<guid>``), or
their link when the feed gives no id. Backfill reads what the feed still holds.
"""

from __future__ import annotations

import calendar
import html
import re
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import feedparser

from streams.sources.base import Bad, Batch, Item
from streams.sources.config import RssConfig
from streams.sources.http import get

_TAG = re.compile(r"<[^>]+>")
_SPACE = re.compile(r"\s+")


def plain(s: str) -> str:
    """HTML to plain text (tags dropped, entities decoded, whitespace folded).

    >>> plain("<p>Nordbank &amp; <b>Lumo</b></p>")
    'Nordbank & Lumo'
    """
    return _SPACE.sub(" ", html.unescape(_TAG.sub(" ", s))).strip()


def _entry_time(e: Any) -> datetime | None:
    for k in ("published_parsed", "updated_parsed", "created_parsed"):
        st = e.get(k)
        if st:
            return datetime.fromtimestamp(calendar.timegm(st), UTC)
    return None


def entries_to_batch(body: bytes, since: datetime | None = None) -> Batch:
    """Parse a feed document into items (oldest first) and bad entries."""
    parsed = feedparser.parse(body)
    batch = Batch()
    if parsed.get("bozo") and not parsed.entries:
        exc = parsed.get("bozo_exception")
        batch.bad.append(Bad("bad_feed", f"not a feed: {type(exc).__name__}", body))
        return batch
    for e in parsed.entries:
        pid = e.get("id") or e.get("link")
        title = plain(e.get("title", ""))
        summary = plain(e.get("summary", ""))
        text = f"{title}\n{summary}".strip() if summary and summary != title else title
        raw = repr({k: e.get(k) for k in ("id", "link", "title", "published")}).encode()
        if not pid:
            batch.bad.append(Bad("missing_field", "entry has neither id nor link", raw))
            continue
        when = _entry_time(e)
        if when is None:
            batch.bad.append(Bad("bad_created_at", "entry has no date", raw, str(pid)))
            continue
        if since is not None and when < since:
            continue
        batch.items.append(
            Item(
                platform_id=str(pid),
                created_at=when,
                text=text,
                author_handle=e.get("author") or None,
                url=link
                if isinstance(link := e.get("link"), str) and link.startswith("http")
                else None,
                lang=(e.get("language") or parsed.feed.get("language") or "")[:2] or None,
                raw=raw,
            )
        )
    batch.items.sort(key=lambda i: i.created_at)
    return batch


class RssSource:
    def __init__(self, cfg: RssConfig, clock: Callable[[], float] = time.time) -> None:
        self.cfg = cfg
        self._clock = clock

    def _get(self, cursor: dict[str, Any]) -> tuple[int, dict[str, str], bytes]:
        h = {
            "User-Agent": self.cfg.user_agent,
            "Accept": "application/rss+xml, application/atom+xml, */*",
        }
        if cursor.get("etag"):
            h["If-None-Match"] = str(cursor["etag"])
        if cursor.get("modified"):
            h["If-Modified-Since"] = str(cursor["modified"])
        r = get(self.cfg.url, h, self.cfg.timeout_seconds, self._clock(), ok=(200, 304))
        return r.status, r.headers, r.body

    def fetch(self, cursor: dict[str, Any]) -> Batch:
        status, headers, body = self._get(cursor)
        if status == 304:
            return Batch(cursor=cursor)
        batch = entries_to_batch(body)
        batch.cursor = {
            k: v
            for k, v in (("etag", headers.get("etag")), ("modified", headers.get("last-modified")))
            if v
        }
        return batch

    def backfill_start(self, since: datetime) -> dict[str, Any]:
        return {"since": since.timestamp()}

    def backfill_fetch(self, cursor: dict[str, Any]) -> Batch:
        _, _, body = self._get({})
        return entries_to_batch(body, datetime.fromtimestamp(float(cursor["since"]), UTC))

    def check(self) -> str:
        status, headers, body = self._get({})
        parsed = feedparser.parse(body)
        title = parsed.feed.get("title", "?")
        etag = "yes" if headers.get("etag") else "no"
        return f"HTTP {status}, feed {title!r}, {len(parsed.entries)} entries, etag={etag}"
