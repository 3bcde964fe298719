"""Volume surge: has this key's mention rate risen above its normal, lately?

Counts of mentions on social media are bursty: one bucket of five minutes
may hold five times the usual count for no reason worth a person's time, and
what is usual differs a thousandfold between keys and between night and day.
So the evidence is the *mean log-ratio* of the last ``w`` buckets against a
robust seasonal baseline, and it is judged against the key's own history of
that same statistic:

* the baseline is :class:`~detectors.seasonal.LogProfile`, the expected
  ``log(count + offset)`` per local hour of day (a running geometric mean,
  robust to spikes; the offset tames sparse nights of 0-2 mentions);
* ``d = log(x + offset) - expected`` per bucket; ``m_w`` is the mean of the
  last ``w`` values of ``d`` for each width ``w`` in ``scales`` (a rise that
  lasts an hour outweighs a single noisy bucket);
* each width keeps a robust running centre and spread of ``m_w`` (winsorised
  EWMA of the mean and of the absolute deviation, half-life a week), so
  ``z_w = (m_w - centre) / spread`` means the same on a sparse key and on a
  busy one, and one live threshold fits all keys;
* the score is ``s / (s + score_half)`` with ``s = -log10`` of the normal
  upper tail of the largest ``z_w``.

A surge must not teach the baseline: :meth:`VolumeSurgeDetector.learn_one`
winsorises ``log(x + offset)`` at ``clip_sigma`` spreads above the expected
value before learning, and the spreads learn winsorised values too, so a
spike of 2000 teaches no more than a mildly busy bucket, while a lasting level
shift is absorbed over days.

Examples
--------
>>> from detectors.base import Observation
>>> det = VolumeSurgeDetector()
>>> det.score_one(Observation("k", 0.0, 5.0))  # nothing learnt yet: neutral
0.0
>>> for i in range(600):
...     det.learn_one(Observation("k", 300.0 * i, 20.0 + (i % 5)))
>>> t = 300.0 * 600
>>> normal, surge = Observation("k", t, 22.0), Observation("k", t, 300.0)
>>> det.score_one(surge) > 0.5 > det.score_one(normal)
True
>>> {"observed", "expected", "ratio", "p_value"} <= set(det.evidence(surge))
True
"""

from __future__ import annotations

import functools
import math
from collections import deque
from typing import Any, NamedTuple

from detectors.base import Observation, is_bad_number
from detectors.counts import log_sf_poisson, surprise, surprise_to_score
from detectors.normal_tail import normal_surprise, z_for_surprise
from detectors.quiet_run import MAD_TO_SD, closed_form, window_means
from detectors.seasonal import LogProfile, ewma_steps, halflife_rate


class _Spread:
    """Robust running centre and spread of one window's mean log-ratio."""

    __slots__ = ("center", "count", "spread", "width")

    PRIOR_BUCKETS = 72  # the prior spread weighs as much as six hours of data

    def __init__(self, width: int, spread: float) -> None:
        self.width = width
        self.center = 0.0
        self.spread = spread
        self.count = 0

    def z(self, m: float) -> float:
        return (m - self.center) / self.spread

    def learn(self, m: float, rate: float, clip: float, floor: float) -> None:
        center, spread = self.center, self.spread
        lo, hi = center - clip * spread, center + clip * spread
        if lo > m:  # min(max(m, lo), hi), without the calls
            m = lo
        if hi < m:
            m = hi
        self.count = count = self.count + 1
        r = 1.0 / (count + self.PRIOR_BUCKETS)
        if not r > rate:
            r = rate
        center += r * (m - center)
        spread += r * (MAD_TO_SD * abs(m - center) - spread)
        self.center, self.spread = center, floor if floor > spread else spread

    def __getstate__(self) -> tuple[int, float, float, int]:
        return (self.width, self.center, self.spread, self.count)

    def __setstate__(self, state: tuple[int, float, float, int]) -> None:
        self.width, self.center, self.spread, self.count = state


@functools.lru_cache(maxsize=64)
def _z_at(score: float, score_half: float, z_gain: float) -> float:
    if score >= 1.0:
        return math.inf
    return z_for_surprise(score / (1.0 - score) * score_half) / z_gain


# (expected log, log-ratio, (spread, window mean) per width) of one count at one time
_Parts = tuple[float, float, list[tuple[_Spread, float]]]


class Assessed(NamedTuple):
    """A bucket scored before it is learnt: :meth:`VolumeSurgeDetector.assess`."""

    obs: Observation
    score: float
    evidence: dict[str, Any]
    parts: _Parts | None  # what learning the bucket reuses


class VolumeSurgeDetector:
    """Per-key surge detector over bucket counts (one instance per key).

    ``scales`` are the window widths (in buckets) whose mean log-ratio is
    tested at ``alert_z``; a lone bucket is always tested too, at ``spike_z``
    (so a width of 1 in ``scales`` adds nothing); the largest standardised
    excess decides.
    """

    def __init__(
        self,
        bucket_seconds: int = 300,
        *,
        level_halflife_seconds: float = 3600.0,
        profile_halflife_days: float = 7.0,
        spread_halflife_days: float = 7.0,
        tz: str = "UTC",
        holidays: frozenset[str] = frozenset(),
        offset: float = 1.0,
        spread_init: float = 0.5,
        spread_floor: float = 0.02,
        clip_sigma: float = 3.0,
        scales: tuple[int, ...] = (12, 24),
        warmup_buckets: int = 3,
        score_half: float = 6.0,
        alert_z: float = 3.0,
        spike_z: float = 6.0,
    ) -> None:
        if bucket_seconds <= 0:
            raise ValueError("bucket_seconds must be > 0")
        if spread_init <= 0.0 or spread_floor <= 0.0:
            raise ValueError("spread_init and spread_floor must be > 0")
        if clip_sigma <= 0.0:
            raise ValueError("clip_sigma must be > 0")
        if not scales or any(w < 1 for w in scales) or len(set(scales)) != len(scales):
            raise ValueError("scales must be distinct widths >= 1")
        if warmup_buckets < 1:
            raise ValueError("warmup_buckets must be >= 1")
        if score_half <= 0.0:
            raise ValueError("score_half must be > 0")
        if alert_z <= 0.0 or spike_z <= 0.0:
            raise ValueError("alert_z and spike_z must be > 0")
        if spread_halflife_days <= 0.0:
            raise ValueError("spread_halflife_days must be > 0")
        self.bucket_seconds = bucket_seconds
        self.profile = LogProfile(
            bucket_seconds,
            offset=offset,
            level_halflife_seconds=level_halflife_seconds,
            profile_halflife_days=profile_halflife_days,
            tz=tz,
            holidays=holidays,
        )
        self.spread_rate = halflife_rate(spread_halflife_days * 86400.0 / bucket_seconds)
        self.spread_floor = spread_floor
        self.clip_sigma = clip_sigma
        self.warmup = warmup_buckets
        self.score_half = score_half
        self.alert_z = alert_z
        self.spike_ratio = alert_z / spike_z
        self.z_gain = z_for_surprise(score_half) / alert_z
        # Width 1 is the lone-bucket test, always on and judged at ``spike_z``.
        widths = sorted(w for w in scales if w > 1) or [1]
        self.spreads = [_Spread(w, spread_init / math.sqrt(w)) for w in widths]
        # Per-bucket spread of d, for winsorising what the profile learns.
        self.unit = _Spread(1, spread_init)
        # log-ratios d of the latest buckets, newest last.
        self.recent: deque[float] = deque(maxlen=max(1, max(scales) - 1))

    @property
    def n(self) -> int:
        """Buckets learnt so far."""
        return self.profile.n

    def expected(self, ts: float) -> float:
        """Expected (typical) count of the bucket at ``ts``."""
        return self.profile.expected_count(ts)

    def _parts(self, x: float, ts: float) -> _Parts:
        """What scoring count ``x`` at ``ts`` and learning it share (computed once per close)."""
        e = self.profile.expected_log(ts)
        d = math.log(x + self.profile.offset) - e
        out: list[tuple[_Spread, float]] = []
        past = list(self.recent)
        n = len(past)
        for sp in self.spreads:
            tail = past[n - sp.width + 1 :] if sp.width > 1 else []
            out.append((sp, (d + sum(tail)) / (1 + len(tail))))
        return e, d, out

    def _best(self, x: float, parts: _Parts) -> tuple[float, int, float]:
        """Largest standardised window: (z, width, mean log-ratio)."""
        e, d, means = parts
        z_best, w_best, m_best = 0.0, self.spreads[0].width, 0.0
        for sp, m in means:
            z = (m - sp.center) / sp.spread
            if z > z_best:
                z_best, w_best, m_best = z, sp.width, m
        # A lone bucket must be ``spike_z`` spreads out to count as much, and
        # its count must be unlikely under a Poisson of the expected count too.
        unit = self.unit
        z = (d - unit.center) / unit.spread * self.spike_ratio
        if z > z_best:
            mu = max(self.profile.count_of(e), 0.05)
            z = min(z, z_for_surprise(surprise(log_sf_poisson(x, mu))) / self.z_gain)
            if z > z_best:
                return z, 1, d
        return z_best, w_best, m_best

    def score_one(self, obs: Observation) -> float:
        """Surge score of the bucket count ``obs.value`` at ``obs.ts``."""
        x = obs.value
        if is_bad_number(x) or not math.isfinite(obs.ts) or self.n < self.warmup:
            return 0.0
        z = self._best(x, self._parts(x, obs.ts))[0]
        return surprise_to_score(normal_surprise(z * self.z_gain), self.score_half)

    def learn_one(self, obs: Observation) -> None:
        """Learn the bucket count (winsorised) into the profile and the spreads."""
        self._learn(obs.value, obs.ts, None)

    def assess(self, obs: Observation) -> Assessed:
        """``score_one`` and ``evidence`` of ``obs`` at once, for :meth:`learn_assessed`.

        The windows are computed once for the three (a closed bucket is scored,
        explained and learnt in a row); the results are those of the three calls.
        """
        x, ts = obs.value, obs.ts
        if is_bad_number(x) or not math.isfinite(ts) or self.n < self.warmup:
            return Assessed(obs, self.score_one(obs), self.evidence(obs), None)
        parts = self._parts(x, ts)
        best = self._best(x, parts)
        s = normal_surprise(best[0] * self.z_gain)
        ev = self._ev(x, self.profile.count_of(parts[0]), best, s)
        return Assessed(obs, surprise_to_score(s, self.score_half), ev, parts)

    def learn_assessed(self, a: Assessed) -> None:
        """``learn_one(a.obs)``, reusing what :meth:`assess` computed (no learning in between)."""
        self._learn(a.obs.value, a.obs.ts, a.parts)

    def _learn(self, x: float, ts: float, parts: _Parts | None) -> None:
        if is_bad_number(x) or not math.isfinite(ts):
            return
        prof = self.profile
        y = math.log(x + prof.offset)
        if prof.n >= self.warmup:
            rate, clip, floor = self.spread_rate, self.clip_sigma, self.spread_floor
            e, _, means = self._parts(x, ts) if parts is None else parts
            for sp, m in means:
                sp.learn(m, rate, clip, floor)
            unit = self.unit
            unit.learn(y - e, rate, clip, floor)
            d = min(y - e, clip * unit.spread)
            y = min(y, e + clip * unit.spread)
        else:
            d = 0.0
        self.recent.append(d)
        prof.update(ts, y)

    def _reach(self, x: float, parts: _Parts, score: float) -> bool:
        """Does count ``x`` score at least ``score`` (:meth:`_parts` given; warm, good data)?

        The lone bucket's Poisson test, the costly part, runs only when some z
        could reach ``score`` without it (it only ever lowers the lone z).
        """
        _, d, means = parts
        z_min = self.z_at(score) * (1.0 - 1e-9)  # clearly below it, the score is below too
        unit = self.unit
        if (d - unit.center) / unit.spread * self.spike_ratio < z_min and all(
            (m - sp.center) / sp.spread < z_min for sp, m in means
        ):
            return False
        z = self._best(x, parts)[0]
        return surprise_to_score(normal_surprise(z * self.z_gain), self.score_half) >= score

    def learn_empty(self, ts: float, score: float) -> bool:
        """``learn_one`` of an empty bucket at ``ts``, unless it could score ``score``.

        Returns False, having learnt nothing, when its score reaches ``score``
        (the caller then scores and explains it as any other bucket).
        """
        parts = None
        if self.n >= self.warmup and math.isfinite(ts):
            parts = self._parts(0.0, ts)
            if self._reach(0.0, parts, score):
                return False
        self._learn(0.0, ts, parts)
        return True

    def z_at(self, score: float) -> float:
        """The window ``z`` whose score is ``score`` (``inf`` for 1: never reached)."""
        return _z_at(score, self.score_half, self.z_gain)

    def learn_quiet(self, ts0: float, k: int, z_limit: float) -> int:
        """Learn up to ``k`` empty buckets from ``ts0`` at once; return how many it learnt.

        An empty bucket teaches ``log(offset)``. The profile learns it in closed
        form, hour by hour (exact up to rounding). Each window spread learns, per
        hour, one input: the mean of its window's means at the hour's first and
        last bucket (the hour's log-ratios taken as their mean), with their mean
        absolute deviation from the centre as if spread evenly in between, in
        the closed form of :func:`~detectors.quiet_run.closed_form`; an approximation of its
        winsorised EWMA that stays close over a long quiet run (a young key's
        short windows are taken as :meth:`_means` takes them). The deque of
        recent log-ratios ends as learning one bucket at a time would leave
        it. It stops before an hour in which a window's mean could reach
        ``z_limit`` (the caller scores that bucket exactly: a signal may be due).
        """
        prof, clip, floor = self.profile, self.clip_sigma, self.spread_floor
        unit, spreads = self.unit, self.spreads
        cnt = unit.count
        y0 = math.log(prof.offset)
        cap = self.recent.maxlen or 1
        if (
            k <= 0
            or any(sp.count != cnt for sp in spreads)
            # log(offset) must never be clipped: true for offset 1 (every y >= 0)
            or (y0 != 0.0 and min(prof.level, *prof.slot) + clip * floor < y0)
        ):
            return 0
        bs, warm, n_sp = self.bucket_seconds, self.warmup, len(spreads)
        rate, gain, prior = self.spread_rate, MAD_TO_SD, _Spread.PRIOR_BUCKETS
        hour_of = prof.hours(ts0, ts0 + k * bs)
        learn_constant, slot, slot_n = prof.learn_constant, prof.slot, prof.slot_n
        hist = list(self.recent)  # log-ratios of the latest buckets (hourly means inside the run)
        hours: list[tuple[float, float, int, int, bool]] = []  # for the deque, per hour
        new: list[tuple[_Spread, float, float]] = []
        i = 0
        while i < k:
            t = ts0 + i * bs
            eh = int(t // 3600.0)
            j = min(k - i, -int((t - (eh + 1) * 3600.0) // bs))  # buckets left in this hour
            warming = prof.n < warm
            if warming:  # learnt as is: a log-ratio of 0, no spreads
                j = min(j, warm - prof.n)
            h = hour_of(eh)
            saved = prof.level, prof.n, slot[h], slot_n[h]
            first, mean, base, c = learn_constant(h, j, y0)
            hours.append((first, base, c, j, warming))
            i += j
            if warming:
                hist += [0.0] * j
                continue
            u, d0 = y0 - mean, y0 - first  # the hour's mean log-ratio, and its first
            # The spreads' rates over the hour (a ratio, then a power: ewma_steps).
            b = cnt + prior
            if b * rate >= 1.0:
                p, rsum = (1.0 - rate) ** j, rate * j
            elif (b + j) * rate < 1.0:
                p, rsum = b / (b + j), math.log((b + j + 0.5) / (b + 0.5))
            else:
                p, _, rsum = ewma_steps(cnt, j, rate, prior)
            nh = len(hist)
            full = nh == cap  # the deque is full (a young key's is not)
            new.clear()
            for sp in spreads:
                w = sp.width
                if full and j < w:
                    m0 = (d0 + sum(hist[nh - w + 1 :])) / w
                    m1 = (j * u + sum(hist[nh - w + j :])) / w
                else:
                    m0, m1 = window_means(hist, nh, w, d0, u, j, cap)
                m, center0, spread0 = 0.5 * (m0 + m1), sp.center, sp.spread
                dev = m - center0
                band = clip * spread0
                if -band <= dev <= band:
                    lo, hi = (m0, m1) if m0 < m1 else (m1, m0)
                    if lo < center0 < hi:  # E|m - centre| for m evenly spread from m0 to m1
                        dev_abs = ((hi - center0) ** 2 + (center0 - lo) ** 2) / (2.0 * (hi - lo))
                    elif dev < 0.0:
                        dev_abs = -dev
                    else:
                        dev_abs = dev
                    spread = p * (spread0 + gain * dev_abs * rsum)
                    if floor > spread:
                        spread = floor
                    center = m - dev * p
                else:  # a busy key gone quiet: winsorised all along
                    center, spread = closed_form(sp.center, sp.spread, m, j, p, rsum, clip, floor)
                    hi = m1 if m1 > m0 else m0  # max(m0, m1)
                if hi - center0 >= z_limit * spread0 or hi - center >= z_limit * spread:
                    break  # this hour's buckets could score: stop before it
                new.append((sp, center, spread))
            if len(new) < n_sp:
                prof.level, prof.n, slot[h], slot_n[h] = saved
                hours.pop()
                i -= j
                break
            for sp, center, spread in new:
                sp.center, sp.spread, sp.count = center, spread, cnt + j
            center, spread = unit.center, unit.spread
            dev = u - center
            if -clip * spread <= dev <= clip * spread:
                unit.spread = max(p * (spread + gain * abs(dev) * rsum), floor)
                unit.center = u - dev * p
            else:
                unit.center, unit.spread = closed_form(
                    unit.center, unit.spread, u, j, p, rsum, clip, floor
                )
            cnt = unit.count = cnt + j
            hist += [u] * j
            del hist[:-cap]
        # The deque as one bucket at a time leaves it: each of the latest buckets' log-ratio.
        tail: list[float] = []
        for first, base, c, j, warming in reversed(hours):
            if len(tail) >= cap:
                break
            if warming:
                tail[:0] = [0.0] * j
            else:
                tail[:0] = [y0 - e for e in prof.constant_values(first, base, c, j, y0)]
        self.recent.extend(tail[-cap:])
        return i

    def evidence(self, obs: Observation) -> dict[str, Any]:
        """Why the score is what it is (JSON-serialisable)."""
        x = obs.value if not is_bad_number(obs.value) else 0.0
        ts = obs.ts if math.isfinite(obs.ts) else 0.0
        if self.n < self.warmup:
            return self._ev(x, self.expected(ts), None, 0.0)
        parts = self._parts(x, ts)
        best = self._best(x, parts)
        s = normal_surprise(best[0] * self.z_gain)
        return self._ev(x, self.profile.count_of(parts[0]), best, s)

    def _ev(
        self, x: float, mu: float, best: tuple[float, int, float] | None, s: float
    ) -> dict[str, Any]:
        """The evidence of :meth:`evidence` (expected count ``mu``; ``best`` None: warming up)."""
        z, width, m = best or (0.0, self.spreads[0].width, 0.0)
        return {
            "observed": x,
            "expected": round(mu, 3),
            "ratio": round(x / mu, 3) if mu > 0.0 else None,
            "p_value": 10.0**-s,
            "surprise": round(s, 3),
            "z": round(z, 3),
            "window_buckets": width,
            "window_ratio": round(math.exp(m), 3),
            "score": round(surprise_to_score(s, self.score_half), 4) if best else 0.0,
        }
