"""The stream agents: thin loops that decode, call pure code, and emit.

- ``enrich_detect``: ``mentions`` -> validate -> enrich (batched) -> per-brand
  :class:`KeyState` (table ``state``) -> ``signals``. Invalid records and
  duplicates -> ``mentions.dead`` with reason, topic, partition, offset and the
  original bytes; the loop goes on. Validate, enrich and detect share one pass
  over a batch: a Kafka hop between enrich and detect cost more than enrichment
  itself (BENCHMARKS.md). With ``SPIKEWATCH_PUBLISH_ENRICHED=true`` every
  enriched mention is also written to ``mentions.enriched`` for other consumers.
- ``incidents``: ``signals`` + ``incident.commands`` -> lifecycle (table
  ``incidents``) -> ``incidents``.

State objects live in memory in Faust's table store and are written to the
changelog once per batch for each brand that emitted a signal in it (or is
new), otherwise at most every ``FLUSH_SECONDS`` per brand: never per mention
(a 20 KB state per mention would swamp the changelog and cost more than the
detectors themselves).
"""

from __future__ import annotations

import json
import logging
import time
from typing import TYPE_CHECKING, Any

from alerts.engine import route_key
from alerts.incidents import Command, Incident, on_command, on_signal
from detectors.keystate import KeyState
from detectors.mention import EnrichedMention, InvalidMention, Mention, parse_mention
from detectors.signals import Signal
from streams import bulk
from streams.web import dead_letter

if TYPE_CHECKING:
    import faust

    from streams.app import Context

log = logging.getLogger(__name__)

BATCH = 500
BATCH_WITHIN = 0.05
FLUSH_SECONDS = 1.0


def _where(rec: Any) -> dict[str, Any]:
    """A record's coordinates (an aiokafka record of a bulk batch, or a Faust message)."""
    return {"topic": rec.topic, "partition": rec.partition, "offset": rec.offset}


def check_time(m: Mention, now: float, max_age_days: float, max_future: float) -> None:
    """Refuse event times far in the past or the future (relative to wall clock at the edge)."""
    ts = m.ts
    if ts > now + max_future:
        raise InvalidMention("time_out_of_range", "created_at is in the future")
    if ts < now - max_age_days * 86400:
        raise InvalidMention("time_out_of_range", "created_at is too far in the past")


def incident_record(type_: str, inc: Incident, ts: float) -> bytes:
    return json.dumps(
        {"type": type_, "ts": ts, "incident": inc.to_dict()}, ensure_ascii=False
    ).encode()


def register(app: faust.App, ctx: Context) -> None:
    """Attach the agents to ``app``."""
    t = ctx.topics
    metrics = ctx.metrics
    settings = ctx.settings
    brands = set(ctx.deployment.brands)
    state_table = ctx.tables["state"]
    incident_table = ctx.tables["incidents"]
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
        """Records not yet read, per assigned partition of our source topics."""
        consumer = app.consumer
        for tp in consumer.assignment():
            if tp.topic not in source_topics:
                continue
            try:
                hw = consumer.highwater(tp)
                pos = await consumer.position(tp)
            except Exception as exc:
                log.debug("lag of %s unknown: %s", tp, exc)
                continue
            if hw is not None and pos is not None:
                metrics.consumer_lag(tp.topic, tp.partition, max(0, hw - pos))

    last_flush: dict[str, float] = {}

    def _persist(brand: str, st: KeyState, partition: int) -> None:
        """Write one brand's state to the changelog, on the partition its mentions come from.

        The batch spans partitions, so Faust's "current event" cannot name the
        partition; the object itself already lives in the table's store.
        """
        state_table.data[brand] = st
        state_table.send_changelog(partition, brand, st)
        last_flush[brand] = time.monotonic()

    async def _detect(ev: Any, em: EnrichedMention) -> tuple[KeyState, bool] | None:
        """Dedup, detectors and response times for one enriched mention; emit its signals.

        Returns the brand's state and whether it must reach the changelog at the end
        of the batch (new, or it emitted signals); ``None`` for a duplicate.
        The ``detect`` stage histogram counts one observation per mention that is not
        a duplicate (tests and dashboards read it as "mentions through detect").
        """
        started = time.perf_counter()
        brand = em.mention.brand
        st: KeyState | None = state_table.get(brand)
        fresh = st is None
        if st is None:
            st = KeyState(brand, ctx.engine.monitor, ctx.engine.backlog)
            state_table.data[brand] = st  # the batch's next mentions find it
        obs = st.observe(em)
        if obs.duplicate:
            metrics.invalid("duplicate")
            raw = ev.value if isinstance(ev.value, bytes) else bytes(ev.value or b"")
            detail = f"id {em.mention.id[:80]!r} seen before"
            await t["mentions.dead"].send(
                key=ev.key, value=dead_letter("duplicate", detail, raw, **_where(ev))
            )
            return None
        for r in obs.responses:
            metrics.response_time(r.brand, r.channel, r.response_seconds, r.within_promise)
        for sig in obs.signals:
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
        metrics.observe_stage("detect", time.perf_counter() - started)
        return st, fresh or bool(obs.signals)

    def _persist_batch(touched: dict[str, tuple[KeyState, int, bool]]) -> None:
        """End of a batch: write the states that must go, and the ones not written lately."""
        now = time.monotonic()
        for brand, (st, partition, urgent) in touched.items():
            if urgent or now - last_flush.get(brand, 0.0) >= FLUSH_SECONDS:
                _persist(brand, st, partition)

    @app.agent(t["mentions"], name="enrich_detect")
    async def enrich_detect(stream: Any) -> None:
        """Validate, enrich and detect a batch in one pass (one Kafka hop, not two)."""
        # One fetched batch of one partition per event (streams/bulk.py, issue 20); each
        # record has topic, partition, offset, key and value (raw bytes). Per-mention
        # metrics are aggregated over the batch (Metrics.batch).
        async for events in bulk.batches(stream, around=metrics.batch):
            started = time.perf_counter()
            good: list[tuple[Any, Mention]] = []
            now = time.time()
            for ev in events:
                raw = ev.value if isinstance(ev.value, bytes) else bytes(ev.value or b"")
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
                    log.warning("invalid record %s (%s) at %s", exc.reason, exc.detail, where)
                    await t["mentions.dead"].send(
                        key=ev.key, value=dead_letter(exc.reason, exc.detail, raw, **where)
                    )
                    continue
                good.append((ev, m))
            metrics.observe_stage("validate", time.perf_counter() - started)
            if not good:
                continue
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
            _persist_batch(touched)
            for brand, ts in newest.items():
                metrics.event_time(brand, ts, now=time.time())

    @app.agent(
        app.topic(
            settings.topic("signals"),
            settings.topic("incident.commands"),
            key_serializer="raw",
            value_serializer="raw",
        ),
        name="incidents",
    )
    async def incidents(stream: Any) -> None:
        async for ev in stream.events():
            started = time.perf_counter()
            d = json.loads(ev.value)
            if "action" in d:
                await _command(d)
            else:
                await _signal(Signal.from_dict(d))
            metrics.observe_stage("incidents", time.perf_counter() - started)

    def _is_open(key: str) -> bool:
        d = incident_table.get(key)
        return bool(d) and d.get("status") != "resolved"

    async def _signal(sig: Signal) -> None:
        k = route_key(sig, ctx.engine.lifecycle, _is_open)
        cur_d = incident_table.get(k)
        cur = Incident.from_dict(cur_d) if cur_d else None
        new, events = on_signal(cur, sig, ctx.engine.lifecycle)
        if new is None:
            if cur_d is not None:
                incident_table[k] = None
            return
        incident_table[k] = new.to_dict()
        if events:
            _track(new)
        for e in events:
            if e.type == "opened":
                metrics.incident_opened(new.brand, new.kind, new.severity)
            await t["incidents"].send(
                key=new.brand.encode(), value=incident_record(e.type, e.incident, e.ts)
            )
        if not events and new.status != "resolved":
            # A tick: event time moved for an open incident (escalation, reminders).
            await t["incidents"].send(
                key=new.brand.encode(), value=incident_record("tick", new, sig.ts)
            )

    open_by_key: dict[
        str, tuple[str, str]
    ] = {}  # open incidents of this worker: key -> (brand, severity)

    def _track(inc: Incident) -> None:
        if inc.status == "resolved":
            open_by_key.pop(inc.key, None)
        else:
            open_by_key[inc.key] = (inc.brand, inc.severity)
        for sev in ("low", "medium", "high", "critical"):
            n = sum(1 for b, s in open_by_key.values() if b == inc.brand and s == sev)
            metrics.open_incidents(inc.brand, sev, n)

    async def _command(d: dict[str, Any]) -> None:
        brand, k = str(d.get("brand", "")), str(d.get("key", ""))
        cur_d = incident_table.get(k)
        if not cur_d or d.get("incident_id") != cur_d.get("id"):
            log.warning("command %s for an unknown or past incident ignored", d.get("action"))
            return
        cur = Incident.from_dict(cur_d)
        action = d.get("action")
        if action in ("approve", "edit"):
            await t["incidents"].send(
                key=brand.encode(),
                value=json.dumps(
                    {
                        "type": action,
                        "ts": cur.now,  # the brand's event time, not the click's wall time
                        "incident": cur.to_dict(),
                        "command": d,
                    },
                    ensure_ascii=False,
                ).encode(),
            )
            return
        if action == "published":
            cur.timeline = [
                *cur.timeline,
                {
                    "type": "published",
                    "ts": d.get("ts"),
                    "by": d.get("user"),
                    "lang": d.get("lang"),
                    "channel": d.get("channel"),
                },
            ][-50:]
            incident_table[k] = cur.to_dict()
            return
        try:
            cmd = Command(
                action=str(action),
                incident_id=cur.id,
                user=str(d.get("user") or "?"),
                ts=float(d.get("ts") or cur.updated_at),
                minutes=d.get("minutes"),
            )
            new, events = on_command(cur, cmd, ctx.engine.lifecycle)
        except ValueError as exc:
            log.warning("command refused: %s", exc)
            return
        incident_table[k] = new.to_dict()
        _track(new)
        for e in events:
            await t["incidents"].send(
                key=brand.encode(), value=incident_record(e.type, e.incident, e.ts)
            )
