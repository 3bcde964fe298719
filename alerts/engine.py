"""The whole pipeline in process, in event time: what ``spikewatch backtest`` runs.

The live worker runs the same stage objects, :class:`DetectStage` and
:class:`IncidentStage` (plain objects over mappings with an ``emit`` callback), in
thin Faust agents over its tables: validate (:func:`detectors.mention.parse_mention`),
enrich (:class:`detectors.text.Enricher`), detect (:class:`detectors.keystate.KeyState`)
and the incident lifecycle (:func:`alerts.incidents.on_signal`), with the same
configuration objects and defaults. Event time moves in ticks of one bucket for
every brand, silent ones included, on both sides. Nothing here reads the clock.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable, Iterator, MutableMapping
from dataclasses import dataclass, field
from datetime import UTC
from typing import Any

from alerts.incidents import (
    Incident,
    IncidentEvent,
    LifecycleConfig,
    backlog_target_key,
    incident_key,
    on_signal,
)
from detectors.backlog import BacklogConfig
from detectors.keystate import KeyState, Observed
from detectors.mention import EnrichedMention, InvalidMention, Mention, format_time, parse_mention
from detectors.monitor import MonitorConfig
from detectors.signals import Signal
from detectors.text import Enricher


@dataclass(frozen=True)
class EngineConfig:
    """Everything the detect and incident stages need; defaults are the live defaults."""

    monitor: MonitorConfig = field(default_factory=MonitorConfig)
    backlog: BacklogConfig = field(default_factory=BacklogConfig)
    lifecycle: LifecycleConfig = field(default_factory=LifecycleConfig)


def route_key(sig: Signal, cfg: LifecycleConfig, is_open: Callable[[str], bool]) -> str:
    """The incident key a signal goes to; a backlog signal joins the brand's open incident."""
    if sig.kind != "backlog" or cfg.group_by_brand:
        return incident_key(sig, cfg)
    candidates = [f"{sig.brand}|{k}" for k in ("volume_surge", "negative_burst")]
    return backlog_target_key(sig.brand, [k for k in candidates if is_open(k)])


def incident_summary(inc: Incident) -> dict[str, Any]:
    """The backtest's JSON line for one incident (the CLI contract)."""
    return {
        "brand": inc.brand,
        "kind": inc.kind,
        "opened_at": _iso(inc.opened_at),
        "severity": inc.severity,
        "resolved_at": _iso(inc.resolved_at) if inc.resolved_at is not None else None,
        "why": inc.evidence,
        "id": inc.id,
    }


def _iso(ts: float) -> str:
    from datetime import datetime

    return format_time(datetime.fromtimestamp(ts, tz=UTC))


Emit = Callable[[Any], None]


class DetectStage:
    """Dedup + detectors per brand, over a mapping ``brand -> KeyState``, in event-time ticks.

    Every brand is advanced through each multiple of ``tick`` seconds (the monitor's
    bucket) one at a time: before its own next mention, and -- by the caller --
    when the stream's watermark passes a tick while the brand is silent. The
    backtest ticks every brand as the file's event time passes; the worker ticks
    the brands of a partition it owns once that partition has nothing unread
    (:meth:`advance`). Either way a brand sees the same calls in the same order.
    """

    def __init__(self, config: EngineConfig, states: MutableMapping[str, KeyState]) -> None:
        self.config = config
        self.states = states
        self.tick = float(config.monitor.bucket_seconds)
        # How long after its last active signal a silent brand is still moved on: long
        # enough for an incident of it to reach its quiet period and resolve.
        self.hot_seconds = 2 * config.lifecycle.quiet_seconds + 3 * self.tick

    def state(self, brand: str) -> tuple[KeyState, bool]:
        """The brand's state and whether it was created just now."""
        st = self.states.get(brand)
        if st is None:
            st = KeyState(brand, self.config.monitor, self.config.backlog)
            self.states[brand] = st
            return st, True
        return st, False

    def mention(self, em: EnrichedMention, emit: Callable[[Signal], None]) -> Observed:
        """Tick the brand up to the mention, then dedup and detect; signals go to ``emit``."""
        st, _ = self.state(em.mention.brand)
        for sig in st.tick_to(em.ts, self.tick, self.hot_seconds, idle=False):
            emit(sig)
        obs = st.observe(em)
        for sig in obs.signals:
            emit(sig)
        return obs

    def advance(self, brand: str, ts: float, emit: Callable[[Signal], None]) -> int:
        """Event time reached ``ts`` without a mention of ``brand``; returns signals emitted."""
        st = self.states.get(brand)
        if st is None:
            return 0
        sigs = st.tick_to(ts, self.tick, self.hot_seconds, idle=True)
        for sig in sigs:
            emit(sig)
        return len(sigs)


class IncidentStage:
    """The incident lifecycle over a mapping ``key -> Incident``."""

    def __init__(self, config: LifecycleConfig, incidents: MutableMapping[str, Incident]) -> None:
        self.config = config
        self.incidents = incidents

    def _is_open(self, key: str) -> bool:
        inc = self.incidents.get(key)
        return inc is not None and inc.is_active

    def signal(self, sig: Signal) -> tuple[Incident | None, list[IncidentEvent]]:
        """Run one signal through the lifecycle; the incident after it and its events."""
        k = route_key(sig, self.config, self._is_open)
        new, events = on_signal(self.incidents.get(k), sig, self.config)
        if new is None:
            if k in self.incidents:
                del self.incidents[k]
        else:
            self.incidents[k] = new
        return new, events


class Engine:
    """Both stages in one process, fed one mention at a time in event time (the backtest)."""

    def __init__(
        self, config: EngineConfig | None = None, enricher: Enricher | None = None
    ) -> None:
        self.config = config or EngineConfig()
        self.enricher = enricher or Enricher()
        self.keys: dict[str, KeyState] = {}
        self.incidents: dict[str, Incident] = {}
        self.invalid: list[InvalidMention] = []
        self.duplicates = 0
        self.detect = DetectStage(self.config, self.keys)
        self.lifecycle = IncidentStage(self.config.lifecycle, self.incidents)
        self._watermark = -math.inf

    def state(self, brand: str) -> KeyState:
        return self.detect.state(brand)[0]

    def signal(self, sig: Signal) -> list[IncidentEvent]:
        """Run one signal through the incident lifecycle."""
        return self.lifecycle.signal(sig)[1]

    def enriched(self, em: EnrichedMention) -> list[IncidentEvent]:
        """Tick every brand up to the mention's time, then detect on it."""
        events: list[IncidentEvent] = []
        events.extend(self.advance(em.ts))

        def emit(sig: Signal) -> None:
            events.extend(self.signal(sig))

        if self.detect.mention(em, emit).duplicate:
            self.duplicates += 1
        return events

    def advance(self, ts: float) -> list[IncidentEvent]:
        """Event time moved to ``ts`` for every brand (closes buckets, resolves)."""
        tick = self.detect.tick
        if not math.isfinite(ts) or ts // tick <= self._watermark:
            return []  # no new tick: nothing for a silent brand to do
        self._watermark = ts // tick
        events: list[IncidentEvent] = []

        def emit(sig: Signal) -> None:
            events.extend(self.signal(sig))

        for brand in list(self.keys):
            self.detect.advance(brand, ts, emit)
        return events

    def run(self, mentions: Iterable[Mention], batch: int = 512) -> Iterator[IncidentEvent]:
        """Enrich in batches (as the worker does) and process in event-time order."""
        buf: list[Mention] = []
        for m in mentions:
            buf.append(m)
            if len(buf) >= batch:
                yield from self._flush(buf)
                buf = []
        yield from self._flush(buf)

    def _flush(self, ms: list[Mention]) -> Iterator[IncidentEvent]:
        for m, e in zip(ms, self.enricher.enrich_batch(ms), strict=True):
            yield from self.enriched(EnrichedMention(m, e))


def read_mentions(lines: Iterable[str | bytes], invalid: list[InvalidMention]) -> list[Mention]:
    """Parse a file of canonical mentions; invalid lines are collected, not fatal."""
    out: list[Mention] = []
    for raw in lines:
        if not raw.strip():
            continue
        try:
            out.append(parse_mention(raw))
        except InvalidMention as exc:
            invalid.append(exc)
    out.sort(key=lambda m: m.created_at)
    return out


def backtest(
    lines: Iterable[str | bytes], config: EngineConfig | None = None
) -> list[dict[str, Any]]:
    """Run a file of mentions and return one summary per incident opened."""
    eng = Engine(config)
    mentions = read_mentions(lines, eng.invalid)
    opened: dict[str, Incident] = {}
    for ev in eng.run(mentions):
        inc = ev.incident
        if (ev.type in ("opened", "reopened") and inc.id not in opened) or inc.id in opened:
            opened[inc.id] = inc
    return [incident_summary(i) for i in sorted(opened.values(), key=lambda i: i.opened_at)]


def dumps(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, sort_keys=False, default=str)
