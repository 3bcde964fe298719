from __future__ import annotations

import random

import pytest

from detectors.base import Observation
from detectors.negative import NegativeBurstDetector


def learn(det: NegativeBurstDetector, share: float, total: int, n: int, seed: int = 0) -> int:
    rng = random.Random(seed)
    for i in range(n):
        neg = sum(rng.random() < share for _ in range(total))
        det.learn_one(Observation("k", 300.0 * i, float(neg), total=float(total)))
    return n


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


def test_sudden_storm() -> None:
    det = NegativeBurstDetector()
    n = learn(det, 0.1, 20, 600)
    assert det.score_one(Observation("k", 300.0 * n, 40.0, total=50.0)) >= 0.5


def test_slow_burn_adds_up() -> None:
    det = NegativeBurstDetector()
    n = learn(det, 0.1, 20, 600)
    rng = random.Random(9)
    scores = []
    for j in range(36):  # three hours, share climbing 10 % -> 35 %, volume flat
        share = 0.1 + 0.25 * j / 36
        neg = sum(rng.random() < share for _ in range(20))
        obs = Observation("k", 300.0 * (n + j), float(neg), total=20.0)
        scores.append(det.score_one(obs))
        det.learn_one(obs)
        # each bucket alone is unremarkable
    assert max(scores[:6]) < 0.5
    assert scores[-1] >= 0.5


def test_few_negatives_are_not_a_burst() -> None:
    det = NegativeBurstDetector(min_negative=3)
    n = learn(det, 0.02, 5, 300)
    assert det.score_one(Observation("k", 300.0 * n, 2.0, total=2.0)) == 0.0


def test_burst_does_not_teach_the_share() -> None:
    det = NegativeBurstDetector()
    n = learn(det, 0.1, 20, 600)
    before = det.baseline_share
    for j in range(12):
        det.learn_one(Observation("k", 300.0 * (n + j), 20.0, total=20.0))
    assert det.baseline_share < before + 0.05


@pytest.mark.parametrize("kwargs", [{"prior_share": 1.5}, {"rho": -1.0}, {"min_negative": 0}])
def test_bad_parameters_raise(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError, match=r"\w"):
        NegativeBurstDetector(**kwargs)  # type: ignore[arg-type]
