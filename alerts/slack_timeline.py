"""Thread replies for an incident's timeline entries (stage, severity, clicks, evidence)."""

from __future__ import annotations

from typing import Any

from alerts import i18n
from alerts.slack_blocks import (
    SECTION_LIMIT,
    _count,
    _num,
    escape_mrkdwn,
    fmt_duration,
    fmt_time,
    severity_name,
    stage_name,
    trim,
)

# Timeline entries worth a thread reply; their text is "line.<type>" in alerts.i18n.
EVENT_TYPES = (
    "severity_changed",
    "acknowledged",
    "snoozed",
    "unsnoozed",
    "resolved",
    "reopened",
    "evidence_updated",
    "stage_changed",
    "resolve_suggested",
    "resolve_refused",
    "news_changed",
)


def _who(by: Any, lang: str) -> str:
    return f"<@{escape_mrkdwn(str(by))}>" if by else i18n.t("who.someone", lang)


def _evidence_line(entry: dict[str, Any], lang: str) -> str:
    if i18n.lang_of(lang) == "en":
        return escape_mrkdwn(str(entry.get("backlog")))
    count, clears = _num(entry.get("count")), _num(entry.get("clears"))
    if count is None:
        return i18n.t("backlog.held", lang)
    if clears is None:
        return i18n.t("backlog.note", lang, count=_count(count, lang))
    return i18n.t(
        "backlog.note_clears", lang, count=_count(count, lang), duration=fmt_duration(clears, lang)
    )


def _held(reason: Any, lang: str) -> str:
    """Why it cannot be resolved yet (alerts.stages.backlog_holds: always the backlog)."""
    if i18n.lang_of(lang) == "en":
        return escape_mrkdwn(str(reason))
    return i18n.t("backlog.held", lang)


def timeline_text(entry: dict[str, Any], lang: str = "en", tz: str = "UTC") -> str | None:
    """A thread reply for one timeline entry (None for entries not worth a reply)."""
    kind = str(entry.get("type"))
    if kind not in EVENT_TYPES:
        return None
    if kind == "evidence_updated" and not entry.get("backlog"):
        return None
    t = i18n.t
    by = entry.get("by")
    resolve_button = t("button.resolve", lang)
    if kind == "severity_changed":
        line = t(
            "line.severity_changed",
            lang,
            old=severity_name(str(entry.get("old")), lang),
            new=severity_name(str(entry.get("new")), lang),
        )
    elif kind == "acknowledged":
        line = t("line.acknowledged", lang, by=_who(by, lang))
    elif kind == "snoozed":
        line = t("line.snoozed", lang, minutes=escape_mrkdwn(str(entry.get("minutes", "?"))),
                 by=_who(by, lang))  # fmt: skip
    elif kind == "reopened":
        line = t("line.reopened", lang, severity=severity_name(str(entry.get("severity")), lang))
    elif kind == "evidence_updated":
        line = t("line.evidence_updated", lang, backlog=_evidence_line(entry, lang))
    elif kind == "stage_changed":
        line = t(
            "line.stage_changed",
            lang,
            old=stage_name(str(entry.get("old")), lang),
            new=stage_name(str(entry.get("new")), lang),
        )
    elif kind == "resolve_suggested":
        quiet = fmt_duration(_num(entry.get("quiet")) or 0.0, lang)
        line = t("line.resolve_suggested", lang, quiet=quiet, button=resolve_button)
    elif kind == "resolve_refused":
        line = t("line.resolve_refused", lang, reason=_held(entry.get("reason"), lang))
    else:  # unsnoozed, resolved, news_changed
        line = t(f"line.{kind}", lang)
    if kind == "resolved":
        if by == "expired":
            line += t("line.resolved_expired", lang)
        elif by in (None, "quiet_period"):
            line += t("line.resolved_quiet", lang)
        else:
            line += t("line.by", lang, by=_who(by, lang))
    elif kind == "stage_changed":
        if by == "quiet_period":
            line += t("line.stage_quiet", lang)
            if entry.get("ask") == "resolve":
                line += t("line.stage_ask_resolve", lang, button=resolve_button)
            elif entry.get("held"):
                line += t("line.stage_held", lang, held=_held(entry["held"], lang))
        elif by == "evidence":
            line += t("line.stage_evidence", lang)
        elif by:
            line += t("line.by", lang, by=_who(by, lang))
    return trim(f"{line} · {fmt_time(float(entry.get('ts') or 0.0), lang, tz)}", SECTION_LIMIT)
