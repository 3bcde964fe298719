"""Small reusable statistics for count detectors: EW moments and count tail probabilities.

* :class:`EWMean`: an exponentially weighted mean whose early steps are plain
  averages (rate ``max(1 / (n + 1), rate)``), plain attributes only.
* :func:`log_sf_betabinom`: ``ln P(K >= k)`` for a beta-binomial (a binomial
  whose success probability varies between clusters, intra-class correlation
  ``rho``): exact up to ``n = EXACT_N``, and the design-effect binomial
  (``n / deff`` trials, ``deff = 1 + (n - 1) rho``) beyond.
* The Poisson / negative-binomial / binomial tails of :mod:`detectors.counts`.

Examples
--------
>>> import math
>>> round(math.exp(log_sf_betabinom(3, 10, 0.2, 1e-9)), 4)  # rho -> 0: the binomial
0.3222
>>> log_sf_betabinom(8, 10, 0.2, 0.1) > log_sf_betabinom(8, 10, 0.2, 1e-9)  # fatter tail
True
>>> m = EWMean(0.5, rate=0.1)
>>> for x in (1.0, 3.0):
...     m.update(x)
>>> m.mean, m.n
(2.0, 2)
"""

from __future__ import annotations

import math

from detectors.counts import (
    log_sf_binomial,
    log_sf_negbin,
    log_sf_poisson,
    surprise,
)

__all__ = [
    "EXACT_N",
    "EWMean",
    "log_sf_betabinom",
    "log_sf_binomial",
    "log_sf_negbin",
    "log_sf_poisson",
    "surprise",
]

EXACT_N = 400  # beta-binomial tails are summed exactly up to this many trials


class EWMean:
    """An exponentially weighted mean; the first ``1 / rate`` steps average plainly."""

    __slots__ = ("mean", "n", "rate")

    def __init__(self, prior: float, rate: float, n: int = 0) -> None:
        if not 0.0 < rate <= 1.0:
            raise ValueError("rate must be in (0, 1]")
        self.mean = float(prior)
        self.rate = float(rate)
        self.n = n

    def update(self, x: float, weight: float = 1.0) -> None:
        """Learn ``x`` (``weight`` < 1 learns it more slowly)."""
        self.n += 1
        r = max(1.0 / self.n, self.rate) * weight
        self.mean += r * (x - self.mean)

    def __getstate__(self) -> tuple[float, float, int]:
        return (self.mean, self.rate, self.n)

    def __setstate__(self, state: tuple[float, float, int]) -> None:
        self.mean, self.rate, self.n = state


def log_sf_betabinom(k: float, n: float, p: float, rho: float) -> float:
    """``ln P(K >= k)``, ``K`` beta-binomial with ``n`` trials, mean share ``p``, ICC ``rho``.

    Exact (a sum of the pmf by its recurrence) for ``n <= EXACT_N``; beyond, the
    binomial with the design effect ``1 + (n - 1) rho``, which has the same variance.
    """
    if k <= 0.0:
        return 0.0
    if k > n or p <= 0.0:
        return -math.inf
    if p >= 1.0:
        return 0.0
    if rho <= 1e-9:
        return log_sf_binomial(k, n, p)
    if n > EXACT_N or k != math.floor(k) or n != math.floor(n):
        deff = 1.0 + (n - 1.0) * rho
        return log_sf_binomial(k / deff, n / deff, p)
    ki, ni = int(k), int(n)
    c = (1.0 - rho) / rho
    a, b = p * c, (1.0 - p) * c
    # ln pmf(k) = ln C(n, k) + ln B(k + a, n - k + b) - ln B(a, b)
    lg = math.lgamma
    lpmf = (
        lg(ni + 1)
        - lg(ki + 1)
        - lg(ni - ki + 1)
        + lg(ki + a)
        + lg(ni - ki + b)
        - lg(ni + a + b)
        - lg(a)
        - lg(b)
        + lg(a + b)
    )
    total, term = 1.0, 1.0
    for j in range(ki, ni):
        term *= (ni - j) / (j + 1.0) * (j + a) / (ni - j - 1.0 + b)
        total += term
        if term < total * 1e-16:
            break
    return min(0.0, lpmf + math.log(total))
