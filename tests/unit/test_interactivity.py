"""Interactivity: signature/timestamp verification and click parsing, as tables."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

import pytest
from slack_sdk.signature import SignatureVerifier

from alerts.incidents import Command
from alerts.interactivity import BadRequest, Unauthorized, parse_interaction

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
NOW = 1_772_900_000.0


def click(
    action_id: str = "spikewatch_ack",
    value: Any = "inc-nordbank~volume_surge~0123456789ab",
    **payload: Any,
) -> dict[str, Any]:
    p: dict[str, Any] = {
        "type": "block_actions",
        "user": {"id": "U42"},
        "actions": [{"action_id": action_id, "value": value}],
    }
    p.update(payload)
    return p


def body_of(payload: Any) -> bytes:
    return urlencode({"payload": json.dumps(payload)}).encode()


def signed(body: bytes, ts: float = NOW, secret: str = SECRET) -> dict[str, str]:
    t = str(int(ts))
    sig = SignatureVerifier(secret).generate_signature(timestamp=t, body=body)
    assert sig is not None
    return {"X-Slack-Request-Timestamp": t, "X-Slack-Signature": sig}


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        (click(), Command("ack", "inc-nordbank~volume_surge~0123456789ab", "U42", NOW)),
        (
            click("spikewatch_resolve"),
            Command("resolve", "inc-nordbank~volume_surge~0123456789ab", "U42", NOW),
        ),
        (
            click("spikewatch_snooze", "inc-nordbank~volume_surge~0123456789ab|60"),
            Command("snooze", "inc-nordbank~volume_surge~0123456789ab", "U42", NOW, 60),
        ),
        (
            click("spikewatch_snooze", "inc-nordbank~volume_surge~0123456789ab"),
            Command("snooze", "inc-nordbank~volume_surge~0123456789ab", "U42", NOW, None),
        ),
        (
            click(
                "spikewatch_snooze",
                None,
                actions=[
                    {
                        "action_id": "spikewatch_snooze",
                        "selected_option": {"value": "inc-nordbank~volume_surge~0123456789ab|240"},
                    }
                ],
            ),
            Command("snooze", "inc-nordbank~volume_surge~0123456789ab", "U42", NOW, 240),
        ),
    ],
)
def test_valid_clicks_table(payload: dict[str, Any], expected: Command) -> None:
    body = body_of(payload)
    assert parse_interaction(signed(body), body, SECRET, NOW) == expected


@pytest.mark.parametrize(
    ("make_headers", "now", "reason"),
    [
        (lambda b: {}, NOW, "missing_signature"),
        (lambda b: {"X-Slack-Request-Timestamp": str(int(NOW))}, NOW, "missing_signature"),
        (lambda b: signed(b, secret="wrong-secret"), NOW, "bad_signature"),
        (lambda b: signed(b + b"x"), NOW, "bad_signature"),
        (lambda b: signed(b, ts=NOW - 301), NOW, "stale_request"),
        (lambda b: signed(b, ts=NOW + 301), NOW, "stale_request"),
        (lambda b: {**signed(b), "X-Slack-Request-Timestamp": "noon"}, NOW, "bad_timestamp"),
        (lambda b: {k.lower(): v for k, v in signed(b, ts=NOW - 299).items()}, NOW, None),
    ],
)
def test_signature_table(make_headers: Any, now: float, reason: str | None) -> None:
    body = body_of(click())
    headers = make_headers(body)
    if reason is None:
        assert parse_interaction(headers, body, SECRET, now).action == "ack"
    else:
        with pytest.raises(Unauthorized, match=reason) as err:
            parse_interaction(headers, body, SECRET, now)
        assert err.value.status == 401


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"payload=not-json", "no_payload"),
        (b"nothing=here", "no_payload"),
        (body_of([1, 2]), "no_payload"),
        (body_of(click(type="view_submission")), "unsupported_type"),
        (body_of(click(actions=[])), "no_action"),
        (body_of(click("somebody_else")), "unknown_action"),
        (body_of(click(value="")), "no_incident_id"),
        (body_of(click(value="drop table")), "bad_incident_id"),
        (
            body_of(click("spikewatch_snooze", "inc-nordbank~volume_surge~0123456789ab|soon")),
            "bad_snooze_minutes",
        ),
        (
            body_of(click("spikewatch_snooze", "inc-nordbank~volume_surge~0123456789ab|0")),
            "bad_snooze_minutes",
        ),
        (body_of(click(user={})), "no_user"),
        (b"payload=" + b"x" * 70_000, "body_too_large"),
    ],
)
def test_bad_request_table(body: bytes, reason: str) -> None:
    with pytest.raises(BadRequest, match=reason) as err:
        parse_interaction(signed(body), body, SECRET, NOW)
    assert err.value.status == 400
