"""The notify stage's decisions for one incident event, as pure functions.

:func:`notifications` combines the escalation plan (:func:`alerts.escalation.plan`)
with the status-update side: a draft interim update in every configured language
when the incident opens or changes stage (posted in the incident's thread with
Approve / Edit buttons), and a reminder in the thread when the next promised
update is due. :func:`approve` turns an Approve click into a
:class:`~alerts.status.Published` update. What was posted per incident is kept
in a :class:`StatusState` (JSON, in a changelogged table).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from alerts import i18n
from alerts.dedup import Notification, SentLog
from alerts.escalation import main_key, plan
from alerts.incidents import Incident
from alerts.policy import Policy
from alerts.slack_blocks import escape_mrkdwn
from alerts.stages import draft_stage
from alerts.status import (
    Draft,
    IncidentFacts,
    Published,
    StatusConfig,
    next_update_at,
    reminder_due,
    render_drafts,
)
from alerts.status_blocks import channel_name, draft_blocks, lang_name, reminder_text, who_text
from alerts.templating import clock


def _dt(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, tz=UTC)


@dataclass
class StatusState:
    """Per incident: drafts offered, updates published, reminders sent.

    Also what the notify worker needs after a restart or a rebalance: the brand
    (the key the incident's events are partitioned by), ``closed_at`` (event time
    the incident was resolved, for retention) and ``retry`` (what Slack has not
    accepted yet: ``{"ts", "attempt", "due", "incident"}``, tried again with backoff).
    """

    stages: list[str] = field(default_factory=list)
    drafts: dict[str, dict[str, Any]] = field(default_factory=dict)  # "lang:channel" -> Draft
    published: list[dict[str, Any]] = field(default_factory=list)
    next_update_at: float | None = None
    brand: str | None = None
    closed_at: float | None = None
    retry: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "stages": self.stages,
            "drafts": self.drafts,
            "published": self.published[-20:],
            "next_update_at": self.next_update_at,
        }
        if self.brand is not None:
            out["brand"] = self.brand
        if self.closed_at is not None:
            out["closed_at"] = self.closed_at
        if self.retry is not None:
            out["retry"] = self.retry
        return out

    @classmethod
    def from_dict(cls, d: dict[str, Any] | None) -> StatusState:
        d = d or {}
        closed = d.get("closed_at")
        retry = d.get("retry")
        return cls(
            stages=list(d.get("stages") or []),
            drafts=dict(d.get("drafts") or {}),
            published=list(d.get("published") or []),
            next_update_at=d.get("next_update_at"),
            brand=None if d.get("brand") is None else str(d["brand"]),
            closed_at=None if closed is None else float(closed),
            retry=dict(retry) if isinstance(retry, dict) else None,
        )


def facts_for(inc: Incident, stage: str, now: float, display: str | None = None) -> IncidentFacts:
    """The facts a status update may state about ``inc`` at event time ``now``."""
    return IncidentFacts(
        incident_id=inc.id,
        brand=inc.brand,
        brand_display=display or inc.brand.capitalize(),
        topic=inc.topic,
        kind=inc.kind,
        severity=inc.severity if inc.severity != "none" else "low",
        stage=stage,
        started_at=_dt(inc.opened_at),
        now=_dt(now),
    )


def _thread_reply(
    inc: Incident, policy: Policy, key: str, text: str, blocks: list[dict[str, Any]]
) -> Notification:
    primary = policy.primary_channel(inc.brand)
    return Notification(
        key,
        primary,
        "thread_reply",
        text,
        blocks,
        inc.id,
        "status",
        parent_key=main_key(inc.id, primary),
    )


def _draft_note(
    inc: Incident, st: StatusState, cfg: StatusConfig, policy: Policy, stage: str
) -> Notification:
    drafts = [Draft.from_dict(d) for d in st.drafts.values() if d.get("stage") == stage]
    first = next((d for d in drafts if d.lang == cfg.languages[0]), drafts[0])
    lang = team_language(inc, policy)
    text = i18n.t("draft.note", lang, stage=i18n.word("stage", stage, lang), text=first.text)
    return _thread_reply(
        inc, policy, f"{inc.id}:draft:{stage}", text, draft_blocks(drafts, lang=lang)
    )


def team_language(inc: Incident, policy: Policy) -> str:
    """The language of the incident's thread (its primary channel's, alerts.i18n)."""
    return policy.language_for(policy.primary_channel(inc.brand))


def status_notifications(
    inc: Incident, st: StatusState, cfg: StatusConfig, policy: Policy, now: float
) -> list[Notification]:
    """Draft updates for each stage reached, and the next-update reminder when due.

    Drafts are rendered once per stage and kept in ``st``; the same notification
    is planned again until Slack accepted it (dedup drops it afterwards).
    """
    out: list[Notification] = []
    stage = draft_stage(inc)
    if stage is not None and stage not in st.stages and not (stage == "resolved" and not st.stages):
        drafts = render_drafts(facts_for(inc, stage, now), cfg)
        if drafts:
            st.stages.append(stage)
            st.drafts = {k: v for k, v in st.drafts.items() if v.get("stage") in st.stages}
            for d in drafts:
                st.drafts[f"{d.lang}:{d.channel}"] = d.to_dict()
    if st.stages:
        out.append(_draft_note(inc, st, cfg, policy, st.stages[-1]))
    if st.next_update_at is not None and inc.status != "resolved" and st.published:
        last = float(st.published[-1]["published_ts"])
        due = _dt(st.next_update_at)
        # Planned on every event once due; dedup sends it once (the key names the due time).
        if reminder_due(_dt(last), inc.severity, _dt(now), cfg, False, due_at=due):
            facts = facts_for(inc, stage or inc.stage, now)
            text = reminder_text(facts, due, cfg, team_language(inc, policy))
            out.append(
                _thread_reply(
                    inc, policy, f"{inc.id}:next-update:{int(st.next_update_at)}", text, []
                )
            )
    return out


def notifications(
    inc: Incident, st: StatusState, sent: SentLog, policy: Policy, cfg: StatusConfig, now: float
) -> list[Notification]:
    """Everything that should go to Slack for ``inc`` at event time ``now``, in order.

    Drafts wait for the incident's main message (the policy's group_wait), so they are
    written with its settled topic and land in its thread.
    """
    planned = plan(inc, policy, now, sent)
    posted = main_key(inc.id, policy.primary_channel(inc.brand)) in sent or any(
        n.action == "post" for n in planned
    )
    if not posted:
        return planned
    return [*planned, *status_notifications(inc, st, cfg, policy, now)]


def approve(
    inc: Incident,
    st: StatusState,
    cfg: StatusConfig,
    *,
    lang: str,
    channel: str,
    user: str,
    now: float,
    text: str | None = None,
) -> Published | None:
    """Publish the offered draft (or an edited ``text``); ``None`` if there is no such draft."""
    raw = st.drafts.get(f"{lang}:{channel}")
    if raw is None:
        return None
    draft = Draft.from_dict(raw)
    published_at = _dt(now)
    nxt = (
        None
        if draft.stage == "resolved"
        else (draft.next_update_at or next_update_at(published_at, inc.severity, cfg))
    )
    pub = replace(
        Published.from_draft(draft, approved_by=user, published_at=published_at, text=text),
        next_update_at=nxt,
    )
    st.published.append({**pub.to_dict(), "published_ts": now})
    st.next_update_at = nxt.timestamp() if nxt is not None else None
    return pub


def published_note(
    inc: Incident, policy: Policy, cfg: StatusConfig, pub: Published, name: str | None = None
) -> Notification:
    """The thread reply that says an update went out, by whom and when the next one is due.

    ``name`` is the approver's name looked up in Slack (``users.info``); without it a
    user id is written ``<@U…>``, which Slack shows as the person's name.
    """
    lang = team_language(inc, policy)
    nxt = ""
    if pub.next_update_at is not None:
        due = clock(pub.next_update_at.astimezone(cfg.zone), lang)
        nxt = i18n.t("published.note_next", lang, time=due)
    if i18n.lang_of(lang) == "en":
        language, channel = pub.lang, pub.channel
    else:
        language, channel = lang_name(pub.lang, lang), channel_name(pub.channel, lang)
    head = i18n.t(
        "published.note",
        lang,
        language=language,
        channel=channel,
        who=who_text(pub.approved_by, name),
        next=nxt,
    )
    quoted = "\n".join(">" + line for line in escape_mrkdwn(pub.text).split("\n"))
    text = f"{head}\n{quoted}"
    key = f"{inc.id}:published:{pub.lang}:{pub.channel}:{int(pub.published_at.timestamp())}"
    return _thread_reply(inc, policy, key, text, [])
