"""Score a NAB-style count series the way the live worker alerts on it.

Each row is one bucket (``timestamp`` as ``YYYY-MM-DD HH:MM:SS``, read as
UTC, and a count), fed in order to the live volume-surge detector
(``MonitorConfig().volume_detector()``): the row is scored before it is
learnt, as the worker scores a bucket when it closes.

The written score is an *alert* score, a faithful emulation of the live
worker: a bucket is active when the detector's score reaches
``MonitorConfig().volume_threshold``; the first active bucket opens an
incident, which stays open while buckets stay active and resolves after
``quiet_seconds`` (``alerts.incidents.LifecycleConfig().quiet_seconds``,
1800 s) without one (:class:`~detectors.base.AlertGate`). A row keeps the
detector's own calibrated score when it opens an incident or is below the
threshold; an active row of an incident already open (or just reopened)
scores 0, since the team gets no new alert there. So
``score >= volume_threshold`` is exactly "the live worker opens an incident
here". NAB counts every alerting row; the worker posts once per incident.
This is what ``spikewatch score-series`` writes.

Examples
--------
>>> rows = [(f"2015-03-01 {h:02d}:{m:02d}:00", 10.0) for h in range(12) for m in range(0, 60, 5)]
>>> rows += [("2015-03-01 12:00:00", 400.0), ("2015-03-01 12:05:00", 400.0)]
>>> scores = score_series(rows)
>>> len(scores) == len(rows), max(scores[:-2]) < 0.5 <= scores[-2], scores[-1]
(True, True, 0.0)
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import UTC, datetime

from detectors.base import AlertGate, Observation
from detectors.monitor import MonitorConfig

QUIET_SECONDS = 1800.0  # alerts.incidents.LifecycleConfig().quiet_seconds
REOPEN_SECONDS = 900.0  # alerts.incidents.LifecycleConfig().reopen_seconds


def parse_timestamp(text: str) -> float:
    """POSIX seconds of ``YYYY-MM-DD HH:MM:SS[.ffffff]`` (or ISO 8601), naive = UTC."""
    dt = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.timestamp()


def raw_scores(
    rows: Iterable[tuple[str, float]], config: MonitorConfig | None = None
) -> list[float]:
    """The live volume detector's own score per row, before alert gating.

    A row whose value is missing or not a number scores 0 and is not learnt.
    """
    cfg = config or MonitorConfig()
    det = cfg.volume_detector()
    out: list[float] = []
    for stamp, value in rows:
        try:
            x = float(value)
        except (TypeError, ValueError):
            x = math.nan
        obs = Observation("series", parse_timestamp(stamp), x)
        out.append(min(1.0, max(0.0, det.score_one(obs))))
        det.learn_one(obs)
    return out


def window_scores(
    rows: Iterable[tuple[str, float]], config: MonitorConfig | None = None
) -> list[float]:
    """The live worker's volume *decision* per row: the window count tests (ungated).

    Since issue 15 the live worker decides volume alerts by the window count
    tests of :mod:`detectors.window`; a row is one closed bucket, its count put
    in the bucket's last minute, so the windows of 5-60 minutes that end with
    it hold 1-12 buckets. ``spikewatch score-series`` keeps scoring the
    log-ratio detector (:func:`raw_scores`, the NAB-tuned figure); this is for
    ``tests/bench/bench_detect.py``, which prints both on NAB.
    """
    cfg = config or MonitorConfig()
    win = cfg.window_detector()
    bs = float(cfg.bucket_seconds)
    out: list[float] = []
    for stamp, value in rows:
        try:
            x = float(value)
        except (TypeError, ValueError):
            x = math.nan
        ts = parse_timestamp(stamp)
        if not math.isfinite(x) or x < 0.0 or not math.isfinite(ts):
            out.append(0.0)
            continue
        end = ts + bs
        win.add_count(end - 1.0, round(x))
        score = min(1.0, max(0.0, win.volume_score(win.volume(end - 1e-3))))
        out.append(score)
        win.learn_bucket(ts, x, 0.0, 0.15, score >= cfg.volume_threshold)
    return out


def score_series(
    rows: Iterable[tuple[str, float]],
    config: MonitorConfig | None = None,
    *,
    quiet_seconds: float = QUIET_SECONDS,
    reopen_seconds: float = REOPEN_SECONDS,
) -> list[float]:
    """One alert score in [0, 1] per ``(timestamp, value)`` row, in order (see module doc)."""
    cfg = config or MonitorConfig()
    rows = list(rows)
    gate = AlertGate(cfg.volume_threshold, quiet_seconds, reopen_seconds)
    return [
        gate.apply(parse_timestamp(stamp), score)
        for (stamp, _), score in zip(rows, raw_scores(rows, cfg), strict=True)
    ]
