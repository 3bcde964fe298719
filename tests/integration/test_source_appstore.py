"""App Store reviews source on the real broker against a local customer-reviews feed."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from detectors.mention import mention_from_obj
from tests.sourcefakes.appstore import AppStoreFake, Review
from tests.sourcefakes.kafka import SourceProcess, read_topic, values, write_config

pytestmark = pytest.mark.integration

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


def _reviews(start: int, n: int) -> list[Review]:
    """Newest first, as the feed sorts them."""
    rows = [
        Review(
            f"{9000 + i}",
            f"Arvio {i}",
            "Sovellus kaatuu kirjautuessa",
            1 + i % 5,
            T0 + timedelta(minutes=i),
        )
        for i in range(start, start + n)
    ]
    return rows[::-1]


def test_appstore_source_end_to_end(bootstrap: str, prefix: str, tmp_path: Path) -> None:
    with AppStoreFake("123456789") as store:
        store.reviews = _reviews(0, 60)
        store.reviews.insert(30, Review("bad-1", "Ei aikaa", "x", 1, None))
        store.fail_next(1, 429, b"", **{"Retry-After": "1"})
        cfg = write_config(
            tmp_path / "cfg.yaml",
            {
                "app": {
                    "kind": "appstore",
                    "app_id": "123456789",
                    "brand": "nordbank",
                    "base_url": store.base_url,
                    "poll_seconds": 0.3,
                }
            },
        )
        src = SourceProcess("app", cfg, bootstrap, prefix, tmp_path / "a.log")
        try:
            got = read_topic(bootstrap, f"{prefix}mentions", 60)
        finally:
            assert src.stop() == 0, src.text()[-3000:]
        objs = values(got)
        assert len(objs) == 60
        for r, o in zip(got, objs, strict=True):
            m = mention_from_obj(o)
            assert r.key == b"nordbank"
            assert m.source == "appstore"
            assert 1 <= o["rating"] <= 5
        first, second = store.requests[0], store.requests[1]
        assert first.status == 429
        assert second.at - first.at >= 0.95
        dead = values(read_topic(bootstrap, f"{prefix}mentions.dead", 1))
        assert [(d["reason"], d["platform_id"]) for d in dead] == [("bad_created_at", "fi:bad-1")]

        store.reviews = _reviews(0, 65)  # five new on top, the rest pushed down
        src = SourceProcess("app", cfg, bootstrap, prefix, tmp_path / "b.log")
        try:
            got2 = read_topic(bootstrap, f"{prefix}mentions", 65)
        finally:
            assert src.stop() == 0, src.text()[-3000:]
    ids = Counter(json.loads(r.value)["id"] for r in got2)
    assert len(ids) == 65
    assert max(ids.values()) == 1
