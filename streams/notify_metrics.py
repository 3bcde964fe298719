"""Slack delivery health of the notify pipeline (issue 14): two gauges."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Gauge

from streams.metric_names import PREFIX


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
