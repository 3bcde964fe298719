"""Notify as a pipeline of stages, in Alertmanager's shape (``notify/notify.go``).

Every stage has one type, :data:`Stage` -- it takes the context and the
notifications still going and returns the ones that go on -- and the pipeline
is assembled in one function, :func:`pipeline`::

    plan -> suppress (silences, quiet hours) -> dedup -> throttle -> deliver (retry) -> record

- :func:`plan_stage` asks :func:`alerts.notifications.notifications` what should exist
  in Slack for one incident at event time ``ctx.now``;
- :func:`suppress` drops what a silence or quiet hours marked;
- :func:`dedup` decides once, with :func:`alerts.dedup.needs_send`, against what
  Slack accepted (a thread reply whose parent goes earlier in the same batch
  passes);
- :func:`throttle` holds numbers-only refreshes of one message to one per
  ``refresh_seconds`` of the caller's wall clock;
- :func:`deliver` sends through the sender (retries inside one call are the
  sender's: 429 with Retry-After, 5xx, connection errors, until a deadline).
  Before a new main message it looks the message up in Slack by its metadata
  (``sender.find_posted``): a post that timed out or a worker killed between
  Slack's answer and the record leaves a message behind, which is adopted
  (its ts recorded) instead of posted again; a thread reply likewise, by the
  replies of its thread (``sender.find_reply``);
- :func:`record` writes "sent" only for what Slack accepted, then calls
  ``ctx.on_record`` (the caller persists the log there).

Whether an undelivered message is tried again later is :func:`heals`; when,
:func:`retry_delay`. Nothing here talks to Slack or reads a clock: the sender
and the times come from the caller.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from alerts.dedup import Decision, DeliveryResult, Notification, SentLog, needs_send
from alerts.escalation import chart_png
from alerts.incidents import Incident
from alerts.notifications import StatusState, notifications
from alerts.policy import Policy
from alerts.slack_lookup import reply_metadata
from alerts.status import StatusConfig

__all__ = [
    "HEALING_ERRORS",
    "PERMANENT_ERRORS",
    "NotifyCtx",
    "Stage",
    "compose",
    "dedup",
    "deliver",
    "heals",
    "pipeline",
    "plan_stage",
    "prepare",
    "record",
    "refresh_too_soon",
    "retry_delay",
    "send_each",
    "suppress",
    "throttle",
]

# ok:false errors an operator (or Slack) can fix without us changing the message:
# a token that works again after a spell or a re-install, a channel created, unarchived
# or the bot invited, a scope granted. Tried again on a schedule (:func:`retry_delay`).
HEALING_ERRORS = (
    "invalid_auth",
    "account_inactive",
    "channel_not_found",
    "not_in_channel",
    "is_archived",
    "missing_scope",
    "ekm_access_denied",
    "team_access_not_granted",
    "ratelimited",
    "internal_error",
    "fatal_error",
    "service_unavailable",
    "request_timeout",
)
# Never retried: the same request would fail the same way (a bad message), or the
# token itself is gone for good (a revoked or expired token needs a new one, i.e. a
# restart with new settings).
PERMANENT_ERRORS = (
    "token_revoked",
    "token_expired",
    "not_authed",
    "invalid_blocks",
    "invalid_arguments",
    "msg_too_long",
    "no_text",
    "too_many_attachments",
)
# Local outcomes of SlackDelivery that are worth another try later.
_TRANSIENT = ("timeout", "deadline", "connection_error", "no_thread_ts", "parent_not_sent")


class Sender(Protocol):
    """What :func:`deliver` needs (``SlackDelivery`` and ``ConsoleDelivery`` have it)."""

    def send(self, n: Notification, thread_ts: str | None) -> DeliveryResult: ...

    def upload_chart(
        self, channel: str, thread_ts: str | None, png: bytes, title: str
    ) -> DeliveryResult: ...


@dataclass
class NotifyCtx:
    """What the stages share for one incident event.

    ``now`` is event time (every decision); ``wall`` is the caller's wall clock,
    used only by :func:`throttle`. ``last_refresh`` (dedup key -> wall time of its
    last numbers-only refresh) lives as long as the caller wants it to.
    """

    now: float
    sent: SentLog
    sender: Sender | None = None
    wall: float = 0.0
    refresh_seconds: float = 10.0
    last_refresh: dict[str, float] = field(default_factory=dict)
    on_record: Callable[[Notification, DeliveryResult], None] | None = None
    decisions: dict[str, Decision] = field(default_factory=dict)
    dropped: list[tuple[Notification, str]] = field(default_factory=list)
    results: list[tuple[Notification, DeliveryResult]] = field(default_factory=list)
    accepted: dict[str, DeliveryResult] = field(default_factory=dict)
    stale: set[str] = field(default_factory=set)  # adopted, but not brought up to date

    @property
    def undelivered(self) -> list[tuple[Notification, DeliveryResult]]:
        """What Slack did not accept in this run and is worth trying again."""
        return [(n, r) for n, r in self.results if not r.ok and heals(r)]


Stage = Callable[[NotifyCtx, list[Notification]], list[Notification]]


def compose(*stages: Stage) -> Stage:
    """One stage that runs ``stages`` in order (an empty list stops early)."""

    def run(ctx: NotifyCtx, notes: list[Notification]) -> list[Notification]:
        for stage in stages:
            if not notes:
                break
            notes = stage(ctx, notes)
        return notes

    return run


def plan_stage(inc: Incident, st: StatusState, policy: Policy, cfg: StatusConfig) -> Stage:
    """Everything that should exist in Slack for ``inc``, then the notes passed in."""

    def plan(ctx: NotifyCtx, extra: list[Notification]) -> list[Notification]:
        return [*notifications(inc, st, ctx.sent, policy, cfg, ctx.now), *extra]

    return plan


def suppress(ctx: NotifyCtx, notes: list[Notification]) -> list[Notification]:
    """Drop what a silence or quiet hours marked (``Notification.suppressed``)."""
    out = []
    for n in notes:
        if n.suppressed:
            ctx.decisions[n.dedup_key] = Decision(False, n.suppressed)
            ctx.dropped.append((n, n.suppressed))
        else:
            out.append(n)
    return out


def dedup(ctx: NotifyCtx, notes: list[Notification]) -> list[Notification]:
    """The one dedup decision per notification; parents sent earlier in the batch count."""
    out: list[Notification] = []
    going: set[str] = set()
    for n in notes:
        d = needs_send(n, ctx.sent, ctx.now, going)
        ctx.decisions[n.dedup_key] = d
        if d.send:
            out.append(n)
            going.add(n.dedup_key)
        else:
            ctx.dropped.append((n, d.reason))
    return out


def refresh_too_soon(
    n: Notification, sent: SentLog, wall: float, last: dict[str, float], every: float
) -> bool:
    """A numbers-only refresh of one message at most every ``every`` seconds of wall time.

    Live, event time and wall time agree and the policy's ``update_min_seconds``
    rules; in a fast replay event time races ahead, and this keeps Slack (paced
    at one call a second per channel) from falling minutes behind on refreshes
    nobody can read. Status and severity changes (a new state hash) always go.
    Marks ``last`` when the refresh may go.

    >>> n = Notification("k", "#c", "update", "b", [], "i", "t", state_hash="s")
    >>> log = SentLog()
    >>> log.record(n, channel_id="C1", message_ts="1.0", now=0.0)
    >>> last: dict[str, float] = {}
    >>> refresh_too_soon(n, log, 100.0, last, 10.0), refresh_too_soon(n, log, 105.0, last, 10.0)
    (False, True)
    """
    entry = sent.get(n.dedup_key)
    if n.action != "update" or entry is None or n.state_hash != entry.state_hash:
        return False
    if wall - last.get(n.dedup_key, wall - every) < every:
        return True
    last[n.dedup_key] = wall
    return False


def throttle(ctx: NotifyCtx, notes: list[Notification]) -> list[Notification]:
    """Hold numbers-only refreshes (:func:`refresh_too_soon`)."""
    out = []
    for n in notes:
        if refresh_too_soon(n, ctx.sent, ctx.wall, ctx.last_refresh, ctx.refresh_seconds):
            ctx.dropped.append((n, "too_soon"))
        else:
            out.append(n)
    return out


def _adopt(ctx: NotifyCtx, n: Notification, found: DeliveryResult) -> DeliveryResult:
    """A main message found in Slack: bring it up to date in place, record its ts either way."""
    assert ctx.sender is not None
    upd = dataclasses.replace(
        n, action="update", channel=found.channel or n.channel, message_ts=found.ts
    )
    res = ctx.sender.send(upd, None)
    if res.ok:
        return dataclasses.replace(found, attempts=found.attempts + res.attempts)
    # Recorded with an unknown state: the next plan updates it in place.
    ctx.stale.add(n.dedup_key)
    return found


def deliver(ctx: NotifyCtx, notes: list[Notification]) -> list[Notification]:
    """Send each notification; return those Slack accepted (results in ``ctx.results``)."""
    if ctx.sender is None:
        raise ValueError("deliver needs ctx.sender")
    out = []
    for n in notes:
        thread_ts = ctx.sent.thread_ts(n)
        result: DeliveryResult
        if n.action in ("thread_reply", "chart") and n.parent_key and thread_ts is None:
            # Its parent was planned in this batch but Slack did not take it.
            result = DeliveryResult(ok=False, error="parent_not_sent", attempts=0, retryable=True)
        elif n.action == "chart":
            # Drawn now (off the event loop), once per chart actually sent.
            result = ctx.sender.upload_chart(n.channel, thread_ts, chart_png(n), n.title)
        else:
            find = getattr(ctx.sender, "find_posted", None)
            find_reply = getattr(ctx.sender, "find_reply", None)
            found = None
            if n.action == "post" and n.metadata and find is not None:
                found = find(n)
            elif n.action == "thread_reply" and thread_ts and find_reply is not None:
                before = ctx.sent.get(n.dedup_key)
                seq = (before.count if before is not None else 0) + 1
                n = dataclasses.replace(n, metadata=reply_metadata(n.dedup_key, seq))
                found = find_reply(n, thread_ts)  # a reply posted before a crash is adopted
                if found is not None and found.ok:
                    ctx.results.append((n, found))
                    ctx.accepted[n.dedup_key] = found
                    out.append(n)
                    continue
            if found is not None and not found.ok:
                result = found  # could not look: do not risk a second copy, try later
            elif found is not None:
                result = _adopt(ctx, n, found)
            else:
                result = ctx.sender.send(n, thread_ts)
        ctx.results.append((n, result))
        if result.ok:
            ctx.accepted[n.dedup_key] = result
            out.append(n)
    return out


def record(ctx: NotifyCtx, notes: list[Notification]) -> list[Notification]:
    """Record as sent what Slack accepted (and only that), then ``ctx.on_record``."""
    for n in notes:
        res = ctx.accepted[n.dedup_key]
        kept = n
        if n.dedup_key in ctx.stale:
            ctx.stale.discard(n.dedup_key)
            kept = dataclasses.replace(n, state_hash="", content_hash="adopted")
        ctx.sent.record(kept, channel_id=res.channel, message_ts=res.ts, now=ctx.now)
        if ctx.on_record is not None:
            ctx.on_record(n, res)
    return notes


prepare: Stage = compose(suppress, dedup, throttle)
"""The stages before Slack: pure and cheap, run on every incident event."""

_send_one: Stage = compose(deliver, record)


def send_each(ctx: NotifyCtx, notes: list[Notification]) -> list[Notification]:
    """deliver -> record one notification at a time: a crash repeats at most one."""
    out: list[Notification] = []
    for n in notes:
        out.extend(_send_one(ctx, [n]))
    return out


def pipeline(ctx: NotifyCtx, plan: Stage, extra: Sequence[Notification] = ()) -> list[Notification]:
    """plan -> suppress -> dedup -> throttle -> deliver -> record; returns what was recorded."""
    return send_each(ctx, prepare(ctx, plan(ctx, list(extra))))


def heals(result: DeliveryResult) -> bool:
    """Is an undelivered message worth trying again later (without being changed)?

    >>> heals(DeliveryResult(ok=False, error="invalid_auth"))
    True
    >>> heals(DeliveryResult(ok=False, error="invalid_blocks"))
    False
    """
    if result.ok:
        return False
    err = result.error or ""
    return result.retryable or err in HEALING_ERRORS or err in _TRANSIENT


def retry_delay(attempt: int, base: float = 15.0, cap: float = 300.0) -> float:
    """Seconds before retry number ``attempt`` (1, 2, ...): doubling from ``base`` to ``cap``.

    >>> [retry_delay(a) for a in (1, 2, 3, 6, 9)]
    [15.0, 30.0, 60.0, 300.0, 300.0]
    """
    if attempt < 1:
        return 0.0
    return float(min(cap, base * 2 ** min(attempt - 1, 20)))


def summary(ctx: NotifyCtx) -> dict[str, Any]:
    """Counts of what happened in one run (for logs and tests)."""
    return {
        "sent": sum(1 for _, r in ctx.results if r.ok),
        "failed": sum(1 for _, r in ctx.results if not r.ok),
        "dropped": len(ctx.dropped),
    }
