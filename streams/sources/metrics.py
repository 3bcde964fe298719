"""Per-source Prometheus metrics (label ``source`` = the configured connector names only)."""

from __future__ import annotations

from collections.abc import Sequence

from prometheus_client import CollectorRegistry, Counter, Gauge

OUTCOMES = ("produced", "duplicate", "unmatched", "dead")
ERRORS = ("rate_limited", "server_error", "fatal", "unauthorized", "bad_request")


class SourceMetrics:
    """Created once per process with its label sets, on the given registry."""

    def __init__(self, names: Sequence[str], registry: CollectorRegistry) -> None:
        self.records = Counter(
            "spikewatch_source_records_total",
            "Records handled by a source, by outcome (produced = canonical mentions written)",
            ["source", "outcome"],
            registry=registry,
        )
        self.errors = Counter(
            "spikewatch_source_errors_total",
            "Fetch and request errors of a source, by kind",
            ["source", "kind"],
            registry=registry,
        )
        self.last_success = Gauge(
            "spikewatch_source_last_success_timestamp_seconds",
            "Wall time of the last successful fetch or accepted webhook",
            ["source"],
            registry=registry,
        )
        self.last_record = Gauge(
            "spikewatch_source_last_record_timestamp_seconds",
            "Wall time the last mention was produced",
            ["source"],
            registry=registry,
        )
        self.cursor_lag = Gauge(
            "spikewatch_source_cursor_lag_seconds",
            "Wall time minus the event time of the newest record produced",
            ["source"],
            registry=registry,
        )
        for n in names:
            for o in OUTCOMES:
                self.records.labels(n, o)
            for e in ERRORS:
                self.errors.labels(n, e)
            self.last_success.labels(n)
            self.last_record.labels(n)
            self.cursor_lag.labels(n)
