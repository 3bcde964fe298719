"""Block Kit rendering: escaping user content, Slack's limits, buttons, console dry run."""

from __future__ import annotations

import json
from typing import Any

import pytest

from alerts.dedup import Notification
from alerts.incidents import Incident
from alerts.slack_blocks import (
    ACTION_ACK,
    ACTION_FIX,
    ACTION_IDENTIFY,
    ACTION_RESOLVE,
    ACTION_SNOOZE,
    HEADER_LIMIT,
    MAX_BLOCKS,
    SECTION_LIMIT,
    escape_mrkdwn,
    fit_blocks,
    fmt_duration,
    incident_blocks,
    render_console,
    safe_url,
    summary_text,
    trim,
)
from alerts.slack_timeline import timeline_text


@pytest.mark.parametrize(
    ("raw", "escaped"),
    [
        ("plain text", "plain text"),
        ("a & b", "a &amp; b"),
        ("<!channel> down", "&lt;!channel&gt; down"),
        ("<!here|here>", "&lt;!here|here&gt;"),
        ("hi <@U123ABC>", "hi &lt;@U123ABC&gt;"),
        ("<https://evil.example|your bank>", "&lt;https://evil.example|your bank&gt;"),
        ("@channel help", "@\u200bchannel help"),
        ("@HERE now", "@\u200bHERE now"),
        ("@everyone", "@\u200beveryone"),
        ("@channels is a word", "@channels is a word"),
        ("mail@here.fi", "mail@\u200bhere.fi"),
        ("tab\tand\x00null", "tab\tandnull"),
        ("&lt; already", "&amp;lt; already"),
    ],
)
def test_escape_table(raw: str, escaped: str) -> None:
    assert escape_mrkdwn(raw) == escaped


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("https://x.com/a/1", True),
        ("http://x.fi", True),
        ("javascript:alert(1)", False),
        ("https://x.com/a|b", False),
        ("https://x.com/<b>", False),
        (None, False),
        (3, False),
    ],
)
def test_safe_url_table(url: Any, ok: bool) -> None:
    assert (safe_url(url) is not None) is ok


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "0 min"),
        (59, "0 min"),
        (60 * 45, "45 min"),
        (3600, "1 h 00 min"),
        (3600 * 49, "2 d 1 h"),
        (-5, "0 min"),
    ],
)
def test_fmt_duration_table(seconds: float, text: str) -> None:
    assert fmt_duration(seconds) == text


def make(status: str = "open", **evidence: Any) -> Incident:
    ev = {
        "observed": 412,
        "expected": 38.2,
        "ratio": 10.8,
        "negative_share": 0.71,
        "baseline_share": 0.18,
        "top_terms": [{"term": "verkkopankki", "count": 40, "expected": 2, "ratio": 20.0}],
        "topics": {"login": 30, "fees": 2},
        "samples": [
            {"id": "x:1", "text": "Ei toimi <!channel>", "url": "https://x.com/1"},
            {"id": "x:2", "text": "@here kirjautuminen", "url": None},
            {"id": "x:3", "text": "third", "url": "javascript:bad"},
            {"id": "x:4", "text": "fourth is not shown"},
        ],
    }
    ev.update(evidence)
    return Incident(
        "inc-abc",
        "nordbank",
        "volume_surge",
        "login",
        status,
        "high",
        opened_at=1000.0,
        updated_at=1000.0,
        last_active_at=1000.0,
        resolved_at=5000.0 if status == "resolved" else None,
        acknowledged_by="U9" if status == "acknowledged" else None,
        evidence=ev,
        peak={"observed": 500.0},
    )


def _all_text(blocks: list[dict[str, Any]]) -> str:
    return json.dumps(blocks, ensure_ascii=False)


def test_blocks_explain_the_incident() -> None:
    blocks = incident_blocks(make(), now=1000.0 + 42 * 60)
    text = _all_text(blocks)
    for needle in (
        "412 vs 38 expected",
        "×10.8",
        "71 %",
        "18 %",
        "verkkopankki",
        "login",
        "42 min",
        "<https://x.com/1|open>",
    ):
        assert needle in text, needle
    assert "fourth" not in text
    assert "javascript" not in text
    assert "<!channel>" not in text
    assert "@here" not in text


@pytest.mark.parametrize(
    ("status", "stage", "buttons"),
    [
        ("open", "investigating", [ACTION_ACK, ACTION_SNOOZE, ACTION_IDENTIFY, ACTION_FIX,
                                   ACTION_RESOLVE]),
        ("acknowledged", "investigating", [ACTION_SNOOZE, ACTION_IDENTIFY, ACTION_FIX,
                                           ACTION_RESOLVE]),
        ("acknowledged", "identified", [ACTION_SNOOZE, ACTION_FIX, ACTION_RESOLVE]),
        ("acknowledged", "monitoring", [ACTION_SNOOZE, ACTION_IDENTIFY, ACTION_RESOLVE]),
        ("resolved", "resolved", []),
    ],
)  # fmt: skip
def test_buttons_table(status: str, stage: str, buttons: list[str]) -> None:
    inc = make(status)
    inc.stage = stage
    blocks = incident_blocks(inc, now=2000.0)
    bar = [b for b in blocks if b.get("block_id", "").startswith("incident_actions")]
    got = [e["action_id"] for b in bar for e in b["elements"]]
    assert got == buttons
    for b in bar:
        if b["type"] == "actions":
            assert all(e["value"].startswith("inc-abc") for e in b["elements"])


def test_limits_hold_for_huge_input() -> None:
    inc = make(
        samples=[{"text": "ä" * 10_000, "url": None}] * 3,
        top_terms=[{"term": "t" * 5000, "ratio": 2}] * 50,
        topics={("x" * 3000): 1},
        message="m" * 9000,
    )
    inc.brand = "b" * 500
    blocks = incident_blocks(inc, now=2000.0)
    assert len(blocks) <= MAX_BLOCKS
    for b in blocks:
        if b["type"] == "header":
            assert len(b["text"]["text"]) <= HEADER_LIMIT
        if b["type"] == "section" and "text" in b:
            assert len(b["text"]["text"]) <= SECTION_LIMIT
        for f in b.get("fields", []):
            assert len(f["text"]) <= 2000
    assert len(summary_text(inc, 2000.0)) <= 4000


def test_missing_evidence_renders() -> None:
    inc = make()
    inc.evidence = {"observed": "lots", "samples": "none", "top_terms": [None, {"x": 1}]}
    blocks = incident_blocks(inc, now=2000.0)
    assert blocks[0]["type"] == "header"


def test_fit_blocks_keeps_last() -> None:
    blocks = [{"type": "section", "i": i} for i in range(80)]
    out = fit_blocks(blocks)
    assert len(out) == MAX_BLOCKS
    assert out[-1]["i"] == 79


def test_trim() -> None:
    assert trim("abc", 5) == "abc"
    assert trim("abcdef", 4) == "abc…"


@pytest.mark.parametrize(
    ("entry", "contains"),
    [
        ({"type": "acknowledged", "by": "U1", "ts": 0}, "Acknowledged by <@U1>"),
        ({"type": "resolved", "by": "quiet_period", "ts": 0}, "quiet period"),
        ({"type": "resolved", "by": "U2", "ts": 0}, "by <@U2>"),
        ({"type": "severity_changed", "old": "low", "new": "high", "ts": 0}, "low → high"),
        ({"type": "snoozed", "by": "U1", "minutes": 60, "ts": 0}, "60 min"),
        ({"type": "acknowledged", "by": "<!channel>", "ts": 0}, "&lt;!channel&gt;"),
        ({"type": "opened", "ts": 0}, None),
        ({"type": "evidence_updated", "ts": 0}, None),
    ],
)
def test_timeline_text_table(entry: dict[str, Any], contains: str | None) -> None:
    text = timeline_text(entry)
    if contains is None:
        assert text is None
    else:
        assert text is not None
        assert contains in text


def test_render_console_is_readable() -> None:
    inc = make()
    n = Notification(
        "inc-abc:#care:main",
        "#care",
        "post",
        summary_text(inc, 2000.0),
        incident_blocks(inc, 2000.0),
        inc.id,
        "care",
    )
    out = render_console(n)
    assert "== Volume surge – nordbank · login ==" in out
    assert "[Acknowledge] [Snooze 1 h] [Cause identified] [Fix deployed] [Resolved]" in out
    assert "open (https://x.com/1)" in out
    assert "<!date" not in out
    assert "&lt;" not in out
