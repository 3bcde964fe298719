from __future__ import annotations

import pickle
import random

import pytest

from detectors.base import Observation
from detectors.counts import log_sf_negbin, log_sf_poisson, surprise
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
        {"offset": 0.0},
        {"alert_z": 0.0},
        {"spike_z": -1.0},
        {"spread_init": 0.0},
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


def test_sustained_rise_outscores_a_lone_bucket_of_the_same_excess() -> None:
    rng = random.Random(7)
    counts = daily(rng, 7, night=5.0, day=40.0)
    lone, lasting = VolumeSurgeDetector(), VolumeSurgeDetector()
    feed(lone, counts)
    feed(lasting, counts)
    t = 7 * DAY + 12 * 12  # noon of day 8
    feed(lone, [40.0] * 11, start=t - 11)
    feed(lasting, [80.0] * 11, start=t - 11)
    obs = Observation("k", 300.0 * t, 80.0)
    assert lasting.score_one(obs) >= 0.5 > lone.score_one(obs)


def test_spike_z_sets_how_extreme_a_lone_bucket_must_be() -> None:
    counts = daily(random.Random(9), 2, night=20.0, day=20.0)
    loose, strict = VolumeSurgeDetector(spike_z=4.0), VolumeSurgeDetector(spike_z=20.0)
    feed(loose, counts)
    feed(strict, counts)
    obs = Observation("k", 2 * DAY * 300.0, 70.0)
    assert loose.score_one(obs) >= 0.5 > strict.score_one(obs)


def test_same_relative_surge_scores_alike_on_sparse_and_busy_keys() -> None:
    rng = random.Random(8)
    scores = []
    for scale in (1.0, 100.0):
        det = VolumeSurgeDetector()
        feed(det, [scale * x for x in daily(rng, 7, night=2.0, day=10.0)])
        t = 7 * DAY + 12 * 12
        feed(det, [scale * 40.0] * 11, start=t - 11)
        scores.append(det.score_one(Observation("k", 300.0 * t, scale * 40.0)))
    assert min(scores) >= 0.5


def test_log_profile_learns_hour_of_day_and_survives_pickle() -> None:
    from detectors.seasonal import LogProfile

    p = LogProfile(300, tz="Europe/Helsinki")
    for i in range(DAY * 2):
        hour_utc = (i // 12) % 24
        p.update(300.0 * i, 5.0 if hour_utc == 10 else 1.0)
    clone = pickle.loads(pickle.dumps(p))  # noqa: S301 - our own bytes
    ten_utc = 2 * DAY * 300.0 + 10 * 3600.0
    assert clone.expected_log(ten_utc) == p.expected_log(ten_utc) > 4.0
    assert p.expected_log(ten_utc + 3600.0) < 1.5


# -- exact shortcuts: each must give what the plain computation gives, to the bit --


def test_z_for_surprise_is_the_bisection_to_the_bit() -> None:
    from detectors.normal_tail import normal_surprise, z_for_surprise, z_for_surprise_bisect

    rng = random.Random(11)
    xs = [10 ** rng.uniform(-12, 6.5) for _ in range(3000)]
    xs += [rng.uniform(0.0, 40.0) for _ in range(3000)]
    xs += [rng.uniform(0.29, 0.32) for _ in range(500)]  # around normal_surprise(0+)
    xs += [normal_surprise(rng.uniform(0.0, 35.0)) for _ in range(3000)]  # exact hits
    xs += [0.0, -1.0, float("nan"), float("inf"), 5e-324, 0.30103, 186.0, 190.0, 1e6, 2e6]
    for s in xs:
        assert z_for_surprise(s) == z_for_surprise_bisect(s), s


def warm_detector(seed: int, days: int = 3, busy: bool = False) -> VolumeSurgeDetector:
    rng = random.Random(seed)
    det = VolumeSurgeDetector(scales=(12, 36))
    counts = daily(rng, days, night=2.0, day=30.0) if busy else daily(rng, days, 0.02, 0.2)
    feed(det, counts)
    return det


@pytest.mark.parametrize("busy", [False, True])
def test_learn_empty_is_learn_one_of_zero(busy: bool) -> None:
    a = warm_detector(7, busy=busy)
    t = 3 * DAY * 300.0
    feed(a, [400.0] * 8, start=3 * DAY)  # a surge: the empty buckets after it still score
    b = pickle.loads(pickle.dumps(a))  # noqa: S301 - our own bytes
    refused = 0
    for i in range(8, 200):
        ts = t + 300.0 * i
        obs = Observation("k", ts, 0.0)
        if a.score_one(obs) >= 0.5:
            assert not b.learn_empty(ts, 0.5)  # nothing learnt: the caller closes it in full
            assert pickle.dumps(a) == pickle.dumps(b)
            b.learn_one(obs)
            refused += 1
        else:
            assert b.learn_empty(ts, 0.5)
        a.learn_one(obs)
        assert pickle.dumps(a) == pickle.dumps(b)
    assert refused
