"""App Store customer reviews, from Apple's public customer-reviews feed (JSON).

``{base}/{country}/rss/customerreviews/page={n}/id={app}/sortby=mostrecent/json``
serves the 50 most recent reviews per page, 10 pages at most, no credentials.
Each entry: ``id.label`` (the review id), ``updated.label`` (RFC 3339 with an
offset), ``title.label``, ``content.label``, ``im:rating.label`` (1-5),
``im:version.label``, ``author.name.label``. A feed with one review gives
``entry`` as an object instead of a list; an app without reviews has no
``entry``. Reviews rarely name the brand, so the app's brand is configured
(``brand``); the rating travels on the mention as ``rating``.
"""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from detectors.mention import InvalidMention, parse_time
from streams.sources.base import Bad, Batch, Fatal, Item
from streams.sources.config import AppStoreConfig
from streams.sources.http import get


def _label(e: Any, *path: str) -> Any:
    cur = e
    for p in path:
        if not isinstance(cur, dict):
            return None
        cur = cur.get(p)
    return cur.get("label") if isinstance(cur, dict) else None


def parse_reviews(body: bytes, country: str, since: datetime | None = None) -> Batch:
    batch = Batch()
    try:
        doc = json.loads(body)
    except (ValueError, RecursionError):
        batch.bad.append(Bad("bad_json", "the reviews feed is not JSON", body))
        return batch
    feed = doc.get("feed") if isinstance(doc, dict) else None
    if not isinstance(feed, dict):
        batch.bad.append(Bad("not_an_object", "expected {feed: {...}}", body))
        return batch
    entries = feed.get("entry", [])
    if isinstance(entries, dict):
        entries = [entries]
    for e in entries if isinstance(entries, list) else []:
        raw = json.dumps(e, ensure_ascii=False).encode()
        if not isinstance(e, dict) or "im:rating" not in e:
            continue  # the app's own entry heads some feeds
        rid = _label(e, "id")
        if not rid:
            batch.bad.append(Bad("missing_field", "id.label", raw))
            continue
        try:
            when = parse_time(_label(e, "updated"))
        except InvalidMention as exc:
            batch.bad.append(Bad(exc.reason, exc.detail, raw, f"{country}:{rid}"))
            continue
        if since is not None and when < since:
            continue
        title, content = _label(e, "title") or "", _label(e, "content") or ""
        rating = _label(e, "im:rating")
        batch.items.append(
            Item(
                platform_id=f"{country}:{rid}",
                created_at=when,
                text=f"{title}\n{content}".strip(),
                author_handle=_label(e, "author", "name"),
                raw=raw,
                extra=(
                    ("rating", int(rating) if str(rating).isdigit() else None),
                    ("app_version", _label(e, "im:version")),
                    ("country", country),
                ),
            )
        )
    batch.items.sort(key=lambda i: i.created_at)
    return batch


class AppStoreSource:
    def __init__(self, cfg: AppStoreConfig, clock: Callable[[], float] = time.time) -> None:
        self.cfg = cfg
        self._clock = clock

    def _page(self, country: str, page: int, since: datetime | None = None) -> Batch:
        url = (
            f"{self.cfg.base_url.rstrip('/')}/{country}/rss/customerreviews/page={page}"
            f"/id={self.cfg.app_id}/sortby=mostrecent/json"
        )
        r = get(url, {"Accept": "application/json"}, self.cfg.timeout_seconds, self._clock())
        batch = parse_reviews(r.body, country, since)
        batch.items = [dataclasses.replace(i, brand=self.cfg.brand) for i in batch.items]
        return batch

    def fetch(self, cursor: dict[str, Any]) -> Batch:
        """Page 1 of each country; deeper pages while a page is all new (``cursor`` walks them)."""
        seen: list[str] = list(cursor.get("seen_newest", []))
        todo: list[list[Any]] = [list(x) for x in cursor.get("todo", [])] or [
            [c, 1] for c in self.cfg.countries
        ]
        country, page = todo[0]
        batch = self._page(country, page)
        rest = todo[1:]
        known = set(seen)
        if (
            batch.items
            and page < self.cfg.pages
            and not any(i.platform_id in known for i in batch.items)
        ):
            rest.insert(0, [country, page + 1])
        newest = [i.platform_id for i in batch.items[-50:]]
        batch.cursor = {"todo": rest, "seen_newest": (seen + newest)[-500:]}
        batch.more = bool(rest)
        return batch

    def backfill_start(self, since: datetime) -> dict[str, Any]:
        return {"since": since.timestamp(), "todo": [[c, 1] for c in self.cfg.countries]}

    def backfill_fetch(self, cursor: dict[str, Any]) -> Batch:
        todo = [list(x) for x in cursor["todo"]]
        country, page = todo[0]
        since = datetime.fromtimestamp(float(cursor["since"]), UTC)
        batch = self._page(country, page, since)
        rest = todo[1:]
        if batch.items and page < self.cfg.pages:
            rest.insert(0, [country, page + 1])
        batch.cursor = {"since": cursor["since"], "todo": rest}
        batch.more = bool(rest)
        return batch

    def check(self) -> str:
        b = self._page(self.cfg.countries[0], 1)
        if b.bad and not b.items:
            raise Fatal(f"feed unreadable: {b.bad[0].reason}")
        return f"app {self.cfg.app_id}: {len(b.items)} recent reviews on page 1"
