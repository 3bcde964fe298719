"""All streaming state of one key (brand): dedup window, detectors, response times.

This is the value the worker keeps per brand in its changelogged table, and the
backtest keeps per brand in a dict: the same object, so offline and live agree.

Examples
--------
>>> from datetime import datetime, timezone
>>> from detectors.mention import Enrichment, EnrichedMention, Mention
>>> st = KeyState("nordbank")
>>> m = Mention(id="x:1", source="x", brand="nordbank", text="ei toimi",
...             created_at=datetime(2026, 3, 2, 8, tzinfo=timezone.utc))
>>> em = EnrichedMention(m, Enrichment(lang="fi", sentiment="negative", sentiment_score=-0.8))
>>> st.observe(em).duplicate, st.observe(em).duplicate
(False, True)
"""

from __future__ import annotations

import hashlib
import math
from array import array
from collections import deque
from dataclasses import dataclass, field

from detectors.backlog import BacklogConfig, ResponseEvent, ResponseTracker
from detectors.mention import EnrichedMention
from detectors.monitor import KeyMonitor, MonitorConfig
from detectors.signals import Signal


class RecentIds:
    """A bounded set of recently seen mention ids (64-bit hashes, FIFO eviction)."""

    __slots__ = ("_order", "_seen", "capacity")

    def __init__(self, capacity: int = 2048) -> None:
        if capacity < 1:
            raise ValueError("capacity must be >= 1")
        self.capacity = capacity
        self._seen: set[int] = set()
        self._order: deque[int] = deque()

    @staticmethod
    def _h(source: str, mid: str) -> int:
        d = hashlib.blake2b(f"{source}\x00{mid}".encode(), digest_size=8).digest()
        return int.from_bytes(d, "big", signed=True)

    def add(self, source: str, mid: str) -> bool:
        """Remember an id; ``False`` when it was already there (a duplicate)."""
        h = self._h(source, mid)
        if h in self._seen:
            return False
        self._seen.add(h)
        self._order.append(h)
        if len(self._order) > self.capacity:
            self._seen.discard(self._order.popleft())
        return True

    def __len__(self) -> int:
        return len(self._order)

    def __getstate__(self) -> tuple[int, bytes]:
        return self.capacity, array("q", self._order).tobytes()  # 8 bytes an id

    def __setstate__(self, state: tuple[int, bytes | list[int]]) -> None:
        self.capacity, packed = state
        order = packed if isinstance(packed, list) else array("q", packed)  # lists: older states
        self._order = deque(order)
        self._seen = set(order)


@dataclass
class Observed:
    """What one mention did to the key's state."""

    duplicate: bool = False
    signals: list[Signal] = field(default_factory=list)
    responses: list[ResponseEvent] = field(default_factory=list)


class KeyState:
    """Dedup + detectors + response tracking for one brand.

    ``clock`` is the last event-time tick (a multiple of the tick length) the key
    was advanced to by :meth:`tick_to`; ``None`` before its first mention.
    """

    clock: float | None = None
    last_active = -math.inf  # event time of the last active signal
    MAX_TICKS = 1000  # ticks one call may step (a caller's next call goes on)

    def __init__(
        self,
        key: str,
        monitor: MonitorConfig | None = None,
        backlog: BacklogConfig | None = None,
        dedup_capacity: int = 2048,
    ) -> None:
        self.key = key
        self.recent = RecentIds(dedup_capacity)
        self.monitor = KeyMonitor(key, monitor)
        self.responses = ResponseTracker(key, backlog)

    def observe(self, em: EnrichedMention) -> Observed:
        m = em.mention
        if not self.recent.add(m.source, m.id):
            return Observed(duplicate=True)
        out = Observed(responses=self.responses.observe(em))
        out.signals.extend(self.monitor.observe(em))
        out.signals.extend(self.responses.advance(em.ts))
        self._note(out.signals)
        return out

    def advance(self, ts: float) -> list[Signal]:
        """Event time moved on without a mention of this key."""
        return self._note([*self.monitor.advance(ts), *self.responses.advance(ts)])

    def _note(self, sigs: list[Signal]) -> list[Signal]:
        for s in sigs:
            if s.active and s.ts > self.last_active:
                self.last_active = s.ts
        return sigs

    def tick_to(self, ts: float, step: float, hot_seconds: float, *, idle: bool) -> list[Signal]:
        """Advance one multiple of ``step`` at a time towards ``ts`` while the key is hot.

        A key is hot while its last active signal is at most ``hot_seconds`` before
        its clock: an incident of it may be open and must resolve in event time
        even if the key falls silent. A cold key is not stepped: its next mention
        (``idle=False``) moves it in one go, as :meth:`observe` always did. The calls
        depend on the key's own state and event time alone, so the backtest (ticks
        from every mention of the file) and the worker (ticks from a partition's
        watermark, at any moment) make the same calls in the same order.
        """
        if not math.isfinite(ts):
            return []
        b = math.floor(ts / step) * step
        if self.clock is None:
            self.clock = b
            return []
        out: list[Signal] = []
        n = 0
        while self.clock < b and self.clock - self.last_active <= hot_seconds:
            self.clock += step
            out.extend(self.advance(self.clock))
            n += 1
            if n >= self.MAX_TICKS:
                break
        if not idle and self.clock < b:
            self.clock = b
        return out
