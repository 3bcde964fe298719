"""Interim status updates on the real broker, a real worker and the fake Slack.

An incident opens; the draft (fi/en/sv, status page and X) appears in its Slack
thread; a correctly signed Approve click publishes the Finnish draft on
``status.updates``; an Edit click opens the modal (views.open, then views.update
with the draft) and the edited submission publishes the edited text; the
reminder for the next update arrives once event time reaches its due time.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import pytest
from slack_sdk.signature import SignatureVerifier

from detectors.mention import parse_time
from tests.harness import Worker, consume, outage_mentions, produce, wait_for
from tests.slackfake import Message, SlackFake

pytestmark = pytest.mark.integration

TOKEN = "xoxb-status-test-token"
SECRET = "status-test-signing-secret"
CONFIG = Path(__file__).resolve().parents[1] / "data" / "integration" / "deployment.yaml"
REMIND_BEFORE = 2 * 60  # status.remind_before_minutes in deployment.yaml
HELSINKI = ZoneInfo("Europe/Helsinki")


@pytest.fixture
def slack() -> Iterator[SlackFake]:
    with SlackFake(token=TOKEN) as s:
        s.add_user("UAPPROVER", "Aino Virtanen")  # users.info knows the approver, not UEDITOR
        yield s


def send_until(
    bootstrap: str, w: Worker, rows: list[tuple[float, dict[str, Any]]], bound: float
) -> float:
    """Produce (and drop from ``rows``) the mentions before ``bound``; newest event time."""
    batch = [r for r in rows if r[0] < bound]
    del rows[: len(batch)]
    produce(
        bootstrap,
        w.topic("mentions"),
        [(m["brand"].encode(), json.dumps(m).encode()) for _, m in batch],
    )
    return batch[-1][0]


def settle(w: Worker, slack: SlackFake, newest: float) -> None:
    wait_for(
        lambda: (
            w.metric("spikewatch_last_event_timestamp_seconds", brand="nordbank") >= newest - 1e-3
        ),
        120,
        "the newest event time processed",
        interval=0.5,
    )
    last = -1
    while len(slack.calls) != last:
        last = len(slack.calls)
        time.sleep(4)


def click(w: Worker, payload: dict[str, Any]) -> int:
    body = urlencode({"payload": json.dumps(payload)}).encode()
    stamp = str(int(time.time()))
    sig = SignatureVerifier(SECRET).generate_signature(timestamp=stamp, body=body)
    req = urllib.request.Request(
        f"{w.url}/slack/actions",
        data=body,
        method="POST",
        headers={
            "X-Slack-Request-Timestamp": stamp,
            "X-Slack-Signature": sig,
            "Content-Type": "application/x-www-form-urlencoded",
        },
    )
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return int(r.status)
    except urllib.error.HTTPError as e:
        return int(e.code)


def draft_message(slack: SlackFake) -> Message | None:
    found = [m for m in slack.posts() if m.thread_ts and m.text.startswith("Draft status update")]
    assert len(found) <= 1, "the draft was posted twice"
    return found[0] if found else None


def buttons(msg: Message) -> dict[tuple[str, str, str], str]:
    """(action_id, lang, channel) -> button value, from the recorded blocks."""
    out = {}
    for b in msg.blocks:
        for e in b.get("elements", []) if b.get("type") == "actions" else []:
            ref = json.loads(e["value"])
            out[(e["action_id"], ref["l"], ref["c"])] = e["value"]
    return out


def quoted(msg: Message) -> dict[tuple[str, str], str]:
    """(lang, channel) -> draft text, from the blocks' quoted sections (order of the buttons)."""
    texts = [
        b["text"]["text"]
        for b in msg.blocks
        if b.get("type") == "section" and str(b.get("block_id", "")).startswith("draft|")
    ]
    keys = [(k[1], k[2]) for k in buttons(msg) if k[0] == "spikewatch_status_approve"]
    unq = [t.replace("&gt;", ">").replace("&lt;", "<").replace("&amp;", "&") for t in texts]
    return {
        k: "\n".join(line[2:] if line.startswith("> ") else line[1:] for line in t.split("\n"))
        for k, t in zip(keys, unq, strict=True)
    }


def published(bootstrap: str, w: Worker, n: int) -> list[dict[str, Any]]:
    def got() -> list[dict[str, Any]] | None:
        recs = consume(bootstrap, w.topic("status.updates"), n, timeout=3)
        return [json.loads(r.value) for r in recs] if len(recs) >= n else None

    return wait_for(got, 60, f"{n} record(s) on status.updates", interval=1)


def test_draft_approve_edit_publish_and_reminder_on_event_time(
    bootstrap: str, spawn_worker: Callable[..., Worker], slack: SlackFake
) -> None:
    w = spawn_worker(
        {
            "SLACK_BOT_TOKEN": TOKEN,
            "SLACK_API_URL": slack.base_url,
            "SLACK_SIGNING_SECRET": SECRET,
            "SPIKEWATCH_CONFIG": str(CONFIG),
            "SPIKEWATCH_MAX_EVENT_FUTURE_SECONDS": "3600",
        }
    )
    surge = time.time() - 5 * 60  # the storm starts 5 minutes ago; later mentions drive time on
    rows = [
        (parse_time(m["created_at"]).timestamp(), m)
        for m in outage_mentions("nordbank", surge - 6 * 3600, id_prefix="s")
    ]

    # 1. The incident opens and its draft appears in the thread, with Approve / Edit buttons.
    newest = send_until(bootstrap, w, rows, surge + 240)
    draft = wait_for(lambda: draft_message(slack), 120, "the draft in Slack", interval=1)
    settle(w, slack, newest)
    main = [m for m in slack.posts() if m.thread_ts is None]
    assert len(main) == 1
    assert draft.thread_ts == main[0].ts
    texts = quoted(draft)
    assert set(texts) == {(lang, ch) for lang in ("fi", "en", "sv") for ch in ("status_page", "x")}
    fi = texts[("fi", "status_page")]
    assert "klo" in fi, fi
    assert not any("Next public update" in m.text for m in slack.posts())

    # 2. Approve (signed) publishes the Finnish draft for the status page.
    refs = buttons(draft)
    payload = {
        "type": "block_actions",
        "user": {"id": "UAPPROVER"},
        "trigger_id": "t.1",
        "actions": [
            {
                "action_id": "spikewatch_status_approve",
                "value": refs[("spikewatch_status_approve", "fi", "status_page")],
            }
        ],
    }
    clicked = time.time()
    assert click(w, payload) == 200
    [pub] = published(bootstrap, w, 1)
    assert (pub["lang"], pub["channel"], pub["approved_by"]) == ("fi", "status_page", "UAPPROVER")
    assert (pub["text"], pub["edited"], pub["stage"]) == (fi, False, "investigating")
    due = parse_time(pub["next_update_at"])
    at = parse_time(pub["published_at"])
    # Published at the brand's event time (the stream's), not at the click's wall time.
    assert at.timestamp() <= clicked
    assert abs(at.timestamp() - newest) <= 300
    assert due > at
    assert due.astimezone(HELSINKI).minute % 5 == 0  # round_to_minutes
    # The Finnish draft promised the same time, written the Finnish way ("klo 9.05").
    klo = f"klo {due.astimezone(HELSINKI).hour}.{due.astimezone(HELSINKI):%M}"
    assert f"Seuraava tiedote {klo}" in fi
    [note] = wait_for(
        lambda: [m for m in slack.posts() if m.text.startswith(":mega: Published (fi")],
        60,
        "the 'published' note in the thread",
    )
    assert "by Aino Virtanen" in note.text  # the name from users.info, not the raw id

    # 3. Edit: the modal opens at once (views.open), then shows the draft (views.update)...
    edit = {
        "type": "block_actions",
        "user": {"id": "UEDITOR"},
        "trigger_id": "trig-42",
        "actions": [
            {
                "action_id": "spikewatch_status_edit",
                "value": refs[("spikewatch_status_edit", "en", "x")],
            }
        ],
    }
    assert click(w, edit) == 200
    [opened] = slack.calls_to("views.open")
    assert opened.params["trigger_id"] == "trig-42"
    upd = wait_for(lambda: slack.calls_to("views.update"), 60, "views.update with the draft")
    view = upd[0].params["view"]
    view = json.loads(view) if isinstance(view, str) else view
    field = view["blocks"][0]["element"]
    assert field["initial_value"] == texts[("en", "x")]
    # ...and submitting the edited text publishes it.
    edited = "We are looking into login problems at Nordbank. Next update soon."
    submit = {
        "type": "view_submission",
        "user": {"id": "UEDITOR"},
        "view": {
            "callback_id": view["callback_id"],
            "private_metadata": view["private_metadata"],
            "state": {
                "values": {
                    view["blocks"][0]["block_id"]: {
                        field["action_id"]: {"type": "plain_text_input", "value": edited}
                    }
                }
            },
        },
    }
    assert click(w, submit) == 200
    pubs = published(bootstrap, w, 2)
    assert [(p["lang"], p["channel"], p["approved_by"], p["edited"]) for p in pubs] == [
        ("fi", "status_page", "UAPPROVER", False),
        ("en", "x", "UEDITOR", True),
    ]
    # users.info does not know UEDITOR: <@UEDITOR>, which Slack shows as the person's name.
    wait_for(
        lambda: [
            m for m in slack.posts() if m.text.startswith(":mega: Published (en, x) by <@UEDITOR>")
        ],
        60,
        "the 'published' note of the edited update",
    )
    assert pubs[1]["text"] == edited
    assert w.metric("spikewatch_status_updates_total", result="ok") == 2

    # 4. The reminder: not while event time is short of its due time, then exactly once.
    newest = send_until(bootstrap, w, rows, due.timestamp() - REMIND_BEFORE - 1)
    settle(w, slack, newest)
    assert not [m for m in slack.posts() if "Next public update" in m.text]
    newest = send_until(bootstrap, w, rows, due.timestamp() + 420)
    settle(w, slack, newest)
    reminders = [m for m in slack.posts() if "Next public update" in m.text]
    assert len(reminders) == 1
    assert reminders[0].thread_ts == main[0].ts
    assert klo in reminders[0].text
    assert len([m for m in slack.posts() if m.text.startswith("Draft status update")]) == 1
