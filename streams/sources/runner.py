"""Run one source: fetch or receive, match brands, write mentions and the cursor atomically.

Every batch is one Kafka transaction: the canonical mentions (``mentions``, key =
brand), the dead letters (``mentions.dead``) and the source's cursor record
(``sources.cursors``, compacted, key = source name) commit together or not at all.
A restart reads the last committed cursor, so it neither skips nor repeats
(consumers read with ``isolation_level=read_committed``; the worker's own dedup by
id covers a consumer that reads uncommitted records). The transactional id is the
source's name, so a second copy of the same source fences the first.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from prometheus_client import CollectorRegistry

from detectors.brandmatch import BrandMatcher
from streams.records import dead_letter
from streams.sources.base import Bad, Batch, Fatal, Item, Poller, RateLimited, Transient, canonical
from streams.sources.metrics import SourceMetrics
from streams.sources.state import (
    CURSOR_CONFIGS,
    CURSOR_TOPIC,
    Dedup,
    decode_state,
    encode_state,
    load_state,
)

log = logging.getLogger(__name__)

MAX_PERSISTED_SEEN = 2000  # ids kept in the cursor record: bounds its size (~150 KB)


@dataclass(frozen=True, slots=True)
class Topics:
    mentions: str
    dead: str
    cursors: str

    @classmethod
    def with_prefix(cls, prefix: str) -> Topics:
        return cls(f"{prefix}mentions", f"{prefix}mentions.dead", f"{prefix}{CURSOR_TOPIC}")


def ensure_source_topics(bootstrap: str, topics: Topics, partitions: int) -> None:
    from streams.topics import RETENTION, ensure_topics

    ensure_topics(bootstrap, [topics.mentions, topics.dead], partitions)
    ensure_topics(
        bootstrap,
        [topics.cursors],
        1,
        {
            topics.cursors: dict(CURSOR_CONFIGS),
            topics.dead: {"retention.ms": RETENTION["mentions.dead"]},
        },
    )


class Sink:
    """The Kafka side of one source: a transactional producer, the cursor and the dedup set."""

    def __init__(
        self,
        name: str,
        channel: str,
        bootstrap: str,
        topics: Topics,
        matcher: BrandMatcher,
        metrics: SourceMetrics,
        dedup_size: int,
        *,
        state_key: str | None = None,
        clock: Callable[[], float] = time.time,
        on_produced: Callable[[float, int], None] | None = None,
    ) -> None:
        from kafka import KafkaProducer

        self.name = name
        self.channel = channel
        self.topics = topics
        self.matcher = matcher
        self.metrics = metrics
        self._clock = clock
        self._on_produced = on_produced
        self._lock = threading.Lock()
        self.state_key = state_key or name
        raw = load_state(bootstrap, topics.cursors, self.state_key)
        self.cursor, seen = decode_state(raw)
        self.dedup = Dedup(dedup_size, seen)
        self.producer = KafkaProducer(
            bootstrap_servers=bootstrap.split(","),
            transactional_id=f"spikewatch-source-{topics.cursors}-{self.state_key}",
            enable_idempotence=True,
            acks="all",
            linger_ms=5,
            compression_type=None,
        )
        self.producer.init_transactions()

    def close(self) -> None:
        self.producer.close(timeout=10)

    def deliver(
        self, items: Iterable[Item], bad: Iterable[Bad], cursor: dict[str, Any] | None
    ) -> int:
        """Write one batch in one transaction; return the number of mentions produced."""
        with self._lock:
            produced = dup = unmatched = dead = 0
            newest: float | None = None
            pending: dict[str, None] = {}
            dead_now: list[Bad] = []
            for b in bad:  # a bad record with an id is dead-lettered once, like a good one
                if b.platform_id is not None:
                    if b.platform_id in self.dedup or b.platform_id in pending:
                        dup += 1
                        continue
                    pending[b.platform_id] = None
                dead_now.append(b)
            self.producer.begin_transaction()
            try:
                for it in items:
                    if it.platform_id in self.dedup or it.platform_id in pending:
                        dup += 1
                        continue
                    pending[it.platform_id] = None
                    msgs, why = canonical(it, self.channel, self.name, self.matcher)
                    if why is not None:
                        dead_now.append(why)
                        continue
                    if not msgs:
                        unmatched += 1
                        continue
                    for brand, value in msgs:
                        self.producer.send(self.topics.mentions, key=brand.encode(), value=value)
                    produced += len(msgs)
                    ts = it.created_at.timestamp()
                    newest = ts if newest is None else max(newest, ts)
                for b in dead_now:
                    where: dict[str, Any] = {"source": self.name}
                    if b.platform_id is not None:
                        where["platform_id"] = b.platform_id
                    value = dead_letter(b.reason, b.detail, b.raw, **where)
                    self.producer.send(self.topics.dead, key=self.name.encode(), value=value)
                    dead += 1
                seen = Dedup(self.dedup.size, self.dedup.recent())
                for p in pending:
                    seen.add(p)
                new_cursor = self.cursor if cursor is None else cursor
                state = encode_state(new_cursor, seen.recent()[-MAX_PERSISTED_SEEN:])
                self.producer.send(self.topics.cursors, key=self.state_key.encode(), value=state)
                self.producer.commit_transaction()
            except BaseException:
                self._abort()
                raise
            self.dedup = seen
            self.cursor = new_cursor
            now = self._clock()
            m, n = self.metrics, self.name
            m.records.labels(n, "produced").inc(produced)
            m.records.labels(n, "duplicate").inc(dup)
            m.records.labels(n, "unmatched").inc(unmatched)
            m.records.labels(n, "dead").inc(dead)
            m.last_success.labels(n).set(now)
            if produced:
                m.last_record.labels(n).set(now)
            if newest is not None:
                m.cursor_lag.labels(n).set(max(0.0, now - newest))
            if self._on_produced is not None:
                self._on_produced(now, produced)
            return produced

    def _abort(self) -> None:
        try:
            self.producer.abort_transaction()
        except Exception:  # the producer may already be fenced or closed; the next start recovers
            log.exception("source %s: abort_transaction failed", self.name)


class Backoff:
    """Exponential backoff with jitter, or the platform's own wait when it gives one.

    >>> b = Backoff(base=1.0, cap=8.0, rng=lambda: 0.5)
    >>> [b.next() for _ in range(5)]
    [1.0, 2.0, 4.0, 8.0, 8.0]
    >>> b.next(told=30.0), b.reset(), b.next()
    (30.0, None, 1.0)
    """

    def __init__(self, base: float, cap: float, rng: Callable[[], float] = random.random) -> None:
        self.base, self.cap, self._rng, self._n = base, cap, rng, 0

    def next(self, told: float | None = None) -> float:
        if told is not None:
            self._n += 1
            return told  # the platform's wait is honoured even above our own cap
        d = float(min(self.cap, self.base * 2**self._n)) * (0.5 + self._rng())
        self._n += 1
        return min(self.cap, d)

    def reset(self) -> None:
        self._n = 0


def run_poller(
    sink: Sink,
    source: Poller,
    poll_seconds: float,
    max_backoff: float,
    stop: threading.Event,
    *,
    max_batches: int | None = None,
    backfill_since: datetime | None = None,
) -> int:
    """Fetch until ``stop`` is set; return the number of mentions produced.

    With ``backfill_since``, walk the source's history instead and return when it ends.
    """
    backoff = Backoff(base=min(1.0, poll_seconds), cap=max_backoff)
    total = batches = 0
    back = None if backfill_since is None else source.backfill_start(backfill_since)
    while not stop.is_set():
        m, n = sink.metrics, sink.name
        try:
            if back is None:
                batch = source.fetch(dict(sink.cursor))
            else:
                batch = source.backfill_fetch(dict(back))
        except RateLimited as exc:
            m.errors.labels(n, "rate_limited").inc()
            wait = backoff.next(told=exc.retry_after)
            log.warning("source %s: rate limited, waiting %.1fs", n, wait)
            stop.wait(wait)
            continue
        except Transient as exc:
            m.errors.labels(n, "server_error").inc()
            wait = backoff.next(told=exc.retry_after)
            log.warning("source %s: %s; retrying in %.1fs", n, exc, wait)
            stop.wait(wait)
            continue
        except Fatal:
            m.errors.labels(n, "fatal").inc()
            raise
        backoff.reset()
        if back is not None:
            total += sink.deliver(batch.items, batch.bad, None)
            back = batch.cursor
            if not batch.more:
                break
            continue
        total += sink.deliver(batch.items, batch.bad, batch.cursor)
        batches += 1
        if max_batches is not None and batches >= max_batches:
            break
        if not batch.more:
            stop.wait(poll_seconds)
    return total


def new_metrics(names: list[str]) -> tuple[SourceMetrics, CollectorRegistry]:
    reg = CollectorRegistry()
    return SourceMetrics(names, reg), reg


__all__ = ["Backoff", "Batch", "Sink", "Topics", "run_poller"]


def run_stream(
    sink: Sink,
    source: Any,
    max_backoff: float,
    stop: threading.Event,
) -> int:
    """Follow a streaming source: ``source.stream(cursor, stop)`` yields batches until it drops.

    On every (re)connection the source first catches up from the cursor (what was
    posted while we were away), then follows the live stream; a drop, a 429 or a
    5xx reconnects after the platform's wait or an exponential backoff.
    """
    backoff = Backoff(base=1.0, cap=max_backoff)
    total = 0
    while not stop.is_set():
        m, n = sink.metrics, sink.name
        try:
            for batch in source.stream(dict(sink.cursor), stop):
                total += sink.deliver(batch.items, batch.bad, batch.cursor)
                backoff.reset()
                if stop.is_set():
                    break
            else:
                if not stop.is_set():  # the server closed the stream: reconnect
                    stop.wait(backoff.next())
        except RateLimited as exc:
            m.errors.labels(n, "rate_limited").inc()
            wait = backoff.next(told=exc.retry_after)
            log.warning("source %s: rate limited, reconnecting in %.1fs", n, wait)
            stop.wait(wait)
        except Transient as exc:
            m.errors.labels(n, "server_error").inc()
            wait = backoff.next(told=exc.retry_after)
            log.warning("source %s: %s; reconnecting in %.1fs", n, exc, wait)
            stop.wait(wait)
        except Fatal:
            m.errors.labels(n, "fatal").inc()
            raise
    return total
