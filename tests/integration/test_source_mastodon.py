"""Mastodon source on the real broker: hashtag stream (SSE), catch-up after a restart, 429."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from detectors.mention import mention_from_obj
from tests.harness import wait_for
from tests.sourcefakes.kafka import SourceProcess, read_topic, values, write_config
from tests.sourcefakes.mastodon import MastodonFake, status

pytestmark = pytest.mark.integration

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


def test_mastodon_source_end_to_end(bootstrap: str, prefix: str, tmp_path: Path) -> None:
    with MastodonFake("mtoken") as inst:
        cfg = write_config(
            tmp_path / "cfg.yaml",
            {"masto": {"kind": "mastodon", "base_url": inst.base_url, "hashtags": ["#nordbank"]}},
        )
        inst.rate_limit_next(1.0)
        src = SourceProcess(
            "masto", cfg, bootstrap, prefix, tmp_path / "a.log", MASTODON_TOKEN="mtoken"
        )
        try:
            wait_for(
                lambda: inst.streams_open() == 1, 40, "the Mastodon stream to open", interval=0.05
            )
            for i in range(1, 11):
                inst.publish(
                    "nordbank", status(100 + i, f"Nordbank ei toimi {i}", T0 + timedelta(minutes=i))
                )
            # the brand answers the first one
            inst.publish(
                "nordbank",
                status(
                    200,
                    "Pahoittelut, korjaamme",
                    T0 + timedelta(minutes=20),
                    acct="nordbank",
                    reply_to=101,
                ),
            )
            inst.push_raw('{"id": "300", "created_at": "eilen", "content": "Nordbank"}')
            got = read_topic(bootstrap, f"{prefix}mentions", 11)
        finally:
            assert src.stop() == 0, src.text()[-3000:]
        objs = values(got)
        assert len(objs) == 11
        for r, o in zip(got, objs, strict=True):
            m = mention_from_obj(o)
            assert r.key == b"nordbank"
            assert m.source == "mastodon"
            assert "<" not in m.text
        reply = next(o for o in objs if o["id"] == "mastodon:200:nordbank")
        assert reply["author"]["is_brand"] is True
        assert reply["in_reply_to"] == "mastodon:101:nordbank"
        assert inst.requests[0].status == 429
        assert inst.requests[1].at - inst.requests[0].at >= 0.9
        dead = values(read_topic(bootstrap, f"{prefix}mentions.dead", 1))
        assert [(d["reason"], d["platform_id"]) for d in dead] == [("bad_created_at", "300")]

        # while the source is down, 50 statuses are posted; after the restart they are caught up
        # from the timeline (min_id) and the stream goes on
        for i in range(50):
            inst.publish(
                "nordbank",
                status(400 + i, f"Nordbank yhä alhaalla {i}", T0 + timedelta(hours=1, minutes=i)),
                live=False,
            )
        src = SourceProcess(
            "masto", cfg, bootstrap, prefix, tmp_path / "b.log", MASTODON_TOKEN="mtoken"
        )
        try:
            wait_for(
                lambda: inst.streams_open() == 1, 40, "the Mastodon stream to open", interval=0.05
            )
            inst.publish("nordbank", status(500, "Nordbank toimii taas", T0 + timedelta(hours=3)))
            got2 = read_topic(bootstrap, f"{prefix}mentions", 62)
        finally:
            assert src.stop() == 0, src.text()[-3000:]
    ids = Counter(json.loads(r.value)["id"] for r in got2)
    assert len(ids) == 62
    assert max(ids.values()) == 1
