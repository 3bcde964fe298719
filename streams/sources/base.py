"""The one interface every source implements, and what crosses it.

A connector turns platform payloads into :class:`Item` (one post, comment, review or
ticket, with the platform's own id) and :class:`Bad` (a payload it could not read,
with a reason). It never talks to Kafka. The runner matches brands and writes
canonical mentions.

Errors a connector raises while fetching::

    SourceError
     ├── RateLimited      429 (or a platform's own "slow down"): wait ``retry_after``
     ├── Transient        5xx, timeouts, refused connections: back off and retry
     └── Fatal            401/403/404 and the like: stop, the configuration is wrong
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from detectors.brandmatch import BrandMatcher
from detectors.mention import InvalidMention, format_time, mention_from_obj


class SourceError(Exception):
    """A fetch failed."""


class RateLimited(SourceError):
    def __init__(self, retry_after: float, detail: str = "") -> None:
        self.retry_after = retry_after
        super().__init__(f"rate limited, retry after {retry_after:.1f}s {detail}".strip())


class Transient(SourceError):
    def __init__(self, detail: str, retry_after: float | None = None) -> None:
        self.retry_after = retry_after
        super().__init__(detail)


class Fatal(SourceError):
    """The platform refuses us (credentials, permissions, a wrong URL): retrying will not help."""


@dataclass(frozen=True, slots=True)
class Item:
    """One record from a platform, before brand matching."""

    platform_id: str
    created_at: datetime
    text: str
    author_id: str | None = None
    author_handle: str | None = None
    author_followers: int | None = None
    in_reply_to: str | None = None  # the parent's platform id
    url: str | None = None
    lang: str | None = None
    page_ids: tuple[str, ...] = ()  # where it was posted (a page, an account)
    channel: str | None = None  # overrides the connector's channel (Instagram via Meta)
    brand: str | None = None  # an explicit brand from the platform (a webhook field)
    raw: bytes = b""
    extra: tuple[tuple[str, Any], ...] = ()  # platform fields kept on the mention (rating, ...)


@dataclass(frozen=True, slots=True)
class Bad:
    """A payload the connector could not read: it goes to ``mentions.dead``."""

    reason: str
    detail: str
    raw: bytes
    platform_id: str | None = None


@dataclass(slots=True)
class Batch:
    """One fetch: items (oldest first), bad payloads, the cursor after it, whether more waits."""

    items: list[Item] = field(default_factory=list)
    bad: list[Bad] = field(default_factory=list)
    cursor: dict[str, Any] = field(default_factory=dict)
    more: bool = False


class Poller(Protocol):
    """A source that asks the platform. ``cursor`` is what the last batch returned."""

    def fetch(self, cursor: dict[str, Any]) -> Batch: ...

    def backfill_start(self, since: datetime) -> dict[str, Any]:
        """The first backfill cursor; :meth:`backfill_fetch` walks it until ``more`` is false."""
        ...

    def backfill_fetch(self, cursor: dict[str, Any]) -> Batch: ...

    def check(self) -> str: ...


def as_dict(v: Any) -> dict[str, Any]:
    """``v`` when it is a JSON object, else an empty one (platform payloads are untrusted)."""
    return v if isinstance(v, dict) else {}


def mention_id(channel: str, platform_id: str, brand: str) -> str:
    """Unique per source and per brand: a text about two brands is two mentions."""
    return f"{channel}:{platform_id}:{brand}"


def canonical(
    item: Item, channel: str, via: str, matcher: BrandMatcher
) -> tuple[list[tuple[str, bytes]], Bad | None]:
    """(brand, canonical JSON) for every brand the item counts for, or why it cannot be sent.

    A brand's own post or reply (its handle, page id or author id) counts for that brand
    with ``author.is_brand``, even when it does not name itself.
    """
    ch = item.channel or channel
    own = matcher.brand_of_author(handle=item.author_handle, author_id=item.author_id)
    if item.brand is not None:
        brands = [item.brand.lower()] if item.brand.lower() in matcher.brands else []
        if not brands:
            return [], Bad(
                "unknown_brand", f"brand {item.brand[:60]!r} is not configured", item.raw
            )
    else:
        brands = matcher.match(item.text, page_ids=item.page_ids)
        if own is not None and own not in brands:
            brands.append(own)
    out: list[tuple[str, bytes]] = []
    for b in brands:
        author: dict[str, Any] = {}
        if item.author_id is not None:
            author["id"] = item.author_id
        if item.author_handle is not None:
            author["handle"] = item.author_handle
        if item.author_followers is not None:
            author["followers"] = item.author_followers
        author["is_brand"] = own == b
        obj: dict[str, Any] = {
            "id": mention_id(ch, item.platform_id, b),
            "source": ch,
            "brand": b,
            "created_at": format_time(item.created_at),
            "text": item.text,
            "author": author,
            "lang": item.lang,
            "in_reply_to": (
                None if item.in_reply_to is None else mention_id(ch, item.in_reply_to, b)
            ),
            "url": item.url,
            "via": via,
        }
        for k, v in item.extra:
            obj.setdefault(k, v)
        try:
            mention_from_obj(obj)
        except InvalidMention as exc:
            return [], Bad(exc.reason, exc.detail, item.raw or _json(obj), item.platform_id)
        out.append((b, _json(obj)))
    return out, None


def _json(obj: Any) -> bytes:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode()
