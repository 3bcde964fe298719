"""Edge tests: slack-sdk against tests/slackfake.py (200, ok:false, 429, 500, timeout)."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from prometheus_client import CollectorRegistry

from alerts.console_delivery import ConsoleDelivery
from alerts.dedup import Notification, SentLog
from alerts.escalation import dispatch, main_key, plan
from alerts.incidents import Incident
from alerts.policy import parse_policy
from alerts.slack_delivery import SlackDelivery, make_delivery
from alerts.slack_errors import redact
from tests.slackfake import SlackFake

TOKEN = "xoxb-1234-5678-SeCrEtToKeN"


class FakeTime:
    """Injected clock and sleep: retries and pacing without waiting."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, s: float) -> None:
        self.slept.append(s)
        self.now += s


@pytest.fixture
def slack() -> Iterator[Any]:
    with SlackFake(token=TOKEN) as fake:
        yield fake


@pytest.fixture
def ft() -> FakeTime:
    return FakeTime()


def delivery(slack: Any, ft: FakeTime, **kw: Any) -> SlackDelivery:
    opts: dict[str, Any] = {
        "max_wait_seconds": 10.0,
        "timeout": 1,
        "sleep": ft.sleep,
        "clock": ft.clock,
    }
    opts.update(kw)
    return SlackDelivery(TOKEN, slack.base_url, **opts)


def post(channel: str = "#care", key: str = "inc-1:#care:main") -> Notification:
    return Notification(
        key,
        channel,
        "post",
        "Volume surge",
        [{"type": "section", "text": {"type": "mrkdwn", "text": "hi"}}],
        "inc-1",
        "care",
        metadata={"event_type": "spikewatch_incident", "event_payload": {"incident_id": "inc-1"}},
    )


def test_200_ok(slack: Any, ft: FakeTime) -> None:
    r = delivery(slack, ft).send(post(), None)
    assert r.ok
    assert r.ts
    assert r.channel == SlackFake.channel_id("#care")
    (call,) = slack.calls
    assert call.method == "chat.postMessage"
    assert call.token == TOKEN
    assert call.params["unfurl_links"] is False
    assert json.loads(json.dumps(call.params["blocks"]))[0]["type"] == "section"
    assert call.params["metadata"]["event_type"] == "spikewatch_incident"


def test_ok_false_is_counted_not_retried(slack: Any, ft: FakeTime) -> None:
    reg = CollectorRegistry()
    d = delivery(slack, ft, registry=reg)
    slack.fail_next(1, "ok_false", error="channel_not_found")
    r = d.send(post(), None)
    assert (r.ok, r.error, r.attempts, r.retryable) == (False, "channel_not_found", 1, False)
    assert len(slack.calls) == 1
    assert ft.slept == []
    assert (
        reg.get_sample_value(
            "spikewatch_slack_requests_total",
            {"method": "chat.postMessage", "outcome": "slack_error"},
        )
        == 1
    )
    assert (
        reg.get_sample_value(
            "spikewatch_slack_requests_total", {"method": "chat.postMessage", "outcome": "ok"}
        )
        == 0
    )


def test_429_honours_retry_after(slack: Any, ft: FakeTime) -> None:
    reg = CollectorRegistry()
    slack.fail_next(2, "429", retry_after=7)
    r = delivery(slack, ft, registry=reg, max_wait_seconds=30).send(post(), None)
    assert r.ok
    assert r.attempts == 3
    assert ft.slept == [7.0, 7.0]
    assert [c.answered for c in slack.calls] == [429, 429, 200]
    assert reg.get_sample_value("spikewatch_slack_retries_total", {"reason": "rate_limited"}) == 2


def test_429_beyond_deadline_gives_up_retryable(slack: Any, ft: FakeTime) -> None:
    slack.fail_next(1, "429", retry_after=60)
    r = delivery(slack, ft, max_wait_seconds=10).send(post(), None)
    assert (r.ok, r.error, r.status, r.retryable) == (False, "ratelimited", 429, True)
    assert len(slack.calls) == 1
    assert ft.slept == []


def test_500_retries_with_backoff(slack: Any, ft: FakeTime) -> None:
    slack.fail_next(2, "500")
    r = delivery(slack, ft, backoff_seconds=0.5).send(post(), None)
    assert r.ok
    assert r.attempts == 3
    assert ft.slept == [0.5, 1.0]


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_5xx_until_deadline(slack: Any, ft: FakeTime, status: int) -> None:
    slack.fail_next(100, "500", status=status)
    r = delivery(slack, ft, backoff_seconds=0.5, max_wait_seconds=3.0).send(post(), None)
    assert (r.ok, r.error, r.status, r.retryable) == (False, f"http_{status}", status, True)
    assert sum(ft.slept) <= 3.0
    assert ft.slept == [0.5, 1.0]
    assert len(slack.calls) == 3


def test_timeout_on_post_is_not_resent(slack: Any, ft: FakeTime) -> None:
    slack.fail_next(1, "hang", hang_seconds=3)
    r = delivery(slack, ft, timeout=1).send(post(), None)
    assert (r.ok, r.error, r.retryable) == (False, "timeout", True)
    assert len(slack.calls_to("chat.postMessage")) == 1  # a blind resend could double-post


def test_timeout_on_update_is_retried(slack: Any, ft: FakeTime) -> None:
    d = delivery(slack, ft, timeout=1)
    first = d.send(post(), None)
    assert first.ok
    assert first.channel
    assert first.ts
    slack.fail_next(1, "hang", method="chat.update", hang_seconds=3)
    upd = Notification(
        "inc-1:#care:main",
        first.channel,
        "update",
        "new text",
        [],
        "inc-1",
        "care",
        message_ts=first.ts,
    )
    r = d.send(upd, None)
    assert r.ok
    assert r.attempts == 2
    assert slack.messages[(first.channel, first.ts)].text == "new text"


def test_update_unknown_message_is_ok_false(slack: Any, ft: FakeTime) -> None:
    upd = Notification("k", "C0NOPE", "update", "x", [], "inc-1", "care", message_ts="1.2")
    r = delivery(slack, ft).send(upd, None)
    assert (r.ok, r.error) == (False, "message_not_found")


@pytest.mark.parametrize(
    ("channels", "burst", "waits"),
    [
        (["#care", "#care", "#care"], 1, [1.0, 1.0]),
        (["#care", "#crisis", "#other"], 1, []),
        (["#care", "#crisis", "#care"], 1, [1.0]),
        # A burst of three goes at once; after it, one a second.
        (["#care"] * 5, 3, [1.0, 1.0]),
        (["#care", "#care", "#crisis", "#care", "#care"], 3, [1.0]),
    ],
)
def test_pacing_per_channel(
    slack: Any, ft: FakeTime, channels: list[str], burst: int, waits: list[float]
) -> None:
    d = delivery(slack, ft, per_channel_interval=1.0, per_channel_burst=burst)
    for ch in channels:
        assert d.send(post(ch), None).ok
    assert [round(w, 6) for w in ft.slept] == waits


def test_pacing_burst_refills_at_one_per_interval(slack: Any, ft: FakeTime) -> None:
    """After a quiet spell the burst is available again, never more than it."""
    d = delivery(slack, ft, per_channel_interval=1.0, per_channel_burst=3)
    for _ in range(3):
        assert d.send(post("#care"), None).ok
    ft.sleep(1.5)  # one and a half slots back
    for _ in range(2):
        assert d.send(post("#care"), None).ok
    assert [round(w, 6) for w in ft.slept] == [1.5, 0.5]
    with pytest.raises(ValueError, match="per_channel_burst"):
        delivery(slack, ft, per_channel_burst=0)


def test_thread_reply_and_chart_upload(slack: Any, ft: FakeTime) -> None:
    d = delivery(slack, ft, per_channel_interval=0)
    parent = d.send(post(), None)
    assert parent.ok
    assert parent.channel
    reply = Notification(
        "inc-1:reminder",
        parent.channel,
        "thread_reply",
        "still on",
        [],
        "inc-1",
        "care",
        parent_key="inc-1:#care:main",
    )
    assert d.send(reply, parent.ts).ok
    assert slack.calls_to("chat.postMessage")[-1].params["thread_ts"] == parent.ts
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    up = d.upload_chart(parent.channel, parent.ts, png, "last hours")
    assert up.ok
    assert up.ts
    f = slack.files[up.ts]
    assert f["data"] == png
    assert f["thread_ts"] == parent.ts
    assert f["channel"] == parent.channel
    no_thread = d.send(reply, None)
    assert (no_thread.ok, no_thread.error) == (False, "no_thread_ts")


def test_token_never_logged(slack: Any, ft: FakeTime, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    d = delivery(slack, ft)
    slack.fail_next(1, "429", retry_after=0)
    slack.fail_next(1, "ok_false", error="invalid_auth")
    d.send(post(), None)
    d.send(post(), None)
    bad = SlackDelivery("xoxb-999-wrong-TOKEN", slack.base_url, sleep=ft.sleep, clock=ft.clock)
    assert bad.auth_test().error == "invalid_auth"
    assert d.auth_test().ok
    assert TOKEN not in caplog.text
    assert "wrong-TOKEN" not in caplog.text
    assert TOKEN not in repr(d)
    assert redact(f"oops {TOKEN}") == "oops xoxb-***"


def test_bad_parameters_raise() -> None:
    with pytest.raises(ValueError, match="token"):
        SlackDelivery("")
    with pytest.raises(ValueError, match="max_wait"):
        SlackDelivery(TOKEN, max_wait_seconds=0)


def test_console_dry_run() -> None:
    lines: list[str] = []
    d = make_delivery(None)
    assert isinstance(d, ConsoleDelivery)
    d2 = ConsoleDelivery(write=lines.append)
    assert d2.send(post(), None).ok
    assert "post -> #care" in lines[0]


def test_pipeline_through_slack_never_double_posts(slack: Any, ft: FakeTime) -> None:
    policy = parse_policy(
        {
            "timezone": "UTC",
            "tiers": [{"name": "care", "channel": "#care"}],
            "update_min_seconds": 0,
        }
    )
    d = delivery(slack, ft, per_channel_interval=0)
    t0 = 1_772_900_000.0
    inc = Incident(
        "inc-9",
        "nordbank",
        "volume_surge",
        None,
        "open",
        "medium",
        t0,
        t0,
        t0,
        evidence={"observed": 50, "expected": 5},
        history=[[t0 - 60, 5, 5], [t0, 50, 5]],
    )
    log = SentLog()
    slack.fail_next(1, "500", status=503, method="chat.postMessage")
    out = dispatch(plan(inc, policy, t0, log), log, d, t0)
    assert [o.decision.reason for o in out] == ["first", "first"]
    assert all(o.recorded for o in out)
    replay = dispatch(plan(inc, policy, t0, log), log, d, t0)
    assert not any(o.result for o in replay)
    assert len([m for m in slack.posts() if m.thread_ts is None]) == 1
    inc.status, inc.acknowledged_by = "acknowledged", "U1"
    out = dispatch(plan(inc, policy, t0 + 60, log), log, d, t0 + 60)
    assert [(o.notification.action, o.decision.reason) for o in out] == [("update", "changed")]
    entry = log.entries[main_key("inc-9", "#care")]
    msg = slack.messages[(entry.channel, entry.message_ts)]
    assert "acknowledged" in json.dumps(msg.blocks)
    assert len(msg.history) == 1
