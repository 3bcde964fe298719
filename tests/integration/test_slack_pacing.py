"""Slack pacing shared through Kafka (streams/pacing.py) on the real broker.

Two pacers (two workers' worth) claim slots in one channel at once: every call
goes at least ``interval - tolerance`` after the one before, whoever made it.
"""

from __future__ import annotations

import itertools
import threading
import uuid

import pytest

from streams.pacing import FirstUseGuard, KafkaPacer

pytestmark = [pytest.mark.integration]


def test_two_pacers_share_one_channel_budget(bootstrap: str) -> None:
    topic = f"t{uuid.uuid4().hex[:10]}.slack.pacing"
    pacers = [KafkaPacer(bootstrap, topic, interval=0.3, tolerance=0.03).start() for _ in "ab"]
    stamps: list[tuple[float, int]] = []
    lock = threading.Lock()

    def run(i: int) -> None:
        for _ in range(8):
            pacers[i]("C0CARE")
            with lock:
                stamps.append((pacers[i]._clock(), i))

    try:
        threads = [threading.Thread(target=run, args=(i,)) for i in (0, 1)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
    finally:
        for p in pacers:
            p.stop()
    stamps.sort()
    gaps = [b[0] - a[0] for a, b in itertools.pairwise(stamps)]
    switches = sum(1 for a, b in itertools.pairwise(stamps) if a[1] != b[1])
    print(f"\npacing: 16 calls, min gap {min(gaps):.3f}s (interval 0.3), {switches} hand-overs")
    assert len(stamps) == 16
    assert switches >= 2, "both pacers must have taken turns"
    assert min(gaps) >= 0.3 - 0.03 - 0.01
    assert all(p.counts["fallback"] == 0 for p in pacers)


def test_a_click_is_accepted_by_one_worker_only(bootstrap: str) -> None:
    """Two workers' guards see the same signed click (a replay to the other worker)."""
    topic = f"t{uuid.uuid4().hex[:10]}.slack.clicks"
    guards = [FirstUseGuard(bootstrap, topic).start() for _ in "ab"]
    try:
        results: list[bool | None] = []
        lock = threading.Lock()

        def claim(i: int, sig: str) -> None:
            r = guards[i](sig)
            with lock:
                results.append(r)

        for n in range(5):
            sig = f"v0=signature-{n}"
            threads = [threading.Thread(target=claim, args=(i, sig)) for i in (0, 1)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(10)
        later = [guards[1]("v0=signature-0"), guards[0]("v0=signature-3")]
        # A third worker that starts afterwards reads the claims back.
        late = FirstUseGuard(bootstrap, topic).start()
        try:
            replay_late = late("v0=signature-2")
        finally:
            late.stop()
    finally:
        for g in guards:
            g.stop()
    assert sorted(results, key=str) == [False] * 5 + [True] * 5
    assert later == [False, False]
    assert replay_late is False
