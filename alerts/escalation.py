"""What to send when: the escalation plan for one incident, as a pure function.

:func:`plan` looks at an incident, the policy, the event time ``now`` and the
:class:`~alerts.dedup.SentLog`, and returns every notification that *should*
exist right now, each with a deterministic dedup key:

- ``{id}:{channel}:main`` -- the one message per incident and tier channel:
  "post" the first time, "update" (chat.update in place) afterwards;
- ``{id}:chart:{severity}`` -- the chart PNG in the primary thread, again when
  severity rises above every severity charted before;
- ``{id}:tier:{name}`` -- a thread reply with the tier's mentions when a tier
  without a channel triggers (e.g. not acknowledged in 15 minutes);
- ``{id}:tl:{type}:{ts}`` -- a thread reply per timeline entry (severity
  changed, acknowledged, snoozed, resolved, reopened);
- ``{id}:reminder`` -- a repeating reminder while nobody has acknowledged.

:func:`~alerts.dedup.needs_send` then filters them against what Slack already
accepted; :func:`dispatch` runs the whole pipeline (dedup -> send -> record only
after Slack accepted) against any sender with ``send``/``upload_chart``
(:class:`alerts.slack_delivery.SlackDelivery` or a dry-run printer).

Examples
--------
>>> from alerts.incidents import Incident
>>> from alerts.policy import load_policy
>>> inc = Incident("inc-1", "nordbank", "volume_surge", None, "open", "medium",
...                opened_at=43200.0, updated_at=43200.0, last_active_at=43200.0)
>>> plan(inc, load_policy(), now=43260.0, sent=SentLog())  # group_wait: 5 minutes
[]
>>> [(n.action, n.channel) for n in plan(inc, load_policy(), now=43500.0, sent=SentLog())]
[('post', '#somecare-alerts')]
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any, Protocol

from alerts import i18n
from alerts.chart import render_chart
from alerts.dedup import (
    Decision,
    DeliveryResult,
    Notification,
    SentLog,
    content_hash,
    needs_send,
)
from alerts.incidents import Incident, severity_rank
from alerts.policy import Policy, Tier
from alerts.slack_blocks import (
    escape_mrkdwn,
    fmt_duration,
    incident_blocks,
    severity_name,
    summary_text,
    title,
)
from alerts.slack_timeline import EVENT_TYPES, timeline_text
from detectors.signals import SEVERITIES

__all__ = [
    "Decision",
    "DeliveryResult",
    "DispatchOutcome",
    "Notification",
    "Sender",
    "SentLog",
    "dispatch",
    "main_key",
    "plan",
]

REPLY_TYPES = EVENT_TYPES  # timeline entries worth a thread reply (alerts.slack_timeline)
_PAGING_TYPES = ("severity_changed", "reopened")


def main_key(incident_id: str, channel: str) -> str:
    """Dedup key of the one message per incident in ``channel``."""
    return f"{incident_id}:{channel}:main"


def _state_hash(inc: Incident, tier: str) -> str:
    return content_hash(
        [
            inc.status,
            inc.severity,
            inc.acknowledged_by,
            inc.snoozed_until,
            inc.resolved_at,
            inc.resolved_by,
            inc.stage,
            inc.news,
            inc.topic,
            tier,
        ]
    )


def _triggered(tier: Tier, inc: Incident, age: float) -> bool:
    """Does ``tier`` apply to ``inc`` now (ignoring what was already sent)?

    An incident being watched (``monitoring``) escalates no further.
    """
    if not inc.is_active or severity_rank(inc.severity) < severity_rank(tier.min_severity):
        return False
    if inc.stage == "monitoring":
        return False
    if tier.after_minutes <= 0:
        return True
    if inc.status == "open" and age >= tier.after_minutes * 60.0:
        return True
    return tier.at_severity is not None and (
        severity_rank(inc.severity) >= severity_rank(tier.at_severity)
    )


def _why(tier: Tier, inc: Incident, age: float, lang: str = "en") -> str:
    """Why a tier applies; stable over time so the message does not change every minute."""
    by_time = tier.after_minutes > 0 and age >= tier.after_minutes * 60.0
    if tier.at_severity is not None and not by_time:
        sev = severity_name(severity_rank_name(inc.severity), lang)
        return i18n.t("why.severity", lang, severity=sev)
    return i18n.t(
        "why.unacknowledged", lang, duration=fmt_duration(tier.after_minutes * 60.0, lang)
    )


def severity_rank_name(severity: str) -> str:
    return severity if severity_rank(severity) > 0 else "unknown"


def plan(incident: Incident, policy: Policy, now: float, sent: SentLog) -> list[Notification]:
    """Every notification that should exist for ``incident`` at event time ``now``.

    Main messages come first, so a dispatcher that goes in order has the parent
    of a thread reply recorded before the reply. Silences and quiet hours mark
    new posts and pings ``suppressed``; updates of messages already posted
    still go (they ping nobody).
    """
    inc = incident
    tiers = policy.tiers_for(inc.brand)
    if inc.news != "crisis":
        # An FYI (a spike without complaints) goes to the alerts channel only, pinging nobody.
        tiers = tuple(
            replace(t, mention=(), after_minutes=0, at_severity=None, min_severity="low")
            for t in tiers[:1]
        )
    primary = policy.primary_channel(inc.brand)
    primary_key = main_key(inc.id, primary)
    age = max(0.0, now - inc.opened_at)
    silence = policy.silence_for(inc.brand, inc.kind, inc.topic, now)
    quiet = policy.quiet_min_severity(now)

    def suppressed(pings: bool = True) -> str | None:
        if not pings:
            return None
        if silence is not None:
            return "silenced"
        if quiet is not None and severity_rank(inc.severity) < severity_rank(quiet):
            return "quiet_hours"
        return None

    tz = policy.timezone
    primary_lang = policy.language_for(primary)
    meta = {
        "event_type": "spikewatch_incident",
        "event_payload": {"incident_id": inc.id, "brand": inc.brand, "kind": inc.kind},
    }
    out: list[Notification] = []
    replies: list[Notification] = []
    primary_entry = sent.get(primary_key)
    parent_channel = primary_entry.channel if primary_entry is not None else primary

    waiting = (
        age < policy.group_wait_minutes * 60.0
        and inc.severity != "critical"
        and primary_entry is None
    )
    if waiting:
        return []  # group_wait: the first post gathers what the first minutes bring
    for tier in tiers:
        if tier.channel is not None:
            key = main_key(inc.id, tier.channel)
            entry = sent.get(key)
            note = None
            lang = policy.language_for(tier.channel)
            text = summary_text(inc, now, lang)
            if tier.channel != primary:
                note = i18n.t("escalated", lang, why=_why(tier, inc, age, lang))
            if entry is not None:
                blocks = incident_blocks(inc, now, note=note, lang=lang, tz=tz)
                out.append(
                    Notification(
                        key,
                        entry.channel,
                        "update",
                        text,
                        blocks,
                        inc.id,
                        tier.name,
                        state_hash=_state_hash(inc, tier.name),
                        message_ts=entry.message_ts,
                        min_update_seconds=policy.update_min_seconds,
                        metadata=meta,
                    )
                )
            elif _triggered(tier, inc, age):
                blocks = incident_blocks(inc, now, note=note, lang=lang, tz=tz)
                if tier.mention:
                    blocks.insert(
                        1,
                        {
                            "type": "section",
                            "text": {"type": "mrkdwn", "text": " ".join(tier.mention)},
                        },
                    )
                out.append(
                    Notification(
                        key,
                        tier.channel,
                        "post",
                        text,
                        blocks,
                        inc.id,
                        tier.name,
                        state_hash=_state_hash(inc, tier.name),
                        min_update_seconds=policy.update_min_seconds,
                        suppressed=suppressed(),
                        metadata=meta,
                    )
                )
        elif _triggered(tier, inc, age):
            mentions = " ".join(tier.mention)
            why = _why(tier, inc, age, primary_lang)
            reply = f"{mentions} :arrow_up: {escape_mrkdwn(title(inc, primary_lang))}: {why}"
            replies.append(
                Notification(
                    f"{inc.id}:tier:{tier.name}",
                    parent_channel,
                    "thread_reply",
                    reply.strip(),
                    [],
                    inc.id,
                    tier.name,
                    parent_key=primary_key,
                    suppressed=suppressed(),
                )
            )

    chart_key = f"{inc.id}:chart:{inc.severity}"
    charted = any(
        f"{inc.id}:chart:{sev}" in sent
        for sev in SEVERITIES
        if severity_rank(sev) >= severity_rank(inc.severity)
    )
    if inc.is_active and len(inc.history) >= 2 and not charted:
        # Drawn when sent (chart_png, in the dispatching thread), not on every plan.
        chart = {
            "history": inc.history,
            "opened_at": inc.opened_at,
            "title": title(inc, primary_lang),
            "tz": policy.timezone,
            "lang": primary_lang,
        }
        out.append(
            Notification(
                chart_key,
                parent_channel,
                "chart",
                i18n.t("chart.text", primary_lang, title=title(inc, primary_lang)),
                [],
                inc.id,
                tiers[0].name,
                parent_key=primary_key,
                attachment=None,
                title=f"{title(inc, primary_lang)} ({severity_name(inc.severity, primary_lang)})",
                metadata={"chart": chart},
                suppressed=suppressed(),
            )
        )

    posted_at = primary_entry.first_sent_at if primary_entry is not None else None
    if posted_at is not None:
        for entry_tl in inc.timeline:
            ts = float(entry_tl.get("ts") or 0.0)
            kind = str(entry_tl.get("type"))
            if kind not in REPLY_TYPES or ts <= posted_at:
                continue
            if kind == "stage_changed" and entry_tl.get("by") not in ("quiet_period", "evidence"):
                continue  # a person moved it: the stage's draft reply says so, and the message
            if kind == "severity_changed" and severity_rank(
                str(entry_tl.get("new"))
            ) < severity_rank(str(entry_tl.get("old"))):
                continue  # easing shows in the message updated in place; only a rise is news
            line = timeline_text(entry_tl, primary_lang, tz)
            if line is None:
                continue
            replies.append(
                Notification(
                    f"{inc.id}:tl:{kind}:{ts:.3f}",
                    parent_channel,
                    "thread_reply",
                    line,
                    [],
                    inc.id,
                    tiers[0].name,
                    parent_key=primary_key,
                    suppressed=suppressed(kind in _PAGING_TYPES),
                )
            )

    every = policy.repeat_every_minutes
    reminding = (
        (inc.status == "open" and inc.news == "crisis" and inc.stage != "monitoring")
        and every is not None
        and policy.repeat_max_count > 0
    )
    if reminding and every is not None and age >= every * 60.0:
        pinged = [
            m
            for t in tiers
            if t.channel is None and f"{inc.id}:tier:{t.name}" in sent
            for m in t.mention
        ]
        still = i18n.t(
            "reminder.unacknowledged",
            primary_lang,
            duration=fmt_duration(age, primary_lang),
            title=escape_mrkdwn(title(inc, primary_lang)),
        )
        reply = f"{' '.join(pinged)} {still}".strip()
        replies.append(
            Notification(
                f"{inc.id}:reminder",
                parent_channel,
                "thread_reply",
                reply,
                [],
                inc.id,
                tiers[0].name,
                parent_key=primary_key,
                repeat_seconds=every * 60.0,
                max_count=policy.repeat_max_count,
                suppressed=suppressed(),
            )
        )
    return out + replies


def chart_png(n: Notification) -> bytes:
    """The PNG of a "chart" notification: its attachment, or drawn now from its data.

    :func:`plan` leaves the drawing (matplotlib, a fraction of a CPU second) to the
    moment of sending, which runs off the event loop, once per chart actually sent.
    """
    if n.attachment:
        return n.attachment
    spec = n.metadata.get("chart") if isinstance(n.metadata, dict) else None
    if not isinstance(spec, dict):
        return b""
    return render_chart(
        spec.get("history") or [],
        opened_at=spec.get("opened_at"),
        title=str(spec.get("title") or ""),
        tz=str(spec.get("tz") or "Europe/Helsinki"),
        lang=str(spec.get("lang") or "en"),
    )


class Sender(Protocol):
    """What :func:`dispatch` needs from a delivery (``SlackDelivery`` has it)."""

    def send(self, n: Notification, thread_ts: str | None) -> DeliveryResult: ...

    def upload_chart(
        self, channel: str, thread_ts: str | None, png: bytes, title: str
    ) -> DeliveryResult: ...


@dataclass(frozen=True, slots=True)
class DispatchOutcome:
    """One notification, the dedup decision and (if sent) Slack's answer."""

    notification: Notification
    decision: Decision
    result: DeliveryResult | None = None

    @property
    def recorded(self) -> bool:
        return self.result is not None and self.result.ok

    def summary(self) -> dict[str, Any]:
        r = self.result
        return {
            "dedup_key": self.notification.dedup_key,
            "action": self.notification.action,
            "decision": self.decision.reason,
            "ok": None if r is None else r.ok,
            "error": None if r is None else r.error,
        }


def dispatch(
    notes: Sequence[Notification], sent: SentLog, sender: Sender, now: float
) -> list[DispatchOutcome]:
    """Dedup -> send -> record as sent only after Slack accepted; in order.

    A failed send leaves the log untouched, so the next plan tries again; a
    replay finds the keys recorded and sends nothing.
    """
    outcomes: list[DispatchOutcome] = []
    for n in notes:
        decision = needs_send(n, sent, now)
        if not decision.send:
            outcomes.append(DispatchOutcome(n, decision))
            continue
        thread_ts = sent.thread_ts(n)
        if n.action == "chart":
            result = sender.upload_chart(n.channel, thread_ts, chart_png(n), n.title)
        else:
            result = sender.send(n, thread_ts)
        if result.ok:
            sent.record(n, channel_id=result.channel, message_ts=result.ts, now=now)
        outcomes.append(DispatchOutcome(n, decision, result))
    return outcomes
