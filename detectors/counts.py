"""Upper-tail probabilities for counts, in log space, standard library only.

Counts of mentions per bucket are small at night (0-2) and large by day
(thousands): a Gaussian ``mean + k sigma`` rule is wrong at both ends. These
functions give ``ln P(X >= x)`` for the Poisson, the negative binomial
(variance ``mu + alpha * mu**2``) and the binomial, accurate far in the tail
(``p`` of 1e-300 and below stays finite in log space).

Examples
--------
>>> import math
>>> round(math.exp(log_sf_poisson(1, 2.0)), 4)  # 1 - e**-2
0.8647
>>> log_sf_poisson(0, 5.0)
0.0
>>> log_sf_negbin(30, 5.0, 0.5) > log_sf_poisson(30, 5.0)  # overdispersion: fatter tail
True
>>> surprise(log_sf_poisson(40, 5.0)) > 15  # -log10 p
True
"""

from __future__ import annotations

import math

_EPS = 1e-15
_TINY = 1e-300
_MAX_ITER = 500
LN10 = math.log(10.0)


def _gamma_series(a: float, x: float) -> float:
    """ln P(a, x) (regularised lower incomplete gamma) by its series; x < a + 1."""
    ap = a
    term = 1.0 / a
    total = term
    for _ in range(_MAX_ITER):
        ap += 1.0
        term *= x / ap
        total += term
        if abs(term) < abs(total) * _EPS:
            break
    return math.log(total) - x + a * math.log(x) - math.lgamma(a)


def _gamma_cf(a: float, x: float) -> float:
    """ln Q(a, x) (regularised upper incomplete gamma) by continued fraction; x >= a + 1."""
    b = x + 1.0 - a
    c = 1.0 / _TINY
    d = 1.0 / b
    h = d
    for i in range(1, _MAX_ITER):
        an = -i * (i - a)
        b += 2.0
        d = an * d + b
        if abs(d) < _TINY:
            d = _TINY
        c = b + an / c
        if abs(c) < _TINY:
            c = _TINY
        d = 1.0 / d
        delta = d * c
        h *= delta
        if abs(delta - 1.0) < _EPS:
            break
    return math.log(h) - x + a * math.log(x) - math.lgamma(a)


def _log1mexp(lp: float) -> float:
    """ln(1 - e**lp) for lp <= 0, accurate at both ends."""
    if lp >= 0.0:
        return -math.inf
    if lp > -0.693:
        return math.log(-math.expm1(lp))
    return math.log1p(-math.exp(lp))


def log_sf_poisson(x: float, mu: float) -> float:
    """ln P(X >= x) for X ~ Poisson(mu); ``x`` may be fractional (continuous in x)."""
    if x <= 0.0:
        return 0.0
    if mu <= 0.0:
        return -math.inf
    # P(X >= x) = P(x, mu), the regularised lower incomplete gamma function.
    if mu < x + 1.0:
        return min(0.0, _gamma_series(x, mu))
    return _log1mexp(_gamma_cf(x, mu))


def _beta_cf(a: float, b: float, z: float) -> float:
    """Continued fraction of the incomplete beta function (Lentz)."""
    qab = a + b
    qap = a + 1.0
    qam = a - 1.0
    c = 1.0
    d = 1.0 - qab * z / qap
    if abs(d) < _TINY:
        d = _TINY
    d = 1.0 / d
    h = d
    for m in range(1, _MAX_ITER):
        m2 = 2 * m
        aa = m * (b - m) * z / ((qam + m2) * (a + m2))
        d = 1.0 + aa * d
        if abs(d) < _TINY:
            d = _TINY
        c = 1.0 + aa / c
        if abs(c) < _TINY:
            c = _TINY
        d = 1.0 / d
        h *= d * c
        aa = -(a + m) * (qab + m) * z / ((a + m2) * (qap + m2))
        d = 1.0 + aa * d
        if abs(d) < _TINY:
            d = _TINY
        c = 1.0 + aa / c
        if abs(c) < _TINY:
            c = _TINY
        d = 1.0 / d
        delta = d * c
        h *= delta
        if abs(delta - 1.0) < _EPS:
            break
    return h


def log_betainc(a: float, b: float, z: float) -> float:
    """ln I_z(a, b), the regularised incomplete beta function (a, b > 0, 0 <= z <= 1)."""
    if z <= 0.0:
        return -math.inf
    if z >= 1.0:
        return 0.0
    lbeta = math.lgamma(a) + math.lgamma(b) - math.lgamma(a + b)
    front = a * math.log(z) + b * math.log1p(-z) - lbeta
    if z < (a + 1.0) / (a + b + 2.0):
        return min(0.0, front + math.log(_beta_cf(a, b, z)) - math.log(a))
    upper = front + math.log(_beta_cf(b, a, 1.0 - z)) - math.log(b)
    return _log1mexp(min(0.0, upper))


def log_sf_negbin(x: float, mu: float, alpha: float) -> float:
    """ln P(X >= x) for a negative binomial of mean ``mu``, variance ``mu + alpha mu^2``.

    ``alpha <= 1e-9`` falls back to the Poisson.
    """
    if x <= 0.0:
        return 0.0
    if mu <= 0.0:
        return -math.inf
    if alpha <= 1e-9:
        return log_sf_poisson(x, mu)
    r = 1.0 / alpha
    # P(X >= x) = I_q(x, r) with q = mu / (r + mu).
    return log_betainc(x, r, mu / (r + mu))


def log_sf_binomial(k: float, n: float, p: float) -> float:
    """ln P(K >= k) for K ~ Binomial(n, p); fractional ``k`` and ``n`` are accepted."""
    if k <= 0.0:
        return 0.0
    if k > n or p <= 0.0:
        return -math.inf
    if p >= 1.0:
        return 0.0
    # P(K >= k) = I_p(k, n - k + 1).
    return log_betainc(k, n - k + 1.0, p)


def surprise(log_p: float) -> float:
    """``-log10 p`` from ``ln p``: 2 means p = 0.01, 6 means one in a million."""
    return max(0.0, -log_p / LN10)


def surprise_to_score(z: float, half: float) -> float:
    """Map a surprise in [0, inf) to a score in [0, 1): ``z / (z + half)``.

    Monotone and never saturating, so thresholds stay distinct; ``half`` is
    the surprise that scores 0.5.
    """
    if z <= 0.0 or math.isnan(z):
        return 0.0
    if math.isinf(z):
        return 1.0
    return z / (z + half)
