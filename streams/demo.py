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
from typing import Any

from detectors.mention import format_time, parse_time
from streams.settings import load_settings

SCENARIO = "data/demo_nordbank_outage.ndjson"
DEMO_USER = "demo"  # who clicks on the user's behalf

# The demo's comms team, at these times of the bundled scenario (UTC; the outage starts
# at 08:00): (time of day, action, button). The demo replays up to each time, waits until
# the worker's incidents got there, and clicks on the user's behalf.
CLICKS = (
    ("08:16", "ack", "Acknowledge"),
    ("08:31", "identify", "Cause identified"),
    ("09:26", "fix", "Fix deployed"),
)
# What a click shows on the incidents topic once the worker applied it.
EFFECTS = {
    "ack": ("acknowledged",),
    "identify": ("stage_changed",),
    "fix": ("stage_changed",),
    "resolve": ("resolved", "resolve_refused"),
}


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
    """Presses the incident's buttons on the user's behalf, as the demo's script says.

    It reads the worker's ``incidents`` topic (the newest event time there, the open
    incidents, what happened to them) and writes the same ``incident.commands``
    record a Slack click would. The worker applies it at the incident's event time,
    exactly like a person's click.
    """

    def __init__(self, bootstrap: str, prefix: str) -> None:
        self.bootstrap = bootstrap
        self.prefix = prefix
        self.incidents: dict[str, dict[str, Any]] = {}
        self.events: list[tuple[str, str]] = []  # (incident id, event type)
        self.newest = 0.0  # the newest event time seen on the incidents topic
        self.signal_time = 0.0  # ... and on the signals topic (the detectors' progress)
        self.seen_at = time.monotonic()
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True, name="demo-clicker")
        self._producer: Any = None

    def start(self) -> None:
        from kafka import KafkaProducer

        self._producer = KafkaProducer(bootstrap_servers=self.bootstrap.split(","), acks="all")
        self.thread.start()

    def _run(self) -> None:
        from kafka import KafkaConsumer

        consumer = KafkaConsumer(
            self.prefix + "incidents",
            self.prefix + "signals",
            bootstrap_servers=self.bootstrap.split(","),
            auto_offset_reset="earliest",
            enable_auto_commit=False,
            group_id=None,
            consumer_timeout_ms=300,
        )
        try:
            while not self.stop.is_set():
                for rec in consumer:
                    d = json.loads(rec.value)
                    if rec.topic.endswith(".signals") or rec.topic == "signals":
                        self.signal_time = max(self.signal_time, float(d.get("ts") or 0.0))
                        self.seen_at = time.monotonic()
                    else:
                        self._see(d)
        finally:
            consumer.close()

    def _see(self, d: dict[str, Any]) -> None:
        self.newest = max(self.newest, float(d.get("ts") or 0.0))
        self.seen_at = time.monotonic()
        inc = d.get("incident")
        if isinstance(inc, dict) and inc.get("id"):
            self.incidents[str(inc["id"])] = inc
            self.events.append((str(inc["id"]), str(d.get("type"))))

    def wait_for(self, event_time: float, timeout: float = 180.0, idle: float = 30.0) -> bool:
        """Wait until the worker's incidents reached ``event_time`` (False: gave up)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.newest >= event_time:
                return True
            if self.signal_time >= event_time and not self._open():
                time.sleep(3.0)  # the detectors got there and nothing is open
                return self.newest >= event_time
            if time.monotonic() - self.seen_at > idle:
                return False  # nothing moves any more
            time.sleep(0.2)
        return False

    def _open(self) -> bool:
        return any(i.get("status") != "resolved" for i in self.incidents.values())

    def click(self, action: str, button: str, timeout: float = 60.0) -> int:
        """Press ``button`` on every open crisis; wait until the worker applied it."""
        targets = [
            i
            for i in self.incidents.values()
            if i.get("news") == "crisis" and i.get("status") != "resolved"
        ]
        if not targets:
            _say(f"(no open incident to press [{button}] on)")
            return 0
        before = len(self.events)
        for inc in targets:
            record = {
                "brand": inc["brand"],
                "key": inc["key"],
                "incident_id": inc["id"],
                "user": DEMO_USER,
                "ts": time.time(),
                "action": action,
            }
            _say(f"pressing [{button}] on {inc['brand']}'s incident on your behalf")
            self._producer.send(
                self.prefix + "incident.commands",
                key=str(inc["brand"]).encode(),
                value=json.dumps(record).encode(),
            )
        self._producer.flush()
        deadline = time.monotonic() + timeout
        want = EFFECTS[action]
        while time.monotonic() < deadline:
            if any(t in want for _, t in self.events[before:]):
                break
            time.sleep(0.2)
        return len(targets)

    def close(self) -> None:
        self.stop.set()
        self.thread.join(timeout=10)
        if self._producer is not None:
            self._producer.close()


def _alerts_sent(url: str) -> float:
    from prometheus_client.parser import text_string_to_metric_families

    try:
        with urllib.request.urlopen(url, timeout=2) as r:  # noqa: S310 - loopback only
            text = r.read().decode()
    except OSError:
        return -1.0
    return sum(
        smp.value
        for fam in text_string_to_metric_families(text)
        for smp in fam.samples
        if smp.name == "spikewatch_alerts_total"
    )


def wait_settled(url: str, quiet: float = 6.0, timeout: float = 90.0) -> None:
    """Wait until the worker stopped sending to Slack for ``quiet`` seconds."""
    deadline = time.monotonic() + timeout
    last, since = _alerts_sent(url), time.monotonic()
    while time.monotonic() < deadline:
        time.sleep(1.0)
        now = _alerts_sent(url)
        if now != last:
            last, since = now, time.monotonic()
        elif time.monotonic() - since >= quiet:
            return


def click_times(scenario: Path) -> list[tuple[float, str, str]]:
    """The script's click times in the shifted scenario's event time."""
    with scenario.open(encoding="utf-8") as f:
        first = parse_time(json.loads(f.readline())["created_at"])
    day = first.replace(hour=0, minute=0, second=0, microsecond=0)
    out = []
    for hhmm, action, button in CLICKS:
        h, m = (int(x) for x in hhmm.split(":"))
        out.append(((day + timedelta(hours=h, minutes=m)).timestamp(), action, button))
    return out


def split_at(scenario: Path, times: list[float], workdir: Path) -> list[Path]:
    """The scenario cut into files at ``times`` (len(times) + 1 parts, some maybe empty)."""
    parts: list[list[str]] = [[] for _ in range(len(times) + 1)]
    with scenario.open(encoding="utf-8") as f:
        for line in f:
            if not line.strip():
                continue
            ts = parse_time(json.loads(line)["created_at"]).timestamp()
            parts[sum(ts >= t for t in times)].append(line)
    paths = []
    for i, lines in enumerate(parts):
        p = workdir / f"part{i}.ndjson"
        p.write_text("".join(lines), encoding="utf-8")
        paths.append(p)
    return paths


def _local(ts: float) -> str:
    """A time of day in Helsinki, as the team reads it."""
    from zoneinfo import ZoneInfo

    return datetime.fromtimestamp(ts, ZoneInfo("Europe/Helsinki")).strftime("%H:%M")


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
            from streams.ingest import replay
            from streams.settings import bootstrap_servers

            servers = bootstrap_servers(settings)
            clicker = Clicker(servers, env["SPIKEWATCH_TOPIC_PREFIX"])
            clicker.start()
            clicks = click_times(scenario)
            _say(
                "the demo plays the comms team and presses the buttons on your behalf: "
                + ", ".join(f"[{b}] at {_local(t)}" for t, _, b in clicks)
                + ", then [Resolved] at the end"
            )
            parts = split_at(scenario, [t for t, _, _ in clicks], workdir)
            sent = 0
            for i, part in enumerate(parts):
                sent += replay(part, servers, env["SPIKEWATCH_TOPIC_PREFIX"] + "mentions", speed)
                _say(f"  replayed {sent}/{n}")
                if i < len(clicks):
                    t, action, button = clicks[i]
                    clicker.wait_for(t - 120)
                    clicker.click(action, button)
            _say("waiting for the worker to catch up with the replay's event time ...")
            clicker.wait_for(end_ts - 900)
            clicker.click("resolve", "Resolved")
            wait_settled(metrics_url)
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
