"""Worker metrics on a fresh registry: names, label folding, pre-created series."""

from __future__ import annotations

from datetime import UTC, datetime
from itertools import product
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from prometheus_client import CollectorRegistry, ProcessCollector, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from detectors.signals import Signal
from streams.metric_names import (
    ALERT_ACTIONS,
    KINDS,
    LANGS,
    REASONS,
    RESULTS,
    SENTIMENTS,
    SEVERITIES,
    STAGES,
)
from streams.metrics import Metrics

BRANDS = ("nordbank", "lumoverkko")


@pytest.fixture
def reg() -> CollectorRegistry:
    return CollectorRegistry()


@pytest.fixture
def m(reg: CollectorRegistry) -> Metrics:
    return Metrics(reg, brands=BRANDS)


def value(reg: CollectorRegistry, name: str, **labels: str) -> float | None:
    return reg.get_sample_value(name, labels)


def series_count(reg: CollectorRegistry) -> int:
    return sum(len(f.samples) for f in reg.collect())


# -- construction ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs",
    [
        {"brands": []},
        {"brands": ["other"]},
        {"brands": [""]},
        {"brands": "nordbank"},
        {"brands": BRANDS, "sources": []},
        {"brands": BRANDS, "sources": "x"},
    ],
)
def test_bad_parameters_raise_value_error(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError, match=r"brands|sources"):
        Metrics(CollectorRegistry(), **kwargs)  # type: ignore[arg-type]


def test_configured_sets_are_normalised_with_other_last(m: Metrics) -> None:
    m2 = Metrics(CollectorRegistry(), brands=["NordBank", "nordbank", "other"], sources=["X"])
    assert m2.brands == ("nordbank", "other")
    assert m2.sources == ("x", "other")
    assert m.brands == (*BRANDS, "other")


def test_every_label_set_exists_at_zero_before_any_event(
    reg: CollectorRegistry, m: Metrics
) -> None:
    samples = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for fam in reg.collect()
        for s in fam.samples
    }

    def at_zero(name: str, **labels: str) -> bool:
        return samples.get((name, tuple(sorted(labels.items())))) == 0.0

    for b in m.brands:
        for src, lang, sent in product(m.sources, LANGS, SENTIMENTS):
            assert at_zero(
                "spikewatch_mentions_consumed_total", brand=b, source=src, lang=lang, sentiment=sent
            )
        for kind, sev in product(KINDS, SEVERITIES):
            assert at_zero("spikewatch_incidents_opened_total", brand=b, kind=kind, severity=sev)
        for ch in m.sources:
            assert at_zero("spikewatch_first_response_seconds_count", brand=b, channel=ch)
    for reason in REASONS:
        assert at_zero("spikewatch_invalid_records_total", reason=reason)
    for stage in STAGES:
        assert at_zero("spikewatch_stage_duration_seconds_count", stage=stage)
    for action, res in product(ALERT_ACTIONS, RESULTS):
        assert at_zero("spikewatch_alerts_total", action=action, result=res)
    assert at_zero("spikewatch_slack_request_duration_seconds_count")


# -- naming conventions ---------------------------------------------------------------------


def test_names_follow_prometheus_conventions(reg: CollectorRegistry, m: Metrics) -> None:
    families = list(text_string_to_metric_families(generate_latest(reg).decode()))
    ours = [f for f in families if not f.name.startswith("process_")]
    assert len(ours) > 20
    for fam in ours:
        assert fam.name.startswith("spikewatch_"), fam.name
        assert fam.documentation, fam.name
        if fam.type == "counter":
            assert all(s.name.endswith(("_total", "_created")) for s in fam.samples), fam.name
        if fam.type == "histogram":
            assert fam.name.endswith("_seconds"), fam.name
        if fam.name.endswith("_ratio"):
            assert fam.type == "gauge"
        for sample in fam.samples:
            assert "brand" not in sample.labels or sample.labels["brand"] in m.brands
            assert "lang" not in sample.labels or sample.labels["lang"] in LANGS
            assert "sentiment" not in sample.labels or sample.labels["sentiment"] in SENTIMENTS


def test_a_registry_of_its_own_gets_process_metrics_once() -> None:
    reg = CollectorRegistry()
    Metrics(reg, brands=BRANDS)
    assert value(reg, "process_resident_memory_bytes") is not None
    reg2 = CollectorRegistry()
    ProcessCollector(registry=reg2)
    Metrics(reg2, brands=BRANDS)  # the caller's collector is kept, no duplicate error
    assert value(reg2, "process_resident_memory_bytes") is not None


def test_build_info_is_one(reg: CollectorRegistry, m: Metrics) -> None:
    (fam,) = [f for f in reg.collect() if f.name == "spikewatch_build_info"]
    assert [s.value for s in fam.samples] == [1.0]
    assert fam.samples[0].labels["version"]


# -- label folding ----------------------------------------------------------------------------


def test_mention_consumed_counts_and_folds_unknown_values(
    reg: CollectorRegistry, m: Metrics
) -> None:
    m.mention_consumed("NordBank", "X", "fi-FI", "negative")
    m.mention_consumed("nordbank", "x", "fi", "negative")
    m.mention_consumed("acme", "tiktok", "de", "furious")
    m.mention_consumed("nordbank", "chat", None, None)
    labels = {"brand": "nordbank", "source": "x", "lang": "fi", "sentiment": "negative"}
    assert value(reg, "spikewatch_mentions_consumed_total", **labels) == 2.0
    other = {"brand": "other", "source": "other", "lang": "other", "sentiment": "neutral"}
    assert value(reg, "spikewatch_mentions_consumed_total", **other) == 1.0
    unknown_lang = {"brand": "nordbank", "source": "chat", "lang": "other", "sentiment": "neutral"}
    assert value(reg, "spikewatch_mentions_consumed_total", **unknown_lang) == 1.0


SHARED = Metrics(CollectorRegistry(), brands=BRANDS)  # one instance for all examples below


@settings(max_examples=30, deadline=None)
@given(
    brand=st.text(max_size=20),
    source=st.text(max_size=10),
    lang=st.one_of(st.none(), st.text(max_size=8)),
    sentiment=st.one_of(st.none(), st.text(max_size=8)),
    reason=st.text(max_size=20),
)
def test_no_data_value_ever_adds_a_series(
    brand: str, source: str, lang: str | None, sentiment: str | None, reason: str
) -> None:
    m = SHARED
    before = series_count(m.registry)
    m.mention_consumed(brand, source, lang, sentiment)
    m.invalid(reason)
    m.response_time(brand, source, 10.0, within_promise=True)
    m.backlog(brand, source, 3, 10.0, 5.0)
    m.event_time(brand, 1.0, now=2.0)
    ev = {"observed": 1.0, "expected": 1.0, "negative_share": 0.5, "baseline_share": 0.5}
    m.observe_signal(Signal(brand, "volume_surge", 1.0, 0.5, True, "low", ev))
    m.incident_opened(brand, "backlog", "low")
    m.open_incidents(brand, "low", 1)
    assert series_count(m.registry) == before


def test_invalid_counts_by_reason_and_unknown_reason_is_other(
    reg: CollectorRegistry, m: Metrics
) -> None:
    m.invalid("invalid_json")
    m.invalid("something_new")
    assert value(reg, "spikewatch_invalid_records_total", reason="invalid_json") == 1.0
    assert value(reg, "spikewatch_invalid_records_total", reason="other") == 1.0


@pytest.mark.parametrize(
    "call",
    [
        lambda m: m.observe_stage("parse", 0.1),
        lambda m: m.incident_opened("nordbank", "volume_surge", "none"),
        lambda m: m.incident_opened("nordbank", "outage", "low"),
        lambda m: m.incident_resolved("nordbank", "outage", 60.0),
        lambda m: m.open_incidents("nordbank", "urgent", 1),
        lambda m: m.alert_sent("post", "maybe"),
        lambda m: m.status_update("sent"),
    ],
)
def test_code_side_labels_outside_their_set_are_bugs(m: Metrics, call: object) -> None:
    with pytest.raises(ValueError, match="is not one of"):
        call(m)  # type: ignore[operator]


# -- each method ------------------------------------------------------------------------------


def test_observe_stage_fills_the_histogram(reg: CollectorRegistry, m: Metrics) -> None:
    m.observe_stage("enrich", 0.01)
    m.observe_stage("enrich", -1.0)  # a clock step back counts as 0
    m.observe_stage("detect", 0.002)
    assert value(reg, "spikewatch_stage_duration_seconds_count", stage="enrich") == 2.0
    assert value(reg, "spikewatch_stage_duration_seconds_count", stage="detect") == 1.0
    assert value(reg, "spikewatch_stage_duration_seconds_bucket", stage="detect", le="0.001") == 0
    assert value(reg, "spikewatch_stage_duration_seconds_bucket", stage="detect", le="0.0025") == 1


def test_observe_signal_sets_gauges_and_clamps_ratios(reg: CollectorRegistry, m: Metrics) -> None:
    ev = {"observed": 40, "expected": 12.5, "negative_share": 1.4, "baseline_share": -0.1}
    m.observe_signal(Signal("nordbank", "volume_surge", 0.0, 0.9, True, "high", ev))
    assert (
        value(reg, "spikewatch_detector_observed_mentions", brand="nordbank", kind="volume_surge")
        == 40
    )
    assert (
        value(reg, "spikewatch_detector_expected_mentions", brand="nordbank", kind="volume_surge")
        == 12.5
    )
    assert value(reg, "spikewatch_detector_score", brand="nordbank", kind="volume_surge") == 0.9
    assert value(reg, "spikewatch_negative_share_ratio", brand="nordbank") == 1.0
    assert value(reg, "spikewatch_negative_share_baseline_ratio", brand="nordbank") == 0.0


def test_observe_signal_without_shares_leaves_them_alone(
    reg: CollectorRegistry, m: Metrics
) -> None:
    ev = {"negative_count": 5, "total": 40, "negative_share": 0.3, "baseline_share": 0.1}
    m.observe_signal(Signal("nordbank", "negative_burst", 0.0, 0.4, False, "none", ev))
    m.observe_signal(Signal("nordbank", "volume_surge", 0.0, 0.2, False, "none", {"observed": 9}))
    assert value(reg, "spikewatch_negative_share_ratio", brand="nordbank") == 0.3
    assert value(reg, "spikewatch_negative_share_baseline_ratio", brand="nordbank") == 0.1
    assert value(reg, "spikewatch_detector_score", brand="nordbank", kind="volume_surge") == 0.2


def test_incidents(reg: CollectorRegistry, m: Metrics) -> None:
    m.incident_opened("nordbank", "volume_surge", "high")
    m.open_incidents("nordbank", "high", 1)
    m.incident_resolved("nordbank", "volume_surge", 1200.0)
    m.open_incidents("nordbank", "high", 0)
    opened = {"brand": "nordbank", "kind": "volume_surge", "severity": "high"}
    assert value(reg, "spikewatch_incidents_opened_total", **opened) == 1.0
    assert value(reg, "spikewatch_open_incidents", brand="nordbank", severity="high") == 0.0
    duration = {"brand": "nordbank", "kind": "volume_surge"}
    assert value(reg, "spikewatch_incident_duration_seconds_sum", **duration) == 1200.0
    assert value(reg, "spikewatch_incident_duration_seconds_count", **duration) == 1.0


def test_delivery_counters_and_slack_latency(reg: CollectorRegistry, m: Metrics) -> None:
    m.alert_sent("post", "ok")
    m.alert_sent("thread_reply", "failed")
    m.alert_sent("thread_reply", "failed")
    m.alert_sent("carrier_pigeon", "ok")
    m.status_update("retried")
    m.slack_latency(0.3)
    assert value(reg, "spikewatch_alerts_total", action="post", result="ok") == 1.0
    assert value(reg, "spikewatch_alerts_total", action="thread_reply", result="failed") == 2.0
    assert value(reg, "spikewatch_alerts_total", action="other", result="ok") == 1.0
    assert value(reg, "spikewatch_status_updates_total", result="retried") == 1.0
    assert value(reg, "spikewatch_slack_request_duration_seconds_bucket", le="0.25") == 0.0
    assert value(reg, "spikewatch_slack_request_duration_seconds_bucket", le="0.5") == 1.0


def test_event_time_never_moves_backwards_and_lag_uses_now(
    reg: CollectorRegistry, m: Metrics
) -> None:
    t0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC).timestamp()
    m.event_time("nordbank", t0, now=t0 + 30)
    assert value(reg, "spikewatch_event_time_lag_seconds", brand="nordbank") == 30.0
    m.event_time("nordbank", t0 - 600, now=t0 + 40)  # a late, out-of-order event
    assert value(reg, "spikewatch_last_event_timestamp_seconds", brand="nordbank") == t0
    assert value(reg, "spikewatch_event_time_lag_seconds", brand="nordbank") == 40.0
    later = datetime(2026, 3, 2, 8, 5, tzinfo=UTC)
    m.event_time("nordbank", later, now=later)
    assert value(reg, "spikewatch_last_event_timestamp_seconds", brand="nordbank") == t0 + 300
    assert value(reg, "spikewatch_event_time_lag_seconds", brand="nordbank") == 0.0
    assert value(reg, "spikewatch_last_event_timestamp_seconds", brand="lumoverkko") == 0.0


def test_consumer_lag_per_partition_and_forget(reg: CollectorRegistry, m: Metrics) -> None:
    m.consumer_lag("mentions", 0, 120)
    m.consumer_lag("mentions", 1, -5)
    assert value(reg, "spikewatch_consumer_lag_messages", topic="mentions", partition="0") == 120
    assert value(reg, "spikewatch_consumer_lag_messages", topic="mentions", partition="1") == 0
    m.forget_partition("mentions", 0)
    m.forget_partition("mentions", 7)  # never owned: no error
    assert value(reg, "spikewatch_consumer_lag_messages", topic="mentions", partition="0") is None


def test_response_time_and_promise(reg: CollectorRegistry, m: Metrics) -> None:
    m.set_response_promise("nordbank", 3600)
    m.response_time("nordbank", "x", 600.0, within_promise=True)
    m.response_time("nordbank", "x", 7000.0, within_promise=False)
    labels = {"brand": "nordbank", "channel": "x"}
    assert value(reg, "spikewatch_response_promise_seconds", brand="nordbank") == 3600
    assert value(reg, "spikewatch_first_response_seconds_count", **labels) == 2.0
    assert value(reg, "spikewatch_first_responses_within_promise_total", **labels) == 1.0
    assert value(reg, "spikewatch_first_response_seconds_bucket", **labels, le="900.0") == 1.0


def test_backlog_rates_are_stored_per_second(reg: CollectorRegistry, m: Metrics) -> None:
    m.backlog("nordbank", "facebook", 42, 360.0, 180.0)
    labels = {"brand": "nordbank", "channel": "facebook"}
    assert value(reg, "spikewatch_backlog_open_mentions", **labels) == 42
    assert value(reg, "spikewatch_backlog_inflow_per_second", **labels) == pytest.approx(0.1)
    assert value(reg, "spikewatch_backlog_answered_per_second", **labels) == pytest.approx(0.05)


# -- observe_signal -----------------------------------------------------------------------------


def test_observe_signal_volume(reg: CollectorRegistry, m: Metrics) -> None:
    ev = {"observed": 40, "expected": 8.5, "negative_share": 0.6, "baseline_share": 0.15}
    m.observe_signal(Signal("nordbank|x", "volume_surge", 1.0, 0.97, True, "high", ev))
    labels = {"brand": "nordbank", "kind": "volume_surge"}
    assert value(reg, "spikewatch_detector_observed_mentions", **labels) == 40
    assert value(reg, "spikewatch_detector_expected_mentions", **labels) == 8.5
    assert value(reg, "spikewatch_detector_score", **labels) == 0.97
    assert value(reg, "spikewatch_negative_share_ratio", brand="nordbank") == 0.6
    assert value(reg, "spikewatch_negative_share_baseline_ratio", brand="nordbank") == 0.15


def test_observe_signal_negative_burst_uses_negative_counts(
    reg: CollectorRegistry, m: Metrics
) -> None:
    ev = {"negative_count": 12, "total": 20, "negative_share": 0.6, "baseline_share": 0.1}
    m.observe_signal(Signal("nordbank", "negative_burst", 1.0, 0.8, True, "medium", ev))
    labels = {"brand": "nordbank", "kind": "negative_burst"}
    assert value(reg, "spikewatch_detector_observed_mentions", **labels) == 12
    assert value(reg, "spikewatch_detector_expected_mentions", **labels) == pytest.approx(2.0)


def test_observe_signal_with_light_evidence_keeps_earlier_values(
    reg: CollectorRegistry, m: Metrics
) -> None:
    full = {"observed": 40, "expected": 8.0, "negative_share": 0.6, "baseline_share": 0.15}
    m.observe_signal(Signal("nordbank", "volume_surge", 1.0, 0.9, True, "high", full))
    light = {"observed": 9, "expected": "n/a", "negative_share": float("nan")}
    m.observe_signal(Signal("nordbank", "volume_surge", 2.0, 0.1, False, "none", light))
    labels = {"brand": "nordbank", "kind": "volume_surge"}
    assert value(reg, "spikewatch_detector_observed_mentions", **labels) == 9
    assert value(reg, "spikewatch_detector_expected_mentions", **labels) == 8.0
    assert value(reg, "spikewatch_negative_share_ratio", brand="nordbank") == 0.6
    assert value(reg, "spikewatch_detector_score", **labels) == 0.1


def test_observe_signal_backlog_and_unknown_kinds(reg: CollectorRegistry, m: Metrics) -> None:
    ev = {"backlog": 17, "promise_seconds": 3600, "inflow_per_hour": 30.0}
    m.observe_signal(Signal("lumoverkko", "backlog", 1.0, 0.4, False, "none", ev))
    assert value(reg, "spikewatch_response_promise_seconds", brand="lumoverkko") == 3600
    labels = {"brand": "lumoverkko", "kind": "backlog"}
    assert value(reg, "spikewatch_detector_observed_mentions", **labels) == 17
    before = series_count(reg)
    m.observe_signal(Signal("acme", "weather", 1.0, 0.5, True, "low", {"observed": 1}))
    assert series_count(reg) == before


# -- per-batch aggregation (issue 20) ---------------------------------------------------


def _samples_without_created(reg: CollectorRegistry) -> list[tuple[str, tuple[Any, ...], float]]:
    return sorted(
        (s.name, tuple(sorted(s.labels.items())), s.value)
        for f in reg.collect()
        for s in f.samples
        if not s.name.endswith("_created")
        and f.name != "process"
        and not s.name.startswith("process_")
    )


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["nordbank", "NordBank ", "unknown"]),
            st.sampled_from(["x", "web", "fax"]),
            st.sampled_from(["fi", "en-GB", None, "de"]),
            st.sampled_from(["negative", "positive", None, "angry"]),
            st.sampled_from(["validate", "enrich", "detect"]),
            st.floats(min_value=-1.0, max_value=1e4, allow_nan=False),
        ),
        max_size=60,
    )
)
def test_a_batch_gives_the_same_samples_as_the_calls_one_by_one(
    calls: list[tuple[str, str, str | None, str | None, str, float]],
) -> None:
    one, batched = CollectorRegistry(), CollectorRegistry()
    m1, m2 = Metrics(one, brands=BRANDS), Metrics(batched, brands=BRANDS)
    for brand, source, lang, sent, stage, sec in calls:
        m1.mention_consumed(brand, source, lang, sent)
        m1.observe_stage(stage, sec)
    with m2.batch():
        for brand, source, lang, sent, stage, sec in calls:
            m2.mention_consumed(brand, source, lang, sent)
            m2.observe_stage(stage, sec)
        if calls:  # nothing shows before the batch ends
            assert value(batched, "spikewatch_stage_duration_seconds_count", stage=calls[0][4]) == 0
    a, b = _samples_without_created(one), _samples_without_created(batched)
    assert [x[:2] for x in a] == [x[:2] for x in b]
    for x, y in zip(a, b, strict=True):
        assert x[2] == pytest.approx(y[2], rel=1e-9, abs=1e-9), x


def test_a_batch_flushes_when_its_block_raises_and_checks_stages_at_once(m: Metrics) -> None:
    reg = m.registry

    def failing_batch() -> None:
        with m.batch():
            m.mention_consumed("nordbank", "x", "fi", "negative")
            raise RuntimeError("mid-batch")

    with pytest.raises(RuntimeError, match="mid-batch"):
        failing_batch()
    n = value(
        reg,
        "spikewatch_mentions_consumed_total",
        brand="nordbank",
        source="x",
        lang="fi",
        sentiment="negative",
    )
    assert n == 1
    with m.batch(), pytest.raises(ValueError, match="stage"):
        m.observe_stage("no-such-stage", 0.1)


def test_signal_readings_take_finite_numbers_only() -> None:
    from streams.signal_readings import readings

    ev = {"negative_count": 12, "total": 40, "negative_share": 0.3, "baseline_share": 0.1}
    r = readings(Signal("b", "negative_burst", 0.0, 0.7, True, "high", ev))
    assert (r.observed, r.expected, r.share, r.baseline_share) == (12.0, 4.0, 0.3, 0.1)
    bad = {"observed": "x", "expected": float("inf"), "negative_share": True}
    r = readings(Signal("b", "volume_surge", 0.0, float("nan"), False, "none", bad))
    assert r == (None, None, None, None, None, None)
    r = readings(
        Signal("b", "backlog", 0.0, 0.2, False, "none", {"backlog": 7, "promise_seconds": 60})
    )
    assert (r.observed, r.expected, r.promise) == (7.0, None, 60.0)
