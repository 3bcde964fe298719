"""Negative burst: more negative mentions, and a larger negative share, than usual.

Each observation carries the bucket's negative count (``value``) and all
mentions (``total``). The key's own baseline share ``p0`` (a bank's normal
negative share is not an airline's) is a slow, count-weighted average
(half-life ``baseline_halflife_seconds``) that an anomaly does not teach:
neither a burst nor the low share of a viral spike.
Counts are deflated by a design effect ``1 + rho*(n-1)`` (mentions of one
bucket are not independent: replies and retweets cluster). Two tests, each
scoring 0.5 at its own alarm level, the score being the larger:

* **storm** (one bucket): the binomial upper tail ``P(K >= k | n, p0)``,
  ``z = -log10 p``, score ``z / (z + score_half)``; nothing is flagged unless
  negatives exceed their expected number by ``min_negative``.
* **drift** (a slow burn: the share climbing over hours while volume barely
  moves): a Bernoulli CUSUM of the log-likelihood ratio of "negative odds
  ``odds_ratio`` times the baseline" against the baseline, summed over
  mentions, ``S = max(0, S + llr)``, capped at ``cusum_cap * cusum_threshold``
  so it falls back soon after the burn ends, and reset to 0 when an alarm
  ends (a quiet night after a storm must not hover at the threshold and
  re-alarm on two negatives); score ``S / (S + cusum_threshold)``.
  It starts after ``drift_warmup_seconds`` (the baseline share must be known
  well: a drift test against a rough share is a false alarm in waiting).

Both look at the share, not the count: a positive viral spike raises ``n``
but not the share, so both stay quiet. The score never rises when only
``total`` grows, so a caller may re-score a growing bucket on negative
mentions only. A bucket still filling up is best judged by the storm test
alone (:meth:`NegativeBurstDetector.storm_score`): the drift test gains a few
minutes at most there, and its mid-bucket peaks are mostly noise.

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
>>> ev["negative_share"], abs(ev["baseline_share"] - 0.1) < 0.02, ev["test"]
(0.667, True, 'storm')
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

from detectors.base import Observation, is_bad_number
from detectors.counts import log_sf_binomial, surprise, surprise_to_score
from detectors.seasonal import ewma_steps, halflife_rate

_P_MIN, _P_MAX = 1e-4, 1.0 - 1e-4
MAX_WEIGHT = 4.0  # a bucket this many times busier than usual is unusual


class Assessed(NamedTuple):
    """A bucket scored before it is learnt: :meth:`NegativeBurstDetector.assess`."""

    obs: Observation
    score: float
    evidence: dict[str, Any]
    tests: tuple[float, float] | None  # (storm score, CUSUM after the bucket), for learning


class NegativeBurstDetector:
    """Per-key negative-share burst detector over (negative, total) bucket counts."""

    __slots__ = (
        "_rate",
        "base_neg",
        "base_tot",
        "cusum",
        "cusum_cap",
        "cusum_neg",
        "cusum_threshold",
        "cusum_tot",
        "drift_warmup",
        "frozen_rate",
        "last_ts",
        "min_negative",
        "n",
        "odds_ratio",
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
        prior_share: float = 0.15,
        prior_weight: float = 50.0,
        rho: float = 0.02,
        min_negative: int = 3,
        warmup_buckets: int = 3,
        score_half: float = 4.0,
        odds_ratio: float = 2.0,
        cusum_threshold: float = 10.0,
        cusum_cap: float = 1.5,
        frozen_rate: float = 0.1,
        drift_warmup_seconds: float = 86400.0,
    ) -> None:
        if bucket_seconds <= 0:
            raise ValueError("bucket_seconds must be > 0")
        if baseline_halflife_seconds <= 0:
            raise ValueError("baseline_halflife_seconds must be > 0")
        if not 0.0 < prior_share < 1.0:
            raise ValueError("prior_share must be in (0, 1)")
        if prior_weight < 0.0 or not 0.0 <= rho < 1.0:
            raise ValueError("prior_weight must be >= 0 and rho in [0, 1)")
        if min_negative < 1 or warmup_buckets < 0 or score_half <= 0.0:
            raise ValueError("min_negative >= 1, warmup_buckets >= 0, score_half > 0")
        if odds_ratio <= 1.0 or cusum_threshold <= 0.0 or cusum_cap < 1.0:
            raise ValueError("odds_ratio > 1, cusum_threshold > 0 and cusum_cap >= 1")
        if not 0.0 <= frozen_rate <= 1.0:
            raise ValueError("frozen_rate must be in [0, 1]")
        if drift_warmup_seconds < 0.0:
            raise ValueError("drift_warmup_seconds must be >= 0")
        self._rate = halflife_rate(baseline_halflife_seconds / bucket_seconds)
        self.prior_share = prior_share
        self.prior_weight = prior_weight
        self.rho = rho
        self.min_negative = min_negative
        self.warmup = warmup_buckets
        self.score_half = score_half
        self.odds_ratio = odds_ratio
        self.cusum_threshold = cusum_threshold
        self.cusum_cap = cusum_cap
        self.frozen_rate = frozen_rate
        self.drift_warmup = max(warmup_buckets, math.ceil(drift_warmup_seconds / bucket_seconds))
        # Slow baseline: EW means of negative and total counts per bucket; the
        # prior share is worth ``prior_weight`` mentions.
        self.base_neg = 0.0
        self.base_tot = 0.0
        # Drift: the CUSUM and the counts it has summed since it last was 0.
        self.cusum = 0.0
        self.cusum_neg = 0.0
        self.cusum_tot = 0.0
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

    def _deff(self, n: float) -> float:
        return 1.0 + self.rho * max(0.0, n - 1.0)

    def _storm(self, k: float, n: float, p0: float) -> float:
        """Surprise ``-log10 p`` of the bucket's negatives."""
        if n <= 0.0 or k - p0 * n < self.min_negative:
            return 0.0
        deff = self._deff(n)
        return surprise(log_sf_binomial(k / deff, n / deff, p0))

    def _drift(self, k: float, n: float, p0: float) -> float:
        """The CUSUM after adding the bucket (not stored; 0 while warming up)."""
        if self.n < self.drift_warmup:
            return 0.0
        p0 = min(_P_MAX, max(_P_MIN, p0))
        p1 = self.odds_ratio * p0 / (1.0 - p0 + self.odds_ratio * p0)
        llr = k * math.log(p1 / p0) + (n - k) * math.log((1.0 - p1) / (1.0 - p0))
        s = self.cusum + llr / self._deff(n)
        return min(max(0.0, s), self.cusum_cap * self.cusum_threshold)

    def _scores(self, k: float, n: float) -> tuple[float, float, float]:
        """(storm score, drift score, new CUSUM) of a bucket's counts."""
        p0 = self.baseline_share
        s = self._drift(k, n, p0)
        storm = surprise_to_score(self._storm(k, n, p0), self.score_half)
        return storm, s / (s + self.cusum_threshold), s

    def score_one(self, obs: Observation) -> float:
        """Burst score of the bucket's (negative, total) counts."""
        c = self._counts(obs)
        if c is None or self.n < self.warmup:
            return 0.0
        storm, drift, _ = self._scores(*c)
        return max(storm, drift)

    def storm_score(self, obs: Observation) -> float:
        """The storm test's score alone (for a bucket still filling up)."""
        c = self._counts(obs)
        if c is None or self.n < self.warmup:
            return 0.0
        return surprise_to_score(self._storm(c[0], c[1], self.baseline_share), self.score_half)

    def assess(self, obs: Observation) -> Assessed:
        """``score_one`` and ``evidence`` of ``obs`` at once, for :meth:`learn_assessed`."""
        c = self._counts(obs)
        if c is None or self.n < self.warmup:
            return Assessed(obs, self.score_one(obs), self.evidence(obs), None)
        k, n = c
        p0 = self.baseline_share
        z, s = self._storm(k, n, p0), self._drift(k, n, p0)
        storm = surprise_to_score(z, self.score_half)
        score = max(storm, s / (s + self.cusum_threshold))
        return Assessed(obs, score, self._ev(k, n, p0, z, s), (storm, s))

    def learn_assessed(self, a: Assessed) -> None:
        """``learn_one(a.obs)``, reusing the tests :meth:`assess` ran (state unchanged since)."""
        self._learn(a.obs, a.tests)

    def learn_one(self, obs: Observation) -> None:
        """Learn the bucket: the CUSUM always; the baseline share protected."""
        self._learn(obs, None)

    def assess_empty(self) -> tuple[float, tuple[float, float] | None]:
        """``score_one`` of an empty bucket, and the tests :meth:`learn_empty` reuses."""
        if self.n < self.warmup:
            return 0.0, None
        s = self._drift(0.0, 0.0, self.baseline_share)  # no storm without mentions
        return max(0.0, s / (s + self.cusum_threshold)), (0.0, s)

    def learn_empty(self, ts: float, tests: tuple[float, float] | None) -> None:
        """``learn_one`` of an empty bucket at ``ts``, given :meth:`assess_empty`'s tests."""
        self._learn_counts(0.0, 0.0, ts, tests)

    def _learn(self, obs: Observation, tests: tuple[float, float] | None) -> None:
        c = self._counts(obs)
        if c is not None:
            self._learn_counts(c[0], c[1], obs.ts, tests)

    def _learn_counts(
        self, k: float, n: float, ts: float, tests: tuple[float, float] | None
    ) -> None:
        p0 = self.baseline_share
        r = max(self._rate, 1.0 / (self.n + 1))
        if self.n >= self.warmup:
            if tests is None:
                storm, _, s = self._scores(k, n)
            else:
                storm, s = tests
            if self.cusum >= self.cusum_threshold > s:
                s = 0.0  # the alarm is over: start afresh, do not hover at the threshold
            if s > 0.0:
                self.cusum_neg, self.cusum_tot = self.cusum_neg + k, self.cusum_tot + n
            else:
                self.cusum_neg = self.cusum_tot = 0.0
            self.cusum = s
            # An anomaly must not teach the baseline, in either direction: a
            # burst would hide the next one, and a viral spike's low share
            # would make the days after it look negative. During an alarm, a
            # share far below normal or a bucket more than ``MAX_WEIGHT`` times
            # busier than usual, learn slowly (a lasting change is still
            # absorbed, over days), at most as ``MAX_WEIGHT`` usual buckets,
            # with the negatives clipped.
            sd = math.sqrt(n * p0 * (1.0 - p0) * self._deff(n))
            cap = MAX_WEIGHT * max(1.0, self.base_tot)
            unusual = k < p0 * n - 3.0 * sd or n > cap
            if storm >= 0.5 or s >= self.cusum_threshold or unusual:
                r *= self.frozen_rate
            if n > cap:
                k, n = k * cap / n, cap
            sd = math.sqrt(n * p0 * (1.0 - p0) * self._deff(n))
            k = min(max(k, p0 * n - 3.0 * sd - 1.0), p0 * n + 3.0 * sd + 1.0)
        self.base_neg += r * (k - self.base_neg) if n > 0 else -r * self.base_neg
        self.base_tot += r * (n - self.base_tot)
        self.n += 1
        self.last_ts = ts

    def learn_quiet(self, k: int, ts: float) -> bool:
        """Learn ``k`` empty buckets (the last at ``ts``) at once; False in an alarm (no change).

        An empty bucket adds nothing to the CUSUM and decays both baseline
        means by ``1 - r``: a closed form, exact up to rounding. During a drift
        alarm the baseline learns at the frozen rate and the caller goes one
        bucket at a time.
        """
        if self.cusum >= self.cusum_threshold:
            return False
        if k > 0:
            p = ewma_steps(self.n, k, self._rate, 0)[0]
            self.base_neg *= p
            self.base_tot *= p
            self.n += k
            self.last_ts = ts
        return True

    def evidence(self, obs: Observation) -> dict[str, Any]:
        """Why the score is what it is (JSON-serialisable)."""
        k, n = self._counts(obs) or (0.0, 0.0)
        ready = self.n >= self.warmup
        p0 = self.baseline_share
        z = self._storm(k, n, p0) if ready else 0.0
        s = self._drift(k, n, p0) if ready else 0.0
        return self._ev(k, n, p0, z, s)

    def _ev(self, k: float, n: float, p0: float, z: float, s: float) -> dict[str, Any]:
        """The evidence dict of :meth:`evidence` (storm surprise ``z``, CUSUM ``s``)."""
        storm = surprise_to_score(z, self.score_half)
        drift = s / (s + self.cusum_threshold)
        wk, wn = (self.cusum_neg + k, self.cusum_tot + n) if s > 0.0 else (k, n)
        return {
            "negative_count": k,
            "total": n,
            "negative_share": round(k / n, 3) if n > 0 else 0.0,
            "baseline_share": round(p0, 4),
            "window_negative": round(wk, 2),
            "window_total": round(wn, 2),
            "window_share": round(wk / wn, 3) if wn > 0 else 0.0,
            "p_value": 10.0**-z,
            "surprise": round(z, 3),
            "cusum": round(s, 3),
            "test": "storm" if storm >= drift else "drift",
            "score": round(max(storm, drift), 4),
        }
