"""Slack Block Kit for status-update drafts: the thread message, the Edit modal,
the published note and the cadence reminder. Pure: dicts in, dicts out.

Button and modal payloads carry an :class:`ActionRef` (incident, language,
channel, stage, template version) as compact JSON, so the handler of a click
knows exactly which draft was approved, and can refuse it when the draft was
re-rendered from another template version in between.

Examples
--------
>>> from datetime import datetime, timezone
>>> d = Draft("inc-1", "fi", "x", "investigating", "Nordbankin verkkopankissa on häiriö.",
...           "outage/investigating.fi", "abc123", None)
>>> blocks = draft_blocks([d])
>>> [b["type"] for b in blocks]
['header', 'section', 'context', 'actions']
>>> ref = ActionRef.from_value(blocks[-1]["elements"][0]["value"])
>>> ref.incident_id, ref.lang, ref.template_version
('inc-1', 'fi', 'abc123')
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from alerts import i18n
from alerts.status import (
    Draft,
    IncidentFacts,
    Published,
    StatusConfig,
    text_length,
)
from alerts.templating import clock, when

ACTION_APPROVE = "spikewatch_status_approve"
ACTION_EDIT = "spikewatch_status_edit"
MODAL_CALLBACK = "spikewatch_status_edit_modal"
MODAL_BLOCK = "status_text"
MODAL_ACTION = "text"
LANG_NAMES = {"fi": "Finnish", "en": "English", "sv": "Swedish"}  # English names (see _lang_name)
CHANNEL_NAMES = {"status_page": "status page", "x": "X"}
SECTION_MAX = 3000  # Slack's limit for a section's text
_DEFAULT_LIMITS = {"status_page": 1500, "x": 280}


@dataclass(frozen=True)
class ActionRef:
    """Which draft a button or modal refers to."""

    incident_id: str
    lang: str
    channel: str
    stage: str
    template_version: str

    def to_value(self) -> str:
        """Compact JSON for a button ``value`` or a modal's ``private_metadata``."""
        return json.dumps(
            {
                "i": self.incident_id,
                "l": self.lang,
                "c": self.channel,
                "s": self.stage,
                "v": self.template_version,
            },
            separators=(",", ":"),
            ensure_ascii=False,
        )

    @classmethod
    def from_value(cls, value: str) -> ActionRef:
        """Parse :meth:`to_value`'s output; ValueError on anything else."""
        try:
            d = json.loads(value)
            return cls(str(d["i"]), str(d["l"]), str(d["c"]), str(d["s"]), str(d["v"]))
        except (ValueError, KeyError, TypeError):
            raise ValueError("not a status draft reference") from None

    @classmethod
    def of(cls, draft: Draft) -> ActionRef:
        return cls(
            draft.incident_id, draft.lang, draft.channel, draft.stage, draft.template_version
        )

    def matches(self, draft: Draft) -> bool:
        return self == ActionRef.of(draft)


def escape_mrkdwn(text: str) -> str:
    """Escape the three characters Slack's mrkdwn treats as control characters."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def lang_name(code: str, lang: str) -> str:
    """A draft's language named in the team's language ("suomi", "English", "finska")."""
    return i18n.word("lang", code, lang) if code in LANG_NAMES else code


def channel_name(code: str, lang: str) -> str:
    return i18n.word("channel", code, lang) if code in CHANNEL_NAMES else code


def who_text(user: str, name: str | None) -> str:
    """A person: the looked-up ``name``, else a Slack user id as ``<@U…>`` (Slack shows the
    name), else the text as written."""
    if name:
        return escape_mrkdwn(name)
    if user[:1] in ("U", "W") and user.isalnum():
        return f"<@{user}>"
    return escape_mrkdwn(user)


def _plain(text: str, limit: int = 150) -> dict[str, Any]:
    return {"type": "plain_text", "text": text[:limit], "emoji": True}


def _quote(text: str) -> str:
    body = "\n".join("> " + line if line else ">" for line in escape_mrkdwn(text).split("\n"))
    if len(body) > SECTION_MAX:
        body = body[: SECTION_MAX - 1] + "…"
    return body


def draft_blocks(
    drafts: Sequence[Draft], *, limits: Mapping[str, int] | None = None, lang: str = "en"
) -> list[dict[str, Any]]:
    """One message for a thread: each draft quoted, with Approve / Edit buttons.

    The Approve and Edit buttons carry :meth:`ActionRef.to_value`; ``block_id``
    is unique per draft (Slack requires it within a message). ``lang`` is the
    language of the team's channel (the drafts keep their own).
    """
    t = i18n.t
    lims = _DEFAULT_LIMITS if limits is None else limits
    if not drafts:
        text = t("draft.none", lang)
        return [{"type": "section", "text": {"type": "mrkdwn", "text": text}}]
    first = drafts[0]
    stage = i18n.word("stage", first.stage, lang)
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": _plain(t("draft.header", lang, stage=stage))},
    ]
    for d in drafts:
        ref = ActionRef.of(d)
        size = text_length(d.text, d.channel)
        limit = lims.get(d.channel)
        meta = [
            f"*{lang_name(d.lang, lang)}*, {channel_name(d.channel, lang)}",
            t("draft.size", lang, size=size, limit=limit)
            if limit
            else t("draft.size_nolimit", lang, size=size),
            t("draft.template", lang, template=d.template, version=d.template_version),
        ]
        if limit is not None and size > limit:
            meta.append(t("draft.too_long", lang))
        meta.extend(f":warning: {escape_mrkdwn(n)}" for n in d.notes)
        key = f"{d.incident_id}|{d.lang}|{d.channel}"[:200]
        blocks.extend(
            [
                {"type": "section", "block_id": f"draft|{key}",
                 "text": {"type": "mrkdwn", "text": _quote(d.text)}},
                {"type": "context", "block_id": f"meta|{key}",
                 "elements": [{"type": "mrkdwn", "text": " · ".join(meta)[:SECTION_MAX]}]},
                {
                    "type": "actions",
                    "block_id": f"act|{key}",
                    "elements": [
                        {"type": "button", "action_id": ACTION_APPROVE, "style": "primary",
                         "text": _plain(t("button.approve", lang)), "value": ref.to_value()},
                        {"type": "button", "action_id": ACTION_EDIT,
                         "text": _plain(t("button.edit", lang)), "value": ref.to_value()},
                    ],
                },
            ]
        )  # fmt: skip
    return blocks


def draft_fallback_text(drafts: Sequence[Draft], lang: str = "en") -> str:
    """The notification text that goes with :func:`draft_blocks`."""
    if not drafts:
        return i18n.t("draft.none_short", lang)
    langs = ", ".join(sorted({d.lang for d in drafts}))
    stage = i18n.word("stage", drafts[0].stage, lang)
    return i18n.t("draft.fallback", lang, stage=stage, langs=langs)


def edit_modal(draft: Draft, *, limit: int | None = None, lang: str = "en") -> dict[str, Any]:
    """The Edit modal: the draft's text in a multi-line input; submit approves it.

    ``private_metadata`` carries the :class:`ActionRef`; read the submission
    with :func:`modal_submission`. ``lang`` is the team's language.
    """
    t = i18n.t
    channel = channel_name(draft.channel, lang)
    hint = f"{lang_name(draft.lang, lang)}, {channel}."
    if limit is not None:
        hint += t("modal.limit_x" if draft.channel == "x" else "modal.limit", lang, limit=limit)
    stage = i18n.word("stage", draft.stage, lang)
    return {
        "type": "modal",
        "callback_id": MODAL_CALLBACK,
        "private_metadata": ActionRef.of(draft).to_value(),
        "title": _plain(t("modal.title", lang), 24),
        "submit": _plain(t("modal.submit", lang), 24),
        "close": _plain(t("button.cancel", lang), 24),
        "blocks": [
            {
                "type": "input",
                "block_id": MODAL_BLOCK,
                "label": _plain(t("modal.label", lang, language=draft.lang, channel=channel)),
                "hint": _plain(hint),
                "element": {
                    "type": "plain_text_input",
                    "action_id": MODAL_ACTION,
                    "multiline": True,
                    "initial_value": draft.text[:3000],
                    "max_length": 3000,
                },
            },
            {"type": "context", "elements": [{"type": "mrkdwn", "text": t(
                "modal.context", lang, template=draft.template,
                version=draft.template_version, stage=stage)}]},
        ],
    }  # fmt: skip


def modal_submission(view: Mapping[str, Any]) -> tuple[ActionRef, str]:
    """(which draft, edited text) from a ``view_submission`` payload's ``view``."""
    ref = ActionRef.from_value(str(view.get("private_metadata", "")))
    try:
        text = view["state"]["values"][MODAL_BLOCK][MODAL_ACTION]["value"]
    except (KeyError, TypeError):
        raise ValueError("submission has no status text") from None
    return ref, str(text or "").strip()


def edit_errors(text: str, channel: str, cfg: StatusConfig, lang: str = "en") -> dict[str, str]:
    """Slack ``response_action: errors`` for an edited text (empty when fine)."""
    if not text.strip():
        return {MODAL_BLOCK: i18n.t("modal.empty", lang)}
    limit = cfg.length_limits.get(channel)
    size = text_length(text, channel)
    if limit is not None and size > limit:
        where = channel_name(channel, lang)
        return {MODAL_BLOCK: i18n.t("modal.too_long", lang, size=size, channel=where, limit=limit)}
    return {}


def published_blocks(
    p: Published, cfg: StatusConfig, *, lang: str = "en", name: str | None = None
) -> list[dict[str, Any]]:
    """What replaces a draft in the thread once it is approved and published.

    ``name`` is the approver's name (Slack ``users.info``); without it a user id
    is written ``<@U…>``, which Slack shows as the person's name.
    """
    t = i18n.t
    local = p.published_at.astimezone(cfg.zone)
    bits = [
        t("published.by", lang, who=who_text(p.approved_by, name), time=clock(local, lang)),
        f"{lang_name(p.lang, lang)}, {channel_name(p.channel, lang)}",
    ]
    if p.edited:
        bits.append(t("published.edited", lang))
    if p.next_update_at is not None:
        due = when(p.next_update_at.astimezone(cfg.zone), local, lang)
        bits.append(t("published.next_due", lang, time=due))
    return [
        {"type": "section", "text": {"type": "mrkdwn", "text": _quote(p.text)}},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": " · ".join(bits)}]},
    ]


def reminder_text(
    facts: IncidentFacts, due_at: datetime, cfg: StatusConfig, lang: str = "en"
) -> str:
    """The thread reminder that the next public update is due (Slack mrkdwn).

    >>> from datetime import timezone, timedelta
    >>> now = datetime(2026, 11, 24, 12, 25, tzinfo=timezone.utc)
    >>> f = IncidentFacts("inc-1", "nordbank", "Nordbank", "outage", "volume_surge", "critical",
    ...                   "investigating", now - timedelta(minutes=40), now)
    >>> t = reminder_text(f, now + timedelta(minutes=5), StatusConfig())
    >>> "14:30 EET" in t and "klo 14.30" in t and "in 5 min" in t
    True
    """
    zone = cfg.zone
    local_due = due_at.astimezone(zone)
    local_now = facts.now.astimezone(zone)
    t = i18n.t
    minutes = round((due_at - facts.now).total_seconds() / 60)
    if minutes > 0:
        rel = t("reminder.rel_in", lang, minutes=minutes)
    elif minutes == 0:
        rel = t("reminder.rel_now", lang)
    else:
        rel = t("reminder.rel_overdue", lang, minutes=-minutes)
    topic = i18n.word("topic", facts.topic or "general", lang)
    nxt = NEXT_STAGE_BUTTON.get(facts.stage)
    move = (
        t("reminder.move", lang, button=t(nxt[1], lang), stage=i18n.word("stage", nxt[0], lang))
        if nxt
        else ""
    )
    at = when(local_due, local_now, lang)
    if i18n.lang_of(lang) == "en":  # the Finnish clock too, as the public update writes it
        at += f" ({when(local_due, local_now, 'fi')})"
    return t(
        "reminder.due",
        lang,
        brand=escape_mrkdwn(facts.brand_display),
        topic=escape_mrkdwn(topic),
        severity=i18n.word("severity", facts.severity, lang),
        time=at,
        rel=rel,
        stage=i18n.word("stage", facts.stage, lang),
        move=move,
    )


# The stage a button moves to, and the button's label key (alerts.slack_blocks, alerts.i18n).
NEXT_STAGE_BUTTON = {
    "investigating": ("identified", "button.identify"),
    "identified": ("monitoring", "button.fix"),
    "monitoring": ("resolved", "button.resolve"),
}


def loading_modal(ref: ActionRef, lang: str = "en") -> dict[str, Any]:
    """Opened at once on an Edit click (Slack's 3 s limit); replaced with :func:`edit_modal`."""
    return {
        "type": "modal",
        "callback_id": MODAL_CALLBACK,
        "private_metadata": ref.to_value(),
        "title": _plain(i18n.t("modal.title", lang), 24),
        "close": _plain(i18n.t("button.cancel", lang), 24),
        "blocks": [{"type": "section", "text": _plain(i18n.t("modal.loading", lang))}],
    }
