"""Time-of-day baselines in log space, and the closed forms of learning a constant.

:class:`LogProfile` is the expected ``log(count + offset)`` per local hour of day (a running
geometric mean, with a short-half-life overall level for slots not seen yet).
:func:`halflife_rate` and :func:`ewma_steps` give an exponentially weighted mean's rate and the
effect of many equal steps at once (quiet runs, :mod:`detectors.quiet_run`). The caller clips
what it feeds to :meth:`LogProfile.update` (a surge must not teach the baseline); see
:mod:`detectors.volume`.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from datetime import UTC, datetime, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

HOURS = 24
DAYS = 7


def halflife_rate(halflife_buckets: float) -> float:
    """EWMA rate whose weights halve after ``halflife_buckets`` updates."""
    if halflife_buckets <= 0.0:
        return 1.0
    return float(1.0 - 0.5 ** (1.0 / halflife_buckets))


def ewma_steps(count: int, steps: int, rate: float, prior: int) -> tuple[float, float, float]:
    """``steps`` EWMA updates at rates ``max(rate, 1 / (count + prior + i))``, i = 1..steps.

    The EWMAs here learn with the larger of a constant rate and a running-mean
    rate (``count`` updates so far, ``prior`` of them imaginary). Towards a
    constant input ``y`` the value after ``q`` updates is ``y + (v - y) * P_q``
    with ``P_q`` the product of ``1 - r`` over the first ``q`` rates: a ratio
    while the running-mean rate is the larger (the product telescopes), a power
    after. Returns ``(P_steps, sum of P_q for q < steps, sum of the rates)``,
    exact up to rounding (harmonic sums from their asymptotic series).

    >>> p, s, r = ewma_steps(0, 4, 0.01, 0)  # a plain running mean: 1/1, 1/2, 1/3, 1/4
    >>> p, s, round(r, 6)
    (0.0, 1.0, 2.083333)
    >>> ewma_steps(10**6, 3, 0.5, 0)  # constant rate 1/2
    (0.125, 1.75, 1.5)
    """
    if steps <= 0:
        return 1.0, 0.0, 0.0
    b = count + prior  # the running-mean rate of update i is 1 / (b + i)
    j1 = math.ceil(1.0 / rate - b) - 1  # updates at the running-mean rate
    if j1 <= 0:
        gj = (1.0 - rate) ** steps
        return gj, (1.0 - gj) / rate, rate * steps
    j1 = min(steps, j1)
    if b == 0:  # the first update replaces the value
        p, s, r = 0.0, 1.0, _h(j1)
    else:
        hb = _h(b)
        p = b / (b + j1)
        s = b * (_h(b + j1 - 1) - _h(b - 1))
        r = _h(b + j1) - hb
    j2 = steps - j1
    if j2:
        gj = (1.0 - rate) ** j2
        s += p * (1.0 - gj) / rate
        p *= gj
        r += rate * j2
    return p, s, r


_H = list(itertools.accumulate((1.0 / m for m in range(1, 64)), initial=0.0))  # H_0 .. H_63
_EULER = 0.5772156649015329


def _h(n: int) -> float:
    """The harmonic number ``1 + 1/2 + ... + 1/n`` (a table, then the asymptotic series)."""
    if n < 64:
        return _H[n]
    x = 1.0 / n
    return math.log(n) + _EULER + x * (0.5 - x * (1.0 / 12.0 - x * x / 120.0))


class LogProfile:
    """Expected ``log(count + offset)`` per local hour of day, learnt robustly.

    Working in log space makes the profile a running geometric mean (close to
    a median for skewed counts), so one big spike moves it little; the
    ``offset`` keeps sparse nights of 0-2 mentions from looking like huge
    relative swings. A slot not seen yet uses the key's overall level, which
    follows the data with a short half-life (cold start). The caller clips
    what it feeds to :meth:`update`.

    Examples
    --------
    >>> p = LogProfile(bucket_seconds=300)
    >>> for i in range(288 * 3):
    ...     hour = (i // 12) % 24
    ...     p.update(300.0 * i, math.log(2.0 + (100.0 if 8 <= hour < 20 else 10.0)))
    >>> p.expected_count(3 * 86400 + 12 * 3600) > 3 * p.expected_count(3 * 86400 + 2 * 3600)
    True
    """

    __slots__ = (
        "_cache",
        "_tz",
        "holidays",
        "level",
        "n",
        "offset",
        "rate_level",
        "rate_slot",
        "slot",
        "slot_n",
        "tz",
    )

    SLOT_PRIOR = 3  # a slot's first visits weigh against the overall level

    def __init__(
        self,
        bucket_seconds: int = 300,
        *,
        offset: float = 2.0,
        level_halflife_seconds: float = 3600.0,
        profile_halflife_days: float = 7.0,
        tz: str = "UTC",
        holidays: frozenset[str] = frozenset(),
    ) -> None:
        if bucket_seconds <= 0:
            raise ValueError("bucket_seconds must be > 0")
        if offset <= 0.0:
            raise ValueError("offset must be > 0")
        if level_halflife_seconds <= 0.0 or profile_halflife_days <= 0.0:
            raise ValueError("half-lives must be > 0")
        try:
            self._tz: tzinfo = UTC if tz == "UTC" else ZoneInfo(tz)
        except Exception as exc:  # ZoneInfoNotFoundError, ValueError on odd names
            raise ValueError(f"unknown time zone {tz!r}") from exc
        self.tz = tz
        self.holidays = frozenset(holidays)
        self.offset = offset
        self.rate_level = halflife_rate(level_halflife_seconds / bucket_seconds)
        self.rate_slot = halflife_rate(profile_halflife_days * 3600.0 / bucket_seconds)
        self.level = 0.0
        self.n = 0
        self.slot = [0.0] * HOURS
        self.slot_n = [0] * HOURS
        self._cache: tuple[int, int] = (-1, 0)

    def hour(self, ts: float) -> int:
        """Local hour of day at ``ts`` (holidays do not change the hour)."""
        epoch_hour = math.floor(ts / 3600.0)
        if self._tz is UTC:
            return epoch_hour % HOURS
        if epoch_hour != self._cache[0]:
            self._cache = (epoch_hour, datetime.fromtimestamp(epoch_hour * 3600.0, self._tz).hour)
        return self._cache[1]

    def expected_log(self, ts: float) -> float:
        """Expected ``log(count + offset)`` of the bucket at ``ts`` (0 before any data)."""
        h = self.hour(ts)
        return self.slot[h] if self.slot_n[h] else self.level

    def expected_count(self, ts: float) -> float:
        """The same as a count (a geometric mean, below the arithmetic one)."""
        return self.count_of(self.expected_log(ts))

    def count_of(self, e: float) -> float:
        """:meth:`expected_count` given its :meth:`expected_log` ``e``."""
        return max(0.0, math.exp(e) - self.offset) if self.n else 0.0

    def hours(self, ts0: float, ts1: float) -> Callable[[int], int]:
        """Local hour of each epoch hour (``floor(ts / 3600)``) from ``ts0`` to ``ts1``.

        Arithmetic when the UTC offset is the same at both ends (a span of at
        most a week holds at most one daylight-saving change), else :meth:`hour`.
        """
        if self.tz == "UTC":
            return lambda eh: eh % HOURS
        a, b = (datetime.fromtimestamp(t, self._tz).utcoffset() for t in (ts0, ts1))
        if a != b or a is None:
            return lambda eh: self.hour(eh * 3600.0)
        off = a.total_seconds()
        return lambda eh: int((eh * 3600.0 + off) // 3600.0) % HOURS

    def learn_constant(self, h: int, steps: int, y: float) -> tuple[float, float, float, int]:
        """:meth:`update` with the same ``y`` ``steps`` times in local hour ``h``, in closed form.

        Returns ``(first, mean, base, count)``: :meth:`expected_log` before the
        first update and its mean over the ``steps`` updates (what those
        buckets were scored against), and what :meth:`constant_values` needs to
        list each. Exact up to rounding (see :func:`ewma_steps`).
        """
        n, level, c = self.n, self.level, self.slot_n[h]
        if c:
            first = base = self.slot[h]
        else:  # the slot starts from the level the first update leaves
            first, base = level, level + max(self.rate_level, 1.0 / (n + 1)) * (y - level)
        rs, b = self.rate_slot, c + self.SLOT_PRIOR
        if b * rs >= 1.0:  # the constant rate: a power
            p = (1.0 - rs) ** steps
            s = (1.0 - p) / rs
        elif (b + steps) * rs < 1.0:  # the running-mean rate: a ratio
            p = b / (b + steps)
            s = b * (_h(b + steps - 1) - _h(b - 1))
        else:
            p, s, _ = ewma_steps(c, steps, rs, self.SLOT_PRIOR)
        total = first + (steps - 1) * y + (base - y) * (s - 1.0)
        rl = self.rate_level
        decay = (1.0 - rl) ** steps if n * rl >= 1.0 else ewma_steps(n, steps, rl, 0)[0]
        self.level = y + (level - y) * decay
        self.n = n + steps
        self.slot[h] = y + (base - y) * p
        self.slot_n[h] = c + steps
        return first, total / steps, base, c

    def constant_values(
        self, first: float, base: float, count: int, steps: int, y: float
    ) -> list[float]:
        """Each :meth:`expected_log` of a :meth:`learn_constant` call, in order."""
        b, r, a = count + self.SLOT_PRIOR, self.rate_slot, base - y
        if b + steps < 1.0 / r:  # running-mean rates all along: P_q = b / (b + q)
            return [first, *(y + a * b / (b + q) for q in range(1, steps))]
        if b * r >= 1.0:  # the constant rate all along
            g = 1.0 - r
            return [first, *(y + a * g**q for q in range(1, steps))]
        out, p = [first], 1.0
        for i in range(1, steps):
            p *= 1.0 - max(r, 1.0 / (b + i))
            out.append(y + a * p)
        return out

    def update(self, ts: float, y: float) -> None:
        """Learn one ``log(count + offset)`` (clipped by the caller)."""
        h = self.hour(ts)
        self.n += 1
        self.level += max(self.rate_level, 1.0 / self.n) * (y - self.level)
        if self.slot_n[h] == 0:
            self.slot[h] = self.level
        self.slot_n[h] += 1
        rate = max(self.rate_slot, 1.0 / (self.slot_n[h] + self.SLOT_PRIOR))
        self.slot[h] += rate * (y - self.slot[h])

    def __getstate__(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__slots__ if k not in ("_cache", "_tz")}

    def __setstate__(self, state: dict[str, Any]) -> None:
        for k, v in state.items():
            setattr(self, k, v)
        self._tz = UTC if self.tz == "UTC" else ZoneInfo(self.tz)
        self._cache = (-1, 0)
