"""The consumer-lag gauge counts records fetched but not processed (a stuck partition shows)."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from tests.harness import Worker, business_morning, outage_mentions, produce, wait_for
from tests.slackfake import SlackFake

pytestmark = pytest.mark.integration

TOKEN = "xoxb-lag-test-token"


def test_lag_rises_while_slack_holds_the_notify_partition(
    bootstrap: str, spawn_worker: Callable[..., Worker]
) -> None:
    with SlackFake(token=TOKEN) as slack:
        slack.fail_for(600, "hang", method="chat.postMessage", hang_seconds=600)
        # A Slack read timeout longer than the test: the hung post holds the notify partition
        # (with the default 10 s the worker gives up on it and moves on, as it should live).
        w = spawn_worker(
            {
                "SLACK_BOT_TOKEN": TOKEN,
                "SLACK_API_URL": slack.base_url,
                "SPIKEWATCH_SLACK_TIMEOUT_SECONDS": "600",
            }
        )
        rows = outage_mentions("nordbank", business_morning(), surge_minutes=60)
        half = len(rows) - 6 * 80  # the quiet morning and the first half hour of the surge
        encoded = [(b"nordbank", json.dumps(r).encode()) for r in rows]
        produce(bootstrap, w.topic("mentions"), encoded[:half])
        wait_for(lambda: slack.calls_to("chat.postMessage"), 120, "the first (hanging) post")

        def lag() -> float:
            return w.metric("spikewatch_consumer_lag_messages", topic=w.topic("incidents"))

        first = wait_for(lag, 60, "lag on the incidents topic")
        # The rest of the surge: every signal of the open incident adds a record to the
        # incidents topic, and none is processed while Slack hangs.
        produce(bootstrap, w.topic("mentions"), encoded[half:])
        wait_for(lambda: lag() > first, 60, "the lag to rise")
        assert w.metric("spikewatch_consumer_lag_messages", topic=w.topic("mentions")) == 0
        slack.clear_faults()
