"""The stream agents: thin loops that decode, call pure code, and emit.

- ``enrich_detect``: ``mentions`` -> validate -> enrich (batched) -> per-brand
  :class:`KeyState` (table ``state``) -> ``signals``. Invalid records and
  duplicates -> ``mentions.dead`` with reason, topic, partition, offset and the
  original bytes; the loop goes on. Validate, enrich and detect share one pass
  over a batch: a Kafka hop between enrich and detect cost more than enrichment
  itself (BENCHMARKS.md). With ``SPIKEWATCH_PUBLISH_ENRICHED=true`` every
  enriched mention is also written to ``mentions.enriched`` for other consumers.
- ``incidents`` (:mod:`streams.incident_agent`): ``signals`` +
  ``incident.commands`` -> lifecycle (table ``incidents``) -> ``incidents``.

The stages themselves are :class:`alerts.engine.DetectStage` and
:class:`alerts.engine.IncidentStage`, the objects ``spikewatch backtest`` runs.
A brand that falls silent is moved on in event time by ``idle_tick`` (and at
the end of every batch): the brands of a partition this worker owns and has
read to its end are ticked to the worker's watermark (the largest event time it
processed, or that another worker announced: a worker whose event time passes
a tick writes a small tick record to every partition of ``mentions``), as the
backtest ticks every brand.

State objects live in memory in Faust's table store and are written to the
changelog once per batch for each brand that emitted a signal in it (or is
new), otherwise at most every ``FLUSH_SECONDS`` per brand, and always before
the consumer commits offsets (``_hook_commit``): the restored state is never
older than the replay point, so what a restart reads again is at most what
was processed in one commit interval, inside the dedup window. Never per
mention (a state per mention would swamp the changelog).

With ``SPIKEWATCH_PROCESSING_GUARANTEE=exactly_once`` Faust wraps changelog
writes, produced records and offsets in one transaction per partition.
Known gap (crash trials): records an idle tick sends for a partition with no
new input stay in that partition's open transaction until something on it is
committed, so after a takeover a silent brand's late signals can stay unseen;
``at_least_once`` stays the default until that is fixed.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from typing import TYPE_CHECKING, Any

from alerts.engine import DetectStage
from detectors.keystate import KeyState
from detectors.mention import EnrichedMention, InvalidMention, Mention, parse_mention
from detectors.signals import Signal
from streams import bulk, incident_agent
from streams.logs import dead_lettered
from streams.records import check_time, dead_letter

if TYPE_CHECKING:
    import faust

    from streams.app import Context

log = logging.getLogger(__name__)

BATCH = 500
BATCH_WITHIN = 0.05
FLUSH_SECONDS = 1.0
IDLE_TICK_SECONDS = 1.0
TICK_KEY = b"\x00spikewatch.tick"  # a watermark record in ``mentions`` (no brand starts with NUL)


def partition_of(key: bytes, partitions: int) -> int:
    """The partition Kafka's default partitioner (murmur2, as every client we use) picks."""
    from aiokafka.partitioner import murmur2

    return int((murmur2(key) & 0x7FFFFFFF) % partitions)


def _where(rec: Any) -> dict[str, Any]:
    """A record's coordinates (an aiokafka record of a bulk batch, or a Faust message)."""
    return {"topic": rec.topic, "partition": rec.partition, "offset": rec.offset}


def register(app: faust.App, ctx: Context) -> None:
    """Attach the agents to ``app``: ``enrich_detect`` here, ``incidents`` in its module."""
    incident_agent.register(app, ctx)
    t = ctx.topics
    metrics = ctx.metrics
    settings = ctx.settings
    brands = set(ctx.deployment.brands)
    state_table = ctx.tables["state"]
    # Backtests replay old files; the live worker refuses absurd event times.
    max_age = settings.max_event_age_days
    max_future = settings.max_event_future_seconds
    publish_enriched = settings.publish_enriched

    source_topics = {
        settings.topic(n)
        for n in ("mentions", "mentions.enriched", "signals", "incidents", "incident.commands")
    }

    @app.timer(5.0)
    async def consumer_lag() -> None:
        """Records not yet processed, per assigned partition of our source topics.

        Measured from the offset Faust last committed (it commits only what the
        agents acknowledged), not from the fetch position: records fetched into a
        stream's buffer but stuck there are lag too (the audit's stalled partition
        showed 0 with the fetch position).
        """
        consumer = app.consumer
        committed_offsets = getattr(consumer, "_committed_offset", {})
        for tp in consumer.assignment():
            if tp.topic not in source_topics:
                continue
            try:
                hw = consumer.highwater(tp)
                done = committed_offsets.get(tp)
                if done is None:
                    done = await consumer.position(tp)
            except Exception as exc:
                log.debug("lag of %s unknown: %s", tp, exc)
                continue
            if hw is not None and done is not None:
                metrics.consumer_lag(tp.topic, tp.partition, max(0, hw - done))

    last_flush: dict[str, float] = {}

    def _persist(brand: str, st: KeyState, partition: int) -> None:
        """Write one brand's state to the changelog, on the partition its mentions come from.

        The batch spans partitions, so Faust's "current event" cannot name the
        partition; the object itself already lives in the table's store.
        """
        state_table.data[brand] = st
        state_table.send_changelog(partition, brand, st)
        last_flush[brand] = time.monotonic()
        dirty.pop(brand, None)

    dirty: dict[str, tuple[KeyState, int]] = {}  # processed but not yet in the changelog

    async def _flush_before_commit() -> None:
        """Every state the committed offsets cover reaches the changelog first.

        Called by the consumer's commit (see :func:`_hook_commit`): the restored
        state is then never older than the replay point, and with exactly-once the
        changelog records join the transaction that commits the offsets. What a
        replay reads again (at most the batch in flight) is already in the dedup
        window of the restored state.
        """
        async with lock:
            for brand, (st, partition) in list(dirty.items()):
                _persist(brand, st, partition)
        await app.producer.flush()

    def _hook_commit() -> None:
        consumer = app.consumer
        if getattr(consumer, "_spikewatch_hooked", False):
            return
        original = consumer.commit

        async def commit(*args: Any, **kwargs: Any) -> bool:
            try:
                await _flush_before_commit()
            except Exception as exc:  # the commit then covers less; never crash here
                log.warning("state flush before commit failed: %s", type(exc).__name__)
                return False
            return bool(await original(*args, **kwargs))

        consumer.commit = commit  # type: ignore[method-assign]
        consumer._spikewatch_hooked = True

    detect = DetectStage(ctx.engine, state_table.data)
    lock = asyncio.Lock()  # the agent's batches and the idle tick take turns with the states
    seen_offset: dict[int, int] = {}  # partition of ``mentions`` -> last offset processed
    watermark = [-1.0]  # the largest event time this worker has processed

    async def _send_signals(brand: str, st: KeyState, sigs: list[Signal]) -> None:
        for sig in sigs:
            metrics.observe_signal(sig)
            if sig.kind == "backlog":
                for ch, s in st.responses.stats(sig.ts).items():
                    metrics.backlog(
                        brand,
                        ch,
                        s.get("open", 0),
                        s.get("inflow_per_hour", 0.0),
                        s.get("answered_per_hour", 0.0),
                    )
            await t["signals"].send(
                key=brand.encode(), value=json.dumps(sig.to_dict(), ensure_ascii=False).encode()
            )

    async def _detect(ev: Any, em: EnrichedMention) -> tuple[KeyState, bool] | None:
        """Dedup, detectors and response times for one enriched mention; emit its signals.

        Returns the brand's state and whether it must reach the changelog at the end
        of the batch (new, or it emitted signals); ``None`` for a duplicate.
        The ``detect`` stage histogram counts one observation per mention that is not
        a duplicate (tests and dashboards read it as "mentions through detect").
        """
        started = time.perf_counter()
        brand = em.mention.brand
        fresh = brand not in state_table.data
        sigs: list[Signal] = []
        obs = detect.mention(em, sigs.append)
        st = state_table.data[brand]
        await _send_signals(brand, st, sigs)  # ticks before the mention, even for a duplicate
        if obs.duplicate:
            metrics.invalid("duplicate")
            raw = ev.value if isinstance(ev.value, bytes) else bytes(ev.value or b"")
            detail = f"id {em.mention.id[:80]!r} seen before"
            await t["mentions.dead"].send(
                key=ev.key, value=dead_letter("duplicate", detail, raw, **_where(ev))
            )
            return (st, True) if sigs else None
        for r in obs.responses:
            metrics.response_time(r.brand, r.channel, r.response_seconds, r.within_promise)
        metrics.observe_stage("detect", time.perf_counter() - started)
        return st, fresh or bool(sigs)

    not_caught_up: dict[int, float] = {}
    reported: set[int] = set()

    async def _caught_up(partition: int) -> bool:
        """Nothing of ``mentions`` on this partition is left to read (as far as we know)."""
        tp = next(
            (
                tp
                for tp in app.consumer.assignment()
                if tp.topic == mentions_topic and tp.partition == partition
            ),
            None,
        )
        if tp is None:
            return False  # not ours
        try:
            hw = app.consumer.highwater(tp)
            if hw is None:  # no fetch answer yet since the assignment: ask the broker
                hw = (await app.consumer.highwaters(tp)).get(tp)
            done = seen_offset.get(partition)
            pos = (done + 1) if done is not None else await app.consumer.position(tp)
        except Exception as exc:  # not known yet (assignment in progress)
            log.debug("progress of %s unknown: %s", tp, exc)
            return False
        ok = hw is not None and pos is not None and pos >= hw
        if not ok:
            since = not_caught_up.setdefault(partition, time.monotonic())
            if time.monotonic() - since > 60 and partition not in reported:
                reported.add(partition)
                log.info(
                    "partition %s of mentions not caught up for 60 s (at %s of %s)",
                    partition,
                    pos,
                    hw,
                )
        else:
            not_caught_up.pop(partition, None)
            reported.discard(partition)
        return ok

    own_watermark = [-1.0]  # from mentions this worker read (ticks it received excluded)
    broadcast = [-1.0]  # the last tick boundary sent to every partition

    def _take_tick(raw: bytes) -> None:
        """Another worker's watermark, on this partition: event time for our silent brands."""
        try:
            ts = float(json.loads(raw)["tick"])
        except (ValueError, KeyError, TypeError):
            return
        if ts == ts and ts < time.time() + max_future:  # a number, not far in the future
            watermark[0] = max(watermark[0], ts)

    async def _broadcast_tick() -> None:
        """Tell every partition's owner when this worker's watermark passes a tick.

        Workers own different partitions; a brand alone on a partition would
        otherwise see event time move only with its own mentions. The record goes
        into ``mentions`` itself, so it reaches the owner in order with that
        partition's mentions.
        """
        b = (own_watermark[0] // detect.tick) * detect.tick
        if own_watermark[0] < 0 or b <= broadcast[0]:
            return
        broadcast[0] = b
        value = json.dumps({"tick": b}).encode()
        for p in range(settings.partitions):
            try:
                await t["mentions"].send(key=TICK_KEY, value=value, partition=p)
            except Exception as exc:  # a tick is an optimisation of time, never fatal
                log.debug("tick to partition %s not sent: %s", p, exc)

    async def _tick_idle() -> None:
        """Move the brands of caught-up partitions on to this worker's watermark.

        A brand that fell silent still gets its buckets closed (and its incident
        resolved) in event time, as the backtest does for every brand; partitions
        with records still unread wait, so no brand is moved past a mention of its own.
        """
        if watermark[0] < 0:
            return
        n_part = settings.partitions
        touched: dict[str, tuple[KeyState, int, bool]] = {}
        ready: dict[int, bool] = {}
        for brand in list(state_table.data.keys()):
            st = state_table.data.get(brand)
            if st is None or st.clock is None:
                continue
            p = partition_of(brand.encode(), n_part)
            if p not in ready:
                ready[p] = await _caught_up(p)
            if not ready[p]:
                continue
            sigs: list[Signal] = []
            if detect.advance(brand, watermark[0], sigs.append):
                await _send_signals(brand, st, sigs)
                touched[brand] = (st, p, True)
        _persist_batch(touched)

    @app.timer(IDLE_TICK_SECONDS)
    async def idle_tick() -> None:
        _hook_commit()
        async with lock:
            await _tick_idle()

    def _persist_batch(touched: dict[str, tuple[KeyState, int, bool]]) -> None:
        """End of a batch: write the states that must go, and the ones not written lately."""
        now = time.monotonic()
        for brand, (st, partition, urgent) in touched.items():
            if urgent or now - last_flush.get(brand, 0.0) >= FLUSH_SECONDS:
                _persist(brand, st, partition)
            else:
                dirty[brand] = (st, partition)

    mentions_topic = settings.topic("mentions")

    @app.agent(t["mentions"], name="enrich_detect")
    async def enrich_detect(stream: Any) -> None:
        """Validate, enrich and detect a batch in one pass (one Kafka hop, not two)."""
        # One fetched batch of one partition per event (streams/bulk.py, issue 20).
        async for events in bulk.batches(stream, around=metrics.batch):
            _hook_commit()
            async with lock:
                await _batch(events)
                await _tick_idle()
            await _broadcast_tick()

    async def _batch(events: list[Any]) -> None:
        started = time.perf_counter()
        good: list[tuple[Any, Mention]] = []
        now = time.time()
        for ev in events:
            raw = ev.value if isinstance(ev.value, bytes) else bytes(ev.value or b"")
            if ev.key == TICK_KEY:
                _take_tick(raw)
                continue
            try:
                m = parse_mention(raw)
                if brands and m.brand not in brands:
                    raise InvalidMention(
                        "unknown_brand", f"brand {m.brand[:64]!r} is not configured"
                    )
                check_time(m, now, max_age, max_future)
            except InvalidMention as exc:
                metrics.invalid(exc.reason)
                where = _where(ev)
                dead_lettered(exc.reason, exc.detail, where)  # one line per reason a minute
                await t["mentions.dead"].send(
                    key=ev.key, value=dead_letter(exc.reason, exc.detail, raw, **where)
                )
                continue
            good.append((ev, m))
        for ev in events:
            p, o = ev.partition, ev.offset
            seen_offset[p] = max(seen_offset.get(p, -1), o)
        metrics.observe_stage("validate", time.perf_counter() - started)
        if not good:
            return
        started = time.perf_counter()
        enrichments = ctx.enricher.enrich_batch([m for _, m in good])
        metrics.observe_stage("enrich", time.perf_counter() - started)
        newest: dict[str, float] = {}
        touched: dict[str, tuple[KeyState, int, bool]] = {}
        for (ev, m), e in zip(good, enrichments, strict=True):
            em = EnrichedMention(m, e)
            metrics.mention_consumed(m.brand, m.source, e.lang, e.sentiment)
            if publish_enriched:
                await t["mentions.enriched"].send(
                    key=m.brand.encode(),
                    value=json.dumps(em.to_dict(), ensure_ascii=False).encode(),
                )
            done = await _detect(ev, em)
            if done is not None:
                st, urgent = done
                was = touched.get(m.brand)
                urgent = urgent or (was is not None and was[2])
                touched[m.brand] = (st, ev.partition, urgent)
            newest[m.brand] = max(newest.get(m.brand, 0.0), em.ts)
            watermark[0] = max(watermark[0], em.ts)
            own_watermark[0] = max(own_watermark[0], em.ts)
        _persist_batch(touched)
        for brand, ts in newest.items():
            metrics.event_time(brand, ts, now=time.time())
