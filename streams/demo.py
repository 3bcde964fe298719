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
DEMO_USER = "demo"  # who clicks on the user's behalf

# The demo's comms team, in event time after the incident opened: (minutes, action, button).
CLICKS = (
    (10.0, "ack", "Acknowledge"),
    (25.0, "identify", "Cause identified"),
    (80.0, "fix", "Fix deployed"),
)


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


class Clicker:
    """Presses the incident's stage buttons on the user's behalf, as the demo's script says.

    It reads the worker's ``incidents`` topic (the incident's event time moves with
    every record) and, once an incident is ``minutes`` old in event time, writes the
    same ``incident.commands`` record a Slack click would. The worker applies it at
    the incident's event time, exactly like a person's click.
    """

    def __init__(self, bootstrap: str, prefix: str) -> None:
        self.bootstrap = bootstrap
        self.prefix = prefix
        self.incidents: dict[str, dict[str, object]] = {}
        self.done: set[tuple[str, str]] = set()
        self.newest = 0.0  # the newest event time seen on the incidents topic
        self.seen_at = time.monotonic()
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True, name="demo-clicker")

    def start(self) -> None:
        self.thread.start()

    def _producer(self) -> object:
        from kafka import KafkaProducer

        return KafkaProducer(bootstrap_servers=self.bootstrap.split(","), acks="all")

    def _run(self) -> None:
        from kafka import KafkaConsumer

        consumer = KafkaConsumer(
            self.prefix + "incidents",
            bootstrap_servers=self.bootstrap.split(","),
            auto_offset_reset="earliest",
            enable_auto_commit=False,
            group_id=None,
            consumer_timeout_ms=500,
        )
        producer = self._producer()
        try:
            while not self.stop.is_set():
                for rec in consumer:
                    self._see(json.loads(rec.value), producer)
                    if self.stop.is_set():
                        break
        finally:
            consumer.close()
            producer.close()  # type: ignore[attr-defined]

    def _see(self, d: dict[str, object], producer: object) -> None:
        self.newest = max(self.newest, float(d.get("ts") or 0.0))  # type: ignore[arg-type]
        self.seen_at = time.monotonic()
        inc = d.get("incident")
        if not isinstance(inc, dict) or inc.get("news") != "crisis":
            return
        self.incidents[str(inc["id"])] = inc
        if inc.get("status") == "resolved":
            return
        age = float(d.get("ts") or 0.0) - float(inc["opened_at"])  # type: ignore[arg-type]
        for minutes, action, button in CLICKS:
            if age >= minutes * 60.0 and (str(inc["id"]), action) not in self.done:
                self.click(inc, action, button, producer)

    def click(self, inc: dict[str, object], action: str, button: str, producer: object) -> None:
        """Send one command, once per incident and action."""
        self.done.add((str(inc["id"]), action))
        record = {
            "brand": inc["brand"],
            "key": inc["key"],
            "incident_id": inc["id"],
            "user": DEMO_USER,
            "ts": time.time(),
            "action": action,
        }
        _say(
            f"clicking [{button}] on {inc['brand']}'s incident on your behalf "
            "(a person would, in Slack)"
        )
        producer.send(  # type: ignore[attr-defined]
            self.prefix + "incident.commands",
            key=str(inc["brand"]).encode(),
            value=json.dumps(record).encode(),
        )
        producer.flush()  # type: ignore[attr-defined]

    def wait_for(self, event_time: float, timeout: float = 240.0, idle: float = 30.0) -> bool:
        """Wait until the worker's incidents reached ``event_time`` (False: gave up)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.newest >= event_time:
                return True
            if time.monotonic() - self.seen_at > idle:
                return False  # nothing moves any more
            time.sleep(0.5)
        return False

    def resolve_all(self) -> None:
        """The end of the script: press [Resolved] on every open crisis."""
        producer = self._producer()
        try:
            for inc in list(self.incidents.values()):
                if inc.get("status") != "resolved":
                    self.click(inc, "resolve", "Resolved", producer)
        finally:
            producer.close()  # type: ignore[attr-defined]

    def close(self) -> None:
        self.stop.set()
        self.thread.join(timeout=10)


def _last_time(path: Path) -> float:
    with path.open(encoding="utf-8") as f:
        return max(parse_time(json.loads(x)["created_at"]).timestamp() for x in f if x.strip())


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
            end = datetime.now(UTC) - timedelta(seconds=5)
            n, span = shifted_scenario(scenario, end)
            end_ts = _last_time(scenario)
            speed = max(1.0, span / max(1.0, seconds))
            _say(
                f"replaying a Finnish bank outage: {n} mentions over {span / 3600:.1f} h "
                f"of event time at {speed:.0f}x ({span / speed:.0f} s)"
            )
            from streams.app import bootstrap_servers
            from streams.ingest import replay

            clicker = Clicker(bootstrap_servers(settings), env["SPIKEWATCH_TOPIC_PREFIX"])
            clicker.start()
            _say(
                "the demo plays the comms team: it presses [Acknowledge] 10 min, "
                "[Cause identified] 25 min and [Fix deployed] 80 min into the incident "
                "(event time), then [Resolved] at the end"
            )
            replay(
                scenario,
                bootstrap_servers(settings),
                env["SPIKEWATCH_TOPIC_PREFIX"] + "mentions",
                speed,
                progress=lambda i, total: (
                    _say(f"  replayed {i}/{total}") if i % 1000 == 0 else None
                ),
            )
            _say("waiting for the worker to catch up with the replay's event time ...")
            clicker.wait_for(end_ts - 900)
            clicker.resolve_all()
            time.sleep(5)
            clicker.close()
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
