"""Prometheus metrics of the worker: :class:`Metrics`, created once, label sets at start-up.

Every name, label set and bucket, and the catalogue of the series, is in
:mod:`streams.metric_names`; Slack delivery health is :mod:`streams.notify_metrics`.
Tests pass a fresh :class:`~prometheus_client.CollectorRegistry` and read it with
``registry.get_sample_value(name, labels)``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from datetime import datetime
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
from streams.metric_batch import PendingUpdates
from streams.metric_names import (
    ALERT_ACTIONS,
    ALL,
    DEFAULT_SOURCES,
    INCIDENT_BUCKETS,
    INTERACTIONS,
    KINDS,
    LANGS,
    OTHER,
    PREFIX,
    REASONS,
    RESPONSE_BUCKETS,
    RESULTS,
    SENTIMENTS,
    SEVERITIES,
    SLACK_BUCKETS,
    STAGE_BUCKETS,
    STAGES,
    build_version,
    check_label,
    label_set,
    posix_seconds,
)
from streams.signal_readings import readings

# issue 19: no *_created series (29% of a default scrape, and nothing reads them).
disable_created_metrics()  # type: ignore[no-untyped-call]


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
        self.brands = label_set("brands", brands)
        self.sources = label_set("sources", sources)
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

        def counter(name: str, doc: str, labels: Sequence[str]) -> Counter:
            return Counter(f"{PREFIX}_{name}", doc, labels, registry=reg)

        def gauge(name: str, doc: str, labels: Sequence[str]) -> Gauge:
            return Gauge(f"{PREFIX}_{name}", doc, labels, registry=reg)

        def histogram(
            name: str, doc: str, labels: Sequence[str], buckets: Sequence[float]
        ) -> Histogram:
            return Histogram(f"{PREFIX}_{name}", doc, labels, registry=reg, buckets=buckets)

        self.build_info = gauge("build_info", "Build information; always 1.", ["version"])
        self.build_info.labels(build_version()).set(1)

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
        self._pending = PendingUpdates(self._stage_bounds)
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
        pending, self._pending = self._pending, PendingUpdates(self._stage_bounds)
        pending.apply(
            lambda b, src, lang, sent: self.mentions_consumed.labels(
                self.brand(b), self.source(src), self.lang(lang), self.sentiment(sent)
            ),
            self.stage_duration,
        )

    def mention_consumed(
        self, brand: str, source: str, lang: str | None, sentiment: str | None
    ) -> None:
        """Count one enriched mention."""
        if self._deferring:
            return self._pending.mention((brand, source, lang, sentiment))
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
            return self._pending.stage(check_label("stage", stage, STAGES), seconds)
        self.stage_duration.labels(check_label("stage", stage, STAGES)).observe(max(0.0, seconds))

    def observe_signal(self, sig: Signal) -> None:
        """Publish one detector decision: score, observed/expected, shares, promise.

        The numbers are read from the evidence by :func:`streams.signal_readings.readings`;
        a missing or non-numeric field leaves its gauge as it was instead of setting it
        to 0. Unknown kinds are ignored.
        """
        if sig.kind not in KINDS:
            return
        b, r = self.brand(sig.brand), readings(sig)
        if r.score is not None:
            self.detector_score.labels(b, sig.kind).set(min(1.0, max(0.0, r.score)))
        if r.share is not None:
            self.negative_share.labels(b).set(min(1.0, max(0.0, r.share)))
        if r.baseline_share is not None:
            self.negative_share_baseline.labels(b).set(min(1.0, max(0.0, r.baseline_share)))
        if r.promise is not None:
            self.response_promise.labels(b).set(max(0.0, r.promise))
        if r.observed is not None:
            self.detector_observed.labels(b, sig.kind).set(r.observed)
        if r.expected is not None:
            self.detector_expected.labels(b, sig.kind).set(r.expected)

    def incident_opened(self, brand: str, kind: str, severity: str) -> None:
        """Count one opened incident."""
        sev = check_label("severity", severity, SEVERITIES)
        self.incidents_opened.labels(
            self.brand(brand), check_label("kind", kind, KINDS), sev if self.detailed else ALL
        ).inc()

    def incident_resolved(self, brand: str, kind: str, duration_seconds: float) -> None:
        """Record one resolved incident and how long (event time) it was open."""
        b = self.brand(brand) if self.detailed else ALL
        self.incident_duration.labels(b, check_label("kind", kind, KINDS)).observe(
            max(0.0, duration_seconds)
        )

    def open_incidents(self, brand: str, severity: str, n: int) -> None:
        """Set how many incidents of ``brand`` and ``severity`` are open now."""
        self.open_incidents_gauge.labels(
            self.brand(brand), check_label("severity", severity, SEVERITIES)
        ).set(max(0, n))

    def interaction(self, result: str) -> None:
        """One request to the interactivity endpoint (unknown results fold to bad_request)."""
        self.interactions.labels(result if result in INTERACTIONS else "bad_request").inc()

    def alert_sent(self, action: str, result: str) -> None:
        """Count one Slack message: ``post``/``update``/``thread_reply``/``chart`` (else other)."""
        a = action if action in ALERT_ACTIONS else OTHER
        self.alerts.labels(a, check_label("result", result, RESULTS)).inc()

    def status_update(self, result: str) -> None:
        """Count one interim status update delivery attempt by result."""
        self.status_updates.labels(check_label("result", result, RESULTS)).inc()

    def slack_latency(self, seconds: float) -> None:
        """Record the wall time of one Slack Web API call."""
        self.slack_duration.observe(max(0.0, seconds))

    def event_time(self, brand: str, ts: float | datetime, *, now: float | datetime) -> None:
        """Advance the newest event time of ``brand`` to ``ts`` and set its lag behind ``now``.

        Out-of-order events never move the newest event time backwards.
        """
        b = self.brand(brand)
        newest = max(posix_seconds(ts), self._last_event.get(b, float("-inf")))
        self._last_event[b] = newest
        self.last_event_timestamp.labels(b).set(newest)
        self.event_time_lag.labels(b).set(max(0.0, posix_seconds(now) - newest))

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


# streams/notify.py reads NotifyMetrics from here (kept while issue 14's fix is in flight there).
from streams.notify_metrics import NotifyMetrics  # noqa: E402

__all__ = ["Metrics", "NotifyMetrics"]
