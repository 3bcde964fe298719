"""The ceiling Faust sets on this machine: a worker that reads mentions and does nothing.

``python -m tests.bench.ceiling N`` consumes the ``mentions`` topic of the configured
prefix with the worker's own Faust settings and intake (the bulk path,
:mod:`streams.bulk`: one event per fetched batch of a partition), decodes each
value with ``json.loads`` and nothing else, and prints one JSON line with
the rate once ``N`` records are read. ``make bench`` sets it beside the bare
aiokafka consumer and the real worker: what is left between this and the
worker is spikewatch's own work; between the bare consumer and this, Faust's.
"""

from __future__ import annotations

import json
import os
import sys
import time
from typing import Any

from streams import bulk
from streams.app import faust_options
from streams.settings import load_settings


def main(argv: list[str] | None = None) -> int:
    import faust

    args = sys.argv[1:] if argv is None else argv
    want = int(args[0])
    settings = load_settings()
    app = faust.App(f"{settings.app_id}-ceiling", web_enabled=False, **faust_options(settings))
    bulk.install(app, [settings.topic("mentions")])
    topic = app.topic(
        settings.topic("mentions"),
        key_serializer="raw",
        value_serializer="raw",
    )
    bulk.limit_buffer(topic)
    seen: dict[str, Any] = {"n": 0, "t0": None}

    @app.agent(topic)
    async def read(stream: Any) -> None:
        async for records in bulk.batches(stream):
            if seen["t0"] is None:
                seen["t0"] = time.monotonic()
                seen["cpu0"] = time.process_time()
            for rec in records:
                json.loads(rec.value)
            seen["n"] += len(records)
            if seen["n"] >= want:
                dt = time.monotonic() - seen["t0"]
                cpu = time.process_time() - seen["cpu0"]
                print(
                    json.dumps(
                        {
                            "records": seen["n"],
                            "seconds": dt,
                            "rate": seen["n"] / dt,
                            "cpu_us_per_record": 1e6 * cpu / seen["n"],
                        }
                    )
                )
                sys.stdout.flush()
                os._exit(0)  # a measurement, not a service: no graceful shutdown to wait for

    worker = faust.Worker(app, loglevel="warn", quiet=True, redirect_stdouts=False)
    worker.spinner = None
    worker.execute_from_commandline()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
