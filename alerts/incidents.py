"""Incident lifecycle as pure functions: open, update, acknowledge, snooze, resolve.

One incident per (brand, kind[, topic]) at a time. :func:`on_signal` folds a
detector :class:`~detectors.signals.Signal` into the current incident of its
key, :func:`on_command` applies a person's click (ack, snooze, resolve). Both
return the new incident and the events that happened, and never read the clock:
time is the event time of the signal or command, so a replay of the same input
gives the same incidents, ids and events.

Hysteresis keeps an incident from flapping:

- severity rises at once but falls one level only after the evidence has stayed
  lower for ``LifecycleConfig.downgrade_seconds``;
- an incident resolves only after ``quiet_seconds`` without an active signal;
- an active signal within ``reopen_seconds`` of a resolution reopens the same
  incident instead of opening a new one.

Examples
--------
>>> from detectors.signals import Signal
>>> cfg = LifecycleConfig(quiet_seconds=600)
>>> hot = Signal("nordbank", "volume_surge", 1000.0, 0.9, True, "medium", {"observed": 40})
>>> inc, events = on_signal(None, hot, cfg)
>>> inc.status, inc.severity, [e.type for e in events]
('open', 'medium', ['opened'])
>>> calm = Signal("nordbank", "volume_surge", 1700.0, 0.1, False, "none", {"observed": 3})
>>> inc, events = on_signal(inc, calm, cfg)
>>> inc.status, [e.type for e in events]
('resolved', ['resolved'])
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from typing import Any

from detectors.signals import SEVERITIES, Signal

STATUSES = ("open", "acknowledged", "snoozed", "resolved")
ACTIONS = ("ack", "snooze", "resolve", "unsnooze")
EVENT_TYPES = (
    "opened",
    "severity_changed",
    "evidence_updated",
    "acknowledged",
    "snoozed",
    "unsnoozed",
    "resolved",
    "reopened",
)
_RANK = {s: i for i, s in enumerate(SEVERITIES)}


def severity_rank(severity: str) -> int:
    """Position of a severity in ``SEVERITIES`` (unknown = 0, "none")."""
    return _RANK.get(severity, 0)


def incident_id(brand: str, kind: str, topic: str | None, opened_at: float) -> str:
    """Deterministic id: the same signal replayed gives the same incident id.

    The id names its brand and kind, so a click on a Slack button can be routed
    to the partition (brand) and table key that hold the incident.

    >>> i = incident_id("nordbank", "volume_surge", None, 1.0)
    >>> i == incident_id("nordbank", "volume_surge", None, 1.0), incident_owner(i)
    (True, ('nordbank', 'nordbank|volume_surge'))
    """
    raw = f"{brand}|{kind}|{topic or ''}|{opened_at:.3f}"
    return f"inc-{brand}~{kind}~" + hashlib.sha256(raw.encode("utf-8")).hexdigest()[:12]


def incident_owner(incident_id: str) -> tuple[str, str]:
    """``(brand, table key)`` of an incident id made by :func:`incident_id`.

    Raises ValueError for anything else.
    """
    if not incident_id.startswith("inc-"):
        raise ValueError("not an incident id")
    parts = incident_id[4:].rsplit("~", 2)
    if len(parts) != 3 or not all(parts):
        raise ValueError("not an incident id")
    brand, kind, _ = parts
    return brand, f"{brand}|{kind}"


@dataclass(frozen=True, slots=True)
class LifecycleConfig:
    """Lifecycle thresholds (seconds of event time).

    ``open_min_severity``: weakest severity that may open an incident.
    ``backlog_open_min_severity``: the same for a reply backlog on its own (a
    backlog joins an open surge or burst at any severity); a "low" backlog, a
    few mentions past the promise, is a nudge for the queue, not an incident.
    ``split_by_topic``: one incident per (brand, kind, topic) instead of (brand, kind).
    """

    quiet_seconds: float = 1800.0
    reopen_seconds: float = 900.0
    downgrade_seconds: float = 1800.0
    open_min_severity: str = "low"
    backlog_open_min_severity: str = "medium"
    snooze_default_minutes: int = 60
    max_snooze_minutes: int = 7 * 24 * 60
    history_points: int = 72
    timeline_entries: int = 50
    split_by_topic: bool = False
    # A joined backlog gets a thread reply when it first joins, when its reason
    # changes, when it grew by ``backlog_note_growth`` since the last reply, or when
    # it changed and ``backlog_note_seconds`` passed; the main message shows the
    # live numbers in between (a reply per bucket buried the thread and Slack's queue).
    backlog_note_growth: float = 1.5
    backlog_note_seconds: float = 1800.0

    def __post_init__(self) -> None:
        if self.backlog_note_growth < 1 or self.backlog_note_seconds < 0:
            raise ValueError("backlog_note_growth must be >= 1 and backlog_note_seconds >= 0")
        for name in ("quiet_seconds", "reopen_seconds", "downgrade_seconds"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be >= 0")
        if self.quiet_seconds <= 0:
            raise ValueError("quiet_seconds must be > 0")
        for name in ("open_min_severity", "backlog_open_min_severity"):
            if getattr(self, name) not in SEVERITIES or getattr(self, name) == "none":
                raise ValueError(f"{name} must be one of {SEVERITIES[1:]}")
        if self.snooze_default_minutes <= 0 or self.max_snooze_minutes <= 0:
            raise ValueError("snooze minutes must be > 0")
        if self.history_points < 2 or self.timeline_entries < 1:
            raise ValueError("history_points must be >= 2 and timeline_entries >= 1")


@dataclass(slots=True)
class Incident:
    """One incident: its status, severity, latest evidence and a bounded history."""

    id: str
    brand: str
    kind: str
    topic: str | None
    status: str
    severity: str
    opened_at: float
    updated_at: float
    last_active_at: float
    resolved_at: float | None = None
    acknowledged_by: str | None = None
    snoozed_until: float | None = None
    resolved_by: str | None = None
    evidence: dict[str, Any] = field(default_factory=dict)
    peak: dict[str, float] = field(default_factory=dict)
    history: list[list[float]] = field(default_factory=list)
    timeline: list[dict[str, Any]] = field(default_factory=list)
    lower_since: float | None = None
    key: str = ""

    @property
    def is_active(self) -> bool:
        """True unless resolved."""
        return self.status != "resolved"

    def duration(self, now: float) -> float:
        """Seconds from opening to resolution (or to ``now`` while it lasts)."""
        end = self.resolved_at if self.resolved_at is not None else now
        return max(0.0, end - self.opened_at)

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable form (stored in a changelogged table)."""
        return {
            "id": self.id,
            "brand": self.brand,
            "kind": self.kind,
            "topic": self.topic,
            "status": self.status,
            "severity": self.severity,
            "opened_at": self.opened_at,
            "updated_at": self.updated_at,
            "last_active_at": self.last_active_at,
            "resolved_at": self.resolved_at,
            "acknowledged_by": self.acknowledged_by,
            "snoozed_until": self.snoozed_until,
            "resolved_by": self.resolved_by,
            "evidence": self.evidence,
            "peak": self.peak,
            "history": [list(p) for p in self.history],
            "timeline": [dict(t) for t in self.timeline],
            "lower_since": self.lower_since,
            "key": self.key,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Incident:
        """Inverse of :meth:`to_dict`."""

        def opt(name: str) -> float | None:
            v = d.get(name)
            return None if v is None else float(v)

        return cls(
            id=str(d["id"]),
            brand=str(d["brand"]),
            kind=str(d["kind"]),
            topic=None if d.get("topic") is None else str(d["topic"]),
            status=str(d["status"]),
            severity=str(d["severity"]),
            opened_at=float(d["opened_at"]),
            updated_at=float(d["updated_at"]),
            last_active_at=float(d["last_active_at"]),
            resolved_at=opt("resolved_at"),
            acknowledged_by=d.get("acknowledged_by"),
            snoozed_until=opt("snoozed_until"),
            resolved_by=d.get("resolved_by"),
            evidence=dict(d.get("evidence") or {}),
            peak={str(k): float(v) for k, v in (d.get("peak") or {}).items()},
            history=[[float(x) for x in p] for p in d.get("history") or []],
            timeline=[dict(t) for t in d.get("timeline") or []],
            lower_since=opt("lower_since"),
            key=str(d.get("key") or ""),
        )


@dataclass(frozen=True, slots=True)
class Command:
    """A person's decision about an incident (from Slack or the CLI)."""

    action: str
    incident_id: str
    user: str
    ts: float
    minutes: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "action": self.action,
            "incident_id": self.incident_id,
            "user": self.user,
            "ts": self.ts,
            "minutes": self.minutes,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Command:
        m = d.get("minutes")
        return cls(
            action=str(d["action"]),
            incident_id=str(d["incident_id"]),
            user=str(d.get("user") or "unknown"),
            ts=float(d["ts"]),
            minutes=None if m is None else int(m),
        )


@dataclass(frozen=True, slots=True)
class IncidentEvent:
    """Something that happened to an incident, at event time ``ts``."""

    type: str
    incident: Incident
    ts: float


def incident_key(sig: Signal, cfg: LifecycleConfig | None = None) -> str:
    """The table key of the incident a signal belongs to: ``brand|kind[|topic]``.

    >>> incident_key(Signal("nordbank|x", "negative_burst", 0.0, 0.5, True))
    'nordbank|negative_burst'
    """
    parts = [sig.brand, sig.kind]
    if cfg is not None and cfg.split_by_topic:
        topic = top_topic(sig.evidence)
        if topic:
            parts.append(topic)
    return "|".join(parts)


def backlog_target_key(brand: str, open_keys: list[str]) -> str:
    """Where a backlog signal goes: the brand's open surge/burst incident, else its own.

    >>> backlog_target_key("nordbank", ["nordbank|negative_burst", "other|volume_surge"])
    'nordbank|negative_burst'
    >>> backlog_target_key("nordbank", [])
    'nordbank|backlog'
    """
    mine = sorted(k for k in open_keys if k.split("|", 1)[0] == brand)
    for kind in ("volume_surge", "negative_burst"):
        for k in mine:
            if k.split("|")[1:2] == [kind]:
                return k
    return f"{brand}|backlog"


def top_topic(evidence: dict[str, Any]) -> str | None:
    """The topic with the most mentions in ``evidence["topics"]`` (ties by name)."""
    topics = evidence.get("topics")
    if not isinstance(topics, dict) or not topics:
        return None
    best: tuple[float, str] | None = None
    for name, count in topics.items():
        try:
            c = float(count)
        except (TypeError, ValueError):
            continue
        cand = (-c, str(name))
        if best is None or cand < best:
            best = cand
    return None if best is None else best[1]


def _num(evidence: dict[str, Any], name: str) -> float:
    v = evidence.get(name)
    try:
        return float(v) if v is not None else 0.0
    except (TypeError, ValueError):
        return 0.0


def _note(inc: Incident, cfg: LifecycleConfig, ts: float, type_: str, **detail: Any) -> None:
    entry: dict[str, Any] = {"ts": ts, "type": type_}
    entry.update({k: v for k, v in detail.items() if v is not None})
    inc.timeline.append(entry)
    del inc.timeline[: -cfg.timeline_entries]


def _add_point(inc: Incident, cfg: LifecycleConfig, sig: Signal) -> None:
    point = [sig.ts, _num(sig.evidence, "observed"), _num(sig.evidence, "expected")]
    if inc.history and inc.history[-1][0] == sig.ts:
        inc.history[-1] = point
    elif not inc.history or sig.ts > inc.history[-1][0]:
        inc.history.append(point)
    del inc.history[: -cfg.history_points]


def _seed_history(sig: Signal, cfg: LifecycleConfig) -> list[list[float]]:
    """Points the detector sent along (``evidence["history"]``: [[ts, obs, exp], ...])."""
    raw = sig.evidence.get("history")
    out: list[list[float]] = []
    if isinstance(raw, list):
        for p in raw:
            try:
                out.append([float(p[0]), float(p[1]), float(p[2])])
            except (TypeError, ValueError, IndexError):
                continue
    out = sorted((p for p in out if p[0] < sig.ts), key=lambda p: p[0])
    return out[-(cfg.history_points - 1) :]


def _effective_severity(sig: Signal) -> str:
    """An active signal without a severity counts as "low"; unknown names as "none"."""
    if sig.severity in _RANK and severity_rank(sig.severity) > 0:
        return sig.severity
    return "low" if sig.active else "none"


def _open(sig: Signal, cfg: LifecycleConfig, key: str) -> Incident:
    topic = top_topic(sig.evidence)
    sev = _effective_severity(sig)
    inc = Incident(
        id=incident_id(sig.brand, sig.kind, topic if cfg.split_by_topic else None, sig.ts),
        brand=sig.brand,
        kind=sig.kind,
        topic=topic,
        status="open",
        severity=sev,
        opened_at=sig.ts,
        updated_at=sig.ts,
        last_active_at=sig.ts,
        evidence=dict(sig.evidence),
        peak={"observed": _num(sig.evidence, "observed"), "score": sig.score},
        history=_seed_history(sig, cfg),
        key=key,
    )
    inc.evidence.pop("history", None)
    _add_point(inc, cfg, sig)
    _note(inc, cfg, sig.ts, "opened", severity=inc.severity, score=round(sig.score, 3))
    return inc


def _copy(inc: Incident) -> Incident:
    return replace(
        inc,
        evidence=dict(inc.evidence),
        peak=dict(inc.peak),
        history=[list(p) for p in inc.history],
        timeline=[dict(t) for t in inc.timeline],
    )


def _join_backlog(inc: Incident, sig: Signal, cfg: LifecycleConfig) -> list[IncidentEvent]:
    """A backlog signal adds its evidence to another kind's open incident."""
    if not sig.active:
        return []
    before = inc.evidence.get("backlog")
    backlog = {k: v for k, v in sig.evidence.items() if k != "history"}
    inc.evidence["backlog"] = backlog
    # updated_at stays: it orders the incident's own signals, and the backlog decides each
    # bucket at a mention's time, after the surge/burst signal stamped at the bucket's start;
    # moving it on made those look out of order, so the incident could never go quiet.
    if before == backlog or not _backlog_news(inc, backlog, sig.ts, cfg):
        return []
    _note(
        inc,
        cfg,
        sig.ts,
        "evidence_updated",
        backlog=str(backlog.get("message") or "")[:200],
        count=backlog.get("backlog"),
        reason=backlog.get("reason"),
    )
    return [IncidentEvent("evidence_updated", inc, sig.ts)]


def _backlog_news(inc: Incident, backlog: dict[str, Any], ts: float, cfg: LifecycleConfig) -> bool:
    """Is this backlog worth a thread reply (see ``LifecycleConfig.backlog_note_*``)?"""
    last = next((e for e in reversed(inc.timeline) if e.get("type") == "evidence_updated"), None)
    if last is None or last.get("reason") != backlog.get("reason"):
        return True
    count, was = float(backlog.get("backlog") or 0), float(last.get("count") or 0)
    if count >= cfg.backlog_note_growth * was and count > was:
        return True
    return count != was and ts - float(last.get("ts") or 0.0) >= cfg.backlog_note_seconds


def on_signal(
    current: Incident | None, sig: Signal, cfg: LifecycleConfig
) -> tuple[Incident | None, list[IncidentEvent]]:
    """Fold one signal into the incident of its key; return it and what happened.

    ``current`` is the incident stored under the signal's key (or ``None``).
    An out-of-order signal older than the incident's last update only adds a
    history point. Bad evidence never raises.
    """
    if current is None and not sig.active:
        return None, []  # the usual inactive signal: nothing to update, nothing to open
    key = current.key if current is not None and current.key else incident_key(sig, cfg)
    sev = _effective_severity(sig)
    floor = cfg.backlog_open_min_severity if sig.kind == "backlog" else cfg.open_min_severity
    opens = sig.active and severity_rank(sev) >= severity_rank(floor)
    if current is None:
        if not opens:
            return None, []
        inc = _open(sig, cfg, key)
        return inc, [IncidentEvent("opened", inc, sig.ts)]

    inc = _copy(current)
    if sig.kind == "backlog" and inc.kind != "backlog":
        return inc, _join_backlog(inc, sig, cfg)
    if sig.ts < inc.updated_at:
        _add_point(inc, cfg, sig)
        return inc, []

    events: list[IncidentEvent] = []
    if inc.status == "resolved":
        assert inc.resolved_at is not None
        if not opens:
            return inc, []
        if sig.ts - inc.resolved_at > cfg.reopen_seconds:
            fresh = _open(sig, cfg, key)
            return fresh, [IncidentEvent("opened", fresh, sig.ts)]
        if inc.resolved_by is not None and severity_rank(sev) <= severity_rank(inc.severity):
            return current, []  # a person resolved it: only worse evidence reopens
        inc.status = "open"
        inc.resolved_at = None
        inc.resolved_by = None
        inc.acknowledged_by = None
        inc.snoozed_until = None
        inc.lower_since = None
        _note(inc, cfg, sig.ts, "reopened", severity=sev)
        events.append(IncidentEvent("reopened", inc, sig.ts))

    inc.updated_at = sig.ts
    _add_point(inc, cfg, sig)

    if inc.status == "snoozed" and inc.snoozed_until is not None and sig.ts >= inc.snoozed_until:
        inc.status = "open"
        inc.snoozed_until = None
        _note(inc, cfg, sig.ts, "unsnoozed")
        events.append(IncidentEvent("unsnoozed", inc, sig.ts))

    if sig.active:
        inc.last_active_at = sig.ts
        old_evidence = inc.evidence
        inc.evidence = {k: v for k, v in sig.evidence.items() if k != "history"}
        if "backlog" in old_evidence and "backlog" not in inc.evidence:
            inc.evidence["backlog"] = old_evidence["backlog"]
        inc.topic = top_topic(sig.evidence) or inc.topic
        inc.peak["observed"] = max(inc.peak.get("observed", 0.0), _num(sig.evidence, "observed"))
        inc.peak["score"] = max(inc.peak.get("score", 0.0), sig.score)
        if not events and old_evidence != inc.evidence:
            events.append(IncidentEvent("evidence_updated", inc, sig.ts))
    elif sig.ts - inc.last_active_at >= cfg.quiet_seconds:
        inc.status = "resolved"
        inc.resolved_at = sig.ts
        inc.resolved_by = None
        inc.lower_since = None
        _note(inc, cfg, sig.ts, "resolved", by="quiet_period")
        events.append(IncidentEvent("resolved", inc, sig.ts))
        return inc, events

    new_sev = _next_severity(inc, sig, cfg)
    if new_sev != inc.severity:
        _note(inc, cfg, sig.ts, "severity_changed", old=inc.severity, new=new_sev)
        inc.severity = new_sev
        events.append(IncidentEvent("severity_changed", inc, sig.ts))
    return inc, events


def _next_severity(inc: Incident, sig: Signal, cfg: LifecycleConfig) -> str:
    """Rise at once; fall one level after ``downgrade_seconds`` of lower evidence."""
    cur = severity_rank(inc.severity)
    sev = _effective_severity(sig)
    seen = severity_rank(sev) if sig.active else 0
    floor = severity_rank(cfg.open_min_severity)
    if seen >= cur:
        inc.lower_since = None
        return sev if seen > cur else inc.severity
    if inc.lower_since is None:
        inc.lower_since = sig.ts
        return inc.severity
    if sig.ts - inc.lower_since >= cfg.downgrade_seconds and cur > floor:
        inc.lower_since = sig.ts
        return SEVERITIES[max(cur - 1, floor, seen)]
    return inc.severity


def on_command(
    current: Incident, cmd: Command, cfg: LifecycleConfig | None = None
) -> tuple[Incident, list[IncidentEvent]]:
    """Apply a person's command; a repeated or stale command changes nothing.

    Commands for another incident id, unknown actions and any command on a
    resolved incident are ignored (no events), so a replayed click is harmless.
    """
    cfg = cfg or LifecycleConfig()
    if cmd.incident_id != current.id or cmd.action not in ACTIONS:
        return current, []
    if current.status == "resolved":
        return current, []
    inc = _copy(current)
    inc.updated_at = max(inc.updated_at, cmd.ts)
    if cmd.action == "ack":
        if inc.status == "acknowledged":
            return current, []
        inc.status = "acknowledged"
        inc.acknowledged_by = cmd.user
        inc.snoozed_until = None
        _note(inc, cfg, cmd.ts, "acknowledged", by=cmd.user)
        return inc, [IncidentEvent("acknowledged", inc, cmd.ts)]
    if cmd.action == "snooze":
        minutes = cmd.minutes if cmd.minutes and cmd.minutes > 0 else cfg.snooze_default_minutes
        minutes = min(minutes, cfg.max_snooze_minutes)
        until = cmd.ts + minutes * 60.0
        if inc.status == "snoozed" and inc.snoozed_until == until:
            return current, []
        inc.status = "snoozed"
        inc.snoozed_until = until
        _note(inc, cfg, cmd.ts, "snoozed", by=cmd.user, minutes=minutes)
        return inc, [IncidentEvent("snoozed", inc, cmd.ts)]
    if cmd.action == "unsnooze":
        if inc.status != "snoozed":
            return current, []
        inc.status = "open"
        inc.snoozed_until = None
        _note(inc, cfg, cmd.ts, "unsnoozed", by=cmd.user)
        return inc, [IncidentEvent("unsnoozed", inc, cmd.ts)]
    inc.status = "resolved"
    inc.resolved_at = cmd.ts
    inc.resolved_by = cmd.user
    inc.snoozed_until = None
    _note(inc, cfg, cmd.ts, "resolved", by=cmd.user)
    return inc, [IncidentEvent("resolved", inc, cmd.ts)]
