"""Whole fetched batches as one Faust event: the bulk path for high-volume topics.

Faust hands an agent one record per event. Its fetch loop,
``faust.transport.consumer.Consumer._drain_messages``, awaits
``wait_first(callback(message), suspend_flow.wait())`` for every record: four
tasks made and three cancelled per record, and the event-loop churn that
follows, were most of a do-nothing agent's 85-92 µs per record (issue 20,
BENCHMARKS.md). :class:`BulkConsumer` replaces that loop:

- For the topics it is given (``mentions``), each fetched run of records of one
  partition, up to :data:`MAX_BATCH`, becomes **one** event whose value is the
  ``list`` of the fetched records (aiokafka ``ConsumerRecord``: ``topic``,
  ``partition``, ``offset``, ``timestamp``, ``key``, ``value``; the raw bytes,
  nothing decoded). The event's message carries the batch's last offset and
  the partition; the topic's codec must pass values through (``raw``).
- The batch's other offsets are registered with Faust's own gap mechanism
  (``Consumer._add_gap``) before delivery, so Faust's commit moves past them
  only once the event's message is acked, i.e. when the agent body has
  returned for the batch and asks for the next one: commit after processing,
  at-least-once, with the uncommitted batch as the unit of redelivery. This
  needs batches of one partition to be acked in order: one agent instance
  (``concurrency=1``), as ours are.
- Nothing fetched is dropped without putting the fetch position back to it.
  A seek is remembered per partition: records of a partition sought while
  its fetch ran are kept only when they start where the seek put it (else it is
  sought there again); its remaining records are dropped when it is sought
  during delivery (the seek chose the position); the other partitions' records
  are still delivered. Records left undelivered when the flow stops or a
  partition is paused are fetched again by a seek to the first of them.
  The first version of this module cut a fetch's delivery on any seek without moving the other
  partitions back, and the next batch's gap marked the skipped records done:
  thousands lost when a worker joined under CPU load (tests/integration/test_bulk.py).
  After a new generation nothing is re-sought: the rebalance positions every
  partition at its committed offset.
- Faust's flow control empties the streams' buffers when it resumes (end of
  recovery, rebalance), right after Faust sought the committed offsets: records
  delivered in between were gone with the position past them. Every such clear
  is counted and the next fetch first seeks the committed offsets again: those
  records are delivered again (at-least-once; a batch the agent already held
  may be processed twice, never skipped).
- Other topics keep Faust's per-record delivery, unchanged but for the race:
  ``wait_first(callback, suspend_flow.wait())`` is kept only while the flow is
  suspended or a rebalance is under way; otherwise the callback is awaited
  directly. A callback that blocks on flow control when a rebalance starts
  behind it finishes after the rebalance; Faust's streams then skip its event
  (its ``generation_id`` is the old one), as they skip any stale message.

Installed per app through Faust's transport (:func:`install`; the app's
``transport`` setter, no global patching). :data:`OPTIONS` are the settings
the path wants (fetches large enough for a batch); a bulk topic is declared
with :func:`limit_buffer`: a stream buffer of a few batches, where
Faust's default of 4,096 events would be 16 million records.

``tests/unit/test_bulk.py`` pins the source of the upstream methods this
module re-implements or relies on; a Faust upgrade that changes them fails
there and this module must be re-read against the new code.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import AsyncIterator, Iterable, Iterator
from typing import Any, cast

from faust.transport.consumer import CONSUMER_FETCHING
from faust.transport.drivers import aiokafka as aiokafka_driver
from faust.types import TP, Message
from mode import Service, ServiceT

from streams.bulk_batches import SLICE, batches

__all__ = [
    "BUFFER_EVENTS",
    "MAX_BATCH",
    "OPTIONS",
    "SLICE",
    "BulkConsumer",
    "BulkTransport",
    "batches",
    "install",
    "limit_buffer",
]

#: ``SW_BULK_TRACE=1``: one log line per seek, re-seek and delivery (debugging).
TRACE = os.environ.get("SW_BULK_TRACE") == "1"
_trace = logging.getLogger("spikewatch.bulk.trace").warning

#: The most records of one partition in one event.
MAX_BATCH = 4000

#: Events a bulk topic's stream buffers (:func:`limit_buffer`):
#: 8 batches are up to 32,000 records. Faust's default (``stream_buffer_maxsize``,
#: 4,096 events) would be 16 million; the other topics keep it.
BUFFER_EVENTS = 8

#: Faust settings for the bulk path (merged into the worker's ``faust.App`` settings).
OPTIONS: dict[str, Any] = {
    # Bytes per partition per fetch: Faust's default 1 MiB left the loop idle between
    # fetches (issue 20). The ceiling over 100,000 records read at 28 % of the bare
    # consumer's rate with 2 MiB and 45 % with 4 MiB (a worker's RSS peak: 248 / 275 MB).
    "consumer_max_fetch_size": 4 * 1024**2,
    # On a rebalance, let the batch in flight finish and commit before the partition
    # goes: the new owner then starts after it instead of redoing it.
    "stream_wait_empty": True,
}


def _chunks(records: list[Any], size: int) -> Iterator[list[Any]]:
    if len(records) <= size:
        yield records
        return
    for i in range(0, len(records), size):
        yield records[i : i + size]


class BulkConsumer(aiokafka_driver.Consumer):
    """Faust's aiokafka consumer delivering whole batches for the bulk topics."""

    bulk_topics: frozenset[str] = frozenset()
    max_batch: int = MAX_BATCH

    def __init__(self, transport: Any, *args: Any, **kwargs: Any) -> None:
        super().__init__(transport, *args, **kwargs)
        self.bulk_topics = frozenset(getattr(transport, "bulk_topics", ()))
        self.max_batch = int(getattr(transport, "max_batch", MAX_BATCH))
        #: Per partition: the seek epoch of its last seek, and the position it set.
        self._sought: dict[TP, int] = {}
        self._expect: dict[TP, int | None] = {}
        #: Clears of this app's flow control (they empty the stream buffers), and those acted on.
        self._clears = 0
        self._clears_seen = 0
        flow = self.app.flow_control
        clear = flow.clear

        def counted_clear() -> None:
            self._clears += 1
            clear()

        flow.clear = counted_clear  # type: ignore[method-assign]  # this app's flow control only

    #: Bumped by every seek; :attr:`_sought` keeps, per partition, the epoch of its last seek.
    _seek_epoch: int = 0

    def _mark_sought(self, tps: Iterable[TP]) -> None:
        self._seek_epoch += 1
        epoch = self._seek_epoch
        for tp in tps:
            self._sought[tp] = epoch

    def _sought_at(self, tp: TP) -> int:
        return self._sought.get(tp, -1)

    async def perform_seek(self) -> None:
        """Faust's seek to the committed offsets, remembered per partition.

        Marked before and after: a fetch that began before the seek finished may
        hold records of the old position. A partition with nothing committed is not
        moved by aiokafka (``seek_to_committed`` seeks only offsets > 0): a stream
        partition of that kind is sought to its beginning, and its expected position
        stays unknown (its records are kept as they come).
        """
        try:
            tps = set(self.assignment())
        except Exception:  # no consumer yet, or between generations
            tps = set()
        self._mark_sought(tps)
        await super().perform_seek()
        fresh = [
            tp
            for tp in tps
            if not self._read_offset.get(tp)
            and not self._is_changelog_tp(tp)
            and self.app.topics.acks_enabled_for(tp.topic)
        ]
        if fresh:
            # Nothing committed yet: aiokafka did not move these, so records fetched before
            # (and emptied from the buffers by Faust's flow-control clear) were skipped for
            # good (a restarted worker never processed one partition of ``signals`` and
            # ``incidents`` in a crash trial). Start them where the group starts a
            # partition without a commit: the beginning (``consumer_auto_offset_reset``).
            # An explicit offset, not aiokafka's seek_to_beginning: that leaves the position
            # unset until a reset request returns, and Faust's livelock check then fails on it.
            starts = await self.earliest_offsets(*fresh)
            for tp in fresh:
                await super().seek(tp, int(starts.get(tp) or 0))
        if TRACE:
            _trace("perform_seek read=%s fresh=%s", dict(self._read_offset), fresh)
        for tp in tps:
            offset = self._read_offset.get(tp)
            self._expect[tp] = offset if offset else None
        self._mark_sought(tps)

    async def seek(self, partition: TP, offset: int) -> None:
        if TRACE:
            _trace("seek %s -> %s", partition, offset)
        self._mark_sought([partition])
        await super().seek(partition, offset)
        self._expect[partition] = offset
        self._mark_sought([partition])

    async def _reseek(self, tp: TP, offset: int) -> None:
        """Put ``tp``'s fetch position back to ``offset``, its first undelivered record."""
        try:
            await self.seek(tp, offset)
        except Exception as exc:  # revoked meanwhile: the next assignment positions it
            self.log.dev("Re-seek of %r to %r not done: %r", tp, offset, exc)

    def _batch_message(self, tp: TP, records: list[Any]) -> Message:
        """One message for a batch: the last record's coordinates, the records as value."""
        last = records[-1]
        message = self._to_message(tp, last)
        message.value = records  # type: ignore[assignment]  # the batch is the event's value
        message.key = None
        message.serialized_value_size = 0
        return message

    async def _bulk_getmany(self, timeout: float) -> AsyncIterator[tuple[TP, Any]]:
        """``Consumer.getmany`` with bulk partitions' records grouped in lists.

        Yields ``(tp, message)`` for per-record topics and ``(tp, [records])`` for
        bulk ones, round-robin between topics and partitions (Faust's scheduler
        over the regrouped map), with getmany's checks: flow, generation, active
        partitions, end-offset tracking, seek back when the flow stopped.

        Nothing fetched is skipped without putting the position back: the fetch
        position of a partition is already past every record of this fetch, so
        records left undelivered (the flow stopped, the partition was paused) are
        fetched again by a seek to the first of them. Only a partition sought
        meanwhile (its seek chose the position) and a new generation (the
        rebalance positions every partition at its committed offset) are left
        alone. A seek of one partition no longer cuts the delivery of the others:
        that cut, with the position not put back, skipped records that the next
        batch's gap then marked done (lost under load in test_bulk).
        """
        if self._clears != self._clears_seen and self.flow_active:
            # Faust's flow control emptied the streams' buffers (rebalance, end of
            # recovery): events handed over and not yet taken are gone, and the
            # fetch positions are past them. Faust seeks to the committed offsets
            # just before that clear, so records fetched in between were lost (a
            # worker joining under load skipped a partition's records in
            # test_bulk). Seek again now that the buffers are empty.
            self._clears_seen = self._clears
            if TRACE:
                _trace("flow control cleared: seek to committed")
            try:
                await self.perform_seek()
            except Exception as exc:  # nothing assigned (yet)
                self.log.dev("Seek after a flow-control clear not done: %r", exc)
        before = self._seek_epoch
        records, active_partitions = await self._wait_next_records(timeout)
        generation_id = self.app.consumer_generation_id
        if records is None or self.should_stop:
            return
        if not self.flow_active:
            self.log.dev("getmany called while flow not active. Seek back to committed offsets.")
            try:
                await self.perform_seek()
            except Exception as ex:
                self.log.warning(f"exception performing seek when flow not active {ex}")
            return
        if self._seek_epoch != before:
            records = await self._after_seek(records, before)
        checked = self._seek_epoch
        bulk = self.bulk_topics
        size = self.max_batch
        grouped: dict[TP, list[Any]] = {
            tp: (list(_chunks(recs, size)) if tp.topic in bulk else recs)
            for tp, recs in records.items()
            if recs
        }
        pending = {tp: recs[0].offset for tp, recs in records.items() if recs}
        last_of = {tp: recs[-1].offset for tp, recs in records.items() if recs}
        to_message = self._to_message
        buffered = self._buffered_partitions
        sought_at = self._sought_at
        for tp, item in self.scheduler.iterate(grouped):
            if not self.flow_active or self.app.consumer_generation_id != generation_id:
                self.log.dev("Flow stopped or generation changed. Cancelling getmany.")
                break
            if sought_at(tp) > checked:
                if TRACE:
                    _trace("skip %s from %s: sought meanwhile", tp, pending.get(tp))
                pending.pop(tp, None)  # sought meanwhile: its position is the seek's
                continue
            if active_partitions is None or tp in active_partitions or tp in buffered:
                self.app.monitor.track_tp_end_offset(tp, self.highwater(tp))
                is_batch = type(item) is list
                yield tp, (item if is_batch else to_message(tp, item))
                pending[tp] = (item[-1].offset if is_batch else item.offset) + 1
        # Not in a ``finally``: a drain loop that stops on an error closes this
        # generator, and then nothing is re-sought (the consumer is going away).
        if TRACE:
            _trace(
                "fetch done gen=%s/%s flow=%s pending=%s last=%s",
                generation_id,
                self.app.consumer_generation_id,
                self.flow_active,
                pending,
                last_of,
            )
        if self.app.consumer_generation_id == generation_id and not self.should_stop:
            for tp, offset in pending.items():
                if offset <= last_of[tp] and sought_at(tp) <= checked:
                    await self._reseek(tp, offset)

    async def _after_seek(self, records: Any, before: int) -> dict[TP, list[Any]]:
        """The records of a fetch that a seek overtook: only those read from the new position.

        The fetch runs on the consumer's thread; for a partition sought while it ran,
        it may have drained records of the old position (stale: delivering them put
        them out of order and a stale read offset back) or of the new one. They are
        kept when they start where the seek put the partition (or where that is
        unknown); otherwise dropped, and the partition is sought there again.
        """
        kept: dict[TP, list[Any]] = {}
        expect = self._expect
        for tp, recs in records.items():
            if not recs:
                continue
            if self._sought_at(tp) <= before:
                kept[tp] = recs
                continue
            position = expect.get(tp)
            if position is None or recs[0].offset == position:
                kept[tp] = recs
            else:
                if TRACE:
                    _trace(
                        "stale %s %s..%s, expected %s",
                        tp,
                        recs[0].offset,
                        recs[-1].offset,
                        position,
                    )
                await self._reseek(tp, position)
        return kept

    async def _deliver(self, message: Message) -> None:
        if self.suspend_flow.is_set() or self.app.rebalancing:
            await self.wait_first(self.callback(message), self.suspend_flow.wait())
        else:
            await self.callback(message)

    async def _maybe_commit(self) -> None:
        every = self._commit_every
        if every is not None and self._n_acked >= every:
            self._n_acked = 0
            await self.commit()

    async def _drain_messages(self, fetcher: ServiceT) -> None:
        """Faust's fetch loop (``Consumer._drain_messages``) with batches for bulk topics."""
        consumer_should_stop = cast(Service, self)._stopped.is_set
        fetcher_should_stop = cast(Service, fetcher)._stopped.is_set
        read_offset = self._read_offset
        set_flag = self.diag.set_flag
        unset_flag = self.diag.unset_flag
        acks_enabled_for = self.app.topics.acks_enabled_for
        deliver = self._deliver
        sought_at = self._sought_at
        yield_every = 100
        since_yield = 0
        try:
            while not (consumer_should_stop() or fetcher_should_stop()):
                set_flag(CONSUMER_FETCHING)
                ait = self._bulk_getmany(timeout=1.0)
                # As upstream: getmany can return at once, in a loop; release the loop.
                await self.sleep(0)
                if self.should_stop:
                    continue
                async for tp, item in ait:
                    r_offset = read_offset[tp]
                    if type(item) is list:
                        records = item
                        if r_offset is not None and records[0].offset < r_offset:
                            records = [r for r in records if r.offset >= r_offset]
                            if not records:
                                continue
                        first = records[0].offset
                        last = records[-1].offset
                        # Everything from after the last read offset up to the batch's
                        # last record but one: done when the last record is acked.
                        low = min(first, r_offset + 1) if r_offset else first
                        if last > low and acks_enabled_for(tp.topic):
                            await self._add_gap(tp, low, last - 1)
                        await self._maybe_commit()
                        message = self._batch_message(tp, records)
                        mark = sought_at(tp)
                        if TRACE:
                            _trace("deliver %s %s..%s r=%s", tp, first, last, r_offset)
                        await deliver(message)
                        if mark == sought_at(tp):
                            read_offset[tp] = last
                        await asyncio.sleep(0)
                        since_yield = 0
                        continue
                    message = item
                    since_yield += 1
                    if since_yield > yield_every:
                        await asyncio.sleep(0)
                        since_yield = 0
                    offset = message.offset
                    if r_offset is None or offset >= r_offset:
                        if r_offset and offset - r_offset > 1 and acks_enabled_for(message.topic):
                            await self._add_gap(tp, r_offset + 1, offset)
                        await self._maybe_commit()
                        mark = sought_at(tp)
                        await deliver(message)
                        if mark == sought_at(tp):
                            read_offset[tp] = offset
                    else:
                        self.log.dev("DROPPED MESSAGE ROFF %r", offset)
                unset_flag(CONSUMER_FETCHING)
        except self.consumer_stopped_errors:
            if self.transport.app.should_stop:
                self.log.info("Broker stopped consumer, shutting down...")
                return
            raise
        except asyncio.CancelledError:
            if self.transport.app.should_stop:
                self.log.info("Consumer shutting down for user cancel.")
                return
            raise
        except Exception as exc:
            self.log.exception("Drain messages raised: %r", exc)
            raise
        finally:
            unset_flag(CONSUMER_FETCHING)


class BulkTransport(aiokafka_driver.Transport):
    """Faust's aiokafka transport whose consumer is a :class:`BulkConsumer`."""

    Consumer = BulkConsumer

    def __init__(
        self,
        url: Any,
        app: Any,
        *,
        bulk_topics: Iterable[str] = (),
        max_batch: int = MAX_BATCH,
        **kwargs: Any,
    ) -> None:
        super().__init__(url, app, **kwargs)
        self.bulk_topics = frozenset(bulk_topics)
        self.max_batch = max_batch


def limit_buffer(topic: Any, events: int = BUFFER_EVENTS) -> None:
    """Buffer at most ``events`` batches for ``topic``'s streams (before any stream starts).

    Set on the topic because ``faust.App.topic()`` accepts ``maxsize=`` but does not
    pass it on (faust-streaming 0.15.3); agents' channels are clones and inherit it.
    """
    topic.maxsize = events


def install(app: Any, bulk_topics: Iterable[str], max_batch: int = MAX_BATCH) -> None:
    """Make ``app`` consume ``bulk_topics`` in batches. Call right after ``faust.App()``.

    The transport must not exist yet (``app.topic()`` and ``app.Table()`` create it).
    """
    if getattr(app, "_transport", None) is not None:
        raise RuntimeError("streams.bulk.install: the app's transport already exists")
    app.transport = BulkTransport(
        app.conf.broker_consumer, app, bulk_topics=bulk_topics, max_batch=max_batch
    )
