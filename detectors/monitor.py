"""One key's detectors behind one object: what the live worker and the backtest call.

:class:`KeyMonitor` turns a stream of enriched mentions of one key (a brand,
or ``"brand|channel"``) into :class:`~detectors.signals.Signal` objects:

* Mentions are counted into buckets of ``bucket_seconds`` of event time.
  Brand's own posts (``author_is_brand``) are not counted. A bucket stays
  open until event time (the largest ``ts`` seen) passes its end by
  ``lateness_seconds``; a mention for a bucket that is already closed is
  counted into the oldest open bucket (counted ``late``); one older than
  ``max_late_seconds`` is dropped (counted ``dropped``).
* When a bucket that holds mentions closes, it emits one ``volume_surge``
  and one ``negative_burst`` signal, active or not. Empty buckets in a gap
  close too (a quiet night teaches the baseline); a gap longer than
  ``max_gap_buckets`` is skipped without learning.
* Empty buckets emit their two signals only where someone reads them: the
  last bucket due (the incident lifecycle's event time and the dashboards
  move on; the lifecycle resolves and downgrades on the latest inactive
  signal), buckets within ``quiet_run_exact_buckets`` (three hours) of the
  latest active signal (an open incident still resolves on time: the
  lifecycle's quiet period is 30 minutes), and any bucket with an active
  signal. Elsewhere an empty bucket is learnt exactly as it would be with its
  signals, and its two inactive ones are not built.
* Quiet runs: when at least ``quiet_run_min_buckets`` (an hour) of empty
  buckets fall due at once, the detectors learn them in closed form, hour by
  hour, except the last bucket due, buckets near an active signal, and any
  hour that could be active: through a drift alarm (the CUSUM does not move
  in silence), or where a window's mean comes within ``QUIET_Z_MARGIN``
  (:mod:`detectors.monitor_quiet`) of
  the alert level (its windows still hold a rise). Those are closed one at a
  time, with the rule above.

  The profile's closed form is exact up to rounding and the deque of recent
  log-ratios ends as one bucket at a time leaves it; the window spreads'
  (per hour, one input) is an approximation whose error does not grow with
  the run (about 1 % of a spread, see ``VolumeSurgeDetector.learn_quiet``).
  A run of silence then costs microseconds per hour, not a close per bucket.
  With ``quiet_run_min_buckets=None`` every bucket is closed one at a time,
  with its two signals, as before both rules.
* Decisions (issue 15): the count tests of :mod:`detectors.window` decide.
  Volume: the exact negative-binomial tail of the last 5/10/15/30/60 minutes
  against an hour-of-day profile x weekday x level with a learnt dispersion;
  negative: the beta-binomial tail of the windows' negatives against the
  key's learnt share; the smallest p-value pays for the five windows. The
  log-ratio :class:`~detectors.volume.VolumeSurgeDetector` still learns and
  explains (the bucket's expected count and ratio in the evidence; it alone
  scores ``spikewatch score-series``), and the negative detector's CUSUM
  catches slow burns at bucket close. One ``sensitivity`` setting
  (``fewer`` / ``balanced`` / ``more``, a false-incident budget per
  brand-week) sets the alarm levels; a window test's score is
  ``s / (s + level)`` (0.5 at the level, the live thresholds).
* ``active`` means "this bucket is anomalous": the score reached the kind's
  threshold. Every bucket of a long storm is active, so the incident it
  opened stays open; de-duplicating alerts is the incident lifecycle's job
  (one incident per brand and kind), not the monitor's.
* Early alerting: every mention runs the window tests (a normal bound skips
  the exact tail almost always; the negative test runs on negative mentions
  only, since more mentions at the same negative count only lower it); the
  first that reaches the threshold emits an active signal at once
  (``evidence["partial"] is True``), at most once per bucket and kind.
* Warm-up: during the key's first ``volume_warmup_seconds`` (two days) the
  count tests take a large dispersion and a volume alarm needs an absolute
  excess of mentions in its window, never a ratio on a fraction of one
  expected mention.
* Severity (from the evidence): :func:`detectors.signal_severity.severity`.

Examples
--------
>>> from datetime import datetime, timedelta, timezone
>>> from detectors.mention import Enrichment, EnrichedMention, Mention
>>> t0 = datetime(2026, 3, 2, tzinfo=timezone.utc)
>>> def em(i, sec, neg=False):
...     m = Mention(f"x:{i}", "x", "nordbank", t0 + timedelta(seconds=sec), "Ei toimi")
...     e = Enrichment("fi", "negative" if neg else "neutral", -0.8 if neg else 0.0,
...                    terms=("ei toimi",) if neg else ("laina",))
...     return EnrichedMention(m, e)
>>> mon = KeyMonitor("nordbank")
>>> sigs = [s for i in range(1200) for s in mon.observe(em(i, i * 150))]  # 2 per bucket
>>> sorted({s.kind for s in sigs}), any(s.active for s in sigs)
(['negative_burst', 'volume_surge'], False)
>>> late = [s for i in range(300) for s in mon.observe(em(2000 + i, 180000 + i, neg=True))]
>>> active = [s for s in late if s.active]
>>> sorted({s.kind for s in active}), active[0].evidence["top_terms"][0]["term"]
(['negative_burst', 'volume_surge'], 'ei toimi')
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from detectors.base import Observation
from detectors.mention import EnrichedMention
from detectors.monitor_quiet import QuietRuns
from detectors.negative import NegativeBurstDetector
from detectors.signal_severity import severity
from detectors.signals import Signal
from detectors.terms import EmergingTerms
from detectors.volume import VolumeSurgeDetector
from detectors.window import NO_TEST, SENSITIVITY, WindowCounts, WindowTest

MAX_SAMPLES = 3
MAX_TOPICS = 20
SAMPLE_CHARS = 200


@dataclass(frozen=True)
class MonitorConfig:
    """Detector settings of one key; the defaults are the live defaults."""

    bucket_seconds: int = 300
    volume_threshold: float = 0.5
    negative_threshold: float = 0.5
    lateness_seconds: float = 60.0
    max_late_seconds: float = 3600.0
    max_gap_buckets: int = 2016  # one week of 5-minute buckets
    early_alert: bool = True
    # First two days: the count tests take a large dispersion and volume alerts need an
    # absolute excess of mentions (detectors.window), never a ratio on a tiny expected count.
    volume_warmup_seconds: float = 2 * 86400.0
    tz: str = "UTC"
    holidays: frozenset[str] = field(default_factory=frozenset)
    level_halflife_seconds: float = 3600.0
    volume_scales: tuple[int, ...] = (1, 12, 36)
    score_half: float = 6.0
    min_negative: int = 3
    # Negative bursts (see detectors.negative): clustering of mentions, the
    # shift of the negative odds the slow-burn test looks for, and its alarm level.
    negative_rho: float = 0.01
    negative_odds_ratio: float = 4.0
    negative_drift_threshold: float | None = None  # None: the sensitivity's
    terms_capacity: int = 100
    # Quiet runs (module docstring): this many empty buckets due at once are
    # learnt in closed form (None: every bucket one at a time, with its signals) ...
    quiet_run_min_buckets: int | None = 12
    # ... except within this many buckets of an active signal (the incident
    # lifecycle needs their inactive signals to resolve and downgrade on time).
    quiet_run_exact_buckets: int = 36
    # One sensitivity setting for the count tests (detectors.window): a false-incident
    # budget per brand-week, ``fewer`` / ``balanced`` / ``more``.
    sensitivity: str = "balanced"

    def __post_init__(self) -> None:
        if self.bucket_seconds <= 0:
            raise ValueError("bucket_seconds must be > 0")
        for name in ("volume_threshold", "negative_threshold"):
            v = getattr(self, name)
            if not 0.0 < v <= 1.0:
                raise ValueError(f"{name} must be in (0, 1]")
        if self.lateness_seconds < 0 or self.max_late_seconds < self.lateness_seconds:
            raise ValueError("need 0 <= lateness_seconds <= max_late_seconds")
        if self.max_gap_buckets < 1:
            raise ValueError("max_gap_buckets must be >= 1")
        if self.volume_warmup_seconds < 0:
            raise ValueError("volume_warmup_seconds must be >= 0")
        if self.quiet_run_min_buckets is not None and self.quiet_run_min_buckets < 2:
            raise ValueError("quiet_run_min_buckets must be >= 2 (or None)")
        if self.quiet_run_exact_buckets < 0:
            raise ValueError("quiet_run_exact_buckets must be >= 0")
        if self.sensitivity not in SENSITIVITY:
            raise ValueError(f"sensitivity must be one of {sorted(SENSITIVITY)}")
        self.volume_detector()  # the detectors check their own parameters
        self.negative_detector()
        self.window_detector()

    def volume_detector(self) -> VolumeSurgeDetector:
        """The volume-surge detector these settings describe."""
        return VolumeSurgeDetector(
            self.bucket_seconds,
            level_halflife_seconds=self.level_halflife_seconds,
            tz=self.tz,
            holidays=self.holidays,
            scales=self.volume_scales,
            score_half=self.score_half,
        )

    def negative_detector(self) -> NegativeBurstDetector:
        """The negative-burst detector these settings describe."""
        return NegativeBurstDetector(
            self.bucket_seconds,
            min_negative=self.min_negative,
            score_half=self.score_half,
            rho=self.negative_rho,
            odds_ratio=self.negative_odds_ratio,
            cusum_threshold=self.negative_drift_threshold or SENSITIVITY[self.sensitivity][2],
        )

    def window_detector(self) -> WindowCounts:
        """The multi-window count tests these settings describe (they decide alerts)."""
        return WindowCounts(
            self.bucket_seconds,
            sensitivity=self.sensitivity,
            tz=self.tz,
            holidays=self.holidays,
            warmup_seconds=self.volume_warmup_seconds,
        )


class _Bucket:
    """Counts and a little evidence of one open bucket."""

    __slots__ = (
        "early",
        "negative",
        "samples",
        "start",
        "topics",
        "total",
    )

    def __init__(self, start: float) -> None:
        self.start = start
        self.total = 0
        self.negative = 0
        self.topics: Counter[str] = Counter()
        self.samples: list[dict[str, Any]] = []
        self.early: set[str] = set()

    def add(self, em: EnrichedMention) -> None:
        self.total += 1
        neg = em.is_negative
        self.negative += int(neg)
        for t in em.enrichment.topics[:5]:
            if len(self.topics) < MAX_TOPICS or t in self.topics:
                self.topics[t] += 1
        if len(self.samples) < MAX_SAMPLES:
            self.samples.append(_sample(em, neg))
        elif neg:
            for i, s in enumerate(self.samples):
                if not s["negative"]:
                    self.samples[i] = _sample(em, neg)
                    break


def _sample(em: EnrichedMention, neg: bool) -> dict[str, Any]:
    m = em.mention
    return {"id": m.id, "text": m.text[:SAMPLE_CHARS], "url": m.url, "negative": neg}


class KeyMonitor(QuietRuns):
    """All detectors of one key; feed it mentions in (roughly) event-time order.

    Every closed bucket that holds mentions emits its two signals; an empty
    one only when it is the last due, near an active signal, or active (see
    the module docstring).
    """

    last_active = -math.inf  # end of the latest active signal (class default: older pickles)

    def __init__(self, key: str, config: MonitorConfig | None = None) -> None:
        self.key = key
        self.config = config or MonitorConfig()
        c = self.config
        self.volume = c.volume_detector()
        self.negative = c.negative_detector()
        self.window = c.window_detector()
        self.terms = EmergingTerms(c.terms_capacity)
        self.buckets: dict[float, _Bucket] = {}
        self.watermark = -math.inf
        self.next_start: float | None = None  # start of the oldest bucket not yet closed
        self.first_start: float | None = None  # the key's first bucket
        self.late = 0
        self.dropped = 0
        self.closed = 0  # buckets learnt: the detectors' state changes only then
        self.last_active = -math.inf

    # -- input ---------------------------------------------------------------
    def observe(self, em: EnrichedMention) -> list[Signal]:
        """Count one enriched mention; return the signals this caused."""
        ts = em.ts
        if not math.isfinite(ts):
            self.dropped += 1
            return []
        out = self.advance(ts)
        if em.mention.author_is_brand:
            return out
        bs = self.config.bucket_seconds
        start = float(math.floor(ts / bs) * bs)
        if self.next_start is None:
            self.next_start = self.first_start = start
        if start < self.next_start:
            if self.watermark - ts > self.config.max_late_seconds:
                self.dropped += 1
                return out
            self.late += 1
            start = self.next_start
        bucket = self.buckets.get(start)
        if bucket is None:
            bucket = self.buckets[start] = _Bucket(start)
        bucket.add(em)
        neg = em.is_negative
        self.window.add_count(ts, 1, 1 if neg else 0)
        self.terms.update(em.enrichment.terms, ts)
        if self.config.early_alert:
            out.extend(self._early(bucket, ts, neg))
        return out

    def advance(self, ts: float) -> list[Signal]:
        """Event time moved on to ``ts``: close the buckets that are due."""
        if not math.isfinite(ts) or ts <= self.watermark:
            return []
        self.watermark = ts
        if self.next_start is None:
            return []
        bs = self.config.bucket_seconds
        out: list[Signal] = []
        due = ts - self.config.lateness_seconds
        if due - self.next_start > (self.config.max_gap_buckets + 1) * bs:
            # A long silence: skip it rather than learn a week of zeros per call.
            keep = math.floor(due / bs) * bs - bs
            for s in [s for s in self.buckets if s < keep]:
                self._close(self.buckets.pop(s))
            self.next_start = keep
        min_run = self.config.quiet_run_min_buckets
        while self.next_start + bs <= due:
            b = self.buckets.pop(self.next_start, None)
            if b is None and min_run is not None:
                run = self._quiet_len(due)
                if run >= min_run:
                    out.extend(self._quiet_run(run, due))
                    continue
                for _ in range(run):  # a short lull: one at a time
                    out.extend(self._close_empty(due))
                    self.next_start += bs
                continue
            out.extend(self._close(b or _Bucket(self.next_start)))
            self.next_start += bs
        return out

    def _close_blank(self, start: float) -> list[Signal]:
        """Close an empty bucket at ``start`` with its two signals (:class:`QuietRuns`)."""
        return self._close(_Bucket(start))

    # -- decisions -----------------------------------------------------------
    def _observations(self, b: _Bucket) -> tuple[Observation, Observation]:
        vol = Observation(self.key, b.start, float(b.total))
        neg = Observation(self.key, b.start, float(b.negative), total=float(b.total))
        return vol, neg

    def _evidence(self, b: _Bucket, kind: str, ts: float) -> dict[str, Any]:
        vol, neg = self._observations(b)
        ev = self.volume.evidence(vol)
        ev["volume_p_value"] = ev["p_value"]
        nev = self.negative.evidence(neg)
        if kind == "negative_burst":
            ev["p_value"] = nev["p_value"]
        for k in ("negative_share", "baseline_share", "negative_count"):
            ev[k] = nev[k]
        if kind == "negative_burst":
            for k in ("window_negative", "window_total", "window_share", "cusum", "test"):
                ev[k] = nev[k]
        ev["top_terms"] = self.terms.top(ts, 5)
        ev["topics"] = dict(b.topics.most_common(10))
        ev["samples"] = [{k: s[k] for k in ("id", "text", "url")} for s in b.samples]
        ev["bucket_start"] = b.start
        ev["bucket_seconds"] = self.config.bucket_seconds
        return ev

    def _threshold(self, kind: str) -> float:
        c = self.config
        return c.volume_threshold if kind == "volume_surge" else c.negative_threshold

    def _early(self, b: _Bucket, ts: float, negative: bool) -> list[Signal]:
        """The window count tests at this mention (``detectors.window``), once per bucket."""
        out: list[Signal] = []
        win = self.window
        if "volume_surge" not in b.early:
            t = win.volume(ts)
            if t is not NO_TEST:
                out.extend(self._early_signal(b, "volume_surge", win.volume_score(t), ts, t))
        # More mentions at the same negative count only lower the negative
        # score: it can first pass the threshold on a negative mention. Early,
        # the window test; the slow-burn CUSUM is decided on closed buckets.
        if negative and "negative_burst" not in b.early:
            t = win.negative(ts, self.negative.baseline_share)
            if t.surprise > 0.0:
                out.extend(self._early_signal(b, "negative_burst", win.negative_score(t), ts, t))
        return out

    def _early_signal(
        self, b: _Bucket, kind: str, score: float, ts: float, t: WindowTest
    ) -> list[Signal]:
        if score < self._threshold(kind):
            return []
        b.early.add(kind)
        self.last_active = max(self.last_active, ts)
        ev = self._evidence(b, kind, ts)
        ev.update(self.window.evidence(t, kind))
        ev["partial"] = True
        return [Signal(self.key, kind, ts, round(score, 6), True, severity(kind, True, ev), ev)]

    def _close(self, b: _Bucket) -> list[Signal]:
        end = b.start + self.config.bucket_seconds
        vol, neg = self._observations(b)
        win = self.window
        at = end - 1e-6  # the windows that end with the bucket
        # Score, explain, then learn (winsorised inside: a surge does not teach
        # the baseline); each detector computes what the three share once. The
        # window count tests decide; the log-ratio detector explains (expected
        # count of the bucket) and the CUSUM catches slow burns.
        vt = win.volume(at)
        va = self.volume.assess(vol)
        out = [self._closed_signal(b, "volume_surge", win.volume_score(vt), va.evidence, end, vt)]
        self.volume.learn_assessed(va)
        p0 = self.negative.baseline_share
        nt = win.negative(at, p0)
        na = self.negative.assess(neg)
        cus = float(na.evidence["cusum"])
        drift = cus / (cus + self.negative.cusum_threshold)
        nscore = win.negative_score(nt)
        if drift > nscore:
            nt = NO_TEST
        out.append(
            self._closed_signal(b, "negative_burst", max(nscore, drift), na.evidence, end, nt)
        )
        self.negative.learn_assessed(na)
        hot = bool(b.early) or any(sig.active for sig in out)
        win.learn_bucket(b.start, float(b.total), float(b.negative), p0, hot)
        self.closed += 1
        return out

    def _closed_signal(
        self,
        b: _Bucket,
        kind: str,
        score: float,
        light: dict[str, Any],
        ts: float,
        t: WindowTest,
    ) -> Signal:
        """:meth:`_signal` of a closing bucket, given its detector's own evidence."""
        warming = self.window.warming
        active = score >= self._threshold(kind)
        if active:
            self.last_active = max(self.last_active, ts)
            ev = self._evidence(b, kind, ts)
        else:
            ev = light
            ev["bucket_start"] = b.start
        if t.width:
            ev.update(self.window.evidence(t, kind))
        elif kind == "negative_burst":
            ev["test"] = "drift" if ev.get("cusum") else ev.get("test", "window")
        ev["partial"] = False
        if warming:
            ev["warming_up"] = True
        elif active and kind == "volume_surge" and self._young(b):
            ev["warmup"] = True  # passed the warm-up gate; alerts/impact.py caps it at medium
        return Signal(self.key, kind, ts, round(score, 6), active, severity(kind, active, ev), ev)

    def _young(self, b: _Bucket) -> bool:
        """Is the bucket inside the key's warm-up period (the day shape not learnt yet)?"""
        start = self.first_start
        return start is not None and b.start < start + self.config.volume_warmup_seconds

    def stats(self) -> dict[str, int]:
        """Counters for metrics: mentions counted late and dropped."""
        return {"late": self.late, "dropped": self.dropped, "open_buckets": len(self.buckets)}
