"""While the broker is down the worker logs a few lines, not thousands, and SIGTERM still works."""

from __future__ import annotations

import signal
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from streams.broker import BrokerPaths, start, stop
from tests.harness import Worker, free_port

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.fixture
def own_broker(tmp_path: Path) -> Iterator[BrokerPaths]:
    """A Kafka broker of this test's own (the shared one is never stopped)."""
    paths = BrokerPaths(
        BrokerPaths.from_env().cache_dir, tmp_path / "kafka", free_port(), free_port()
    )
    start(paths)
    try:
        yield paths
    finally:
        stop(paths)


def test_broker_down_is_quiet_and_sigterm_ends_the_worker(
    own_broker: BrokerPaths, spawn_worker: Callable[..., Worker]
) -> None:
    w = spawn_worker({"SPIKEWATCH_KAFKA_BOOTSTRAP_SERVERS": own_broker.bootstrap})
    before = len(w.log_text().splitlines())
    stop(own_broker)
    time.sleep(25)
    lines = w.log_text().splitlines()[before:]
    noisy = [ln for ln in lines if "[ERROR]" in ln or "[WARNING]" in ln]
    print(f"\n{len(lines)} lines ({len(noisy)} warnings/errors) in 25 s with the broker down")
    assert len(lines) < 300, "\n".join(lines[-20:])
    started = time.monotonic()
    w.proc.send_signal(signal.SIGTERM)
    w.proc.wait(timeout=20)
    took = time.monotonic() - started
    print(f"SIGTERM to exit: {took:.1f}s (exit code {w.proc.returncode})")
    assert took < 12
