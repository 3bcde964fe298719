"""Cost per event: mentions/s through KeyMonitor alone (one core), state bytes per key.

.venv/bin/python tests/bench/bench_detectors.py [N_MENTIONS]
"""

from __future__ import annotations

import pickle
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from detectors.mention import EnrichedMention, Enrichment, Mention
from detectors.monitor import KeyMonitor

WORDS = [f"sana{i}" for i in range(3000)] + ["verkkopankki", "ei toimi", "kirjautuminen"]


def mentions(n: int, seed: int = 0) -> list[EnrichedMention]:
    rng = random.Random(seed)
    t0 = datetime(2026, 3, 2, tzinfo=UTC)
    out = []
    t = 0.0
    for i in range(n):
        t += rng.expovariate(1 / 6.0)  # ~50 mentions per 5-minute bucket
        neg = rng.random() < 0.15
        m = Mention(f"x:{i}", "x", "nordbank", t0 + timedelta(seconds=t), "teksti " * 20)
        e = Enrichment(
            "fi",
            "negative" if neg else "neutral",
            -0.5 if neg else 0.1,
            topics=(rng.choice(["login", "cards", "loans"]),),
            terms=tuple(rng.sample(WORDS, 4)),
        )
        out.append(EnrichedMention(m, e))
    return out


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 200_000
    ems = mentions(n)
    mon = KeyMonitor("nordbank")
    signals = 0
    t0, c0 = time.perf_counter(), time.process_time()
    for em in ems:
        signals += len(mon.observe(em))
    dt = time.perf_counter() - t0
    cpu = time.process_time() - c0
    blob = pickle.dumps(mon)
    days = (ems[-1].ts - ems[0].ts) / 86400
    print(f"{n} mentions ({days:.1f} days of event time, {signals} signals) in {dt:.2f} s")
    print(f"KeyMonitor: {n / dt:,.0f} mentions/s on one core ({1e6 * dt / n:.1f} us/mention)")
    print(f"CPU time: {1e6 * cpu / n:.1f} us/mention (compare this: the machine is shared)")
    print(f"pickled state per key: {len(blob):,} bytes (terms tracked: {len(mon.terms)})")
    t0 = time.perf_counter()
    for _ in range(100):
        pickle.loads(pickle.dumps(mon))  # noqa: S301 - our own bytes
    print(f"pickle round trip: {(time.perf_counter() - t0) * 10:.2f} ms per key")


if __name__ == "__main__":
    main()
