"""X API v2 source on the real broker: rules synced, filtered stream, catch-up by recent search."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from detectors.mention import mention_from_obj
from tests.harness import wait_for
from tests.sourcefakes import x
from tests.sourcefakes.kafka import SourceProcess, read_topic, values, write_config

pytestmark = pytest.mark.integration

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
PID = 1_800_000_000_000_000_000


def test_x_source_end_to_end(bootstrap: str, prefix: str, tmp_path: Path) -> None:
    with x.XFake("xtoken") as api:
        api.add_rule("old query", "spikewatch:nordbank")  # stale: replaced
        api.add_rule("someone else's rule", "other-app")  # not ours: kept
        cfg = write_config(
            tmp_path / "cfg.yaml",
            {
                "xs": {
                    "kind": "x",
                    "api_url": api.base_url,
                    "rules": {"nordbank": "Nordbank OR @nordbank"},
                }
            },
        )
        api.rate_limit_next(1.0)
        src = SourceProcess(
            "xs", cfg, bootstrap, prefix, tmp_path / "a.log", X_BEARER_TOKEN="xtoken"
        )
        try:
            wait_for(lambda: api.streams_open() == 1, 40, "the X stream to open", interval=0.05)
            assert sorted((r["tag"], r["value"]) for r in api.rules) == [
                ("other-app", "someone else's rule"),
                ("spikewatch:nordbank", "Nordbank OR @nordbank"),
            ]
            for i in range(10):
                api.publish(
                    x.post(PID + i, f"Nordbank ei toimi {i}", T0 + timedelta(minutes=i)),
                    x.user("asiakas"),
                )
            api.publish(
                x.post(
                    PID + 100,
                    "@asiakas Pahoittelut, selvitämme",
                    T0 + timedelta(minutes=30),
                    user="nordbank",
                    reply_to=PID,
                ),
                x.user("nordbank", 5000),
            )
            api.push_raw(
                {
                    "errors": [
                        {
                            "title": "operational-disconnect",
                            "detail": "This stream has been disconnected for operational reasons.",
                        }
                    ]
                }
            )
            api.push_raw(
                {"data": {"id": str(PID + 200), "text": "Nordbank", "created_at": "not a time"}}
            )
            got = read_topic(bootstrap, f"{prefix}mentions", 11)
        finally:
            assert src.stop() == 0, src.text()[-3000:]
        objs = values(got)
        assert len(objs) == 11
        for r, o in zip(got, objs, strict=True):
            m = mention_from_obj(o)
            assert r.key == b"nordbank"
            assert m.source == "x"
        reply = next(o for o in objs if o["id"] == f"x:{PID + 100}:nordbank")
        assert reply["author"]["is_brand"] is True
        assert reply["in_reply_to"] == f"x:{PID}:nordbank"
        assert reply["author"]["followers"] == 5000
        assert api.requests[0].status == 429
        assert api.requests[1].at - api.requests[0].at >= 0.9
        dead = values(read_topic(bootstrap, f"{prefix}mentions.dead", 2))
        assert sorted(d["reason"] for d in dead) == ["bad_created_at", "stream_error"]

        # posted while the source is down: found by recent search since the last id
        for i in range(150):
            api.publish(
                x.post(
                    PID + 1000 + i, f"Nordbank yhä alhaalla {i}", T0 + timedelta(hours=1, seconds=i)
                ),
                x.user("toinen"),
                live=False,
            )
        src = SourceProcess(
            "xs", cfg, bootstrap, prefix, tmp_path / "b.log", X_BEARER_TOKEN="xtoken"
        )
        try:
            wait_for(lambda: api.streams_open() == 1, 40, "the X stream to open", interval=0.05)
            api.publish(
                x.post(PID + 5000, "Nordbank toimii", T0 + timedelta(hours=3)), x.user("asiakas")
            )
            got2 = read_topic(bootstrap, f"{prefix}mentions", 162)
        finally:
            assert src.stop() == 0, src.text()[-3000:]
    ids = Counter(json.loads(r.value)["id"] for r in got2)
    assert len(ids) == 162
    assert max(ids.values()) == 1
