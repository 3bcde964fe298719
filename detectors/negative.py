"""Negative burst: more negative mentions, and a larger negative share, than usual.

Each observation carries the bucket's negative count (``value``) and all
mentions (``total``). The key's own baseline share ``p0`` (a bank's normal
negative share is not an airline's) is a slow, count-weighted average
(half-life ``baseline_halflife_seconds``). The test is a binomial upper tail
``P(K >= k | n, p0)`` on counts deflated by a design effect ``1 + rho*(n-1)``
(mentions of one bucket are not independent: replies and retweets cluster).

Two time scales make it see both a storm and a slow burn: the bucket itself,
and exponentially weighted sums of negative and total counts over the last
hours (half-life ``burn_halflife_seconds``), so a share climbing over hours
while volume barely moves still adds up to evidence. A positive viral spike
raises ``n`` but not the share, so the conditional test stays quiet. Nothing
is flagged unless negatives exceed their expected number by ``min_negative``.

Examples
--------
>>> from detectors.base import Observation
>>> det = NegativeBurstDetector()
>>> for i in range(300):
...     det.learn_one(Observation("k", 300.0 * i, 2.0, total=20.0))  # 10 % negative
>>> storm = Observation("k", 90000.0, 30.0, total=45.0)
>>> viral = Observation("k", 90000.0, 8.0, total=80.0)  # positive spike, 10 % negative
>>> det.score_one(storm) > 0.5 > det.score_one(viral)
True
>>> ev = det.evidence(storm)
>>> ev["negative_share"], abs(ev["baseline_share"] - 0.1) < 0.02
(0.667, True)
"""

from __future__ import annotations

import math
from typing import Any

from detectors.base import Observation, is_bad_number
from detectors.counts import log_sf_binomial, surprise, surprise_to_score
from detectors.seasonal import halflife_rate


class NegativeBurstDetector:
    """Per-key negative-share burst detector over (negative, total) bucket counts."""

    __slots__ = (
        "_burn_rate",
        "_rate",
        "base_neg",
        "base_tot",
        "burn_neg",
        "burn_tot",
        "last_ts",
        "min_negative",
        "n",
        "prior_share",
        "prior_weight",
        "rho",
        "score_half",
        "warmup",
    )

    def __init__(
        self,
        bucket_seconds: int = 300,
        *,
        baseline_halflife_seconds: float = 3 * 86400.0,
        burn_halflife_seconds: float = 2 * 3600.0,
        prior_share: float = 0.15,
        prior_weight: float = 50.0,
        rho: float = 0.02,
        min_negative: int = 3,
        warmup_buckets: int = 3,
        score_half: float = 4.0,
    ) -> None:
        if bucket_seconds <= 0:
            raise ValueError("bucket_seconds must be > 0")
        if baseline_halflife_seconds <= 0 or burn_halflife_seconds <= 0:
            raise ValueError("half-lives must be > 0")
        if not 0.0 < prior_share < 1.0:
            raise ValueError("prior_share must be in (0, 1)")
        if prior_weight < 0.0 or not 0.0 <= rho < 1.0:
            raise ValueError("prior_weight must be >= 0 and rho in [0, 1)")
        if min_negative < 1 or warmup_buckets < 0 or score_half <= 0.0:
            raise ValueError("min_negative >= 1, warmup_buckets >= 0, score_half > 0")
        self._rate = halflife_rate(baseline_halflife_seconds / bucket_seconds)
        self._burn_rate = halflife_rate(burn_halflife_seconds / bucket_seconds)
        self.prior_share = prior_share
        self.prior_weight = prior_weight
        self.rho = rho
        self.min_negative = min_negative
        self.warmup = warmup_buckets
        self.score_half = score_half
        # Slow baseline: EW means of negative and total counts per bucket; the
        # prior share is worth ``prior_weight`` mentions.
        self.base_neg = 0.0
        self.base_tot = 0.0
        # Slow-burn window: EW sums over the last hours (decayed per bucket).
        self.burn_neg = 0.0
        self.burn_tot = 0.0
        self.n = 0
        self.last_ts = -math.inf

    @property
    def baseline_share(self) -> float:
        """The key's normal negative share."""
        m = min(float(self.n), 1.0 / self._rate)  # buckets in memory
        num = self.base_neg * m + self.prior_share * self.prior_weight
        den = self.base_tot * m + self.prior_weight
        return num / den if den > 0.0 else self.prior_share

    @staticmethod
    def _counts(obs: Observation) -> tuple[float, float] | None:
        k, n = obs.value, obs.total
        if n is None or is_bad_number(k) or is_bad_number(n) or not math.isfinite(obs.ts):
            return None
        return min(k, n), n

    def _surprise(self, k: float, n: float, p0: float, bucket_n: float) -> float:
        if n <= 0.0 or k - p0 * n < self.min_negative:
            return 0.0
        # Clustering (replies, retweets) acts within a bucket: the design
        # effect uses the bucket's size, not the window's.
        deff = 1.0 + self.rho * max(0.0, bucket_n - 1.0)
        return surprise(log_sf_binomial(k / deff, n / deff, p0))

    def _tests(self, k: float, n: float) -> tuple[float, float, float, float]:
        """(z, tested negatives, tested total, baseline share), the stronger scale."""
        p0 = self.baseline_share
        best = (self._surprise(k, n, p0, n), k, n, p0)
        d = 1.0 - self._burn_rate
        bk, bn = self.burn_neg * d + k, self.burn_tot * d + n
        zb = self._surprise(bk, bn, p0, n)
        if zb > best[0]:
            best = (zb, bk, bn, p0)
        return best

    def score_one(self, obs: Observation) -> float:
        """Burst score of the bucket's (negative, total) counts."""
        c = self._counts(obs)
        if c is None or self.n < self.warmup:
            return 0.0
        return surprise_to_score(self._tests(*c)[0], self.score_half)

    def learn_one(self, obs: Observation) -> None:
        """Learn the bucket: burn window always, baseline share with a capped share."""
        c = self._counts(obs)
        if c is None:
            return
        k, n = c
        d = 1.0 - self._burn_rate
        self.burn_neg = self.burn_neg * d + k
        self.burn_tot = self.burn_tot * d + n
        # A burst must not teach the baseline: cap the learnt negatives.
        p0 = self.baseline_share
        cap = p0 * n + 3.0 * math.sqrt(n * p0 * (1.0 - p0) * (1.0 + self.rho * n)) + 1.0
        if self.n >= self.warmup:
            k = min(k, cap)
        r = max(self._rate, 1.0 / (self.n + 1))
        self.base_neg += r * (k - self.base_neg) if n > 0 else -r * self.base_neg
        self.base_tot += r * (n - self.base_tot)
        self.n += 1
        self.last_ts = obs.ts

    def evidence(self, obs: Observation) -> dict[str, Any]:
        """Why the score is what it is (JSON-serialisable)."""
        k, n = self._counts(obs) or (0.0, 0.0)
        z, tk, tn, _ = self._tests(k, n) if self.n >= self.warmup else (0.0, k, n, 0.0)
        return {
            "negative_count": k,
            "total": n,
            "negative_share": round(k / n, 3) if n > 0 else 0.0,
            "baseline_share": round(self.baseline_share, 4),
            "window_negative": round(tk, 2),
            "window_total": round(tn, 2),
            "p_value": 10.0**-z,
            "surprise": round(z, 3),
            "score": round(surprise_to_score(z, self.score_half), 4),
        }
