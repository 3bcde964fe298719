"""``spikewatch demo``: local broker, a worker, a replayed Finnish bank outage.

Shows, as it happens, the alert, the incident and the draft status update the
worker produces (printed as they would be posted when no Slack token is set,
posted for real with ``SLACK_BOT_TOKEN``), while the worker serves ``/metrics``.
The scenario's event times are shifted so that it ends now: the worker treats it
as live traffic.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from importlib import resources
from pathlib import Path

from detectors.mention import format_time, parse_time
from streams.settings import load_settings

SCENARIO = "data/demo_nordbank_outage.ndjson"


def _say(msg: str) -> None:
    print(f"\033[1m[demo]\033[0m {msg}", flush=True)


def shifted_scenario(dest: Path, end: datetime) -> tuple[int, float]:
    """Write the bundled scenario moved by whole days to end at or before ``end``.

    Whole days keep the morning a morning (quiet hours and working hours still apply).
    """
    lines = resources.files("streams").joinpath(SCENARIO).read_text(encoding="utf-8").splitlines()
    objs = [json.loads(x) for x in lines if x.strip()]
    times = [parse_time(o["created_at"]) for o in objs]
    delta = timedelta(days=(end - max(times)).days)
    with dest.open("w", encoding="utf-8") as f:
        for o, t in zip(objs, times, strict=True):
            o["created_at"] = format_time(t + delta)
            f.write(json.dumps(o, ensure_ascii=False) + "\n")
    return len(objs), (max(times) - min(times)).total_seconds()


def _wait_http(url: str, timeout: float, proc: subprocess.Popen[bytes]) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        try:
            with urllib.request.urlopen(url, timeout=1) as r:  # noqa: S310 - loopback only
                if r.status == 200:
                    return True
        except OSError:
            pass
        time.sleep(0.5)
    return False


def _pump(stream: object, prefix: str) -> None:
    for raw in iter(stream.readline, b""):  # type: ignore[attr-defined]
        sys.stdout.write(prefix + raw.decode("utf-8", "replace"))
        sys.stdout.flush()


def metric_summary(url: str) -> list[str]:
    """The demo's closing figures, summed from the worker's /metrics."""
    from prometheus_client.parser import text_string_to_metric_families

    try:
        with urllib.request.urlopen(url, timeout=2) as r:  # noqa: S310 - loopback only
            text = r.read().decode()
    except OSError:
        return ["(metrics not reachable)"]
    sums: dict[str, dict[str, float]] = {}
    by = {
        "spikewatch_mentions_consumed_total": "sentiment",
        "spikewatch_invalid_records_total": "reason",
        "spikewatch_incidents_opened_total": "kind",
        "spikewatch_alerts_total": "action",
    }
    for fam in text_string_to_metric_families(text):
        for smp in fam.samples:
            label = by.get(smp.name)
            if label and smp.value:
                d = sums.setdefault(smp.name, {})
                d[smp.labels.get(label, "")] = d.get(smp.labels.get(label, ""), 0) + smp.value
    out = []
    for name, d in sums.items():
        parts = ", ".join(f"{k} {v:g}" for k, v in sorted(d.items()))
        out.append(f"{name.removeprefix('spikewatch_')}: {sum(d.values()):g} ({parts})")
    return out


def run_demo(seconds: float = 60.0, keep_running: bool = False) -> int:
    settings = load_settings()
    env = dict(os.environ)
    if not settings.kafka_bootstrap_servers:
        from streams.broker import BrokerError, BrokerPaths, start

        _say("starting the local Kafka broker (the first run downloads it with Maven)...")
        try:
            start(BrokerPaths.from_env())
        except BrokerError as exc:
            _say(f"cannot start the broker: {exc}")
            return 1
    run = f"demo{int(time.time())}"
    env.setdefault("SPIKEWATCH_APP_ID", f"spikewatch-{run}")
    env.setdefault("SPIKEWATCH_TOPIC_PREFIX", f"{run}.")
    workdir = Path(tempfile.mkdtemp(prefix="spikewatch-demo-"))
    env.setdefault("SPIKEWATCH_DATA_DIR", str(workdir / "data"))
    port = settings.web_port
    metrics_url = f"http://127.0.0.1:{port}/metrics"
    log_path = workdir / "worker.log"
    _say("starting a worker (Faust) ...")
    with log_path.open("wb") as log:
        worker = subprocess.Popen(
            [sys.executable, "-m", "streams.cli", "worker"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=log,
        )
        threading.Thread(target=_pump, args=(worker.stdout, ""), daemon=True).start()
        try:
            if not _wait_http(f"http://127.0.0.1:{port}/healthz", 90, worker):
                _say(f"the worker did not come up; its log: {log_path}")
                return 1
            _say(f"worker ready; metrics at {metrics_url}")
            scenario = workdir / "scenario.ndjson"
            n, span = shifted_scenario(scenario, datetime.now(UTC) - timedelta(seconds=5))
            speed = max(1.0, span / max(1.0, seconds))
            _say(
                f"replaying a Finnish bank outage: {n} mentions over {span / 3600:.1f} h "
                f"of event time at {speed:.0f}x ({span / speed:.0f} s)"
            )
            from streams.app import bootstrap_servers
            from streams.ingest import replay

            replay(
                scenario,
                bootstrap_servers(settings),
                env["SPIKEWATCH_TOPIC_PREFIX"] + "mentions",
                speed,
                progress=lambda i, total: (
                    _say(f"  replayed {i}/{total}") if i % 1000 == 0 else None
                ),
            )
            time.sleep(5)
            _say(f"replay done. Figures from {metrics_url}:")
            for ln in metric_summary(metrics_url):
                print("   ", ln)
            if keep_running:
                _say(f"worker still running (Ctrl-C to stop); metrics at {metrics_url}")
                worker.wait()
        except KeyboardInterrupt:
            pass
        finally:
            if worker.poll() is None:
                worker.send_signal(signal.SIGTERM)
                try:
                    worker.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    worker.kill()
            _say(f"worker stopped; its log is {log_path}")
    return 0
