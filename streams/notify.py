"""The notify agent: incident events -> Slack (or the console) and ``status.updates``.

For every event of an incident (opened, changed, a tick of event time, a
click) it asks :func:`alerts.notify.notifications` what should exist in Slack,
and :func:`alerts.escalation.dispatch` sends what Slack has not accepted yet,
recording each only after Slack accepted it (table ``sent``), so a restart or a
replay does not post twice. Slack calls are blocking (slack-sdk with retries,
a deadline and pacing) and run in one thread, one incident event at a time.

What Slack did not accept (an outage, 429s past the deadline) is tried again:
a timer puts a ``retry`` event for that incident back on the ``incidents``
topic every ``RETRY_SECONDS`` until everything planned has been accepted.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from alerts.dedup import Notification, SentLog, needs_send
from alerts.escalation import dispatch
from alerts.incidents import Incident
from alerts.notify import StatusState, approve, notifications, published_note
from alerts.slack_delivery import make_delivery
from alerts.status import Draft
from alerts.status_blocks import edit_modal

if TYPE_CHECKING:
    import faust
    from prometheus_client import CollectorRegistry

    from streams.app import Context
    from streams.settings import Settings

log = logging.getLogger(__name__)

RETRY_SECONDS = 15.0
REFRESH_SECONDS = 10.0


def make_sender(settings: Settings, registry: CollectorRegistry | None = None) -> Any:
    """slack-sdk delivery when a token is set, else the console dry run."""
    token = settings.slack_bot_token
    return make_delivery(
        None if token is None else token.get_secret_value(),
        settings.slack_base_url,
        registry=registry,
    )


def post_webhook(url: str, payload: dict[str, Any], timeout: float = 10.0) -> bool:
    """POST a published update to a status page or publishing tool."""
    req = urllib.request.Request(  # noqa: S310 - URL from the operator's config
        url,
        data=json.dumps(payload, ensure_ascii=False).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:  # noqa: S310
            return 200 <= r.status < 300
    except OSError as exc:
        log.warning("status webhook failed: %s", type(exc).__name__)
        return False


def register(app: faust.App, ctx: Context) -> None:
    t = ctx.topics
    metrics = ctx.metrics
    policy, status_cfg, sender = ctx.policy, ctx.status_cfg, ctx.slack
    webhook = ctx.deployment.status_webhook_url
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="slack")
    sent_table = ctx.tables["sent"]
    status_table = ctx.tables["status"]
    # incident id -> (brand, latest incident dict, event time) with undelivered messages
    pending: dict[str, tuple[str, dict[str, Any], float]] = {}

    def _timed_dispatch(notes: list[Notification], sent: SentLog, now: float) -> Any:
        started = time.perf_counter()
        out = dispatch(notes, sent, sender, now)
        if any(o.result is not None for o in out):
            metrics.slack_latency(time.perf_counter() - started)
        return out

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
        return [published_note(inc, policy, status_cfg, pub)]

    async def _open_editor(
        inc: Incident, st: StatusState, c: dict[str, Any], loop: asyncio.AbstractEventLoop
    ) -> None:
        raw = st.drafts.get(f"{c.get('lang')}:{c.get('channel')}")
        view_id = c.get("view_id")
        if raw is None or not view_id or not hasattr(sender, "update_view"):
            log.warning("cannot open the editor for %s", inc.id)
            return
        draft = Draft.from_dict(raw)
        view = edit_modal(draft, limit=status_cfg.length_limits.get(draft.channel))
        await loop.run_in_executor(pool, sender.update_view, view_id, view)

    last_refresh: dict[str, float] = {}  # dedup key -> wall time of its last in-place refresh

    def _refresh_too_soon(n: Notification, sent: SentLog) -> bool:
        """Numbers-only refreshes of one message at most every REFRESH_SECONDS of wall time.

        Live, event time and wall time agree and the policy's ``update_min_seconds`` rules;
        in a fast replay event time races ahead, and this keeps Slack (paced at one call a
        second per channel) from falling minutes behind on refreshes nobody can read.
        Status and severity changes (a new state hash) always go.
        """
        entry = sent.get(n.dedup_key)
        if n.action != "update" or entry is None or n.state_hash != entry.state_hash:
            return False
        wall = time.monotonic()
        if wall - last_refresh.get(n.dedup_key, -REFRESH_SECONDS) < REFRESH_SECONDS:
            return True
        last_refresh[n.dedup_key] = wall
        return False

    @app.agent(t["incidents"], name="notify")
    async def notify(stream: Any) -> None:
        loop = asyncio.get_running_loop()
        async for ev in stream.events():
            started = time.perf_counter()
            d = json.loads(ev.value)
            inc = Incident.from_dict(d["incident"])
            now = float(d.get("ts") or inc.updated_at)
            sent_before = sent_table.get(inc.id)
            status_before = status_table.get(inc.id)
            sent = SentLog.from_dict(sent_before)
            st = StatusState.from_dict(status_before)
            extra: list[Notification] = []
            kind = d["type"]
            if kind == "approve":
                extra = await _publish(inc, st, d.get("command") or {}, now, loop)
            elif kind == "edit":
                await _open_editor(inc, st, d.get("command") or {}, loop)
            elif kind == "retry" and inc.id not in pending:
                continue  # delivered meanwhile
            if kind == "resolved":
                metrics.incident_resolved(inc.brand, inc.kind, inc.duration(now))
            notes = notifications(inc, st, sent, policy, status_cfg, now) + extra
            outcomes = []
            for n in notes:
                # Most events are ticks that plan what was sent already: decide that
                # here, without a hop to the Slack thread (dispatch decides again).
                if not needs_send(n, sent, now).send or _refresh_too_soon(n, sent):
                    continue
                # One at a time, and "sent" goes to the changelog right after Slack accepted
                # each message: a crash can then repeat at most the message in flight.
                done = await loop.run_in_executor(pool, _timed_dispatch, [n], sent, now)
                outcomes.extend(done)
                if any(o.recorded for o in done):
                    sent_table[inc.id] = sent.to_dict()
            failed = False
            for o in outcomes:
                if o.result is None:
                    continue
                metrics.alert_sent(o.notification.action, "ok" if o.result.ok else "failed")
                if not o.result.ok:
                    failed = (
                        failed or o.result.retryable or o.result.error in ("timeout", "deadline")
                    )
                    log.warning(
                        "Slack did not accept %s: %s", o.notification.dedup_key, o.result.error
                    )
            if failed:
                pending[inc.id] = (inc.brand, inc.to_dict(), now)
            else:
                pending.pop(inc.id, None)
            # Changelog records only for what changed (a tick usually changes nothing).
            if (sent_after := sent.to_dict()) != sent_before:
                sent_table[inc.id] = sent_after
            if (status_after := st.to_dict()) != status_before:
                status_table[inc.id] = status_after
            metrics.observe_stage("notify", time.perf_counter() - started)

    @app.timer(RETRY_SECONDS)
    async def retry_undelivered() -> None:
        for brand, inc_d, now in list(pending.values()):
            await t["incidents"].send(
                key=brand.encode(),
                value=json.dumps(
                    {"type": "retry", "ts": now, "incident": inc_d}, ensure_ascii=False
                ).encode(),
            )
