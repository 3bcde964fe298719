"""Fixtures for tests on the real Kafka broker and real worker processes.

The broker is the one ``deploy/kafka/start.sh`` runs (``make test`` starts it);
if it is not there, the session starts it, and if that fails the tests fail:
a missing broker is never a skip. Every test gets its own topic prefix and
consumer group (app id), so tests never see each other's records.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from streams.broker import BrokerPaths, start
from tests.harness import Worker, free_port, wait_for


@pytest.fixture(scope="session")
def bootstrap() -> str:
    """The real broker's address (started here if ``make test`` did not)."""
    return start(BrokerPaths.from_env())


@pytest.fixture
def prefix() -> str:
    return f"t{uuid.uuid4().hex[:10]}."


@pytest.fixture
def spawn_worker(bootstrap: str, prefix: str, tmp_path: Path) -> Iterator[Callable[..., Worker]]:
    """Start workers sharing this test's topics and consumer group."""
    workers: list[Worker] = []
    files: list[Any] = []

    def _spawn(extra_env: dict[str, str] | None = None, name: str = "w") -> Worker:
        port = free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SPIKEWATCH_", "SLACK_"))}
        env.update(
            SPIKEWATCH_KAFKA_BOOTSTRAP_SERVERS=bootstrap,
            SPIKEWATCH_APP_ID=f"spikewatch-{prefix}",
            SPIKEWATCH_TOPIC_PREFIX=prefix,
            SPIKEWATCH_WEB_PORT=str(port),
            SPIKEWATCH_DATA_DIR=str(tmp_path / f"data-{name}-{len(workers)}"),
            SPIKEWATCH_PARTITIONS="4",
            PYTHONUNBUFFERED="1",
        )
        env.update(extra_env or {})
        log = tmp_path / f"worker-{name}-{len(workers)}.log"
        out = log.open("wb")
        files.append(out)
        proc = subprocess.Popen(
            [sys.executable, "-m", "streams.cli", "worker"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=str(tmp_path),
        )
        w = Worker(proc, port, prefix, log, env)
        workers.append(w)

        def healthy() -> bool:
            if proc.poll() is not None:
                raise AssertionError(
                    f"worker exited with {proc.returncode}:\n{w.log_text()[-4000:]}"
                )
            try:
                with urllib.request.urlopen(f"{w.url}/healthz", timeout=1) as r:
                    return bool(json.loads(r.read()).get("ok"))
            except OSError:
                return False

        wait_for(healthy, 120, "the worker's /healthz")
        return w

    yield _spawn
    for w in workers:
        w.stop()
    for f in files:
        f.close()
