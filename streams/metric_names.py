"""The worker's Prometheus vocabulary: every name, label set and bucket in one place.

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

:class:`streams.metrics.Metrics` registers them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime
from importlib import metadata

from detectors import signals

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
KINDS: tuple[str, ...] = signals.KINDS
SEVERITIES: tuple[str, ...] = signals.SEVERITIES[1:]  # "none" is never an incident's
RESULTS: tuple[str, ...] = ("ok", "failed", "retried")
ALERT_ACTIONS: tuple[str, ...] = ("post", "update", "thread_reply", "chart", OTHER)

STAGE_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
SLACK_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
RESPONSE_BUCKETS = (60.0, 300.0, 900.0, 1800.0, 3600.0, 7200.0, 14400.0, 28800.0, 86400.0)
INCIDENT_BUCKETS = (300.0, 900.0, 1800.0, 3600.0, 7200.0, 14400.0, 43200.0, 86400.0)


def build_version() -> str:
    try:
        return metadata.version("spikewatch")
    except metadata.PackageNotFoundError:
        return "unknown"


def label_set(name: str, values: Sequence[str]) -> tuple[str, ...]:
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


def check_label(name: str, value: str, allowed: Sequence[str]) -> str:
    if value not in allowed:
        raise ValueError(f"{name}={value!r} is not one of {', '.join(allowed)}")
    return value


def posix_seconds(ts: float | datetime) -> float:
    return ts.timestamp() if isinstance(ts, datetime) else float(ts)


def finite_number(value: object) -> float | None:
    """A finite float from evidence, else None (bad data never raises here)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    f = float(value)
    return f if math.isfinite(f) else None
