"""A Faust app on the bulk path (streams/bulk.py) that logs what it processed, for tests.

``python -m tests.integration.bulk_app OUT [--sleep S] [--crash-after K]
[--max-batch B]`` with the
worker's ``SPIKEWATCH_*`` settings: the worker's Faust options and bulk intake of
``<prefix>mentions``; per batch it appends one line per record to ``OUT``
(``pid generation partition offset first last``: the record and its batch),
bumps a changelogged table entry keyed by the batch's partition, and sleeps
``S`` seconds in the middle of the batch (a batch then spans rebalances and
kills). With ``--crash-after K`` it kills itself with SIGKILL in the middle of
its K-th batch, after logging half of it: a crash inside a batch.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
from typing import Any

import faust

from streams import bulk
from streams.app import faust_options
from streams.settings import load_settings


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--sleep", type=float, default=0.0)
    ap.add_argument("--crash-after", type=int, default=0)
    ap.add_argument("--max-batch", type=int, default=bulk.MAX_BATCH)
    a = ap.parse_args()
    settings = load_settings()
    app = faust.App(settings.app_id, web_enabled=False, **faust_options(settings))
    bulk.install(app, [settings.topic("mentions")], max_batch=a.max_batch)
    topic = app.topic(
        settings.topic("mentions"),
        key_serializer="raw",
        value_serializer="raw",
    )
    bulk.limit_buffer(topic)
    counts = app.Table("counts", default=int, partitions=settings.partitions)
    out = open(a.out, "a", buffering=1)  # noqa: SIM115 - lives as long as the process
    seen = {"batches": 0}

    @app.agent(topic)
    async def process(stream: Any) -> None:
        async for records in bulk.batches(stream):
            seen["batches"] += 1
            gen = app.consumer_generation_id
            first, last = records[0].offset, records[-1].offset
            lines = [
                f"{os.getpid()} {gen} {r.partition} {r.offset} {first} {last}\n" for r in records
            ]
            half = len(lines) // 2
            out.write("".join(lines[:half]))
            out.flush()
            if a.crash_after and seen["batches"] == a.crash_after:
                os.fsync(out.fileno())
                os.kill(os.getpid(), signal.SIGKILL)
            if a.sleep:
                await asyncio.sleep(a.sleep)
            out.write("".join(lines[half:]))
            out.flush()
            # The current event is the batch: the changelog record goes to its partition.
            counts[f"p{records[0].partition}"] += len(records)

    worker = faust.Worker(app, loglevel="info", quiet=True, redirect_stdouts=False)
    worker.spinner = None
    worker.execute_from_commandline()


if __name__ == "__main__":
    main()
