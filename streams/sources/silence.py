"""'Mentions stopped arriving': a pure decision over hourly counts, time passed in.

A source that delivered at least ``min_records_per_day`` in the 24 hours before the
silence started, and has produced nothing for ``after_seconds``, is silent. The
watch says ``"silent"`` once, and ``"resumed"`` once when records arrive again.

>>> w = SilenceWatch(after_seconds=3600, min_records_per_day=10)
>>> w.observe(0.0, 20); w.check(1800.0) is None
True
>>> w.check(3601.0)
'silent'
>>> w.check(7200.0) is None
True
>>> w.observe(7300.0, 1); w.check(7300.0)
'resumed'
>>> quiet = SilenceWatch(after_seconds=3600, min_records_per_day=10)
>>> quiet.observe(0.0, 3); quiet.check(90_000.0) is None  # never delivered much: no warning
True
"""

from __future__ import annotations

from collections import deque


class SilenceWatch:
    def __init__(self, after_seconds: float, min_records_per_day: int) -> None:
        if after_seconds <= 0 or min_records_per_day < 1:
            raise ValueError("after_seconds > 0 and min_records_per_day >= 1")
        self.after = after_seconds
        self.min_day = min_records_per_day
        self._hours: deque[tuple[int, int]] = deque()  # (hour, count), last 25 hours
        self._last: float | None = None
        self._silent = False

    def observe(self, now: float, n: int) -> None:
        if n <= 0:
            return
        h = int(now // 3600)
        if self._hours and self._hours[-1][0] == h:
            self._hours[-1] = (h, self._hours[-1][1] + n)
        else:
            self._hours.append((h, n))
        while self._hours and self._hours[0][0] < h - 48:
            self._hours.popleft()
        self._last = now

    def check(self, now: float) -> str | None:
        if self._last is None:
            return None
        quiet = now - self._last >= self.after
        if self._silent and not quiet:
            self._silent = False
            return "resumed"
        if quiet and not self._silent:
            start = self._last  # the day before the silence began
            day = sum(c for h, c in self._hours if h * 3600 > start - 86400)
            if day >= self.min_day:
                self._silent = True
                return "silent"
        return None
