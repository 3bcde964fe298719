"""Replay a file of canonical mentions into Kafka, in event-time order, scaled in time.

``spikewatch ingest FILE.ndjson --speed N`` sends each mention when its event
time, divided by N, is due (``--speed 0`` sends as fast as possible). It uses a
kafka-python producer with ``acks=all`` and idempotence; if the broker is down
the producer retries until ``--timeout`` and then fails loudly, never dropping a
record silently. Lines that are not JSON are sent as they are, so the worker's
validation puts them in the dead-letter topic with a reason.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from detectors.mention import InvalidMention, parse_time


@dataclass(frozen=True)
class Record:
    ts: float | None
    key: bytes | None
    value: bytes


def read_records(lines: Iterable[bytes]) -> list[Record]:
    """Parse lines just enough to order them; keep the original bytes."""
    out: list[Record] = []
    for line in lines:
        raw = line.rstrip(b"\r\n")
        if not raw.strip():
            continue
        ts = key = None
        try:
            obj = json.loads(raw)
            if isinstance(obj, dict):
                brand = obj.get("brand")
                if isinstance(brand, str):
                    key = brand.strip().lower().encode()
                ts = parse_time(obj.get("created_at")).timestamp()
        except (ValueError, RecursionError, InvalidMention, UnicodeDecodeError):
            pass
        out.append(Record(ts, key, raw))
    first = min((r.ts for r in out if r.ts is not None), default=0.0)
    # Records without a time keep their place relative to the start.
    out.sort(key=lambda r: first if r.ts is None else r.ts)
    return out


def paced(
    records: list[Record],
    speed: float,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> Iterator[Record]:
    """Yield records when their event time (scaled by ``speed``) is due."""
    t0 = next((r.ts for r in records if r.ts is not None), None)
    start = clock()
    for r in records:
        if speed > 0 and t0 is not None and r.ts is not None:
            wait = (r.ts - t0) / speed - (clock() - start)
            if wait > 0:
                sleep(wait)
        yield r


def replay(
    path: Path,
    bootstrap: str,
    topic: str,
    speed: float,
    *,
    timeout: float = 60.0,
    progress: Callable[[int, int], None] | None = None,
    ensure_partitions: int | None = None,
) -> int:
    """Send the file's records; return how many were acknowledged by the broker."""
    from kafka import KafkaProducer
    from kafka.errors import KafkaError

    records = read_records(path.open("rb"))
    if ensure_partitions:
        from streams.topics import ensure_topics

        ensure_topics(bootstrap, [topic], ensure_partitions)
    producer = KafkaProducer(
        bootstrap_servers=bootstrap.split(","),
        acks="all",
        linger_ms=5,
        retries=2**31 - 1,
        delivery_timeout_ms=int(timeout * 1000),
        request_timeout_ms=min(30000, int(timeout * 1000)),
        max_block_ms=int(timeout * 1000),
        max_request_size=4 * 1024 * 1024,
    )
    futures = []
    try:
        for i, r in enumerate(paced(records, speed), 1):
            futures.append(producer.send(topic, key=r.key, value=r.value))
            if progress and i % 500 == 0:
                progress(i, len(records))
        producer.flush(timeout=timeout)
        sent = 0
        for f in futures:
            f.get(timeout=timeout)
            sent += 1
    except KafkaError as exc:
        print(f"ingest: the broker did not accept the records: {exc}", file=sys.stderr)
        raise
    finally:
        producer.close(timeout=10)
    if progress:
        progress(len(records), len(records))
    return sent
