"""Per-record checks and dead-letter records, shared by the agents, /ingest and the sources."""

from __future__ import annotations

import json
from typing import Any

from detectors.mention import InvalidMention, Mention

MAX_DEAD_ORIGINAL_BYTES = 64 * 1024


def dead_letter(reason: str, detail: str, original: bytes, **where: Any) -> bytes:
    """The record written to ``mentions.dead``: reason, where it came from, original bytes.

    Only the first 64 KiB of the original are kept (``original_bytes`` then says how
    many there were): a dead letter must fit in a Kafka message (1 MB by default).
    """
    cut = original[:MAX_DEAD_ORIGINAL_BYTES]
    d: dict[str, Any] = {
        "reason": reason,
        "detail": detail,
        **where,
        "original": cut.decode("utf-8", "backslashreplace"),
    }
    if len(cut) < len(original):
        d.update(truncated=True, original_bytes=len(original))
    return json.dumps(d, ensure_ascii=False).encode()


def check_time(m: Mention, now: float, max_age_days: float, max_future: float) -> None:
    """Refuse event times far in the past or the future (relative to wall clock at the edge)."""
    ts = m.ts
    if ts > now + max_future:
        raise InvalidMention("time_out_of_range", "created_at is in the future")
    if ts < now - max_age_days * 86400:
        raise InvalidMention("time_out_of_range", "created_at is too far in the past")
