"""Never double-post, never lose: the dedup decision and the record of what Slack accepted.

A :class:`Notification` carries a deterministic ``dedup_key`` (built from the
incident id, the channel and the event time of what it reports), so a worker
that replays the same signals after a restart builds the same keys.
:class:`SentLog` records a key only after Slack accepted the message
(:meth:`SentLog.record`); :func:`needs_send` compares a notification with the
log and says whether to send, with a reason (like Alertmanager's
``needsUpdate``).

Examples
--------
>>> n = Notification("inc-1:#care:main", "#care", "post", "hi", [], "inc-1", "care",
...                  state_hash="a")
>>> log = SentLog()
>>> needs_send(n, log, now=100.0)
Decision(send=True, reason='first')
>>> log.record(n, channel_id="C1", message_ts="1.000", now=100.0)
>>> needs_send(n, log, now=160.0)
Decision(send=False, reason='already_sent')
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

ACTIONS = ("post", "update", "thread_reply", "chart")
REASONS_SEND = ("first", "changed", "refresh", "repeat_interval_elapsed")
REASONS_SKIP = (
    "already_sent",
    "silenced",
    "quiet_hours",
    "parent_not_sent",
    "too_soon",
    "max_repeats",
)


def content_hash(payload: Any) -> str:
    """Stable short hash of any JSON-serialisable payload."""
    raw = json.dumps(payload, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()[:16]


@dataclass(slots=True)
class Notification:
    """One thing to send to Slack.

    ``action``: "post" (new top-level message), "update" (chat.update of the
    message recorded under ``dedup_key``), "thread_reply" (in the thread of the
    message recorded under ``parent_key``) or "chart" (upload ``attachment``
    PNG into that thread). ``state_hash`` covers what matters (status,
    severity, tier); ``content_hash`` covers the whole rendering.
    ``suppressed`` names why it must not be sent (silence, quiet hours).
    """

    dedup_key: str
    channel: str
    action: str
    text: str
    blocks: list[dict[str, Any]]
    incident_id: str
    tier: str
    state_hash: str = ""
    content_hash: str = ""
    parent_key: str | None = None
    message_ts: str | None = None
    repeat_seconds: float | None = None
    min_update_seconds: float = 0.0
    max_count: int | None = None
    suppressed: str | None = None
    attachment: bytes | None = None
    title: str = ""
    metadata: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.action not in ACTIONS:
            raise ValueError(f"action must be one of {ACTIONS}, got {self.action!r}")
        if not self.content_hash:
            self.content_hash = content_hash([self.text, self.blocks])


@dataclass(slots=True)
class SentEntry:
    """What Slack accepted for one dedup key."""

    channel: str
    message_ts: str | None
    state_hash: str
    content_hash: str
    sent_at: float
    first_sent_at: float
    count: int = 1

    def to_dict(self) -> dict[str, Any]:
        return {
            "channel": self.channel,
            "message_ts": self.message_ts,
            "state_hash": self.state_hash,
            "content_hash": self.content_hash,
            "sent_at": self.sent_at,
            "first_sent_at": self.first_sent_at,
            "count": self.count,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> SentEntry:
        ts = d.get("message_ts")
        return cls(
            channel=str(d["channel"]),
            message_ts=None if ts is None else str(ts),
            state_hash=str(d.get("state_hash", "")),
            content_hash=str(d.get("content_hash", "")),
            sent_at=float(d["sent_at"]),
            first_sent_at=float(d.get("first_sent_at", d["sent_at"])),
            count=int(d.get("count", 1)),
        )


@dataclass(slots=True)
class SentLog:
    """dedup_key -> :class:`SentEntry`; JSON-serialisable, kept in a changelogged table."""

    entries: dict[str, SentEntry] = field(default_factory=dict)

    def get(self, key: str | None) -> SentEntry | None:
        return None if key is None else self.entries.get(key)

    def __contains__(self, key: object) -> bool:
        return key in self.entries

    def __len__(self) -> int:
        return len(self.entries)

    def thread_ts(self, n: Notification) -> str | None:
        """The Slack ts of the message a thread reply or chart belongs to."""
        parent = self.get(n.parent_key)
        return None if parent is None else parent.message_ts

    def record(
        self, n: Notification, *, channel_id: str | None, message_ts: str | None, now: float
    ) -> None:
        """Call only after Slack accepted ``n`` (``channel_id``/``message_ts`` from its answer).

        An update keeps the original message ts and channel id.
        """
        old = self.entries.get(n.dedup_key)
        if old is not None and n.action == "update":
            channel = old.channel
            message_ts = old.message_ts
        else:
            channel = channel_id or n.channel
        self.entries[n.dedup_key] = SentEntry(
            channel=channel,
            message_ts=message_ts,
            state_hash=n.state_hash,
            content_hash=n.content_hash,
            sent_at=max(now, old.sent_at) if old else now,
            first_sent_at=old.first_sent_at if old else now,
            count=(old.count + 1) if old else 1,
        )

    def to_dict(self) -> dict[str, Any]:
        return {k: e.to_dict() for k, e in self.entries.items()}

    @classmethod
    def from_dict(cls, d: dict[str, Any] | None) -> SentLog:
        return cls({str(k): SentEntry.from_dict(v) for k, v in (d or {}).items()})


@dataclass(frozen=True, slots=True)
class Decision:
    """Whether to send, and why (one of ``REASONS_SEND`` or ``REASONS_SKIP``)."""

    send: bool
    reason: str


def needs_send(n: Notification, sent: SentLog, now: float, going: Collection[str] = ()) -> Decision:
    """Decide whether ``n`` goes to Slack, given what Slack already accepted.

    Order: suppressed -> parent missing -> first -> older replay -> state
    changed -> content refresh (rate-limited) -> repeat interval -> already sent.
    ``going``: dedup keys sent before ``n`` in the same batch (a parent among them
    counts as there; the delivery checks again that Slack took it).
    """
    if n.suppressed:
        return Decision(False, n.suppressed)
    needs_parent = n.action in ("thread_reply", "chart") and n.parent_key is not None
    if needs_parent and sent.thread_ts(n) is None and n.parent_key not in going:
        return Decision(False, "parent_not_sent")
    entry = sent.get(n.dedup_key)
    if entry is None:
        return Decision(True, "first")
    if now < entry.sent_at:
        return Decision(False, "already_sent")  # a replay of older events
    if n.action in ("update", "post"):
        if n.state_hash != entry.state_hash:
            return Decision(True, "changed")
        if n.content_hash != entry.content_hash:
            if now - entry.sent_at >= n.min_update_seconds:
                return Decision(True, "refresh")
            return Decision(False, "too_soon")
        return Decision(False, "already_sent")
    if n.repeat_seconds is not None and now - entry.sent_at >= n.repeat_seconds:
        if n.max_count is not None and entry.count >= n.max_count:
            return Decision(False, "max_repeats")
        return Decision(True, "repeat_interval_elapsed")
    return Decision(False, "already_sent")


@dataclass(frozen=True, slots=True)
class DeliveryResult:
    """Slack's answer to one notification (returned by ``SlackDelivery``).

    ``ok``: Slack accepted it; ``ts``/``channel``: the message ts and channel id
    from the answer; ``error``: Slack's error code or a short local reason
    ("timeout", "http_500", "deadline"); ``status``: the last HTTP status (0 when
    none); ``retryable``: worth trying again later; ``attempts``: HTTP attempts.
    """

    ok: bool
    ts: str | None = None
    channel: str | None = None
    error: str | None = None
    status: int = 0
    attempts: int = 1
    retryable: bool = False
