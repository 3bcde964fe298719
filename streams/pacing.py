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

Wall time (``time.time()``) is the shared clock here: the slots are a delivery
schedule, not a decision about events.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)

TOPIC = "slack.pacing"


class KafkaPacer:
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
        self.bootstrap, self.topic = bootstrap, topic
        self.interval, self.tolerance, self.lead = interval, tolerance, lead
        self.lookback, self.decision_timeout = lookback, decision_timeout
        self._clock, self._sleep = clock, sleep
        self._cond = threading.Condition()
        self._last: dict[str, float] = {}
        self._verdicts: dict[str, bool] = {}
        self._mine: set[str] = set()
        self._local_last: dict[str, float] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._producer: Any = None
        self._ready = threading.Event()
        self._warned = False
        self.counts = {"accepted": 0, "rejected": 0, "late": 0, "fallback": 0}

    # -- lifecycle ---------------------------------------------------------------------

    def start(self) -> KafkaPacer:
        from kafka import KafkaProducer

        ensure_topic(self.bootstrap, self.topic)
        self._producer = KafkaProducer(
            bootstrap_servers=self.bootstrap.split(","),
            acks=1,
            linger_ms=0,
        )
        self._thread = threading.Thread(target=self._read, name="slack-pacing", daemon=True)
        self._thread.start()
        self._ready.wait(15)
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        if self._producer is not None:
            self._producer.close(timeout=2)

    # -- the shared rule -------------------------------------------------------------------

    def apply(self, record: dict[str, Any]) -> bool:
        """Accept or reject one proposal, in log order (the same verdict on every worker)."""
        ch, slot, rid = str(record["c"]), float(record["s"]), str(record["id"])
        with self._cond:
            last = self._last.get(ch)
            ok = last is None or slot >= last + self.interval - 1e-6
            if ok:
                self._last[ch] = slot
            if rid in self._mine:
                self._verdicts[rid] = ok
                self._cond.notify_all()
        return ok

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
                            rec = json.loads(r.value)
                            self.apply(rec)
                        except (ValueError, KeyError, TypeError):
                            log.warning("bad pacing record at offset %s", r.offset)
        except Exception:  # the pacer falls back to local spacing
            log.exception("slack pacing reader stopped; pacing falls back to this process")
        finally:
            self._ready.set()
            consumer.close()

    # -- the call ------------------------------------------------------------------------

    def __call__(self, channel: str) -> None:
        if self._producer is None and not self._stop.is_set():
            try:
                self.start()  # on first use, from the Slack thread: no broker at import
            except Exception:  # no broker: local spacing, said once
                log.exception("slack pacing topic unavailable")
                self._stop.set()
        if self._producer is None:
            self._fallback(channel)
            return
        for _ in range(50):
            with self._cond:
                last = self._last.get(channel)
            now = self._clock()
            slot = now + self.lead if last is None else max(now + self.lead, last + self.interval)
            rid = uuid.uuid4().hex
            with self._cond:
                self._mine.add(rid)
            verdict = self._propose(channel, slot, rid)
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

    def _propose(self, channel: str, slot: float, rid: str) -> bool | None:
        deadline = self._clock() + self.decision_timeout
        try:
            value = json.dumps({"c": channel, "s": slot, "id": rid}).encode()
            self._producer.send(self.topic, key=channel.encode(), value=value)
            self._producer.flush(timeout=self.decision_timeout)
        except Exception:  # any producer failure: fall back
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


def ensure_topic(bootstrap: str, topic: str) -> None:
    """One partition (one order for every worker), short retention: slots age out fast."""
    from streams.topics import ensure_topics

    ensure_topics(
        bootstrap,
        [topic],
        1,
        configs={topic: {"retention.ms": str(3600 * 1000), "segment.ms": str(600 * 1000)}},
    )
