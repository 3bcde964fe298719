from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from detectors.base import Observation
from detectors.negative import NegativeBurstDetector


def learn(det: NegativeBurstDetector, share: float, total: int, n: int, seed: int = 0) -> int:
    rng = random.Random(seed)
    for i in range(n):
        neg = sum(rng.random() < share for _ in range(total))
        det.learn_one(Observation("k", 300.0 * i, float(neg), total=float(total)))
    return n


def feed(det: NegativeBurstDetector, start: int, shares: list[float], total: int) -> list[float]:
    """Score then learn one bucket per share; return the scores."""
    rng = random.Random(start)
    scores = []
    for j, share in enumerate(shares):
        neg = sum(rng.random() < share for _ in range(total))
        obs = Observation("k", 300.0 * (start + j), float(neg), total=float(total))
        scores.append(det.score_one(obs))
        det.learn_one(obs)
    return scores


def test_own_baseline_share() -> None:
    bank, airline = NegativeBurstDetector(), NegativeBurstDetector()
    n = learn(bank, 0.05, 30, 600)
    learn(airline, 0.40, 30, 600)
    obs = Observation("k", 300.0 * n, 12.0, total=30.0)  # 40 % negative
    assert bank.score_one(obs) >= 0.5
    assert airline.score_one(obs) < 0.5


def test_quiet_on_positive_viral_spike() -> None:
    det = NegativeBurstDetector()
    n = learn(det, 0.1, 20, 600)
    assert det.score_one(Observation("k", 300.0 * n, 30.0, total=300.0)) < 0.5


def test_quiet_through_a_long_viral_spike() -> None:
    det = NegativeBurstDetector()
    n = learn(det, 0.2, 30, 600)
    # Three hours at five times the volume; the extra mentions are 5 % negative.
    scores = feed(det, n, [(0.2 + 4 * 0.05) / 5] * 36, 150)
    assert max(scores) < 0.5


def test_sudden_storm() -> None:
    det = NegativeBurstDetector()
    n = learn(det, 0.1, 20, 600)
    storm = Observation("k", 300.0 * n, 40.0, total=50.0)
    assert det.score_one(storm) >= 0.5
    assert det.evidence(storm)["test"] == "storm"


def test_slow_burn_adds_up() -> None:
    det = NegativeBurstDetector()
    n = learn(det, 0.1, 20, 600)
    # Three hours, share climbing 10 % -> 35 %, volume flat: no bucket alone is remarkable.
    shares = [0.1 + 0.25 * j / 36 for j in range(36)]
    scores = feed(det, n, shares, 20)
    assert max(scores[:6]) < 0.5
    assert scores[-1] >= 0.5
    last = Observation("k", 300.0 * (n + 36), 7.0, total=20.0)
    ev = det.evidence(last)
    assert ev["test"] == "drift"
    assert ev["window_total"] > 20.0
    assert ev["window_share"] > ev["baseline_share"]


def test_drift_falls_back_after_the_burn() -> None:
    det = NegativeBurstDetector()
    n = learn(det, 0.1, 30, 600)
    hot = feed(det, n, [0.4] * 24, 30)
    assert hot[-1] >= 0.5
    after = feed(det, n + 24, [0.1] * 24, 30)
    assert after[-1] < 0.5
    assert abs(det.baseline_share - 0.1) < 0.03  # the burn did not teach the share


def test_few_negatives_are_not_a_burst() -> None:
    det = NegativeBurstDetector(min_negative=3)
    n = learn(det, 0.02, 5, 300)
    obs = Observation("k", 300.0 * n, 2.0, total=2.0)
    assert det.evidence(obs)["surprise"] == 0.0
    assert det.score_one(obs) < 0.5


def test_burst_does_not_teach_the_share() -> None:
    det = NegativeBurstDetector()
    n = learn(det, 0.1, 20, 600)
    before = det.baseline_share
    for j in range(12):
        det.learn_one(Observation("k", 300.0 * (n + j), 20.0, total=20.0))
    assert det.baseline_share < before + 0.05


@pytest.mark.parametrize("frozen_rate", [0.0, 1.0])
def test_frozen_rate_sets_learning_during_an_alarm(frozen_rate: float) -> None:
    det = NegativeBurstDetector(frozen_rate=frozen_rate)
    n = learn(det, 0.1, 30, 600)
    before = det.baseline_share
    feed(det, n, [0.3] * 288, 30)  # a day-long rise of the share
    moved = det.baseline_share - before
    if frozen_rate == 0.0:
        assert moved < 0.01
    else:
        assert moved > 0.03


@settings(max_examples=200, deadline=None)
@given(
    st.floats(0.02, 0.6),
    st.integers(0, 200),
    st.integers(0, 200),
    st.integers(0, 60),
)
def test_more_mentions_never_raise_the_score(share: float, k: int, n: int, burn: int) -> None:
    # The monitor re-scores a growing bucket only on negative mentions: this is why.
    det = NegativeBurstDetector()
    m = learn(det, share, 20, 50)
    feed(det, m, [min(1.0, share * 2)] * burn, 20)
    n = max(n, k)
    a = det.score_one(Observation("k", 1e9, float(k), total=float(n)))
    b = det.score_one(Observation("k", 1e9, float(k), total=float(n + 1)))
    assert b <= a + 1e-12


@pytest.mark.parametrize(
    "kwargs",
    [
        {"prior_share": 1.5},
        {"rho": -1.0},
        {"min_negative": 0},
        {"odds_ratio": 1.0},
        {"cusum_threshold": 0.0},
        {"cusum_cap": 0.5},
        {"frozen_rate": 2.0},
    ],
)
def test_bad_parameters_raise(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError, match=r"\w"):
        NegativeBurstDetector(**kwargs)  # type: ignore[arg-type]


def test_storm_score_ignores_the_drift() -> None:
    det = NegativeBurstDetector()
    n = learn(det, 0.1, 20, 600)
    feed(det, n, [0.35] * 36, 20)  # a burn: the drift test is alarmed
    calm = Observation("k", 300.0 * (n + 36), 3.0, total=20.0)
    assert det.score_one(calm) >= 0.5
    assert det.storm_score(calm) < 0.5
    storm = Observation("k", 300.0 * (n + 36), 18.0, total=20.0)
    assert det.storm_score(storm) >= 0.5


def test_viral_spike_does_not_teach_a_low_share() -> None:
    det = NegativeBurstDetector()
    n = learn(det, 0.2, 30, 864)
    before = det.baseline_share
    feed(det, n, [0.05] * 72, 240)  # six hours at eight times the volume, 5 % negative
    assert det.baseline_share > before - 0.02
    after = feed(det, n + 72, [0.2] * 72, 30)  # back to normal: no alarm
    assert max(after) < 0.5


def test_share_below_normal_is_not_a_burst() -> None:
    det = NegativeBurstDetector()
    n = learn(det, 0.2, 30, 300)
    assert max(feed(det, n, [0.05] * 36, 30)) == 0.0


@pytest.mark.parametrize("warmup", [0.0, 86400.0])
def test_drift_waits_for_a_known_share(warmup: float) -> None:
    det = NegativeBurstDetector(drift_warmup_seconds=warmup)
    n = learn(det, 0.1, 20, 100)  # eight hours of history
    feed(det, n, [0.3] * 24, 20)
    if warmup == 0.0:
        assert det.cusum >= det.cusum_threshold
    else:
        assert det.cusum == 0.0


def test_drift_restarts_from_zero_when_the_alarm_ends() -> None:
    det = NegativeBurstDetector()
    n = learn(det, 0.1, 30, 600)
    feed(det, n, [0.5] * 12, 30)
    assert det.cusum >= det.cusum_threshold
    for j in range(200):
        feed(det, n + 12 + j, [0.1], 30)
        if det.cusum < det.cusum_threshold:
            break
    assert det.cusum == 0.0
