"""Response times and the unanswered backlog of a brand's social-care team.

A customer mention that needs an answer (negative, a question) opens; the
brand's own reply to it (``author.is_brand`` or a configured account id, with
``in_reply_to``) closes it and yields a :class:`ResponseEvent` with the time to
first response. :class:`ResponseTracker` keeps the open mentions per brand with
bounded memory: beyond ``max_age_seconds`` or ``max_open`` the oldest expire
and count as unanswered. Replies may arrive before the mention they answer
(out-of-order delivery); they wait ``reorder_seconds`` for it. Duplicates
(redelivered mentions or replies, second replies) change nothing.

Once per bucket of event time :meth:`ResponseTracker.advance` emits a
``backlog`` :class:`~detectors.signals.Signal`, active when the inflow outruns
the answer rate so that the backlog would take longer than
``clear_limit_seconds`` to clear, or when the oldest open mention waits longer
than the brand's promise: at least ``min_backlog`` mentions, and
``overdue_share`` of a rate window's inflow, passed the promise within the last
rate window (a handful of forgotten mentions is no incident).
Both need an inflow of at least ``min_inflow_per_hour``. With ``service_hours``
(local hours in ``tz``) the tracker judges only while the team is on duty, from
``max(promise, rate window)`` after opening, so the night's queue is no alarm.

Examples
--------
>>> from detectors.mention import Enrichment, Mention
>>> from datetime import datetime, timezone
>>> def em(mid, t, text="ei toimi", brand=False, reply=None, sentiment="negative"):
...     at = datetime.fromtimestamp(t, timezone.utc)
...     m = Mention(mid, "x", "nordbank", at, text, author_is_brand=brand, in_reply_to=reply)
...     return EnrichedMention(m, Enrichment("fi", sentiment, -0.8))
>>> tr = ResponseTracker("nordbank")
>>> tr.observe(em("x:1", 1000.0))
[]
>>> [e.response_seconds for e in tr.observe(em("x:2", 1600.0, "Pahoittelut!", True, "x:1"))]
[600.0]
>>> for i in range(300):  # a wall of complaints and nobody answering
...     _ = tr.observe(em(f"x:c{i}", 2000.0 + 10 * i))
>>> s = tr.advance(5000.0)[0]
>>> s.kind, s.active, s.evidence["backlog"]
('backlog', True, 300)
>>> tr.advance(5050.0)  # at most one decision per 5-minute bucket
[]
"""

from __future__ import annotations

import hashlib
import heapq
import math
import sys
from array import array
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from detectors.backlog_message import backlog_message
from detectors.mention import EnrichedMention
from detectors.signals import Signal

MAX_CHANNELS: Final = 32
OTHER_CHANNEL: Final = "other"


@dataclass(frozen=True)
class BacklogConfig:
    """Thresholds and bounds of one brand's response tracking (seconds unless named)."""

    promise_seconds: float = 3600.0
    clear_limit_seconds: float = 7200.0
    max_age_seconds: float = 86400.0
    max_open: int = 5000
    rate_window_seconds: float = 3600.0
    brand_account_ids: frozenset[str] = frozenset()
    min_inflow_per_hour: float = 30.0
    min_backlog: int = 20
    reorder_seconds: float = 3600.0
    bucket_seconds: float = 300.0
    outrun_ratio: float = 1.5
    overdue_share: float = 0.25
    service_hours: tuple[int, int] | None = None
    weekend_service_hours: tuple[int, int] | None = None
    tz: str = "Europe/Helsinki"
    # Response tracking configured for this brand: judge the backlog from the start.
    # Otherwise (the default) the backlog signal stays off until the brand's own replies
    # have been seen: a feed without replies reads "answered 0/h" all day, and that is
    # no backlog (issue 15).
    response_tracking: bool = False

    def __post_init__(self) -> None:
        positive = {
            "promise_seconds": self.promise_seconds,
            "clear_limit_seconds": self.clear_limit_seconds,
            "max_age_seconds": self.max_age_seconds,
            "max_open": self.max_open,
            "rate_window_seconds": self.rate_window_seconds,
            "bucket_seconds": self.bucket_seconds,
        }
        for name, value in positive.items():
            if not (isinstance(value, int | float) and math.isfinite(value) and value > 0):
                raise ValueError(f"BacklogConfig.{name} must be a positive number, not {value!r}")
        for name, value in {
            "min_inflow_per_hour": self.min_inflow_per_hour,
            "min_backlog": self.min_backlog,
            "reorder_seconds": self.reorder_seconds,
        }.items():
            if not (math.isfinite(value) and value >= 0):
                raise ValueError(f"BacklogConfig.{name} must be >= 0, not {value!r}")
        if self.rate_window_seconds < self.bucket_seconds:
            raise ValueError("BacklogConfig.rate_window_seconds must be >= bucket_seconds")
        if not isinstance(self.brand_account_ids, frozenset):
            raise ValueError("BacklogConfig.brand_account_ids must be a frozenset")
        if not (math.isfinite(self.outrun_ratio) and self.outrun_ratio >= 1):
            raise ValueError("BacklogConfig.outrun_ratio must be >= 1")
        if not 0 <= self.overdue_share <= 1:
            raise ValueError("BacklogConfig.overdue_share must lie in [0, 1]")
        for name, hours in (
            ("service_hours", self.service_hours),
            ("weekend_service_hours", self.weekend_service_hours),
        ):
            if hours is not None and not (len(hours) == 2 and 0 <= hours[0] <= hours[1] <= 24):
                raise ValueError(
                    f"BacklogConfig.{name} must be (start, end) with 0 <= start <= end <= 24"
                )
        try:
            ZoneInfo(self.tz)
        except (ValueError, KeyError, ZoneInfoNotFoundError):
            raise ValueError(f"BacklogConfig.tz is not a known time zone: {self.tz!r}") from None

    def service_elapsed(self, ts: float) -> float | None:
        """Seconds since the team's service hours opened today, or None when closed.

        Without ``service_hours`` the team is always on duty (``math.inf``).
        """
        if self.service_hours is None:
            return math.inf
        local = datetime.fromtimestamp(ts, ZoneInfo(self.tz))
        hours = self.service_hours
        if local.weekday() >= 5 and self.weekend_service_hours is not None:
            hours = self.weekend_service_hours
        h = local.hour + local.minute / 60 + local.second / 3600
        return (h - hours[0]) * 3600 if hours[0] <= h < hours[1] else None


@dataclass(frozen=True, slots=True)
class ResponseEvent:
    """The first reply to one customer mention."""

    brand: str
    channel: str
    response_seconds: float
    within_promise: bool
    mention_id: str = ""


def needs_answer(em: EnrichedMention) -> bool:
    """A customer mention the team should answer: negative or question-like.

    >>> from detectors.mention import Enrichment, Mention
    >>> from datetime import datetime, timezone
    >>> m = Mention("x:1", "x", "b", datetime(2026, 3, 2, tzinfo=timezone.utc), "Auki huomenna?")
    >>> needs_answer(EnrichedMention(m, Enrichment("fi", "neutral", 0.0)))
    True
    """
    e = em.enrichment
    return (
        e.sentiment == "negative"
        or "question" in e.topics
        or em.mention.text.rstrip().endswith("?")
    )


def id_hash(mid: str) -> int:
    """A mention id as a signed 64-bit hash (collisions: about one in 10**19 per pair)."""
    return int.from_bytes(hashlib.blake2b(mid.encode(), digest_size=8).digest(), "big", signed=True)


class ResponseTracker:
    """Open customer mentions, first-response times and the backlog of one brand.

    Picklable (plain containers only). Memory is bounded by ``max_open`` open
    mentions, as many waiting early replies, twice as many remembered closed
    ids, and ``rate_window_seconds / bucket_seconds`` rate buckets per channel
    for at most 32 channels. Mention ids are kept as 64-bit hashes (a storm's
    queue of thousands of ids would otherwise dominate the brand's changelog
    record), and the expiry heap is rebuilt on load rather than stored.
    """

    replies_seen = 0  # class default: states saved before the backlog gate

    def __init__(self, brand: str, config: BacklogConfig | None = None) -> None:
        if not brand:
            raise ValueError("brand must be non-empty")
        self.brand = brand
        self.config = config or BacklogConfig()
        # Mention ids as id_hash(): open -> (created ts, channel).
        self._open: dict[int, tuple[float, str]] = {}
        self._heap: list[tuple[float, int]] = []  # (created ts, id); stale entries skipped
        self._done: dict[int, None] = {}  # ids closed or expired (ordered set)
        self._early: dict[int, tuple[float, str]] = {}  # reply target -> (reply ts, channel)
        self._rates: dict[str, dict[int, list[int]]] = {}  # channel -> bucket -> [in, answered]
        self._totals: dict[str, dict[str, int]] = {}  # channel -> counters
        self._now = -math.inf
        self._first_ts = math.inf
        self._next_emit = -math.inf
        self.replies_seen = 0  # brand replies seen (the backlog gate: see ``tracking``)

    @property
    def tracking(self) -> str:
        """Whether the backlog is judged: ``configured``, ``replies_seen`` or ``off``.

        ``off`` until a reply of the brand's own has been seen (or
        ``BacklogConfig.response_tracking`` is set): without reply data every
        mention that needs an answer looks unanswered. Signals are still emitted
        (inactive, ``evidence["tracking"] == "off"``) so metrics and the demo can say so.
        """
        if self.config.response_tracking:
            return "configured"
        return "replies_seen" if self.replies_seen else "off"

    # -- input ---------------------------------------------------------------------------

    def observe(self, em: EnrichedMention) -> list[ResponseEvent]:
        """Take one mention: a customer's opens (if it needs an answer), a brand reply closes."""
        m = em.mention
        ts = m.ts
        if m.brand != self.brand or not math.isfinite(ts):
            return []
        self._first_ts = min(self._first_ts, ts)
        channel = self._channel(m.source)
        if m.author_is_brand or (
            m.author_id is not None and m.author_id in self.config.brand_account_ids
        ):
            return self._reply(m.in_reply_to, ts, channel) if m.in_reply_to else []
        if not needs_answer(em):
            return []
        return self._open_mention(m.id, ts, channel)

    def _channel(self, source: str) -> str:
        if source not in self._totals and len(self._totals) >= MAX_CHANNELS:
            source = OTHER_CHANNEL
        if source not in self._totals:
            self._totals[source] = {"expired": 0, "answered": 0, "within_promise": 0, "inflow": 0}
        return sys.intern(source)  # one object per channel: pickled once

    def _reply(self, target: str, ts: float, channel: str) -> list[ResponseEvent]:
        key = id_hash(target)
        self.replies_seen += 1
        if key in self._early or key in self._done:
            return []  # a second reply, or a redelivered one
        self._count(channel, ts, 1)
        if key not in self._open:  # the mention may still arrive (out of order)
            self._early[key] = (ts, channel)
            if len(self._early) > self.config.max_open:
                del self._early[next(iter(self._early))]
            return []
        opened, own_channel = self._open.pop(key)
        return [self._closed(key, target, own_channel, ts - opened)]

    def _open_mention(self, mid: str, ts: float, channel: str) -> list[ResponseEvent]:
        key = id_hash(mid)
        if key in self._open or key in self._done:
            return []  # duplicate
        if ts < self._now - self.config.max_age_seconds:
            return []  # older than anything we keep: it would expire at once
        self._count(channel, ts, 0)
        self._totals[channel]["inflow"] += 1
        if key in self._early:
            reply_ts, _ = self._early.pop(key)
            return [self._closed(key, mid, channel, reply_ts - ts)]
        self._open[key] = (ts, channel)
        heapq.heappush(self._heap, (ts, key))
        while len(self._open) > self.config.max_open:
            self._expire_oldest()
        return []

    def _closed(self, key: int, mid: str, channel: str, seconds: float) -> ResponseEvent:
        self._remember(key)
        seconds = max(0.0, seconds)
        within = seconds <= self.config.promise_seconds
        totals = self._totals[channel]
        totals["answered"] += 1
        totals["within_promise"] += within
        return ResponseEvent(self.brand, channel, seconds, within, mid)

    def _remember(self, key: int) -> None:
        self._done[key] = None
        if len(self._done) > 2 * self.config.max_open:
            del self._done[next(iter(self._done))]

    def _count(self, channel: str, ts: float, column: int) -> None:
        b = math.floor(ts / self.config.bucket_seconds)
        if math.isfinite(self._now):
            now_b = math.floor(self._now / self.config.bucket_seconds)
            span = math.ceil(self.config.rate_window_seconds / self.config.bucket_seconds)
            if not now_b - span <= b <= now_b + span:
                return  # far outside the rate window: not part of any rate we report
        self._rates.setdefault(channel, {}).setdefault(b, [0, 0])[column] += 1

    # -- time ----------------------------------------------------------------------------

    def advance(self, ts: float) -> list[Signal]:
        """Move event time to ``ts``: expire old mentions; at most once per bucket, decide."""
        if not math.isfinite(ts):
            return []
        self._now = max(self._now, ts)
        now, cfg = self._now, self.config
        while self._heap and self._heap[0][0] < now - cfg.max_age_seconds:
            self._expire_oldest()
        while self._early:
            first = next(iter(self._early))
            if self._early[first][0] >= now - cfg.reorder_seconds:
                break
            del self._early[first]
        lo = self._lo_bucket(now)
        for buckets in self._rates.values():
            for b in [b for b in buckets if b < lo]:
                del buckets[b]
        if len(self._heap) > 2 * len(self._open) + 64:
            self._heap = [(t, mid) for mid, (t, _) in self._open.items()]
            heapq.heapify(self._heap)
        if now < self._next_emit:
            return []
        self._next_emit = (math.floor(now / cfg.bucket_seconds) + 1) * cfg.bucket_seconds
        return [self._decide(now)]

    def _expire_oldest(self) -> None:
        while self._heap:
            ts, mid = heapq.heappop(self._heap)
            entry = self._open.get(mid)
            if entry is not None and entry[0] == ts:
                del self._open[mid]
                self._remember(mid)
                self._totals[entry[1]]["expired"] += 1
                return

    def _oldest_ts(self) -> float | None:
        while self._heap:
            ts, mid = self._heap[0]
            entry = self._open.get(mid)
            if entry is not None and entry[0] == ts:
                return ts
            heapq.heappop(self._heap)
        return None

    # -- rates and decision ----------------------------------------------------------------

    def _lo_bucket(self, now: float) -> int:
        return math.floor((now - self.config.rate_window_seconds) / self.config.bucket_seconds) + 1

    def _rates_at(self, now: float, channel: str | None = None) -> tuple[float, float]:
        """Inflow and answers per hour over the rate window ending at ``now``."""
        cfg = self.config
        lo, hi = self._lo_bucket(now), math.floor(now / cfg.bucket_seconds)
        since = max(lo * cfg.bucket_seconds, self._first_ts)
        hours = max(now - since, cfg.bucket_seconds) / 3600.0
        inflow = answered = 0
        for ch, buckets in self._rates.items():
            if channel is not None and ch != channel:
                continue
            for b, (i, a) in buckets.items():
                if lo <= b <= hi:
                    inflow += i
                    answered += a
        return inflow / hours, answered / hours

    def _decide(self, now: float) -> Signal:
        cfg = self.config
        backlog = len(self._open)
        oldest = self._oldest_ts()
        age = 0.0 if oldest is None else max(0.0, now - oldest)
        inflow, answered = self._rates_at(now)
        clears = backlog / answered * 3600.0 if answered > 0 else math.inf * backlog
        # Mentions that passed the promise within the last rate window: the ones the
        # team gave up on long ago (they expire later) do not keep the alarm on.
        lo, hi = now - cfg.promise_seconds - cfg.rate_window_seconds, now - cfg.promise_seconds
        overdue = sum(lo <= t < hi for t, _ in self._open.values())
        elapsed = cfg.service_elapsed(now)
        grace = max(cfg.promise_seconds, cfg.rate_window_seconds)
        on_duty = elapsed is not None and elapsed >= grace
        busy = on_duty and inflow >= cfg.min_inflow_per_hour
        big = backlog >= max(1, cfg.min_backlog)
        outrun = busy and big and inflow > cfg.outrun_ratio * answered
        pace = clears / cfg.clear_limit_seconds if outrun else 0.0
        # Some mentions always wait: the promise counts as broken when at least
        # min_backlog and overdue_share of a window's inflow passed it within the window.
        window_inflow = inflow * cfg.rate_window_seconds / 3600.0
        allowed = max(1.0, cfg.min_backlog, cfg.overdue_share * window_inflow)
        late = overdue / allowed if busy else 0.0
        x = max(pace, late)
        tracking = self.tracking
        if tracking == "off":
            x = 0.0  # no reply data for this brand: nothing to judge the backlog by
        score = 1.0 if math.isinf(x) else x / (1.0 + x)
        active = x >= 1.0
        if not active:
            severity = "none"
        elif pace >= 3.0:
            severity = "high"
        elif pace >= 1.0:
            severity = "medium"
        else:
            severity = "low"
        message = backlog_message(
            self.config, inflow, answered, backlog, clears, overdue, pace >= 1.0, late >= 1.0
        )
        if tracking == "off":
            message = "backlog off: no replies from the brand seen yet, " + message
        elif elapsed is None:
            message += " (outside service hours)"
        channels: dict[str, int] = {}
        for _, ch in self._open.values():
            channels[ch] = channels.get(ch, 0) + 1
        evidence: dict[str, Any] = {
            "inflow_per_hour": round(inflow, 1),
            "answered_per_hour": round(answered, 1),
            "backlog": backlog,
            "oldest_age_seconds": round(age, 1),
            "overdue": overdue,
            "clears_in_seconds": None if math.isinf(clears) else round(clears, 1),
            "promise_seconds": cfg.promise_seconds,
            "clear_limit_seconds": cfg.clear_limit_seconds,
            "reason": "pace" if pace >= 1.0 else "promise" if late >= 1.0 else None,
            "backlog_by_channel": channels,
            "tracking": tracking,
            "message": message,
        }
        return Signal(self.brand, "backlog", now, score, active, severity, evidence)

    # -- state ---------------------------------------------------------------------------------

    def __getstate__(self) -> dict[str, Any]:
        """Open and closed ids packed as 64-bit arrays (about 17 bytes per open mention)."""
        state = {k: v for k, v in self.__dict__.items() if k not in ("_heap", "_open", "_done")}
        channels = sorted({ch for _, ch in self._open.values()})
        index = {ch: i for i, ch in enumerate(channels)}
        state["_open_packed"] = (
            array("q", self._open.keys()).tobytes(),
            array("d", (t for t, _ in self._open.values())).tobytes(),
            bytes(index[ch] for _, ch in self._open.values()),
            channels,
        )
        state["_done_packed"] = array("q", self._done.keys()).tobytes()
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        if "_open_packed" in state:
            keys, times, idx, channels = state.pop("_open_packed")
            ks, ts = array("q"), array("d")
            ks.frombytes(keys)
            ts.frombytes(times)
            names = [sys.intern(c) for c in channels]
            state["_open"] = {k: (t, names[i]) for k, t, i in zip(ks, ts, idx, strict=True)}
            done = array("q")
            done.frombytes(state.pop("_done_packed"))
            state["_done"] = dict.fromkeys(done)
        # States written before ids were hashed carry the ids themselves.
        for name in ("_open", "_done", "_early"):
            d = state.get(name) or {}
            state[name] = {id_hash(k) if isinstance(k, str) else k: v for k, v in d.items()}
        state.pop("_heap", None)
        self.__dict__.update(state)
        self._heap = [(t, key) for key, (t, _) in self._open.items()]
        heapq.heapify(self._heap)

    # -- read-only view ----------------------------------------------------------------------

    def stats(self, ts: float) -> dict[str, dict[str, float]]:
        """Per channel: open, inflow_per_hour, answered_per_hour, oldest_age_seconds,
        expired_total, answered_total, within_promise_total (no state changes)."""
        oldest: dict[str, float] = {}
        count: dict[str, int] = {}
        for t, ch in self._open.values():
            count[ch] = count.get(ch, 0) + 1
            oldest[ch] = min(oldest.get(ch, t), t)
        out: dict[str, dict[str, float]] = {}
        for ch, totals in self._totals.items():
            inflow, answered = self._rates_at(ts, ch) if math.isfinite(ts) else (0.0, 0.0)
            out[ch] = {
                "open": count.get(ch, 0),
                "inflow_per_hour": inflow,
                "answered_per_hour": answered,
                "oldest_age_seconds": max(0.0, ts - oldest[ch]) if ch in oldest else 0.0,
                "expired_total": totals["expired"],
                "answered_total": totals["answered"],
                "within_promise_total": totals["within_promise"],
            }
        return out
