"""Incident lifecycle as pure functions: signals open, group, escalate and quieten incidents.

:func:`on_signal` folds a detector :class:`~detectors.signals.Signal` into the
current incident of its key; :func:`~alerts.stages.on_command` (re-exported here)
applies a person's click. Both return the new incident and the events that
happened, and never read the clock: time is the event time of the signal (a
click is applied at the incident's current event time), so a replay of the same
input gives the same incidents, ids and events.

One outage, one incident: with ``LifecycleConfig.group_by_brand`` (the default,
Alertmanager's ``group_by: [brand]``) a brand's volume surge, negative burst and
reply backlog that overlap in time share one incident and one Slack thread. A
backlog on its own opens an incident only at ``backlog_open_min_severity``; next
to a surge or burst it adds its evidence and holds off ``resolved``.

Meaning, not only numbers (:mod:`alerts.impact`): the severity comes from the
impact table (counts and reach, not the ratio alone; never above medium in a
warm-up), a spike without complaints is ``news == "fyi"``, and the title topic
is the dominant complaint over the whole incident, with hysteresis.

Hysteresis keeps an incident from flapping:

- severity rises at once but falls one level only after the evidence has stayed
  lower for ``LifecycleConfig.downgrade_seconds``;
- after ``quiet_seconds`` without an active signal a crisis moves to the
  ``monitoring`` stage and asks a person to resolve it (an FYI resolves itself);
- an active signal within ``reopen_seconds`` of a resolution reopens the same
  incident instead of opening a new one.

Examples
--------
>>> from detectors.signals import Signal
>>> cfg = LifecycleConfig(quiet_seconds=600)
>>> ev = {"observed": 40, "expected": 4, "ratio": 10.0, "negative_share": 0.6,
...       "topics": {"login": 12, "praise": 1}}
>>> hot = Signal("nordbank", "volume_surge", 1000.0, 0.9, True, "high", ev)
>>> inc, events = on_signal(None, hot, cfg)
>>> inc.status, inc.severity, inc.news, inc.topic, [e.type for e in events]
('open', 'high', 'crisis', 'login', ['opened'])
>>> calm = Signal("nordbank", "volume_surge", 1700.0, 0.1, False, "none", {"observed": 3})
>>> inc, events = on_signal(inc, calm, cfg)
>>> inc.status, inc.stage, [e.type for e in events]
('open', 'monitoring', ['stage_changed'])
"""

from __future__ import annotations

from bisect import bisect_left
from typing import Any

from alerts.impact import (
    add_topics,
    impact_severity,
    news_kind,
    num,
    title_topic,
    topic_counts,
)
from alerts.incident_model import (
    ACTIONS,
    EVENT_TYPES,
    GROUP_KIND,
    STAGES,
    STATUSES,
    Command,
    Incident,
    IncidentEvent,
    LifecycleConfig,
    backlog_target_key,
    copy_incident,
    incident_id,
    incident_key,
    incident_owner,
    note,
    severity_rank,
    top_topic,
)
from alerts.stages import backlog_holds, on_command
from detectors.signals import SEVERITIES, Signal

__all__ = [
    "ACTIONS",
    "EVENT_TYPES",
    "GROUP_KIND",
    "STAGES",
    "STATUSES",
    "Command",
    "Incident",
    "IncidentEvent",
    "LifecycleConfig",
    "backlog_target_key",
    "incident_id",
    "incident_key",
    "incident_owner",
    "on_command",
    "on_signal",
    "severity_rank",
    "signal_severity",
    "top_topic",
]

_OWN = ("volume_surge", "negative_burst")


def _add_point(inc: Incident, cfg: LifecycleConfig, sig: Signal) -> None:
    """One chart point per bucket: ``[ts, observed, expected(, negative_share)]``.

    A negative burst's light (inactive) evidence has no volume counts: it only adds
    its share to the point of the same time.
    """
    ev = sig.evidence
    share = ev.get("negative_share")
    # A bucket's early (partial) signal and its close share one point: the bucket's start.
    at = num(ev, "bucket_start") if ev.get("bucket_start") is not None else sig.ts
    point: list[float] = []
    if "observed" in ev:
        point = [at, num(ev, "observed"), num(ev, "expected")]
    times = [p[0] for p in inc.history]
    i = bisect_left(times, at)
    if i < len(times) and times[i] == at:
        last = inc.history[i]
        merged = point or last[:3]
        if share is not None:
            merged = [*merged[:3], num(ev, "negative_share")]
        elif len(last) > 3:
            merged = [*merged[:3], last[3]]
        inc.history[i] = merged
    elif point:
        # A bucket's early signal can come before the close of the bucket before it.
        inc.history.insert(i, point + ([num(ev, "negative_share")] if share is not None else []))
    del inc.history[: -cfg.history_points]


def _seed_history(sig: Signal, cfg: LifecycleConfig) -> list[list[float]]:
    """Points the detector sent along (``evidence["history"]``: [[ts, obs, exp], ...])."""
    raw = sig.evidence.get("history")
    out: list[list[float]] = []
    if isinstance(raw, list):
        for p in raw:
            try:
                out.append([float(x) for x in p[:4]])
            except (TypeError, ValueError):
                continue
            if len(out[-1]) < 3:
                out.pop()
    out = sorted((p for p in out if p[0] < sig.ts), key=lambda p: p[0])
    return out[-(cfg.history_points - 1) :]


def signal_severity(sig: Signal) -> str:
    """The impact severity of a signal (:mod:`alerts.impact`); "none" when not active."""
    if not sig.active:
        return "none"
    return impact_severity(sig.kind, sig.evidence, sig.severity)


def _record_kind(inc: Incident, sig: Signal, sev: str) -> None:
    entry: dict[str, Any] = {"severity": sev, "active": sig.active, "ts": sig.ts}
    if sig.kind == "backlog":
        for k in ("backlog", "clears_in_seconds", "clear_limit_seconds", "reason"):
            entry[k] = sig.evidence.get(k)
    inc.kinds[sig.kind] = entry


def _evidence(sig: Signal) -> dict[str, Any]:
    return {k: v for k, v in sig.evidence.items() if k != "history"}


def _open(sig: Signal, cfg: LifecycleConfig, key: str, sev: str) -> Incident:
    news = news_kind(sig.kind, sig.evidence)
    totals = topic_counts(sig.evidence)
    topic = title_topic(None, totals, news == "crisis")
    grouped = cfg.group_by_brand
    id_topic = topic if (cfg.split_by_topic and not grouped) else None
    inc = Incident(
        id=incident_id(sig.brand, GROUP_KIND if grouped else sig.kind, id_topic, sig.ts),
        brand=sig.brand,
        kind=sig.kind,
        topic=topic,
        status="open",
        severity=sev,
        opened_at=sig.ts,
        updated_at=sig.ts,
        last_active_at=sig.ts,
        evidence=_evidence(sig),
        peak={"observed": num(sig.evidence, "observed"), "score": sig.score},
        history=_seed_history(sig, cfg),
        key=key,
        news=news,
        topic_totals=totals,
        event_time=sig.ts,
    )
    _record_kind(inc, sig, sev)
    if sig.evidence.get("bucket_start") is not None:
        inc.kinds["_topics"] = {"bucket": sig.evidence["bucket_start"], "topics": totals}
    _add_point(inc, cfg, sig)
    note(inc, cfg, sig.ts, "opened", severity=inc.severity, score=round(sig.score, 3), news=news)
    return inc


def _join_backlog(inc: Incident, sig: Signal, cfg: LifecycleConfig) -> list[IncidentEvent]:
    """A backlog signal adds its evidence to a surge's or burst's incident."""
    _record_kind(inc, sig, signal_severity(sig))
    if not sig.active:
        return []
    before = inc.evidence.get("backlog")
    backlog = _evidence(sig)
    inc.evidence["backlog"] = backlog
    # updated_at stays: it orders the incident's own signals, and the backlog decides each
    # bucket at a mention's time, after the surge/burst signal stamped at the bucket's start;
    # moving it on made those look out of order, so the incident could never go quiet.
    if before == backlog or not _backlog_news(inc, backlog, sig.ts, cfg):
        return []
    note(
        inc,
        cfg,
        sig.ts,
        "evidence_updated",
        backlog=str(backlog.get("message") or "")[:200],
        count=backlog.get("backlog"),
        clears=backlog.get("clears_in_seconds"),
        reason=backlog.get("reason"),
    )
    return [IncidentEvent("evidence_updated", inc, sig.ts)]


def _backlog_news(inc: Incident, backlog: dict[str, Any], ts: float, cfg: LifecycleConfig) -> bool:
    """Is this backlog worth a thread reply? Only when it changes the picture: when it
    first joins; when the time to clear it (or, with no clear time known, the backlog)
    grew ``backlog_note_growth`` (2) times since the last reply, at most once per half
    ``backlog_note_seconds``; and at most once per ``backlog_note_seconds`` for another
    reason or a clear time halved (it is clearing).
    The main message shows the live numbers in between."""
    last = next((e for e in reversed(inc.timeline) if e.get("type") == "evidence_updated"), None)
    if last is None:
        return True
    clears, was_clears = backlog.get("clears_in_seconds"), last.get("clears")
    if clears is not None and was_clears is not None:
        grew = float(clears) >= cfg.backlog_note_growth * max(float(was_clears), 1.0)
    else:
        count, was = num(backlog, "backlog"), float(last.get("count") or 0)
        grew = count >= cfg.backlog_note_growth * max(was, 1.0)
    since = ts - float(last.get("ts") or 0.0)
    if grew and since >= cfg.backlog_note_seconds / 2:
        return True
    if since < cfg.backlog_note_seconds:
        return False
    if last.get("reason") != backlog.get("reason"):
        return True
    # Half an hour on, only a changed picture: the backlog is clearing (half the time).
    if clears is not None and was_clears is not None:
        return float(clears) <= float(was_clears) / 2
    return False


def _adopt(inc: Incident, sig: Signal, cfg: LifecycleConfig) -> None:
    """A surge or burst joins an incident a backlog opened: it becomes the incident's kind."""
    backlog = inc.evidence
    inc.kind = sig.kind
    inc.evidence = {"backlog": backlog}
    note(inc, cfg, sig.ts, "evidence_updated", joined=sig.kind)


def _fold_active(inc: Incident, sig: Signal, cfg: LifecycleConfig) -> list[IncidentEvent]:
    events: list[IncidentEvent] = []
    inc.last_active_at = sig.ts
    old_evidence = inc.evidence
    inc.evidence = _evidence(sig)
    if "backlog" in old_evidence and "backlog" not in inc.evidence:
        inc.evidence["backlog"] = old_evidence["backlog"]
    if inc.news == "fyi" and news_kind(sig.kind, sig.evidence) == "crisis":
        inc.news = "crisis"
        note(inc, cfg, sig.ts, "news_changed", news="crisis")
        events.append(IncidentEvent("news_changed", inc, sig.ts))
    _count_topics(inc, sig)
    settled = sig.ts - inc.opened_at >= cfg.topic_settle_seconds
    inc.topic = title_topic(inc.topic if settled else None, inc.topic_totals, inc.news == "crisis")
    inc.peak["observed"] = max(inc.peak.get("observed", 0.0), num(sig.evidence, "observed"))
    inc.peak["score"] = max(inc.peak.get("score", 0.0), sig.score)
    if inc.stage == "monitoring" and inc.stage_before is not None:
        # The evidence is back while the team watched: back to the stage it left.
        old, inc.stage, inc.stage_before = inc.stage, inc.stage_before, None
        note(inc, cfg, sig.ts, "stage_changed", old=old, new=inc.stage, by="evidence")
        events.append(IncidentEvent("stage_changed", inc, sig.ts))
    if not events and old_evidence != inc.evidence:
        events.append(IncidentEvent("evidence_updated", inc, sig.ts))
    return events


def _count_topics(inc: Incident, sig: Signal) -> None:
    """Add the signal's bucket topics to the incident's totals, each bucket once."""
    bucket = sig.evidence.get("bucket_start")
    last = inc.kinds.get("_topics") or {}
    same = bucket is not None and last.get("bucket") == bucket
    before = last.get("topics") if same else None
    inc.topic_totals = add_topics(inc.topic_totals, sig.evidence, before)
    if bucket is not None:
        inc.kinds["_topics"] = {"bucket": bucket, "topics": topic_counts(sig.evidence)}


def _quiet(inc: Incident, sig: Signal, cfg: LifecycleConfig) -> list[IncidentEvent]:
    """No active signal for ``quiet_seconds``: an FYI ends, a crisis asks a person."""
    if inc.news == "fyi":
        inc.status = "resolved"
        inc.stage = "resolved"
        inc.resolved_at = sig.ts
        inc.resolved_by = None
        inc.lower_since = None
        note(inc, cfg, sig.ts, "resolved", by="quiet_period")
        return [IncidentEvent("resolved", inc, sig.ts)]
    events: list[IncidentEvent] = []
    held = backlog_holds(inc)
    if inc.stage in ("investigating", "identified"):
        inc.stage_before, old, inc.stage = inc.stage, inc.stage, "monitoring"
        note(
            inc,
            cfg,
            sig.ts,
            "stage_changed",
            old=old,
            new="monitoring",
            by="quiet_period",
            ask=None if held else "resolve",
            held=held,
        )
        return [IncidentEvent("stage_changed", inc, sig.ts)]
    asked = any(
        e.get("type") == "resolve_suggested" or e.get("ask") == "resolve" for e in inc.timeline
    )
    if inc.stage == "monitoring" and not asked and not held:
        note(inc, cfg, sig.ts, "resolve_suggested", quiet=round(sig.ts - inc.last_active_at))
        events.append(IncidentEvent("resolve_suggested", inc, sig.ts))
    return events


def _expire(inc: Incident, ts: float, cfg: LifecycleConfig) -> None:
    inc.status = "resolved"
    inc.resolved_at = ts
    inc.resolved_by = "expired"
    note(inc, cfg, ts, "resolved", by="expired")


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
    sev = signal_severity(sig)
    floor = cfg.backlog_open_min_severity if sig.kind == "backlog" else cfg.open_min_severity
    if news_kind(sig.kind, sig.evidence) == "fyi" and (current is None or current.news == "fyi"):
        floor = max(floor, cfg.fyi_open_min_severity, key=severity_rank)
    opens = sig.active and severity_rank(sev) >= severity_rank(floor)
    if current is None:
        if not opens:
            return None, []
        inc = _open(sig, cfg, key, sev)
        return inc, [IncidentEvent("opened", inc, sig.ts)]

    inc = copy_incident(current)
    inc.event_time = max(inc.event_time, sig.ts)
    if inc.status != "resolved":
        if sig.kind == "backlog" and inc.kind != "backlog":
            return inc, _join_backlog(inc, sig, cfg)
        if inc.kind == "backlog" and sig.kind != "backlog":
            if not opens:
                return inc, []  # a backlog incident is quieted by its own signals
            _adopt(inc, sig, cfg)
    if sig.ts < inc.updated_at:
        _add_point(inc, cfg, sig)
        return inc, []

    events: list[IncidentEvent] = []
    if inc.status == "resolved":
        assert inc.resolved_at is not None
        if not opens:
            return inc, []
        if sig.ts - inc.resolved_at > cfg.reopen_seconds or inc.resolved_by == "expired":
            fresh = _open(sig, cfg, key, sev)
            return fresh, [IncidentEvent("opened", fresh, sig.ts)]
        if inc.resolved_by is not None and severity_rank(sev) <= severity_rank(inc.severity):
            return current, []  # a person resolved it: only worse evidence reopens
        inc.status = "open"
        inc.stage = "investigating"
        inc.stage_before = None
        inc.resolved_at = None
        inc.resolved_by = None
        inc.acknowledged_by = None
        inc.snoozed_until = None
        inc.lower_since = None
        note(inc, cfg, sig.ts, "reopened", severity=sev)
        events.append(IncidentEvent("reopened", inc, sig.ts))
    elif (
        opens
        and inc.stage == "monitoring"
        and sig.ts - inc.last_active_at >= cfg.expire_seconds
        and sig.kind in (*_OWN, inc.kind)
    ):
        # Long quiet in monitoring and nobody closed it: this is a new outage.
        _expire(inc, sig.ts, cfg)
        fresh = _open(sig, cfg, key, sev)
        return fresh, [
            IncidentEvent("resolved", inc, sig.ts),
            IncidentEvent("opened", fresh, sig.ts),
        ]

    inc.updated_at = sig.ts
    _add_point(inc, cfg, sig)
    _record_kind(inc, sig, sev)

    if inc.status == "snoozed" and inc.snoozed_until is not None and sig.ts >= inc.snoozed_until:
        inc.status = "open"
        inc.snoozed_until = None
        note(inc, cfg, sig.ts, "unsnoozed")
        events.append(IncidentEvent("unsnoozed", inc, sig.ts))

    if sig.active:
        had = bool(events)
        events.extend(
            e for e in _fold_active(inc, sig, cfg) if not (had and e.type == "evidence_updated")
        )
    elif sig.ts - inc.last_active_at >= cfg.quiet_seconds and not _own_active(inc):
        events.extend(_quiet(inc, sig, cfg))
        if inc.status == "resolved":
            return inc, events

    new_sev = _next_severity(inc, cfg)
    if new_sev != inc.severity:
        note(inc, cfg, sig.ts, "severity_changed", old=inc.severity, new=new_sev)
        inc.severity = new_sev
        events.append(IncidentEvent("severity_changed", inc, sig.ts))
    return inc, events


def _own_kinds(inc: Incident) -> tuple[str, ...]:
    return ("backlog",) if inc.kind == "backlog" else _OWN


def _own_active(inc: Incident) -> bool:
    """Is any of the incident's own kinds still active in its latest decision?"""
    return any(bool(inc.kinds.get(k, {}).get("active")) for k in _own_kinds(inc))


def _seen(inc: Incident) -> int:
    """The highest severity of the latest decision of each of the incident's own kinds."""
    ranks = [severity_rank(str(inc.kinds.get(k, {}).get("severity"))) for k in _own_kinds(inc)]
    return max(ranks, default=0)


def _next_severity(inc: Incident, cfg: LifecycleConfig) -> str:
    """Rise at once; fall one level after ``downgrade_seconds`` of lower evidence."""
    cur = severity_rank(inc.severity)
    seen = _seen(inc)
    floor = severity_rank(cfg.open_min_severity)
    if seen >= cur:
        inc.lower_since = None
        return SEVERITIES[seen] if seen > cur else inc.severity
    if inc.lower_since is None:
        inc.lower_since = inc.updated_at
        return inc.severity
    if inc.updated_at - inc.lower_since >= cfg.downgrade_seconds and cur > floor:
        inc.lower_since = inc.updated_at
        return SEVERITIES[max(cur - 1, floor, seen)]
    return inc.severity
