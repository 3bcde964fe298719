"""Small edge pieces: ingest ordering and pacing, state codec, log redaction, HTTP bodies."""

from __future__ import annotations

import json
import logging
import os
import pickle

import pytest

from streams.codec import StateFormatError, dumps_state, loads_state
from streams.ingest import paced, read_records
from streams.logs import RedactSecrets
from streams.records import dead_letter
from streams.web import split_body


def _line(i: int, minute: int) -> bytes:
    return json.dumps(
        {
            "id": str(i),
            "source": "x",
            "brand": "NB",
            "created_at": f"2026-03-02T08:{minute:02d}:00Z",
            "text": "t",
        }
    ).encode()


def test_read_records_sorts_by_event_time_and_keeps_bad_lines() -> None:
    recs = read_records([_line(1, 30), b"garbage\n", _line(2, 10), b"\n"])
    assert [r.value for r in recs][-1] == _line(1, 30)
    assert b"garbage" in [r.value for r in recs]
    assert recs[-1].key == b"nb"


def test_paced_sleeps_in_scaled_event_time() -> None:
    recs = read_records([_line(1, 0), _line(2, 10)])  # 600 s apart
    now = [0.0]
    slept: list[float] = []

    def sleep(s: float) -> None:
        slept.append(s)
        now[0] += s

    list(paced(recs, speed=60, clock=lambda: now[0], sleep=sleep))
    assert slept == [pytest.approx(10.0)]


def test_state_codec_refuses_foreign_classes() -> None:
    from detectors.keystate import RecentIds

    r = RecentIds(4)
    r.add("x", "1")
    assert len(loads_state(dumps_state(r))) == 1
    with pytest.raises(StateFormatError):
        loads_state(pickle.dumps(os.system))  # a callable that could run code


def test_redaction_hides_secrets_and_token_shapes(caplog: pytest.LogCaptureFixture) -> None:
    log = logging.getLogger("t.redact")
    log.addFilter(RedactSecrets(["s3cr3t-value"]))
    with caplog.at_level(logging.INFO, logger="t.redact"):
        log.info("token %s and %s", "s3cr3t-value", "xoxb-123-456-abc")
    assert "s3cr3t-value" not in caplog.text
    assert "xoxb-123" not in caplog.text


def test_split_body_forms() -> None:
    one = _line(1, 0)
    assert split_body(one, "application/json") == [one]
    assert len(split_body(b"[" + one + b"," + one + b"]", "application/json") or []) == 2
    assert split_body(one + b"\n" + one, "application/x-ndjson") == [one, one]
    assert split_body(b"{oops", "application/json") is None
    d = json.loads(dead_letter("invalid_json", "x", b"\xff{", topic="m", partition=0, offset=3))
    assert d["reason"] == "invalid_json"
    assert d["offset"] == 3
    assert d["original"] == "\\xff{"
