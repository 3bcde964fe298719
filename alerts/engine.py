"""The whole pipeline in process, in event time: what ``spikewatch backtest`` runs.

The live worker runs the same steps, split across Faust agents: validate
(:func:`detectors.mention.parse_mention`), enrich (:class:`detectors.text.Enricher`),
detect (:class:`detectors.keystate.KeyState`) and the incident lifecycle
(:func:`alerts.incidents.on_signal`), with the same configuration objects and
defaults. Nothing here reads the clock.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
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
from detectors.keystate import KeyState
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


class Engine:
    """Per-brand state and open incidents, fed one mention at a time in event time."""

    def __init__(
        self, config: EngineConfig | None = None, enricher: Enricher | None = None
    ) -> None:
        self.config = config or EngineConfig()
        self.enricher = enricher or Enricher()
        self.keys: dict[str, KeyState] = {}
        self.incidents: dict[str, Incident] = {}
        self.invalid: list[InvalidMention] = []
        self.duplicates = 0

    def state(self, brand: str) -> KeyState:
        st = self.keys.get(brand)
        if st is None:
            st = self.keys[brand] = KeyState(brand, self.config.monitor, self.config.backlog)
        return st

    def _is_open(self, key: str) -> bool:
        inc = self.incidents.get(key)
        return inc is not None and inc.is_active

    def signal(self, sig: Signal) -> list[IncidentEvent]:
        """Run one signal through the incident lifecycle."""
        k = route_key(sig, self.config.lifecycle, self._is_open)
        new, events = on_signal(self.incidents.get(k), sig, self.config.lifecycle)
        if new is None:
            self.incidents.pop(k, None)
        else:
            self.incidents[k] = new
        return events

    def enriched(self, em: EnrichedMention) -> list[IncidentEvent]:
        """Detect on one enriched mention and run its signals through the lifecycle."""
        st = self.state(em.mention.brand)
        # Time moves for every brand: a quiet brand still closes buckets.
        events: list[IncidentEvent] = []
        obs = st.observe(em)
        if obs.duplicate:
            self.duplicates += 1
            return events
        for sig in obs.signals:
            events.extend(self.signal(sig))
        return events

    def advance(self, ts: float) -> list[IncidentEvent]:
        """Event time moved to ``ts`` for every brand (closes buckets, resolves)."""
        events: list[IncidentEvent] = []
        for st in self.keys.values():
            for sig in st.advance(ts):
                events.extend(self.signal(sig))
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
        last = None
        for m, e in zip(ms, self.enricher.enrich_batch(ms), strict=True):
            yield from self.enriched(EnrichedMention(m, e))
            last = m.ts
        if last is not None:
            yield from self.advance(last)


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
