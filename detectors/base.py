"""The detector contract: observations, the two-method protocol, and helpers.

A detector follows river's shape: :meth:`Detector.score_one` says how unusual
an observation is (in [0, 1], high = anomalous) without changing state, and
:meth:`Detector.learn_one` updates the state. Thresholding lives outside the
detector (:func:`step`, :class:`AlertGate`). Time always comes from the
observation (event time, POSIX seconds), never from the clock.

Examples
--------
>>> from detectors.volume import VolumeSurgeDetector
>>> det = VolumeSurgeDetector()
>>> scores = [step(det, Observation("nordbank", 300.0 * i, 10.0), 0.5) for i in range(50)]
>>> max(scores) < 0.5
True
>>> step(det, Observation("nordbank", 300.0 * 50, 200.0), 0.5) >= 0.5
True
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Protocol, runtime_checkable


@dataclass(frozen=True, slots=True)
class Observation:
    """One value of one key at one moment of event time.

    ``value`` is a count (mentions in a bucket, or negative mentions in a
    bucket for the negative-burst detector, which also reads ``total``: all
    mentions of the same bucket).
    """

    key: str
    ts: float
    value: float
    total: float | None = None


@runtime_checkable
class Detector(Protocol):
    """What every detector offers."""

    def score_one(self, obs: Observation) -> float:
        """How anomalous ``obs`` is, in [0, 1]; does not change state."""
        ...

    def learn_one(self, obs: Observation) -> None:
        """Update the state with ``obs``."""
        ...


def step(det: Detector, obs: Observation, threshold: float, *, protect: bool = True) -> float:
    """Score ``obs``, then learn it unless it is an anomaly and ``protect`` is set.

    Protection keeps a surge from teaching the baseline that surges are normal.
    """
    score = det.score_one(obs)
    if not (protect and score >= threshold):
        det.learn_one(obs)
    return score


def is_bad_number(x: float) -> bool:
    """True for NaN, infinities and negatives: data a detector must ignore."""
    return not math.isfinite(x) or x < 0.0


class AlertGate:
    """Which active decisions would open an incident: the live lifecycle, in small.

    Mirrors ``alerts.incidents`` with its defaults (``LifecycleConfig``): a
    decision is active when its score reaches ``threshold``; an active decision
    with no incident open opens one; the incident stays open while decisions
    stay active and resolves at the first inactive decision ``quiet_seconds``
    after the last active one; an active decision within ``reopen_seconds`` of
    that resolution reopens the same incident (no new alert). So
    :meth:`update` is True exactly where the team would get a new alert.

    Examples
    --------
    >>> g = AlertGate(threshold=0.5, quiet_seconds=1800.0)
    >>> [g.update(300.0 * i, s) for i, s in enumerate([0.1, 0.9, 0.8, 0.2, 0.9])]
    [False, True, False, False, False]
    >>> g.update(3000.0, 0.1), g.update(3600.0, 0.9)  # resolved at 3000, reopened
    (False, False)
    >>> g.update(9000.0, 0.1), g.update(20000.0, 0.9)  # resolved, then a new incident
    (False, True)
    """

    __slots__ = ("last_active", "open", "quiet", "reopen", "resolved_at", "threshold")

    def __init__(
        self, threshold: float, quiet_seconds: float = 1800.0, reopen_seconds: float = 900.0
    ) -> None:
        if not 0.0 < threshold <= 1.0:
            raise ValueError("threshold must be in (0, 1]")
        if not 0.0 < quiet_seconds < math.inf:
            raise ValueError("quiet_seconds must be finite and > 0")
        if not 0.0 <= reopen_seconds < math.inf:
            raise ValueError("reopen_seconds must be finite and >= 0")
        self.threshold = threshold
        self.quiet = float(quiet_seconds)
        self.reopen = float(reopen_seconds)
        self.open = False
        self.last_active = -math.inf
        self.resolved_at = -math.inf

    def update(self, ts: float, score: float) -> bool:
        """Fold one decision in; True when it opens a new incident."""
        if not math.isfinite(ts):
            return False
        active = score >= self.threshold
        if self.open:
            if active:
                self.last_active = max(self.last_active, ts)
            elif ts - self.last_active >= self.quiet:
                self.open = False
                self.resolved_at = ts
            return False
        if not active:
            return False
        self.open = True
        self.last_active = ts
        return ts - self.resolved_at > self.reopen

    def apply(self, ts: float, score: float) -> float:
        """``score`` where a new incident opens, else at most just below the threshold.

        Rows of an open incident (or of its quiet period) keep their score
        when it is below the threshold and are cut to 0 when active: they
        raise no new alert.
        """
        opens = self.update(ts, score)
        if opens or score < self.threshold:
            return score
        return 0.0

    def __getstate__(self) -> tuple[float, float, float, bool, float, float]:
        return (
            self.threshold,
            self.quiet,
            self.reopen,
            self.open,
            self.last_active,
            self.resolved_at,
        )

    def __setstate__(self, state: tuple[float, float, float, bool, float, float]) -> None:
        (self.threshold, self.quiet, self.reopen, self.open, self.last_active, self.resolved_at) = (
            state
        )
