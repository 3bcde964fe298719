"""The arithmetic of a quiet run: what :meth:`VolumeSurgeDetector.learn_quiet` skips ahead by.

A key with no mentions for hours learns the same log-ratio bucket after bucket; instead of a
step per bucket, :meth:`~detectors.volume.VolumeSurgeDetector.learn_quiet` takes an hour at
once: :func:`window_means` gives each window's mean at the hour's first and last bucket, and
:func:`closed_form` the centre and spread of a window's running estimate after the hour.
"""

from __future__ import annotations

import math

MAD_TO_SD = math.sqrt(math.pi / 2.0)  # E|X| = sd * sqrt(2 / pi) for a normal X


def window_means(
    hist: list[float], nh: int, w: int, d0: float, u: float, j: int, cap: int
) -> tuple[float, float]:
    """Means of the width-``w`` window at an hour's first and last bucket.

    ``hist`` holds the ``nh`` latest log-ratios before the hour (at most the
    deque's ``cap``), ``d0`` is the hour's first log-ratio and ``u`` the mean of
    its ``j``. A young key's deque is short; :meth:`VolumeSurgeDetector._means`
    then takes the slice its start index gives (it wraps around while
    negative), and so does this.
    """
    if nh >= w - 1:
        m0 = (d0 + sum(hist[nh - w + 1 :])) / w if w > 1 else d0
    else:
        a = tail(nh, w)
        m0 = (d0 + sum(hist[nh - a :])) / (1 + a)
    if w <= j:
        return m0, u
    if nh >= w - j:
        return m0, (j * u + sum(hist[nh - w + j :])) / w
    a = tail(min(cap, nh + j - 1), w) - j + 1  # what the last bucket's window takes from hist
    return m0, ((j * u + sum(hist[nh - a :])) / (j + a) if a > 0 else u)


def tail(n: int, w: int) -> int:
    """How many of ``n`` past log-ratios a bucket's width-``w`` window mean takes in."""
    if n >= w - 1:
        return w - 1
    return w - 1 - n if 2 * n >= w - 1 else n


def closed_form(
    c: float, s: float, m: float, steps: int, p: float, rsum: float, clip: float, floor: float
) -> tuple[float, float]:
    """(centre, spread) of a spread ``(c, s)`` after learning the constant ``m`` ``steps`` times.

    ``p`` is the product of ``1 - r`` over the steps and ``rsum`` the sum of the
    rates (:func:`~detectors.seasonal.ewma_steps`). Inside the winsorising band
    the centre is an EWMA towards ``m`` and the spread's target ``|m - centre|``
    shrinks with the same products, so the spread is ``p * (spread + k * |m -
    centre| * rsum)``. Outside it (a busy key gone quiet) the input is the
    band's edge, which follows the centre: at the mean rate ``r`` each step moves
    the centre by ``clip * r * spread`` towards ``m`` and multiplies the spread
    by ``g = (1 - r) * (1 + r * k * clip)``, until ``m`` is inside the band.
    """
    if abs(m - c) > clip * s and steps:
        sign = 1.0 if m > c else -1.0
        r = rsum / steps
        g = (1.0 - r) * (1.0 + r * MAD_TO_SD * clip)
        if g <= 1.0 or r <= 0.0:
            m = c + sign * clip * s  # a band that does not widen: the edge, held
        else:
            kk = clip * r / (g - 1.0)  # c_i = c + sign * kk * s * (g**i - 1), s_i = s * g**i
            q = (sign * (m - c) / s + kk) / (kk + clip)  # inside once g**i >= q
            i = min(steps, max(1, math.ceil(math.log(q) / math.log(g))))
            gi = g**i
            c, s = c + sign * kk * s * (gi - 1.0), s * gi
            steps -= i
            p, rsum = (1.0 - r) ** steps, r * steps
            if not steps:
                return c, max(s, floor)
    spread = p * (s + MAD_TO_SD * abs(m - c) * rsum)
    return m + (c - m) * p, max(spread, floor)
