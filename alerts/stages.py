"""The stage machine a communications team works by, and people's commands on it.

Stages (Statuspage's): ``investigating -> identified -> monitoring -> resolved``.

- Buttons move it: "Cause identified" (``identify``), "Fix deployed" (``fix``,
  to ``monitoring``) and "Resolved" (``resolve``).
- Evidence suggests: a quiet period moves a crisis to ``monitoring`` and asks a
  person to resolve it (:func:`alerts.incidents.on_signal`); evidence coming
  back returns it to the stage it left.
- Only a person confirms ``resolved``, and never while a joined reply backlog is
  still above its clear limit (:func:`backlog_holds`); the refusal is an event
  the thread shows.

A command is applied at the incident's current event time (:attr:`Incident.now`),
not at the wall-clock time of the click: a replay, a backtest and the live
stream then give the same stages, drafts and reminders. The click's own time is
kept in the timeline (``clicked_at``) for the record.

Examples
--------
>>> from alerts.incident_model import Incident
>>> inc = Incident("inc-nb~incident~1", "nb", "volume_surge", "login", "open", "high",
...                opened_at=0.0, updated_at=600.0, last_active_at=600.0, event_time=900.0)
>>> inc, ev = on_command(inc, Command("identify", inc.id, "U1", ts=1.7e9))
>>> inc.stage, ev[0].type, ev[0].ts
('identified', 'stage_changed', 900.0)
>>> inc, ev = on_command(inc, Command("fix", inc.id, "U1", ts=1.7e9))
>>> inc, ev = on_command(inc, Command("resolve", inc.id, "U1", ts=1.7e9))
>>> inc.stage, inc.status, inc.resolved_by
('resolved', 'resolved', 'U1')
"""

from __future__ import annotations

from alerts.incident_model import (
    ACTIONS,
    Command,
    Incident,
    IncidentEvent,
    LifecycleConfig,
    copy_incident,
    note,
)

NEXT_STAGE = {
    "investigating": "identified",
    "identified": "monitoring",
    "monitoring": "resolved",
}
_MOVES = {"identify": "identified", "fix": "monitoring"}
_FROM = {
    "identify": ("investigating", "monitoring"),
    "fix": ("investigating", "identified"),
}


def backlog_holds(inc: Incident) -> str | None:
    """Why a joined reply backlog holds off ``resolved`` (``None``: it does not).

    It holds while the time to clear it at the current pace (its latest decision) is
    above its clear limit, or while nothing is being answered at all.

    >>> from alerts.incident_model import Incident
    >>> inc = Incident("i", "nb", "volume_surge", None, "open", "high", 0.0, 0.0, 0.0)
    >>> backlog_holds(inc) is None
    True
    >>> inc.kinds["backlog"] = {"active": False, "backlog": 900, "clears_in_seconds": 9000,
    ...                         "clear_limit_seconds": 7200}
    >>> backlog_holds(inc)
    'the reply backlog (900) clears in 2 h 30 min, above its 2 h 00 min limit'
    """
    b = inc.kinds.get("backlog")
    if not b:
        return None
    count = b.get("backlog")
    clears, limit = b.get("clears_in_seconds"), b.get("clear_limit_seconds")
    if clears is not None and limit is not None and float(clears) > float(limit):
        return (
            f"the reply backlog ({count}) clears in {_dur(float(clears))}, "
            f"above its {_dur(float(limit))} limit"
        )
    if clears is None and b.get("active") and b.get("reason") == "pace":
        return f"the reply backlog ({count}) is not being answered at all"
    return None


def _dur(seconds: float) -> str:
    m = int(max(0.0, seconds) // 60)
    h, m = divmod(m, 60)
    return f"{h} h {m:02d} min" if h else f"{m} min"


def draft_stage(inc: Incident) -> str | None:
    """The stage a public status draft should be written for now (``None``: no draft).

    An FYI (positive or neutral news) never gets a public "problems" draft, and an
    incident closed without a person (an FYI's quiet end, an expired watch) gets no
    ``resolved`` draft: only a person's resolution is news to publish.
    """
    if inc.news != "crisis":
        return None
    if inc.stage == "resolved" or inc.status == "resolved":
        if inc.resolved_by in (None, "expired", "quiet_period"):
            return None
        return "resolved"
    return inc.stage


def on_command(
    current: Incident, cmd: Command, cfg: LifecycleConfig | None = None
) -> tuple[Incident, list[IncidentEvent]]:
    """Apply a person's command at the incident's event time; a repeat changes nothing.

    Commands for another incident id, unknown actions and any command on a
    resolved incident are ignored (no events), so a replayed click is harmless.
    """
    cfg = cfg or LifecycleConfig()
    if cmd.incident_id != current.id or cmd.action not in ACTIONS:
        return current, []
    if current.status == "resolved":
        return current, []
    inc = copy_incident(current)
    ts = inc.now
    clicked = round(cmd.ts, 3)
    if cmd.action == "ack":
        if inc.status == "acknowledged":
            return current, []
        inc.status = "acknowledged"
        inc.acknowledged_by = cmd.user
        inc.snoozed_until = None
        note(inc, cfg, ts, "acknowledged", by=cmd.user, clicked_at=clicked)
        return inc, [IncidentEvent("acknowledged", inc, ts)]
    if cmd.action == "snooze":
        minutes = cmd.minutes if cmd.minutes and cmd.minutes > 0 else cfg.snooze_default_minutes
        minutes = min(minutes, cfg.max_snooze_minutes)
        until = ts + minutes * 60.0
        if inc.status == "snoozed" and inc.snoozed_until == until:
            return current, []
        inc.status = "snoozed"
        inc.snoozed_until = until
        note(inc, cfg, ts, "snoozed", by=cmd.user, minutes=minutes, clicked_at=clicked)
        return inc, [IncidentEvent("snoozed", inc, ts)]
    if cmd.action == "unsnooze":
        if inc.status != "snoozed":
            return current, []
        inc.status = "open"
        inc.snoozed_until = None
        note(inc, cfg, ts, "unsnoozed", by=cmd.user, clicked_at=clicked)
        return inc, [IncidentEvent("unsnoozed", inc, ts)]
    if cmd.action in _MOVES:
        if inc.stage not in _FROM[cmd.action]:
            return current, []
        old, inc.stage, inc.stage_before = inc.stage, _MOVES[cmd.action], None
        if inc.status == "open":
            inc.status = "acknowledged"  # moving the stage is taking it on
            inc.acknowledged_by = cmd.user
        note(inc, cfg, ts, "stage_changed", old=old, new=inc.stage, by=cmd.user, clicked_at=clicked)
        return inc, [IncidentEvent("stage_changed", inc, ts)]
    held = backlog_holds(inc)
    if held is not None:
        note(inc, cfg, ts, "resolve_refused", by=cmd.user, reason=held, clicked_at=clicked)
        return inc, [IncidentEvent("resolve_refused", inc, ts)]
    inc.status = "resolved"
    inc.stage = "resolved"
    inc.stage_before = None
    inc.resolved_at = ts
    inc.resolved_by = cmd.user
    inc.snoozed_until = None
    note(inc, cfg, ts, "resolved", by=cmd.user, clicked_at=clicked)
    return inc, [IncidentEvent("resolved", inc, ts)]
