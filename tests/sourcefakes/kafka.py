"""Reading topics and running ``spikewatch source run`` for the source integration tests."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import yaml

BRANDS = {
    "nordbank": {
        "names": ["Nordbank"],
        "handles": ["@nordbank"],
        "page_ids": ["1001"],
        "exclusions": ["Nordbank Arena"],
    },
    "lumoverkko": {
        "names": ["Lumoverkko"],
        "handles": ["@lumoverkko"],
        "page_ids": ["17841400000"],
    },
}


def write_config(
    path: Path,
    connectors: dict[str, Any],
    brands_extra: dict[str, dict[str, Any]] | None = None,
    **extra: Any,
) -> Path:
    brands = {b: {**v, **(brands_extra or {}).get(b, {})} for b, v in BRANDS.items()}
    path.write_text(
        yaml.safe_dump({"sources": {"brands": brands, "connectors": connectors, **extra}}),
        encoding="utf-8",
    )
    return path


def read_topic(bootstrap: str, topic: str, n: int, timeout: float = 40.0) -> list[Any]:
    """Committed records of ``topic`` from the start: wait for ``n``, then settle a second."""
    from kafka import KafkaConsumer, TopicPartition

    c = KafkaConsumer(
        bootstrap_servers=bootstrap,
        enable_auto_commit=False,
        isolation_level="read_committed",
        auto_offset_reset="earliest",
    )
    out: list[Any] = []
    try:
        deadline = time.monotonic() + timeout
        tps: list[TopicPartition] = []
        while not tps and time.monotonic() < deadline:
            tps = [TopicPartition(topic, p) for p in sorted(c.partitions_for_topic(topic) or [])]
            if not tps:
                time.sleep(0.2)
        c.assign(tps)
        c.seek_to_beginning(*tps)
        settle = None
        while time.monotonic() < deadline:
            for msgs in c.poll(timeout_ms=200).values():
                out.extend(msgs)
            if len(out) >= n:
                settle = settle or time.monotonic() + 1.0  # catch any extra (repeated) record
                if time.monotonic() >= settle:
                    break
        return out
    finally:
        c.close()


def values(records: list[Any]) -> list[dict[str, Any]]:
    return [json.loads(r.value) for r in records]


class SourceProcess:
    """``python -m streams.cli source run NAME`` against this test's broker and topic prefix."""

    def __init__(self, name: str, config: Path, bootstrap: str, prefix: str, log: Path, **env: str):
        e = {k: v for k, v in os.environ.items() if not k.startswith(("SPIKEWATCH_", "SLACK_"))}
        e.update(
            SPIKEWATCH_KAFKA_BOOTSTRAP_SERVERS=bootstrap,
            SPIKEWATCH_TOPIC_PREFIX=prefix,
            SPIKEWATCH_PARTITIONS="2",
            PYTHONUNBUFFERED="1",
            **env,
        )
        self.log = log
        self._out = log.open("ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "streams.cli", "source", "run", name, "--config", str(config)],
            env=e,
            stdout=self._out,
            stderr=subprocess.STDOUT,
            cwd=str(Path(__file__).resolve().parents[2]),
        )

    def text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def wait_for_log(self, needle: str, timeout: float = 40.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if needle in self.text():
                return
            if self.proc.poll() is not None:
                break
            time.sleep(0.1)
        raise AssertionError(f"{needle!r} not in the source's log:\n{self.text()[-3000:]}")

    def stop(self, timeout: float = 20.0) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            rc = self.proc.wait(5)
        self._out.close()
        return rc
