"""Emerging terms: which words or phrases are surging for a key, in bounded memory.

Each tracked term keeps two exponentially decayed counts: a fast one (about
the last ``fast_halflife_seconds``) and a slow one (the last days). A term
emerges when its fast count is well above what its slow rate predicts for the
fast window. Memory is bounded like a Space-Saving top-k: at most
``2 * capacity`` terms are kept; when that fills, the terms with the
smallest slow counts (which are not surging) are pruned back to
``capacity``. Decay is lazy (each term remembers when it was last touched),
so an update costs O(terms in the mention).

Examples
--------
>>> et = EmergingTerms()
>>> for i in range(2000):  # a normal week of chatter
...     et.update(["laina", "kortti", "palvelu"][i % 3:i % 3 + 1], ts=300.0 * i)
>>> for j in range(40):  # then the online bank breaks
...     et.update(["verkkopankki", "ei toimi"], ts=600000.0 + 10.0 * j)
>>> sorted(t["term"] for t in et.top(ts=600400.0, k=2))
['ei toimi', 'verkkopankki']
>>> sorted(et.top(ts=600400.0, k=1)[0])
['count', 'expected', 'ratio', 'term']
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

LN2 = math.log(2.0)
MAX_TERM_CHARS = 64


class EmergingTerms:
    """Bounded-memory tracker of surging terms for one key."""

    __slots__ = ("capacity", "fast_tau", "items", "min_count", "slow_tau")

    def __init__(
        self,
        capacity: int = 100,
        *,
        fast_halflife_seconds: float = 1800.0,
        slow_halflife_seconds: float = 3 * 86400.0,
        min_count: int = 3,
    ) -> None:
        if capacity < 1:
            raise ValueError("capacity must be >= 1")
        if not 0.0 < fast_halflife_seconds < slow_halflife_seconds:
            raise ValueError("need 0 < fast_halflife_seconds < slow_halflife_seconds")
        if min_count < 1:
            raise ValueError("min_count must be >= 1")
        self.capacity = capacity
        self.fast_tau = fast_halflife_seconds / LN2
        self.slow_tau = slow_halflife_seconds / LN2
        self.min_count = min_count
        # term -> [fast count, slow count, ts of last update, ts first seen]
        self.items: dict[str, list[float]] = {}

    def _decayed(self, item: list[float], ts: float) -> tuple[float, float]:
        dt = max(0.0, ts - item[2])
        return item[0] * math.exp(-dt / self.fast_tau), item[1] * math.exp(-dt / self.slow_tau)

    def update(self, terms: Iterable[str], ts: float) -> None:
        """Count each distinct term of one mention at event time ``ts``."""
        if not math.isfinite(ts):
            return
        items, exp = self.items, math.exp
        fast_tau, slow_tau = self.fast_tau, self.slow_tau
        for term in set(terms):
            if not isinstance(term, str) or not term:
                continue
            term = term[:MAX_TERM_CHARS]
            item = items.get(term)
            if item is None:
                items[term] = [1.0, 1.0, ts, ts]
                continue
            dt = ts - item[2]
            if dt < 0.0:  # a late mention: count it without moving time back
                item[0] += exp(dt / fast_tau)
                item[1] += exp(dt / slow_tau)
                item[3] = min(item[3], ts)
                continue
            item[0] = item[0] * exp(-dt / fast_tau) + 1.0
            item[1] = item[1] * exp(-dt / slow_tau) + 1.0
            item[2] = ts
        if len(items) > 2 * self.capacity:
            self._prune(ts)

    def _prune(self, ts: float) -> None:
        tau = self.slow_tau
        ranked = sorted(
            self.items.items(), key=lambda kv: kv[1][1] * math.exp(-max(0.0, ts - kv[1][2]) / tau)
        )
        for term, _ in ranked[: len(ranked) - self.capacity]:
            del self.items[term]

    def top(self, ts: float, k: int = 5) -> list[dict[str, Any]]:
        """The ``k`` terms surging most at ``ts``: term, count, expected, ratio."""
        rows: list[tuple[float, dict[str, Any]]] = []
        for term, item in self.items.items():
            fast, slow = self._decayed(item, ts)
            if fast < self.min_count:
                continue
            # What the slow rate predicts for the fast window. Both windows are
            # cut to the term's age (a young key has no three days of history),
            # and the recent part is taken out of the slow count.
            age = max(0.0, ts - item[3])
            w_fast = self.fast_tau * -math.expm1(-age / self.fast_tau)
            w_slow = self.slow_tau * -math.expm1(-age / self.slow_tau)
            span = max(w_slow - w_fast, w_fast, 1.0)
            expected = max(0.0, slow - fast) / span * w_fast
            ratio = fast / (expected + 1.0)
            if ratio < 2.0:
                continue
            strength = ratio * math.log1p(fast)
            rows.append(
                (
                    strength,
                    {
                        "term": term,
                        "count": round(fast),
                        "expected": round(expected, 2),
                        "ratio": round(ratio, 2),
                    },
                )
            )
        rows.sort(key=lambda r: (-r[0], r[1]["term"]))
        return [r[1] for r in rows[:k]]

    def __len__(self) -> int:
        return len(self.items)

    def __getstate__(self) -> tuple[int, float, float, int, dict[str, list[float]]]:  # compact
        return (self.capacity, self.fast_tau, self.slow_tau, self.min_count, self.items)

    def __setstate__(self, state: tuple[int, float, float, int, dict[str, list[float]]]) -> None:
        self.capacity, self.fast_tau, self.slow_tau, self.min_count, self.items = state
