"""The live pipeline on the real broker, next to the limit of the same machine.

Run: ``.venv/bin/python tests/bench/bench_pipeline.py [--quick] [--mentions N]
[--worker-seconds S] [--surges K] [--growth 10,1000,10000] [--only a,b] [--json FILE]``

One run, on the broker at ``SPIKEWATCH_KAFKA_BOOTSTRAP_SERVERS`` (default the
local one, started if down), with a unique topic prefix and app id per phase:

1. ``limit``: simulated canonical mentions (fi/en/sv, twelve brands, from
   :mod:`tools.simulate`, event times in the last days) are produced once to
   a 4-partition topic; a bare aiokafka consumer reads them all and ``json.loads``
   each value: the machine's ceiling for reading this topic in Python.
2. ``ceiling``: a do-nothing Faust agent (:mod:`tests.bench.ceiling`: the worker's own
   Faust settings and batching, ``json.loads`` per record, nothing else) reads a
   copy: the ceiling Faust itself sets, so the gap to the bare consumer is
   Faust's and the gap from here to the worker is spikewatch's own work.
3. ``one``: one ``spikewatch worker`` subprocess reads the same records (a copy
   under its own prefix) through validate, enrich, detect, incidents; rate from
   its /metrics (``spikewatch_mentions_consumed_total``) over
   the steady part of the run (from 2% of the records to the end or the time
   cap), CPU seconds and VmRSS/VmHWM from /proc, per-stage seconds per mention
   from its histograms; and a cProfile of :class:`alerts.engine.Engine` over
   the same mentions, grouped by stage, with the top functions.
4. ``two``: two workers in one consumer group on another copy: speed-up.
   ``storm``: one worker on the same mentions with their event times squeezed
   into the last ``STORM_MINUTES``, as a live storm arrives (see
   :func:`compress_time`).
5. ``latency``: a worker with Slack pointed at :class:`tests.slackfake.SlackFake`;
   per surge brand, six quiet hours of history, then a surge produced live with
   event time = now (one mention at a time, each acknowledged). The *trigger* is
   read from the worker's own first ``opened`` record on the incidents topic: an
   early alert carries the event time of the mention it was raised on (unique to
   the millisecond here), a closed bucket's alert its end, which the first
   mention ``lateness_seconds`` later closes. Pipeline latency = the fake's
   receipt of the first ``chat.postMessage`` for that brand - the moment the
   trigger mention was handed to the producer. The detectors' own decision
   delay (event time from an outage's onset to its incident) is measured
   separately, in process, on simulated outages at realistic rates.
6. ``growth``: in a fresh process per size, detect + lifecycle cost per mention,
   memory per brand (RSS delta) and pickled state per brand (the changelog
   record, ``streams.codec.dumps_state``) for 10 / 1,000 / 10,000 brands; and a
   ten-fold storm on one brand: cost per mention and state size before, during
   and after.

The machine has 2 cores: the broker, the producer, the bench and the worker(s)
share them, so two workers cannot reach 2x; the figures say what it allows.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import os
import platform
import pstats
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from alerts.engine import Engine  # noqa: E402
from detectors.mention import EnrichedMention, format_time, parse_mention  # noqa: E402
from detectors.text import Enricher  # noqa: E402
from tests.harness import FI_NORMAL, FI_OUTAGE, free_port, wait_for  # noqa: E402
from tools.scenarios import SimEvent, default_profiles  # noqa: E402
from tools.simulate import simulate  # noqa: E402

PARTITIONS = 4
STORM_MINUTES = 20.0  # the ``storm`` phase: every mention within the last 20 minutes
BG_BRANDS = [f"benchbg{i:02d}" for i in range(20)]
WORKER_CMD = [sys.executable, "-m", "streams.cli", "worker"]
TARGETS = {
    "one_vs_limit": 0.5,
    "one_rate": 5000.0,
    "two_speedup": 1.7,
    "latency_p99_s": 1.0,
    "state_bytes": 50_000,
    "growth_slowdown": 1.2,
}


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- data


def sim_rows(n: int, seed: int = 1) -> list[bytes]:
    """``n`` canonical mentions of twelve brands, ending an hour ago.

    Four brands of each of the three default profiles (a bank, an operator, an
    airline), so that the brands (the Kafka keys) spread over the partitions and
    two workers can share them; together they give four times one set's volume,
    so ``n`` mentions span a few days (the worker refuses event times older than
    30 days).
    """
    profiles = [replace(p, name=f"{p.name}{i}") for p in default_profiles() for i in range(1, 5)]
    per_day = 65_000.0  # about what the twelve profiles give per day
    days = max(0.1, n / per_day * 1.15)
    start = datetime.now(UTC) - timedelta(days=days, hours=1)
    out: list[bytes] = []
    for row in simulate(profiles, start, days, [], seed=seed):
        out.append(json.dumps(row, ensure_ascii=False).encode())
        if len(out) >= n:
            break
    return out


def compress_time(raws: list[bytes], minutes: float) -> list[bytes]:
    """The same mentions with their event times squeezed into the last ``minutes``.

    A storm as the live worker meets it: days of mentions arriving within
    minutes, so the detectors close a handful of buckets instead of hundreds
    (a replay of days in seconds runs bucket closes, signals and Slack refreshes
    thousands of times more often per mention than live traffic does).
    """
    rows = [json.loads(r) for r in raws]
    ts = [parse_mention(r).ts for r in raws]
    lo, hi = min(ts), max(ts)
    end = time.time() - 60
    scale = minutes * 60 / max(1.0, hi - lo)
    out = []
    for row, t in zip(rows, ts, strict=True):
        new = end - (hi - t) * scale
        row["created_at"] = format_time(datetime.fromtimestamp(new, tz=UTC))
        out.append(json.dumps(row, ensure_ascii=False).encode())
    return out


def brand_of(raw: bytes) -> bytes:
    return str(json.loads(raw)["brand"]).encode()


# --------------------------------------------------------------------------- broker


def bootstrap_servers() -> str:
    env = os.environ.get("SPIKEWATCH_KAFKA_BOOTSTRAP_SERVERS")
    if env:
        return env
    from streams.broker import BrokerPaths, start

    return start(BrokerPaths.from_env())


def create_topic(bootstrap: str, name: str, partitions: int = PARTITIONS) -> None:
    from kafka.admin import KafkaAdminClient, NewTopic

    admin = KafkaAdminClient(bootstrap_servers=bootstrap)
    try:
        admin.create_topics([NewTopic(name, partitions, 1)])
    finally:
        admin.close()


async def _produce(bootstrap: str, topic: str, records: list[tuple[bytes, bytes]]) -> None:
    from aiokafka import AIOKafkaProducer

    p = AIOKafkaProducer(
        bootstrap_servers=bootstrap, acks="all", linger_ms=20, max_batch_size=256 * 1024
    )
    await p.start()
    try:
        futs = [await p.send(topic, value=v, key=k) for k, v in records]
        await asyncio.gather(*futs)
    finally:
        await p.stop()


def produce_fast(bootstrap: str, topic: str, records: list[tuple[bytes, bytes]]) -> float:
    """Produce and wait for every ack; returns records per second."""
    t = time.perf_counter()
    asyncio.run(_produce(bootstrap, topic, records))
    return len(records) / (time.perf_counter() - t)


async def _bare_consume(bootstrap: str, topic: str, n: int) -> tuple[int, float]:
    from aiokafka import AIOKafkaConsumer

    c = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=None,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        max_partition_fetch_bytes=4 * 1024 * 1024,
    )
    await c.start()
    got, decoded, first = 0, 0, None
    cpu0 = 0.0
    try:
        while got < n:
            batch = await c.getmany(timeout_ms=1000, max_records=10_000)
            for recs in batch.values():
                if first is None:
                    first = time.perf_counter()
                    cpu0 = time.process_time()
                for r in recs:
                    decoded += len(json.loads(r.value))
                got += len(recs)
        BARE_CPU["us_per_record"] = 1e6 * (time.process_time() - cpu0) / max(1, got)
        return got, time.perf_counter() - (first or time.perf_counter())
    finally:
        await c.stop()


BARE_CPU: dict[str, float] = {}


def bare_limit(bootstrap: str, topic: str, n: int) -> float:
    """Mentions per second a bare aiokafka consumer reads and JSON-decodes."""
    got, seconds = asyncio.run(_bare_consume(bootstrap, topic, n))
    return got / seconds


# --------------------------------------------------------------------------- workers


class Worker:
    """A ``spikewatch worker`` subprocess with its metrics and /proc figures."""

    def __init__(
        self,
        bootstrap: str,
        prefix: str,
        workdir: Path,
        name: str,
        extra: dict[str, str] | None = None,
    ) -> None:
        self.port = free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SPIKEWATCH_", "SLACK_"))}
        env.update(
            SPIKEWATCH_KAFKA_BOOTSTRAP_SERVERS=bootstrap,
            SPIKEWATCH_APP_ID=f"bench-{prefix}",
            SPIKEWATCH_TOPIC_PREFIX=prefix,
            SPIKEWATCH_WEB_PORT=str(self.port),
            SPIKEWATCH_DATA_DIR=str(workdir / f"data-{name}"),
            SPIKEWATCH_PARTITIONS=str(PARTITIONS),
            PYTHONUNBUFFERED="1",
        )
        env.update(extra or {})
        self.log = workdir / f"worker-{name}.log"
        self._out = self.log.open("wb")
        self.proc = subprocess.Popen(
            WORKER_CMD, env=env, stdout=self._out, stderr=subprocess.STDOUT, cwd=str(workdir)
        )

    def wait_healthy(self, timeout: float = 120) -> None:
        def ok() -> bool:
            if self.proc.poll() is not None:
                raise RuntimeError(f"worker exited: {self.log.read_text(errors='replace')[-3000:]}")
            try:
                url = f"http://127.0.0.1:{self.port}/healthz"
                with urllib.request.urlopen(url, timeout=1) as r:
                    return bool(json.loads(r.read()).get("ok"))
            except OSError:
                return False

        wait_for(ok, timeout, "the worker's /healthz")

    def samples(self) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
        from prometheus_client.parser import text_string_to_metric_families

        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/metrics", timeout=5) as r:
            text = r.read().decode()
        out: dict[tuple[str, tuple[tuple[str, str], ...]], float] = {}
        for fam in text_string_to_metric_families(text):
            for s in fam.samples:
                key = (s.name, tuple(sorted(s.labels.items())))
                out[key] = out.get(key, 0.0) + s.value
        return out

    def metric(self, name: str, **labels: str) -> float:
        try:
            samples = self.samples()
        except OSError:
            return 0.0
        return sum(
            v
            for (n, ls), v in samples.items()
            if n == name and all((k, val) in ls for k, val in labels.items())
        )

    def stages(self) -> dict[str, tuple[float, float]]:
        """stage -> (seconds, observations) from the stage histogram."""
        out: dict[str, tuple[float, float]] = {}
        for (n, ls), v in self.samples().items():
            if n.startswith("spikewatch_stage_duration_seconds_") and n[-4:] in ("_sum", "ount"):
                stage = dict(ls)["stage"]
                s, c = out.get(stage, (0.0, 0.0))
                out[stage] = (s + v, c) if n.endswith("_sum") else (s, c + v)
        return out

    def proc_status(self) -> dict[str, float]:
        """VmRSS / VmHWM in MB and CPU seconds (user + system)."""
        out: dict[str, float] = {}
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            k, _, v = line.partition(":")
            if k in ("VmRSS", "VmHWM"):
                out[k] = int(v.split()[0]) / 1024
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        out["cpu_s"] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        return out

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._out.close()


def processed(workers: list[Worker]) -> float:
    """Mentions validated, enriched and run through the detectors (one pass in the worker)."""
    return sum(w.metric("spikewatch_mentions_consumed_total") for w in workers)


def faust_ceiling(bootstrap: str, workdir: Path, records: list[tuple[bytes, bytes]]) -> float:
    """Rate of a do-nothing Faust agent (``tests.bench.ceiling``) over a copy of ``records``."""
    prefix = f"bench{uuid.uuid4().hex[:8]}."
    create_topic(bootstrap, f"{prefix}mentions")
    produce_fast(bootstrap, f"{prefix}mentions", records)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SPIKEWATCH_", "SLACK_"))}
    env.update(
        SPIKEWATCH_KAFKA_BOOTSTRAP_SERVERS=bootstrap,
        SPIKEWATCH_APP_ID=f"bench-{prefix}",
        SPIKEWATCH_TOPIC_PREFIX=prefix,
        SPIKEWATCH_DATA_DIR=str(workdir / f"data-{prefix}ceiling"),
        SPIKEWATCH_PARTITIONS=str(PARTITIONS),
    )
    out = subprocess.run(
        [sys.executable, "-m", "tests.bench.ceiling", str(len(records))],
        env=env,
        cwd=str(ROOT),
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    )
    got = json.loads(out.stdout.strip().splitlines()[-1])
    FAUST_CPU["us_per_record"] = float(got.get("cpu_us_per_record", 0.0))
    return float(got["rate"])


FAUST_CPU: dict[str, float] = {}


def run_workers(
    bootstrap: str, workdir: Path, records: list[tuple[bytes, bytes]], count: int, cap: float
) -> dict[str, Any]:
    """Produce ``records`` to a fresh prefix, start ``count`` workers, measure steady throughput."""
    prefix = f"bench{uuid.uuid4().hex[:8]}."
    create_topic(bootstrap, f"{prefix}mentions")
    produce_fast(bootstrap, f"{prefix}mentions", records)
    brands = sorted({k.decode() for k, _ in records})
    (workdir / f"{prefix}deploy.yaml").write_text(json.dumps({"brands": brands}))
    env = {"SPIKEWATCH_CONFIG": str(workdir / f"{prefix}deploy.yaml")}
    workers = [Worker(bootstrap, prefix, workdir, f"{prefix}{i}", env) for i in range(count)]
    try:
        for w in workers:
            w.wait_healthy()
        n = len(records)
        trace: list[tuple[float, float]] = []
        t_start = time.monotonic()
        t1, c1 = None, 0.0
        while True:
            each = [processed([w]) for w in workers]
            c = sum(each)
            trace.append((time.monotonic(), c))
            # Steady state: every worker of the group has its partitions and is moving.
            if t1 is None and min(each) > 0 and c >= 0.02 * n:
                t1, c1 = trace[-1]
                cpu1 = sum(w.proc_status()["cpu_s"] for w in workers)
            if c >= n or time.monotonic() - t_start > cap + 180:
                break
            if t1 is not None and time.monotonic() - t1 > cap:
                break
            time.sleep(0.5)
        if t1 is None:
            raise RuntimeError(f"the workers never all processed records: {each}")
        t2, c2 = trace[-1]
        per = [w.proc_status() for w in workers]
        cpu2 = sum(p["cpu_s"] for p in per)
        stages = [w.stages() for w in workers]
        merged: dict[str, tuple[float, float]] = {}
        for st in stages:
            for k, (s, o) in st.items():
                a, b = merged.get(k, (0.0, 0.0))
                merged[k] = (a + s, b + o)
        return {
            "workers": count,
            "records": n,
            "processed": c2,
            "per_worker": [processed([w]) for w in workers],
            "rate": (c2 - c1) / max(1e-9, t2 - t1),
            "window_s": t2 - t1,
            "rss_mb": [p["VmRSS"] for p in per],
            "hwm_mb": [p["VmHWM"] for p in per],
            "cpu_s": [p["cpu_s"] for p in per],
            # CPU of the workers over the steady window, per mention read in it.
            "cpu_us_per_mention": 1e6 * (cpu2 - cpu1) / max(1.0, c2 - c1),
            "stage_us_per_mention": {k: 1e6 * s / max(1.0, c2) for k, (s, _) in merged.items()},
        }
    finally:
        for w in workers:
            w.stop()


# --------------------------------------------------------------------------- profile


STAGE_FUNCS = {
    "validate (parse_mention)": ("detectors/mention.py", "parse_mention"),
    "enrich (Enricher.enrich_batch)": ("detectors/text/enricher.py", "enrich_batch"),
    "detect (KeyState.observe)": ("detectors/keystate.py", "observe"),
    "incidents (Engine.signal)": ("alerts/engine.py", "signal"),
    "detect: advance all brands": ("alerts/engine.py", "advance"),
}


def profile_engine(raws: list[bytes]) -> dict[str, Any]:
    """cProfile the in-process pipeline over ``raws``: seconds per stage and top functions.

    Besides the engine, the worker serialises every enriched mention to JSON and
    back between its enrich and detect agents; that cost is timed here too.
    """
    eng = Engine()
    prof = cProfile.Profile()
    t = time.perf_counter()
    prof.enable()
    ms = [parse_mention(r) for r in raws]
    for _ in eng.run(ms):
        pass
    prof.disable()
    total = time.perf_counter() - t
    st = pstats.Stats(prof)
    by_stage: dict[str, float] = {}
    rows = st.stats  # type: ignore[attr-defined]
    for label, (path, fn) in STAGE_FUNCS.items():
        by_stage[label] = sum(
            v[3] for (f, _, name), v in rows.items() if name == fn and f.endswith(path)
        )
    top = sorted(
        (
            (v[2], f"{Path(f).parent.name}/{Path(f).name}:{line}({name})")
            for (f, line, name), v in rows.items()
        ),
        reverse=True,
    )[:12]
    # The worker's extra hops: EnrichedMention -> JSON -> Kafka -> JSON -> EnrichedMention.
    enricher = Enricher()
    ems = [
        EnrichedMention(m, e)
        for m, e in zip(ms[:5000], enricher.enrich_batch(ms[:5000]), strict=True)
    ]
    t0 = time.perf_counter()
    for em in ems:
        EnrichedMention.from_dict(json.loads(json.dumps(em.to_dict(), ensure_ascii=False)))
    hop = (time.perf_counter() - t0) / len(ems)
    n = len(raws)
    return {
        "mentions": n,
        "rate": n / total,
        "us_per_mention": {k: 1e6 * v / n for k, v in by_stage.items()},
        "json_hop_us": 1e6 * hop,
        "top_tottime": [(round(1e6 * s / n, 1), name) for s, name in top],
    }


# --------------------------------------------------------------------------- latency


POLICY = """version: 1
timezone: Europe/Helsinki
update_min_seconds: 300
tiers:
  - name: care
    channel: "#bench-alerts"
    after_minutes: 0
    min_severity: low
repeat: {every_minutes: 30, max_count: 1}
quiet_hours: []
"""


def _mention(brand: str, i: int, ts: float, text: str, tag: str) -> dict[str, Any]:
    return {
        "id": f"{tag}:{brand}:{i}",
        "source": "x",
        "brand": brand,
        "created_at": format_time(datetime.fromtimestamp(ts, tz=UTC)),
        "text": text,
        "author": {"id": f"u{i % 97}", "followers": 10 + i % 300},
    }


def history(brand: str, now: float) -> list[dict[str, Any]]:
    """Six quiet hours (four mentions per 5-minute bucket) ending two minutes ago.

    The brand's team answers each mention within a minute, as a staffed team does,
    so the history opens no backlog incident.
    """
    start = now - 6 * 3600 - 120
    rows = []
    for b in range(72):
        for i in range(4):
            ts = start + b * 300 + (i + 0.5) * 75
            m = _mention(brand, b * 4 + i, ts, FI_NORMAL[(b + i) % len(FI_NORMAL)], "h")
            reply = _mention(brand, b * 4 + i, ts + 60, "Kiitos viestistä, selvitämme asiaa.", "r")
            reply |= {"in_reply_to": m["id"], "author": {"id": brand, "is_brand": True}}
            rows += [m, reply]
    rows.sort(key=lambda r: r["created_at"])
    return rows


def opened_events(bootstrap: str, topic: str, stop: threading.Event) -> dict[str, list[Any]]:
    """brand -> the incidents opened, in order, from the incidents topic (a thread fills it)."""
    from kafka import KafkaConsumer

    opened: dict[str, list[Any]] = {}

    def run() -> None:
        c = KafkaConsumer(
            topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest", group_id=None
        )
        try:
            while not stop.is_set():
                for recs in c.poll(timeout_ms=100).values():
                    for r in recs:
                        d = json.loads(r.value)
                        if d.get("type") == "opened":
                            inc = d["incident"] | {"record_time": r.timestamp / 1000}
                            opened.setdefault(inc["brand"], []).append(inc)
        finally:
            c.close()

    threading.Thread(target=run, name="incidents-reader", daemon=True).start()
    return opened


class Background:
    """Steady live traffic of other brands during the latency phase (a thread).

    ``rate`` customer mentions per second over ``BG_BRANDS`` brands, event time
    now, each answered by the brand 20 seconds later (a staffed team), so the
    worker is busy while the surges are timed.
    """

    def __init__(self, bootstrap: str, topic: str, rate: float) -> None:
        self.bootstrap, self.topic, self.rate = bootstrap, topic, rate
        self.stop = threading.Event()
        self.sent = 0
        self.thread = threading.Thread(target=self._run, name="background", daemon=True)

    def __enter__(self) -> Background:
        if self.rate > 0:
            self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        if self.thread.is_alive():
            self.thread.join(timeout=30)

    def _run(self) -> None:
        from collections import deque

        from kafka import KafkaProducer

        prod = KafkaProducer(bootstrap_servers=self.bootstrap, acks=1, linger_ms=5)
        waiting: deque[tuple[float, str, str]] = deque()
        started, i = time.monotonic(), 0
        while not self.stop.is_set():
            now = time.time()
            due = int((time.monotonic() - started) * self.rate)
            while i < due:
                brand = BG_BRANDS[i % len(BG_BRANDS)]
                r = _mention(brand, i, now, FI_NORMAL[i % len(FI_NORMAL)], "bg")
                prod.send(self.topic, key=brand.encode(), value=json.dumps(r).encode())
                waiting.append((now, brand, r["id"]))
                i += 1
            while waiting and waiting[0][0] <= now - 20:
                _, brand, mid = waiting.popleft()
                reply = _mention(brand, i, now, "Kiitos, katsomme asiaa.", "bgr")
                reply |= {"in_reply_to": mid, "author": {"id": brand, "is_brand": True}}
                prod.send(self.topic, key=brand.encode(), value=json.dumps(reply).encode())
            self.sent = i
            time.sleep(0.01)
        prod.flush()
        prod.close()


def trigger_of(inc: dict[str, Any], sent: list[tuple[float, float]], lateness: float) -> int | None:
    """Index of the produced mention that made the incident's signal due.

    An early alert (``evidence.partial``) carries the event time of the mention it
    was raised on; a closed bucket's signal carries the bucket's end, and the bucket
    closes on the first mention at least ``lateness`` seconds past it.
    """
    opened = float(inc["opened_at"])
    if (inc.get("evidence") or {}).get("partial"):
        return next((i for i, (_, ts) in enumerate(sent) if abs(ts - opened) < 5e-4), None)
    return next((i for i, (_, ts) in enumerate(sent) if ts >= opened + lateness), None)


class Surge:
    """One brand's surge, produced live until its incident opens, and its timing."""

    def __init__(
        self, brand: str, topic: str, opened: dict[str, list[Any]], slack: Any, lateness: float
    ) -> None:
        self.brand, self.topic, self.opened, self.slack = brand, topic, opened, slack
        self.lateness = lateness
        self.sent: list[tuple[float, float]] = []  # (monotonic at send, event time)

    def incident(self) -> Any:
        """The first volume or negative incident opened on this surge."""
        return next(
            (
                inc
                for inc in self.opened.get(self.brand, ())
                if inc["kind"] in ("volume_surge", "negative_burst")
                and inc["opened_at"] >= self.sent[0][1] - 1e-3
            ),
            None,
        )

    def post(self, inc: dict[str, Any]) -> Any:
        """The first ``chat.postMessage`` about ``inc`` (its id is in the metadata)."""
        calls = self.slack.calls_to("chat.postMessage")
        return next((c for c in calls if inc["id"] in json.dumps(c.params)), None)

    def run(self, prod: Any, rate: float) -> dict[str, float] | str:
        """Timings in seconds, or why the surge could not be timed."""
        b = self.brand
        for i in range(600):
            ts = round(time.time(), 3)  # created_at carries milliseconds
            r = _mention(b, i, ts, FI_OUTAGE[i % len(FI_OUTAGE)], "s")
            t = time.monotonic()
            prod.send(self.topic, key=b.encode(), value=json.dumps(r).encode()).get(timeout=10)
            self.sent.append((t, ts))
            if self.incident():
                break
            time.sleep(max(0.0, 1.0 / rate - (time.monotonic() - t)))
        try:
            inc = wait_for(self.incident, 60, f"an incident opened for {b}", 0.01)
            call = wait_for(lambda: self.post(inc), 60, f"the Slack post for {b}", 0.01)
        except AssertionError as exc:
            return f"{b}: {exc}"
        k = trigger_of(inc, self.sent, self.lateness)
        if k is None:
            return f"{b}: no produced mention matches {inc['opened_at']}"
        # Where it went: to the "opened" record (wall clock, ms) and from it to Slack.
        wall = call.at + time.time() - time.monotonic()
        return {
            "trigger_k": k,
            "pipeline_s": call.at - self.sent[k][0],
            "to_opened_s": inc["record_time"] - self.sent[k][1],
            "opened_to_slack_s": wall - inc["record_time"],
        }


def latency(
    bootstrap: str, workdir: Path, surges: int, rate: float, background: float, gap: float
) -> dict[str, Any]:
    """Produce surges live; time trigger-produced -> Slack request received."""
    from kafka import KafkaProducer

    from detectors.monitor import MonitorConfig
    from tests.slackfake import SlackFake

    token = "xoxb-bench-latency"
    brands = [f"benchlat{i:02d}" for i in range(surges)]
    (workdir / "policy.yaml").write_text(POLICY)
    deploy = {"brands": brands + BG_BRANDS, "escalation": "policy.yaml"}
    (workdir / "deploy.yaml").write_text(json.dumps(deploy))
    prefix = f"bench{uuid.uuid4().hex[:8]}."
    create_topic(bootstrap, f"{prefix}mentions")
    now = time.time()
    recs = [(b.encode(), json.dumps(r).encode()) for b in brands for r in history(b, now)]
    produce_fast(bootstrap, f"{prefix}mentions", recs)
    lateness = MonitorConfig().lateness_seconds
    out: dict[str, Any] = {
        "surges": surges,
        "args": {"rate": rate, "background": background, "gap": gap},
        "pipeline_s": [],
        "trigger_k": [],
        "missed": [],
    }
    stop = threading.Event()
    with SlackFake(token=token) as slack:
        w = Worker(
            bootstrap,
            prefix,
            workdir,
            "latency",
            {
                "SLACK_BOT_TOKEN": token,
                "SLACK_API_URL": slack.base_url,
                "SPIKEWATCH_CONFIG": str(workdir / "deploy.yaml"),
            },
        )
        try:
            w.wait_healthy()
            wait_for(lambda: processed([w]) >= len(recs), 300, "the history processed", 0.5)
            opened = opened_events(bootstrap, f"{prefix}incidents", stop)
            prod = KafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=0)
            c0, t0 = processed([w]), time.monotonic()
            with Background(bootstrap, f"{prefix}mentions", background) as bg:
                for b in brands:
                    surge = Surge(b, f"{prefix}mentions", opened, slack, lateness)
                    res = surge.run(prod, rate)
                    if isinstance(res, str):
                        out["missed"].append(res)
                    else:
                        for k, v in res.items():
                            out.setdefault(k, []).append(v)
                    time.sleep(gap)
                out["background_sent"] = bg.sent
            out["worker_rate"] = (processed([w]) - c0) / (time.monotonic() - t0)
            prod.close()
        finally:
            stop.set()
            w.stop()
    return out


def detector_delay(seeds: int) -> list[float]:
    """Minutes of event time from a simulated outage's onset to its incident, in process."""
    delays: list[float] = []
    nb = default_profiles()[0]
    for seed in range(1, seeds + 1):
        start = datetime(2026, 3, 2, 6, tzinfo=UTC) + timedelta(days=seed)
        onset = start + timedelta(hours=4, minutes=7 * seed % 30)
        ev = SimEvent("nordbank", "outage", onset, onset + timedelta(hours=1), magnitude=6.0)
        rows = list(simulate([nb], start - timedelta(days=2), 2.5, [ev], seed=seed))
        eng = Engine()
        ms = [parse_mention(json.dumps(r)) for r in rows]
        for e in eng.run(ms):
            if e.type == "opened" and e.incident.opened_at >= onset.timestamp() - 300:
                delays.append((e.incident.opened_at - onset.timestamp()) / 60)
                break
    return delays


# --------------------------------------------------------------------------- growth


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def growth_child(brands: int, warm: int, measure: int) -> dict[str, Any]:
    """Detect + lifecycle with ``brands`` keys: cost per mention, memory and state per brand."""
    import random

    from streams.codec import dumps_state

    pool_raw = sim_rows(8000, seed=3)
    pool = [parse_mention(r) for r in pool_raw]
    enr = Enricher().enrich_batch(pool)
    names = [f"b{i:05d}" for i in range(brands)]
    t0 = datetime.now(UTC) - timedelta(days=1)
    total = brands * warm + measure
    step = 86400.0 / total
    rng = random.Random(5)

    def em(i: int, brand: str) -> EnrichedMention:
        m, e = pool[i % len(pool)], enr[i % len(pool)]
        return EnrichedMention(
            replace(m, id=f"g{i}", brand=brand, created_at=t0 + timedelta(seconds=i * step)), e
        )

    eng = Engine()
    base = _rss_mb()
    for i in range(brands * warm):
        eng.enriched(em(i, names[i % brands]))
    rss = _rss_mb() - base
    ems = [em(brands * warm + j, names[rng.randrange(brands)]) for j in range(measure)]
    t = time.perf_counter()
    for x in ems:
        eng.enriched(x)
    cost = (time.perf_counter() - t) / measure
    sample = rng.sample(names, min(200, brands))
    sizes = [len(dumps_state(eng.keys[n])) for n in sample if n in eng.keys]
    return {
        "brands": brands,
        "us_per_mention": 1e6 * cost,
        "rss_mb_per_brand": rss / brands,
        "rss_mb": rss,
        "state_bytes_mean": statistics.fmean(sizes),
        "state_bytes_max": max(sizes),
    }


def storm() -> dict[str, Any]:
    """One brand, one day, a 10x outage for two hours: cost and state before / during / after."""
    from streams.codec import dumps_state

    nb = default_profiles()[0]
    start = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=3)
    on = start + timedelta(days=1, hours=9)
    ev = SimEvent("nordbank", "outage", on, on + timedelta(hours=2), magnitude=10.0)
    rows = list(simulate([nb], start, 1.6, [ev], seed=4))
    ms = [parse_mention(json.dumps(r)) for r in rows]
    enr = Engine().enricher
    eng = Engine()
    phases: dict[str, list[float]] = {"before": [0, 0.0], "storm": [0, 0.0], "after": [0, 0.0]}
    sizes: dict[str, int] = {}
    for i in range(0, len(ms), 500):
        chunk = ms[i : i + 500]
        t = time.perf_counter()
        for m, e in zip(chunk, enr.enrich_batch(chunk), strict=True):
            eng.enriched(EnrichedMention(m, e))
        dt = time.perf_counter() - t
        ts = chunk[-1].ts
        ph = "before" if ts < on.timestamp() else "storm" if ts < on.timestamp() + 7200 else "after"
        phases[ph][0] += len(chunk)
        phases[ph][1] += dt
        sizes[ph] = max(sizes.get(ph, 0), len(dumps_state(eng.keys["nordbank"])))
    per_hour = {ph: 0.0 for ph in phases}
    for m in ms:
        ts = m.ts
        if on.timestamp() - 7200 <= ts < on.timestamp():
            per_hour["before"] += 0.5
        elif on.timestamp() <= ts < on.timestamp() + 7200:
            per_hour["storm"] += 0.5
    return {
        "mentions_per_hour_before": per_hour["before"],
        "mentions_per_hour_storm": per_hour["storm"],
        "us_per_mention": {k: 1e6 * v[1] / max(1, v[0]) for k, v in phases.items()},
        "state_bytes_max": sizes,
    }


# --------------------------------------------------------------------------- report


def pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, max(0, round(q * (len(xs) - 1))))]


def machine() -> dict[str, Any]:
    cpu = next(
        (
            ln.split(":", 1)[1].strip()
            for ln in Path("/proc/cpuinfo").read_text().splitlines()
            if ln.startswith("model name")
        ),
        platform.processor(),
    )
    mem = next(
        int(ln.split()[1]) // 1024
        for ln in Path("/proc/meminfo").read_text().splitlines()
        if ln.startswith("MemTotal")
    )
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "mem_mb": mem,
        "python": platform.python_version(),
        "kernel": platform.release(),
        "load_1m_at_start": os.getloadavg()[0],
    }


def mark(ok: bool) -> str:
    return "met" if ok else "MISSED"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="1-2 minute run with small sizes")
    ap.add_argument("--mentions", type=int, help="pre-produced mentions (default 100k; quick 30k)")
    ap.add_argument("--worker-seconds", type=float, help="cap on each worker phase (60; quick 25)")
    ap.add_argument("--surges", type=int, help="surges for the latency phase (30; quick 8)")
    ap.add_argument("--surge-rate", type=float, default=40.0, help="surge mentions per second")
    ap.add_argument(
        "--background-rate",
        type=float,
        default=1000.0,
        help="other brands' live mentions per second during the latency phase",
    )
    ap.add_argument(
        "--surge-gap", type=float, default=2.5, help="seconds between one surge and the next"
    )
    ap.add_argument("--growth", default="10,1000,10000", help="brand counts for the growth phase")
    ap.add_argument(
        "--only", default="limit,ceiling,one,two,storm,latency,growth", help="phases to run"
    )
    ap.add_argument("--json", type=Path, help="also write the figures as JSON here")
    ap.add_argument("--growth-child", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--warm", type=int, help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    n = a.mentions or (30_000 if a.quick else 100_000)
    cap = a.worker_seconds or (25.0 if a.quick else 60.0)
    surges = a.surges or (8 if a.quick else 30)
    warm = a.warm or (1 if a.quick else 3)
    if a.growth_child:
        print(json.dumps(growth_child(a.growth_child, warm, 1000 if a.quick else 3000)))
        return 0
    phases = set(a.only.split(","))
    res: dict[str, Any] = {"machine": machine(), "args": vars(a) | {"json": str(a.json)}}
    started = time.monotonic()
    bootstrap = bootstrap_servers()
    workdir = Path(tempfile.mkdtemp(prefix="spikewatch-bench-"))
    records: list[tuple[bytes, bytes]] = []
    if phases & {"limit", "ceiling", "one", "two", "storm"}:
        t = time.perf_counter()
        raws = sim_rows(n)
        records = [(brand_of(r), r) for r in raws]
        res["data"] = {
            "mentions": len(raws),
            "mean_bytes": statistics.fmean(map(len, raws)),
            "simulate_s": time.perf_counter() - t,
        }
        log(f"simulated {len(raws)} mentions in {res['data']['simulate_s']:.1f}s")
    if "limit" in phases:
        topic = f"bench{uuid.uuid4().hex[:8]}.mentions"
        create_topic(bootstrap, topic)
        res["produce_rate"] = produce_fast(bootstrap, topic, records)
        res["limit_rate"] = bare_limit(bootstrap, topic, len(records))
        res["limit_cpu_us"] = BARE_CPU.get("us_per_record")
        log(f"produce {res['produce_rate']:.0f}/s, bare consumer {res['limit_rate']:.0f}/s")
    if "ceiling" in phases:
        res["faust_rate"] = faust_ceiling(bootstrap, workdir, records)
        res["faust_cpu_us"] = FAUST_CPU.get("us_per_record")
        log(f"bare Faust agent {res['faust_rate']:.0f}/s")
    if "one" in phases:
        res["profile"] = profile_engine([r for _, r in records[: min(len(records), 20_000)]])
        log(f"in-process engine {res['profile']['rate']:.0f}/s")
        res["one"] = run_workers(bootstrap, workdir, records, 1, cap)
        log(f"one worker {res['one']['rate']:.0f}/s")
    if "two" in phases:
        res["two"] = run_workers(bootstrap, workdir, records, 2, cap)
        log(f"two workers {res['two']['rate']:.0f}/s")
    if "storm" in phases:
        storm_recs = [
            (k, r)
            for k, r in zip(
                [k for k, _ in records],
                compress_time([r for _, r in records], STORM_MINUTES),
                strict=True,
            )
        ]
        res["one_storm"] = run_workers(bootstrap, workdir, storm_recs, 1, cap)
        log(f"one worker, storm timing {res['one_storm']['rate']:.0f}/s")
    if "latency" in phases:
        res["latency"] = latency(
            bootstrap, workdir, surges, a.surge_rate, a.background_rate, a.surge_gap
        )
        res["detector_delay_min"] = detector_delay(2 if a.quick else 3)
        log(
            f"latency {len(res['latency']['pipeline_s'])} surges measured, "
            f"missed: {res['latency']['missed']}"
        )
    if "growth" in phases:
        res["growth"] = []
        for b in (int(x) for x in a.growth.split(",")):
            cmd = [sys.executable, __file__, "--growth-child", str(b), "--warm", str(warm)]
            if a.quick:
                cmd.append("--quick")
            out = subprocess.run(cmd, capture_output=True, text=True, check=True)
            res["growth"].append(json.loads(out.stdout))
            log(f"growth {b} brands done")
        res["storm"] = storm()
    res["total_s"] = time.monotonic() - started
    report(res)
    if a.json:
        a.json.parent.mkdir(parents=True, exist_ok=True)
        a.json.write_text(json.dumps(res, indent=2, default=str))
    return 0


def report(res: dict[str, Any]) -> None:
    p: Callable[..., None] = print
    m = res["machine"]
    p(
        f"machine: {m['cpu']}, {m['cores']} cores, {m['mem_mb']} MB, Python {m['python']}, "
        f"load {m['load_1m_at_start']:.1f} at start"
    )
    if "data" in res:
        d = res["data"]
        p(
            f"data: {d['mentions']} simulated mentions (fi/en/sv, 12 brands), "
            f"{d['mean_bytes']:.0f} B mean, {PARTITIONS} partitions"
        )
    limit = res.get("limit_rate")
    if limit:
        p(
            f"limit  bare aiokafka consumer + json.loads: {limit:10.0f} mentions/s "
            f"(producer {res['produce_rate']:.0f}/s), CPU {res.get('limit_cpu_us') or 0:.1f} "
            "us/record"
        )
    fr = res.get("faust_rate")
    if fr:
        p(
            f"faust  bare Faust agent (worker's settings, bulk intake + json.loads): {fr:6.0f} "
            f"mentions/s"
            + (
                f" = {fr / limit:.1%} of the limit [target >=80%: {mark(fr / limit >= 0.8)}]"
                if limit
                else ""
            )
            + f", CPU {res.get('faust_cpu_us') or 0:.1f} us/record"
        )
    if "one" in res:
        o, pr = res["one"], res["profile"]
        frac = o["rate"] / limit if limit else float("nan")
        p(
            f"one    worker, replay of days:            {o['rate']:10.0f} mentions/s = "
            f"{frac:.1%} of the limit [>=15000/s: {mark(o['rate'] >= 15000)}]"
        )
        if fr:
            p(f"       one worker = {o['rate'] / fr:.0%} of the bare Faust agent")
        p(
            f"       window {o['window_s']:.0f}s, {o['processed']:.0f} processed, "
            f"CPU {o['cpu_us_per_mention']:.0f} us/mention in the window, "
            f"RSS {o['rss_mb'][0]:.0f} MB (peak {o['hwm_mb'][0]:.0f}) "
            f"[<=300 MB: {mark(o['hwm_mb'][0] <= 300)}]"
        )
        p(
            "       worker stage histograms (us per mention): "
            + ", ".join(f"{k} {v:.0f}" for k, v in sorted(o["stage_us_per_mention"].items()))
        )
        p(
            f"       in-process profile over {pr['mentions']} mentions ({pr['rate']:.0f}/s on one "
            f"core), us per mention: "
            + ", ".join(f"{k} {v:.0f}" for k, v in pr["us_per_mention"].items())
            + f", worker JSON hop enrich->detect {pr['json_hop_us']:.0f}"
        )
        p("       top functions by own time (us per mention):")
        for us, name in pr["top_tottime"]:
            p(f"         {us:7.1f}  {name}")
    if "one_storm" in res:
        o = res["one_storm"]
        frac = o["rate"] / limit if limit else float("nan")
        p(
            f"storm  one worker, same mentions within {STORM_MINUTES:.0f} min of event time: "
            f"{o['rate']:6.0f} mentions/s = {frac:.1%} of the limit "
            f"[>=20000/s: {mark(o['rate'] >= 20000)}; >=10%: {mark(frac >= 0.1)}], CPU "
            f"{o['cpu_us_per_mention']:.0f} us/mention in the window, RSS peak "
            f"{o['hwm_mb'][0]:.0f} MB; stages (us/mention): "
            + ", ".join(f"{k} {v:.0f}" for k, v in sorted(o["stage_us_per_mention"].items()))
        )
    if "two" in res and "one" in res:
        t = res["two"]
        sp = t["rate"] / res["one"]["rate"]
        p(
            f"two    workers, one group:                {t['rate']:10.0f} mentions/s = "
            f"{sp:.2f}x one measured on 2 shared cores; modelled with a core each "
            f"(2 x CPU/mention of one / CPU/mention of two): "
            f"{2 * res['one']['cpu_us_per_mention'] / max(1e-9, t['cpu_us_per_mention']):.2f}x "
            f"[>=1.8x], "
            f"RSS {'+'.join(f'{x:.0f}' for x in t['rss_mb'])} MB"
        )
        split = t["per_worker"]
        p(
            f"       split by the partition assignment: {' / '.join(f'{x:.0f}' for x in split)} "
            f"mentions (the busier worker had {max(split) / max(1.0, sum(split)):.0%}); "
            f"CPU {' + '.join(f'{x:.0f}' for x in t['cpu_s'])} s"
        )
    if "latency" in res:
        la = res["latency"]
        xs = la["pipeline_s"]
        if xs:

            def ms(key: str) -> str:
                v = la[key]
                return f"p50 {pct(v, 0.5) * 1000:.0f} ms, p99 {pct(v, 0.99) * 1000:.0f} ms"

            p(
                f"alert  pipeline latency, trigger produced -> Slack request, {len(xs)} surges: "
                f"{ms('pipeline_s')}, max {max(xs) * 1000:.0f} ms "
                f"[target p99 <=1 s: {mark(pct(xs, 0.99) <= 1.0)}]; missed {len(la['missed'])}"
            )
            p(
                f"       of which trigger -> 'opened' record {ms('to_opened_s')}; "
                f"'opened' -> Slack {ms('opened_to_slack_s')} (wall clocks, ms stamps)"
            )
            p(
                f"       under load: {la['args']['background']:.0f} other mentions/s live "
                f"(+ replies), worker consumed {la['worker_rate']:.0f}/s; surges at "
                f"{la['args']['rate']:.0f} mentions/s, {la['args']['gap']:.1f} s apart, one "
                f"Slack channel; trigger after {statistics.median(la['trigger_k']):.0f} "
                "surge mentions (median)"
            )
        dd = res.get("detector_delay_min") or []
        if dd:
            p(
                "       detectors' own decision delay (event time, simulated outages, "
                "in process): "
                f"median {statistics.median(dd):.1f} min, max {max(dd):.1f} min over {len(dd)}"
            )
    if "growth" in res:
        g = res["growth"]
        base = g[0]["us_per_mention"]
        for row in g:
            slow = row["us_per_mention"] / base
            p(
                f"growth {row['brands']:6d} brands: detect+lifecycle {row['us_per_mention']:6.0f} "
                f"us/mention ({slow:.2f}x) [<=1.2x: {mark(slow <= 1.2)}], RSS "
                f"{row['rss_mb_per_brand'] * 1024:.1f} KB/brand, state pickle "
                f"{row['state_bytes_mean'] / 1024:.1f} KB mean, "
                f"{row['state_bytes_max'] / 1024:.1f} KB "
                f"max [<=50 KB: {mark(row['state_bytes_max'] <= 50_000)}]"
            )
        s = res["storm"]
        p(
            f"storm  {s['mentions_per_hour_before']:.0f} -> {s['mentions_per_hour_storm']:.0f} "
            f"mentions/h: us/mention "
            + ", ".join(f"{k} {v:.0f}" for k, v in s["us_per_mention"].items())
            + "; state KB "
            + ", ".join(f"{k} {v / 1024:.1f}" for k, v in s["state_bytes_max"].items())
        )
    p(f"total {res['total_s']:.0f}s")


if __name__ == "__main__":
    raise SystemExit(main())
