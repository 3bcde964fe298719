"""Count tests on several windows at once, inside the open bucket (issue 15).

A key's mentions are counted per minute of event time (a ring of the latest
``RING`` minutes). At any moment, for each width ``W`` in ``WIDTHS`` (5, 10, 15,
30 and 60 minutes) the window of the last ``W`` minutes is tested:

* **volume**: the exact upper tail of a negative binomial (Poisson-gamma)
  ``P(X_W >= x | mu_W, alpha_W)``. The expected rate per minute is an
  hour-of-day profile (ordinary means, not log-means: a log-mean sits below
  the mean and inflates small-count ratios) times a weekday factor times a
  level (a ratio of EW sums over a few hours: a wandering or shifted level is
  followed, a 10-30 minute ramp is not). The dispersion ``alpha_W`` is learnt
  per width from the windows' own squared residuals.
* **negative**: the exact upper tail of a beta-binomial
  ``P(K_W >= k | N_W, p0, rho)`` of the window's negatives against the key's
  learnt share ``p0`` (passed in: the negative-burst detector's baseline), with
  a learnt intra-class correlation ``rho`` (mentions of one hour share a mood).

The multiple testing is paid for: the smallest p-value of the windows is
multiplied by their number (Bonferroni). The test runs on every mention (a
cheap normal-approximation bound skips the exact tail almost always), so a
surge alerts as soon as its count is significant, not at bucket close. The
alarm level, a surprise ``-log10 p``, comes from the sensitivity setting
(:data:`SENSITIVITY`), calibrated by simulation to a false-incident budget per
brand-week (``tests/bench/bench_detect.py --tuning``).

Warm-up fails quiet: while the profile is young (``warmup_buckets``) the
dispersion is taken as at least ``WARM_ALPHA`` and a volume alarm needs an
absolute excess of ``warm_excess`` mentions in the window, never a ratio on a
fraction of one expected mention.

The state is plain attributes (floats, ints and lists of them).

Examples
--------
>>> w = WindowCounts()
>>> t = 1_772_409_600.0
>>> for i in range(3 * 288):  # three days of 10 mentions per 5 minutes
...     for j in range(10):
...         w.add(t + 300.0 * i + 30.0 * j, False)
...     w.learn_bucket(t + 300.0 * i, 10.0, 1.0, 0.1, False)
>>> now = t + 300.0 * 864
>>> for j in range(60):  # 60 mentions in 3 minutes
...     w.add(now + 3.0 * j, j % 2 == 0)
>>> v = w.volume(now + 180.0)
>>> v.surprise > w.vol_surprise, v.width
(True, 5)
>>> w.negative(now + 180.0, 0.1).surprise > w.neg_surprise
True
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from detectors.stats import log_sf_betabinom, log_sf_negbin, surprise

WIDTHS = (5, 10, 15, 30, 60)  # minutes
RING = 75  # minutes kept: the widest window plus lateness
SLOT = 60.0
WARM_ALPHA = 0.25
LOG10_WIDTHS = math.log10(len(WIDTHS))
Z_SKIP = 2.5  # below this many normal-approximation sds, the exact tail is not computed

# sensitivity -> (volume surprise, negative surprise, drift CUSUM threshold); calibrated
# on the tuning seeds of tests/bench/bench_detect.py to a false-incident budget per
# brand-week of about 0.1 (fewer), 0.3 (balanced), 1 (more), all kinds together.
SENSITIVITY: dict[str, tuple[float, float, float]] = {
    "fewer": (7.0, 7.0, 12.0),
    "balanced": (5.5, 5.5, 10.0),
    "more": (4.5, 4.5, 8.0),
}


class WindowTest(NamedTuple):
    """One window test: the surprise (Bonferroni over the widths) and its best window."""

    surprise: float
    width: int  # minutes
    observed: float
    expected: float
    total: float = 0.0  # negative test: all mentions of the window
    share: float = 0.0  # negative test: the window's negative share


NO_TEST = WindowTest(0.0, 0, 0.0, 0.0)


class WindowCounts:
    """Per-minute counts of one key and the multi-window count tests (module docstring)."""

    U_MAX = 1.5  # a window's squared residual teaches the dispersion at most this much
    HOT_WEIGHT = 0.0  # ... and during an alarm, with this weight
    PRIOR_BUCKETS = 6.0  # a new hour's profile starts from the known hours' mean, this heavy

    def __init__(
        self,
        bucket_seconds: int = 300,
        *,
        sensitivity: str = "balanced",
        tz: str = "UTC",
        holidays: frozenset[str] = frozenset(),
        level_halflife_seconds: float = 3 * 3600.0,
        profile_halflife_days: float = 7.0,
        dispersion_halflife_days: float = 3.0,
        warmup_seconds: float = 86400.0,
        warm_excess: float = 10.0,
        min_negative: int = 3,
    ) -> None:
        if sensitivity not in SENSITIVITY:
            raise ValueError(f"sensitivity must be one of {sorted(SENSITIVITY)}")
        if bucket_seconds <= 0 or bucket_seconds % 60:
            raise ValueError("bucket_seconds must be a positive multiple of 60")
        self.bucket_seconds = bucket_seconds
        self.vol_surprise, self.neg_surprise, self.drift_threshold = SENSITIVITY[sensitivity]
        self.tz = tz
        self.holidays = sorted(holidays)
        per_hour = 3600.0 / bucket_seconds
        self.level_rate = 1.0 - 0.5 ** (bucket_seconds / level_halflife_seconds)
        self.profile_rate = 1.0 - 0.5 ** (1.0 / (profile_halflife_days * per_hour))
        self.disp_rate = 1.0 - 0.5 ** (bucket_seconds / (dispersion_halflife_days * 86400.0))
        self.warmup = max(1, int(warmup_seconds / bucket_seconds))
        self.warm_excess = warm_excess
        self.min_negative = min_negative
        # Ring of per-minute counts; ``head`` is the latest minute counted (-1: none yet).
        self.tot = [0] * RING
        self.neg = [0] * RING
        self.head = -1
        # Expected rate per minute = hod[h] * dow[d] * level.
        self.hod = [0.0] * 24
        self.hod_n = [0] * 24
        self.dow = [1.0] * 8  # Monday..Sunday, holiday
        self.day = -1  # local day (ordinal) being summed for the weekday factor
        self.day_obs = 0.0
        self.day_exp = 0.0
        self.lvl_obs = 0.0  # EW sums behind the level
        self.lvl_exp = 0.0
        self.alpha = [WARM_ALPHA] * len(WIDTHS)
        self.rho = 0.02
        self.n = 0  # buckets learnt
        self.local_hour = -1  # cache: epoch hour -> (local hour, weekday index)
        self.local_val = (0, 0)
        self.wd_of_day = 0  # weekday index of ``day``
        # Per width, a count below which the volume test cannot fire in minute
        # ``skip_minute`` while ``skip_n`` buckets are learnt (a cache).
        self.skip = [0.0] * len(WIDTHS)
        self.skip_minute = -1
        self.skip_n = -1
        self.skip_head = 0.0
        # Window sums ending at minute ``head``, per width (kept as mentions arrive).
        self.wtot = [0] * len(WIDTHS)
        self.wneg = [0] * len(WIDTHS)

    # -- time ----------------------------------------------------------------------
    def _local(self, ts: float) -> tuple[int, int, int]:
        """(local hour, weekday index 0-7 with 7 = holiday, local day ordinal)."""
        eh = int(ts // 3600.0)
        if eh != self.local_hour:
            dt = datetime.fromtimestamp(eh * 3600.0, ZoneInfo(self.tz))
            wd = 7 if dt.date().isoformat() in self.holidays else dt.weekday()
            self.local_hour, self.local_val = eh, (dt.hour, wd * 1_000_000 + dt.toordinal())
        h, packed = self.local_val
        return h, packed // 1_000_000, packed % 1_000_000

    def rate(self, ts: float) -> float:
        """Expected mentions per minute at ``ts``."""
        h, wd, _ = self._local(ts)
        base = self.hod[h] if self.hod_n[h] else self._mean_hod()
        return base * self.dow[wd] * self.level

    def _mean_hod(self) -> float:
        seen = [v for v, c in zip(self.hod, self.hod_n, strict=True) if c]
        return sum(seen) / len(seen) if seen else 0.0

    @property
    def level(self) -> float:
        if self.lvl_exp <= 0.0:
            return 1.0
        return min(5.0, max(0.2, (self.lvl_obs + 1.0) / (self.lvl_exp + 1.0)))

    @property
    def warming(self) -> bool:
        return self.n < self.warmup

    # -- counting ------------------------------------------------------------------
    def add(self, ts: float, negative: bool) -> None:
        """Count one mention at event time ``ts`` (older than the ring: ignored)."""
        self.add_count(ts, 1, 1 if negative else 0)

    def add_count(self, ts: float, total: int, negative: int = 0) -> None:
        """Count ``total`` mentions (``negative`` of them negative) at event time ``ts``."""
        m = int(ts // SLOT)
        head = self.head
        if m > head:
            self._move(m)
        elif m < head:
            if m <= head - RING:
                return
            # Late mentions: the windows that hold their minute grow.
            wt, wn = self.wtot, self.wneg
            for j, w in enumerate(WIDTHS):
                if m > head - w:
                    wt[j] += total
                    wn[j] += negative
            self.skip_minute = -1
        i = m % RING
        self.tot[i] += total
        self.neg[i] += negative

    def _move(self, m: int) -> None:
        """Make minute ``m`` (later than ``head``) the newest: zero the skipped minutes.

        ``wtot`` / ``wneg`` hold, per width, the window's minutes before ``head``
        (the window's sum is that plus the head minute's count).
        """
        head, tot, neg = self.head, self.tot, self.neg
        if head < 0 or m - head >= RING:
            self.tot = [0] * RING
            self.neg = [0] * RING
            self.wtot = [0] * len(WIDTHS)
            self.wneg = [0] * len(WIDTHS)
            self.head = m
            return
        wt, wn = self.wtot, self.wneg
        ht, hn = tot[head % RING], neg[head % RING]
        for j, w in enumerate(WIDTHS):
            if m - head >= w:
                wt[j] = wn[j] = 0
                continue
            t, k = wt[j] + ht, wn[j] + hn
            for q in range(head - w + 1, m - w + 1):  # minutes leaving the window
                t -= tot[q % RING]
                k -= neg[q % RING]
            wt[j], wn[j] = t, k
        for q in range(head + 1, m + 1):
            tot[q % RING] = 0
            neg[q % RING] = 0
        self.head = m

    def _sums(self, end_minute: int, w: int) -> tuple[int, int]:
        """(total, negative) of the ``w`` minutes up to and including ``end_minute``."""
        lo = max(end_minute - w + 1, self.head - RING + 1)
        hi = min(end_minute, self.head)
        t = k = 0
        for j in range(lo, hi + 1):
            t += self.tot[j % RING]
            k += self.neg[j % RING]
        return t, k

    def _spans(self, ts: float) -> list[tuple[int, float, int, int]]:
        """Per width: (width, minutes covered, total, negative) of the window ending at ts."""
        m = int(ts // SLOT)
        frac = max(0.1, (ts - m * SLOT) / SLOT)
        if m == self.head:  # the usual case: the sums kept as mentions arrived
            ht, hn = self.tot[m % RING], self.neg[m % RING]
            return [
                (w, w - 1 + frac, t + ht, k + hn)
                for w, t, k in zip(WIDTHS, self.wtot, self.wneg, strict=True)
            ]
        out = []
        t = k = 0
        prev = 0
        for w in WIDTHS:  # widths ascend: extend the previous sums
            for j in range(m - w + 1, m - prev + 1):
                if self.head - RING < j <= self.head:
                    t += self.tot[j % RING]
                    k += self.neg[j % RING]
            prev = w
            out.append((w, w - 1 + frac, t, k))
        return out

    # -- tests ---------------------------------------------------------------------
    def volume(self, ts: float) -> WindowTest:
        """The volume test of the windows ending at ``ts``."""
        if self.n == 0:
            return NO_TEST
        m = int(ts // SLOT)
        if m == self.head:
            if self.skip_minute != m or self.skip_n != self.n:
                self._skip_bounds(m)
            if self.tot[m % RING] < self.skip_head:
                return NO_TEST
        r = self.rate(ts)
        warm = self.warming
        best = NO_TEST
        lp_best = 0.0
        for i, (w, span, x, _) in enumerate(self._spans(ts)):
            mu = max(r * span, 0.02 * span)
            a = max(self.alpha[i], WARM_ALPHA) if warm else self.alpha[i]
            excess = x - mu
            if excess < (self.warm_excess if warm else 2.0):
                continue
            if excess < Z_SKIP * math.sqrt(mu + a * mu * mu) + 1.0:
                continue
            lp = log_sf_negbin(float(x), mu, a)
            if lp < lp_best:
                lp_best = lp
                best = WindowTest(0.0, w, float(x), mu)
        if best is NO_TEST:
            return NO_TEST
        return best._replace(surprise=max(0.0, surprise(lp_best) - LOG10_WIDTHS))

    def _skip_bounds(self, m: int) -> None:
        """The counts below which no window of minute ``m`` can fire (any time in it).

        The skip rule of :meth:`volume` at the smallest span of the minute: a
        smaller expected count only raises ``x - mu`` relative to its bound.
        """
        r = self.rate(m * SLOT)
        warm = self.warming
        out = []
        for i, w in enumerate(WIDTHS):
            mu = max(r, 0.02) * (w - 0.9)
            a = max(self.alpha[i], WARM_ALPHA) if warm else self.alpha[i]
            need = self.warm_excess if warm else 2.0
            out.append(mu + max(need, Z_SKIP * math.sqrt(mu + a * mu * mu) + 1.0))
        self.skip, self.skip_minute, self.skip_n = out, m, self.n
        # The head minute's count below which every window stays below its bound.
        self.skip_head = min(lo - x for lo, x in zip(out, self.wtot, strict=True))

    def negative(self, ts: float, p0: float) -> WindowTest:
        """The negative-count test of the windows ending at ``ts`` against share ``p0``."""
        p0 = min(0.95, max(0.005, p0))
        rho = self.rho
        best = NO_TEST
        lp_best = 0.0
        for _, (w, _, n, k) in enumerate(self._spans(ts)):
            excess = k - n * p0
            if n == 0 or excess < self.min_negative:
                continue
            sd = math.sqrt(n * p0 * (1.0 - p0) * (1.0 + (n - 1) * rho))
            if excess < Z_SKIP * sd + 1.0:
                continue
            lp = log_sf_betabinom(float(k), float(n), p0, rho)
            if lp < lp_best:
                lp_best = lp
                best = WindowTest(0.0, w, float(k), n * p0, float(n), k / n)
        if best is NO_TEST:
            return NO_TEST
        return best._replace(surprise=max(0.0, surprise(lp_best) - LOG10_WIDTHS))

    def volume_score(self, t: WindowTest) -> float:
        s = t.surprise
        return s / (s + self.vol_surprise) if s > 0.0 else 0.0

    def negative_score(self, t: WindowTest) -> float:
        s = t.surprise
        return s / (s + self.neg_surprise) if s > 0.0 else 0.0

    # -- learning ------------------------------------------------------------------
    def learn_bucket(self, start: float, x: float, k: float, p0: float, hot: bool) -> None:
        """Learn one closed bucket: ``x`` mentions (``k`` negative) from ``start``.

        ``hot``: an alarm is on for the key; the profile then learns slowly and
        the dispersions not at all (a crisis must not teach that crises are normal).
        """
        bs = self.bucket_seconds
        minutes = bs / SLOT
        h, wd, day = self._local(start)
        r = self.rate(start) if self.n else 0.0
        mu = r * minutes
        a = self.alpha[0]
        if self.n and mu > 0.0:
            cap = mu + 3.0 * math.sqrt(mu + a * mu * mu) + 2.0
            xw = min(x, cap)
        else:
            xw = x
        slow = 0.1 if hot else 1.0
        # Dispersions of the windows ending at the bucket's end (before learning).
        dw_hot = self.HOT_WEIGHT if hot else 1.0
        if self.n >= 12 and dw_hot > 0.0 and r > 0.0:
            end_m = int((start + bs) // SLOT) - 1
            for i, w in enumerate(WIDTHS):
                if self.n * minutes < w:
                    break
                xs, _ = self._sums(end_m, w)
                muw = r * w
                u = ((xs - muw) ** 2 - muw) / (muw * muw)
                u = min(self.U_MAX, max(-0.2, u))
                rate = max(1.0 / (self.n + 24.0), self.disp_rate) * dw_hot
                self.alpha[i] = max(0.01, self.alpha[i] + rate * (u - self.alpha[i]))
        # Share overdispersion (intra-class correlation) from the bucket.
        if x >= 2 and not hot and self.n >= 12:
            q = min(0.95, max(0.005, p0))
            u = ((k - x * q) ** 2 / (x * q * (1.0 - q)) - 1.0) / (x - 1.0)
            u = min(0.3, max(-0.05, u))
            rate = max(1.0 / (self.n + 24.0), self.disp_rate)
            self.rho = min(0.3, max(0.002, self.rho + rate * (u - self.rho)))
        # Weekday factor: at a new local day, fold the last day's ratio in.
        if day != self.day:
            if self.day >= 0 and self.day_exp > 5.0:
                last = self.wd_of_day
                ratio = min(3.0, max(0.3, self.day_obs / self.day_exp))
                self.dow[last] += 0.3 * (ratio - self.dow[last])
            self.day, self.day_obs, self.day_exp = day, 0.0, 0.0
            self.wd_of_day = wd
        dw = self.dow[wd]
        lv = self.level
        if self.n:
            base = self.hod[h] if self.hod_n[h] else self._mean_hod()
            self.day_obs += xw
            self.day_exp += base * lv * minutes
            lr = self.level_rate * slow
            self.lvl_obs += lr * (xw - self.lvl_obs)
            self.lvl_exp += lr * (base * dw * minutes - self.lvl_exp)
        # The hour-of-day profile learns the count with weekday and level divided out.
        y = xw / (minutes * dw * lv)
        if not self.hod_n[h] and self.n:
            self.hod[h] = self._mean_hod()  # an hour not seen yet starts from the others
        c = self.hod_n[h] = self.hod_n[h] + 1
        # The first bucket of a key sets its hour; a new hour of a known key starts from
        # the others' mean worth PRIOR_BUCKETS buckets (one bucket is no hour's profile).
        prior = self.PRIOR_BUCKETS if self.n else 0.0
        pr = max(1.0 / (c + prior), self.profile_rate) * slow
        self.hod[h] += pr * (y - self.hod[h])
        self.n += 1

    def learn_empty(self, start: float, count: int) -> None:
        """Learn ``count`` empty buckets from ``start`` (one at a time: cheap arithmetic)."""
        bs = self.bucket_seconds
        for i in range(count):
            self.learn_bucket(start + i * bs, 0.0, 0.0, 0.15, False)

    def evidence(self, t: WindowTest, kind: str) -> dict[str, Any]:
        """The window test's evidence fields (JSON-serialisable)."""
        ev: dict[str, Any] = {
            "test": "window",
            "window_minutes": t.width,
            "window_observed": t.observed,
            "window_expected": round(t.expected, 3),
            "window_surprise": round(t.surprise, 3),
            "window_p_value": 10.0**-t.surprise,
            "direction": "up" if t.observed > t.expected else "none",
        }
        if kind == "negative_burst":
            ev["window_total"] = t.total
            ev["window_share"] = round(t.share, 3)
        return ev
