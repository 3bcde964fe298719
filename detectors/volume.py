"""Volume surge: is this bucket's mention count too high for this key, now?

The expected count comes from :class:`~detectors.seasonal.SeasonalBaseline`
(time of day, day of week, holidays). The test is a negative-binomial upper
tail ``P(X >= observed)`` whose overdispersion ``alpha`` (variance
``mu + alpha mu^2``) is learnt online from the key's own prediction errors: a
sparse night of 0-2 mentions and a busy day of thousands are judged on the
same scale. A sustained rise is also tested on the sum of the last ``span``
buckets. The score is ``z / (z + score_half)`` with ``z = -log10 p``.

A surge must not teach the baseline: :meth:`VolumeSurgeDetector.learn_one`
winsorises the count at ``expected + clip_sigma * sd`` before learning, so a
spike of 2000 teaches no more than a mildly busy bucket, while a lasting
level shift is still absorbed over a few hours.

Examples
--------
>>> from detectors.base import Observation
>>> det = VolumeSurgeDetector()
>>> det.score_one(Observation("k", 0.0, 5.0))  # nothing learnt yet: neutral
0.0
>>> for i in range(100):
...     det.learn_one(Observation("k", 300.0 * i, 20.0 + (i % 5)))
>>> normal, surge = Observation("k", 30000.0, 22.0), Observation("k", 30000.0, 90.0)
>>> det.score_one(surge) > 0.5 > det.score_one(normal)
True
>>> {"observed", "expected", "ratio", "p_value"} <= set(det.evidence(surge))
True
"""

from __future__ import annotations

import math
from collections import deque
from typing import Any

from detectors.base import Observation, is_bad_number
from detectors.counts import log_sf_negbin, surprise, surprise_to_score
from detectors.seasonal import SeasonalBaseline, halflife_rate


class _Scale:
    """Dispersion of the sum of the last ``width`` buckets around its expectation."""

    __slots__ = ("alpha", "count", "den", "num", "width")

    PRIOR_BUCKETS = 24  # the prior alpha weighs as much as two hours of data

    def __init__(self, width: int, alpha: float) -> None:
        self.width = width
        self.alpha = alpha
        self.num = 0.0
        self.den = 0.0
        self.count = 0

    def learn(self, s: float, e: float, rate: float, lo: float, hi: float, clip: float) -> None:
        if e <= 0.0:
            return
        sd = math.sqrt(e + self.alpha * e * e)
        s = min(max(s, e - clip * sd), e + clip * sd + 1.0)
        if self.den == 0.0:
            self.num, self.den = self.alpha * e * e, e * e
        self.count += 1
        rate = max(rate, 1.0 / (self.count + self.PRIOR_BUCKETS))
        self.num += rate * ((s - e) ** 2 - e - self.num)
        self.den += rate * (e * e - self.den)
        self.alpha = min(hi, max(lo, self.num / self.den))

    def __getstate__(self) -> tuple[int, float, float, float, int]:
        return (self.width, self.alpha, self.num, self.den, self.count)

    def __setstate__(self, state: tuple[int, float, float, float, int]) -> None:
        self.width, self.alpha, self.num, self.den, self.count = state


class VolumeSurgeDetector:
    """Per-key surge detector over bucket counts (one instance per key).

    ``scales`` are the window widths (in buckets) tested: 1 is the bucket
    itself against the fast baseline (a sudden spike); wider windows sum
    winsorised counts against the slow baseline (a rise that lasts).
    """

    def __init__(
        self,
        bucket_seconds: int = 300,
        *,
        level_halflife_seconds: float = 3 * 3600.0,
        slow_halflife_seconds: float = 86400.0,
        weekly: bool = True,
        tz: str = "UTC",
        holidays: frozenset[str] = frozenset(),
        alpha_init: float = 0.5,
        alpha_min: float = 0.01,
        alpha_max: float = 5.0,
        alpha_halflife_seconds: float = 2 * 86400.0,
        clip_sigma: float = 3.0,
        sum_clip_sigma: float = 3.0,
        scales: tuple[int, ...] = (1, 12, 36),
        warmup_buckets: int = 3,
        score_half: float = 6.0,
    ) -> None:
        if bucket_seconds <= 0:
            raise ValueError("bucket_seconds must be > 0")
        if not 0.0 < alpha_min <= alpha_init <= alpha_max:
            raise ValueError("need 0 < alpha_min <= alpha_init <= alpha_max")
        if clip_sigma <= 0.0 or sum_clip_sigma <= 0.0:
            raise ValueError("clip_sigma and sum_clip_sigma must be > 0")
        if not scales or any(w < 1 for w in scales) or len(set(scales)) != len(scales):
            raise ValueError("scales must be distinct widths >= 1")
        if warmup_buckets < 1:
            raise ValueError("warmup_buckets must be >= 1")
        if score_half <= 0.0:
            raise ValueError("score_half must be > 0")
        if alpha_halflife_seconds <= 0.0:
            raise ValueError("alpha_halflife_seconds must be > 0")
        self.bucket_seconds = bucket_seconds
        self.baseline = SeasonalBaseline(
            bucket_seconds,
            level_halflife_seconds=level_halflife_seconds,
            slow_halflife_seconds=slow_halflife_seconds,
            weekly=weekly,
            tz=tz,
            holidays=holidays,
        )
        self.alpha_min = alpha_min
        self.alpha_max = alpha_max
        self.alpha_rate = halflife_rate(alpha_halflife_seconds / bucket_seconds)
        self.clip_sigma = clip_sigma
        self.sum_clip_sigma = sum_clip_sigma
        self.warmup = warmup_buckets
        self.score_half = score_half
        self.scales = [_Scale(w, alpha_init) for w in sorted(scales)]
        # (winsorised count, slow expectation) of the latest buckets, newest last.
        self.recent: deque[tuple[float, float]] = deque(maxlen=max(1, max(scales) - 1))

    @property
    def n(self) -> int:
        """Buckets learnt so far."""
        return self.baseline.n

    @property
    def alpha(self) -> float:
        """Overdispersion of single buckets."""
        return self.scales[0].alpha

    def expected(self, ts: float) -> float:
        """Expected count of the bucket at ``ts``."""
        return self.baseline.expected(ts)

    def _sums(self, x: float, ts: float) -> list[tuple[_Scale, float, float]]:
        """(scale, observed, expected) per scale for a bucket count ``x`` at ``ts``."""
        mu = self.baseline.expected(ts)
        slow = self.baseline.expected_slow(ts)
        out: list[tuple[_Scale, float, float]] = []
        s = min(x, self._cap(slow))
        e = slow
        got = 1
        recent = reversed(self.recent)
        for sc in self.scales:
            if sc.width == 1:
                out.append((sc, x, mu))
                continue
            for xr, er in recent:
                s += xr
                e += er
                got += 1
                if got == sc.width:
                    break
            if got < sc.width:
                break
            out.append((sc, s, e))
        return out

    def _cap(self, mu: float) -> float:
        return mu + self.sum_clip_sigma * math.sqrt(mu + self.alpha * mu * mu) + 1.0

    def _surprise(self, x: float, ts: float) -> tuple[float, int, float, float]:
        """Largest surprise over the scales: (z, width, observed, expected)."""
        best = (0.0, 1, x, self.baseline.expected(ts))
        for sc, s, e in self._sums(x, ts):
            if s <= e or e <= 0.0:
                continue
            z = surprise(log_sf_negbin(s, e, sc.alpha))
            if z > best[0]:
                best = (z, sc.width, s, e)
        return best

    def score_one(self, obs: Observation) -> float:
        """Surge score of the bucket count ``obs.value`` at ``obs.ts``."""
        x = obs.value
        if is_bad_number(x) or not math.isfinite(obs.ts) or self.n < self.warmup:
            return 0.0
        return surprise_to_score(self._surprise(x, obs.ts)[0], self.score_half)

    def clip(self, x: float, mu: float) -> float:
        """Winsorise ``x`` to ``mu +- clip_sigma * sd`` (the learning value)."""
        sd = math.sqrt(mu + self.alpha * mu * mu)
        return min(max(x, mu - self.clip_sigma * sd), mu + self.clip_sigma * sd + 1.0)

    def learn_one(self, obs: Observation) -> None:
        """Learn the bucket count (winsorised) into baseline and dispersions."""
        x = obs.value
        ts = obs.ts
        if is_bad_number(x) or not math.isfinite(ts):
            return
        mu = self.baseline.expected(ts)
        slow = self.baseline.expected_slow(ts)
        if self.n >= self.warmup and mu > 0.0:
            r = self.alpha_rate
            lo, hi = self.alpha_min, self.alpha_max
            for sc, s, e in self._sums(x, ts):
                sc.learn(s, e, r, lo, hi, self.clip_sigma)
            xc = self.clip(x, mu)
        else:
            xc = x
        self.recent.append((min(x, self._cap(slow)) if slow > 0.0 else x, slow or xc))
        self.baseline.update(ts, xc)

    def evidence(self, obs: Observation) -> dict[str, Any]:
        """Why the score is what it is (JSON-serialisable)."""
        x = obs.value if not is_bad_number(obs.value) else 0.0
        ts = obs.ts if math.isfinite(obs.ts) else 0.0
        mu = self.baseline.expected(ts)
        ready = self.n >= self.warmup and mu > 0.0
        z, width, s, e = self._surprise(x, ts) if ready else (0.0, 1, x, mu)
        return {
            "observed": x,
            "expected": round(mu, 3),
            "ratio": round(x / mu, 3) if mu > 0.0 else None,
            "p_value": 10.0**-z,
            "surprise": round(z, 3),
            "window_buckets": width,
            "window_observed": round(s, 3),
            "window_expected": round(e, 3),
            "dispersion": round(self.alpha, 4),
            "score": round(surprise_to_score(z, self.score_half), 4) if ready else 0.0,
        }
