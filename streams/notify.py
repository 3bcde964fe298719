"""The notify agent: incident events -> Slack (or the console) and ``status.updates``.

Every incident event (opened, changed, a tick of event time, a click, a retry)
runs the notify pipeline of :mod:`alerts.notify_stages` -- plan -> suppress ->
dedup -> throttle -> deliver -> record -- through :class:`NotifyHandler`, which
works on two plain mappings (the ``sent`` and ``status`` tables) and is tested
without Faust. The pure stages run on the event loop; deliver -> record runs in
the one Slack thread, one message at a time, and "sent" goes to the changelog
right after Slack accepted each message. A main message is looked up in Slack by
its metadata before it is posted, so a post that timed out, or a worker killed
between Slack's answer and the record, never leaves two copies.

What Slack did not accept and can heal (an outage, a timeout, ``invalid_auth``,
``channel_not_found``, ``not_in_channel``...; see
:func:`alerts.notify_stages.heals`) is tried again with backoff
(:func:`alerts.notify_stages.retry_delay`): a timer puts a ``retry`` event for that
incident back on the ``incidents`` topic when it is due. The retry list is kept
in the ``status`` table too and rebuilt from it when partitions are assigned, as
is the list of closed incidents whose ``sent``/``status`` rows are deleted
(tombstoned) ``notify_retention_seconds`` of event time after they closed.

At start the worker checks the token with ``auth.test`` and says plainly what is
wrong (never the token); it keeps running and delivering what it can: every
refused message waits on the retry schedule, and the check is repeated every
``AUTH_RECHECK_SECONDS`` until it passes, so a fixed token (or a Slack spell
that ends) needs no restart.
"""

from __future__ import annotations

import asyncio
import contextvars
import json
import logging
import time
from collections.abc import Callable, MutableMapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from alerts.dedup import DeliveryResult, Notification, SentLog
from alerts.incidents import Incident
from alerts.notifications import StatusState, approve, published_note, team_language
from alerts.notify_stages import NotifyCtx, plan_stage, prepare, retry_delay, send_each
from alerts.slack_delivery import explain_auth_error
from alerts.status import Draft
from alerts.status_blocks import edit_modal
from streams.delivery import post_webhook
from streams.metrics import NotifyMetrics
from streams.pacing import CLICKS_TOPIC, FirstUseGuard

if TYPE_CHECKING:
    import faust

    from alerts.policy import Policy
    from alerts.status import StatusConfig
    from streams.app import Context
    from streams.metrics import Metrics

log = logging.getLogger(__name__)

RETRY_TICK_SECONDS = 2.0  # how often the timer looks for due retries
RETRY_BASE_SECONDS = 15.0
RETRY_MAX_SECONDS = 300.0
REFRESH_SECONDS = 10.0
AUTH_RECHECK_SECONDS = 60.0


@dataclass
class Job:
    """One incident event on its way through the pipeline."""

    inc: Incident
    kind: str
    now: float
    sent: SentLog
    st: StatusState
    ctx: NotifyCtx
    sent_before: Any
    status_before: Any
    notes: list[Notification] = field(default_factory=list)
    deliver: bool = True


class NotifyHandler:
    """The notify stage over plain mappings: ``sent`` and ``status`` (incident id -> dict).

    ``begin`` decodes an event, ``plan`` runs plan -> suppress -> dedup -> throttle,
    the caller runs :func:`alerts.notify_stages.send_each` (deliver -> record) where
    it may block, and ``finish`` keeps the retry list and the closed list and writes
    the tables (only what changed; deletions are tombstones in a Faust table).
    ``wall`` is a wall clock (retry schedule, refresh throttle); decisions use
    event time.
    """

    def __init__(
        self,
        *,
        policy: Policy,
        status_cfg: StatusConfig,
        sender: Any,
        sent: MutableMapping[str, Any],
        status: MutableMapping[str, Any],
        retention_seconds: float = 7 * 24 * 3600.0,
        wall: Callable[[], float] = time.time,
        metrics: Metrics | None = None,
        notify_metrics: NotifyMetrics | None = None,
    ) -> None:
        self.policy, self.status_cfg, self.sender = policy, status_cfg, sender
        self.sent_table, self.status_table = sent, status
        self.retention = retention_seconds
        self.wall = wall
        self.metrics = metrics
        self.notify_metrics = notify_metrics
        # incident id -> {"brand", "ts", "attempt", "due", "incident"} (also in the status row)
        self.pending: dict[str, dict[str, Any]] = {}
        # brand -> {incident id: event time it closed}
        self.closed: dict[str, dict[str, float]] = {}
        self.last_refresh: dict[str, float] = {}
        self.retry_sent: dict[str, float] = {}  # incident id -> due time a retry event went for
        self._written: dict[str, Any] = {}

    # -- rebuilt from the tables when partitions are assigned -----------------------------

    def rebuild(self) -> None:
        """Refill the retry list and the closed list from the ``status`` table."""
        self.pending.clear()
        self.closed.clear()
        for iid, raw in list(self.status_table.items()):
            st = StatusState.from_dict(raw)
            if st.retry is not None:
                self.pending[str(iid)] = st.retry
            if st.closed_at is not None and st.brand is not None:
                self.closed.setdefault(st.brand, {})[str(iid)] = st.closed_at
        self._gauge()

    def due_retries(self, wall: float) -> list[tuple[str, dict[str, Any]]]:
        """Incidents whose retry is due and has no retry event out yet (one per due time)."""
        out = []
        for iid, r in list(self.pending.items()):
            due = float(r.get("due", 0.0))
            if due <= wall and self.retry_sent.get(iid) != due:
                self.retry_sent[iid] = due
                out.append((iid, r))
        return out

    def _gauge(self) -> None:
        if self.notify_metrics is not None:
            self.notify_metrics.undelivered.set(len(self.pending))

    # -- one event ----------------------------------------------------------------------

    def begin(self, d: dict[str, Any]) -> Job | None:
        kind = str(d["type"])
        if kind == "retry":
            iid = str((d.get("incident") or {}).get("id"))
            if iid not in self.pending:
                return None  # delivered meanwhile
            # The newest incident and event time seen, not the ones the event was sent with.
            d = {**d, "incident": self.pending[iid]["incident"], "ts": self.pending[iid]["ts"]}
        inc = Incident.from_dict(d["incident"])
        now = float(d.get("ts") or inc.updated_at)
        sent_before = self.sent_table.get(inc.id)
        status_before = self.status_table.get(inc.id)
        sent = SentLog.from_dict(sent_before)
        st = StatusState.from_dict(status_before)
        ctx = NotifyCtx(
            now=now,
            sent=sent,
            sender=self.sender,
            wall=self.wall(),
            refresh_seconds=REFRESH_SECONDS,
            last_refresh=self.last_refresh,
        )
        self._written[inc.id] = sent_before
        job = Job(inc, kind, now, sent, st, ctx, sent_before, status_before)
        # After a second refusal a retry waits its turn: other events of the incident do
        # not hammer Slack meanwhile (after one refusal the next event may try at once).
        retry = self.pending.get(inc.id)
        job.deliver = (
            retry is None or int(retry.get("attempt", 1)) < 2 or ctx.wall >= float(retry["due"])
        )
        return job

    def plan(self, job: Job, extra: list[Notification] | None = None) -> list[Notification]:
        plan = plan_stage(job.inc, job.st, self.policy, self.status_cfg)
        job.notes = prepare(job.ctx, plan(job.ctx, list(extra or [])))
        if not job.deliver:
            job.notes = []
        return job.notes

    def on_record(
        self, job: Job, schedule: Callable[[Callable[[], None]], None] | None = None
    ) -> Callable[[Notification, DeliveryResult], None]:
        """The record stage's hook: write the sent log (via ``schedule`` from a thread)."""

        def hook(n: Notification, res: DeliveryResult) -> None:
            snapshot = job.sent.to_dict()

            def write() -> None:
                self.sent_table[job.inc.id] = snapshot
                self._written[job.inc.id] = snapshot

            if schedule is None:
                write()
            else:
                schedule(write)

        return hook

    def finish(self, job: Job) -> None:
        inc, st, now = job.inc, job.st, job.now
        ctx = job.ctx
        if self.metrics is not None:
            for n, r in ctx.results:
                self.metrics.alert_sent(n.action, "ok" if r.ok else "failed")
        for n, r in ctx.results:
            if not r.ok:
                log.warning("Slack did not accept %s: %s", n.dedup_key, r.error)
        st.brand = inc.brand
        if ctx.undelivered or not job.deliver:
            prev = st.retry or {}
            if job.deliver:  # tried now, and Slack did not take it: back off
                attempt = int(prev.get("attempt", 0)) + 1
                # From when Slack gave up on it (a failing call can take its whole deadline).
                due = self.wall() + retry_delay(attempt, RETRY_BASE_SECONDS, RETRY_MAX_SECONDS)
            else:  # waiting its turn: keep the schedule, carry the newest incident
                attempt = int(prev.get("attempt", 1))
                due = float(prev.get("due", ctx.wall))
            st.retry = {
                "brand": inc.brand,
                "ts": now,
                "attempt": attempt,
                "due": due,
                "incident": inc.to_dict(),
            }
            self.pending[inc.id] = st.retry
        else:
            st.retry = None
            self.pending.pop(inc.id, None)
            self.retry_sent.pop(inc.id, None)
        if inc.status == "resolved":
            if st.closed_at is None:
                st.closed_at = now
            self.closed.setdefault(inc.brand, {})[inc.id] = st.closed_at
        elif st.closed_at is not None:
            st.closed_at = None
            self.closed.get(inc.brand, {}).pop(inc.id, None)
        # Changelog records only for what changed (a tick usually changes nothing).
        if (sent_after := job.sent.to_dict()) != self._written.get(inc.id):
            self.sent_table[inc.id] = sent_after
        self._written.pop(inc.id, None)
        if (status_after := st.to_dict()) != job.status_before:
            self.status_table[inc.id] = status_after
        self.expire(inc.brand, now, keep=inc.id)
        self._gauge()

    def expire(self, brand: str, now: float, keep: str | None = None) -> list[str]:
        """Delete the rows of ``brand``'s incidents closed ``retention`` ago (event time).

        Runs while an event of the same brand is processed: the rows live in that
        brand's partition, so the tombstones go to the right changelog partition.
        """
        closed = self.closed.get(brand)
        if not closed:
            return []
        gone = [
            iid
            for iid, at in closed.items()
            if at + self.retention <= now and iid != keep and iid not in self.pending
        ]
        for iid in gone:
            closed.pop(iid, None)
            for table in (self.sent_table, self.status_table):
                if table.get(iid) is not None:
                    del table[iid]
        return gone


def register(app: faust.App, ctx: Context) -> None:
    t = ctx.topics
    metrics = ctx.metrics
    policy, status_cfg, sender = ctx.policy, ctx.status_cfg, ctx.slack
    webhook = ctx.deployment.status_webhook_url
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="slack")
    sent_table = ctx.tables["sent"]
    status_table = ctx.tables["status"]
    notify_metrics = NotifyMetrics(ctx.registry)
    handler = NotifyHandler(
        policy=policy,
        status_cfg=status_cfg,
        sender=sender,
        sent=sent_table,
        status=status_table,
        retention_seconds=ctx.settings.notify_retention_seconds,
        metrics=metrics,
        notify_metrics=notify_metrics,
    )

    if ctx.settings.slack_signing_secret is not None:
        from streams.settings import bootstrap_servers

        # The click replay guard across workers (streams/web.py asks it after its own).
        ctx.click_guard = FirstUseGuard(  # type: ignore[attr-defined]
            bootstrap_servers(ctx.settings), ctx.settings.topic(CLICKS_TOPIC), decision_timeout=1.5
        )

    @status_table.on_recover
    async def _rebuild() -> None:
        handler.rebuild()
        log.info("notify: %d incidents with undelivered messages", len(handler.pending))

    async def _publish(
        inc: Incident,
        st: StatusState,
        c: dict[str, Any],
        now: float,
        loop: asyncio.AbstractEventLoop,
    ) -> list[Notification]:
        pub = approve(
            inc,
            st,
            status_cfg,
            lang=str(c.get("lang") or "fi"),
            channel=str(c.get("channel") or "status_page"),
            user=str(c.get("user") or "?"),
            now=now,
            text=c.get("text"),
        )
        if pub is None:
            log.warning("approval of a draft that was never offered (%s)", inc.id)
            return []
        await t["status.updates"].send(
            key=inc.brand.encode(), value=json.dumps(pub.to_dict(), ensure_ascii=False).encode()
        )
        ok = True
        if webhook:
            ok = await loop.run_in_executor(pool, post_webhook, webhook, pub.to_dict())
        metrics.status_update("ok" if ok else "failed")
        # The incidents agent adds it to the incident's timeline.
        await t["incident.commands"].send(
            key=inc.brand.encode(),
            value=json.dumps(
                {
                    "action": "published",
                    "brand": inc.brand,
                    "key": inc.key,
                    "incident_id": inc.id,
                    "ts": now,
                    "user": pub.approved_by,
                    "lang": pub.lang,
                    "channel": pub.channel,
                },
                ensure_ascii=False,
            ).encode(),
        )
        # The approver's name (users.info, cached; None -> <@ID>, which Slack shows as the name).
        name = None
        if hasattr(sender, "user_name"):
            name = await loop.run_in_executor(pool, sender.user_name, pub.approved_by)
        return [published_note(inc, policy, status_cfg, pub, name)]

    async def _open_editor(
        inc: Incident, st: StatusState, c: dict[str, Any], loop: asyncio.AbstractEventLoop
    ) -> None:
        raw = st.drafts.get(f"{c.get('lang')}:{c.get('channel')}")
        view_id = c.get("view_id")
        if raw is None or not view_id or not hasattr(sender, "update_view"):
            log.warning("cannot open the editor for %s", inc.id)
            return
        draft = Draft.from_dict(raw)
        view = edit_modal(
            draft,
            limit=status_cfg.length_limits.get(draft.channel),
            lang=team_language(inc, policy),
        )
        await loop.run_in_executor(pool, sender.update_view, view_id, view)

    def _timed_send(nctx: NotifyCtx, notes: list[Notification]) -> None:
        started = time.perf_counter()
        send_each(nctx, notes)
        metrics.slack_latency(time.perf_counter() - started)

    def _on_loop(
        loop: asyncio.AbstractEventLoop, here: contextvars.Context
    ) -> Callable[[Callable[[], None]], None]:
        def schedule(fn: Callable[[], None]) -> None:
            loop.call_soon_threadsafe(fn, context=here)

        return schedule

    @app.agent(t["incidents"], name="notify")
    async def notify(stream: Any) -> None:
        loop = asyncio.get_running_loop()
        async for ev in stream.events():
            started = time.perf_counter()
            d = json.loads(ev.value)
            job = handler.begin(d)
            if job is None:
                continue
            extra: list[Notification] = []
            if job.kind == "approve":
                extra = await _publish(job.inc, job.st, d.get("command") or {}, job.now, loop)
            elif job.kind == "edit":
                await _open_editor(job.inc, job.st, d.get("command") or {}, loop)
            if job.kind == "resolved":
                metrics.incident_resolved(job.inc.brand, job.inc.kind, job.inc.duration(job.now))
            # plan -> suppress -> dedup -> throttle here (pure, cheap: most events are
            # ticks that plan what was sent already), deliver -> record in the Slack thread.
            notes = handler.plan(job, extra)
            if notes:
                # The sent log goes to the changelog right after each accepted message,
                # written on the loop in this event's context (its partition).
                job.ctx.on_record = handler.on_record(
                    job, _on_loop(loop, contextvars.copy_context())
                )
                await loop.run_in_executor(pool, _timed_send, job.ctx, notes)
            handler.finish(job)
            metrics.observe_stage("notify", time.perf_counter() - started)

    @app.timer(RETRY_TICK_SECONDS)
    async def retry_undelivered() -> None:
        for iid, r in handler.due_retries(time.time()):
            await t["incidents"].send(
                key=str(r["brand"]).encode(),
                value=json.dumps(
                    {"type": "retry", "ts": r["ts"], "incident": r["incident"]},
                    ensure_ascii=False,
                ).encode(),
            )
            log.info("retrying undelivered messages of %s (attempt %s)", iid, r.get("attempt"))

    if hasattr(sender, "auth_test"):

        @app.task
        async def check_token() -> None:
            """auth.test at start, then every AUTH_RECHECK_SECONDS until it passes."""
            loop = asyncio.get_running_loop()
            last: str | None = "unchecked"
            while True:
                res = await loop.run_in_executor(pool, sender.auth_test)
                if res.ok:
                    notify_metrics.auth_ok.set(1)
                    who = getattr(sender, "identity", {}) or {}
                    log.info(
                        "Slack token OK: bot %s in workspace %s",
                        who.get("user") or "?",
                        who.get("team") or "?",
                    )
                    return
                notify_metrics.auth_ok.set(0)
                if res.error != last:
                    log.error(
                        "Slack auth.test failed (%s): %s. The worker keeps running; "
                        "refused messages wait and are retried, and the token is checked "
                        "again every %.0f s.",
                        res.error,
                        explain_auth_error(res.error),
                        AUTH_RECHECK_SECONDS,
                    )
                last = res.error
                await asyncio.sleep(AUTH_RECHECK_SECONDS)
