"""When the next public update is due, and when to remind the thread of it.

Pure: every time is passed in. Times are rounded on the team's local clock
(``StatusConfig.timezone``).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from alerts.status_records import STAGES, StatusConfig, _aware


def cadence_for(severity: str, cfg: StatusConfig) -> timedelta:
    return timedelta(minutes=cfg.cadence_minutes.get(severity, cfg.default_cadence_minutes))


def next_update_at(published_at: datetime, severity: str, cfg: StatusConfig) -> datetime:
    """When the next update is due: the severity's cadence after ``published_at``,
    rounded up to ``round_to_minutes`` on the local clock (14.07 + 30 -> 14.40).

    >>> from datetime import timezone
    >>> t = datetime(2026, 11, 24, 12, 7, tzinfo=timezone.utc)
    >>> next_update_at(t, "critical", StatusConfig()).isoformat()
    '2026-11-24T12:40:00+00:00'
    """
    _aware(published_at, "published_at")
    due = published_at + cadence_for(severity, cfg)
    step = cfg.round_to_minutes * 60
    offset = due.astimezone(cfg.zone).utcoffset() or timedelta(0)
    local = due.timestamp() + offset.total_seconds()
    rounded = -(-local // step) * step  # ceiling on the local clock
    return datetime.fromtimestamp(rounded - offset.total_seconds(), tz=UTC)


def reminder_due(
    last_published_at: datetime,
    severity: str,
    now: datetime,
    cfg: StatusConfig,
    already_reminded: bool,
    *,
    due_at: datetime | None = None,
) -> bool:
    """Should the thread be reminded that the next update is due?

    True once ``now`` is within ``remind_before_minutes`` of the due time
    (``due_at``, the time the published update promised, when given; else
    computed from ``last_published_at``), and only if not reminded yet.
    """
    if already_reminded:
        return False
    due = due_at if due_at is not None else next_update_at(last_published_at, severity, cfg)
    return now >= due - timedelta(minutes=cfg.remind_before_minutes)


_STATUS_TO_STAGE = {
    "resolved": "resolved",
    "closed": "resolved",
    "recovering": "monitoring",
    "monitoring": "monitoring",
    "identified": "identified",
    "mitigating": "identified",
}


def stage_for(incident_status: str, kind: str, evidence: Mapping[str, Any]) -> str:
    """Map an incident's lifecycle to a status-update stage (a simple rule).

    resolved/closed -> ``resolved``; the signal no longer active (or
    ``evidence["recovering"]``) -> ``monitoring``; a known cause
    (``evidence["cause"]`` or status ``identified``) -> ``identified``;
    anything else (open, acknowledged, snoozed, escalated) -> ``investigating``.
    ``kind`` does not change the rule today; it is here so it can.

    >>> stage_for("open", "volume_surge", {})
    'investigating'
    >>> stage_for("acknowledged", "negative_burst", {"cause": "DNS"})
    'identified'
    >>> stage_for("open", "volume_surge", {"active": False})
    'monitoring'
    """
    status = (incident_status or "").strip().lower()
    if status in STAGES:
        return status
    if status in _STATUS_TO_STAGE:
        return _STATUS_TO_STAGE[status]
    if evidence.get("recovering") or evidence.get("active") is False:
        return "monitoring"
    if evidence.get("cause"):
        return "identified"
    return "investigating"
