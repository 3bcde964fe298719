"""Escalation and Slack interactivity on the real broker, real workers and the fake Slack.

- an incident escalates through its tiers on event time: the comms-lead ping
  (after 5 min) and the crisis-room post (after 15 min) appear only once event
  time has passed their due time, and then exactly once;
- a correctly signed Acknowledge click stops the escalation of its incident;
  forged, stale or tampered clicks are refused (401) and change nothing;
- a worker restarted in the middle of the incident does not repeat a post;
- a Slack outage (5xx, then 429, then hanging requests) while the worker keeps
  processing ends with every message delivered exactly once, paced per channel.

Event time is driven by producing later mentions; the deployment in
``tests/data/integration/`` has short tiers and no quiet hours.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from slack_sdk.signature import SignatureVerifier

from detectors.mention import parse_time
from tests.harness import Worker, consume, outage_mentions, produce, wait_for
from tests.slackfake import Message, SlackFake

pytestmark = pytest.mark.integration

TOKEN = "xoxb-escalation-test-token"
SECRET = "escalation-test-signing-secret"
CONFIG = Path(__file__).resolve().parents[1] / "data" / "integration" / "deployment.yaml"
CARE, CRISIS, LEAD = "#it-care", "#it-crisis", "<@ULEAD>"
TIER2, TIER3 = 5 * 60, 15 * 60  # after_minutes of comms_lead and crisis in escalation.yaml


@pytest.fixture
def slack() -> Iterator[SlackFake]:
    with SlackFake(token=TOKEN) as s:
        yield s


def env(slack: SlackFake) -> dict[str, str]:
    return {
        "SLACK_BOT_TOKEN": TOKEN,
        "SLACK_API_URL": slack.base_url,
        "SLACK_SIGNING_SECRET": SECRET,
        "SPIKEWATCH_CONFIG": str(CONFIG),
    }


# -- helpers ---------------------------------------------------------------------------


def storm(brand: str, surge_start: float, tag: str) -> list[tuple[float, dict[str, Any]]]:
    """Six quiet hours, then a 40-minute outage storm from ``surge_start``; (ts, mention)."""
    ms = outage_mentions(brand, surge_start - 6 * 3600, id_prefix=tag)
    return [(parse_time(m["created_at"]).timestamp(), m) for m in ms]


class Feed:
    """Produces a brand's mentions in event-time order, up to a bound at a time."""

    def __init__(self, bootstrap: str, w: Worker, rows: list[tuple[float, dict[str, Any]]]):
        self.bootstrap, self.topic, self.rows, self.sent = bootstrap, w.topic("mentions"), rows, 0
        self.brand = rows[0][1]["brand"]

    def until(self, bound: float) -> float:
        """Send every mention with event time < ``bound``; return the newest event time sent."""
        batch = []
        while self.sent < len(self.rows) and self.rows[self.sent][0] < bound:
            batch.append((self.brand.encode(), json.dumps(self.rows[self.sent][1]).encode()))
            self.sent += 1
        if batch:
            produce(self.bootstrap, self.topic, batch)
        return self.rows[self.sent - 1][0]


def incident_events(bootstrap: str, w: Worker) -> list[dict[str, Any]]:
    """Every record on the ``incidents`` topic so far."""
    return [json.loads(r.value) for r in consume(bootstrap, w.topic("incidents"), 10**9, timeout=3)]


def opened(bootstrap: str, w: Worker, brands: list[str]) -> dict[str, dict[str, Any]]:
    """Wait for the first 'opened' incident of each brand; brand -> incident dict."""

    def found() -> dict[str, dict[str, Any]] | None:
        out = {}
        for r in incident_events(bootstrap, w):
            if r["type"] == "opened":
                out.setdefault(r["incident"]["brand"], r["incident"])
        return out if all(b in out for b in brands) else None

    return wait_for(found, 120, f"incidents opened for {brands}", interval=1)


def settle(w: Worker, slack: SlackFake, newest: dict[str, float], quiet: float = 4.0) -> None:
    """Wait until the worker has seen ``newest`` event time per brand and Slack went quiet."""
    for brand, ts in newest.items():
        wait_for(
            lambda b=brand, t=ts: (
                w.metric("spikewatch_last_event_timestamp_seconds", brand=b) >= t - 1e-3
            ),
            120,
            f"event time {ts:.0f} of {brand} processed",
            interval=0.5,
        )
    last = -1
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        n = len(slack.calls)
        if n == last:
            return
        last = n
        time.sleep(quiet)


def top_level(slack: SlackFake, channel: str, incident_id: str) -> list[Message]:
    cid = SlackFake.channel_id(channel)
    return [
        m
        for m in slack.posts()
        if m.channel == cid
        and m.thread_ts is None
        and (m.metadata or {}).get("event_payload", {}).get("incident_id") == incident_id
    ]


def replies(slack: SlackFake, parent: Message, needle: str) -> list[Message]:
    return [
        m
        for m in slack.posts()
        if m.thread_ts == parent.ts and m.channel == parent.channel and needle in m.text
    ]


def button(msg: Message, action_id: str) -> str:
    for b in msg.blocks:
        for e in b.get("elements", []) if b.get("type") == "actions" else []:
            if e.get("action_id") == action_id:
                return str(e["value"])
    raise AssertionError(f"no {action_id} button in {msg.text!r}")


def signed(body: bytes, secret: str = SECRET, ts: float | None = None) -> dict[str, str]:
    stamp = str(int(time.time() if ts is None else ts))
    sig = SignatureVerifier(secret).generate_signature(timestamp=stamp, body=body)
    return {
        "X-Slack-Request-Timestamp": stamp,
        "X-Slack-Signature": sig,
        "Content-Type": "application/x-www-form-urlencoded",
    }


def post_action(w: Worker, body: bytes, headers: dict[str, str]) -> int:
    req = urllib.request.Request(
        f"{w.url}/slack/actions", data=body, headers=headers, method="POST"
    )
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return int(r.status)
    except urllib.error.HTTPError as e:
        return int(e.code)


def ack_body(incident_value: str, user: str) -> bytes:
    payload = {
        "type": "block_actions",
        "user": {"id": user},
        "trigger_id": "t.1",
        "actions": [{"action_id": "spikewatch_ack", "value": incident_value}],
    }
    return urlencode({"payload": json.dumps(payload)}).encode()


def accepted_posts(slack: SlackFake) -> list[tuple[str, str | None, str]]:
    """(channel, thread, text) of every chat.postMessage Slack accepted."""
    out = []
    for c in slack.calls_to("chat.postMessage"):
        if c.answered == 200 and c.params.get("channel"):
            out.append(
                (
                    SlackFake.channel_id(str(c.params["channel"])),
                    c.params.get("thread_ts"),
                    str(c.params.get("text")),
                )
            )
    return out


# -- tests -------------------------------------------------------------------------------


def test_tiers_on_event_time_ack_stops_escalation_and_restart_does_not_repost(
    bootstrap: str, spawn_worker: Callable[..., Worker], slack: SlackFake
) -> None:
    w = spawn_worker(env(slack))
    surge = time.time() - 45 * 60  # the whole story stays in the past of the clicks
    feeds = {b: Feed(bootstrap, w, storm(b, surge, b[:2])) for b in ("nordbank", "lumoverkko")}

    # 1. The storm begins: an incident per brand opens and is posted in the care channel.
    newest = {b: f.until(surge + 240) for b, f in feeds.items()}
    inc = opened(bootstrap, w, list(feeds))
    a, b = inc["nordbank"], inc["lumoverkko"]
    assert a["kind"] == b["kind"] == "negative_burst"

    # 2. Event time up to just before the comms-lead tier is due: no ping, no crisis post.
    newest = {k: f.until(inc[k]["opened_at"] + TIER2 - 1) for k, f in feeds.items()}
    settle(w, slack, newest)
    main_a, main_b = (top_level(slack, CARE, i["id"]) for i in (a, b))
    assert len(main_a) == 1, [m.text for m in slack.posts()]
    assert len(main_b) == 1, [m.text for m in slack.posts()]
    for m in (main_a[0], main_b[0]):
        assert not replies(slack, m, LEAD)
    assert not top_level(slack, CRISIS, a["id"])
    assert not top_level(slack, CRISIS, b["id"])

    # 3. Forged, stale and tampered clicks on B's Acknowledge are refused.
    value = button(main_b[0], "spikewatch_ack")
    assert value == b["id"]
    body = ack_body(value, "UCARE")
    assert post_action(w, body, signed(body, secret="not-the-secret")) == 401
    assert post_action(w, body, signed(body, ts=time.time() - 600)) == 401
    assert post_action(w, ack_body(a["id"], "UMALLORY"), signed(body, ts=time.time() - 5)) == 401
    assert post_action(w, body, {"Content-Type": "application/x-www-form-urlencoded"}) == 401
    assert w.metric("spikewatch_slack_interactions_total", result="bad_signature") == 2
    assert w.metric("spikewatch_slack_interactions_total", result="stale_request") == 1
    # ...then the real, signed click acknowledges it.
    assert post_action(w, body, signed(body)) == 200
    acked = wait_for(
        lambda: [r for r in incident_events(bootstrap, w) if r["type"] == "acknowledged"],
        60,
        "the acknowledgement",
    )
    assert [(r["incident"]["id"], r["incident"]["acknowledged_by"]) for r in acked] == [
        (b["id"], "UCARE")
    ]
    wait_for(lambda: replies(slack, main_b[0], "UCARE"), 60, "the ack reply in B's thread")

    # 4. Restart the worker in the middle of both incidents.
    posts_before = accepted_posts(slack)
    w.stop()
    w = spawn_worker(env(slack), name="restarted")

    # 5. Past the comms-lead tier: A's lead is pinged once in A's thread; B stays quiet.
    newest = {k: f.until(inc[k]["opened_at"] + TIER3 - 1) for k, f in feeds.items()}
    settle(w, slack, newest)
    assert len(replies(slack, main_a[0], LEAD)) == 1
    assert not replies(slack, main_b[0], LEAD)
    assert not top_level(slack, CRISIS, a["id"])
    assert not top_level(slack, CRISIS, b["id"])

    # 6. Past the crisis tier: A goes to the crisis room once; acknowledged B does not.
    newest = {k: f.until(inc[k]["opened_at"] + TIER3 + 600) for k, f in feeds.items()}
    settle(w, slack, newest)
    crisis = top_level(slack, CRISIS, a["id"])
    assert len(crisis) == 1
    assert "Escalated" in json.dumps(crisis[0].blocks)
    assert not top_level(slack, CRISIS, b["id"])
    assert not replies(slack, main_b[0], LEAD)
    assert len(replies(slack, main_a[0], LEAD)) == 1

    # The restarted worker repeated nothing: every accepted post is distinct, and the
    # posts from before the restart are still there exactly once.
    posts = accepted_posts(slack)
    assert len(posts) == len(set(posts)), "a message was posted twice"
    assert posts[: len(posts_before)] == posts_before
    assert len(top_level(slack, CARE, a["id"])) == len(top_level(slack, CARE, b["id"])) == 1


@pytest.mark.slow
def test_slack_outage_ends_with_every_message_delivered_once(
    bootstrap: str, spawn_worker: Callable[..., Worker], slack: SlackFake
) -> None:
    w = spawn_worker(env(slack))
    surge = time.time() - 45 * 60
    feed = Feed(bootstrap, w, storm("nordbank", surge, "o"))

    # Slack answers 500 for 25 s, then 429 for 25 s, then hangs past the client's timeout.
    slack.fail_for(26, "500")
    timers = [
        threading.Timer(25, slack.fail_for, (26, "429"), {"retry_after": 2}),
        threading.Timer(50, slack.fail_for, (20, "hang"), {"hang_seconds": 12}),
    ]
    for t in timers:
        t.daemon = True
        t.start()
    outage_ends = time.monotonic() + 70
    newest = feed.until(surge + TIER3 + 600)  # the whole incident, crisis tier included

    # The worker keeps processing while Slack is down.
    wait_for(
        lambda: w.metric("spikewatch_mentions_consumed_total") >= feed.sent,
        60,
        "every mention consumed during the outage",
    )
    assert time.monotonic() < outage_ends, "the pipeline stalled behind Slack"
    wait_for(
        lambda: (
            w.metric("spikewatch_last_event_timestamp_seconds", brand="nordbank") >= newest - 1e-3
        ),
        60,
        "detection caught up during the outage",
    )
    ok_early = [
        c
        for c in slack.calls
        if c.answered == 200 and c.at < outage_ends - 1 and c.method != "auth.test"
    ]
    assert not ok_early, "Slack answered during the outage"

    # After the outage (the notify agent retries every 15 s) everything arrives once.
    inc = opened(bootstrap, w, ["nordbank"])["nordbank"]

    def delivered() -> bool:
        main = top_level(slack, CARE, inc["id"])
        return (
            len(main) == 1
            and bool(replies(slack, main[0], LEAD))
            and bool(top_level(slack, CRISIS, inc["id"]))
            and bool(replies(slack, main[0], "Draft status update"))
        )

    wait_for(delivered, 180, "every message after the outage", interval=1)
    settle(w, slack, {"nordbank": newest}, quiet=5)
    main = top_level(slack, CARE, inc["id"])
    assert len(main) == 1
    assert len(top_level(slack, CRISIS, inc["id"])) == 1
    assert len(replies(slack, main[0], LEAD)) == 1
    assert len(replies(slack, main[0], "Draft status update")) == 1
    posts = accepted_posts(slack)
    assert len(posts) == len(set(posts)), "a message was posted twice"
    # One chart per severity reached (medium, then critical), none uploaded twice.
    charts = [
        json.loads(c.params["files"])[0]["title"]
        for c in slack.calls_to("files.completeUploadExternal")
        if c.answered == 200
    ]
    assert charts
    assert len(charts) == len(set(charts)), f"a chart was uploaded twice: {charts}"
    assert w.metric("spikewatch_slack_retries_total") > 0
    assert w.metric("spikewatch_alerts_total", result="failed") > 0

    # Paced: about one message per second per channel, also while catching up; a
    # burst of at most three (SlackDelivery's per_channel_burst) may go at once.
    by_channel: dict[str, list[float]] = {}
    for c in slack.calls:
        if c.method in ("chat.postMessage", "chat.update") and c.answered == 200:
            ch = SlackFake.channel_id(str(c.params.get("channel")))
            by_channel.setdefault(ch, []).append(c.at)
    assert any(len(ats) > 1 for ats in by_channel.values())
    for ats in by_channel.values():
        for i, j in itertools.combinations(range(len(ats)), 2):
            allowed = 3 + (ats[j] - ats[i]) / 1.0 + 0.1  # slack for the clocks' jitter
            assert j - i + 1 <= allowed, f"{j - i + 1} messages in {ats[j] - ats[i]:.2f}s"
