"""Throughput of one source process into Kafka, next to a bare kafka-python producer.

Run: ``.venv/bin/python tests/bench/bench_sources.py [--quick] [--items N] [--batch B]``
(on the broker at ``SPIKEWATCH_KAFKA_BOOTSTRAP_SERVERS``, default the local one).

Phases, in one run, each on its own topic prefix:

1. ``match``: :class:`detectors.brandmatch.BrandMatcher` alone over fi/en/sv texts
   (three brands with names, handles, keywords, exclusions): texts per second.
2. ``bare``: a bare ``KafkaProducer`` (acks=all, idempotent, linger 5 ms) sends the
   same number of canonical mentions, already encoded, then flushes: the ceiling
   of kafka-python on this machine.
3. ``bare+txn``: the same producer and records with one transaction per batch (what
   atomic mentions + cursor cost before any work of ours).
4. ``sink``: the source framework's :class:`streams.sources.runner.Sink` takes
   synthetic platform items in batches: brand matching, canonical JSON validated,
   dedup, one Kafka transaction per batch with the cursor record. Mentions/s and
   the ratio to ``bare``.
5. ``webhook``: one ``spikewatch source run`` process with the generic webhook;
   signed POSTs of ``batch`` tickets each, one at a time (each answered after the
   broker acknowledged it): mentions/s from the first POST to the last answer.

The machine is shared (2 cores, other jobs): wall-clock figures are noisy; the
ratio ``sink / bare`` from the same run and CPU seconds per 1,000 mentions are
the figures to compare.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from detectors.brandmatch import BrandMatcher, BrandRule  # noqa: E402
from streams.sources.base import Item, canonical  # noqa: E402

TEXTS = [
    "Nordbankin verkkopankki ei toimi taas, mikä on vialla?",
    "Lumoverkolla laaja häiriö koko Uudellamaalla",
    "Nordbank ja Lumoverkko molemmat alhaalla",
    "Sää on tänään kaunis, lähden kävelylle",
    "SkyWays cancelled my flight again",
    "Nordbanks app kraschar hela tiden",
    "Konsertti Nordbank Arenalla tänään",
    "@lumoverkko milloin kenttä palaa?",
    "The bank is closed on Sunday",
    "Tack SkyWays för en trevlig resa",
]
RULES = [
    BrandRule(
        "nordbank", names=("Nordbank",), handles=("@nordbank",), exclusions=("Nordbank Arena",)
    ),
    BrandRule(
        "lumoverkko", names=("Lumoverkko",), handles=("@lumoverkko",), keywords=("Lumo Prepaid",)
    ),
    BrandRule("skyways", names=("SkyWays", "Sky Ways"), handles=("@skyways",)),
]
T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


def _items(n: int, tag: str) -> list[Item]:
    return [
        Item(f"{tag}-{i}", T0 + timedelta(seconds=i), TEXTS[i % len(TEXTS)], author_id=f"u{i % 97}")
        for i in range(n)
    ]


def bench_match(n: int) -> dict[str, float]:
    m = BrandMatcher(RULES)
    texts = [TEXTS[i % len(TEXTS)] + f" {i}" for i in range(n)]
    c0, t0 = time.process_time(), time.perf_counter()
    hits = sum(len(m.match(t)) for t in texts)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    return {
        "texts": n,
        "brand_hits": hits,
        "texts_per_s": n / wall,
        "cpu_us_per_text": 1e6 * cpu / n,
    }


def _encoded(n: int) -> list[tuple[bytes, bytes]]:
    m = BrandMatcher(RULES)
    out: list[tuple[bytes, bytes]] = []
    for it in _items(n * 2, "enc"):
        msgs, _ = canonical(it, "web", "bench", m)
        out += [(b.encode(), v) for b, v in msgs]
        if len(out) >= n:
            break
    return out[:n]


def bench_bare(bootstrap: str, n: int) -> dict[str, float]:
    from kafka import KafkaProducer

    from streams.topics import ensure_topics

    topic = f"bench{uuid.uuid4().hex[:8]}.mentions"
    ensure_topics(bootstrap, [topic], 4)
    records = _encoded(n)
    p = KafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True, linger_ms=5)
    p.send(topic, key=b"warm-up", value=b"{}").get(timeout=30)  # metadata fetched before timing
    c0, t0 = time.process_time(), time.perf_counter()
    for k, v in records:
        p.send(topic, key=k, value=v)
    p.flush()
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    p.close()
    return {
        "mentions": len(records),
        "mentions_per_s": len(records) / wall,
        "cpu_s_per_1k": 1000 * cpu / len(records),
    }


def bench_bare_txn(bootstrap: str, n: int, batch: int) -> dict[str, float]:
    """The same records in one transaction per ``batch``: what the sink's atomicity costs."""
    from kafka import KafkaProducer

    from streams.topics import ensure_topics

    topic = f"bench{uuid.uuid4().hex[:8]}.mentions"
    ensure_topics(bootstrap, [topic], 4)
    records = _encoded(n)
    p = KafkaProducer(
        bootstrap_servers=bootstrap,
        acks="all",
        enable_idempotence=True,
        linger_ms=5,
        transactional_id=f"bench-{topic}",
    )
    p.init_transactions()
    p.begin_transaction()
    p.send(topic, key=b"warm-up", value=b"{}")
    p.commit_transaction()
    c0, t0 = time.process_time(), time.perf_counter()
    for i in range(0, len(records), batch):
        p.begin_transaction()
        for k, v in records[i : i + batch]:
            p.send(topic, key=k, value=v)
        p.commit_transaction()
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    p.close()
    return {
        "mentions": len(records),
        "mentions_per_s": len(records) / wall,
        "cpu_s_per_1k": 1000 * cpu / len(records),
    }


def bench_sink(bootstrap: str, n: int, batch: int) -> dict[str, float]:
    from streams.sources.runner import Sink, Topics, ensure_source_topics, new_metrics

    prefix = f"bench{uuid.uuid4().hex[:8]}."
    topics = Topics.with_prefix(prefix)
    ensure_source_topics(bootstrap, topics, 4)
    metrics, _ = new_metrics(["bench"])
    sink = Sink("bench", "web", bootstrap, topics, BrandMatcher(RULES), metrics, 5000)
    items = _items(n, "it")
    sink.deliver(_items(1, "warm-up"), [], {})  # metadata and transaction set up before timing
    c0, t0 = time.process_time(), time.perf_counter()
    produced = 0
    for i in range(0, n, batch):
        produced += sink.deliver(items[i : i + batch], [], {"i": i})
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    sink.close()
    return {
        "items": n,
        "mentions": produced,
        "batch": batch,
        "items_per_s": n / wall,
        "mentions_per_s": produced / wall,
        "cpu_s_per_1k_mentions": 1000 * cpu / produced,
    }


def bench_webhook(bootstrap: str, n: int, batch: int) -> dict[str, float]:
    import socket

    import yaml

    from tests.sourcefakes.kafka import read_topic

    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    prefix = f"bench{uuid.uuid4().hex[:8]}."
    secret = "bench-secret"
    with tempfile.TemporaryDirectory() as tmp:
        cfg = Path(tmp) / "cfg.yaml"
        cfg.write_text(
            yaml.safe_dump(
                {
                    "sources": {
                        "brands": {
                            r.brand: {
                                "names": list(r.names),
                                "handles": list(r.handles),
                                "keywords": list(r.keywords),
                                "exclusions": list(r.exclusions),
                            }
                            for r in RULES
                        },
                        "connectors": {
                            "hook": {
                                "kind": "webhook",
                                "port": port,
                                "secret_env": "HOOK_SECRET",
                                "mapping": {
                                    "items": "/events",
                                    "id": "/id",
                                    "text": "/text",
                                    "created_at": "/at",
                                },
                            }
                        },
                    }
                }
            )
        )
        env = {k: v for k, v in os.environ.items() if not k.startswith("SPIKEWATCH_")}
        env.update(
            SPIKEWATCH_KAFKA_BOOTSTRAP_SERVERS=bootstrap,
            SPIKEWATCH_TOPIC_PREFIX=prefix,
            HOOK_SECRET=secret,
            SPIKEWATCH_LOG_LEVEL="WARNING",
        )
        proc = subprocess.Popen(
            [sys.executable, "-m", "streams.cli", "source", "run", "hook", "--config", str(cfg)],
            env=env,
            cwd=str(ROOT),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        try:
            assert proc.stdout is not None
            while b"listening" not in proc.stdout.readline():
                if proc.poll() is not None:
                    raise RuntimeError("the source did not start")
            bodies = []
            for i in range(0, n, batch):
                evs = [
                    {"id": j, "text": TEXTS[j % len(TEXTS)], "at": 1772438400 + j}
                    for j in range(i, min(n, i + batch))
                ]
                body = json.dumps({"events": evs}).encode()
                sig = base64.b64encode(
                    hmac.new(secret.encode(), body, hashlib.sha256).digest()
                ).decode()
                bodies.append((body, sig))
            t0 = time.perf_counter()
            for body, sig in bodies:
                req = urllib.request.Request(
                    f"http://127.0.0.1:{port}/",
                    data=body,
                    method="POST",
                    headers={"X-Signature-256": "sha256=" + base64.b64decode(sig).hex()},
                )
                with urllib.request.urlopen(req, timeout=30) as r:
                    assert r.status == 200
            wall = time.perf_counter() - t0
            cpu = _cpu_seconds(proc.pid)
        finally:
            proc.terminate()
            proc.wait(20)
        m = BrandMatcher(RULES)
        want = sum(len(m.match(TEXTS[j % len(TEXTS)])) for j in range(n))
        got = len(read_topic(bootstrap, f"{prefix}mentions", want, timeout=120))
    if got != want:
        raise RuntimeError(f"webhook: {got} mentions on the topic, expected {want}")
    return {
        "items": n,
        "mentions": got,
        "batch": batch,
        "mentions_per_s": got / wall,
        "source_cpu_s_total": cpu,
    }


def _cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return float("nan")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="small sizes (seconds)")
    ap.add_argument("--items", type=int, default=None)
    ap.add_argument("--batch", type=int, default=200)
    args = ap.parse_args(argv)
    n = args.items or (5_000 if args.quick else 50_000)
    from streams.broker import BrokerPaths, start
    from streams.settings import bootstrap_servers, load_settings

    settings = load_settings()
    bootstrap = (
        bootstrap_servers(settings)
        if settings.kafka_bootstrap_servers
        else start(BrokerPaths.from_env())
    )
    print(f"# sources bench: {n} items, batch {args.batch}, broker {bootstrap}")
    print("# shared 2-core machine: wall times are noisy; compare ratios from this run")
    match = bench_match(n * 4)
    print(
        f"match:    {match['texts_per_s']:,.0f} texts/s, {match['cpu_us_per_text']:.1f} CPU-us/text"
    )
    bare = bench_bare(bootstrap, n)
    b = bare["mentions_per_s"]
    print(f"bare:     {b:,.0f} mentions/s, {bare['cpu_s_per_1k']:.3f} CPU-s/1k (kafka-python)")
    txn = bench_bare_txn(bootstrap, n, args.batch)
    t = txn["mentions_per_s"]
    print(f"bare+txn: {t:,.0f} mentions/s, {txn['cpu_s_per_1k']:.3f} CPU-s/1k (a txn per batch)")
    sink = bench_sink(bootstrap, n, args.batch)
    m = sink["mentions_per_s"]
    print(
        f"sink:     {m:,.0f} mentions/s ({sink['items_per_s']:,.0f} items/s), "
        f"{sink['cpu_s_per_1k_mentions']:.3f} CPU-s/1k; "
        f"ratio to bare {m / b:.2f}, to bare+txn {m / t:.2f}"
    )
    hook = bench_webhook(bootstrap, n // 2, args.batch)
    w = hook["mentions_per_s"]
    print(
        f"webhook:  {w:,.0f} mentions/s over HTTP ({hook['mentions']} mentions, "
        f"source CPU {hook['source_cpu_s_total']:.1f} s); ratio to bare {w / b:.2f}"
    )
    out = {"match": match, "bare": bare, "bare_txn": txn, "sink": sink, "webhook": hook}
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
