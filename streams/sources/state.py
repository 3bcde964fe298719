"""Per-source state: the cursor (in a compacted Kafka topic) and bounded dedup by platform id.

The cursor record is keyed by the source's name and holds the connector's own
cursor (an ETag, a timestamp, a page token) and the most recent platform ids
(bounded), so after a restart a record delivered again is not sent again. It is
written in the same Kafka transaction as the mentions it accounts for.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Iterable
from typing import Any

CURSOR_TOPIC = "sources.cursors"
CURSOR_CONFIGS = {"cleanup.policy": "compact", "min.compaction.lag.ms": "60000"}


class Dedup:
    """The last ``size`` platform ids seen (insertion-ordered, oldest evicted first).

    >>> d = Dedup(2, ["a"])
    >>> d.add("a"), d.add("b"), d.add("c"), d.add("a")
    (False, True, True, True)
    >>> d.recent()
    ['c', 'a']
    """

    def __init__(self, size: int, initial: Iterable[str] = ()) -> None:
        if size < 1:
            raise ValueError("size must be >= 1")
        self.size = size
        self._ids: OrderedDict[str, None] = OrderedDict()
        for i in initial:
            self.add(i)

    def __contains__(self, pid: str) -> bool:
        return pid in self._ids

    def __len__(self) -> int:
        return len(self._ids)

    def add(self, pid: str) -> bool:
        """True when ``pid`` is new (and now remembered)."""
        if pid in self._ids:
            return False
        self._ids[pid] = None
        if len(self._ids) > self.size:
            self._ids.popitem(last=False)
        return True

    def recent(self) -> list[str]:
        return list(self._ids)


def encode_state(cursor: dict[str, Any], seen: list[str]) -> bytes:
    return json.dumps({"cursor": cursor, "seen": seen}, separators=(",", ":")).encode()


def decode_state(raw: bytes | None) -> tuple[dict[str, Any], list[str]]:
    if not raw:
        return {}, []
    obj = json.loads(raw)
    cursor = obj.get("cursor") if isinstance(obj, dict) else None
    seen = obj.get("seen") if isinstance(obj, dict) else None
    return (
        cursor if isinstance(cursor, dict) else {},
        [str(s) for s in seen] if isinstance(seen, list) else [],
    )


def load_state(bootstrap: str, topic: str, key: str, timeout: float = 15.0) -> bytes | None:
    """The last committed value for ``key`` in the cursor topic (``None`` when there is none)."""
    from kafka import KafkaConsumer, TopicPartition

    consumer = KafkaConsumer(
        bootstrap_servers=bootstrap.split(","),
        enable_auto_commit=False,
        isolation_level="read_committed",
        consumer_timeout_ms=int(timeout * 1000),
    )
    try:
        parts = consumer.partitions_for_topic(topic) or set()
        tps = [TopicPartition(topic, p) for p in sorted(parts)]
        if not tps:
            return None
        consumer.assign(tps)
        consumer.seek_to_beginning(*tps)
        end = consumer.end_offsets(tps)
        want = key.encode()
        last: bytes | None = None
        pending = {tp for tp in tps if end[tp] > 0}
        while pending:
            polled = consumer.poll(timeout_ms=int(timeout * 1000))
            if not polled:
                break
            for msgs in polled.values():
                for m in msgs:
                    if m.key == want:
                        last = m.value
            for tp in list(pending):
                if consumer.position(tp) >= end[tp]:
                    pending.discard(tp)
        if pending:
            raise TimeoutError(f"could not read {topic} to its end in {timeout:.0f}s")
        return last
    finally:
        consumer.close()
