"""Block Kit for drafts, the Edit modal, the published note and the reminder."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from alerts.status import Draft, IncidentFacts, Published, StatusConfig, render_drafts
from alerts.status_blocks import (
    ACTION_APPROVE,
    ACTION_EDIT,
    MODAL_ACTION,
    MODAL_BLOCK,
    ActionRef,
    draft_blocks,
    draft_fallback_text,
    edit_errors,
    edit_modal,
    escape_mrkdwn,
    modal_submission,
    published_blocks,
    reminder_text,
)

T0 = datetime(2026, 11, 24, 11, 52, tzinfo=UTC)
CFG = StatusConfig()


def facts(**kw: object) -> IncidentFacts:
    base: dict[str, object] = dict(
        incident_id="inc-9", brand="nordbank", brand_display="Nordbank", topic="login",
        kind="volume_surge", severity="critical", stage="investigating", started_at=T0,
        now=T0 + timedelta(minutes=5), next_update_at=None, affected_service=None,
        channels=("app",), link="https://status.nordbank.fi",
    )  # fmt: skip
    base.update(kw)
    return IncidentFacts(**base)  # type: ignore[arg-type]


DRAFTS = render_drafts(facts(), CFG)


def test_one_section_and_two_buttons_per_draft() -> None:
    blocks = draft_blocks(DRAFTS)
    assert blocks[0]["type"] == "header"
    assert "investigating" in blocks[0]["text"]["text"]
    actions = [b for b in blocks if b["type"] == "actions"]
    assert len(actions) == len(DRAFTS) == 6
    ids = [b["block_id"] for b in blocks if "block_id" in b]
    assert len(ids) == len(set(ids)), "block_id must be unique within a message"
    assert len(blocks) <= 50  # Slack's limit per message
    for act, draft in zip(actions, DRAFTS, strict=True):
        approve, edit = act["elements"]
        assert (approve["action_id"], edit["action_id"]) == (ACTION_APPROVE, ACTION_EDIT)
        assert approve["style"] == "primary"
        ref = ActionRef.from_value(approve["value"])
        assert ref.matches(draft)
        assert (ref.incident_id, ref.lang, ref.template_version) == (
            draft.incident_id, draft.lang, draft.template_version)  # fmt: skip
        assert len(approve["value"]) <= 2000


def test_sections_quote_the_text_escaped() -> None:
    d = Draft("inc-1", "en", "status_page", "investigating", "A <b> & c\n\nsecond",
              "general/investigating.en", "v1", None)  # fmt: skip
    section = draft_blocks([d])[1]
    assert section["text"]["text"] == "> A &lt;b&gt; &amp; c\n>\n> second"


@pytest.mark.parametrize("too_long", [True, False])
def test_context_warns_about_length_and_notes(too_long: bool) -> None:
    text = "x" * (300 if too_long else 100)
    d = Draft("inc-1", "fi", "x", "identified", text, "general/identified.fi", "v1", None,
              notes=("outage/identified.fi: version v0 is not approved",))  # fmt: skip
    context = draft_blocks([d])[2]["elements"][0]["text"]
    assert ("too long" in context) is too_long
    assert "not approved" in context
    assert f"{len(text)}/280" in context


def test_no_drafts_gives_an_explanation() -> None:
    blocks = draft_blocks([])
    assert len(blocks) == 1
    assert "No status-update draft" in blocks[0]["text"]["text"]
    assert "No status-update draft" in draft_fallback_text([])
    assert "investigating" in draft_fallback_text(DRAFTS)


def test_edit_modal_and_its_submission() -> None:
    d = DRAFTS[0]
    view = edit_modal(d, limit=1500)
    assert view["type"] == "modal"
    assert view["blocks"][0]["type"] == "input"
    assert view["blocks"][0]["element"]["initial_value"] == d.text
    assert len(view["title"]["text"]) <= 24
    assert len(view["submit"]["text"]) <= 24
    submitted = dict(view, state={"values": {MODAL_BLOCK: {MODAL_ACTION: {"value": " New text "}}}})
    ref, text = modal_submission(submitted)
    assert ref.matches(d)
    assert text == "New text"
    with pytest.raises(ValueError, match="no status text"):
        modal_submission({"private_metadata": view["private_metadata"], "state": {}})
    with pytest.raises(ValueError, match="not a status draft"):
        modal_submission({"private_metadata": "{}"})


@pytest.mark.parametrize(
    ("text", "channel", "ok"),
    [
        ("Short and fine.", "x", True),
        ("", "x", False),
        ("x" * 281, "x", False),
        ("x" * 250 + " https://example.fi/" + "a" * 100, "x", True),  # a link counts 23
        ("x" * 1400, "status_page", True),
        ("x" * 1501, "status_page", False),
    ],
)
def test_edit_errors(text: str, channel: str, ok: bool) -> None:
    assert (edit_errors(text, channel, CFG) == {}) is ok


def test_published_blocks_say_who_and_when() -> None:
    d = DRAFTS[0]
    p = Published.from_draft(d, approved_by="Anna <U1>", published_at=T0 + timedelta(minutes=8),
                             text=d.text + " X")  # fmt: skip
    blocks = published_blocks(p, CFG)
    context = blocks[1]["elements"][0]["text"]
    assert "Anna &lt;U1&gt;" in context
    assert "14:00 EET" in context
    assert "edited" in context
    assert "next update due 14:30 EET" in context
    json.dumps(blocks)


@pytest.mark.parametrize(
    ("minutes_left", "phrase"), [(5, "in 5 min"), (0, "now"), (-12, "12 min overdue")]
)
def test_reminder_text(minutes_left: int, phrase: str) -> None:
    f = facts()
    due = f.now + timedelta(minutes=minutes_left)
    text = reminder_text(f, due, CFG)
    assert phrase in text
    assert "*Nordbank*" in text
    local = due.astimezone(CFG.zone)
    assert f"klo {local.hour}.{local.minute:02d}" in text


def test_escape_mrkdwn() -> None:
    assert escape_mrkdwn("<@U1> & <!here>") == "&lt;@U1&gt; &amp; &lt;!here&gt;"
