"""The ``incidents`` agent: ``signals`` + ``incident.commands`` -> lifecycle -> ``incidents``.

The lifecycle is :class:`alerts.engine.IncidentStage` over the changelogged
table ``incidents`` (the object ``spikewatch backtest`` runs); a human command
(acknowledge, stage buttons, approve, edit, published) is applied at the
incident's event time, never the click's wall-clock time.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator, MutableMapping
from typing import TYPE_CHECKING, Any

from alerts.engine import IncidentStage
from alerts.incidents import Command, Incident, on_command
from detectors.signals import Signal

if TYPE_CHECKING:
    import faust

    from streams.app import Context

log = logging.getLogger(__name__)


class IncidentsView(MutableMapping[str, Incident]):
    """The ``incidents`` table (JSON dicts, ``None`` for gone) seen as ``key -> Incident``."""

    def __init__(self, table: Any) -> None:
        self.table = table

    def __getitem__(self, key: str) -> Incident:
        d = self.table.get(key)
        if not d:
            raise KeyError(key)
        return Incident.from_dict(d)

    def __setitem__(self, key: str, inc: Incident) -> None:
        self.table[key] = inc.to_dict()

    def __delitem__(self, key: str) -> None:
        if not self.table.get(key):
            raise KeyError(key)
        self.table[key] = None

    def __iter__(self) -> Iterator[str]:
        return (k for k, v in self.table.items() if v)

    def __len__(self) -> int:
        return sum(1 for _ in self)


def incident_record(type_: str, inc: Incident, ts: float) -> bytes:
    return json.dumps(
        {"type": type_, "ts": ts, "incident": inc.to_dict()}, ensure_ascii=False
    ).encode()


def register(app: faust.App, ctx: Context) -> None:
    """Attach the ``incidents`` agent to ``app``."""
    t = ctx.topics
    metrics = ctx.metrics
    settings = ctx.settings
    incident_table = ctx.tables["incidents"]

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

    lifecycle = IncidentStage(ctx.engine.lifecycle, IncidentsView(incident_table))

    async def _signal(sig: Signal) -> None:
        new, events = lifecycle.signal(sig)
        if new is None:
            return
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

    # Open incidents of this worker: key -> (brand, severity). Rebuilt from the table at the
    # first incident event of each generation, so a takeover starts from the restored table.
    open_by_key: dict[str, tuple[str, str]] = {}
    built_for = [-1]  # the consumer generation open_by_key was rebuilt for

    def _set_gauges(brand: str) -> None:
        for sev in ("low", "medium", "high", "critical"):
            n = sum(1 for b, s in open_by_key.values() if b == brand and s == sev)
            metrics.open_incidents(brand, sev, n)

    def _track(inc: Incident) -> None:
        if built_for[0] != app.consumer_generation_id:
            built_for[0] = app.consumer_generation_id
            open_by_key.clear()
            for key, d in list(incident_table.items()):
                if isinstance(d, dict) and d.get("status") not in (None, "resolved"):
                    open_by_key[str(key)] = (str(d.get("brand")), str(d.get("severity")))
            for brand in {b for b, _ in open_by_key.values()}:
                _set_gauges(brand)
        if inc.status == "resolved":
            open_by_key.pop(inc.key, None)
        else:
            open_by_key[inc.key] = (inc.brand, inc.severity)
        _set_gauges(inc.brand)

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
