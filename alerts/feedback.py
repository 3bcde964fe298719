"""Corrections from the team: "wrong sentiment / wrong topic" on an incident's sample mentions.

Pure: the Slack menu under the sample mentions, reading a click on it, and the
correction record written to the ``feedback`` topic. The edge (``streams/feedback.py``)
verifies the request, fills in the language and the label the model gave, and sends.

One static select per sample (at most three), in one ``actions`` block whose
``block_id`` names the brand and the incident. An option's value is
``<field>|<label>|<sample index>|<mention id>``: ``field`` is ``sentiment`` or ``topic``.
The sample's text is not in the value (Slack allows 150 characters): it is the
sample's quoted line in the clicked message, which Slack sends with the click.

The record (one JSON object, keyed by brand):
``mention_id, text, brand, lang, field, old, new, who, event_time, incident_id``
(``event_time``: the click's ``action_ts``, seconds since the epoch).

Examples
--------
>>> block = feedback_block("nordbank", "inc-1", [{"id": "x:1", "text": "ei toimi"}], ["outage"])
>>> block["block_id"], len(block["elements"])
('sample_feedback|nordbank|inc-1', 1)
>>> parse_option_value("sentiment|negative|0|x:1")
('sentiment', 'negative', 0, 'x:1')
>>> quoted_samples([{"type": "section", "text": {"type": "mrkdwn",
...     "text": "*Sample mentions*\\n>ei &lt;toimi&gt; <https://x.y|open>\\n>toinen"}}])
['ei <toimi>', 'toinen']
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from alerts.i18n import t, word

ACTION_FEEDBACK = "sample_feedback"
BLOCK_PREFIX = "sample_feedback|"
SENTIMENTS = ("negative", "neutral", "positive")
FIELDS = ("sentiment", "topic")
OTHER_TOPIC = "other"
MAX_SAMPLES = 3
MAX_TOPICS = 8
VALUE_LIMIT = 150  # Slack's limit on an option value
_LINK_RE = re.compile(r" <[^|>]+\|[^>]*>$")  # the "open" link, in any language
_BROADCAST = re.compile(r"@(?=(channel|here|everyone)\b)", re.IGNORECASE)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


class FeedbackError(ValueError):
    """A click that is not a usable correction."""


def _quiet(text: str) -> str:
    """No control characters and no broadcast word (``@channel``) in text we put in a post."""
    return _BROADCAST.sub("@\u200b", _CONTROL.sub("", text))


def _option(label: str, value: str) -> dict[str, Any]:
    return {
        "text": {"type": "plain_text", "text": _quiet(label)[:75]},
        "value": _quiet(value)[:VALUE_LIMIT],
    }


def feedback_block(
    brand: str, incident_id: str, samples: Any, topics: Sequence[str], lang: str = "en"
) -> dict[str, Any] | None:
    """The ``actions`` block of correction menus for ``samples`` (None without samples).

    ``topics``: the topics offered as the right one (the incident's), ``other`` last.
    Labels are in the channel's language ``lang``; the option values stay the model's keys.
    """
    if not isinstance(samples, list):
        return None
    topic_names = [x for x in dict.fromkeys(str(x) for x in topics if x)][:MAX_TOPICS]
    elements = []
    k = -1  # the sample's place among the quoted lines (samples without text are not quoted)
    for s in samples[:MAX_SAMPLES]:
        if not isinstance(s, dict) or not str(s.get("text") or "").split():
            continue
        k += 1
        if not s.get("id"):
            continue
        mid = str(s["id"])
        groups = [
            {
                "label": {"type": "plain_text", "text": t("feedback.sentiment_is", lang)},
                "options": [
                    _option(word("sentiment", x, lang), f"sentiment|{x}|{k}|{mid}")
                    for x in SENTIMENTS
                ],
            },
            {
                "label": {"type": "plain_text", "text": t("feedback.topic_is", lang)},
                "options": [
                    _option(word("topic", x, lang), f"topic|{x}|{k}|{mid}")
                    for x in [*topic_names, OTHER_TOPIC]
                ],
            },
        ]
        elements.append(
            {
                "type": "static_select",
                "action_id": f"{ACTION_FEEDBACK}:{k}",
                "placeholder": {
                    "type": "plain_text",
                    "text": t("feedback.placeholder", lang, n=k + 1),
                },
                "option_groups": groups,
            }
        )
    if not elements:
        return None
    return {
        "type": "actions",
        "block_id": (BLOCK_PREFIX + brand + "|" + incident_id)[:255],
        "elements": elements,
    }


def parse_option_value(value: str) -> tuple[str, str, int, str]:
    """``(field, label, sample index, mention id)`` of an option value."""
    parts = value.split("|", 3)
    if len(parts) != 4 or parts[0] not in FIELDS or not parts[1] or not parts[2].isdigit():
        raise FeedbackError("bad_feedback_value")
    field, label, k, mid = parts[0], parts[1], int(parts[2]), parts[3]
    if field == "sentiment" and label not in SENTIMENTS:
        raise FeedbackError("bad_feedback_value")
    if not mid:
        raise FeedbackError("bad_feedback_value")
    return field, label, k, mid


def _unescape(text: str) -> str:
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def quoted_samples(blocks: Any) -> list[str]:
    """The quoted lines (``>text``) of the first section of a message that has any (the
    sample mentions), in order, unescaped."""
    out: list[str] = []
    if not isinstance(blocks, list):
        return out
    for b in blocks:
        if not isinstance(b, dict) or b.get("type") != "section":
            continue
        text = b.get("text")
        body = text.get("text") if isinstance(text, dict) else None
        if not isinstance(body, str):
            continue
        for line in body.split("\n"):
            if line.startswith(">"):
                out.append(_unescape(_LINK_RE.sub("", line[1:])).strip())
        if out:
            break  # the first section with quoted lines holds the samples
    return out


def is_feedback_action(action_id: Any) -> bool:
    """True for the action id of a correction menu."""
    return isinstance(action_id, str) and action_id.startswith(ACTION_FEEDBACK + ":")


def correction(payload: Mapping[str, Any]) -> dict[str, Any]:
    """The correction of a ``block_actions`` payload (without ``lang`` and ``old``).

    Raises :class:`FeedbackError` when it is not a usable correction click.
    """
    actions = payload.get("actions")
    act = actions[0] if isinstance(actions, list) and actions else None
    if not isinstance(act, dict) or not is_feedback_action(act.get("action_id")):
        raise FeedbackError("not_feedback")
    block_id = str(act.get("block_id") or "")
    if not block_id.startswith(BLOCK_PREFIX):
        raise FeedbackError("bad_feedback_block")
    brand, _, incident_id = block_id[len(BLOCK_PREFIX) :].partition("|")
    selected = act.get("selected_option")
    value = selected.get("value") if isinstance(selected, dict) else None
    if not isinstance(value, str) or not brand:
        raise FeedbackError("bad_feedback_value")
    field, label, k, mid = parse_option_value(value)
    message = payload.get("message")
    samples = quoted_samples(message.get("blocks") if isinstance(message, dict) else None)
    if k >= len(samples) or not samples[k]:
        raise FeedbackError("no_sample_text")
    user = payload.get("user")
    who = str(user.get("id") or user.get("username") or "") if isinstance(user, dict) else ""
    try:
        event_time = float(act.get("action_ts") or 0.0)
    except (TypeError, ValueError):
        event_time = 0.0
    if event_time <= 0 or not who:
        raise FeedbackError("bad_feedback_click")
    return {
        "mention_id": mid,
        "text": samples[k],
        "brand": brand,
        "field": field,
        "new": label,
        "who": who,
        "event_time": event_time,
        "incident_id": incident_id,
    }


def feedback_record(
    corr: Mapping[str, Any], lang: str, old_sentiment: str, old_topics: Sequence[str]
) -> dict[str, Any]:
    """The record for the ``feedback`` topic: ``corr`` with the language and the old label
    (the sentiment, or the topics joined by ``,``, the model gave the text)."""
    rec = dict(corr)
    rec["lang"] = lang
    rec["old"] = old_sentiment if corr["field"] == "sentiment" else ",".join(old_topics)
    return rec
