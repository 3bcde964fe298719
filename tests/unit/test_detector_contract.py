"""One contract over every detector (river's checks/common.py, our way)."""

from __future__ import annotations

import copy
import random
from collections.abc import Callable
from typing import Any

import pytest

from detectors.base import Detector, Observation, step
from detectors.negative import NegativeBurstDetector
from detectors.volume import VolumeSurgeDetector
from streams.codec import dumps_state, loads_state

BUCKET = 300.0


def volume_obs(i: int, rng: random.Random, surge: bool = False) -> Observation:
    base = 20.0 + 15.0 * ((i // 12) % 24 in range(8, 20))
    x = rng.randint(int(base * 0.8), int(base * 1.2))
    return Observation("k", BUCKET * i, float(x * 6 if surge else x))


def negative_obs(i: int, rng: random.Random, surge: bool = False) -> Observation:
    total = rng.randint(20, 40)
    neg = rng.randint(0, total // 4)
    if surge:
        neg = int(total * 0.8)
    return Observation("k", BUCKET * i, float(neg), total=float(total))


CASES: list[tuple[str, Callable[[], Any], Callable[..., Observation]]] = [
    ("volume", VolumeSurgeDetector, volume_obs),
    ("negative", NegativeBurstDetector, negative_obs),
]
IDS = [c[0] for c in CASES]


@pytest.mark.parametrize(("name", "make", "gen"), CASES, ids=IDS)
def test_is_a_detector(name: str, make: Callable[[], Any], gen: Callable[..., Observation]) -> None:
    assert isinstance(make(), Detector)


@pytest.mark.parametrize(("name", "make", "gen"), CASES, ids=IDS)
def test_score_before_learning_is_neutral(
    name: str, make: Callable[[], Any], gen: Callable[..., Observation]
) -> None:
    det = make()
    obs = gen(0, random.Random(0), surge=True)
    assert det.score_one(obs) == 0.0


@pytest.mark.parametrize(("name", "make", "gen"), CASES, ids=IDS)
def test_input_untouched_and_score_pure(
    name: str, make: Callable[[], Any], gen: Callable[..., Observation]
) -> None:
    det, rng = make(), random.Random(1)
    for i in range(200):
        det.learn_one(gen(i, rng))
    obs = gen(200, rng, surge=True)
    before = copy.deepcopy(obs)
    state = dumps_state(det)
    s1 = det.score_one(obs)
    assert det.score_one(obs) == s1
    assert obs == before
    assert dumps_state(det) == state


@pytest.mark.parametrize(("name", "make", "gen"), CASES, ids=IDS)
def test_state_round_trip_gives_same_next_score(
    name: str, make: Callable[[], Any], gen: Callable[..., Observation]
) -> None:
    det, rng = make(), random.Random(2)
    for i in range(500):
        det.learn_one(gen(i, rng))
    clone = loads_state(dumps_state(det))
    for i in range(500, 520):
        obs = gen(i, rng, surge=i == 510)
        assert clone.score_one(obs) == det.score_one(obs)
        clone.learn_one(obs)
        det.learn_one(obs)


@pytest.mark.parametrize(("name", "make", "gen"), CASES, ids=IDS)
def test_memory_bounded_over_100k_events(
    name: str, make: Callable[[], Any], gen: Callable[..., Observation]
) -> None:
    det, rng = make(), random.Random(3)
    for i in range(1000):
        det.learn_one(gen(i, rng))
    size_1k = len(dumps_state(det))
    for i in range(1000, 100_000):
        det.learn_one(gen(i, rng))
    size_100k = len(dumps_state(det))
    assert size_100k <= size_1k + 64
    assert size_100k < 4096


@pytest.mark.parametrize(("name", "make", "gen"), CASES, ids=IDS)
def test_surge_scores_above_baseline(
    name: str, make: Callable[[], Any], gen: Callable[..., Observation]
) -> None:
    det, rng = make(), random.Random(4)
    normal_scores = [step(det, gen(i, rng), 0.5) for i in range(2000)]
    surge = det.score_one(gen(2000, rng, surge=True))
    assert surge >= 0.5
    assert surge > max(normal_scores[1000:])


@pytest.mark.parametrize(("name", "make", "gen"), CASES, ids=IDS)
@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -3.0])
def test_bad_data_never_raises(
    name: str, make: Callable[[], Any], gen: Callable[..., Observation], bad: float
) -> None:
    det, rng = make(), random.Random(5)
    for i in range(50):
        det.learn_one(gen(i, rng))
    obs = Observation("k", BUCKET * 50, bad, total=bad)
    assert det.score_one(obs) == 0.0
    det.learn_one(obs)
    assert 0.0 <= det.score_one(gen(51, rng)) <= 1.0


@pytest.mark.parametrize("protect", [True, False])
def test_step_protect_flag(protect: bool) -> None:
    det, rng = VolumeSurgeDetector(), random.Random(6)
    for i in range(300):
        det.learn_one(volume_obs(i, rng))
    n = det.n
    step(det, volume_obs(300, rng, surge=True), 0.5, protect=protect)
    assert det.n == (n if protect else n + 1)
