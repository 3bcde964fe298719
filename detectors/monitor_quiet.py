"""Quiet runs of one key's monitor: empty buckets learnt in closed form, hour by hour.

:class:`QuietRuns` is the part of :class:`~detectors.monitor.KeyMonitor` that closes the empty
buckets a silence leaves (the rule is in :mod:`detectors.monitor`'s docstring): one at a time
where a signal can matter, and otherwise in closed form through the detectors' ``learn_quiet``.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from detectors.base import Observation

if TYPE_CHECKING:
    from detectors.monitor import MonitorConfig, _Bucket
    from detectors.negative import NegativeBurstDetector
    from detectors.signals import Signal
    from detectors.volume import VolumeSurgeDetector
    from detectors.window import WindowCounts

QUIET_Z_MARGIN = 0.25  # a quiet hour is learnt at once only this far (in z) below alerting


class QuietRuns:
    """Closing empty buckets; mixed into :class:`~detectors.monitor.KeyMonitor`."""

    key: str
    config: MonitorConfig
    volume: VolumeSurgeDetector
    negative: NegativeBurstDetector
    window: WindowCounts
    buckets: dict[float, _Bucket]
    next_start: float | None
    first_start: float | None
    last_active: float
    closed: int

    def _close_blank(self, start: float) -> list[Signal]:  # pragma: no cover - KeyMonitor's
        raise NotImplementedError

    def _quiet_len(self, due: float) -> int:
        """Empty buckets due in a row from ``next_start`` (at least 1: the caller found one)."""
        assert self.next_start is not None
        bs = self.config.bucket_seconds
        n = math.floor((due - self.next_start) / bs)
        later = [s for s in self.buckets if s >= self.next_start]
        if later:
            n = min(n, round((min(later) - self.next_start) / bs))
        return max(n, 1)

    def _quiet_run(self, run: int, due: float) -> list[Signal]:
        """Close ``run`` empty buckets: in closed form where no signal can be due.

        One at a time (:meth:`_close_empty`) within ``quiet_run_exact_buckets``
        of the latest active signal, when an empty bucket could score (its
        windows still hold a rise, or a drift alarm is on), and the run's last
        bucket, so the lifecycle's event time moves on.
        """
        assert self.next_start is not None
        c, bs = self.config, self.config.bucket_seconds
        out: list[Signal] = []
        z_limit = self.volume.z_at(c.volume_threshold) - QUIET_Z_MARGIN
        while run > 0:
            start = self.next_start
            fast = 0
            if run > 1 and start + bs > self.last_active + c.quiet_run_exact_buckets * bs:
                fast = self._learn_quiet(start, run - 1, z_limit)
            if fast:
                self.next_start += fast * bs
                self.closed += fast
                run -= fast
                continue
            out.extend(self._close_empty(due))
            self.next_start += bs
            run -= 1
        return out

    def _close_empty(self, due: float) -> list[Signal]:
        """Close the empty bucket at ``next_start``, emitting its signals only where they matter.

        They are emitted (:meth:`_close`) for the last bucket that is due (the
        lifecycle's event time and the dashboards move on), near the latest
        active signal (``quiet_run_exact_buckets``), and whenever one is
        active. Elsewhere the bucket is learnt exactly as :meth:`_close` learns
        it, without building two inactive signals nobody reads.
        """
        start = self.next_start
        assert start is not None
        assert self.first_start is not None
        c, bs = self.config, self.config.bucket_seconds
        if (
            start + 2 * bs > due
            or start + bs <= self.last_active + c.quiet_run_exact_buckets * bs
            or self._window_hot(start)
        ):
            return self._close_blank(start)
        neg_score, tests = self.negative.assess_empty()
        if neg_score >= c.negative_threshold:
            return self._close_blank(start)
        # While warming up an empty bucket's volume signal is never active.
        warming = start < self.first_start + c.volume_warmup_seconds
        if not self.volume.learn_empty(start, math.inf if warming else c.volume_threshold):
            return self._close_blank(start)
        self.negative.learn_empty(start, tests)
        self.window.learn_empty(start, 1)
        self.closed += 1
        return []

    def _window_hot(self, start: float) -> bool:
        """Could the windows that end with this empty bucket be active (mentions in them)?"""
        if not self._window_recent(start):
            return False
        win, at = self.window, start + self.config.bucket_seconds - 1e-6
        if win.volume_score(win.volume(at)) >= self.config.volume_threshold:
            return True
        nt = win.negative(at, self.negative.baseline_share)
        return win.negative_score(nt) >= self.config.negative_threshold

    def _window_recent(self, start: float) -> bool:
        """Mentions within the widest window before this bucket's end: its windows may score."""
        head = self.window.head
        return head >= 0 and (head + 1) * 60.0 > start + self.config.bucket_seconds - 3600.0

    def _learn_quiet(self, start: float, k: int, z_limit: float) -> int:
        """Learn up to ``k`` empty buckets at once if none can be active; return how many."""
        neg = self.negative
        if neg.cusum >= neg.cusum_threshold:
            return 0
        if (
            neg.score_one(Observation(self.key, start, 0.0, total=0.0))
            >= self.config.negative_threshold
        ):
            return 0  # a drift alarm goes on through silence: every bucket is active
        if self._window_recent(start):
            return 0
        n = self.volume.learn_quiet(start, k, z_limit)
        if n:
            self.negative.learn_quiet(n, start + (n - 1) * self.config.bucket_seconds)
            self.window.learn_empty(start, n)
        return n
