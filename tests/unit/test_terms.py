from __future__ import annotations

import pickle
import random

import pytest

from detectors.terms import EmergingTerms

VOCAB = [f"sana{i}" for i in range(5000)]


def test_surging_term_on_top_with_fields() -> None:
    et = EmergingTerms()
    rng = random.Random(0)
    for i in range(3000):
        et.update(rng.sample(VOCAB[:50], 3), ts=100.0 * i)
    for j in range(30):
        et.update(["kirjautuminen", rng.choice(VOCAB[:50])], ts=300000.0 + 20.0 * j)
    top = et.top(ts=300600.0, k=3)
    assert top[0]["term"] == "kirjautuminen"
    assert top[0]["count"] >= 20
    assert top[0]["ratio"] > 5
    assert set(top[0]) == {"term", "count", "expected", "ratio"}


def test_steady_terms_do_not_emerge() -> None:
    et = EmergingTerms()
    for i in range(5000):
        et.update(["laina", "kortti"], ts=60.0 * i)
    assert et.top(ts=300000.0) == []


def test_memory_bounded_with_many_distinct_terms() -> None:
    et = EmergingTerms(capacity=50)
    rng = random.Random(1)
    for i in range(20000):
        et.update(rng.sample(VOCAB, 4), ts=float(i))
    assert len(et) <= 100
    assert len(pickle.dumps(et)) < 20_000


def test_pickle_round_trip() -> None:
    et = EmergingTerms()
    for j in range(20):
        et.update(["ei toimi"], ts=float(j))
    clone = pickle.loads(pickle.dumps(et))  # noqa: S301 - our own bytes
    assert clone.top(ts=30.0) == et.top(ts=30.0)


def test_late_and_odd_input() -> None:
    et = EmergingTerms()
    et.update(["a"], ts=100.0)
    et.update(["a", "", "a"], ts=50.0)  # late, duplicate, empty
    et.update(["b"], ts=float("nan"))
    assert "b" not in et.items
    assert et.items["a"][0] > 1.5


def test_bad_parameters_raise() -> None:
    with pytest.raises(ValueError, match=r"\w"):
        EmergingTerms(capacity=0)
    with pytest.raises(ValueError, match=r"\w"):
        EmergingTerms(fast_halflife_seconds=10.0, slow_halflife_seconds=5.0)
