"""The notify agent: incident events -> Slack (or the console) and ``status.updates``.

For every event of an incident (opened, changed, a tick of event time, an
approval) it asks :func:`alerts.notify.notifications` what should exist in
Slack, and :func:`alerts.escalation.dispatch` sends what Slack has not accepted
yet, recording each only after Slack accepted it (table ``sent``), so a restart
or a replay does not post twice. Slack calls are blocking (slack-sdk with
retries and pacing) and run in a thread, one incident event at a time.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from itertools import count
from typing import TYPE_CHECKING, Any

from alerts.dedup import DeliveryResult, Notification, SentLog
from alerts.escalation import dispatch
from alerts.incidents import Command, Incident
from alerts.notify import StatusState, approve, notifications, published_note
from alerts.policy import load_policy
from alerts.slack_blocks import render_console
from alerts.status import load_status_config

if TYPE_CHECKING:
    import faust

    from streams.app import Context

log = logging.getLogger(__name__)


class ConsoleSender:
    """No Slack token: print what would be posted, and accept it."""

    def __init__(self, out: Any = None) -> None:
        self.out = out or sys.stdout
        self._ts = count(1)

    def _ok(self, channel: str) -> DeliveryResult:
        return DeliveryResult(ok=True, ts=f"{time.time():.6f}-{next(self._ts)}", channel=channel)

    def send(self, n: Notification, thread_ts: str | None) -> DeliveryResult:
        print("\n" + render_console(n), file=self.out, flush=True)
        return self._ok(n.channel)

    def upload_chart(self, channel: str, thread_ts: str | None, png: bytes, title: str) -> DeliveryResult:
        print(f"\n--- chart -> {channel}: {title} ({len(png)} bytes PNG)", file=self.out, flush=True)
        return self._ok(channel)


def command_record(cmd: Command | dict[str, Any]) -> tuple[str, bytes]:
    """An ``incident.commands`` record (key = brand) from a parsed Slack click."""
    d = cmd.to_dict() if isinstance(cmd, Command) else dict(cmd)
    brand = str(d.get("brand") or "")
    return brand, json.dumps(d, ensure_ascii=False).encode()


def post_webhook(url: str, payload: dict[str, Any], timeout: float = 10.0) -> bool:
    """POST a published update to a status page or publishing tool."""
    req = urllib.request.Request(  # noqa: S310 - URL from the operator's config
        url, data=json.dumps(payload, ensure_ascii=False).encode(),
        headers={"Content-Type": "application/json"}, method="POST",
    )
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:  # noqa: S310
            return 200 <= r.status < 300
    except OSError as exc:
        log.warning("status webhook failed: %s", type(exc).__name__)
        return False


def make_sender(ctx: Context) -> Any:
    s = ctx.settings
    if s.slack_bot_token is None:
        return ConsoleSender()
    from alerts.slack_delivery import SlackDelivery

    return SlackDelivery(s.slack_bot_token.get_secret_value(), base_url=s.slack_base_url)


def register(app: faust.App, ctx: Context) -> None:
    t = ctx.topics
    metrics = ctx.metrics
    policy = load_policy(ctx.deployment.escalation)
    status_cfg = load_status_config(ctx.deployment.status)
    webhook = ctx.deployment.status.get("webhook_url") if ctx.deployment.status else None
    sender = make_sender(ctx)
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="slack")
    sent_table = ctx.tables["sent"]
    status_table = ctx.tables["status"]

    @app.agent(t["incidents"], name="notify")
    async def notify(stream: Any) -> None:
        loop = asyncio.get_running_loop()
        async for ev in stream.events():
            started = time.perf_counter()
            d = json.loads(ev.value)
            inc = Incident.from_dict(d["incident"])
            now = float(d.get("ts") or inc.updated_at)
            sent = SentLog.from_dict(sent_table.get(inc.id))
            st = StatusState.from_dict(status_table.get(inc.id))
            extra: list[Notification] = []
            if d["type"] == "approve":
                c = d.get("command") or {}
                pub = approve(inc, st, status_cfg, lang=str(c.get("lang") or "fi"),
                              channel=str(c.get("channel") or "status_page"),
                              user=str(c.get("user") or "?"), now=now, text=c.get("text"))
                if pub is None:
                    log.warning("approval for a draft that was never offered: %s", inc.id)
                else:
                    await t["status.updates"].send(
                        key=inc.brand.encode(),
                        value=json.dumps(pub.to_dict(), ensure_ascii=False).encode())
                    ok = True
                    if webhook:
                        ok = await loop.run_in_executor(pool, post_webhook, webhook, pub.to_dict())
                    metrics.status_update("ok" if ok else "failed")
                    extra.append(published_note(inc, policy, status_cfg, pub))
            notes = notifications(inc, st, sent, policy, status_cfg, now) + extra
            drafts_before = len(st.stages)
            outcomes = await loop.run_in_executor(pool, dispatch, notes, sent, sender, now)
            for o in outcomes:
                if o.result is None:
                    continue
                r = o.result
                kind = o.notification.action
                metrics.alert_sent(kind, "ok" if r.ok else "failed")
                if not r.ok:
                    log.warning("Slack did not accept %s: %s", o.notification.dedup_key, r.error)
            if len(st.stages) != drafts_before:
                for k, dr in st.drafts.items():
                    if dr.get("stage") == st.stages[-1]:
                        await t["status.updates"].send(
                            key=inc.brand.encode(), value=json.dumps(dr, ensure_ascii=False).encode())
            sent_table[inc.id] = sent.to_dict()
            status_table[inc.id] = st.to_dict()
            metrics.observe_stage("notify", time.perf_counter() - started)
