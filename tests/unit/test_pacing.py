"""The shared pacing rule of streams/pacing.py, without a broker: one verdict per proposal,
the same on every reader."""

from __future__ import annotations

import itertools
import random

import pytest

from streams.pacing import FirstUseGuard, KafkaPacer


def pacer(**kw: float) -> KafkaPacer:
    return KafkaPacer("127.0.0.1:1", "t.slack.pacing", interval=1.0, tolerance=0.05, **kw)


def rec(ch: str, slot: float, rid: str) -> dict[str, object]:
    return {"c": ch, "s": slot, "id": rid}


def test_a_slot_closer_than_the_interval_is_rejected_per_channel() -> None:
    p = pacer()
    verdicts = [
        p.apply(rec("C1", 10.0, "a")),
        p.apply(rec("C1", 10.5, "b")),  # too close to a
        p.apply(rec("C2", 10.5, "c")),  # another channel is free
        p.apply(rec("C1", 11.0, "d")),
        p.apply(rec("C1", 10.2, "e")),  # behind the last accepted slot
    ]
    assert verdicts == [True, False, True, True, False]


def test_every_reader_reaches_the_same_verdicts() -> None:
    rng = random.Random(7)
    log = [rec(rng.choice(["C1", "C2"]), 100 + rng.random() * 30, str(i)) for i in range(300)]
    first, second = pacer(), pacer()
    a = [first.apply(r) for r in log]
    b = [second.apply(r) for r in log]
    assert a == b
    accepted: dict[str, list[float]] = {}
    for r, ok in zip(log, a, strict=True):
        if ok:
            accepted.setdefault(str(r["c"]), []).append(float(r["s"]))  # type: ignore[arg-type]
    for slots in accepted.values():
        assert all(y - x >= 1.0 - 1e-6 for x, y in itertools.pairwise(slots))


def test_a_reader_that_joins_late_agrees_on_later_proposals() -> None:
    """Slots are never far ahead of their proposal: a reader that starts a lookback
    behind reaches the verdicts of one that read everything."""
    log = [rec("C1", float(t) * 1.0, str(t)) for t in range(100)]  # back to back
    log += [rec("C1", 150.0 + k * 0.6, f"late{k}") for k in range(20)]
    full, joiner = pacer(), pacer()
    whole = [full.apply(r) for r in log]
    tail = [joiner.apply(r) for r in log[60:]]
    assert whole[100:] == tail[40:]


def test_the_proposer_waits_for_its_own_verdict() -> None:
    p = pacer()
    p._mine.add("x")
    p.apply(rec("C1", 5.0, "x"))
    assert p._verdicts == {"x": True}
    p.apply(rec("C1", 5.2, "y"))  # not ours: no verdict kept
    assert "y" not in p._verdicts


@pytest.mark.parametrize(("interval", "tolerance"), [(0.0, 0.0), (1.0, 1.0), (1.0, -0.1)])
def test_bad_parameters(interval: float, tolerance: float) -> None:
    with pytest.raises(ValueError, match="interval"):
        KafkaPacer("h:1", "t", interval=interval, tolerance=tolerance)


def test_no_broker_falls_back_to_local_spacing() -> None:
    now = [0.0]
    slept: list[float] = []

    def sleep(s: float) -> None:
        slept.append(s)
        now[0] += s

    p = KafkaPacer("h:1", "t", clock=lambda: now[0], sleep=sleep)
    p._stop.set()  # as after a failed start
    p("C1")
    p("C1")
    assert p.counts["fallback"] == 2
    assert slept == [pytest.approx(1.0)]


def test_first_use_guard_accepts_one_claim_per_key_in_its_window() -> None:
    g = FirstUseGuard("h:1", "t.slack.clicks", window=600.0)
    claims = [
        g.apply({"k": "sig1", "t": 100.0, "id": "a"}),
        g.apply({"k": "sig1", "t": 100.2, "id": "b"}),  # the same click at another worker
        g.apply({"k": "sig2", "t": 101.0, "id": "c"}),
        g.apply({"k": "sig1", "t": 650.0, "id": "d"}),  # a replay minutes later
        g.apply({"k": "sig1", "t": 800.0, "id": "e"}),  # past the window: Slack refuses it anyway
    ]
    assert claims == [True, False, True, False, True]
