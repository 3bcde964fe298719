from __future__ import annotations

import pickle
import random

import pytest

from detectors.base import Observation, Refractory
from detectors.counts import log_sf_negbin, log_sf_poisson, surprise
from detectors.series import score_series
from detectors.volume import VolumeSurgeDetector

DAY = 288  # five-minute buckets


def feed(det: VolumeSurgeDetector, counts: list[float], start: int = 0) -> None:
    for i, x in enumerate(counts):
        det.learn_one(Observation("k", 300.0 * (start + i), x))


def daily(rng: random.Random, days: int, night: float, day: float) -> list[float]:
    out = []
    for i in range(days * DAY):
        hour = (i // 12) % 24
        lam = day if 8 <= hour < 20 else night
        out.append(float(sum(rng.random() < lam / 50 for _ in range(50))))
    return out


def test_sparse_night_small_counts_are_not_alarming() -> None:
    rng = random.Random(1)
    det = VolumeSurgeDetector()
    feed(det, daily(rng, 7, night=0.5, day=5.0))
    night = 7 * DAY * 300.0 + 3 * 3600.0
    assert det.score_one(Observation("k", night, 2.0)) < 0.5
    assert det.score_one(Observation("k", night, 25.0)) >= 0.5


def test_dense_day_needs_relative_rise() -> None:
    rng = random.Random(2)
    det = VolumeSurgeDetector()
    counts = [float(rng.randint(900, 1100)) for _ in range(3 * DAY)]
    feed(det, counts)
    ts = 3 * DAY * 300.0
    assert det.score_one(Observation("k", ts, 1150.0)) < 0.5
    assert det.score_one(Observation("k", ts, 3000.0)) >= 0.5


def test_knows_time_of_day() -> None:
    rng = random.Random(3)
    det = VolumeSurgeDetector()
    feed(det, daily(rng, 7, night=2.0, day=40.0))
    noon = 7 * DAY * 300.0 + 12 * 3600.0
    night = 7 * DAY * 300.0 + 3 * 3600.0
    assert det.expected(noon) > 5 * det.expected(night)
    # 30 mentions is ordinary at noon, a surge at 3 am.
    assert det.score_one(Observation("k", night, 30.0)) > det.score_one(
        Observation("k", noon, 30.0)
    )


def test_surge_does_not_teach_the_baseline() -> None:
    det = VolumeSurgeDetector()
    feed(det, [10.0] * DAY)
    before = det.expected(DAY * 300.0)
    feed(det, [500.0] * 6, start=DAY)
    assert det.expected((DAY + 6) * 300.0) < 2 * before


def test_cold_start_alerts_on_first_day() -> None:
    det = VolumeSurgeDetector()
    feed(det, [5.0, 6.0, 4.0, 5.0, 7.0, 5.0])
    assert det.score_one(Observation("k", 6 * 300.0, 200.0)) >= 0.5
    assert det.score_one(Observation("k", 6 * 300.0, 7.0)) < 0.5


def test_evidence_fields() -> None:
    det = VolumeSurgeDetector()
    feed(det, [10.0] * 100)
    ev = det.evidence(Observation("k", 100 * 300.0, 80.0))
    assert ev["observed"] == 80.0
    assert ev["ratio"] > 5
    assert 0.0 <= ev["p_value"] < 1e-3
    pickle.dumps(ev)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"bucket_seconds": 0},
        {"alpha_init": 0.0},
        {"scales": ()},
        {"score_half": 0},
        {"tz": "Nowhere/X"},
    ],
)
def test_bad_parameters_raise(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError, match=r"\w"):
        VolumeSurgeDetector(**kwargs)  # type: ignore[arg-type]


def test_tail_functions_order() -> None:
    assert surprise(log_sf_poisson(10, 2.0)) > surprise(log_sf_poisson(5, 2.0))
    assert log_sf_negbin(10, 2.0, 1.0) > log_sf_poisson(10, 2.0)
    assert log_sf_poisson(0, 3.0) == 0.0


def test_refractory_damps_then_recovers() -> None:
    r = Refractory(0.5, 3600.0)
    assert r.apply(0.8, 0.0) == 0.8
    assert r.apply(0.8, 600.0) < 0.5
    assert r.apply(0.8, 3600.0) == 0.8


def test_score_series_shape_and_range() -> None:
    rows = [(f"2015-03-01 {i // 12:02d}:{i % 12 * 5:02d}:00", 10.0) for i in range(240)]
    rows[200] = (rows[200][0], 300.0)
    scores = score_series(rows)
    assert len(scores) == len(rows)
    assert all(0.0 <= s <= 1.0 for s in scores)
    assert scores.index(max(scores)) == 200
