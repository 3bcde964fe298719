"""The bulk intake (streams/bulk.py): its contract with Faust, and its offset bookkeeping.

The module re-implements ``Consumer._drain_messages`` and ``getmany`` and relies
on the gap, ack, seek and revocation bookkeeping of faust-streaming 0.15.3. The
hashes below pin their source: a Faust upgrade that changes any of them fails
here, and streams/bulk.py must be re-read against the new code (then update the
hash). The end-to-end behaviour is tested on the real broker in
tests/integration/test_bulk.py.
"""

from __future__ import annotations

import asyncio
import gc
import hashlib
import inspect
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import faust
import pytest
from faust.transport.consumer import Consumer
from faust.transport.drivers import aiokafka as driver
from faust.types import TP

from streams import bulk


@pytest.fixture(autouse=True)
def _collect() -> Iterator[None]:
    """Finalise the apps and consumers each test made (never started) before the next
    one: left to a later collection, their finalisers ran inside pytest's own
    compile() of a lazily imported module and CPython 3.11 aborted the session."""
    yield
    gc.collect()


PINNED = {
    "Consumer._drain_messages": (Consumer._drain_messages, "44a2500309e83c63"),
    "Consumer.getmany": (Consumer.getmany, "4b168d84882a70d6"),
    "Consumer._add_gap": (Consumer._add_gap, "4df2573ded7c1c2c"),
    "Consumer._new_offset": (Consumer._new_offset, "1d2c7ea89a7ad4f1"),
    "Consumer.ack": (Consumer.ack, "5fcf41cf45153475"),
    "Consumer.perform_seek": (Consumer.perform_seek, "0e8c130ff4b0afd8"),
    "Consumer.seek": (Consumer.seek, "b86a9fe05f956b30"),
    "Consumer.on_partitions_revoked": (Consumer.on_partitions_revoked, "d04b7ae72c6fc206"),
    "aiokafka.Consumer._to_message": (driver.Consumer._to_message, "7c24f6511b2fcef7"),
}


@pytest.mark.parametrize("name", sorted(PINNED))
def test_upstream_methods_the_bulk_path_relies_on_are_unchanged(name: str) -> None:
    fn, pinned = PINNED[name]
    got = hashlib.sha256(inspect.getsource(fn).encode()).hexdigest()[:16]
    assert got == pinned, (
        f"faust {faust.__version__} changed {name} (source hash {got}, pinned {pinned}): "
        "re-read streams/bulk.py against the new code before updating the hash"
    )


def test_the_bulk_consumer_overrides_the_drain_loop() -> None:
    assert bulk.BulkConsumer._drain_messages is not Consumer._drain_messages
    assert issubclass(bulk.BulkConsumer, driver.Consumer)
    assert bulk.BulkTransport.Consumer is bulk.BulkConsumer


def _app() -> faust.App:
    return faust.App(f"t-bulk-{id(object())}", broker="kafka://127.0.0.1:1", web_enabled=False)


def test_install_goes_through_the_apps_transport() -> None:
    app = _app()
    bulk.install(app, ["m"], max_batch=10)
    assert isinstance(app.transport, bulk.BulkTransport)
    consumer = app.consumer
    assert isinstance(consumer, bulk.BulkConsumer)
    assert consumer.bulk_topics == frozenset({"m"})
    assert consumer.max_batch == 10


def test_install_refuses_a_late_call_and_changes_nothing_global() -> None:
    other = _app()
    assert other.transport is not None  # created on first use (app.topics, tables, ...)
    with pytest.raises(RuntimeError):
        bulk.install(other, ["x"])
    assert type(other.transport).Consumer is driver.Consumer


def test_the_worker_app_consumes_mentions_in_bulk(tmp_path: Any) -> None:
    from streams.app import create_app
    from streams.settings import load_deployment, load_settings

    settings = load_settings(data_dir=tmp_path, kafka_bootstrap_servers="127.0.0.1:1")
    app, ctx = create_app(settings, load_deployment(None))
    assert isinstance(app.consumer, bulk.BulkConsumer)
    assert app.consumer.bulk_topics == frozenset({settings.topic("mentions")})
    assert ctx.topics["mentions"].maxsize == bulk.BUFFER_EVENTS
    assert ctx.topics["signals"].maxsize is None  # Faust's default buffer
    agent = app.agents[next(n for n in app.agents if n.endswith("enrich_detect"))]
    assert agent.channel.maxsize == bulk.BUFFER_EVENTS
    assert app.conf.consumer_max_fetch_size == bulk.OPTIONS["consumer_max_fetch_size"]


def test_a_batch_becomes_committable_only_when_its_message_is_acked() -> None:
    """The gap the drain loop registers, and Faust's own commit arithmetic over it."""
    app = _app()
    bulk.install(app, ["m"])
    c = app.consumer
    tp = TP("m", 0)

    async def run() -> None:
        await c._add_gap(tp, 0, 3998)  # batch 0..3999, delivered as offset 3999
        assert c._new_offset(tp) is None  # in the agent: nothing to commit
        c._acked[tp].append(3999)  # what Consumer.ack records for the batch's message
        assert c._new_offset(tp) == 4000
        c._committed_offset[tp] = 4000
        await c._add_gap(tp, 4000, 7998)  # next batch 4000..7999
        await c._add_gap(tp, 8000, 11998)  # and one more behind it, not yet done
        assert c._new_offset(tp) is None
        c._acked[tp].append(7999)
        assert c._new_offset(tp) == 8000  # not past the batch still in the agent

    asyncio.run(run())


def test_chunks_cap_a_partitions_fetch() -> None:
    recs = list(range(9001))
    chunks = list(bulk._chunks(recs, 4000))
    assert [len(c) for c in chunks] == [4000, 4000, 1001]
    assert [x for c in chunks for x in c] == recs
    assert list(bulk._chunks(recs[:5], 4000)) == [recs[:5]]


def test_batches_passes_lists_and_wraps_single_messages() -> None:
    msg = SimpleNamespace(topic="m", partition=1, offset=7, key=b"k", value=b"{}")

    class Stream:
        async def events(self) -> Any:
            yield SimpleNamespace(value=[1, 2, 3], message=None)
            yield SimpleNamespace(value=b"{}", message=msg)

    async def run() -> list[Any]:
        return [b async for b in bulk.batches(Stream())]

    assert asyncio.run(run()) == [[1, 2, 3], [msg]]


def test_batches_slices_a_long_batch_and_acks_after_its_last_slice() -> None:
    acked: list[int] = []

    class Stream:
        async def events(self) -> Any:
            yield SimpleNamespace(value=list(range(2500)), message=None)
            acked.append(1)  # Faust acks an event when the next one is asked for
            yield SimpleNamespace(value=[7], message=None)
            acked.append(2)

    async def run() -> list[tuple[int, int]]:
        seen = []
        async for part in bulk.batches(Stream(), slice_records=1000):
            seen.append((len(part), len(acked)))
        return seen

    assert asyncio.run(run()) == [(1000, 0), (1000, 0), (500, 0), (1, 1)]
