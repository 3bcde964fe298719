"""The multi-window count tests (detectors.window) and their statistics (detectors.stats)."""

from __future__ import annotations

import math
import pickle
import random

import pytest

from detectors.stats import EWMean, log_sf_betabinom, log_sf_negbin
from detectors.window import RING, SENSITIVITY, WIDTHS, WindowCounts

T0 = 1_772_409_600.0  # a Monday, 00:00 UTC


def betabinom_pmf(k: int, n: int, p: float, rho: float) -> float:
    c = (1.0 - rho) / rho
    a, b = p * c, (1.0 - p) * c
    lg = math.lgamma
    return math.exp(
        lg(n + 1)
        - lg(k + 1)
        - lg(n - k + 1)
        + lg(k + a)
        + lg(n - k + b)
        - lg(n + a + b)
        - lg(a)
        - lg(b)
        + lg(a + b)
    )


@pytest.mark.parametrize(("k", "n", "p", "rho"), [(3, 10, 0.2, 0.05), (30, 60, 0.15, 0.02)])
def test_betabinom_tail_is_the_sum_of_its_pmf(k: int, n: int, p: float, rho: float) -> None:
    brute = sum(betabinom_pmf(j, n, p, rho) for j in range(k, n + 1))
    assert math.exp(log_sf_betabinom(k, n, p, rho)) == pytest.approx(brute, rel=1e-9)


def test_negbin_tail_is_the_sum_of_its_pmf() -> None:
    mu, alpha = 4.0, 0.3
    r = 1.0 / alpha
    q = mu / (r + mu)

    def pmf(x: int) -> float:
        return math.exp(
            math.lgamma(x + r)
            - math.lgamma(r)
            - math.lgamma(x + 1)
            + r * math.log(1 - q)
            + x * math.log(q)
        )

    for x in (1, 5, 12, 30):
        brute = 1.0 - sum(pmf(j) for j in range(x))
        assert math.exp(log_sf_negbin(x, mu, alpha)) == pytest.approx(brute, rel=1e-6)


def test_ew_mean_starts_as_a_plain_average() -> None:
    m = EWMean(0.0, rate=0.01)
    for x in (2.0, 4.0, 6.0):
        m.update(x)
    assert m.mean == pytest.approx(4.0)
    assert pickle.loads(pickle.dumps(m)).mean == m.mean  # noqa: S301 - our own bytes


def test_window_sums_kept_as_mentions_arrive_match_a_recount() -> None:
    rng = random.Random(7)
    w = WindowCounts()
    t = T0
    for i in range(5000):
        t += rng.expovariate(1.0 / rng.choice([2.0, 30.0, 400.0, 5000.0]))
        late = rng.random() < 0.05
        n = rng.choice([1, 1, 2])
        w.add_count(t - rng.uniform(0, 5000) if late else t, n, rng.randint(0, n))
        if i % 5 == 0:
            m = int(t // 60)
            for width, _, tot, neg in w._spans(t):
                assert (tot, neg) == w._sums(m, width)
    assert len(w.tot) == RING


def steady(w: WindowCounts, days: float, per_bucket: float, share: float = 0.1) -> float:
    """Mentions spread evenly, ``per_bucket`` per 5 minutes; returns the end time."""
    rng = random.Random(1)
    t = T0
    for i in range(int(days * 288)):
        start = T0 + 300.0 * i
        x = sum(rng.random() < per_bucket / 10 for _ in range(10))
        k = sum(rng.random() < share for _ in range(x))
        for j in range(x):
            w.add(start + 300.0 * (j + 0.5) / max(x, 1), j < k)
        w.learn_bucket(start, float(x), float(k), share, False)
        t = start + 300.0
    return t


def test_warm_up_needs_absolute_evidence_not_a_ratio() -> None:
    w = WindowCounts()
    t = steady(w, 0.5, 0.8)  # half a day of 0.8 mentions per bucket
    assert w.warming
    for j in range(5):  # five mentions in a minute: six times the bucket's expected count
        w.add(t + 10.0 * j, False)
    assert w.volume(t + 55.0).surprise == 0.0
    for j in range(40):  # forty: absolute evidence
        w.add(t + 60.0 + j, False)
    assert w.volume_score(w.volume(t + 110.0)) >= 0.5


def test_positive_spike_raises_volume_not_the_negative_test() -> None:
    w = WindowCounts()
    t = steady(w, 3.0, 5.0)
    for j in range(150):  # 30x volume in ten minutes, 3 % negative
        w.add(t + 4.0 * j, j % 33 == 0)
    assert w.volume_score(w.volume(t + 600.0)) >= 0.5
    assert w.negative(t + 600.0, 0.1).surprise == 0.0


def test_a_negative_storm_fires_inside_the_bucket() -> None:
    w = WindowCounts()
    t = steady(w, 3.0, 5.0)
    fired = None
    for j in range(60):  # 6 a minute, 80 % negative
        w.add(t + 10.0 * j, j % 5 != 0)
        if w.negative_score(w.negative(t + 10.0 * j, 0.1)) >= 0.5:
            fired = 10.0 * j
            break
    assert fired is not None
    assert fired < 300.0  # before the bucket closes


def test_sensitivity_levels_are_ordered_and_checked() -> None:
    assert SENSITIVITY["fewer"] > SENSITIVITY["balanced"] > SENSITIVITY["more"]
    with pytest.raises(ValueError, match="sensitivity"):
        WindowCounts(sensitivity="paranoid")


def test_state_is_plain_and_small() -> None:
    w = WindowCounts()
    steady(w, 2.0, 3.0)
    plain = (int, float, str, bool, list, tuple, type(None))
    for name, value in vars(w).items():
        assert isinstance(value, plain), name
        if isinstance(value, list | tuple):
            assert all(isinstance(v, int | float | str) for v in value), name
    assert len(pickle.dumps(w)) < 4000
    assert len(WIDTHS) == 5
