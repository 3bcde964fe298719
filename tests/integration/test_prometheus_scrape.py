"""The real Prometheus scrapes a worker's /metrics; every dashboard query returns data.

Also runs promtool over the config, the rules (syntax and unit tests) and the worker's
exposition. Needs Debian's ``prometheus`` package (``bash deploy/prometheus/install.sh``):
missing binaries skip these tests, or fail them when ``CI`` is set.

By default the scraped worker is a stand-in: a prometheus_client HTTP server exposing a
:class:`streams.metrics.Metrics` that a background thread moves like a live worker (mentions,
dead letters, detector state, incidents opening and resolving, Slack deliveries, lag,
response times). Set ``SPIKEWATCH_SCRAPE_TARGETS=host:port[,host:port]`` to scrape real
workers instead (for example the one that processed the demo scenario): start the test
while the replay is still running, because rate(), increase() and the incident
annotations need Prometheus to see the counters move.
"""

from __future__ import annotations

import os
import random
import threading
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from prometheus_client import CollectorRegistry, start_http_server

from streams.metrics import ALERT_ACTIONS, KINDS, REASONS, SEVERITIES, STAGES, Metrics
from tests import promtools

pytestmark = pytest.mark.integration

BRANDS = ("nordbank", "lumoverkko", "skyways")
SOURCES = ("x", "facebook", "instagram", "chat", "web")


class StandInWorker:
    """Moves a Metrics instance the way a live worker would, a tick every 0.2 s."""

    def __init__(self, metrics: Metrics, seed: int = 7) -> None:
        self.m = metrics
        self.rng = random.Random(seed)
        self.tick_no = 0
        self.open: dict[tuple[str, str, str], float] = {}
        self.stop_event = threading.Event()
        self.thread = threading.Thread(target=self._run, name="stand-in-worker", daemon=True)

    def start(self) -> None:
        for brand in BRANDS:
            self.m.set_response_promise(brand, 3600)
        self.thread.start()

    def stop(self) -> None:
        self.stop_event.set()
        self.thread.join(timeout=5)

    def _run(self) -> None:
        while not self.stop_event.is_set():
            self.tick()
            self.stop_event.wait(0.2)

    def tick(self) -> None:
        m, rng, now = self.m, self.rng, time.time()
        self.tick_no += 1
        surge = self.tick_no % 20 >= 10  # nordbank has an outage half of the time
        for brand in BRANDS:
            n = rng.randint(20, 40) if (surge and brand == "nordbank") else rng.randint(2, 6)
            negatives = 0
            for _ in range(n):
                sentiment = rng.choices(
                    ("negative", "neutral", "positive"), (0.7 if surge else 0.2, 0.6, 0.2)
                )[0]
                negatives += sentiment == "negative"
                m.mention_consumed(
                    brand,
                    rng.choice(SOURCES),
                    rng.choice(("fi", "fi", "en", "sv", "de")),
                    sentiment,
                )
                for stage in STAGES[:3]:
                    m.observe_stage(stage, rng.uniform(0.0002, 0.02))
                m.event_time(brand, now - rng.uniform(1, 30), now=now)
            m.detector_state(
                brand, "volume_surge", n, 4.0, negatives / n, 0.2, score=min(1.0, n / 40)
            )
            m.detector_state(brand, "negative_burst", negatives, n * 0.2, score=negatives / n)
            for ch in SOURCES:
                waiting = rng.randint(0, 30)
                m.backlog(brand, ch, waiting, rng.uniform(10, 60), rng.uniform(10, 60))
                seconds = rng.expovariate(1 / 1800)
                m.response_time(brand, ch, seconds, within_promise=seconds <= 3600)
        m.invalid(rng.choice(REASONS))
        for stage in STAGES[3:]:
            m.observe_stage(stage, rng.uniform(0.001, 0.2))
        for partition in range(4):
            m.consumer_lag("mentions", partition, rng.randint(0, 50))
        m.slack_latency(rng.uniform(0.05, 0.8))
        m.alert_sent(rng.choice(ALERT_ACTIONS), rng.choice(("ok", "ok", "ok", "failed", "retried")))
        m.status_update(rng.choice(("ok", "ok", "failed")))
        self._incidents(now)

    def _incidents(self, now: float) -> None:
        # Open one incident every few ticks, resolve the oldest when more than three are open.
        if self.tick_no % 3 == 1:
            key = (
                self.rng.choice(BRANDS),
                self.rng.choice(KINDS),
                self.rng.choice(SEVERITIES),
            )
            if key not in self.open:
                self.open[key] = now
                self.m.incident_opened(*key)
        if len(self.open) > 3:
            key, opened = min(self.open.items(), key=lambda kv: kv[1])
            del self.open[key]
            self.m.incident_resolved(key[0], key[1], (now - opened) * 600)
        for brand in BRANDS:
            for sev in SEVERITIES:
                n = sum(1 for (b, _, s) in self.open if b == brand and s == sev)
                self.m.open_incidents(brand, sev, n)


@dataclass
class Scraped:
    base_url: str
    targets: list[str]


def _start_stand_in() -> tuple[str, StandInWorker, object]:
    reg = CollectorRegistry()
    worker = StandInWorker(Metrics(reg, brands=BRANDS, sources=SOURCES))
    server, _ = start_http_server(0, addr="127.0.0.1", registry=reg)
    worker.start()
    return f"127.0.0.1:{server.server_port}", worker, server


@pytest.fixture(scope="module")
def scraped(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scraped]:
    promtools.require_binaries("prometheus")
    env_targets = os.environ.get("SPIKEWATCH_SCRAPE_TARGETS", "").strip()
    worker = server = None
    if env_targets:
        targets = [t.strip() for t in env_targets.split(",") if t.strip()]
    else:
        target, worker, server = _start_stand_in()
        targets = [target]
    base_url, stop = promtools.start_prometheus(targets, tmp_path_factory.mktemp("prometheus"))
    try:
        promtools.wait_for_targets(base_url, len(targets))
        # Rates over 15 s windows need a few scrapes; recording rules need an evaluation.
        deadline = time.monotonic() + 30
        probe = "job:spikewatch_invalid_records:ratio_rate5m"
        while time.monotonic() < deadline:
            if promtools.has_data(promtools.query_range(base_url, probe, seconds=10)):
                break
            time.sleep(0.5)
        time.sleep(3)
        yield Scraped(base_url, targets)
    finally:
        stop()
        if worker is not None:
            worker.stop()
        if server is not None:
            server.shutdown()  # type: ignore[attr-defined]


def test_every_dashboard_query_returns_data(scraped: Scraped) -> None:
    queries = promtools.dashboard_queries()
    pending = list(queries)
    errors: dict[tuple[str, str, str], str] = {}
    deadline = time.monotonic() + 20
    while pending and time.monotonic() < deadline:
        still = []
        for q in pending:
            try:
                ok = promtools.has_data(promtools.query_range(scraped.base_url, q[2], seconds=30))
            except ValueError as exc:  # PromQL that Prometheus rejects: no retry helps
                errors[q] = str(exc)
                continue
            if not ok:
                still.append(q)
        pending = still
        if pending:
            time.sleep(1)
    problems = [f"{d} / {p}: {e}\n    {errors[(d, p, e)]}" for d, p, e in errors]
    problems += [f"{d} / {p}: no data\n    {e}" for d, p, e in pending]
    assert not problems, f"{len(problems)} of {len(queries)} queries:\n" + "\n".join(problems)


def test_the_data_check_can_fail(scraped: Scraped) -> None:
    base = scraped.base_url
    assert not promtools.has_data(promtools.query_range(base, "spikewatch_no_such_metric"))
    nan = promtools.query_range(base, "vector(0) / vector(0)")  # a series, but only NaN
    assert nan["result"]
    assert not promtools.has_data(nan)
    with pytest.raises(ValueError, match="parse error"):
        promtools.query_range(base, "sum(rate(spikewatch_mentions_consumed_total[15s])")


def test_queries_cover_every_dashboard_panel() -> None:
    queries = promtools.dashboard_queries()
    for name, dash in promtools.dashboards().items():
        panels = {p["title"] for p in dash["panels"] if p["type"] != "row"}
        covered = {panel for d, panel, _ in queries if d == dash["title"]}
        assert panels <= covered, name
        assert any(p.startswith("annotation: ") for p in covered), name
        assert "variable: brand" in covered, name
    assert all("$" not in expr for _, _, expr in queries)


def test_pipeline_rules_evaluate_without_errors(scraped: Scraped) -> None:
    groups = promtools.api(scraped.base_url, "/api/v1/rules")["groups"]
    rules = [r for g in groups for r in g["rules"]]
    assert {g["name"] for g in groups} == {"spikewatch-recording", "spikewatch-pipeline"}
    assert [r["name"] for r in rules if r["health"] != "ok"] == []
    assert all(r["lastEvaluation"] != "0001-01-01T00:00:00Z" for r in rules)


def test_promtool_check_metrics_on_the_worker_reports_nothing(scraped: Scraped) -> None:
    promtools.require_binaries("promtool")
    for target in scraped.targets:
        with urllib.request.urlopen(f"http://{target}/metrics", timeout=5) as resp:
            exposition = resp.read()
        assert b"spikewatch_mentions_consumed_total" in exposition
        out = promtools.promtool("check", "metrics", stdin=exposition)
        assert (out.returncode, out.stdout + out.stderr) == (0, "")


def test_promtool_check_config() -> None:
    promtools.require_binaries("promtool")
    out = promtools.promtool("check", "config", "deploy/prometheus/prometheus.yml")
    assert out.returncode == 0, out.stdout + out.stderr
    assert "2 rule files found" in out.stdout


def test_promtool_check_rules() -> None:
    promtools.require_binaries("promtool")
    files = [str(p.relative_to(promtools.ROOT)) for p in promtools.RULE_FILES]
    out = promtools.promtool("check", "rules", *files)
    assert out.returncode == 0, out.stdout + out.stderr
    assert out.stdout.count("SUCCESS") == len(files) >= 2


def test_promtool_alert_unit_tests() -> None:
    promtools.require_binaries("promtool")
    out = promtools.promtool("test", "rules", "deploy/prometheus/tests/alerts_test.yml")
    assert out.returncode == 0, out.stdout + out.stderr


def test_missing_binaries_fail_in_ci_and_skip_elsewhere(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(promtools.shutil, "which", lambda name: None)
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match=r"install\.sh"):
        promtools.require_binaries("prometheus")
    monkeypatch.delenv("CI")
    with pytest.raises(pytest.skip.Exception):
        promtools.require_binaries("prometheus")
