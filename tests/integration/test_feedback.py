"""A team correction on the real broker: a signed click on a sample's menu in the incident
post -> a record on the ``feedback`` topic -> ``spikewatch feedback export`` NDJSON."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from pathlib import Path

import pytest
from slack_sdk.signature import SignatureVerifier

from alerts.feedback import feedback_block
from streams.feedback import export
from tests.harness import Worker, wait_for

pytestmark = pytest.mark.integration

SIGNING = "signing-secret-feedback-17"
TEXT = "Verkkopankki ei toimi taas <3 & kukaan ei vastaa"


def _message(samples: list[dict[str, str]]) -> dict:
    """The incident post as Slack sends it back with a click (escaped sample lines)."""
    quoted = "\n".join(
        ">" + s["text"].replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        for s in samples
    )
    block = feedback_block("nordbank", "inc-nordbank~volume_surge~1", samples, ["outage"])
    assert block is not None
    return {
        "type": "message",
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": f"*Sample mentions*\n{quoted}"}},
            block,
        ],
    }


def _click(message: dict, option_value: str, ts: int) -> tuple[bytes, dict[str, str]]:
    block = message["blocks"][1]
    payload = {
        "type": "block_actions",
        "user": {"id": "U42"},
        "message": message,
        "actions": [
            {
                "type": "static_select",
                "action_id": block["elements"][1]["action_id"],
                "block_id": block["block_id"],
                "selected_option": {
                    "text": {"type": "plain_text", "text": "positive"},
                    "value": option_value,
                },
                "action_ts": f"{ts}.000100",
            }
        ],
    }
    body = urllib.parse.urlencode({"payload": json.dumps(payload)}).encode()
    sig = SignatureVerifier(SIGNING).generate_signature(timestamp=str(ts), body=body)
    return body, {
        "X-Slack-Request-Timestamp": str(ts),
        "X-Slack-Signature": sig,
        "Content-Type": "application/x-www-form-urlencoded",
    }


def _post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, str]:
    req = urllib.request.Request(url, data=body, method="POST", headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=15) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def test_signed_click_records_a_correction_on_the_feedback_topic(
    bootstrap: str, prefix: str, spawn_worker: Callable[..., Worker], tmp_path: Path
) -> None:
    w = spawn_worker({"SLACK_SIGNING_SECRET": SIGNING})
    samples = [{"id": "x:1", "text": "kiitos nopeasta avusta"}, {"id": "x:2", "text": TEXT}]
    message = _message(samples)
    now = int(time.time())
    body, headers = _click(message, "sentiment|positive|1|x:2", now)
    status, text = _post(f"{w.url}/slack/actions", body, headers)
    assert status == 200, text
    # the same signed request again is a replay: refused, nothing recorded twice
    assert _post(f"{w.url}/slack/actions", body, headers)[0] == 401
    # a forged one is refused
    forged = {**headers, "X-Slack-Signature": "v0=" + "0" * 64}
    assert _post(f"{w.url}/slack/actions", body, forged)[0] == 401
    # an option naming a sample the message does not show is a bad request
    bad_body, bad_headers = _click(message, "sentiment|positive|2|x:3", now + 1)
    assert _post(f"{w.url}/slack/actions", bad_body, bad_headers)[0] == 400

    out = tmp_path / "feedback.ndjson"
    rows: list[dict] = []

    def exported() -> bool:
        written, skipped = export(bootstrap, prefix + "feedback", out, timeout_s=3.0)
        rows[:] = [json.loads(line) for line in out.read_text().splitlines()]
        return written == 1 and skipped == 0

    wait_for(exported, timeout=60, what="the correction on the feedback topic")
    rec = rows[0]
    assert rec["mention_id"] == "x:2"
    assert rec["text"] == TEXT  # unescaped from the message Slack sent back
    assert rec["brand"] == "nordbank"
    assert rec["incident_id"] == "inc-nordbank~volume_surge~1"
    assert rec["field"] == "sentiment"
    assert rec["new"] == "positive"
    assert rec["old"] == "negative"  # what the model says of the text
    assert rec["lang"] == "fi"
    assert rec["who"] == "U42"
    assert rec["event_time"] == pytest.approx(now + 0.0001)
