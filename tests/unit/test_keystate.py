"""Per-brand state: dedup window bounds and the state codec."""

from __future__ import annotations

import pytest

from detectors.keystate import RecentIds
from streams.codec import dumps_state, loads_state


def test_recent_ids_drop_duplicates_and_forget_the_oldest() -> None:
    r = RecentIds(capacity=3)
    assert [r.add("x", i) for i in ("a", "b", "a", "c", "d")] == [True, True, False, True, True]
    assert len(r) == 3
    assert r.add("x", "a")  # evicted, so new again
    assert r.add("facebook", "d")  # ids are unique per source


def test_recent_ids_state_round_trip() -> None:
    r = RecentIds(capacity=10)
    for i in range(15):
        r.add("x", str(i))
    back = loads_state(dumps_state(r))
    assert len(back) == 10
    assert not back.add("x", "14")
    assert back.add("x", "0")


def test_recent_ids_reject_bad_capacity() -> None:
    with pytest.raises(ValueError, match="capacity"):
        RecentIds(0)
