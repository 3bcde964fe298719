"""The agent side of the bulk path (:mod:`streams.bulk`): a bulk topic's stream as record lists."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractContextManager
from typing import Any

#: Records handed to the agent body at a time (:func:`batches`): between slices
#: the event loop serves HTTP (health, /metrics) and the producer, whose pending
#: table and Slack bookkeeping records a SIGKILL would otherwise lose for longer
#: (1,000 at load 10 held the loop ~0.5 s; Faust's take_events gave 500).
SLICE = 250


async def batches(
    stream: Any,
    around: Callable[[], AbstractContextManager[Any]] | None = None,
    slice_records: int = SLICE,
) -> AsyncIterator[list[Any]]:
    """The record lists of a bulk topic's stream: each event's batch, in slices.

    Each record has ``topic``, ``partition``, ``offset``, ``timestamp``, ``key`` and
    ``value`` (raw bytes). A stream fed per record (an app without :func:`install`)
    gives one-record lists of its messages, which have the same attributes.

    A batch longer than ``slice_records`` comes in slices, with a pass of the event
    loop between them: 4,000 mentions are ~0.3 s of work on a free core and several
    seconds on a loaded one, too long for health checks, scrapes and the producer
    to wait. The
    event is acked, and its batch becomes committable, only when the caller asks
    for the list after its last slice. ``around`` (e.g. ``Metrics.batch``) is
    entered before each list is handed out and left when the caller is done with it.
    """
    async for event in stream.events():
        value = event.value
        records = value if type(value) is list else [event.message]
        for start in range(0, len(records), slice_records):
            if start:
                await asyncio.sleep(0)
            part = (
                records if len(records) <= slice_records else records[start : start + slice_records]
            )
            if around is None:
                yield part
            else:
                with around():
                    yield part
