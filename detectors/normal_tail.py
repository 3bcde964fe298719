"""The standard normal's upper tail in surprise units (``-log10 p``), and its inverse.

:func:`normal_surprise` is ``-log10 P(Z >= z)``, finite far out; :func:`z_for_surprise` inverts
it by a bisection that is exact to the last bit and cheap (it starts from a narrow band around
the root). :class:`~detectors.volume.VolumeSurgeDetector` turns its largest standardised excess
into a score with them.
"""

from __future__ import annotations

import math

from detectors.counts import LN10

_SQRT2 = math.sqrt(2.0)
_SQRT_2PI = math.sqrt(2.0 * math.pi)
_Z_BAND = 1e-12  # z_for_surprise: the root is known to this (relative) precision ...
_S_MARGIN = 1e-13  # ... and normal_surprise's rounding error is far below this (relative)


def normal_surprise(z: float) -> float:
    """``-log10 P(Z >= z)`` for a standard normal ``Z`` (0 for z <= 0), finite far out.

    >>> round(normal_surprise(3.0), 2)
    2.87
    >>> normal_surprise(40.0) > normal_surprise(30.0) > 100
    True
    """
    if not z > 0.0:
        return 0.0
    if z < 30.0:
        return -math.log10(0.5 * math.erfc(z / _SQRT2))
    # Mills ratio: ln P(Z >= z) ~ -z^2/2 - ln(z sqrt(2 pi))
    return (0.5 * z * z + math.log(z * math.sqrt(2.0 * math.pi))) / LN10


def z_for_surprise(s: float) -> float:
    """The ``z`` whose :func:`normal_surprise` is ``s`` (bisection; 0 for s <= 0).

    The bisection is that of :func:`z_for_surprise_bisect`, step for step and
    to the last bit, only cheaper: a narrow band around the root comes first
    (:func:`_root_band`), a step whose midpoint falls outside it needs no
    :func:`normal_surprise`, the leading run of those is skipped at once
    (:func:`_skip_to_band`), and the loop stops once the midpoint equals an
    end (no later step moves either).

    >>> round(z_for_surprise(normal_surprise(2.5)), 6)
    2.5
    """
    if not s > 0.0:
        return 0.0
    s = min(s, 1e6)
    a, b = _root_band(s)  # normal_surprise(z) < s up to a, >= s from b
    lo, hi = 0.0, 1.0
    while hi <= a or (hi < b and normal_surprise(hi) < s):
        lo, hi = hi, 2.0 * hi
    steps = 60
    if lo <= a and b <= hi:
        lo, hi, skipped = _skip_to_band(lo, hi, a, b)
        steps -= skipped
    for _ in range(steps):
        mid = 0.5 * (lo + hi)
        if mid in (lo, hi):
            break  # lo is below s and hi is not: every later step leaves them as they are
        if mid <= a or (mid < b and normal_surprise(mid) < s):
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


def z_for_surprise_bisect(s: float) -> float:
    """:func:`z_for_surprise` as first written: the reference its tests compare with."""
    if not s > 0.0:
        return 0.0
    s = min(s, 1e6)
    lo, hi = 0.0, 1.0
    while normal_surprise(hi) < s:
        lo, hi = hi, 2.0 * hi
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if normal_surprise(mid) < s else (lo, mid)
    return 0.5 * (lo + hi)


def _root_band(s: float) -> tuple[float, float]:
    """``(a, b)`` around the root of ``normal_surprise(z) = s``, for ``s > 0``.

    :func:`normal_surprise` rises; it is checked to be below ``s`` at ``a`` and
    above it at ``b`` by a margin far above its rounding error, so below
    ``a`` it is below ``s`` and above ``b`` above. The root comes from a
    rational approximation (Abramowitz and Stegun 26.2.23) and Newton's method
    on ``ln P(Z >= z)``. ``(-inf, inf)`` (evaluate everywhere) when that fails
    or near the asymptotic form at ``z = 30``; ``(-inf, 0)`` below
    ``normal_surprise(0+) = log10(2)``, where every ``z > 0`` is above ``s``.
    """
    if s < 0.3:
        return -math.inf, 0.0
    t = math.sqrt(2.0 * s * LN10)
    z = t - (2.515517 + t * (0.802853 + t * 0.010328)) / (
        1.0 + t * (1.432788 + t * (0.189269 + t * 0.001308))
    )
    target = -s * LN10  # ln P(Z >= z) at the root
    for _ in range(8):
        if not 0.0 < z < 29.0:
            return -math.inf, math.inf
        q = 0.5 * math.erfc(z / _SQRT2)
        step = (math.log(q) - target) * q * _SQRT_2PI * math.exp(0.5 * z * z)
        z += step
        if abs(step) <= 1e-14 * z:
            break
    if not 0.0 < z < 29.0:
        return -math.inf, math.inf
    eps, margin = _Z_BAND * max(1.0, z), _S_MARGIN * max(1.0, s)
    if normal_surprise(z - eps) < s - margin and normal_surprise(z + eps) > s + margin:
        return z - eps, z + eps
    return -math.inf, math.inf


def _skip_to_band(lo: float, hi: float, a: float, b: float) -> tuple[float, float, int]:
    """The bisection of ``[lo, hi]`` up to its first midpoint inside ``(a, b)``: (lo, hi, steps).

    With ``lo <= a < b <= hi`` and ``hi - lo`` a power of two, the midpoints
    of step ``i`` are the new points of the grid of spacing ``(hi - lo) / 2**i``
    from ``lo`` (exact in floating point this far), and until one falls inside
    the band each step keeps the grid cell that holds ``a``.
    """
    span = hi - lo

    def cell(level: int) -> tuple[float, float]:
        w = span / 2.0**level
        g = lo + math.floor((a - lo) / w) * w
        while g > a:
            g -= w
        while g + w <= a:
            g += w
        return g, w

    level = math.ceil(math.log2(span / (b - a))) + 1  # spacing <= half the band: a point inside
    if level > 50:
        return lo, hi, 0
    while level > 1:  # the first level with a point inside: the point above a is below b
        g, w = cell(level - 1)
        if g + w >= b:
            break
        level -= 1
    g, w = cell(level - 1)
    return g, g + w, level - 1
