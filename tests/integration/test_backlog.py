"""Response times and the reply backlog on the real broker, a real worker and the fake Slack.

The simulator's demo morning (a login outage with the brand's replies falling
behind) goes through the worker: the Slack alert carries the backlog signal,
and the response-time metrics on /metrics match what the pure detectors compute
over the same mentions.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from alerts.engine import Engine
from detectors.backlog import ResponseEvent
from detectors.mention import EnrichedMention, mention_from_obj, parse_time
from streams.app import engine_config
from streams.settings import load_deployment
from tests.harness import Worker, produce, wait_for
from tests.slackfake import SlackFake
from tools.simulate import demo_scenario

pytestmark = pytest.mark.integration

TOKEN = "xoxb-backlog-test-token"
CONFIG = Path(__file__).resolve().parents[1] / "data" / "integration" / "backlog.yaml"


@pytest.fixture
def slack() -> Iterator[SlackFake]:
    with SlackFake(token=TOKEN) as s:
        yield s


def recent_demo() -> list[dict[str, Any]]:
    """The demo scenario moved by whole days (same local hours) to end before now."""
    rows = demo_scenario()
    last = max(parse_time(r["created_at"]).timestamp() for r in rows)
    shift = math.floor((time.time() - last) / 86400) * 86400
    out = []
    for r in rows:
        ts = parse_time(r["created_at"]).timestamp() + shift
        out.append({**r, "created_at": datetime.fromtimestamp(ts, UTC).isoformat()})
    return out


def expected_responses(rows: list[dict[str, Any]]) -> list[ResponseEvent]:
    """First responses as the pure detectors see them (the worker's config and order)."""
    eng = Engine(engine_config(load_deployment(CONFIG)))
    ms = [mention_from_obj(r) for r in rows]
    out: list[ResponseEvent] = []
    for m, e in zip(ms, eng.enricher.enrich_batch(ms), strict=True):
        out.extend(eng.state(m.brand).observe(EnrichedMention(m, e)).responses)
    return out


def slack_texts(slack: SlackFake) -> list[str]:
    """Every text and block payload Slack received or holds, old versions included."""
    out = []
    for m in slack.posts():
        out.append(m.text + json.dumps(m.blocks, ensure_ascii=False))
        out.extend(json.dumps(h, ensure_ascii=False) for h in m.history)
    return out


def test_outage_with_replies_shows_backlog_in_slack_and_response_metrics(
    bootstrap: str, spawn_worker: Callable[..., Worker], slack: SlackFake
) -> None:
    rows = recent_demo()
    brand_replies = [r for r in rows if r["author"].get("is_brand") and r.get("in_reply_to")]
    assert len(brand_replies) > 50  # the scenario has the team answering
    w = spawn_worker(
        {
            "SLACK_BOT_TOKEN": TOKEN,
            "SLACK_API_URL": slack.base_url,
            "SPIKEWATCH_CONFIG": str(CONFIG),
            "SPIKEWATCH_DETAILED_METRICS": "true",  # the per-channel series checked below
        }
    )
    produce(
        bootstrap,
        w.topic("mentions"),
        [(b"nordbank", json.dumps(r, ensure_ascii=False).encode()) for r in rows],
    )
    want = expected_responses(rows)  # computed while the worker runs
    newest = max(parse_time(r["created_at"]).timestamp() for r in rows)
    wait_for(
        lambda: (
            w.metric("spikewatch_last_event_timestamp_seconds", brand="nordbank") >= newest - 1e-3
        ),
        180,
        "every mention through detection",
        interval=1,
    )

    # The Slack alert carries the backlog signal and its advice.
    def backlog_in_slack() -> list[str]:
        return [
            t
            for t in slack_texts(slack)
            if "Backlog:" in t and "post an interim status update" in t
        ]

    hits = wait_for(backlog_in_slack, 90, "the backlog in a Slack alert", interval=1)
    assert any("inflow" in t and "answered" in t for t in hits)

    # Response-time metrics: the worker's figures are the pure detectors' figures.
    assert w.metric("spikewatch_mentions_consumed_total") == len(rows)
    assert want
    count = w.metric("spikewatch_first_response_seconds_count", brand="nordbank")
    total = w.metric("spikewatch_first_response_seconds_sum", brand="nordbank")
    within = w.metric("spikewatch_first_responses_within_promise_total", brand="nordbank")
    assert count == len(want)
    assert total == pytest.approx(sum(r.response_seconds for r in want), rel=1e-6)
    assert within == sum(r.within_promise for r in want)
    assert 0 < within < count  # some answers kept the promise, the outage broke it for others
    assert 60 < total / count < 6 * 3600  # a mean first response between a minute and 6 h
    for ch in {r.channel for r in want}:
        assert w.metric(
            "spikewatch_first_response_seconds_count", brand="nordbank", channel=ch
        ) == sum(r.channel == ch for r in want)
    assert w.metric("spikewatch_response_promise_seconds", brand="nordbank") == 3600
    assert w.metric("spikewatch_backlog_open_mentions", brand="nordbank") > 20
    assert w.metric("spikewatch_backlog_inflow_per_second", brand="nordbank") > w.metric(
        "spikewatch_backlog_answered_per_second", brand="nordbank"
    )
