"""Security at the edges: signed Slack requests only (no forgery, no replay), a bearer
token on ``/ingest``, and secrets that never reach logs, reprs or error messages."""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable

import pytest
from slack_sdk.signature import SignatureVerifier

from alerts.dedup import Notification
from alerts.slack_delivery import SlackDelivery
from streams.settings import load_settings
from tests.harness import Worker, business_morning, free_port, outage_mentions, produce, wait_for
from tests.slackfake import SlackFake

pytestmark = pytest.mark.integration

BOT = "xoxb-1111-security-BOT-secret-value"
SIGNING = "signing-secret-9f8e7d6c5b4a"
INGEST = "ingest-token-3c2b1a0f"
SECRETS = (BOT, SIGNING, INGEST)


def click(
    secret: str, ts: int, incident: str = "inc-nordbank~volume_surge~1"
) -> tuple[bytes, dict]:
    payload = {
        "type": "block_actions",
        "user": {"id": "U1"},
        "actions": [{"action_id": "spikewatch_ack", "value": incident}],
    }
    body = urllib.parse.urlencode({"payload": json.dumps(payload)}).encode()
    sig = SignatureVerifier(secret).generate_signature(timestamp=str(ts), body=body)
    return body, {
        "X-Slack-Request-Timestamp": str(ts),
        "X-Slack-Signature": sig,
        "Content-Type": "application/x-www-form-urlencoded",
    }


def send(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, str]:
    req = urllib.request.Request(url, data=body, method="POST", headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def test_forged_replayed_unauthorised_requests_refused_and_no_secret_in_logs(
    bootstrap: str, spawn_worker: Callable[..., Worker]
) -> None:
    # Slack answers invalid_auth and 500s: the worker logs failures, never the token.
    with SlackFake(token="xoxb-some-other-token") as slack:
        slack.fail_next(3, "500")
        w = spawn_worker(
            {
                "SLACK_BOT_TOKEN": BOT,
                "SLACK_SIGNING_SECRET": SIGNING,
                "SPIKEWATCH_INGEST_TOKEN": INGEST,
                "SLACK_API_URL": slack.base_url,
                "SPIKEWATCH_LOG_LEVEL": "DEBUG",
            }
        )
        actions = f"{w.url}/slack/actions"
        now = int(time.time())
        tried = 0

        def refused(body: bytes, headers: dict[str, str], reason: str) -> None:
            nonlocal tried
            tried += 1
            status, text = send(actions, body, headers)
            assert (status, text) == (401, reason)

        body, headers = click(SIGNING, now)
        refused(body, {**headers, "X-Slack-Signature": "v0=" + "0" * 64}, "bad_signature")
        refused(*click("not-the-secret", now), "bad_signature")
        refused(body, {"Content-Type": headers["Content-Type"]}, "missing_signature")
        refused(*click(SIGNING, now - 301), "stale_request")
        refused(*click(SIGNING, now + 301), "stale_request")
        tampered = body.replace(b"spikewatch_ack", b"spikewatch_resolve")
        refused(tampered, headers, "bad_signature")
        assert send(actions, body, headers)[0] == 200  # the genuine click, once
        refused(body, headers, "replayed_request")  # the same request again
        refused(body, headers, "replayed_request")
        assert w.metric("spikewatch_slack_interactions_total", result="replayed_request") == 2

        ingest = f"{w.url}/ingest"
        good = json.dumps(
            outage_mentions("nordbank", business_morning(), normal_hours=0.1, surge_minutes=0)[0]
        ).encode()
        for auth in (
            None,
            "Bearer wrong",
            f"Bearer {INGEST}x",
            INGEST,
            f"Basic {INGEST}",
            f"bearer  {INGEST}",
        ):
            h = {"Content-Type": "application/json"} | ({"Authorization": auth} if auth else {})
            status, text = send(ingest, good, h)
            tried += 1
            assert status == 401, auth
            assert INGEST not in text
        status, _ = send(
            ingest, good, {"Content-Type": "application/json", "Authorization": f"Bearer {INGEST}"}
        )
        assert status == 202

        # An incident, so the worker talks to Slack (which refuses it) and logs about it.
        produce(
            bootstrap,
            w.topic("mentions"),
            [
                (b"nordbank", json.dumps(m).encode())
                for m in outage_mentions("nordbank", business_morning(), id_prefix="sec")
            ],
        )
        # (Before a main post the worker looks it up: conversations.list/history come first.)
        wait_for(
            lambda: len([c for c in slack.calls if c.method != "auth.test"]) >= 2,
            120,
            "the worker trying Slack",
        )
        wait_for(lambda: "Slack did not accept" in w.log_text(), 60, "a logged Slack failure")
        assert all(c.token == BOT for c in slack.calls)
        metrics = w.metrics()
        w.stop(signal.SIGTERM)
    log = w.log_text()
    assert "invalid_auth" in log or "http_500" in log
    for s in SECRETS:
        assert s not in log, f"a secret leaked into the worker's output: {s[:6]}..."
        assert s not in metrics
    print(
        f"\nsecurity: {tried} forged/stale/replayed/unauthorised requests refused; "
        f"{len(log.splitlines())} log lines checked for {len(SECRETS)} secrets"
    )


def test_settings_and_delivery_errors_never_show_secrets(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", BOT)
    monkeypatch.setenv("SLACK_SIGNING_SECRET", SIGNING)
    monkeypatch.setenv("SPIKEWATCH_INGEST_TOKEN", INGEST)
    s = load_settings()
    for shown in (repr(s), str(s), s.model_dump_json(), str(s.model_dump())):
        assert not any(x in shown for x in SECRETS)
    assert s.slack_bot_token is not None
    assert s.slack_bot_token.get_secret_value() == BOT  # read from the environment

    # A wrong setting fails at start naming the setting, without echoing any secret.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SPIKEWATCH_", "SLACK_"))}
    env.update(
        SLACK_BOT_TOKEN=BOT,
        SLACK_SIGNING_SECRET=SIGNING,
        SPIKEWATCH_INGEST_TOKEN=INGEST,
        SPIKEWATCH_PARTITIONS="zero",
        SPIKEWATCH_KAFKA_BOOTSTRAP_SERVERS="127.0.0.1:1",
    )
    r = subprocess.run(
        [sys.executable, "-m", "streams.cli", "worker"],
        env=env,
        capture_output=True,
        timeout=60,
        check=False,
    )
    out = (r.stdout + r.stderr).decode()
    assert r.returncode != 0
    assert "SPIKEWATCH_PARTITIONS" in out
    assert not any(x in out for x in SECRETS)

    # Slack unreachable (a closed port) and Slack refusing: results and logs stay clean.
    caplog.set_level(logging.DEBUG)
    dead = SlackDelivery(
        BOT,
        base_url=f"http://127.0.0.1:{free_port()}/api/",
        max_wait_seconds=1.0,
        timeout=1,
        max_retries=1,
        backoff_seconds=0.01,
    )
    assert BOT not in repr(dead)
    n = Notification("k1", "#somecare-alerts", "post", f"text with {BOT}", [], "inc-x", "main")
    res = dead.send(n, None)
    assert not res.ok
    with SlackFake(token="xoxb-another") as slack:
        slack.fail_next(1, "500")
        refusing = SlackDelivery(
            BOT,
            base_url=slack.base_url,
            max_wait_seconds=2.0,
            backoff_seconds=0.01,
            per_channel_interval=0,
        )
        results = [refusing.send(n, None) for _ in range(2)]
    assert [r.ok for r in results] == [False, False]
    shown = " ".join(str(x) for x in (res, *results)) + caplog.text
    assert "invalid_auth" in shown
    assert BOT not in shown.replace(f"text with {BOT}", "")
