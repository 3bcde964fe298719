"""Bluesky (Jetstream) source on the real broker: keyword matching, cursor replay, 429."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from detectors.mention import mention_from_obj
from tests.harness import wait_for
from tests.sourcefakes.jetstream import JetstreamFake, post_event
from tests.sourcefakes.kafka import SourceProcess, read_topic, values, write_config

pytestmark = pytest.mark.integration

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
US = 1_772_438_400_000_000
BRAND_DID = "did:plc:nordbankofficial"


def test_bluesky_source_end_to_end(bootstrap: str, prefix: str, tmp_path: Path) -> None:
    with JetstreamFake() as js:
        js.refuse.append((429, "1"))
        cfg = write_config(
            tmp_path / "cfg.yaml",
            {"sky": {"kind": "bluesky", "url": js.url}},
            brands_extra={"nordbank": {"author_ids": [BRAND_DID]}},
        )
        src = SourceProcess("sky", cfg, bootstrap, prefix, tmp_path / "a.log")
        try:
            wait_for(lambda: js.open() == 1, 40, "the Jetstream connection to open", interval=0.05)
            for i in range(20):  # every other post names a brand
                text = f"Nordbankin sovellus kaatui {i}" if i % 2 == 0 else f"Kaunis ilma {i}"
                js.publish(
                    post_event(f"did:plc:user{i}", f"k{i}", text, T0 + timedelta(seconds=i), US + i)
                )
            parent = "at://did:plc:user0/app.bsky.feed.post/k0"
            js.publish(
                post_event(
                    BRAND_DID,
                    "r1",
                    "Pahoittelut, korjaamme",
                    T0 + timedelta(minutes=5),
                    US + 100,
                    parent,
                )
            )
            js.publish(
                {"did": "did:plc:x", "time_us": US + 101, "kind": "identity", "identity": {}}
            )
            js.publish(
                post_event("did:plc:bad", "b1", "Nordbank", T0, US + 102)
                | {
                    "commit": {
                        "operation": "create",
                        "collection": "app.bsky.feed.post",
                        "rkey": "b1",
                        "record": {"text": "Nordbank", "createdAt": "huomenna"},
                    }
                }
            )
            got = read_topic(bootstrap, f"{prefix}mentions", 11)
        finally:
            assert src.stop() == 0, src.text()[-3000:]
        objs = values(got)
        assert len(objs) == 11
        for r, o in zip(got, objs, strict=True):
            m = mention_from_obj(o)
            assert r.key == b"nordbank"
            assert m.source == "bluesky"
        reply = next(o for o in objs if o["author"]["id"] == BRAND_DID)
        assert reply["author"]["is_brand"] is True
        assert reply["in_reply_to"] == f"bluesky:{parent}:nordbank"
        (t1, s1), (t2, s2) = js.handshakes[:2]
        assert (s1, s2) == (429, 101)
        assert t2 - t1 >= 0.95
        dead = values(read_topic(bootstrap, f"{prefix}mentions.dead", 1))
        assert [d["reason"] for d in dead] == ["bad_created_at"]

        # posted while the source is down: replayed from the cursor on reconnection
        for i in range(30):
            js.publish(
                post_event(
                    f"did:plc:late{i}",
                    f"l{i}",
                    f"Nordbank yhä alhaalla {i}",
                    T0 + timedelta(hours=1, seconds=i),
                    US + 1000 + i,
                ),
                live=False,
            )
        src = SourceProcess("sky", cfg, bootstrap, prefix, tmp_path / "b.log")
        try:
            got2 = read_topic(bootstrap, f"{prefix}mentions", 41)
        finally:
            assert src.stop() == 0, src.text()[-3000:]
        assert "cursor" in js.connections[-1]
    ids = Counter(json.loads(r.value)["id"] for r in got2)
    assert len(ids) == 41
    assert max(ids.values()) == 1
