"""What a detector signal shows on the dashboards: the numbers read from its evidence.

The detectors write ``observed``/``expected`` for volume, ``negative_count``/``total``/
``negative_share``/``baseline_share`` for negative bursts and ``backlog``/``promise_seconds``
for the backlog; a field that is missing or not a finite number reads as ``None`` (its gauge
keeps its value), never as 0, and bad data never raises.

>>> from detectors.signals import Signal
>>> sig = Signal("b", "negative_burst", 0.0, 0.7, True, "high",
...              {"negative_count": 12, "total": 40, "negative_share": 0.3, "baseline_share": 0.1})
>>> r = readings(sig)
>>> r.observed, r.expected, r.share
(12.0, 4.0, 0.3)
>>> readings(Signal("b", "volume_surge", 0.0, float("nan"), False, "none", {"observed": "x"}))
Readings(score=None, share=None, baseline_share=None, observed=None, expected=None, promise=None)
"""

from __future__ import annotations

from typing import NamedTuple

from detectors.signals import Signal
from streams.metric_names import finite_number


class Readings(NamedTuple):
    score: float | None
    share: float | None
    baseline_share: float | None
    observed: float | None
    expected: float | None
    promise: float | None


def readings(sig: Signal) -> Readings:
    """The dashboard numbers of one signal (``None`` where its evidence has none)."""
    ev = sig.evidence
    share = finite_number(ev.get("negative_share"))
    base = finite_number(ev.get("baseline_share"))
    promise = None
    if sig.kind == "volume_surge":
        observed, expected = finite_number(ev.get("observed")), finite_number(ev.get("expected"))
    elif sig.kind == "negative_burst":
        observed, total = finite_number(ev.get("negative_count")), finite_number(ev.get("total"))
        expected = None if total is None or base is None else total * base
    else:
        observed, expected = finite_number(ev.get("backlog")), None
        promise = finite_number(ev.get("promise_seconds"))
    return Readings(finite_number(sig.score), share, base, observed, expected, promise)
