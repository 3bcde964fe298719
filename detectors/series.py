"""Score a NAB-style count series with the live worker's volume-surge detector.

Each row is one bucket (``timestamp`` as ``YYYY-MM-DD HH:MM:SS``, read as
UTC, and a count). The score of a row is the detector's score before it
learns the row, damped by the same refractory period the live worker uses,
so ``score >= MonitorConfig().volume_threshold`` is exactly "the live worker
would alert here". This is what ``spikewatch score-series`` writes.

Examples
--------
>>> rows = [(f"2015-03-01 {h:02d}:{m:02d}:00", 10.0) for h in range(12) for m in range(0, 60, 5)]
>>> rows.append(("2015-03-01 12:00:00", 400.0))
>>> scores = score_series(rows)
>>> len(scores) == len(rows), max(scores[:-1]) < 0.5 <= scores[-1]
(True, True)
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import UTC, datetime

from detectors.base import Observation, Refractory
from detectors.monitor import MonitorConfig


def parse_timestamp(text: str) -> float:
    """POSIX seconds of ``YYYY-MM-DD HH:MM:SS[.ffffff]`` (or ISO 8601), naive = UTC."""
    dt = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.timestamp()


def score_series(
    rows: Iterable[tuple[str, float]], config: MonitorConfig | None = None
) -> list[float]:
    """One anomaly score in [0, 1] per ``(timestamp, value)`` row, in order.

    A row whose value is missing or not a number scores 0 and is not learnt.
    """
    cfg = config or MonitorConfig()
    det = cfg.volume_detector()
    refractory = Refractory(cfg.volume_threshold, cfg.refractory_seconds)
    out: list[float] = []
    for stamp, value in rows:
        ts = parse_timestamp(stamp)
        try:
            x = float(value)
        except (TypeError, ValueError):
            x = math.nan
        obs = Observation("series", ts, x)
        score = refractory.apply(det.score_one(obs), ts)
        det.learn_one(obs)
        out.append(min(1.0, max(0.0, score)))
    return out
