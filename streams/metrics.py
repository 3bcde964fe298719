"""Prometheus metrics of the worker: every name, label and bucket in one place.

One prefix (``spikewatch_``), base units (seconds, ratios 0-1), ``_total`` on
counters, label values only from small fixed sets. Label values that come from
the data or from another package (brand, source/channel, lang, sentiment,
reason, Slack action) are folded into ``"other"`` when they are not in their
set, so a stray brand can never create a new series. Label values that come
from the worker's own code (stage, kind, severity, result) raise ``ValueError``
when unknown: that is a bug, caught by the unit tests. Every label set is
created at start-up, so counters exist at 0 before the first event and
``rate()``/``increase()`` see the first one.

Metrics (labels in braces):

Ingest and enrichment
    ``spikewatch_mentions_consumed_total{brand,source,lang,sentiment}``
        counter: mentions validated and enriched.
    ``spikewatch_invalid_records_total{reason}``
        counter: records sent to the dead-letter topic, by reason.
    ``spikewatch_stage_duration_seconds{stage}``
        histogram: processing time of one record (or one batch) per stage.

Detectors (event-time state, per brand; set from each Signal by ``observe_signal``)
    ``spikewatch_detector_observed_mentions{brand,kind}``
        gauge: mentions in the detector's last decided bucket (negative ones for
        ``negative_burst``, the open backlog for ``backlog``).
    ``spikewatch_detector_expected_mentions{brand,kind}``
        gauge: what the detector's baseline expected for that bucket.
    ``spikewatch_detector_score{brand,kind}``
        gauge: the detector's anomaly score, 0-1.
    ``spikewatch_negative_share_ratio{brand}``
        gauge: share of negative mentions in the last bucket, 0-1.
    ``spikewatch_negative_share_baseline_ratio{brand}``
        gauge: the baseline negative share, 0-1.

Incidents and delivery
    ``spikewatch_incidents_opened_total{brand,kind,severity}``
        counter: incidents opened (Grafana annotations come from its changes).
    ``spikewatch_incident_duration_seconds{brand,kind}``
        histogram: event time from opened to resolved.
    ``spikewatch_open_incidents{brand,severity}``
        gauge: incidents open now.
    ``spikewatch_alerts_total{action,result}``
        counter: Slack alert messages by action (post, update, thread_reply, chart,
        as in ``alerts.dedup.Notification``) and result (ok, failed, retried).
    ``spikewatch_status_updates_total{result}``
        counter: interim status updates delivered, by result.
    ``spikewatch_slack_request_duration_seconds``
        histogram: wall time of one Slack Web API call.
    ``spikewatch_slack_interactions_total{result}``
        counter: requests to the Slack interactivity endpoint: what they asked for
        (command, approve, edit, edit_submit) or why they were refused.

Freshness and lag
    ``spikewatch_last_event_timestamp_seconds{brand}``
        gauge: newest event time processed (POSIX seconds).
    ``spikewatch_event_time_lag_seconds{brand}``
        gauge: ``now`` minus that newest event time, at the last update.
    ``spikewatch_consumer_lag_messages{topic,partition}``
        gauge: Kafka records not yet consumed (high watermark - position).

Customer-care response
    ``spikewatch_first_response_seconds{brand,channel}``
        histogram: time from a mention to the brand's first answer.
    ``spikewatch_first_responses_within_promise_total{brand,channel}``
        counter: first answers within the brand's promise; the share is this
        divided by ``spikewatch_first_response_seconds_count``.
    ``spikewatch_response_promise_seconds{brand}``
        gauge: the brand's promised response time.
    ``spikewatch_backlog_open_mentions{brand,channel}``
        gauge: mentions waiting for an answer.
    ``spikewatch_backlog_inflow_per_second{brand,channel}``
        gauge: mentions needing an answer per second (event time; x3600 = per hour).
    ``spikewatch_backlog_answered_per_second{brand,channel}``
        gauge: answers per second (event time).

``spikewatch_build_info{version}`` is 1 and carries the package version. A
registry of its own also gets prometheus_client's ``process_*`` metrics (memory,
CPU, open files), which the pipeline dashboard shows.

Tests pass a fresh :class:`~prometheus_client.CollectorRegistry` and read it with
``registry.get_sample_value(name, labels)``.
"""

from __future__ import annotations

import math
import time
from bisect import bisect_left
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from datetime import datetime
from importlib import metadata
from itertools import product

from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    ProcessCollector,
    disable_created_metrics,
)

from detectors.signals import Signal

# issue 19: no *_created series (29% of a default scrape, and nothing reads them).
disable_created_metrics()  # type: ignore[no-untyped-call]

PREFIX = "spikewatch"
OTHER = "other"
# issue 19, the metrics budget: without detailed metrics (the worker's default,
# SPIKEWATCH_DETAILED_METRICS=false) the per-brand breakdowns by source/channel, language,
# opened-incident severity and the per-brand incident durations fold to this one value, so a brand
# costs 40 series instead of 231; the label names stay, so every query keeps working.
ALL = "all"

INTERACTIONS: tuple[str, ...] = (
    "command",
    "feedback",
    "approve",
    "edit",
    "edit_submit",
    "bad_request",
    "missing_signature",
    "bad_timestamp",
    "stale_request",
    "bad_signature",
    "no_signing_secret",
    "replayed_request",
)
DEFAULT_SOURCES: tuple[str, ...] = ("x", "facebook", "instagram", "chat", "web", OTHER)
LANGS: tuple[str, ...] = ("fi", "en", "sv", OTHER)
SENTIMENTS: tuple[str, ...] = ("negative", "neutral", "positive")
REASONS: tuple[str, ...] = (
    "invalid_json",
    "invalid_utf8",
    "not_an_object",
    "missing_field",
    "wrong_type",
    "empty_field",
    "too_long",
    "bad_created_at",
    "duplicate",
    "unknown_brand",
    "time_out_of_range",
    OTHER,
)
STAGES: tuple[str, ...] = ("validate", "enrich", "detect", "incidents", "notify")
KINDS: tuple[str, ...] = ("volume_surge", "negative_burst", "backlog")
SEVERITIES: tuple[str, ...] = ("low", "medium", "high", "critical")
RESULTS: tuple[str, ...] = ("ok", "failed", "retried")
ALERT_ACTIONS: tuple[str, ...] = ("post", "update", "thread_reply", "chart", OTHER)

STAGE_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
SLACK_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
RESPONSE_BUCKETS = (60.0, 300.0, 900.0, 1800.0, 3600.0, 7200.0, 14400.0, 28800.0, 86400.0)
INCIDENT_BUCKETS = (300.0, 900.0, 1800.0, 3600.0, 7200.0, 14400.0, 43200.0, 86400.0)


def _version() -> str:
    try:
        return metadata.version("spikewatch")
    except metadata.PackageNotFoundError:
        return "unknown"


def _label_set(name: str, values: Sequence[str]) -> tuple[str, ...]:
    """Normalise a configured label set: lower-case, unique, non-empty, ``other`` last."""
    out: list[str] = []
    for v in values:
        if not isinstance(v, str) or not v.strip():
            raise ValueError(f"{name}: label values must be non-empty strings, got {v!r}")
        v = v.strip().lower()
        if v != OTHER and v not in out:
            out.append(v)
    if not out:
        raise ValueError(f"{name}: at least one value is needed")
    return (*out, OTHER)


def _check(name: str, value: str, allowed: Sequence[str]) -> str:
    if value not in allowed:
        raise ValueError(f"{name}={value!r} is not one of {', '.join(allowed)}")
    return value


def _seconds(ts: float | datetime) -> float:
    return ts.timestamp() if isinstance(ts, datetime) else float(ts)


def _num(value: object) -> float | None:
    """A finite float from evidence, else None (bad data never raises here)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    f = float(value)
    return f if math.isfinite(f) else None


class Metrics:
    """All metrics of one worker process, registered on ``registry``.

    ``registry=None`` means prometheus_client's global registry (which also
    carries the process and platform collectors); tests pass a fresh one.
    ``brands`` and ``sources`` are the configured sets; anything else is
    counted as ``"other"``.
    """

    def __init__(
        self,
        registry: CollectorRegistry | None = None,
        *,
        brands: Sequence[str],
        sources: Sequence[str] = DEFAULT_SOURCES,
        detailed: bool = True,
    ) -> None:
        if isinstance(brands, str) or isinstance(sources, str):
            raise ValueError("brands and sources are sequences of names, not one string")
        self.brands = _label_set("brands", brands)
        self.sources = _label_set("sources", sources)
        reg = REGISTRY if registry is None else registry
        self.registry = reg
        if reg is not REGISTRY:
            with suppress(ValueError):  # the caller registered one already
                ProcessCollector(registry=reg)
        self._last_event: dict[str, float] = {}
        # the metrics budget (see ALL)
        self.detailed = detailed
        self._channels = self.sources if detailed else (ALL,)
        self._langs = LANGS if detailed else (ALL,)
        self._opened_severities = SEVERITIES if detailed else (ALL,)
        self._duration_brands = self.brands if detailed else (ALL,)
        self._backlog_parts: dict[str, dict[str, tuple[float, float, float]]] = {}
        # Per-batch aggregation (:meth:`batch`): nesting depth and what waits.
        self._deferring = 0
        self._consumed: dict[tuple[str, str, str | None, str | None], int] = {}
        self._stages: dict[str, list[float]] = {}

        def counter(name: str, doc: str, labels: Sequence[str]) -> Counter:
            return Counter(f"{PREFIX}_{name}", doc, labels, registry=reg)

        def gauge(name: str, doc: str, labels: Sequence[str]) -> Gauge:
            return Gauge(f"{PREFIX}_{name}", doc, labels, registry=reg)

        def histogram(
            name: str, doc: str, labels: Sequence[str], buckets: Sequence[float]
        ) -> Histogram:
            return Histogram(f"{PREFIX}_{name}", doc, labels, registry=reg, buckets=buckets)

        self.build_info = gauge("build_info", "Build information; always 1.", ["version"])
        self.build_info.labels(_version()).set(1)

        self.mentions_consumed = counter(
            "mentions_consumed",
            "Mentions validated and enriched.",
            ["brand", "source", "lang", "sentiment"],
        )
        self.invalid_records = counter(
            "invalid_records", "Records sent to the dead-letter topic.", ["reason"]
        )
        self.stage_duration = histogram(
            "stage_duration_seconds",
            "Processing time of one record or batch per stage.",
            ["stage"],
            STAGE_BUCKETS,
        )
        # The histogram's bucket bounds as it sorted them (with +Inf), for :meth:`batch`.
        self._stage_bounds: list[float] = list(self.stage_duration._upper_bounds)
        self.detector_observed = gauge(
            "detector_observed_mentions",
            "Mentions in the detector's last decided bucket.",
            ["brand", "kind"],
        )
        self.detector_expected = gauge(
            "detector_expected_mentions",
            "Mentions the detector's baseline expected in that bucket.",
            ["brand", "kind"],
        )
        self.detector_score = gauge(
            "detector_score", "Anomaly score of the detector, 0-1.", ["brand", "kind"]
        )
        self.negative_share = gauge(
            "negative_share_ratio", "Share of negative mentions in the last bucket.", ["brand"]
        )
        self.negative_share_baseline = gauge(
            "negative_share_baseline_ratio", "Baseline share of negative mentions.", ["brand"]
        )
        self.incidents_opened = counter(
            "incidents_opened", "Incidents opened.", ["brand", "kind", "severity"]
        )
        self.incident_duration = histogram(
            "incident_duration_seconds",
            "Event time from an incident's opening to its resolution.",
            ["brand", "kind"],
            INCIDENT_BUCKETS,
        )
        self.open_incidents_gauge = gauge(
            "open_incidents", "Incidents open now.", ["brand", "severity"]
        )
        self.alerts = counter(
            "alerts", "Slack alert messages by action and result.", ["action", "result"]
        )
        self.status_updates = counter(
            "status_updates", "Interim status updates delivered, by result.", ["result"]
        )
        self.slack_duration = histogram(
            "slack_request_duration_seconds",
            "Wall time of one Slack Web API call.",
            [],
            SLACK_BUCKETS,
        )
        self.interactions = counter(
            "slack_interactions",
            "Requests to the Slack interactivity endpoint, by what they asked or why refused.",
            ["result"],
        )
        self.last_event_timestamp = gauge(
            "last_event_timestamp_seconds", "Newest event time processed.", ["brand"]
        )
        self.event_time_lag = gauge(
            "event_time_lag_seconds", "Wall time minus the newest event time processed.", ["brand"]
        )
        self.consumer_lag_gauge = gauge(
            "consumer_lag_messages", "Kafka records not yet consumed.", ["topic", "partition"]
        )
        self.first_response = histogram(
            "first_response_seconds",
            "Time from a mention to the brand's first answer.",
            ["brand", "channel"],
            RESPONSE_BUCKETS,
        )
        self.responses_within_promise = counter(
            "first_responses_within_promise",
            "First answers given within the brand's promised response time.",
            ["brand", "channel"],
        )
        self.response_promise = gauge(
            "response_promise_seconds", "The brand's promised response time.", ["brand"]
        )
        self.backlog_open = gauge(
            "backlog_open_mentions", "Mentions waiting for an answer.", ["brand", "channel"]
        )
        self.backlog_inflow = gauge(
            "backlog_inflow_per_second",
            "Mentions needing an answer per second (event time).",
            ["brand", "channel"],
        )
        self.backlog_answered = gauge(
            "backlog_answered_per_second", "Answers per second (event time).", ["brand", "channel"]
        )
        self._create_label_sets()

    def _create_label_sets(self) -> None:
        """Create every series at start-up so it exists (at 0) before the first event."""
        for b, s, lang, sent in product(self.brands, self._channels, self._langs, SENTIMENTS):
            self.mentions_consumed.labels(b, s, lang, sent)
        for r in REASONS:
            self.invalid_records.labels(r)
        for r in INTERACTIONS:
            self.interactions.labels(r)
        for st in STAGES:
            self.stage_duration.labels(st)
        for b in self.brands:
            self.negative_share.labels(b)
            self.negative_share_baseline.labels(b)
            self.last_event_timestamp.labels(b)
            self.event_time_lag.labels(b)
            self.response_promise.labels(b)
            for k in KINDS:
                self.detector_observed.labels(b, k)
                self.detector_expected.labels(b, k)
                self.detector_score.labels(b, k)
                for sev in self._opened_severities:
                    self.incidents_opened.labels(b, k, sev)
            for sev in SEVERITIES:
                self.open_incidents_gauge.labels(b, sev)
            for ch in self._channels:
                self.first_response.labels(b, ch)
                self.responses_within_promise.labels(b, ch)
                self.backlog_open.labels(b, ch)
                self.backlog_inflow.labels(b, ch)
                self.backlog_answered.labels(b, ch)
        for b, k in product(self._duration_brands, KINDS):
            self.incident_duration.labels(b, k)
        for ck, res in product(ALERT_ACTIONS, RESULTS):
            self.alerts.labels(ck, res)
        for res in RESULTS:
            self.status_updates.labels(res)

    # -- label folding -------------------------------------------------------

    def brand(self, value: str | None) -> str:
        """The brand label for ``value``: a configured brand or ``"other"``."""
        v = (value or "").strip().lower()
        return v if v in self.brands else OTHER

    def source(self, value: str | None) -> str:
        """The source/channel label for ``value``: a configured source or ``"other"``
        (:data:`ALL` without detailed metrics)."""
        if not self.detailed:
            return ALL
        v = (value or "").strip().lower()
        return v if v in self.sources else OTHER

    def lang(self, value: str | None) -> str:
        """``fi``, ``en``, ``sv`` or ``"other"`` (region subtags such as ``fi-FI`` fold in;
        :data:`ALL` without detailed metrics)."""
        if not self.detailed:
            return ALL
        v = (value or "").strip().lower().split("-", 1)[0].split("_", 1)[0]
        return v if v in LANGS else OTHER

    @staticmethod
    def sentiment(value: str | None) -> str:
        """``negative``, ``neutral`` or ``positive``; anything else counts as neutral."""
        v = (value or "").strip().lower()
        return v if v in SENTIMENTS else "neutral"

    @staticmethod
    def reason(value: str | None) -> str:
        """A dead-letter reason from :data:`REASONS`, else ``"other"``."""
        v = (value or "").strip().lower()
        return v if v in REASONS else OTHER

    # -- what the worker calls -----------------------------------------------

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Aggregate the per-mention updates made inside the block; apply them at its end.

        :meth:`mention_consumed` and :meth:`observe_stage` then cost a dict update
        each, and the block's end makes one ``inc(n)`` per label tuple and, per
        stage, one ``inc(n)`` per histogram bucket hit plus one on the sum: the
        same samples as the calls one by one (``tests/unit/test_metrics.py``),
        without ~7 µs of label lookups and locks per mention (issue 20).
        Other callers' updates that fall inside the block wait for its end too.
        """
        self._deferring += 1
        try:
            yield
        finally:
            self._deferring -= 1
            if not self._deferring:
                self.flush()

    def flush(self) -> None:
        """Apply the updates aggregated by :meth:`batch` (called at its end)."""
        consumed, self._consumed = self._consumed, {}
        for (brand, source, lang, sentiment), n in consumed.items():
            self.mentions_consumed.labels(
                self.brand(brand), self.source(source), self.lang(lang), self.sentiment(sentiment)
            ).inc(n)
        stages, self._stages = self._stages, {}
        for stage, acc in stages.items():
            child = self.stage_duration.labels(stage)
            # prometheus_client's Histogram.observe, n at a time: the sum, then the
            # first bucket whose bound is >= the value (cumulated on exposition).
            child._sum.inc(acc[0])
            for bucket, hits in zip(child._buckets, acc[1:], strict=True):
                if hits:
                    bucket.inc(hits)

    def mention_consumed(
        self, brand: str, source: str, lang: str | None, sentiment: str | None
    ) -> None:
        """Count one enriched mention."""
        if self._deferring:
            key = (brand, source, lang, sentiment)
            self._consumed[key] = self._consumed.get(key, 0) + 1
            return
        self.mentions_consumed.labels(
            self.brand(brand),
            self.source(source),
            self.lang(lang),
            self.sentiment(sentiment),
        ).inc()

    def invalid(self, reason: str) -> None:
        """Count one record sent to the dead-letter topic."""
        self.invalid_records.labels(self.reason(reason)).inc()

    def observe_stage(self, stage: str, seconds: float) -> None:
        """Record the processing time of one record or batch in ``stage``."""
        if self._deferring:
            acc = self._stages.get(stage)
            if acc is None:
                acc = self._stages[stage] = [0.0] * (1 + len(self._stage_bounds))
                _check("stage", stage, STAGES)
            v = max(0.0, seconds)
            acc[0] += v
            acc[1 + bisect_left(self._stage_bounds, v)] += 1
            return
        self.stage_duration.labels(_check("stage", stage, STAGES)).observe(max(0.0, seconds))

    @contextmanager
    def stage_seconds(self, stage: str) -> Iterator[None]:
        """Time the ``with`` block as processing time of ``stage`` (also when it raises)."""
        child = self.stage_duration.labels(_check("stage", stage, STAGES))
        start = time.perf_counter()
        try:
            yield
        finally:
            child.observe(max(0.0, time.perf_counter() - start))

    def detector_state(
        self,
        brand: str,
        kind: str,
        observed: float,
        expected: float,
        negative_share: float | None = None,
        baseline_share: float | None = None,
        *,
        score: float | None = None,
    ) -> None:
        """Publish a detector's latest decision (from a :class:`~detectors.signals.Signal`)."""
        b = self.brand(brand)
        k = _check("kind", kind, KINDS)
        self.detector_observed.labels(b, k).set(observed)
        self.detector_expected.labels(b, k).set(expected)
        if score is not None:
            self.detector_score.labels(b, k).set(min(1.0, max(0.0, score)))
        if negative_share is not None:
            self.negative_share.labels(b).set(min(1.0, max(0.0, negative_share)))
        if baseline_share is not None:
            self.negative_share_baseline.labels(b).set(min(1.0, max(0.0, baseline_share)))

    def observe_signal(self, sig: Signal) -> None:
        """Publish one detector decision: score, observed/expected, shares, promise.

        Reads the evidence the detectors write (``observed``/``expected`` for volume,
        ``negative_count``/``total``/``negative_share``/``baseline_share`` for negative
        bursts, ``promise_seconds`` for backlog); a missing or non-numeric field leaves
        its gauge as it was instead of setting it to 0. Unknown kinds are ignored.
        """
        if sig.kind not in KINDS:
            return
        b, ev = self.brand(sig.brand), sig.evidence
        score = _num(sig.score)
        if score is not None:
            self.detector_score.labels(b, sig.kind).set(min(1.0, max(0.0, score)))
        share, base = _num(ev.get("negative_share")), _num(ev.get("baseline_share"))
        if share is not None:
            self.negative_share.labels(b).set(min(1.0, max(0.0, share)))
        if base is not None:
            self.negative_share_baseline.labels(b).set(min(1.0, max(0.0, base)))
        if sig.kind == "volume_surge":
            observed, expected = _num(ev.get("observed")), _num(ev.get("expected"))
        elif sig.kind == "negative_burst":
            observed, total = _num(ev.get("negative_count")), _num(ev.get("total"))
            expected = None if total is None or base is None else total * base
        else:
            observed, expected = _num(ev.get("backlog")), None
            promise = _num(ev.get("promise_seconds"))
            if promise is not None:
                self.response_promise.labels(b).set(max(0.0, promise))
        if observed is not None:
            self.detector_observed.labels(b, sig.kind).set(observed)
        if expected is not None:
            self.detector_expected.labels(b, sig.kind).set(expected)

    def incident_opened(self, brand: str, kind: str, severity: str) -> None:
        """Count one opened incident."""
        sev = _check("severity", severity, SEVERITIES)
        self.incidents_opened.labels(
            self.brand(brand), _check("kind", kind, KINDS), sev if self.detailed else ALL
        ).inc()

    def incident_resolved(self, brand: str, kind: str, duration_seconds: float) -> None:
        """Record one resolved incident and how long (event time) it was open."""
        b = self.brand(brand) if self.detailed else ALL
        self.incident_duration.labels(b, _check("kind", kind, KINDS)).observe(
            max(0.0, duration_seconds)
        )

    def open_incidents(self, brand: str, severity: str, n: int) -> None:
        """Set how many incidents of ``brand`` and ``severity`` are open now."""
        self.open_incidents_gauge.labels(
            self.brand(brand), _check("severity", severity, SEVERITIES)
        ).set(max(0, n))

    def interaction(self, result: str) -> None:
        """One request to the interactivity endpoint (unknown results fold to bad_request)."""
        self.interactions.labels(result if result in INTERACTIONS else "bad_request").inc()

    def alert_sent(self, action: str, result: str) -> None:
        """Count one Slack message: ``post``/``update``/``thread_reply``/``chart`` (else other)."""
        a = action if action in ALERT_ACTIONS else OTHER
        self.alerts.labels(a, _check("result", result, RESULTS)).inc()

    def status_update(self, result: str) -> None:
        """Count one interim status update delivery attempt by result."""
        self.status_updates.labels(_check("result", result, RESULTS)).inc()

    def slack_latency(self, seconds: float) -> None:
        """Record the wall time of one Slack Web API call."""
        self.slack_duration.observe(max(0.0, seconds))

    def event_time(self, brand: str, ts: float | datetime, *, now: float | datetime) -> None:
        """Advance the newest event time of ``brand`` to ``ts`` and set its lag behind ``now``.

        Out-of-order events never move the newest event time backwards.
        """
        b = self.brand(brand)
        newest = max(_seconds(ts), self._last_event.get(b, float("-inf")))
        self._last_event[b] = newest
        self.last_event_timestamp.labels(b).set(newest)
        self.event_time_lag.labels(b).set(max(0.0, _seconds(now) - newest))

    def consumer_lag(self, topic: str, partition: int, lag: int) -> None:
        """Set the consumer lag (records) of one assigned partition."""
        self.consumer_lag_gauge.labels(topic, str(int(partition))).set(max(0, lag))

    def forget_partition(self, topic: str, partition: int) -> None:
        """Drop the lag series of a partition this worker no longer owns (after a rebalance)."""
        with suppress(KeyError):
            self.consumer_lag_gauge.remove(topic, str(int(partition)))

    def set_response_promise(self, brand: str, seconds: float) -> None:
        """Publish the brand's promised response time (e.g. 3600 for 60 minutes)."""
        self.response_promise.labels(self.brand(brand)).set(max(0.0, seconds))

    def response_time(self, brand: str, channel: str, seconds: float, within_promise: bool) -> None:
        """Record one first response and whether it kept the brand's promise."""
        b, ch = self.brand(brand), self.source(channel)
        self.first_response.labels(b, ch).observe(max(0.0, seconds))
        if within_promise:
            self.responses_within_promise.labels(b, ch).inc()

    def backlog(
        self,
        brand: str,
        channel: str,
        open: int,
        inflow_per_hour: float,
        answered_per_hour: float,
    ) -> None:
        """Set the open backlog and its event-time inflow and answer rates (given per hour)."""
        b, ch = self.brand(brand), self.source(channel)
        part: tuple[float, float, float] = (
            float(max(0, open)),
            max(0.0, inflow_per_hour) / 3600.0,
            max(0.0, answered_per_hour) / 3600.0,
        )
        if not self.detailed:  # one series per brand (ch is ALL): the sum over its channels
            parts = self._backlog_parts.setdefault(b, {})
            parts[(channel or "").strip().lower()] = part
            part = (
                sum(x[0] for x in parts.values()),
                sum(x[1] for x in parts.values()),
                sum(x[2] for x in parts.values()),
            )
        self.backlog_open.labels(b, ch).set(part[0])
        self.backlog_inflow.labels(b, ch).set(part[1])
        self.backlog_answered.labels(b, ch).set(part[2])


# -- Slack delivery health (issue 14, notify pipeline) -------------------------------------


class NotifyMetrics:
    """What the notify pipeline did not deliver yet, and whether the token works.

    ``spikewatch_slack_undelivered`` (gauge): incidents this worker holds with a
    message Slack has not accepted and that is tried again on a schedule;
    ``spikewatch_slack_auth_ok`` (gauge): 1 when the last ``auth.test`` passed,
    0 when it failed, -1 before the first check (console mode: stays -1).
    Failed calls by Slack's error code are ``spikewatch_slack_errors_total{error}``
    (registered by ``alerts.slack_delivery.SlackDelivery`` on the same registry).
    """

    def __init__(self, registry: CollectorRegistry) -> None:
        self.undelivered = Gauge(
            f"{PREFIX}_slack_undelivered",
            "Incidents with a message Slack has not accepted yet (tried again with backoff).",
            registry=registry,
        )
        self.auth_ok = Gauge(
            f"{PREFIX}_slack_auth_ok",
            "1 if the last auth.test passed, 0 if it failed, -1 before any check.",
            registry=registry,
        )
        self.auth_ok.set(-1)
