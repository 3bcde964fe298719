"""Block Kit rendering of incidents: pure functions from an incident to text and blocks.

Mention texts are user content: :func:`escape_mrkdwn` escapes ``&``, ``<`` and
``>`` as Slack asks and breaks ``@channel``/``@here``/``@everyone`` so a post can
never ping anyone or break the message. Every text is trimmed to Slack's limits
(section text 3000 characters, header 150, 50 blocks per message).

Examples
--------
>>> escape_mrkdwn("<!channel> fees & <@U123> @here")
'&lt;!channel&gt; fees &amp; &lt;@U123&gt; @\u200bhere'
>>> len(trim("x" * 5000, SECTION_LIMIT))
3000
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from alerts.dedup import Notification
from alerts.incidents import Incident

SECTION_LIMIT = 3000
HEADER_LIMIT = 150
FIELD_LIMIT = 2000
MAX_BLOCKS = 50
MAX_FIELDS = 10
TEXT_LIMIT = 3900
SAMPLE_CHARS = 280
BUTTON_VALUE_LIMIT = 2000

ACTION_ACK = "spikewatch_ack"
ACTION_SNOOZE = "spikewatch_snooze"
ACTION_RESOLVE = "spikewatch_resolve"
ACTION_IDENTIFY = "spikewatch_identify"
ACTION_FIX = "spikewatch_fix"
SNOOZE_MINUTES = 60

KIND_TITLES = {
    "volume_surge": "Volume surge",
    "negative_burst": "Negative-sentiment burst",
    "backlog": "Reply backlog",
}
STATUS_EMOJI = {
    "open": ":rotating_light:",
    "acknowledged": ":eyes:",
    "snoozed": ":zzz:",
    "resolved": ":white_check_mark:",
}
_BROADCAST = re.compile(r"@(?=(channel|here|everyone)\b)", re.IGNORECASE)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def escape_mrkdwn(text: str) -> str:
    """Escape user text for a mrkdwn field; no mention, link or broadcast survives."""
    s = _CONTROL.sub("", str(text))
    s = s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _BROADCAST.sub("@\u200b", s)


def plain(text: str) -> str:
    """Text for a plain_text field (no mrkdwn parsing, but no broadcast words either)."""
    return _BROADCAST.sub("@\u200b", _CONTROL.sub("", str(text)))


def trim(text: str, limit: int) -> str:
    """Cut to ``limit`` characters, ending with an ellipsis when cut."""
    return text if len(text) <= limit else text[: max(0, limit - 1)] + "…"


def safe_url(url: Any) -> str | None:
    """An http(s) URL usable inside ``<url|label>``, or None."""
    if not isinstance(url, str) or not url.startswith(("https://", "http://")):
        return None
    if any(c in url for c in "<>| \n\t"):
        return None
    return url


def fmt_duration(seconds: float) -> str:
    """``"45 min"``, ``"2 h 05 min"``, ``"3 d 4 h"``.

    >>> fmt_duration(65 * 60)
    '1 h 05 min'
    """
    m = int(max(0.0, seconds) // 60)
    if m < 60:
        return f"{m} min"
    h, m = divmod(m, 60)
    if h < 48:
        return f"{h} h {m:02d} min"
    d, h = divmod(h, 24)
    return f"{d} d {h} h"


def fmt_time(ts: float) -> str:
    """A Slack date token (shown in the reader's time zone) with a UTC fallback."""
    fallback = datetime.fromtimestamp(ts, tz=UTC).strftime("%Y-%m-%d %H:%M UTC")
    return f"<!date^{int(ts)}^{{date_short_pretty}} {{time}}|{fallback}>"


def _num(v: Any) -> float | None:
    if isinstance(v, bool):
        return None
    try:
        return float(v)
    except (TypeError, ValueError):
        return None


def _pct(v: Any) -> str:
    x = _num(v)
    return "–" if x is None else f"{100 * x:.0f} %"


def _count(v: Any) -> str:
    x = _num(v)
    if x is None:
        return "–"
    return f"{x:.0f}" if abs(x) >= 10 or x == int(x) else f"{x:.1f}"


def title(inc: Incident) -> str:
    """Stable: the opening kind, the brand and the dominant topic (with hysteresis).

    An FYI (a spike without complaints) says so first.
    """
    kind = KIND_TITLES.get(inc.kind, inc.kind.replace("_", " ").capitalize())
    topic = f" · {inc.topic}" if inc.topic else ""
    fyi = "FYI: " if inc.news == "fyi" else ""
    return f"{fyi}{kind} – {inc.brand}{topic}"


def summary_text(inc: Incident, now: float) -> str:
    """One-line fallback text (notifications, screen readers); mrkdwn-escaped."""
    ev = inc.evidence
    line = (
        f"{STATUS_EMOJI.get(inc.status, '')} {escape_mrkdwn(title(inc))}: "
        f"{inc.severity} severity, {inc.status}, for {fmt_duration(inc.duration(now))}"
    )
    if _num(ev.get("observed")) is not None:
        line += f"; {_count(ev.get('observed'))} mentions vs {_count(ev.get('expected'))} expected"
    return trim(line, TEXT_LIMIT)


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": trim(text, SECTION_LIMIT)}}


def _fields(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    return {
        "type": "section",
        "fields": [
            {"type": "mrkdwn", "text": trim(f"*{k}*\n{v}", FIELD_LIMIT)}
            for k, v in pairs[:MAX_FIELDS]
        ],
    }


def _terms_text(top_terms: Any) -> str | None:
    if not isinstance(top_terms, list):
        return None
    parts = []
    for t in top_terms[:8]:
        if not isinstance(t, dict) or not t.get("term"):
            continue
        ratio = _num(t.get("ratio"))
        extra = f" ×{ratio:.1f}" if ratio is not None else f" ({_count(t.get('count'))})"
        parts.append(f"`{escape_mrkdwn(str(t['term']))[:60]}`{extra}")
    return ", ".join(parts) or None


def _samples_text(samples: Any) -> str | None:
    if not isinstance(samples, list):
        return None
    lines = []
    for s in samples[:3]:
        if not isinstance(s, dict):
            continue
        text = escape_mrkdwn(trim(" ".join(str(s.get("text") or "").split()), SAMPLE_CHARS))
        if not text:
            continue
        url = safe_url(s.get("url"))
        link = f" <{url}|open>" if url else ""
        lines.append(f">{text}{link}")
    return "\n".join(lines) or None


def _topics_text(inc: Incident) -> str:
    topics = inc.evidence.get("topics")
    if isinstance(topics, dict) and topics:
        ranked = sorted(topics.items(), key=lambda kv: (-(_num(kv[1]) or 0.0), str(kv[0])))[:3]
        return ", ".join(f"{escape_mrkdwn(str(k))} ({_count(v)})" for k, v in ranked)
    return escape_mrkdwn(inc.topic) if inc.topic else "–"


def _feedback_menu(inc: Incident) -> dict[str, Any] | None:
    """Correction menus under the sample mentions (issue 17; see :mod:`alerts.feedback`)."""
    from alerts.feedback import feedback_block

    topics = inc.evidence.get("topics")
    names = [str(t) for t in topics] if isinstance(topics, dict) else []
    return feedback_block(inc.brand, inc.id, inc.evidence.get("samples"), [*names, inc.topic or ""])


def _button(action_id: str, label: str, value: str, style: str | None = None) -> dict[str, Any]:
    b: dict[str, Any] = {
        "type": "button",
        "action_id": action_id,
        "text": {"type": "plain_text", "text": label},
        "value": value,
    }
    if style:
        b["style"] = style
    return b


def action_buttons(inc: Incident) -> dict[str, Any]:
    """Acknowledge / Snooze, and the stage buttons; every value carries the incident id.

    The stage buttons are the ones that move it on from where it is:
    "Cause identified" (investigating), "Fix deployed" (investigating, identified),
    "Resolved" (always; refused while a joined backlog is over its clear limit).
    """
    elements: list[dict[str, Any]] = []
    if inc.status == "open":
        elements.append(_button(ACTION_ACK, "Acknowledge", inc.id, "primary"))
    elements.append(
        _button(ACTION_SNOOZE, f"Snooze {SNOOZE_MINUTES // 60} h", f"{inc.id}|{SNOOZE_MINUTES}")
    )
    if inc.news == "crisis":
        if inc.stage in ("investigating", "monitoring"):
            elements.append(_button(ACTION_IDENTIFY, "Cause identified", inc.id))
        if inc.stage in ("investigating", "identified"):
            elements.append(_button(ACTION_FIX, "Fix deployed", inc.id))
    resolve = _button(ACTION_RESOLVE, "Resolved", inc.id, "danger")
    resolve["confirm"] = {
        "title": {"type": "plain_text", "text": "Resolve incident?"},
        "text": {"type": "plain_text", "text": "A resolved draft is offered; alerts for it stop."},
        "confirm": {"type": "plain_text", "text": "Resolved"},
        "deny": {"type": "plain_text", "text": "Cancel"},
    }
    elements.append(resolve)
    return {"type": "actions", "block_id": f"incident_actions:{inc.id}", "elements": elements}


def incident_blocks(inc: Incident, now: float, *, note: str | None = None) -> list[dict[str, Any]]:
    """The one message per incident (updated in place): facts, samples, buttons."""
    ev = inc.evidence
    emoji = STATUS_EMOJI.get(inc.status, "")
    blocks: list[dict[str, Any]] = [
        {
            "type": "header",
            "text": {"type": "plain_text", "text": trim(plain(f"{title(inc)}"), HEADER_LIMIT)},
        }
    ]
    status = inc.status
    if inc.status == "acknowledged" and inc.acknowledged_by:
        status += f" by <@{escape_mrkdwn(inc.acknowledged_by)}>"
    elif inc.status == "snoozed" and inc.snoozed_until:
        status += f" until {fmt_time(inc.snoozed_until)}"
    elif inc.status == "resolved":
        status += f" by <@{escape_mrkdwn(inc.resolved_by)}>" if inc.resolved_by else " (quiet)"
    ratio = _num(ev.get("ratio"))
    observed = f"{_count(ev.get('observed'))} vs {_count(ev.get('expected'))} expected"
    if ratio is not None:
        observed += f" (×{ratio:.1f})"
    pairs = [
        ("Status", f"{emoji} {status}"),
        ("Stage" if inc.news == "crisis" else "News", inc.stage if inc.news == "crisis" else "FYI"),
        ("Severity", inc.severity),
        ("Mentions per bucket", observed),
        (
            "Negative share",
            f"{_pct(ev.get('negative_share'))} (baseline {_pct(ev.get('baseline_share'))})",
        ),
        ("Topic", _topics_text(inc)),
        ("Going on for", f"{fmt_duration(inc.duration(now))} (since {fmt_time(inc.opened_at)})"),
    ]
    peak = inc.peak.get("observed")
    if peak:
        pairs.append(("Peak", _count(peak)))
    blocks.append(_fields(pairs))
    terms = _terms_text(ev.get("top_terms"))
    if terms:
        blocks.append(_section(f"*Surging terms:* {terms}"))
    samples = _samples_text(ev.get("samples"))
    if samples:
        blocks.append(_section(f"*Sample mentions*\n{samples}"))
    feedback = _feedback_menu(inc)
    if feedback is not None:
        blocks.append(feedback)
    backlog = ev.get("backlog") if inc.kind != "backlog" else ev
    if isinstance(backlog, dict) and backlog.get("message"):
        blocks.append(_section(f"*Backlog:* {escape_mrkdwn(str(backlog['message']))}"))
    if note:
        blocks.append(_section(note))
    if inc.status != "resolved":
        blocks.append(action_buttons(inc))
    blocks.append(
        {
            "type": "context",
            "elements": [{"type": "mrkdwn", "text": f"spikewatch · `{inc.id}`"}],
        }
    )
    return fit_blocks(blocks)


def fit_blocks(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Keep at most 50 blocks, keeping the last one (context/buttons) when cutting."""
    if len(blocks) <= MAX_BLOCKS:
        return blocks
    return blocks[: MAX_BLOCKS - 1] + blocks[-1:]


EVENT_LINES = {
    "severity_changed": "Severity changed: {old} → {new}",
    "acknowledged": "Acknowledged by <@{by}>",
    "snoozed": "Snoozed for {minutes} min by <@{by}>",
    "unsnoozed": "Snooze ended",
    "resolved": "Resolved",
    "reopened": "Reopened: the evidence is back ({severity})",
    "evidence_updated": "Backlog: {backlog}",
    "stage_changed": "Stage: {old} → {new}",
    "resolve_suggested": (
        "Quiet for {quiet_text}: if it is over, press *Resolved* for the resolved draft"
    ),
    "resolve_refused": "Not resolved: {reason}",
    "news_changed": "Complaints now: this is a crisis, not only news",
}


def timeline_text(entry: dict[str, Any]) -> str | None:
    """A thread reply for one timeline entry (None for entries not worth a reply)."""
    fmt = EVENT_LINES.get(str(entry.get("type")))
    if fmt is None:
        return None
    if entry.get("type") == "evidence_updated" and not entry.get("backlog"):
        return None
    values = {k: escape_mrkdwn(str(v)) for k, v in entry.items()}
    values.setdefault("by", "someone")
    values.setdefault("minutes", "?")
    values["quiet_text"] = fmt_duration(_num(entry.get("quiet")) or 0.0)
    try:
        line = fmt.format(**values)
    except (KeyError, IndexError):
        line = str(entry.get("type"))
    by = entry.get("by")
    if entry.get("type") == "resolved":
        if by == "expired":
            line += " (watched quietly too long; a new outage opens a new incident)"
        else:
            line += (
                " (quiet period)" if by in (None, "quiet_period") else f" by <@{escape_mrkdwn(by)}>"
            )
    elif entry.get("type") == "stage_changed":
        if by == "quiet_period":
            line += " (quiet period: is the fix holding?)"
            if entry.get("ask") == "resolve":
                line += " If it is over, press *Resolved* for the resolved draft."
            elif entry.get("held"):
                line += f" Not over yet: {escape_mrkdwn(str(entry['held']))}."
        elif by == "evidence":
            line += " (the evidence is back)"
        elif by:
            line += f" by <@{escape_mrkdwn(by)}>"
    return trim(f"{line} · {fmt_time(float(entry.get('ts') or 0.0))}", SECTION_LIMIT)


def render_console(n: Notification) -> str:
    """Dry-run printer: what would be posted, as plain text for the console."""
    where = n.channel + (f" (thread of {n.parent_key})" if n.parent_key else "")
    lines = [f"--- {n.action} -> {where} [{n.dedup_key}]"]
    if n.suppressed:
        lines.append(f"(suppressed: {n.suppressed})")
    for b in n.blocks:
        t = b.get("type")
        if t == "header":
            lines.append(f"== {b['text']['text']} ==")
        elif t == "section":
            if "text" in b:
                lines.append(_unslack(b["text"]["text"]))
            for f in b.get("fields", []):
                lines.append(_unslack(f["text"]).replace("\n", ": ", 1))
        elif t == "actions":
            labels = ((e.get("text") or e.get("placeholder") or {}) for e in b["elements"])
            lines.append("[" + "] [".join(str(t.get("text", "")) for t in labels) + "]")
        elif t == "context":
            lines.append(" ".join(_unslack(e.get("text", "")) for e in b["elements"]))
    if not n.blocks:
        lines.append(_unslack(n.text))
    if n.attachment:
        lines.append(f"(chart: {n.title or 'PNG'}, {len(n.attachment)} bytes)")
    return "\n".join(lines)


_DATE_TOKEN = re.compile(r"<!date\^\d+\^[^|>]*\|([^>]*)>")
_LINK = re.compile(r"<(https?://[^|>]+)\|([^>]*)>")


def _unslack(text: str) -> str:
    s = _DATE_TOKEN.sub(r"\1", text)
    s = _LINK.sub(r"\2 (\1)", s)
    return s.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&").replace("\u200b", "")
