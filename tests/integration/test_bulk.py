"""The bulk intake (streams/bulk.py) on the real broker: kills, restarts, rebalances.

Each test runs :mod:`tests.integration.bulk_app` processes (the worker's Faust
settings and bulk intake, a log line per processed record, a changelogged
table written per batch) on its own topic and consumer group, and checks the
log against the topic and the group's committed offsets.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections import defaultdict
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.harness import produce, wait_for

PARTITIONS = 4
ROOT = Path(__file__).resolve().parents[2]

Line = tuple[int, int, int, int, int, int]  # pid, generation, partition, offset, first, last


def _admin(bootstrap: str):  # type: ignore[no-untyped-def]
    from kafka import KafkaAdminClient

    return KafkaAdminClient(bootstrap_servers=bootstrap)


def create_topic(bootstrap: str, name: str) -> None:
    from kafka.admin import NewTopic

    admin = _admin(bootstrap)
    try:
        admin.create_topics([NewTopic(name, PARTITIONS, 1)])
    finally:
        admin.close()


def committed(bootstrap: str, group: str, topic: str) -> dict[int, int]:
    """The group's committed offsets of ``topic`` (read without joining the group)."""
    from kafka import KafkaConsumer, TopicPartition

    c = KafkaConsumer(bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False)
    try:
        got = {p: c.committed(TopicPartition(topic, p)) for p in range(PARTITIONS)}
    finally:
        c.close()
    return {p: off for p, off in got.items() if off is not None and off >= 0}


def read_log(path: Path) -> list[Line]:
    if not path.exists():
        return []
    out: list[Line] = []
    for line in path.read_text().splitlines():
        parts = line.split()
        if len(parts) == 6:
            pid, gen, p, o, first, last = map(int, parts)
            out.append((pid, gen, p, o, first, last))
    return out


def covered(lines: list[Line], ends: dict[int, int]) -> bool:
    seen: dict[int, set[int]] = defaultdict(set)
    for _, _, p, o, _, _ in lines:
        seen[p].add(o)
    return all(seen[p] >= set(range(end)) for p, end in ends.items())


def end_offsets(bootstrap: str, topic: str) -> dict[int, int]:
    from kafka import KafkaConsumer, TopicPartition

    c = KafkaConsumer(bootstrap_servers=bootstrap)
    try:
        tps = [TopicPartition(topic, p) for p in range(PARTITIONS)]
        return {tp.partition: off for tp, off in c.end_offsets(tps).items()}
    finally:
        c.close()


@pytest.fixture
def bulk_app(
    bootstrap: str, prefix: str, tmp_path: Path
) -> Iterator[Callable[..., subprocess.Popen[bytes]]]:
    procs: list[subprocess.Popen[bytes]] = []

    def spawn(*args: str, name: str = "a") -> subprocess.Popen[bytes]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SPIKEWATCH_", "SLACK_"))}
        env.update(
            SPIKEWATCH_KAFKA_BOOTSTRAP_SERVERS=bootstrap,
            SPIKEWATCH_APP_ID=f"bulk-{prefix}",
            SPIKEWATCH_TOPIC_PREFIX=prefix,
            SPIKEWATCH_DATA_DIR=str(tmp_path / f"data-{name}-{len(procs)}"),
            SPIKEWATCH_PARTITIONS=str(PARTITIONS),
            PYTHONUNBUFFERED="1",
            PYTHONPATH=str(ROOT),
        )
        if os.environ.get("SW_BULK_TRACE"):
            env["SW_BULK_TRACE"] = os.environ["SW_BULK_TRACE"]
        log = (tmp_path / f"{name}-{len(procs)}.log").open("wb")
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.integration.bulk_app",
                str(tmp_path / "processed"),
                *args,
            ],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=str(ROOT),
        )
        procs.append(proc)
        return proc

    yield spawn
    for proc in procs:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def records(n: int) -> list[tuple[bytes | None, bytes]]:
    return [(f"k{i % 97}".encode(), json.dumps({"i": i}).encode()) for i in range(n)]


def changelog_partitions(bootstrap: str, topic: str) -> list[tuple[int, str]]:
    """(partition, key) of every record of a changelog topic."""
    from kafka import KafkaConsumer

    c = KafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        consumer_timeout_ms=3000,
    )
    try:
        return [(r.partition, json.loads(r.key)) for r in c]
    finally:
        c.close()


def test_sigkill_inside_a_batch_then_restart_loses_nothing_and_resumes_at_the_commit(
    bootstrap: str, prefix: str, tmp_path: Path, bulk_app: Callable[..., subprocess.Popen[bytes]]
) -> None:
    topic = f"{prefix}mentions"
    create_topic(bootstrap, topic)
    produce(bootstrap, topic, records(6000))
    ends = end_offsets(bootstrap, topic)
    assert sum(ends.values()) == 6000
    log = tmp_path / "processed"
    # Batches of 200 taking 0.1 s each: commits (every 1 s) happen between them.
    a = bulk_app("--max-batch", "200", "--sleep", "0.1", "--crash-after", "15", name="a")
    assert a.wait(timeout=180) == -signal.SIGKILL
    before = read_log(log)
    assert before, "the first process logged nothing before its crash"
    pid_a = before[0][0]
    crashed_in = before[-1]  # the batch it died in: only its first half is logged
    half = [x for x in before if (x[2], x[4]) == (crashed_in[2], crashed_in[4])]
    assert len(half) < crashed_in[5] - crashed_in[4] + 1
    group = f"bulk-{prefix}"
    commit = committed(bootstrap, group, topic)
    assert commit, "nothing committed before the crash: the test shows nothing"
    # Commit after processing: everything below the committed offset was processed.
    done_a: dict[int, set[int]] = defaultdict(set)
    for _, _, p, o, _, _ in before:
        done_a[p].add(o)
    for p, off in commit.items():
        assert done_a[p] >= set(range(off)), f"partition {p} committed past unprocessed records"
        assert off < ends[p] or p != crashed_in[2], "the crashed batch was committed"
    assert commit.get(crashed_in[2], 0) <= crashed_in[4], "the batch in flight was committed"

    bulk_app(name="b")
    wait_for(lambda: covered(read_log(log), ends), 180, "every record processed")
    after = [x for x in read_log(log) if x[0] != pid_a]
    first_b: dict[int, int] = {}
    for _, _, p, o, _, _ in after:
        first_b[p] = min(first_b.get(p, o), o)
    for p in range(PARTITIONS):
        if commit.get(p, 0) < ends[p]:
            assert first_b[p] == commit.get(p, 0), f"partition {p} resumed off the commit"
    seen_b = defaultdict(list)
    for _, _, p, o, _, _ in after:
        seen_b[p].append(o)
    for p, offs in seen_b.items():
        # At-least-once: what the restarted process reads twice is uncommitted (at or
        # after the commit). Known: at a cold start Faust's recovery seeks to the commit
        # after the flow is already on, so what was read before that seek comes again.
        again = [o for o in set(offs) if offs.count(o) > 1]
        assert all(o >= commit.get(p, 0) for o in again), f"partition {p}: committed read twice"
        if again:
            print(f"\nrestart: partition {p} read {len(again)} uncommitted records twice")
    # Changelog records of the table written per batch stay on their source partitions.
    cl = changelog_partitions(bootstrap, f"bulk-{prefix}-counts-changelog")
    assert cl
    assert all(key == f"p{part}" for part, key in cl), cl[:10]


def _busy(seconds: float) -> subprocess.Popen[bytes]:
    code = f"import time\nt = time.monotonic() + {seconds}\nwhile time.monotonic() < t: pass\n"
    return subprocess.Popen([sys.executable, "-c", code])


def test_two_workers_rebalance_mid_batch_under_cpu_load(
    bootstrap: str, prefix: str, tmp_path: Path, bulk_app: Callable[..., subprocess.Popen[bytes]]
) -> None:
    topic = f"{prefix}mentions"
    create_topic(bootstrap, topic)
    # 48 batches of 250 taking 1 s each: the first worker alone needs ~50 s, so the
    # second one joins mid-way even when a loaded machine slows its start.
    produce(bootstrap, topic, records(12000))
    ends = end_offsets(bootstrap, topic)
    log = tmp_path / "processed"
    load = [_busy(120), _busy(120)]  # both cores busy, bounded in time
    try:
        args = ("--max-batch", "250", "--sleep", "1.0")
        bulk_app(*args, name="a")
        wait_for(lambda: len(read_log(log)) >= 1500, 120, "the first worker under way")
        bulk_app(*args, name="b")  # joins the group: a rebalance while batches are in flight
        wait_for(lambda: covered(read_log(log), ends), 240, "every record processed")
    finally:
        for p in load:
            p.kill()
            p.wait()
    lines = read_log(log)
    pids = {x[0] for x in lines}
    assert len(pids) == 2, "the second worker processed nothing: no rebalance was tested"
    # Nothing processed twice except the batches in flight at the rebalance (their
    # commit is lost with the partition): at most one batch per partition.
    count: dict[tuple[int, int], int] = defaultdict(int)
    for _, _, p, o, _, _ in lines:
        count[(p, o)] += 1
    twice: dict[int, list[int]] = defaultdict(list)
    for (p, o), n in count.items():
        assert n <= 2, f"partition {p} offset {o} processed {n} times"
        if n == 2:
            twice[p].append(o)
    # Nothing read for the first time behind a later record within a worker's
    # generation (a stale read offset once made a worker skip records and read
    # them later, out of order). Going back to records already processed is a
    # redelivery: Faust empties the stream buffers when recovery ends and the
    # consumer seeks back to the committed offset (bounded below).
    last: dict[tuple[int, int, int], int] = {}
    done: set[tuple[int, int]] = set()
    for pid, gen, p, o, _, _ in lines:
        if (p, o) not in done:
            assert o > last.get((pid, gen, p), -1), f"partition {p} offset {o} out of order"
        done.add((p, o))
        last[(pid, gen, p)] = max(o, last.get((pid, gen, p), -1))
    for p, offs in twice.items():
        offs.sort()
        assert offs[-1] - offs[0] + 1 <= 250, f"partition {p}: {len(offs)} records redone"
    print(f"\nrebalance: {len(lines)} processed for 12,000 records; twice: {dict(twice)}")
