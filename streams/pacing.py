"""Slack pacing per channel shared by every worker, through a Kafka topic.

Slack asks for about one message per second per channel. A limit kept in one
process holds for that process only: two workers posting in one channel send
twice that. Here every worker claims a time slot in the ``slack.pacing`` topic
(one partition, so one order for everybody) before each call:

1. propose ``{channel, slot, id}`` with ``slot = max(now + lead, last + interval)``,
   ``last`` being the newest accepted slot of that channel in this worker's view;
2. every worker reads the topic in order and applies one rule: a proposal is
   accepted if its slot is at least ``interval`` after the channel's last
   accepted slot, else rejected. The rule only reads slots written in the
   records, so every reader reaches the same verdicts;
3. the proposer waits for the verdict on its own record: accepted -> sleep until
   the slot and go (if it wakes more than ``tolerance`` late it proposes again,
   so no call goes later than ``slot + tolerance``); rejected -> propose again
   with the newer ``last``.

Accepted slots of a channel are ``interval`` apart and calls go within
``tolerance`` after their slot, so two calls in one channel from any workers are
at least ``interval - tolerance`` apart at the sender. A worker joining reads the
last ``lookback`` seconds of proposals (slots are never far ahead of their
proposal's time: one outstanding proposal per worker), so it starts with the same
view. If the broker does not answer within ``decision_timeout`` the pacer falls
back to this process's own spacing for that call, and says so once.

The same machinery (:class:`SharedLog`: proposals to a one-partition topic, one
verdict rule applied in log order by every worker) gives :class:`FirstUseGuard`,
the Slack click replay guard across workers: a signed click is accepted by the
worker whose claim of its signature comes first in ``slack.clicks``; a captured
click replayed to any other worker finds the claim there and is refused.

Wall time (``time.time()``) is the shared clock here: the slots are a delivery
schedule, not a decision about events.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)

TOPIC = "slack.pacing"
CLICKS_TOPIC = "slack.clicks"


class SharedLog:
    """Proposals to a one-partition topic and one verdict rule every worker applies in order.

    Subclasses define :meth:`apply` (decide one record from its own fields and the
    records before it) and call :meth:`_propose` to wait for their own verdict.
    """

    def __init__(
        self,
        bootstrap: str,
        topic: str,
        *,
        lookback: float,
        decision_timeout: float = 3.0,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.bootstrap, self.topic = bootstrap, topic
        self.lookback, self.decision_timeout = lookback, decision_timeout
        self._clock, self._sleep = clock, sleep
        self._cond = threading.Condition()
        self._verdicts: dict[str, bool] = {}
        self._mine: set[str] = set()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._producer: Any = None
        self._ready = threading.Event()

    def apply(self, record: dict[str, Any]) -> bool:
        raise NotImplementedError

    def _verdict(self, rid: str, ok: bool) -> None:
        """Keep the verdict of one of our own proposals (call holding ``_cond``)."""
        if rid in self._mine:
            self._verdicts[rid] = ok
            self._cond.notify_all()

    # -- lifecycle ---------------------------------------------------------------------

    def start(self) -> SharedLog:
        from kafka import KafkaProducer

        ensure_topic(self.bootstrap, self.topic)
        self._producer = KafkaProducer(
            bootstrap_servers=self.bootstrap.split(","), acks=1, linger_ms=0
        )
        self._thread = threading.Thread(target=self._read, name=self.topic, daemon=True)
        self._thread.start()
        self._ready.wait(15)
        return self

    def _started(self) -> bool:
        """Start on first use (from a worker thread: no broker needed at import)."""
        if self._producer is None and not self._stop.is_set():
            try:
                self.start()
            except Exception:  # no broker: the caller falls back, said once
                log.exception("%s unavailable", self.topic)
                self._stop.set()
        return self._producer is not None

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        if self._producer is not None:
            self._producer.close(timeout=2)

    def _read(self) -> None:
        from kafka import KafkaConsumer, TopicPartition

        consumer = KafkaConsumer(
            bootstrap_servers=self.bootstrap.split(","),
            enable_auto_commit=False,
            group_id=None,
            fetch_max_wait_ms=20,
        )
        try:
            tp = TopicPartition(self.topic, 0)
            consumer.assign([tp])
            since = int((self._clock() - self.lookback) * 1000)
            found = consumer.offsets_for_times({tp: since}).get(tp)
            if found is not None:
                consumer.seek(tp, found.offset)
            else:
                consumer.seek_to_end(tp)
            consumer.position(tp)
            self._ready.set()
            while not self._stop.is_set():
                for recs in consumer.poll(timeout_ms=100).values():
                    for r in recs:
                        try:
                            self.apply(json.loads(r.value))
                        except (ValueError, KeyError, TypeError):
                            log.warning("bad record in %s at offset %s", self.topic, r.offset)
        except Exception:  # the callers fall back (pacing) or refuse (clicks)
            log.exception("%s reader stopped", self.topic)
        finally:
            self._ready.set()
            consumer.close()

    def _propose(self, key: str, record: dict[str, Any]) -> bool | None:
        """Write ``record`` (with a fresh ``id``), wait for its verdict; ``None``: no answer."""
        rid = uuid.uuid4().hex
        with self._cond:
            self._mine.add(rid)
        deadline = self._clock() + self.decision_timeout
        try:
            value = json.dumps({**record, "id": rid}).encode()
            self._producer.send(self.topic, key=key.encode(), value=value)
            self._producer.flush(timeout=self.decision_timeout)
        except Exception:  # any producer failure: no verdict
            with self._cond:
                self._mine.discard(rid)
            return None
        with self._cond:
            while rid not in self._verdicts:
                left = deadline - self._clock()
                if left <= 0:
                    self._mine.discard(rid)
                    return None
                self._cond.wait(min(left, 0.5))
            self._mine.discard(rid)
            return self._verdicts.pop(rid)


class KafkaPacer(SharedLog):
    """``pacer(channel)`` blocks until this worker may call Slack in ``channel``."""

    def __init__(
        self,
        bootstrap: str,
        topic: str,
        *,
        interval: float = 1.0,
        tolerance: float = 0.05,
        lead: float = 0.1,
        lookback: float = 120.0,
        decision_timeout: float = 3.0,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if interval <= 0 or tolerance < 0 or tolerance >= interval:
            raise ValueError("need interval > 0 and 0 <= tolerance < interval")
        super().__init__(
            bootstrap,
            topic,
            lookback=lookback,
            decision_timeout=decision_timeout,
            clock=clock,
            sleep=sleep,
        )
        self.interval, self.tolerance, self.lead = interval, tolerance, lead
        self._last: dict[str, float] = {}
        self._local_last: dict[str, float] = {}
        self._warned = False
        self.counts = {"accepted": 0, "rejected": 0, "late": 0, "fallback": 0}

    def apply(self, record: dict[str, Any]) -> bool:
        """Accept or reject one proposal, in log order (the same verdict on every worker)."""
        ch, slot, rid = str(record["c"]), float(record["s"]), str(record["id"])
        with self._cond:
            last = self._last.get(ch)
            ok = last is None or slot >= last + self.interval - 1e-6
            if ok:
                self._last[ch] = slot
            self._verdict(rid, ok)
        return ok

    def __call__(self, channel: str) -> None:
        if not self._started():
            self._fallback(channel)
            return
        for _ in range(50):
            with self._cond:
                last = self._last.get(channel)
            now = self._clock()
            slot = now + self.lead if last is None else max(now + self.lead, last + self.interval)
            verdict = self._propose(channel, {"c": channel, "s": slot})
            if verdict is None:
                self._fallback(channel)
                return
            if not verdict:
                self.counts["rejected"] += 1
                continue
            wait = slot - self._clock()
            if wait > 0:
                self._sleep(wait)
            if self._clock() > slot + self.tolerance:
                self.counts["late"] += 1
                continue  # too late for this slot: the next one may be close behind
            self.counts["accepted"] += 1
            self._local_last[channel] = slot
            return
        self._fallback(channel)

    def _fallback(self, channel: str) -> None:
        self.counts["fallback"] += 1
        if not self._warned:
            log.warning("slack pacing topic not answering: pacing %s by this worker only", channel)
            self._warned = True
        with self._cond:
            seen = [
                t for t in (self._local_last.get(channel), self._last.get(channel)) if t is not None
            ]
        wait = max(seen) + self.interval - self._clock() if seen else 0.0
        if wait > 0:
            self._sleep(wait)
        self._local_last[channel] = self._clock()


class FirstUseGuard(SharedLog):
    """``guard(signature)``: ``True`` only for the first claim of it by any worker.

    Slack signs a click with a timestamp and accepts it for 5 minutes; a claim is
    kept for ``window`` seconds (of the claims' wall time), so a click captured and
    replayed to any worker within its validity finds the first claim. ``None``
    when the topic does not answer (the caller refuses the click: fail closed).
    Only a hash of the signature goes to Kafka.
    """

    def __init__(self, bootstrap: str, topic: str, *, window: float = 600.0, **kw: Any) -> None:
        super().__init__(bootstrap, topic, lookback=window, **kw)
        self.window = window
        self._seen: dict[str, float] = {}

    def apply(self, record: dict[str, Any]) -> bool:
        key, at, rid = str(record["k"]), float(record["t"]), str(record["id"])
        with self._cond:
            if len(self._seen) > 10_000:
                horizon = at - self.window
                self._seen = {k: t for k, t in self._seen.items() if t >= horizon}
            first = at - self._seen.get(key, float("-inf")) > self.window
            if first:
                self._seen[key] = at
            self._verdict(rid, first)
        return first

    def __call__(self, signature: str) -> bool | None:
        if not self._started():
            return None
        key = hashlib.sha256(signature.encode()).hexdigest()[:32]
        return self._propose(key, {"k": key, "t": self._clock()})


def ensure_topic(bootstrap: str, topic: str) -> None:
    """One partition (one order for every worker), short retention: slots age out fast."""
    from streams.topics import ensure_topics

    ensure_topics(
        bootstrap,
        [topic],
        1,
        configs={topic: {"retention.ms": str(3600 * 1000), "segment.ms": str(600 * 1000)}},
    )
