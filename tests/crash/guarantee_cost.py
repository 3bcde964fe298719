"""CPU per mention of the worker under each processing guarantee, in one run (a ratio).

Run: ``.venv/bin/python -m tests.crash.guarantee_cost [--mentions N] [--quick]``

The same simulated mentions (three brands, ``tools.simulate``) are produced
to a fresh prefix per guarantee; one worker per guarantee reads them all
(``at_least_once`` = Faust's default, offsets committed on their own schedule;
``exactly_once`` = Kafka transactions over changelog writes, produced records and
offsets). Figure: the worker's CPU seconds (user + system, from /proc) from
ready to the last mention consumed, per mention. The machine is shared, so
wall time says little; CPU seconds and the ratio in one run say more.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path

from tests.crash.trials import TOKEN, Env, spawn
from tests.harness import produce, wait_for
from tests.slackfake import SlackFake


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def records(n: int) -> list[tuple[bytes, bytes]]:
    from tools.scenarios import DEMO_START, default_profiles
    from tools.simulate import simulate

    out = []
    start = DEMO_START - timedelta(days=2)
    # Shift event times to the last days (the worker refuses old ones).
    shift = (time.time() - 86400) - (start.timestamp() + 1.5 * 86400)
    from datetime import UTC, datetime

    for r in simulate(default_profiles()[:3], start, 1.5, [], seed=5):
        ts = datetime.fromisoformat(r["created_at"].replace("Z", "+00:00")).timestamp() + shift
        r["created_at"] = datetime.fromtimestamp(ts, UTC).isoformat()
        out.append((r["brand"].encode(), json.dumps(r).encode()))
        if len(out) >= n:
            break
    return out


def measure(bootstrap: str, guarantee: str, recs: list[tuple[bytes, bytes]], tmp: Path) -> float:
    with SlackFake(token=TOKEN) as slack:
        env = Env(bootstrap, f"g{uuid.uuid4().hex[:8]}.", tmp, slack.base_url, guarantee)
        produce(bootstrap, env.prefix + "mentions", recs)
        w = spawn(env, guarantee)
        try:
            c0 = cpu_seconds(w.proc.pid)

            def done() -> bool:
                try:
                    return w.metric("spikewatch_mentions_consumed_total") >= len(recs)
                except OSError:  # busy: ask again
                    return False

            wait_for(done, 1200, f"{guarantee}: every mention consumed", interval=2.0)
            return (cpu_seconds(w.proc.pid) - c0) / len(recs)
        finally:
            w.stop()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mentions", type=int, default=30_000)
    ap.add_argument("--quick", action="store_true", help="5,000 mentions")
    args = ap.parse_args(argv)
    from streams.broker import BrokerPaths, start

    bootstrap = os.environ.get("SPIKEWATCH_KAFKA_BOOTSTRAP_SERVERS") or start(
        BrokerPaths.from_env()
    )
    recs = records(5000 if args.quick else args.mentions)
    with tempfile.TemporaryDirectory(prefix="guarantee-") as tmp:
        alo = measure(bootstrap, "at_least_once", recs, Path(tmp))
        eos = measure(bootstrap, "exactly_once", recs, Path(tmp))
    print(
        f"{len(recs)} mentions: at_least_once {alo * 1e3:.3f} ms CPU/mention, "
        f"exactly_once {eos * 1e3:.3f} ms CPU/mention, ratio {eos / alo:.2f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
