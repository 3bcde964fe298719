"""A source process that stops receiving mentions warns in Slack (and says when they resume)."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.slackfake import SlackFake
from tests.sourcefakes.kafka import SourceProcess, read_topic, write_config
from tests.sourcefakes.rss import Entry, FeedFake

pytestmark = pytest.mark.integration

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


def _posts_with(slack: SlackFake, needle: str, timeout: float = 20.0) -> list[str]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        texts = [p.text for p in slack.posts() if needle in p.text]
        if texts:
            return texts
        time.sleep(0.1)
    raise AssertionError(f"no Slack post with {needle!r}: {[p.text for p in slack.posts()]}")


def test_silent_source_warns_in_slack(bootstrap: str, prefix: str, tmp_path: Path) -> None:
    with FeedFake() as feed, SlackFake() as slack:
        feed.entries = [
            Entry(f"e{i}", f"Nordbank {i}", T0 + timedelta(minutes=i)) for i in range(5)
        ]
        cfg = write_config(
            tmp_path / "cfg.yaml",
            {"news": {"kind": "rss", "url": f"{feed.base_url}/feed.xml", "poll_seconds": 0.2}},
            silence={"after_minutes": 0.1, "min_records_per_day": 3, "slack_channel": "#ops"},
        )
        src = SourceProcess(
            "news",
            cfg,
            bootstrap,
            prefix,
            tmp_path / "s.log",
            SLACK_BOT_TOKEN="xoxb-test",
            SLACK_API_URL=slack.base_url,
        )
        try:
            read_topic(bootstrap, f"{prefix}mentions", 5)
            assert not slack.posts()  # delivering: no warning
            silent = _posts_with(slack, "stopped arriving")  # the feed has nothing new
            assert "news" in silent[0]
            feed.entries.append(Entry("e9", "Nordbank taas", T0 + timedelta(hours=1)))
            _posts_with(slack, "arriving again")
        finally:
            assert src.stop() == 0, src.text()[-3000:]
        assert len([p for p in slack.posts() if "stopped arriving" in p.text]) == 1
        assert all(p.channel for p in slack.posts())
