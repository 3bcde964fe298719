"""RSS source on the real broker against a local feed: mentions, cursor, 429, dead letters."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from detectors.mention import mention_from_obj
from tests.sourcefakes.kafka import SourceProcess, read_topic, values, write_config
from tests.sourcefakes.rss import Entry, FeedFake

pytestmark = pytest.mark.integration

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


def _entries(start: int, n: int) -> list[Entry]:
    texts = [
        "Nordbankin verkkopankki ei toimi",
        "Lumoverkolla laaja häiriö",
        "Nordbank ja Lumoverkko molemmat alhaalla",  # two brands -> two mentions
        "Sää on kaunis",  # no brand: not a mention
    ]
    return [
        Entry(f"item-{i}", texts[i % 4], T0 + timedelta(minutes=i), link=f"http://news.example/{i}")
        for i in range(start, start + n)
    ]


def _expected(entries: list[Entry]) -> int:
    return sum({0: 1, 1: 1, 2: 2, 3: 0}[int(e.guid.split("-")[1]) % 4] for e in entries)


def test_rss_source_end_to_end(bootstrap: str, prefix: str, tmp_path: Path) -> None:
    with FeedFake() as feed:
        feed.entries = _entries(0, 8)
        feed.entries.append(Entry("no-date", "Nordbank ilman päivämäärää", None))
        feed.fail_next(1, 429, b"slow down", **{"Retry-After": "1"})
        cfg = write_config(
            tmp_path / "cfg.yaml",
            {"news": {"kind": "rss", "url": f"{feed.base_url}/feed.xml", "poll_seconds": 0.3}},
        )
        want1 = _expected(feed.entries[:8])
        src = SourceProcess("news", cfg, bootstrap, prefix, tmp_path / "src.log")
        try:
            got = read_topic(bootstrap, f"{prefix}mentions", want1)
            # polls go on with If-None-Match -> 304 before we stop
            src.wait_for_log("polling")
            for _ in range(50):
                if any(r.status == 304 for r in feed.requests):
                    break
                import time

                time.sleep(0.1)
        finally:
            assert src.stop() == 0, src.text()[-3000:]

        # canonical, keyed by brand, one per brand
        objs = values(got)
        assert len(objs) == want1
        for rec, obj in zip(got, objs, strict=True):
            m = mention_from_obj(obj)
            assert rec.key == m.brand.encode()
            assert m.source == "web"
            assert m.extra["via"] == "news"
        both = [o for o in objs if o["id"].startswith("web:item-2:")]
        assert sorted(o["brand"] for o in both) == ["lumoverkko", "nordbank"]
        assert len({o["id"] for o in objs}) == len(objs)

        # the 429 was honoured: the next request came at least Retry-After later
        first, second = feed.requests[0], feed.requests[1]
        assert first.status == 429
        assert second.at - first.at >= 0.95
        assert any(r.status == 304 for r in feed.requests)

        # the entry without a date went to mentions.dead with a reason
        dead = values(read_topic(bootstrap, f"{prefix}mentions.dead", 1))
        assert [d["reason"] for d in dead] == ["bad_created_at"]
        assert dead[0]["source"] == "news"
        assert dead[0]["platform_id"] == "no-date"

        # restart: the feed has 5 new entries (and keeps the old ones)
        feed.entries = _entries(0, 13)
        want2 = _expected(feed.entries)
        feed.entries.append(Entry("no-date", "Nordbank ilman päivämäärää", None))
        n_req = len(feed.requests)
        src = SourceProcess("news", cfg, bootstrap, prefix, tmp_path / "src2.log")
        try:
            got2 = read_topic(bootstrap, f"{prefix}mentions", want2)
        finally:
            assert src.stop() == 0, src.text()[-3000:]
        # the restart sent the stored ETag back
        assert feed.requests[n_req].headers.get("if-none-match")
        ids = Counter(json.loads(r.value)["id"] for r in got2)
        assert len(got2) == want2, f"lost or repeated: {len(got2)} != {want2}"
        assert max(ids.values()) == 1
        # the dead entry was not dead-lettered again either
        assert len(read_topic(bootstrap, f"{prefix}mentions.dead", 1, timeout=3)) == 1


def test_rss_source_resumes_after_a_hard_kill(bootstrap: str, prefix: str, tmp_path: Path) -> None:
    """SIGKILL mid-run: mentions and cursor commit together, so a restart repeats nothing."""
    with FeedFake() as feed:
        feed.entries = _entries(0, 40)
        cfg = write_config(
            tmp_path / "cfg.yaml",
            {"news": {"kind": "rss", "url": f"{feed.base_url}/feed.xml", "poll_seconds": 0.2}},
        )
        src = SourceProcess("news", cfg, bootstrap, prefix, tmp_path / "a.log")
        read_topic(bootstrap, f"{prefix}mentions", 1)
        feed.entries = _entries(0, 80)  # more arrives while it runs
        src.proc.kill()
        src.stop()
        feed.entries = _entries(0, 120)
        src = SourceProcess("news", cfg, bootstrap, prefix, tmp_path / "b.log")
        try:
            got = read_topic(bootstrap, f"{prefix}mentions", _expected(feed.entries))
        finally:
            src.stop()
        ids = Counter(json.loads(r.value)["id"] for r in got)
        assert len(ids) == _expected(feed.entries)
        assert max(ids.values()) == 1
