"""The incident records: ids, keys, the lifecycle settings, incidents, commands, events.

Plain data (JSON in and out of a changelogged table); the decisions that change
them live in :mod:`alerts.incidents` (signals) and :mod:`alerts.stages` (people).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from typing import Any

from alerts.impact import leading_topic
from detectors.signals import SEVERITIES, Signal

STATUSES = ("open", "acknowledged", "snoozed", "resolved")
STAGES = ("investigating", "identified", "monitoring", "resolved")
ACTIONS = ("ack", "snooze", "resolve", "unsnooze", "identify", "fix")
GROUP_KIND = "incident"  # the kind part of a grouped incident's key and id
EVENT_TYPES = (
    "opened",
    "severity_changed",
    "evidence_updated",
    "acknowledged",
    "snoozed",
    "unsnoozed",
    "resolved",
    "reopened",
    "stage_changed",
    "resolve_suggested",
    "resolve_refused",
    "news_changed",
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
    # A spike without complaints (an FYI) opens only from this severity.
    fyi_open_min_severity: str = "medium"
    # The title topic follows the leading complaint freely this long after opening
    # (the first post waits as long: the policy's group_wait), then with hysteresis.
    topic_settle_seconds: float = 300.0
    # Alertmanager's group_by: every signal of a brand (volume, negative, backlog) that
    # overlaps in time joins the brand's one open incident (one outage, one thread).
    group_by_brand: bool = True
    # A crisis quiet this long after it moved to monitoring is closed as "expired" when
    # new evidence arrives (a new incident opens); only a person resolves it otherwise.
    expire_seconds: float = 12 * 3600.0
    # A joined backlog gets a thread reply when it first joins, when its reason
    # changes, when it grew by ``backlog_note_growth`` since the last reply, or when
    # it changed and ``backlog_note_seconds`` passed; the main message shows the
    # live numbers in between (a reply per bucket buried the thread and Slack's queue).
    backlog_note_growth: float = 2.0  # the clear time (or the backlog) doubled
    backlog_note_seconds: float = 1800.0

    def __post_init__(self) -> None:
        if self.backlog_note_growth < 1 or self.backlog_note_seconds < 0:
            raise ValueError("backlog_note_growth must be >= 1 and backlog_note_seconds >= 0")
        for name in ("quiet_seconds", "reopen_seconds", "downgrade_seconds", "expire_seconds"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be >= 0")
        if self.quiet_seconds <= 0:
            raise ValueError("quiet_seconds must be > 0")
        for name in ("open_min_severity", "backlog_open_min_severity", "fyi_open_min_severity"):
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
    stage: str = "investigating"
    stage_before: str | None = None  # the stage a quiet period left (to go back to)
    news: str = "crisis"  # "crisis" or "fyi" (alerts.impact.news_kind)
    topic_totals: dict[str, float] = field(default_factory=dict)
    kinds: dict[str, dict[str, Any]] = field(default_factory=dict)  # kind -> latest decision
    event_time: float = 0.0  # the newest event time any signal of this incident carried

    @property
    def now(self) -> float:
        """The incident's current event time: where a person's click is applied."""
        return max(self.event_time, self.updated_at)

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
            "stage": self.stage,
            "stage_before": self.stage_before,
            "news": self.news,
            "topic_totals": self.topic_totals,
            "kinds": self.kinds,
            "event_time": self.event_time,
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
            stage=str(d.get("stage") or _legacy_stage(d)),
            stage_before=None if d.get("stage_before") is None else str(d["stage_before"]),
            news=str(d.get("news") or "crisis"),
            topic_totals={str(k): float(v) for k, v in (d.get("topic_totals") or {}).items()},
            kinds={str(k): dict(v) for k, v in (d.get("kinds") or {}).items()},
            event_time=float(d.get("event_time") or d.get("updated_at") or 0.0),
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

    Grouped by brand (the default) every kind of a brand shares one key.

    >>> incident_key(Signal("nordbank|x", "negative_burst", 0.0, 0.5, True))
    'nordbank|incident'
    >>> incident_key(Signal("nordbank|x", "negative_burst", 0.0, 0.5, True),
    ...              LifecycleConfig(group_by_brand=False))
    'nordbank|negative_burst'
    """
    if cfg is None or cfg.group_by_brand:
        return f"{sig.brand}|{GROUP_KIND}"
    parts = [sig.brand, sig.kind]
    if cfg.split_by_topic:
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
    """The topic with the most mentions in ``evidence["topics"]``.

    Ties go to the broader complaint (``alerts.impact.leading_topic``), never the alphabet.

    >>> top_topic({"topics": {"praise": 1, "login": 1}})
    'login'
    """
    topics = evidence.get("topics")
    if not isinstance(topics, dict) or not topics:
        return None
    totals: dict[str, float] = {}
    for name, count in topics.items():
        try:
            totals[str(name)] = float(count)
        except (TypeError, ValueError):
            continue
    return leading_topic(totals, crisis=False)


def _legacy_stage(d: dict[str, Any]) -> str:
    return "resolved" if d.get("status") == "resolved" else "investigating"


def copy_incident(inc: Incident) -> Incident:
    """A copy whose containers can be changed without touching ``inc``."""
    return replace(
        inc,
        evidence=dict(inc.evidence),
        peak=dict(inc.peak),
        history=[list(p) for p in inc.history],
        timeline=[dict(t) for t in inc.timeline],
        topic_totals=dict(inc.topic_totals),
        kinds={k: dict(v) for k, v in inc.kinds.items()},
    )


def note(inc: Incident, cfg: LifecycleConfig, ts: float, type_: str, **detail: Any) -> None:
    """Add an entry to the incident's bounded timeline."""
    entry: dict[str, Any] = {"ts": ts, "type": type_}
    entry.update({k: v for k, v in detail.items() if v is not None})
    inc.timeline.append(entry)
    del inc.timeline[: -cfg.timeline_entries]
