"""Team corrections at the edge: a verified Slack click -> a record on the ``feedback`` topic,
and ``spikewatch feedback export`` (the topic -> an NDJSON file for ``make train FEEDBACK=F``).

The pure part (the menu, reading the click, the record's shape) is :mod:`alerts.feedback`.
Here the request's signature is checked (:func:`alerts.interactivity.verify`), the text
is enriched again to record the language and the label the model gives it (the same
model the worker runs), and the record is sent keyed by brand. Nothing read from the
topic is executed: the export writes the JSON objects it reads, checked field by field.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from alerts.feedback import FeedbackError, correction, feedback_record, is_feedback_action
from alerts.interactivity import MAX_BODY_BYTES, BadRequest, _payload, verify
from detectors.text.enricher import Enricher

TOPIC = "feedback"
FIELDS = (
    "mention_id",
    "text",
    "brand",
    "lang",
    "field",
    "old",
    "new",
    "who",
    "event_time",
    "incident_id",
)


def feedback_request(
    headers: Mapping[str, str], body: bytes, signing_secret: str, now: float
) -> dict[str, Any] | None:
    """The correction of a verified click on a sample's menu; None for any other request
    (which :func:`alerts.interactivity.parse_request` then reads).

    Raises :class:`alerts.interactivity.InteractionError` for a bad signature or a
    correction click that cannot be read.
    """
    if len(body) > MAX_BODY_BYTES:
        raise BadRequest("body_too_large")
    verify(headers, body, signing_secret, now)
    payload = _payload(body)
    actions = payload.get("actions")
    act = actions[0] if isinstance(actions, list) and actions else None
    if payload.get("type") != "block_actions" or not isinstance(act, dict):
        return None
    if not is_feedback_action(act.get("action_id")):
        return None
    try:
        return correction(payload)
    except FeedbackError as exc:
        raise BadRequest(str(exc)) from None


def complete(corr: Mapping[str, Any], enricher: Enricher) -> dict[str, Any]:
    """``corr`` with the language and the label the model gives its text."""
    e = enricher.enrich_text(str(corr["text"]))
    return feedback_record(corr, e.lang, e.sentiment, e.topics)


def encode(record: Mapping[str, Any]) -> tuple[bytes, bytes]:
    """``(key, value)`` of a record for the topic."""
    return str(record["brand"]).encode(), json.dumps(record, ensure_ascii=False).encode()


def valid(obj: Any) -> dict[str, Any] | None:
    """A record read back from the topic, or None when it lacks a field or has a bad one."""
    if not isinstance(obj, dict):
        return None
    if any(k not in obj for k in FIELDS):
        return None
    if not all(isinstance(obj[k], str) for k in FIELDS if k != "event_time"):
        return None
    if not isinstance(obj["event_time"], int | float) or obj["field"] not in ("sentiment", "topic"):
        return None
    return {k: obj[k] for k in FIELDS}


def export(bootstrap: str, topic: str, out: Path, timeout_s: float = 10.0) -> tuple[int, int]:
    """Read ``topic`` from the beginning to its end into ``out`` (NDJSON).

    Returns ``(records written, records skipped as malformed)``. A later correction of the
    same mention and field replaces an earlier one (the last word wins).
    """
    from kafka import KafkaConsumer, TopicPartition

    consumer = KafkaConsumer(
        bootstrap_servers=bootstrap.split(","),
        enable_auto_commit=False,
        consumer_timeout_ms=int(timeout_s * 1000),
    )
    try:
        parts = [
            TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or ())
        ]
        if not parts:
            out.write_text("", encoding="utf-8")
            return 0, 0
        consumer.assign(parts)
        consumer.seek_to_beginning(*parts)
        end = consumer.end_offsets(parts)
        latest: dict[tuple[str, str], dict[str, Any]] = {}
        skipped = 0
        remaining = {tp for tp in parts if end[tp] > 0}
        while remaining:
            batch = consumer.poll(timeout_ms=int(timeout_s * 1000))
            if not batch:
                break
            for tp, msgs in batch.items():
                for msg in msgs:
                    try:
                        rec = valid(json.loads(msg.value))
                    except (ValueError, TypeError):
                        rec = None
                    if rec is None:
                        skipped += 1
                    else:
                        latest[(rec["mention_id"], rec["field"])] = rec
                    if msg.offset + 1 >= end[tp]:
                        remaining.discard(tp)
    finally:
        consumer.close()
    rows = sorted(latest.values(), key=lambda r: (r["event_time"], r["mention_id"]))
    with open(out, "w", encoding="utf-8") as fh:
        for r in rows:
            fh.write(json.dumps(r, ensure_ascii=False) + "\n")
    return len(rows), skipped
