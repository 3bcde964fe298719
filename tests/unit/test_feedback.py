"""Team corrections: the menu under the sample mentions, reading a click, the record (issue 17)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from alerts.feedback import (
    FeedbackError,
    correction,
    feedback_block,
    feedback_record,
    parse_option_value,
    quoted_samples,
)
from alerts.interactivity import BadRequest
from streams.feedback import valid

SAMPLES = [
    {"id": "x:1", "text": "ei toimi <taas> & taas", "url": "https://x.com/1"},
    {"id": "x:2", "text": "   "},  # no text: not quoted, no menu
    {"id": "x:3", "text": "thanks, sorted in 5 min"},
]


def _message() -> dict[str, Any]:
    return {
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": "*Surging terms:* `x`"}},
            {
                "type": "section",
                "text": {
                    "type": "mrkdwn",
                    "text": "*Sample mentions*\n>ei toimi &lt;taas&gt; &amp; taas "
                    "<https://x.com/1|open>\n>thanks, sorted in 5 min",
                },
            },
            {"type": "section", "text": {"type": "mrkdwn", "text": ">a note, not a sample"}},
        ]
    }


def _payload(value: str, **act: Any) -> dict[str, Any]:
    block = feedback_block("nordbank", "inc-1", SAMPLES, ["outage"])
    assert block is not None
    return {
        "type": "block_actions",
        "user": {"id": "U7"},
        "message": _message(),
        "actions": [
            {
                "action_id": block["elements"][0]["action_id"],
                "block_id": block["block_id"],
                "selected_option": {"value": value},
                "action_ts": "1767000000.5",
                **act,
            }
        ],
    }


def test_one_menu_per_quoted_sample_with_sentiments_and_topics() -> None:
    block = feedback_block("nordbank", "inc-1", SAMPLES, ["outage", "login", "outage"])
    assert block is not None
    assert block["type"] == "actions"
    assert len(block["elements"]) == 2  # the textless sample gets none
    values = [o["value"] for g in block["elements"][1]["option_groups"] for o in g["options"]]
    # the third sample is the second quoted line
    assert values == [
        "sentiment|negative|1|x:3",
        "sentiment|neutral|1|x:3",
        "sentiment|positive|1|x:3",
        "topic|outage|1|x:3",
        "topic|login|1|x:3",
        "topic|other|1|x:3",
    ]
    assert all(len(v) <= 150 for v in values)
    assert feedback_block("b", "i", None, []) is None
    assert feedback_block("b", "i", [{"text": "no id"}], []) is None


def test_slack_blocks_put_the_menu_under_the_samples() -> None:
    from alerts.incidents import Incident
    from alerts.slack_blocks import incident_blocks

    inc = Incident.from_dict(
        {
            "id": "inc-nordbank~volume_surge~1",
            "brand": "nordbank",
            "kind": "volume_surge",
            "topic": "outage",
            "status": "open",
            "severity": "high",
            "opened_at": 1767000000.0,
            "updated_at": 1767000300.0,
            "last_active_at": 1767000300.0,
            "evidence": {"samples": SAMPLES, "topics": {"outage": 5}},
        }
    )
    blocks = incident_blocks(inc, 1767000600.0)
    kinds = [b.get("block_id", "") for b in blocks]
    assert "sample_feedback|nordbank|inc-nordbank~volume_surge~1" in kinds
    # the console printer (no Slack token) shows the menus by their placeholder
    from alerts.dedup import Notification
    from alerts.slack_blocks import render_console

    n = Notification("k", "#c", "post", "t", blocks, inc.id, "alert")
    assert "[Sample 1: wrong label?] [Sample 2: wrong label?]" in render_console(n)


def test_quoted_samples_are_the_first_quoting_section_unescaped() -> None:
    assert quoted_samples(_message()["blocks"]) == [
        "ei toimi <taas> & taas",
        "thanks, sorted in 5 min",
    ]
    assert quoted_samples(None) == []


def test_a_click_becomes_a_correction_record() -> None:
    corr = correction(_payload("sentiment|positive|1|x:3"))
    assert corr == {
        "mention_id": "x:3",
        "text": "thanks, sorted in 5 min",
        "brand": "nordbank",
        "field": "sentiment",
        "new": "positive",
        "who": "U7",
        "event_time": 1767000000.5,
        "incident_id": "inc-1",
    }
    rec = feedback_record(corr, "en", "neutral", ("praise",))
    assert rec["lang"] == "en"
    assert rec["old"] == "neutral"
    assert valid(json.loads(json.dumps(rec))) == rec
    topic = feedback_record(
        correction(_payload("topic|other|0|x:1")), "fi", "negative", ("outage", "login")
    )
    assert topic["old"] == "outage,login"
    assert topic["text"] == "ei toimi <taas> & taas"


@pytest.mark.parametrize(
    ("value", "act", "reason"),
    [
        ("sentiment|furious|0|x:1", {}, "bad_feedback_value"),
        ("colour|red|0|x:1", {}, "bad_feedback_value"),
        ("sentiment|negative|x|x:1", {}, "bad_feedback_value"),
        ("sentiment|negative|0|", {}, "bad_feedback_value"),
        ("sentiment|negative|5|x:1", {}, "no_sample_text"),
        ("sentiment|negative|0|x:1", {"block_id": "incident_actions:x"}, "bad_feedback_block"),
        ("sentiment|negative|0|x:1", {"action_ts": "soon"}, "bad_feedback_click"),
        ("sentiment|negative|0|x:1", {"action_id": "spikewatch_ack"}, "not_feedback"),
    ],
)
def test_unusable_clicks_are_refused(value: str, act: dict[str, Any], reason: str) -> None:
    with pytest.raises(FeedbackError, match=reason):
        correction(_payload(value, **act))
    assert issubclass(FeedbackError, ValueError)
    assert BadRequest.status == 400


def test_option_values_parse() -> None:
    assert parse_option_value("topic|login|2|x:9|with|bars") == (
        "topic",
        "login",
        2,
        "x:9|with|bars",
    )


def test_records_read_back_are_checked_field_by_field() -> None:
    good = {
        "mention_id": "x:1",
        "text": "t",
        "brand": "b",
        "lang": "fi",
        "field": "sentiment",
        "old": "neutral",
        "new": "negative",
        "who": "U1",
        "event_time": 1.0,
        "incident_id": "i",
    }
    assert valid(good) == good
    assert valid({**good, "extra": "dropped"}) == good
    assert valid({**good, "field": "exec"}) is None
    assert valid({**good, "text": 5}) is None
    assert valid({k: v for k, v in good.items() if k != "who"}) is None
    assert valid([good]) is None


def test_training_reads_sentiment_corrections_only(tmp_path: Any) -> None:
    from tools.train_text import FEEDBACK_HOLDOUT, care_predict, read_feedback

    rec = {
        "mention_id": "x:1", "text": "jonossa 40 min", "brand": "b", "lang": "fi",
        "field": "sentiment", "old": "neutral", "new": "negative", "who": "U1",
        "event_time": 1.0, "incident_id": "i",
    }  # fmt: skip
    lines = [
        json.dumps(rec),
        json.dumps({**rec, "field": "topic", "new": "other"}),
        json.dumps({**rec, "new": "furious"}),
        "not json",
        json.dumps([1, 2]),
    ]
    path = tmp_path / "f.ndjson"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert read_feedback(path) == [("x:1\x00jonossa 40 min", "fi", "negative", "jonossa 40 min")]
    assert 0.2 < FEEDBACK_HOLDOUT.fraction < 0.5
    layer = {"intercept": [0.0, 1.0, 0.0], "weights": {"care:wait": [3.0, 0.0, 0.0]}}
    assert care_predict(layer, {}) == "neutral"
    assert care_predict(layer, {"care:wait": 1.0}) == "negative"
