"""The HTTP edge: a record Kafka can never take gets 413 (not "retry"); slow clients are cut."""

from __future__ import annotations

import json
import socket
import time
import urllib.error
import urllib.request
from collections.abc import Callable

import pytest

from streams.web import HEADER_SECONDS
from tests.harness import Worker, business_morning

pytestmark = pytest.mark.integration


def test_too_big_for_kafka_is_413_with_the_limit_and_slow_headers_are_cut(
    spawn_worker: Callable[..., Worker],
) -> None:
    w = spawn_worker()
    big = {
        "id": "x:big",
        "source": "x",
        "brand": "nordbank",
        "created_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(business_morning())),
        "text": "t",
        "notes": "ä" * 700_000,  # a valid mention (unknown fields are kept), 1.4 MB: over Kafka's
    }
    req = urllib.request.Request(
        f"{w.url}/ingest",
        data=json.dumps(big, ensure_ascii=False).encode(),
        method="POST",
        headers={"Content-Type": "application/json"},
    )
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(req, timeout=30)
    assert err.value.code == 413
    body = json.loads(err.value.read())
    assert 900_000 < body["limit_bytes"] < 1_000_001
    assert "no retry helps" in body["error"]

    # One header line every 2 s: the server closes the connection after HEADER_SECONDS.
    s = socket.create_connection(("127.0.0.1", w.port), timeout=HEADER_SECONDS + 10)
    started = time.monotonic()
    s.sendall(b"POST /ingest HTTP/1.1\r\nHost: x\r\n")
    closed_after = None
    for i in range(30):
        time.sleep(2)
        try:
            s.sendall(f"X-Slow-{i}: 1\r\n".encode())
            s.setblocking(False)
            try:
                if s.recv(1) == b"":
                    closed_after = time.monotonic() - started
                    break
            except BlockingIOError:
                pass
            finally:
                s.setblocking(True)
        except OSError:
            closed_after = time.monotonic() - started
            break
    s.close()
    assert closed_after is not None, "a trickling client was never cut off"
    assert closed_after < HEADER_SECONDS + 6
    # The worker still answers.
    with urllib.request.urlopen(f"{w.url}/healthz", timeout=5) as r:
        assert r.status == 200
