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
from typing import Any

from alerts import i18n
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


def fmt_duration(seconds: float, lang: str = "en") -> str:
    """``"45 min"``, ``"2 h 05 min"``, ``"3 d 4 h"`` (:func:`alerts.i18n.duration`).

    >>> fmt_duration(65 * 60)
    '1 h 05 min'
    """
    return i18n.duration(seconds, lang)


def fmt_time(ts: float, lang: str = "en", tz: str = "UTC") -> str:
    """A Slack date token (shown in the reader's time zone), falling back to the team's."""
    fallback = i18n.local_time(ts, lang, tz)
    return f"<!date^{int(ts)}^{{date_short_pretty}} {{time}}|{fallback}>"


def _num(v: Any) -> float | None:
    if isinstance(v, bool):
        return None
    try:
        return float(v)
    except (TypeError, ValueError):
        return None


def _pct(v: Any, lang: str = "en") -> str:
    x = _num(v)
    return "–" if x is None else i18n.percent(x, lang)


def _count(v: Any, lang: str = "en") -> str:
    x = _num(v)
    return "–" if x is None else i18n.count(x, lang)


def severity_name(severity: str, lang: str = "en") -> str:
    """``"high"`` -> "korkea" (fi), "hög" (sv)."""
    return i18n.word("severity", severity, lang)


def stage_name(stage: str, lang: str = "en") -> str:
    """``"identified"`` -> "Syy tunnistettu" (fi), "Orsak identifierad" (sv)."""
    return i18n.word("stage", stage, lang)


def topic_name(topic: str | None, lang: str = "en") -> str:
    """A content-topic key in the team's language (unknown keys as they are)."""
    return i18n.word("topic", topic, lang) if topic else ""


def title(inc: Incident, lang: str = "en") -> str:
    """Stable: the opening kind, the brand and the dominant topic (with hysteresis).

    An FYI (a spike without complaints) says so first.
    """
    key = f"kind.{inc.kind}"
    kind = i18n.t(key, lang) if i18n.has(key) else inc.kind.replace("_", " ").capitalize()
    topic = f" · {topic_name(inc.topic, lang)}" if inc.topic else ""
    text = f"{kind} – {inc.brand}{topic}"
    return i18n.t("title.fyi", lang, title=text) if inc.news == "fyi" else text


def summary_text(inc: Incident, now: float, lang: str = "en") -> str:
    """One-line fallback text (notifications, screen readers); mrkdwn-escaped."""
    ev = inc.evidence
    line = f"{STATUS_EMOJI.get(inc.status, '')} " + i18n.t(
        "summary.line",
        lang,
        title=escape_mrkdwn(title(inc, lang)),
        severity=severity_name(inc.severity, lang),
        status=i18n.word("status", inc.status, lang),
        duration=fmt_duration(inc.duration(now), lang),
    )
    if _num(ev.get("observed")) is not None:
        line += i18n.t(
            "summary.mentions",
            lang,
            observed=_count(ev.get("observed"), lang),
            expected=_count(ev.get("expected"), lang),
        )
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


def _terms_text(top_terms: Any, lang: str = "en") -> str | None:
    if not isinstance(top_terms, list):
        return None
    parts = []
    for t in top_terms[:8]:
        if not isinstance(t, dict) or not t.get("term"):
            continue
        ratio = _num(t.get("ratio"))
        extra = (
            f" ×{i18n.number(ratio, lang)}"
            if ratio is not None
            else f" ({_count(t.get('count'), lang)})"
        )
        parts.append(f"`{escape_mrkdwn(str(t['term']))[:60]}`{extra}")
    return ", ".join(parts) or None


def _samples_text(samples: Any, lang: str = "en") -> str | None:
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
        link = f" <{url}|{i18n.t('block.open_link', lang)}>" if url else ""
        lines.append(f">{text}{link}")
    return "\n".join(lines) or None


def _topics_text(inc: Incident, lang: str = "en") -> str:
    topics = inc.evidence.get("topics")
    if isinstance(topics, dict) and topics:
        ranked = sorted(topics.items(), key=lambda kv: (-(_num(kv[1]) or 0.0), str(kv[0])))[:3]
        return ", ".join(
            f"{escape_mrkdwn(topic_name(str(k), lang))} ({_count(v, lang)})" for k, v in ranked
        )
    return escape_mrkdwn(topic_name(inc.topic, lang)) if inc.topic else "–"


def backlog_text(b: dict[str, Any], lang: str = "en") -> str:
    """The reply backlog in a few words, from the detector's numbers.

    English keeps the detector's own message (it says the same, with its advice).
    """
    message = str(b.get("message") or "")
    if i18n.lang_of(lang) == "en" and message:
        return escape_mrkdwn(message)
    text = i18n.t(
        "backlog.summary",
        lang,
        inflow=_count(b.get("inflow_per_hour"), lang),
        answered=_count(b.get("answered_per_hour"), lang),
        backlog=_count(b.get("backlog"), lang),
    )
    clears = _num(b.get("clears_in_seconds"))
    if clears is not None and (_num(b.get("backlog")) or 0) > 0:
        text += i18n.t("backlog.clears", lang, duration=fmt_duration(clears, lang))
    elif (_num(b.get("backlog")) or 0) > 0:
        text += i18n.t("backlog.no_answers", lang)
    overdue, promise = _num(b.get("overdue")), _num(b.get("promise_seconds"))
    if b.get("reason") == "promise" and overdue and promise:
        text += i18n.t(
            "backlog.overdue", lang, overdue=_count(overdue), promise=fmt_duration(promise, lang)
        )
    return text


def _feedback_menu(inc: Incident, lang: str = "en") -> dict[str, Any] | None:
    """Correction menus under the sample mentions (issue 17; see :mod:`alerts.feedback`)."""
    from alerts.feedback import feedback_block

    topics = inc.evidence.get("topics")
    names = [str(t) for t in topics] if isinstance(topics, dict) else []
    samples = inc.evidence.get("samples")
    return feedback_block(inc.brand, inc.id, samples, [*names, inc.topic or ""], lang)


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


def action_buttons(inc: Incident, lang: str = "en") -> dict[str, Any]:
    """Acknowledge / Snooze, and the stage buttons; every value carries the incident id.

    The stage buttons are the ones that move it on from where it is:
    "Cause identified" (investigating), "Fix deployed" (investigating, identified),
    "Resolved" (always; refused while a joined backlog is over its clear limit).
    """
    t = i18n.t
    elements: list[dict[str, Any]] = []
    if inc.status == "open":
        elements.append(_button(ACTION_ACK, t("button.ack", lang), inc.id, "primary"))
    elements.append(
        _button(
            ACTION_SNOOZE,
            t("button.snooze", lang, hours=SNOOZE_MINUTES // 60),
            f"{inc.id}|{SNOOZE_MINUTES}",
        )
    )
    if inc.news == "crisis":
        if inc.stage in ("investigating", "monitoring"):
            elements.append(_button(ACTION_IDENTIFY, t("button.identify", lang), inc.id))
        if inc.stage in ("investigating", "identified"):
            elements.append(_button(ACTION_FIX, t("button.fix", lang), inc.id))
    resolve = _button(ACTION_RESOLVE, t("button.resolve", lang), inc.id, "danger")
    resolve["confirm"] = {
        "title": {"type": "plain_text", "text": t("confirm.resolve_title", lang)},
        "text": {"type": "plain_text", "text": t("confirm.resolve_text", lang)},
        "confirm": {"type": "plain_text", "text": t("button.resolve", lang)},
        "deny": {"type": "plain_text", "text": t("button.cancel", lang)},
    }
    elements.append(resolve)
    return {"type": "actions", "block_id": f"incident_actions:{inc.id}", "elements": elements}


def incident_blocks(
    inc: Incident, now: float, *, note: str | None = None, lang: str = "en", tz: str = "UTC"
) -> list[dict[str, Any]]:
    """The one message per incident (updated in place): facts, samples, buttons.

    ``lang`` is the channel's language (fi, en, sv), ``tz`` the team's time zone.
    """
    t = i18n.t
    ev = inc.evidence
    emoji = STATUS_EMOJI.get(inc.status, "")
    blocks: list[dict[str, Any]] = [
        {
            "type": "header",
            "text": {"type": "plain_text", "text": trim(plain(title(inc, lang)), HEADER_LIMIT)},
        }
    ]
    status = i18n.word("status", inc.status, lang)
    if inc.status == "acknowledged" and inc.acknowledged_by:
        status = t("status.by", lang, status=status, who=f"<@{escape_mrkdwn(inc.acknowledged_by)}>")
    elif inc.status == "snoozed" and inc.snoozed_until:
        status = t("status.until", lang, status=status, time=fmt_time(inc.snoozed_until, lang, tz))
    elif inc.status == "resolved":
        status = (
            t("status.by", lang, status=status, who=f"<@{escape_mrkdwn(inc.resolved_by)}>")
            if inc.resolved_by
            else t("status.quiet", lang, status=status)
        )
    ratio = _num(ev.get("ratio"))
    observed = t(
        "field.mentions_value",
        lang,
        observed=_count(ev.get("observed"), lang),
        expected=_count(ev.get("expected"), lang),
    )
    if ratio is not None:
        observed += f" (×{i18n.number(ratio, lang)})"
    crisis = inc.news == "crisis"
    pairs = [
        (t("field.status", lang), f"{emoji} {status}"),
        (
            t("field.stage" if crisis else "field.news", lang),
            stage_name(inc.stage, lang) if crisis else t("field.fyi", lang),
        ),
        (t("field.severity", lang), severity_name(inc.severity, lang)),
        (t("field.mentions", lang), observed),
        (
            t("field.negative", lang),
            t(
                "field.negative_value",
                lang,
                share=_pct(ev.get("negative_share"), lang),
                baseline=_pct(ev.get("baseline_share"), lang),
            ),
        ),
        (t("field.topic", lang), _topics_text(inc, lang)),
        (
            t("field.going_on", lang),
            t(
                "field.going_on_value",
                lang,
                duration=fmt_duration(inc.duration(now), lang),
                time=fmt_time(inc.opened_at, lang, tz),
            ),
        ),
    ]
    peak = inc.peak.get("observed")
    if peak:
        pairs.append((t("field.peak", lang), _count(peak, lang)))
    blocks.append(_fields(pairs))
    terms = _terms_text(ev.get("top_terms"), lang)
    if terms:
        blocks.append(_section(t("block.terms", lang, terms=terms)))
    samples = _samples_text(ev.get("samples"), lang)
    if samples:
        blocks.append(_section(f"{t('block.samples', lang)}\n{samples}"))
    feedback = _feedback_menu(inc, lang)
    if feedback is not None:
        blocks.append(feedback)
    backlog = ev.get("backlog") if inc.kind != "backlog" else ev
    if isinstance(backlog, dict) and backlog.get("message"):
        blocks.append(_section(t("block.backlog", lang, backlog=backlog_text(backlog, lang))))
    if note:
        blocks.append(_section(note))
    if inc.status != "resolved":
        blocks.append(action_buttons(inc, lang))
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
