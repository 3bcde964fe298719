"""The canonical mention: parsing, validation and the enriched form.

A mention arrives as JSON bytes (one per Kafka message). :func:`parse_mention`
turns it into a :class:`Mention` or raises :class:`InvalidMention` whose
``reason`` is a short machine-readable code (it labels a metric and travels with
the record to the dead-letter topic).

Examples
--------
>>> m = parse_mention(b'{"id": "x:1", "source": "x", "brand": "nordbank",'
...                   b' "created_at": "2026-03-02T08:15:03Z", "text": "Ei toimi"}')
>>> m.brand, m.created_at.isoformat()
('nordbank', '2026-03-02T08:15:03+00:00')
>>> parse_mention(b'{"id": 1}')
Traceback (most recent call last):
...
detectors.mention.InvalidMention: missing_field: source
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
REQUIRED = ("id", "source", "brand", "created_at", "text")
MAX_TEXT_CHARS = 20_000
MAX_ID_CHARS = 512
KNOWN = frozenset((*REQUIRED, "author", "lang", "in_reply_to", "url"))


class InvalidMention(ValueError):
    """A record that is not a canonical mention; ``reason`` is a short code."""

    def __init__(self, reason: str, detail: str = "") -> None:
        self.reason = reason
        self.detail = detail
        super().__init__(f"{reason}: {detail}" if detail else reason)


@dataclass(frozen=True, slots=True)
class Mention:
    """One validated mention. ``created_at`` is timezone-aware UTC event time."""

    id: str
    source: str
    brand: str
    created_at: datetime
    text: str
    author_id: str | None = None
    author_followers: int | None = None
    author_is_brand: bool = False
    lang: str | None = None
    in_reply_to: str | None = None
    url: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def ts(self) -> float:
        """Event time as POSIX seconds (what the detectors use)."""
        return self.created_at.timestamp()

    def to_dict(self) -> dict[str, Any]:
        """The canonical JSON form, unknown fields kept."""
        out: dict[str, Any] = dict(self.extra)
        out.update(
            id=self.id,
            source=self.source,
            brand=self.brand,
            created_at=format_time(self.created_at),
            text=self.text,
            lang=self.lang,
            in_reply_to=self.in_reply_to,
            url=self.url,
        )
        if self.author_id is not None or self.author_followers is not None or self.author_is_brand:
            out["author"] = {
                "id": self.author_id,
                "followers": self.author_followers,
                "is_brand": self.author_is_brand,
            }
        return out


@dataclass(frozen=True, slots=True)
class Enrichment:
    """What the enrichment stage adds to a mention."""

    lang: str
    sentiment: str  # "negative" | "neutral" | "positive"
    sentiment_score: float  # signed confidence in [-1, 1]; < 0 leans negative
    topics: tuple[str, ...] = ()
    terms: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class EnrichedMention:
    """A mention with its enrichment: the unit the detectors consume."""

    mention: Mention
    enrichment: Enrichment

    @property
    def ts(self) -> float:
        return self.mention.ts

    @property
    def is_negative(self) -> bool:
        return self.enrichment.sentiment == "negative"

    def to_dict(self) -> dict[str, Any]:
        d = self.mention.to_dict()
        e = self.enrichment
        d["enrichment"] = {
            "lang": e.lang,
            "sentiment": e.sentiment,
            "sentiment_score": e.sentiment_score,
            "topics": list(e.topics),
            "terms": list(e.terms),
        }
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> EnrichedMention:
        e = d.get("enrichment") or {}
        body = {k: v for k, v in d.items() if k != "enrichment"}
        return cls(
            mention=mention_from_obj(body),
            enrichment=Enrichment(
                lang=str(e.get("lang") or "und"),
                sentiment=str(e.get("sentiment") or "neutral"),
                sentiment_score=float(e.get("sentiment_score") or 0.0),
                topics=tuple(e.get("topics") or ()),
                terms=tuple(e.get("terms") or ()),
            ),
        )


def parse_time(value: Any) -> datetime:
    """Parse an RFC 3339 timestamp into an aware UTC datetime (naive = UTC)."""
    if not isinstance(value, str) or not value:
        raise InvalidMention("bad_created_at", "created_at must be an RFC 3339 string")
    s = value.strip()
    if s.endswith(("Z", "z")):
        s = s[:-1] + "+00:00"
    try:
        dt = datetime.fromisoformat(s)
        if dt.tzinfo is None:
            dt = dt.replace(tzinfo=UTC)
        return dt.astimezone(UTC)
    except ValueError:
        raise InvalidMention("bad_created_at", f"not RFC 3339: {value[:40]!r}") from None
    except OverflowError:  # e.g. 0001-01-01T00:00:00+01:00 falls before year 1 in UTC
        raise InvalidMention("bad_created_at", "created_at is out of range") from None


def format_time(dt: datetime) -> str:
    """RFC 3339 in UTC with milliseconds and a ``Z``."""
    return dt.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _str_field(obj: dict[str, Any], name: str, *, max_chars: int = MAX_ID_CHARS) -> str:
    v = obj.get(name)
    if v is None:
        raise InvalidMention("missing_field", name)
    if not isinstance(v, str):
        raise InvalidMention("wrong_type", f"{name} must be a string")
    v = v.strip()
    if not v:
        raise InvalidMention("empty_field", name)
    if len(v) > max_chars:
        raise InvalidMention("too_long", f"{name} longer than {max_chars} characters")
    return v


def _opt_str(obj: dict[str, Any], name: str) -> str | None:
    v = obj.get(name)
    if v is None:
        return None
    if not isinstance(v, str):
        raise InvalidMention("wrong_type", f"{name} must be a string or null")
    return v[:MAX_ID_CHARS] or None


def mention_from_obj(obj: Any) -> Mention:
    """Validate a decoded JSON object as a canonical mention."""
    if not isinstance(obj, dict):
        raise InvalidMention("not_an_object", "a mention is a JSON object")
    for name in REQUIRED:
        if name not in obj or obj[name] is None:
            raise InvalidMention("missing_field", name)
    mid = _str_field(obj, "id")
    source = _str_field(obj, "source", max_chars=64).lower()
    brand = _str_field(obj, "brand", max_chars=128).lower()
    created_at = parse_time(obj["created_at"])
    text = obj["text"]
    if not isinstance(text, str):
        raise InvalidMention("wrong_type", "text must be a string")
    if len(text) > MAX_TEXT_CHARS:
        raise InvalidMention("too_long", f"text longer than {MAX_TEXT_CHARS} characters")
    author = obj.get("author")
    author_id = followers = None
    is_brand = False
    if author is not None:
        if not isinstance(author, dict):
            raise InvalidMention("wrong_type", "author must be an object")
        aid = author.get("id")
        if aid is not None and not isinstance(aid, (str, int)):
            raise InvalidMention("wrong_type", "author.id must be a string")
        author_id = None if aid is None else str(aid)
        f = author.get("followers")
        if f is not None and (isinstance(f, bool) or not isinstance(f, int) or f < 0):
            raise InvalidMention("wrong_type", "author.followers must be a non-negative integer")
        followers = f
        ib = author.get("is_brand", False)
        if not isinstance(ib, bool):
            raise InvalidMention("wrong_type", "author.is_brand must be a boolean")
        is_brand = ib
    lang = _opt_str(obj, "lang")
    return Mention(
        id=mid,
        source=source,
        brand=brand,
        created_at=created_at,
        text=text,
        author_id=author_id,
        author_followers=followers,
        author_is_brand=is_brand,
        lang=lang.lower() if lang else None,
        in_reply_to=_opt_str(obj, "in_reply_to"),
        url=_opt_str(obj, "url"),
        extra={k: v for k, v in obj.items() if k not in KNOWN},
    )


def parse_mention(raw: bytes | str) -> Mention:
    """Decode and validate one record (bytes as read from Kafka)."""
    if isinstance(raw, bytes):
        try:
            raw = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise InvalidMention("invalid_utf8", "record is not UTF-8") from None
    try:
        obj = json.loads(raw)
    except (ValueError, RecursionError):
        raise InvalidMention("invalid_json", "record is not JSON") from None
    m = mention_from_obj(obj)
    if _SURROGATE_ESCAPE.search(raw):
        # A "\ud800" escape decodes to a lone surrogate, which is not text and
        # cannot be written back as UTF-8.
        try:
            json.dumps(m.to_dict(), ensure_ascii=False).encode()
        except UnicodeEncodeError:
            raise InvalidMention("invalid_utf8", "a string holds a lone surrogate") from None
    return m
