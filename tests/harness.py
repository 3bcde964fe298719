"""Helpers for tests on the real broker and worker processes (used by the fixtures)."""

from __future__ import annotations

import signal
import socket
import subprocess
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Worker:
    """A ``spikewatch worker`` subprocess."""

    proc: subprocess.Popen[bytes]
    port: int
    prefix: str
    log: Path
    env: dict[str, str] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def topic(self, name: str) -> str:
        return f"{self.prefix}{name}"

    @property
    def group(self) -> str:
        """The consumer group (``streams.app.faust_app_id``: the prefix, then the app id)."""
        return f"{self.prefix}{self.env.get('SPIKEWATCH_APP_ID', 'spikewatch')}"

    def metrics(self) -> str:
        with urllib.request.urlopen(f"{self.url}/metrics", timeout=5) as r:
            return r.read().decode()

    def metric(self, name: str, **labels: str) -> float:
        """Sum of the samples of ``name`` whose labels include ``labels``."""
        from prometheus_client.parser import text_string_to_metric_families

        total = 0.0
        for fam in text_string_to_metric_families(self.metrics()):
            for s in fam.samples:
                if s.name == name and all(s.labels.get(k) == v for k, v in labels.items()):
                    total += s.value
        return total

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


def wait_for(cond: Callable[[], Any], timeout: float, what: str, interval: float = 0.25) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        v = cond()
        if v:
            return v
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")


def produce(bootstrap: str, topic: str, records: list[tuple[bytes | None, bytes]]) -> None:
    """Send records with kafka-python and wait until the broker acknowledged each."""
    from kafka import KafkaProducer

    p = KafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=5)
    futs = [p.send(topic, key=k, value=v) for k, v in records]
    p.flush(timeout=60)
    for f in futs:
        f.get(timeout=60)
    p.close()


def consume(bootstrap: str, topic: str, n: int, timeout: float = 60) -> list[Any]:
    """Read at least ``n`` records of ``topic`` from the beginning (or fail)."""
    from kafka import KafkaConsumer

    c = KafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        group_id=None,
        consumer_timeout_ms=1000,
    )
    got: list[Any] = []
    deadline = time.monotonic() + timeout
    try:
        while len(got) < n and time.monotonic() < deadline:
            got.extend(c)
    finally:
        c.close()
    return got


FI_NORMAL = [
    "Kiitos nopeasta avusta eilen!",
    "Miten saan uuden kortin tilattua?",
    "Onko konttori auki lauantaina?",
    "Sovellus toimii hyvin, kiitos päivityksestä",
    "Mikä on lainan korko nyt?",
]
FI_OUTAGE = [
    "Verkkopankkiin ei pääse kirjautumaan, mikä on vialla?",
    "Mobiilisovellus ei toimi taas!! Ei pysty maksamaan laskuja",
    "Kirjautuminen ei onnistu, tunnistautuminen kaatuu koko ajan",
    "Onko verkkopankki nurin? Ei toimi yhtään mikään",
    "Todella huonoa palvelua, verkkopankki taas alhaalla",
]


def outage_mentions(
    brand: str,
    start: float,
    *,
    normal_hours: float = 6.0,
    normal_per_bucket: int = 4,
    surge_minutes: int = 40,
    surge_per_bucket: int = 80,
    id_prefix: str = "t",
) -> list[dict[str, Any]]:
    """A quiet morning of mentions followed by a login outage storm (event times from ``start``)."""
    from datetime import datetime

    out: list[dict[str, Any]] = []
    n = 0

    def add(ts: float, text: str) -> None:
        nonlocal n
        n += 1
        out.append(
            {
                "id": f"{id_prefix}:{n}",
                "source": "x",
                "brand": brand,
                "created_at": datetime.fromtimestamp(ts, tz=UTC).isoformat().replace("+00:00", "Z"),
                "text": text,
                "author": {"id": f"u{n % 97}", "followers": 10 + n % 300},
            }
        )

    buckets = int(normal_hours * 12)
    for b in range(buckets):
        for i in range(normal_per_bucket):
            add(
                start + b * 300 + (i + 0.5) * 300 / normal_per_bucket,
                FI_NORMAL[(b + i) % len(FI_NORMAL)],
            )
    t0 = start + buckets * 300
    for b in range(surge_minutes // 5):
        for i in range(surge_per_bucket):
            add(
                t0 + b * 300 + (i + 0.5) * 300 / surge_per_bucket,
                FI_OUTAGE[(b + i) % len(FI_OUTAGE)],
            )
    return out


def business_morning(days_ago: int = 1) -> float:
    """05:00 UTC (07:00 in Helsinki) ``days_ago`` days back: outside quiet hours, recent enough."""
    import time as _t

    now = _t.time()
    return (now // 86400 - days_ago) * 86400 + 5 * 3600


def group_lag(bootstrap: str, group: str, topics: list[str]) -> dict[tuple[str, int], int]:
    """Records not yet committed by ``group``, per partition of ``topics``.

    Under exactly-once every transaction ends with a commit marker that takes an
    offset but is no record: a partition whose committed offset is a few short of
    its end is checked for real (read_committed) records past that offset.
    """
    from kafka import KafkaAdminClient, KafkaConsumer, TopicPartition

    admin = KafkaAdminClient(bootstrap_servers=bootstrap)
    cons = KafkaConsumer(
        bootstrap_servers=bootstrap,
        enable_auto_commit=False,
        isolation_level="read_committed",
        consumer_timeout_ms=1500,
    )
    try:
        committed = admin.list_group_offsets({group: None}).get(group, {})
        tps = [
            TopicPartition(t, p) for t in topics for p in (cons.partitions_for_topic(t) or set())
        ]
        ends = cons.end_offsets(tps)
        out = {}
        for tp in tps:
            c = committed.get(tp)
            start = c.offset if c is not None else 0
            lag = ends[tp] - start
            if 0 < lag <= 3:  # maybe only transaction markers
                cons.assign([tp])
                cons.seek(tp, start)
                lag = sum(len(v) for v in cons.poll(timeout_ms=1500, max_records=10).values())
            out[(tp.topic, tp.partition)] = lag
        return out
    finally:
        admin.close()
        cons.close()
