"""Sparse keys: the exact shortcuts that keep a rarely mentioned brand cheap.

Each shortcut must give what the plain computation gives (states to the bit,
the same decisions); see also ``test_quiet_runs.py`` and ``test_volume.py``.
"""

from __future__ import annotations

import copy
import math
import pickle
import random
from datetime import UTC, datetime, timedelta

import pytest

from alerts.engine import Engine, EngineConfig
from alerts.incidents import LifecycleConfig, on_signal
from detectors.base import Observation
from detectors.mention import EnrichedMention, Enrichment, Mention
from detectors.monitor import KeyMonitor, MonitorConfig
from detectors.negative import NegativeBurstDetector
from detectors.seasonal import LogProfile
from detectors.signals import Signal

T0 = datetime(2026, 3, 2, tzinfo=UTC)


def em(i: int, sec: float, brand: str = "nordbank") -> EnrichedMention:
    m = Mention(f"x:{i}", "x", brand, T0 + timedelta(seconds=sec), "Verkkopankki ei toimi")
    return EnrichedMention(m, Enrichment("fi", "neutral", 0.0, terms=("laina",)))


def test_utc_hours_are_plain_arithmetic() -> None:
    p = LogProfile(300)
    for ts in (-3.5e7, 0.0, 3599.999, 1.7e9, 1.7e9 + 86399.0, 4.1e9):
        assert p.hour(ts) == datetime.fromtimestamp(math.floor(ts / 3600.0) * 3600.0, UTC).hour


@pytest.mark.parametrize("alarm", [False, True])
def test_negative_learns_an_empty_bucket_as_learn_one(alarm: bool) -> None:
    rng = random.Random(3)
    a = NegativeBurstDetector(warmup_buckets=5, drift_warmup_seconds=3000.0)
    for i in range(40):
        total = rng.randint(0, 4)
        neg = float(total if alarm else rng.randint(0, total // 3))
        a.learn_one(Observation("k", 300.0 * i, neg, total=float(total)))
        b = copy.deepcopy(a)
        ts = 300.0 * (i + 1)
        obs = Observation("k", ts, 0.0, total=0.0)
        score, tests = b.assess_empty()
        assert score == a.score_one(obs)
        b.learn_empty(ts, tests)
        c = copy.deepcopy(a)
        c.learn_one(obs)
        assert pickle.dumps(b) == pickle.dumps(c)


def sparse_monitor(days: float = 3.0, gap: float = 4 * 3600.0) -> tuple[KeyMonitor, float]:
    """A key mentioned every few hours for ``days`` (past the volume warm-up)."""
    mon, rng, t = KeyMonitor("nordbank"), random.Random(5), 0.0
    i = 0
    while t < days * 86400.0:
        mon.observe(em(i, t))
        t += rng.expovariate(1.0 / gap)
        i += 1
    return mon, t


def test_a_sparse_bucket_alerts_on_the_same_mention_as_a_brute_force() -> None:
    # Each mention runs the window tests: the alert comes on the first count that scores.
    mon, t = sparse_monitor()
    probe = pickle.loads(pickle.dumps(mon))  # noqa: S301 - our own bytes
    brute = None
    for j in range(1000):
        probe.observe(em(90_000 + j, t + j))
        w = probe.window
        if w.volume_score(w.volume(T0.timestamp() + t + j)) >= 0.5:
            brute = j + 1
            break
    assert brute is not None
    assert brute >= 3
    got = next(
        j + 1
        for j in range(brute + 3)
        if any(s.kind == "volume_surge" and s.active for s in mon.observe(em(90_000 + j, t + j)))
    )
    assert got == brute


def test_an_inactive_signal_without_an_incident_changes_nothing() -> None:
    cfg = LifecycleConfig()
    calm = Signal("nordbank", "volume_surge", 1000.0, 0.1, False, "none", {"observed": 0.0})
    assert on_signal(None, calm, cfg) == (None, [])
    eng = Engine()
    assert eng.signal(calm) == []
    assert eng.incidents == {}
    hot = Signal(
        "nordbank", "volume_surge", 1300.0, 0.9, True, "medium", {"observed": 40.0, "ratio": 5.0}
    )
    assert [e.type for e in eng.signal(hot)] == ["opened"]
    later = Signal("nordbank", "volume_surge", 4000.0, 0.1, False, "none", {"observed": 0.0})
    assert [e.type for e in eng.signal(later)] == ["resolved"]  # an incident still listens


def test_many_sparse_brands_detect_and_resolve_as_one_bucket_at_a_time() -> None:
    # The same mentions through the default monitor and one that closes every
    # bucket in full, with its signals: the same incidents.
    rng = random.Random(9)
    brands = [f"b{i}" for i in range(30)]
    feed = []
    for i in range(900):
        sec = i * 3 * 86400.0 / 900
        feed.append(em(i, sec, brands[rng.randrange(len(brands))]))
    feed += [em(10_000 + j, 3 * 86400.0 + 60.0 + j * 3.0, "b7") for j in range(80)]  # a surge
    feed.append(em(20_000, 3 * 86400.0 + 8 * 3600.0, "b7"))
    out = {}
    for name, min_run in (("fast", 12), ("full", None)):
        eng = Engine(EngineConfig(monitor=MonitorConfig(quiet_run_min_buckets=min_run)))
        out[name] = [
            (e.type, e.incident.brand, e.incident.kind, e.ts) for x in feed for e in eng.enriched(x)
        ]
    assert ("opened", "b7", "volume_surge") in {e[:3] for e in out["fast"]}
    assert ("resolved", "b7", "volume_surge") in {e[:3] for e in out["fast"]}
    assert out["fast"] == out["full"]
