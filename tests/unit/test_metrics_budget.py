"""The metrics budget: <= 40 series per brand by default, the breakdowns behind a switch."""

from __future__ import annotations

import pytest
from prometheus_client import CollectorRegistry

from streams.metric_names import ALL
from streams.metrics import Metrics


def samples(m: Metrics) -> list[tuple[str, dict[str, str], float]]:
    return [
        (s.name, s.labels, s.value)
        for f in m.registry.collect()
        if not f.name.startswith("process")
        for s in f.samples
    ]


def per_brand(detailed: bool) -> int:
    one = Metrics(CollectorRegistry(), brands=["a"], detailed=detailed)
    two = Metrics(CollectorRegistry(), brands=["a", "b"], detailed=detailed)
    return len(samples(two)) - len(samples(one))


def test_a_brand_costs_at_most_40_series_by_default_and_231_in_detail() -> None:
    assert per_brand(detailed=False) <= 40
    assert per_brand(detailed=True) > 200  # what SPIKEWATCH_DETAILED_METRICS=true buys


def test_no_created_series() -> None:
    names = {n for n, _, _ in samples(Metrics(CollectorRegistry(), brands=["a"]))}
    assert not [n for n in names if n.endswith("_created")]


def test_folded_series_add_up_to_the_detailed_ones() -> None:
    fold = Metrics(CollectorRegistry(), brands=["nordbank"], detailed=False)
    full = Metrics(CollectorRegistry(), brands=["nordbank"], detailed=True)
    for m in (fold, full):
        m.mention_consumed("nordbank", "x", "fi", "negative")
        m.mention_consumed("nordbank", "facebook", "en", "negative")
        m.response_time("nordbank", "x", 120.0, True)
        m.response_time("nordbank", "chat", 7200.0, False)
        m.backlog("nordbank", "x", 10, 30.0, 20.0)
        m.backlog("nordbank", "chat", 5, 6.0, 3.0)
        m.backlog("nordbank", "x", 12, 36.0, 18.0)  # x again: replaces its part of the sum
        m.incident_opened("nordbank", "volume_surge", "high")
        m.incident_resolved("nordbank", "volume_surge", 1800.0)

    def total(m: Metrics, name: str, **labels: str) -> float:
        return sum(
            v
            for n, lab, v in samples(m)
            if n == name and all(lab.get(k) == x for k, x in labels.items())
        )

    for name in (
        "spikewatch_mentions_consumed_total",
        "spikewatch_first_response_seconds_count",
        "spikewatch_first_response_seconds_sum",
        "spikewatch_first_responses_within_promise_total",
        "spikewatch_backlog_open_mentions",
        "spikewatch_backlog_inflow_per_second",
        "spikewatch_incidents_opened_total",
        "spikewatch_incident_duration_seconds_count",
    ):
        assert total(fold, name) == pytest.approx(total(full, name)), name
    assert total(fold, "spikewatch_backlog_open_mentions", channel=ALL) == 17
    assert total(fold, "spikewatch_mentions_consumed_total", sentiment="negative") == 2
    assert total(fold, "spikewatch_mentions_consumed_total", lang="fi") == 0  # folded to "all"
    assert total(full, "spikewatch_mentions_consumed_total", lang="fi") == 1
