"""The worker's process edges: library log storms are summarised, a stuck stop still ends."""

from __future__ import annotations

import logging
import subprocess
import sys
import time

from streams.worker import RepeatLimit


def test_a_storm_of_one_error_becomes_one_line_and_a_summary_per_window() -> None:
    now = [0.0]
    f = RepeatLimit(window=30.0, clock=lambda: now[0])
    rec = lambda: logging.LogRecord(  # noqa: E731
        "aiokafka.conn", logging.ERROR, __file__, 1, "Unable to connect to %s", ("b:1",), None
    )
    passed = []
    for i in range(10_000):  # 45 s of a broker that is down
        now[0] = i * 0.0045
        r = rec()
        if f.filter(r):
            passed.append(r.getMessage())
    assert len(passed) == 2
    assert passed[0] == "Unable to connect to b:1"
    assert passed[1].startswith("Unable to connect to b:1 [")
    assert "more like this" in passed[1]
    ours = logging.LogRecord("streams.agents", logging.ERROR, __file__, 1, "x", None, None)
    assert all(f.filter(ours) for _ in range(5))  # our own lines are never dropped


def test_stop_watchdog_ends_a_process_whose_stop_hangs() -> None:
    code = (
        "import time; from streams.worker import arm_stop_watchdog\n"
        "arm_stop_watchdog(1.0)\n"
        "time.sleep(30)\n"
    )
    started = time.monotonic()
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=20)
    assert p.returncode == 143
    assert time.monotonic() - started < 10
    assert b"exiting now" in p.stderr
