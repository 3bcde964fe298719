"""Live and backtest agree: one file through ``alerts.engine`` and through a worker on the broker.

The worker runs the same stage objects as the backtest; what differs is how
event time reaches a brand that falls silent. In the backtest every brand is
ticked as the file's time passes; live, the owner of a partition ticks its
brands from its watermark once the partition has nothing left to read. Here
``nordbank`` has an outage and then goes silent while ``skyways`` keeps
talking: the quiet period must move the outage to ``monitoring`` live exactly
as in the backtest (only a person resolves a crisis).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from alerts.engine import Engine
from detectors.mention import mention_from_obj
from streams.app import engine_config
from streams.settings import Deployment
from tests.harness import Worker, business_morning, consume, outage_mentions, produce, wait_for

pytestmark = pytest.mark.integration


def _steady(brand: str, start: float, hours: float, per_bucket: int) -> list[dict[str, Any]]:
    out = []
    for b in range(int(hours * 12)):
        for i in range(per_bucket):
            ts = start + b * 300 + (i + 0.5) * 300 / per_bucket
            out.append(
                {
                    "id": f"s:{b}-{i}",
                    "source": "x",
                    "brand": brand,
                    "created_at": datetime.fromtimestamp(ts, UTC).isoformat(),
                    "text": "Lento oli ajallaan, kiitos" if i % 2 else "Missä on laukkuni?",
                    "author": {"id": f"v{i}", "followers": 50},
                }
            )
    return out


def _key(ev: dict[str, Any]) -> tuple[Any, ...]:
    inc = ev["incident"]
    return (
        ev["type"],
        ev["ts"],
        inc["id"],
        inc["status"],
        inc["severity"],
        inc.get("resolved_at"),
        inc.get("stage"),
        json.dumps(inc["evidence"], sort_keys=True),
    )


def test_a_brand_silent_mid_incident_moves_on_live_as_in_the_backtest(
    bootstrap: str, spawn_worker: Callable[..., Worker]
) -> None:
    start = business_morning()
    outage = outage_mentions("nordbank", start, normal_hours=4.0, surge_minutes=30)
    chatter = _steady("skyways", start, hours=4.0 + 0.5 + 6.0, per_bucket=3)
    rows = sorted(outage + chatter, key=lambda r: (r["created_at"], r["id"]))

    eng = Engine(engine_config(Deployment()))
    ms = [mention_from_obj(r) for r in rows]
    expected: dict[str, list[tuple[Any, ...]]] = {}
    for e in eng.run(ms):
        d = {"type": e.type, "ts": e.ts, "incident": e.incident.to_dict()}
        expected.setdefault(e.incident.brand, []).append(_key(d))
    nb = expected["nordbank"]
    assert nb[0][0] == "opened"
    # The silent brand's crisis moves on in event time with no mention of its own: a quiet
    # period takes it to `monitoring` (only a person resolves a crisis, alerts/stages.py).
    assert ("stage_changed", "monitoring") in [(e[0], e[6]) for e in nb]

    w = spawn_worker()
    produce(
        bootstrap,
        w.topic("mentions"),
        [(r["brand"].encode(), json.dumps(r).encode()) for r in rows],
    )
    total = sum(len(v) for v in expected.values())

    seen: dict[str, list[tuple[Any, ...]]] = {}

    seen: dict[str, list[tuple[Any, ...]]] = {}

    def live() -> dict[str, list[tuple[Any, ...]]] | None:
        recs = consume(bootstrap, w.topic("incidents"), total, timeout=5)
        got: dict[str, list[tuple[Any, ...]]] = {}
        for r in recs:
            d = json.loads(r.value)
            if d["type"] != "tick":
                got.setdefault(d["incident"]["brand"], []).append(_key(d))
        seen.clear()
        seen.update(got)
        return got if sum(len(v) for v in got.values()) >= total else None

    try:
        got = wait_for(live, 90, "the live incidents")
    except AssertionError:
        for brand, evs in expected.items():  # say where live and backtest part
            have = seen.get(brand, [])
            pairs = zip(evs, have, strict=False)
            n = next((i for i, (a, b) in enumerate(pairs) if a != b), min(len(evs), len(have)))
            print(brand, "expected", len(evs), "live", len(have), "first difference at", n)
            print("  expected:", [e[:7] for e in evs[n : n + 3]])
            print("  live:    ", [e[:7] for e in have[n : n + 3]])
        raise
    assert got == expected
