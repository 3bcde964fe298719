"""The severity of a detector signal, from its evidence.

``none`` when not active; ``critical`` when
the ratio is >= 8 and at least 100 mentions (volume) or the negative share
is >= 0.6 with at least 50 negatives (negative); ``high`` for a ratio >= 4
or a share >= 3x baseline with at least 20 negatives; ``medium`` for a
ratio >= 2 or a share >= 2x baseline; otherwise ``low``. For a slow burn
(``evidence["test"] == "drift"``) the share and count are those of the
window the drift test has summed (``window_share``, ``window_negative``),
so the severity of a burn rises as it builds.

>>> severity("volume_surge", True, {"ratio": 9.0, "observed": 150})
'critical'
>>> severity("negative_burst", False, {})
'none'
"""

from __future__ import annotations

from typing import Any


def severity(kind: str, active: bool, ev: dict[str, Any]) -> str:
    """The severity rule of the module docstring."""
    if not active:
        return "none"
    if kind == "negative_burst":
        drift = ev.get("test") == "drift"
        share = float(ev.get("window_share" if drift else "negative_share") or 0.0)
        base = float(ev.get("baseline_share") or 0.0) or 1e-9
        neg = float(ev.get("window_negative" if drift else "negative_count") or 0.0)
        if share >= 0.6 and neg >= 50:
            return "critical"
        if share >= 3 * base and neg >= 20:
            return "high"
        return "medium" if share >= 2 * base else "low"
    ratio = float(ev.get("ratio") or 0.0)
    observed = float(ev.get("observed") or 0.0)
    wexp = float(ev.get("window_expected") or 0.0)
    if wexp > 0.0:  # a window test decided: its window speaks for the surge
        wobs = float(ev.get("window_observed") or 0.0)
        ratio, observed = max(ratio, wobs / wexp), max(observed, wobs)
    if ratio >= 8 and observed >= 100:
        return "critical"
    if ratio >= 4:
        return "high"
    return "medium" if ratio >= 2 else "low"
