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
LANG_NAMES = {"fi": "Finnish", "en": "English", "sv": "Swedish"}
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


def _plain(text: str, limit: int = 150) -> dict[str, Any]:
    return {"type": "plain_text", "text": text[:limit], "emoji": True}


def _quote(text: str) -> str:
    body = "\n".join("> " + line if line else ">" for line in escape_mrkdwn(text).split("\n"))
    if len(body) > SECTION_MAX:
        body = body[: SECTION_MAX - 1] + "…"
    return body


def draft_blocks(
    drafts: Sequence[Draft], *, limits: Mapping[str, int] | None = None
) -> list[dict[str, Any]]:
    """One message for a thread: each draft quoted, with Approve / Edit buttons.

    The Approve and Edit buttons carry :meth:`ActionRef.to_value`; ``block_id``
    is unique per draft (Slack requires it within a message).
    """
    lims = _DEFAULT_LIMITS if limits is None else limits
    if not drafts:
        text = "No status-update draft could be rendered (see the template check)."
        return [{"type": "section", "text": {"type": "mrkdwn", "text": text}}]
    first = drafts[0]
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": _plain(f"Draft status update: {first.stage}")},
    ]
    for d in drafts:
        ref = ActionRef.of(d)
        size = text_length(d.text, d.channel)
        limit = lims.get(d.channel)
        meta = [
            f"*{LANG_NAMES.get(d.lang, d.lang)}*, {CHANNEL_NAMES.get(d.channel, d.channel)}",
            f"{size}/{limit} characters" if limit else f"{size} characters",
            f"template `{d.template}` v`{d.template_version}`",
        ]
        if limit is not None and size > limit:
            meta.append(":warning: too long: edit before approving")
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
                         "text": _plain("Approve"), "value": ref.to_value()},
                        {"type": "button", "action_id": ACTION_EDIT,
                         "text": _plain("Edit"), "value": ref.to_value()},
                    ],
                },
            ]
        )  # fmt: skip
    return blocks


def draft_fallback_text(drafts: Sequence[Draft]) -> str:
    """The notification text that goes with :func:`draft_blocks`."""
    if not drafts:
        return "No status-update draft could be rendered"
    langs = sorted({d.lang for d in drafts})
    return f"Draft status update ({drafts[0].stage}) in {', '.join(langs)}: approve or edit"


def edit_modal(draft: Draft, *, limit: int | None = None) -> dict[str, Any]:
    """The Edit modal: the draft's text in a multi-line input; submit approves it.

    ``private_metadata`` carries the :class:`ActionRef`; read the submission
    with :func:`modal_submission`.
    """
    channel = CHANNEL_NAMES.get(draft.channel, draft.channel)
    hint = f"{LANG_NAMES.get(draft.lang, draft.lang)}, {channel}."
    if limit is not None:
        hint += f" At most {limit} characters"
        hint += " (a link counts as 23)." if draft.channel == "x" else "."
    return {
        "type": "modal",
        "callback_id": MODAL_CALLBACK,
        "private_metadata": ActionRef.of(draft).to_value(),
        "title": _plain("Edit status update", 24),
        "submit": _plain("Approve and publish", 24),
        "close": _plain("Cancel", 24),
        "blocks": [
            {
                "type": "input",
                "block_id": MODAL_BLOCK,
                "label": _plain(f"Text ({draft.lang}, {channel})"),
                "hint": _plain(hint),
                "element": {
                    "type": "plain_text_input",
                    "action_id": MODAL_ACTION,
                    "multiline": True,
                    "initial_value": draft.text[:3000],
                    "max_length": 3000,
                },
            },
            {"type": "context", "elements": [{"type": "mrkdwn", "text":
                f"Template `{draft.template}` v`{draft.template_version}` · stage {draft.stage}"}]},
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


def edit_errors(text: str, channel: str, cfg: StatusConfig) -> dict[str, str]:
    """Slack ``response_action: errors`` for an edited text (empty when fine)."""
    if not text.strip():
        return {MODAL_BLOCK: "The update cannot be empty."}
    limit = cfg.length_limits.get(channel)
    size = text_length(text, channel)
    if limit is not None and size > limit:
        return {MODAL_BLOCK: f"{size} characters; the limit for {channel} is {limit}."}
    return {}


def published_blocks(p: Published, cfg: StatusConfig) -> list[dict[str, Any]]:
    """What replaces a draft in the thread once it is approved and published."""
    local = p.published_at.astimezone(cfg.zone)
    bits = [
        f":white_check_mark: Published by {escape_mrkdwn(p.approved_by)} at {clock(local, 'en')}",
        f"{LANG_NAMES.get(p.lang, p.lang)}, {CHANNEL_NAMES.get(p.channel, p.channel)}",
    ]
    if p.edited:
        bits.append("edited")
    if p.next_update_at is not None:
        bits.append(f"next update due {when(p.next_update_at.astimezone(cfg.zone), local, 'en')}")
    return [
        {"type": "section", "text": {"type": "mrkdwn", "text": _quote(p.text)}},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": " · ".join(bits)}]},
    ]


def reminder_text(facts: IncidentFacts, due_at: datetime, cfg: StatusConfig) -> str:
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
    minutes = round((due_at - facts.now).total_seconds() / 60)
    if minutes > 0:
        rel = f"in {minutes} min"
    elif minutes == 0:
        rel = "now"
    else:
        rel = f"{-minutes} min overdue"
    topic = facts.topic or "general"
    nxt = NEXT_STAGE_BUTTON.get(facts.stage)
    move = f" If things moved on, press *{nxt[1]}* for the *{nxt[0]}* draft." if nxt else ""
    return (
        f":alarm_clock: Next public update for *{escape_mrkdwn(facts.brand_display)}* "
        f"({topic}, {facts.severity}) is due at "
        f"{when(local_due, local_now, 'en')} ({when(local_due, local_now, 'fi')}), {rel}: "
        f"post the *{facts.stage}* update (its draft is in this thread), even if nothing has "
        f"changed.{move}"
    )


# The stage a button moves to, and the button's label (alerts.slack_blocks).
NEXT_STAGE_BUTTON = {
    "investigating": ("identified", "Cause identified"),
    "identified": ("monitoring", "Fix deployed"),
    "monitoring": ("resolved", "Resolved"),
}


def loading_modal(ref: ActionRef) -> dict[str, Any]:
    """Opened at once on an Edit click (Slack's 3 s limit); replaced with :func:`edit_modal`."""
    return {
        "type": "modal",
        "callback_id": MODAL_CALLBACK,
        "private_metadata": ref.to_value(),
        "title": _plain("Edit status update", 24),
        "close": _plain("Cancel", 24),
        "blocks": [{"type": "section", "text": _plain("Loading the draft…")}],
    }
