"""One key's detectors behind one object: what the live worker and the backtest call.

:class:`KeyMonitor` turns a stream of enriched mentions of one key (a brand,
or ``"brand|channel"``) into :class:`~detectors.signals.Signal` objects:

* Mentions are counted into buckets of ``bucket_seconds`` of event time.
  Brand's own posts (``author_is_brand``) are not counted. A bucket stays
  open until event time (the largest ``ts`` seen) passes its end by
  ``lateness_seconds``; a mention for a bucket that is already closed is
  counted into the oldest open bucket (counted ``late``); one older than
  ``max_late_seconds`` is dropped (counted ``dropped``).
* When a bucket closes, it emits one ``volume_surge`` and one
  ``negative_burst`` signal, active or not. Empty buckets in a gap close too
  (a quiet night teaches the baseline); a gap longer than ``max_gap_buckets``
  is skipped without learning.
* Early alerting: inside the open bucket, as soon as the partial count is
  already significant against the expected count of the *whole* bucket, an
  active signal is emitted at once (``evidence["partial"] is True``), at most
  once per bucket and kind.
* Each kind has a :class:`~detectors.base.Refractory`: after it fires, its
  score is damped for ``refractory_seconds`` (one incident, not a flood).
* Severity (from the evidence): ``none`` when not active; ``critical`` when
  the ratio is >= 8 and at least 100 mentions (volume) or the negative share
  is >= 0.6 with at least 50 negatives (negative); ``high`` for a ratio >= 4
  or a share >= 3x baseline with at least 20 negatives; ``medium`` for a
  ratio >= 2 or a share >= 2x baseline; otherwise ``low``.

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
>>> sigs = [s for i in range(600) for s in mon.observe(em(i, i * 150))]  # 2 per bucket
>>> sorted({s.kind for s in sigs}), any(s.active for s in sigs)
(['negative_burst', 'volume_surge'], False)
>>> late = [s for i in range(300) for s in mon.observe(em(1000 + i, 90000 + i, neg=True))]
>>> active = [s for s in late if s.active]
>>> sorted({s.kind for s in active}), active[0].evidence["top_terms"][0]["term"]
(['negative_burst', 'volume_surge'], 'ei toimi')
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from detectors.base import Observation, Refractory
from detectors.mention import EnrichedMention
from detectors.negative import NegativeBurstDetector
from detectors.signals import Signal
from detectors.terms import EmergingTerms
from detectors.volume import VolumeSurgeDetector

MAX_SAMPLES = 3
MAX_TOPICS = 20
SAMPLE_CHARS = 200


@dataclass(frozen=True)
class MonitorConfig:
    """Detector settings of one key; the defaults are the live defaults."""

    bucket_seconds: int = 300
    volume_threshold: float = 0.5
    negative_threshold: float = 0.5
    refractory_seconds: float = 24 * 3600.0
    lateness_seconds: float = 60.0
    max_late_seconds: float = 3600.0
    max_gap_buckets: int = 2016  # one week of 5-minute buckets
    early_alert: bool = True
    tz: str = "UTC"
    holidays: frozenset[str] = field(default_factory=frozenset)
    level_halflife_seconds: float = 3600.0
    volume_scales: tuple[int, ...] = (1, 12, 36)
    score_half: float = 6.0
    min_negative: int = 3
    terms_capacity: int = 100

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
            self.bucket_seconds, min_negative=self.min_negative, score_half=self.score_half
        )


class _Bucket:
    """Counts and a little evidence of one open bucket."""

    __slots__ = ("early", "negative", "samples", "start", "topics", "total")

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
        sample = {
            "id": em.mention.id,
            "text": em.mention.text[:SAMPLE_CHARS],
            "url": em.mention.url,
            "negative": neg,
        }
        if len(self.samples) < MAX_SAMPLES:
            self.samples.append(sample)
        elif neg:
            for i, s in enumerate(self.samples):
                if not s["negative"]:
                    self.samples[i] = sample
                    break


def severity(kind: str, active: bool, ev: dict[str, Any]) -> str:
    """The severity rule of the module docstring."""
    if not active:
        return "none"
    if kind == "negative_burst":
        share = float(ev.get("negative_share") or 0.0)
        base = float(ev.get("baseline_share") or 0.0) or 1e-9
        neg = float(ev.get("negative_count") or 0.0)
        if share >= 0.6 and neg >= 50:
            return "critical"
        if share >= 3 * base and neg >= 20:
            return "high"
        return "medium" if share >= 2 * base else "low"
    ratio = float(ev.get("ratio") or 0.0)
    observed = float(ev.get("observed") or 0.0)
    if ratio >= 8 and observed >= 100:
        return "critical"
    if ratio >= 4:
        return "high"
    return "medium" if ratio >= 2 else "low"


class KeyMonitor:
    """All detectors of one key; feed it mentions in (roughly) event-time order."""

    def __init__(self, key: str, config: MonitorConfig | None = None) -> None:
        self.key = key
        self.config = config or MonitorConfig()
        c = self.config
        self.volume = c.volume_detector()
        self.negative = c.negative_detector()
        self.terms = EmergingTerms(c.terms_capacity)
        self.refractory = {
            "volume_surge": Refractory(c.volume_threshold, c.refractory_seconds),
            "negative_burst": Refractory(c.negative_threshold, c.refractory_seconds),
        }
        self.buckets: dict[float, _Bucket] = {}
        self.watermark = -math.inf
        self.next_start: float | None = None  # start of the oldest bucket not yet closed
        self.late = 0
        self.dropped = 0

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
            self.next_start = start
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
        self.terms.update(em.enrichment.terms, ts)
        if self.config.early_alert:
            out.extend(self._early(bucket, ts))
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
        while self.next_start + bs <= due:
            b = self.buckets.pop(self.next_start, None) or _Bucket(self.next_start)
            out.extend(self._close(b))
            self.next_start += bs
        return out

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
        ev["top_terms"] = self.terms.top(ts, 5)
        ev["topics"] = dict(b.topics.most_common(10))
        ev["samples"] = [{k: s[k] for k in ("id", "text", "url")} for s in b.samples]
        ev["bucket_start"] = b.start
        ev["bucket_seconds"] = self.config.bucket_seconds
        return ev

    def _signal(self, b: _Bucket, kind: str, score: float, ts: float, partial: bool) -> Signal:
        c = self.config
        thr = c.volume_threshold if kind == "volume_surge" else c.negative_threshold
        active = score >= thr
        ev = self._evidence(b, kind, ts) if active else self._light_evidence(b, kind)
        ev["partial"] = partial
        return Signal(self.key, kind, ts, round(score, 6), active, severity(kind, active, ev), ev)

    def _light_evidence(self, b: _Bucket, kind: str) -> dict[str, Any]:
        vol, neg = self._observations(b)
        ev = self.volume.evidence(vol) if kind == "volume_surge" else self.negative.evidence(neg)
        ev["bucket_start"] = b.start
        return ev

    def _early(self, b: _Bucket, ts: float) -> list[Signal]:
        out = []
        vol, neg = self._observations(b)
        for kind, det, obs in (
            ("volume_surge", self.volume, vol),
            ("negative_burst", self.negative, neg),
        ):
            if kind in b.early:
                continue
            r = self.refractory[kind]
            raw = det.score_one(obs)
            if raw * r.factor(ts) >= r.threshold:
                r.apply(raw, ts)
                b.early.add(kind)
                out.append(self._signal(b, kind, raw, ts, partial=True))
        return out

    def _close(self, b: _Bucket) -> list[Signal]:
        end = b.start + self.config.bucket_seconds
        vol, neg = self._observations(b)
        out = []
        for kind, det, obs in (
            ("volume_surge", self.volume, vol),
            ("negative_burst", self.negative, neg),
        ):
            raw = det.score_one(obs)
            # An early alert of this bucket already fired (and started the
            # refractory period): report the bucket as it is, undamped.
            score = raw if kind in b.early else self.refractory[kind].apply(raw, end)
            sig = self._signal(b, kind, score, end, partial=False)
            sig.evidence["raw_score"] = round(raw, 6)
            out.append(sig)
            det.learn_one(obs)  # winsorised inside: a surge does not teach the baseline
        return out

    def stats(self) -> dict[str, int]:
        """Counters for metrics: mentions counted late and dropped."""
        return {"late": self.late, "dropped": self.dropped, "open_buckets": len(self.buckets)}
