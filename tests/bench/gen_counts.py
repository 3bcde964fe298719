"""Count-level stream generators for ``bench_detect`` (two noise families, pre-labelled).

Each generator gives, per minute of event time, how many mentions a brand gets and
how many of them are negative (the labels the enrichment would give): the grid
drives the real :class:`~detectors.keystate.KeyState` with mentions built from
these counts, without texts. Two families that differ in noise model:

* ``pg``: Poisson-gamma per day: the day's level is gamma-distributed (CV
  ``od``), minutes are Poisson around ``level x hour-of-day shape x weekday``.
* ``nbw``: negative binomial per 5-minute bucket around a wandering level: an
  AR(1) log-level per bucket (stationary sd ``od``), a gamma multiplier per
  bucket (``alpha = od**2``), Poisson minutes inside the bucket.

Both have a weekly shape (quiet weekends), one holiday, a permanent level shift
that is not a crisis, and nuisances that are not crises: a bot flood (neutral
spam), a retweet storm (decaying, neutral/positive), a positive viral spike.

EVAL_SETTINGS below were written before any tuning (issue 15); the tuning seeds
(``TUNING_SEEDS``) and the evaluation seeds (``EVAL_SEEDS``) never overlap.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

MIN_PER_DAY = 1440
DAY = 86400.0
T0 = 1_772_409_600.0  # 2026-03-02 00:00 UTC, a Monday (local time = UTC in the bench)

TUNING_SEEDS = tuple(range(100, 110))
EVAL_SEEDS = tuple(range(9000, 9010))

# The evaluation grid, fixed before tuning (issue 15 "what to build" 1).
EVAL_SETTINGS: dict[str, tuple[float | str, ...]] = {
    "daily": (50.0, 300.0, 2000.0, 20000.0),
    "surge": (2.0, 3.5, 6.0, 15.0),
    "ramp_min": (0.0, 10.0, 30.0),
    "neg_share": (0.1, 0.5, 0.8),
    "replies": ("none", "care"),
    "od": (0.2, 0.4),
    "family": ("pg", "nbw"),
}
BASE_SHARE = {"pg": 0.12, "nbw": 0.22}


def hour_shape() -> np.ndarray:
    """Relative rate per minute of the day (mean 1): quiet nights, a midday peak."""
    t = np.arange(MIN_PER_DAY) / 60.0
    shape = (
        0.15 + np.exp(-0.5 * ((t - 13.0) / 3.5) ** 2) + 0.4 * np.exp(-0.5 * ((t - 20.0) / 2.0) ** 2)
    )
    return shape / shape.mean()


WEEKDAY = np.array([1.08, 1.1, 1.1, 1.08, 1.0, 0.8, 0.84])
WEEKDAY = WEEKDAY / WEEKDAY.mean()


@dataclass
class Stream:
    """Per-minute counts from ``T0``: total mentions, negatives, and the expected rate."""

    total: np.ndarray
    negative: np.ndarray
    rate: np.ndarray  # the generator's own expected count per minute (before nuisances)
    share: np.ndarray  # the baseline negative share per minute
    events: list[tuple[str, int, int]] = field(default_factory=list)  # (kind, start, end) min


def base_rate(
    family: str, daily: float, od: float, days: int, rng: np.random.Generator
) -> np.ndarray:
    """Expected mentions per minute (the noise model's latent rate)."""
    shape = np.tile(hour_shape(), days)
    day_idx = np.repeat(np.arange(days), MIN_PER_DAY)
    week = WEEKDAY[day_idx % 7]
    rate = daily / MIN_PER_DAY * shape * week
    if family == "pg":
        k = 1.0 / od**2
        level = rng.gamma(k, 1.0 / k, size=days)
        return rate * level[day_idx]
    # nbw: AR(1) log-level per 5-min bucket + a gamma multiplier per bucket.
    nb = days * MIN_PER_DAY // 5
    phi = 0.995
    eps = rng.normal(0.0, od * math.sqrt(1 - phi**2), size=nb)
    lv = np.empty(nb)
    x = rng.normal(0.0, od)
    for i in range(nb):
        x = phi * x + eps[i]
        lv[i] = x
    alpha = od**2
    mult = rng.gamma(1.0 / alpha, alpha, size=nb) * np.exp(lv - 0.5 * od**2)
    return rate * np.repeat(mult, 5)


def quiet_stream(
    family: str, daily: float, od: float, days: int, seed: int, *, nuisances: bool = True
) -> Stream:
    """``days`` days of ordinary traffic (holiday, level shift, nuisances in week 2+)."""
    rng = np.random.default_rng(seed)
    rate = base_rate(family, daily, od, days, rng)
    events: list[tuple[str, int, int]] = []
    n = days * MIN_PER_DAY
    p0 = BASE_SHARE[family]
    # Hourly wobble of the baseline share (concentration 60).
    hs = rng.beta(p0 * 60, (1 - p0) * 60, size=days * 24)
    share = np.repeat(hs, 60)
    if days >= 10:
        hol = 9 * MIN_PER_DAY  # Wednesday of week 2: a holiday
        rate[hol : hol + MIN_PER_DAY] *= 0.55
        events.append(("holiday", hol, hol + MIN_PER_DAY))
        shift_at = (10 * MIN_PER_DAY) + int(rng.integers(8 * 60, 18 * 60))
        factor = float(rng.choice([0.6, 1.7]))
        rate[shift_at:] *= factor
        events.append((f"level_shift_x{factor}", shift_at, n))
    extra = np.zeros(n)
    extra_share = np.zeros(n)
    if nuisances and days >= 14:
        day0 = 14 * MIN_PER_DAY
        # One of each per week from the third week on.
        for w in range((days - 14) // 7 + 1):
            base = day0 + w * 7 * MIN_PER_DAY
            if base + 7 * MIN_PER_DAY > n:
                break
            for kind in ("viral", "bot", "retweet"):
                d = int(rng.integers(0, 7))
                s = base + d * MIN_PER_DAY + int(rng.integers(9 * 60, 20 * 60))
                if kind == "viral":
                    f, ramp, dur, sh = (
                        float(rng.uniform(3, 6)),
                        10,
                        int(rng.integers(60, 120)),
                        0.03,
                    )
                    m = np.minimum(1.0, np.arange(dur) / ramp) * (f - 1)
                elif kind == "bot":
                    f, dur, sh = 8.0, int(rng.integers(10, 20)), 0.0
                    m = np.full(dur, f - 1)
                else:
                    f, dur, sh = 5.0, 40, 0.5 * p0
                    m = (f - 1) * np.exp(-np.arange(dur) / 12.0)
                e = min(n, s + dur)
                extra[s:e] += rate[s:e] * m[: e - s]
                extra_share[s:e] = sh
                events.append((kind, s, e))
    total = rng.poisson(rate)
    neg = rng.binomial(total, share)
    if extra.any():
        xt = rng.poisson(extra)
        total = total + xt
        neg = neg + rng.binomial(xt, extra_share)
    return Stream(total, neg, rate, share, events)


def inject_crisis(
    s: Stream,
    start: int,
    surge: float,
    ramp_min: float,
    neg_share: float,
    seed: int,
    *,
    plateau: int = 60,
    decay: int = 20,
) -> tuple[int, int]:
    """Add a crisis at minute ``start``: volume climbs linearly to ``surge`` x the expected
    rate over ``ramp_min`` minutes, the overall negative share to ``neg_share``; it holds
    ``plateau`` minutes and fades over ``decay``. Returns (start, end of plateau) in minutes.
    """
    rng = np.random.default_rng(seed)
    ramp = max(1, int(ramp_min))
    dur = ramp + plateau + decay
    t = np.arange(dur)
    up = np.minimum(1.0, (t + 1) / ramp)
    down = np.clip(1.0 - (t - ramp - plateau) / decay, 0.0, 1.0)
    frac = np.minimum(up, down)
    e = min(len(s.total), start + dur)
    frac = frac[: e - start]
    base = s.rate[start:e]
    p0 = s.share[start:e]
    mult = (surge - 1.0) * frac
    extra = base * mult
    # share of the extra mentions so that the overall share reaches neg_share at the top
    target = p0 + (neg_share - p0) * frac
    with np.errstate(divide="ignore", invalid="ignore"):
        xs = np.where(mult > 0, (target * (1 + mult) - p0) / np.maximum(mult, 1e-9), 0.0)
    xs = np.clip(xs, 0.0, 1.0)
    xt = rng.poisson(extra)
    s.total[start:e] += xt
    s.negative[start:e] += rng.binomial(xt, xs)
    if surge <= 1.0 + 1e-9:
        # no extra volume: shift the share of the ordinary mentions (slow-burn style)
        pass
    s.events.append(("crisis", start, start + ramp + plateau))
    return start, start + ramp + plateau


def inject_slow_burn(s: Stream, start: int, seed: int) -> tuple[int, int]:
    """1.4-1.9x volume, negative share 0.7-0.85, over 3-4 hours (the held-back streams' burns)."""
    rng = np.random.default_rng(seed)
    surge = float(rng.uniform(1.4, 1.9))
    share = float(rng.uniform(0.7, 0.85))
    hours = float(rng.uniform(3.0, 4.0))
    dur = int(hours * 60)
    e = min(len(s.total), start + dur)
    ramp = 30
    frac = np.minimum(1.0, (np.arange(e - start) + 1) / ramp)
    base = s.rate[start:e]
    p0 = s.share[start:e]
    mult = (surge - 1.0) * frac
    target = p0 + (share - p0) * frac
    # Re-draw the whole minute: ordinary mentions turn negative too.
    tot = s.total[start:e] + rng.poisson(base * mult)
    s.total[start:e] = tot
    s.negative[start:e] = rng.binomial(tot, np.clip(target, 0, 1))
    s.events.append(("slow_burn", start, e))
    return start, e
