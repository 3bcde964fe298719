"""The notify pipeline (alerts/notify_stages.py) and its handler over plain dicts
(streams/notify.py), with slack-sdk against tests/slackfake.py."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from typing import Any

import pytest
from prometheus_client import CollectorRegistry

from alerts.dedup import Decision, DeliveryResult, Notification, SentLog, needs_send
from alerts.escalation import main_key
from alerts.incidents import Incident
from alerts.notifications import StatusState
from alerts.notify_stages import (
    HEALING_ERRORS,
    PERMANENT_ERRORS,
    NotifyCtx,
    compose,
    dedup,
    heals,
    pipeline,
    plan_stage,
    prepare,
    retry_delay,
    send_each,
    suppress,
    throttle,
)
from alerts.policy import parse_policy
from alerts.slack_delivery import SlackDelivery
from alerts.slack_errors import explain_auth_error
from alerts.status import load_status_config
from streams.notify import NotifyHandler
from tests.slackfake import SlackFake

TOKEN = "xoxb-1234-5678-StAgEsToKeN"
T0 = 1_772_900_000.0
POLICY = parse_policy(
    {"timezone": "UTC", "tiers": [{"name": "care", "channel": "#care"}], "update_min_seconds": 0}
)
STATUS = load_status_config(None)


def incident(iid: str = "inc-1", brand: str = "nordbank", status: str = "open") -> Incident:
    return Incident(
        iid,
        brand,
        "volume_surge",
        None,
        status,
        "medium",
        T0,
        T0,
        T0,
        evidence={"observed": 50, "expected": 5},
        history=[[T0 - 60, 5, 5], [T0, 50, 5]],
    )


def note(key: str, action: str = "post", **kw: Any) -> Notification:
    return Notification(key, "#care", action, "t", [], "inc-1", "care", **kw)


@pytest.fixture
def slack() -> Iterator[SlackFake]:
    with SlackFake(token=TOKEN) as fake:
        yield fake


def delivery(slack: SlackFake, **kw: Any) -> SlackDelivery:
    opts: dict[str, Any] = {"max_wait_seconds": 5.0, "timeout": 1, "per_channel_interval": 0}
    opts.update(kw)
    return SlackDelivery(TOKEN, slack.base_url, **opts)


def tops(slack: SlackFake) -> list[Any]:
    return [m for m in slack.posts() if m.thread_ts is None]


# -- the pure stages -----------------------------------------------------------------------

PARENT = "inc-1:#care:main"


@pytest.mark.parametrize(
    ("notes", "keys_going", "reasons"),
    [
        # a reply whose parent goes first in the same batch passes dedup (decided once)
        (
            [note(PARENT), note("inc-1:tl:x", "thread_reply", parent_key=PARENT)],
            [PARENT, "inc-1:tl:x"],
            {PARENT: "first", "inc-1:tl:x": "first"},
        ),
        # ... but not when the parent is not in the batch and never was sent
        (
            [note("inc-1:tl:x", "thread_reply", parent_key=PARENT)],
            [],
            {"inc-1:tl:x": "parent_not_sent"},
        ),
        # a parent after its reply does not count (order is the plan's)
        (
            [note("inc-1:tl:x", "thread_reply", parent_key=PARENT), note(PARENT)],
            [PARENT],
            {PARENT: "first", "inc-1:tl:x": "parent_not_sent"},
        ),
    ],
)
def test_dedup_stage_table(
    notes: list[Notification], keys_going: list[str], reasons: dict[str, str]
) -> None:
    ctx = NotifyCtx(now=T0, sent=SentLog())
    out = dedup(ctx, notes)
    assert [n.dedup_key for n in out] == keys_going
    assert {k: d.reason for k, d in ctx.decisions.items()} == reasons


def test_needs_send_going_only_matters_for_a_missing_parent() -> None:
    reply = note("inc-1:tl:x", "thread_reply", parent_key=PARENT)
    assert needs_send(reply, SentLog(), T0, {PARENT}) == Decision(True, "first")
    assert needs_send(reply, SentLog(), T0) == Decision(False, "parent_not_sent")


def test_suppress_and_throttle() -> None:
    ctx = NotifyCtx(now=T0, sent=SentLog(), wall=100.0)
    quiet = note("a", suppressed="quiet_hours")
    assert suppress(ctx, [quiet, note("b")]) == [note("b")]
    assert ctx.dropped == [(quiet, "quiet_hours")]
    upd = note("b", "update", state_hash="s", message_ts="1.0")
    ctx.sent.record(upd, channel_id="C1", message_ts="1.0", now=T0)
    refresh = note("b", "update", state_hash="s", message_ts="1.0")
    assert throttle(ctx, [refresh]) == [refresh]  # first refresh goes
    ctx.wall = 105.0
    assert throttle(ctx, [refresh]) == []  # the next within 10 s waits
    changed = note("b", "update", state_hash="s2", message_ts="1.0")
    assert throttle(ctx, [changed]) == [changed]  # a state change always goes


def test_compose_stops_on_empty() -> None:
    calls: list[str] = []

    def a(ctx: NotifyCtx, notes: list[Notification]) -> list[Notification]:
        calls.append("a")
        return []

    def b(ctx: NotifyCtx, notes: list[Notification]) -> list[Notification]:
        calls.append("b")
        return notes

    assert compose(a, b)(NotifyCtx(now=0, sent=SentLog()), [note("x")]) == []
    assert calls == ["a"]


@pytest.mark.parametrize(
    ("error", "retryable", "expected"),
    [
        *[(e, False, True) for e in ("invalid_auth", "channel_not_found", "not_in_channel")],
        ("account_inactive", False, True),
        ("timeout", True, True),
        ("http_503", True, True),
        ("token_revoked", False, False),
        ("invalid_blocks", False, False),
        ("msg_too_long", False, False),
    ],
)
def test_heals_table(error: str, retryable: bool, expected: bool) -> None:
    assert heals(DeliveryResult(ok=False, error=error, retryable=retryable)) is expected


def test_healing_and_permanent_sets_are_disjoint() -> None:
    assert not set(HEALING_ERRORS) & set(PERMANENT_ERRORS)
    assert not heals(DeliveryResult(ok=True))


def test_retry_delay_doubles_to_a_cap() -> None:
    delays = [retry_delay(a, 10, 100) for a in range(0, 8)]
    assert delays == [0.0, 10, 20, 40, 80, 100, 100, 100]


# -- deliver and record through slack-sdk ---------------------------------------------------


def run(slack_d: SlackDelivery, inc: Incident, sent: SentLog, now: float = T0) -> NotifyCtx:
    ctx = NotifyCtx(now=now, sent=sent, sender=slack_d)
    pipeline(ctx, plan_stage(inc, StatusState(), POLICY, STATUS))
    return ctx


def test_pipeline_records_only_what_slack_accepted_and_replay_sends_nothing(
    slack: SlackFake,
) -> None:
    d = delivery(slack)
    sent = SentLog()
    slack.fail_next(1, "ok_false", error="not_in_channel", method="chat.postMessage")
    ctx = run(d, incident(), sent)
    errors = [r.error for _, r in ctx.results]
    assert errors[0] == "not_in_channel"
    assert set(errors[1:]) == {"parent_not_sent"}
    assert len(sent) == 0
    assert len(ctx.undelivered) == len(errors) >= 2
    assert len(slack.calls_to("chat.postMessage")) == 1  # no reply tried without its parent
    ctx = run(d, incident(), sent)  # the bot was invited: delivered
    assert all(r.ok for _, r in ctx.results)
    assert len(ctx.results) == len(errors)
    assert main_key("inc-1", "#care") in sent
    ctx = run(d, incident(), sent)  # a replay
    assert ctx.results == []
    assert len(tops(slack)) == 1


def test_record_hook_sees_each_accepted_message_once(slack: SlackFake) -> None:
    seen: list[str] = []
    ctx = NotifyCtx(now=T0, sent=SentLog(), sender=delivery(slack))
    ctx.on_record = lambda n, r: seen.append(n.dedup_key)
    notes = prepare(ctx, plan_stage(incident(), StatusState(), POLICY, STATUS)(ctx, []))
    send_each(ctx, notes)
    assert seen == [n.dedup_key for n in notes]
    assert len(seen) >= 2


@pytest.mark.parametrize("trial", range(4))
def test_a_post_that_timed_out_is_adopted_not_doubled(slack: SlackFake, trial: int) -> None:
    """Slack posts the message but answers after the client gave up (4 of 4 trials)."""
    d = delivery(slack, timeout=1)
    sent = SentLog()
    slack.fail_next(1, "slow", method="chat.postMessage", hang_seconds=1.6)
    ctx = run(d, incident(f"inc-{trial}"), sent)
    assert ctx.results[0][1].error == "timeout"
    assert len(sent) == 0
    assert ctx.undelivered
    time.sleep(0.8)  # the fake finishes its late answer
    ctx = run(d, incident(f"inc-{trial}"), sent)
    assert ctx.results[0][1].ok
    assert len(tops(slack)) == 1, [m.text for m in tops(slack)]
    posts = [c for c in slack.calls_to("chat.postMessage") if "thread_ts" not in c.params]
    assert len(posts) == 1  # only the slow one
    assert d.counts["adopted"] == 1
    entry = sent.get(main_key(f"inc-{trial}", "#care"))
    assert entry is not None
    assert entry.message_ts == tops(slack)[0].ts
    assert slack.calls_to("chat.update"), "the adopted message is brought up to date"


def test_lookup_matches_the_incident_not_another_one(slack: SlackFake) -> None:
    d = delivery(slack)
    run(d, incident("inc-a"), SentLog())
    ctx = run(d, incident("inc-b"), SentLog())
    assert ctx.results[0][1].ok
    assert d.counts["adopted"] == 0
    assert len(tops(slack)) == 2


def test_failed_lookup_never_risks_a_second_copy(slack: SlackFake) -> None:
    d = delivery(slack)
    run(d, incident(), SentLog())  # posted, but the record was lost (a crash)
    slack.fail_next(1, "500", method="conversations.history", status=503)
    slack.fail_next(5, "500", method="conversations.history", status=503)
    d2 = delivery(slack, max_wait_seconds=0.5)
    ctx = run(d2, incident(), SentLog())
    assert not ctx.results[0][1].ok
    assert heals(ctx.results[0][1])
    assert len(tops(slack)) == 1


def test_invalid_auth_spell_then_every_incident_is_delivered(slack: SlackFake) -> None:
    d = delivery(slack)
    logs = {f"inc-{i}": SentLog() for i in range(5)}
    slack.fail_for(0.6, "ok_false", error="invalid_auth")
    for iid, log_ in logs.items():
        ctx = run(d, incident(iid), log_)
        assert ctx.undelivered
        assert ctx.results[0][1].error == "invalid_auth"
    time.sleep(0.7)
    for iid, log_ in logs.items():
        assert run(d, incident(iid), log_).results[0][1].ok
    assert len(tops(slack)) == 5


def test_errors_metric_has_a_bounded_label_set(slack: SlackFake) -> None:
    reg = CollectorRegistry()
    d = delivery(slack, registry=reg)
    slack.fail_next(1, "ok_false", error="invalid_auth", method="chat.postMessage")
    slack.fail_next(1, "ok_false", error="something_new", method="chat.postMessage")
    d.send(note("a"), None)
    d.send(note("b"), None)
    get = reg.get_sample_value
    assert get("spikewatch_slack_errors_total", {"error": "invalid_auth"}) == 1
    assert get("spikewatch_slack_errors_total", {"error": "other"}) == 1
    assert get("spikewatch_slack_errors_total", {"error": "something_new"}) is None


def test_auth_test_explained_without_the_token(
    slack: SlackFake, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    bad = SlackDelivery("xoxb-9999-wrong-ToKeN", slack.base_url, timeout=1)
    res = bad.auth_test()
    assert res.error == "invalid_auth"
    assert "not valid" in explain_auth_error(res.error)
    assert "revoked" in explain_auth_error("token_revoked")
    assert "reached" in explain_auth_error("timeout")
    good = delivery(slack)
    assert good.auth_test().ok
    assert good.identity["team"] == "fake"
    assert "wrong-ToKeN" not in caplog.text
    assert TOKEN not in caplog.text


# -- the handler over plain dicts: retry list, retention --------------------------------------


def event(inc: Incident, kind: str = "changed", ts: float = T0) -> dict[str, Any]:
    return {"type": kind, "ts": ts, "incident": inc.to_dict()}


def handle(h: NotifyHandler, d: dict[str, Any]) -> Any:
    job = h.begin(d)
    if job is None:
        return None
    notes = h.plan(job)
    job.ctx.on_record = h.on_record(job)
    send_each(job.ctx, notes)
    h.finish(job)
    return job


def test_handler_retry_list_lives_in_the_status_table(slack: SlackFake) -> None:
    sent: dict[str, Any] = {}
    status: dict[str, Any] = {}
    wall = [1000.0]
    h = NotifyHandler(
        policy=POLICY,
        status_cfg=STATUS,
        sender=delivery(slack),
        sent=sent,
        status=status,
        wall=lambda: wall[0],
    )
    slack.fail_for(60, "ok_false", error="channel_not_found", method="chat.postMessage")
    handle(h, event(incident(), "opened"))
    assert h.pending["inc-1"]["attempt"] == 1
    assert h.pending["inc-1"]["due"] == 1015.0
    assert status["inc-1"]["retry"]["attempt"] == 1
    handle(h, event(incident(), "tick", T0 + 30))  # after one refusal the next event tries
    assert h.pending["inc-1"]["attempt"] == 2
    assert h.pending["inc-1"]["due"] == 1030.0
    calls = len(slack.calls)
    handle(h, event(incident(), "tick", T0 + 60))  # not due: Slack is left alone
    handle(h, event(incident(), "retry", T0 + 60))  # nor by an early retry event
    assert len(slack.calls) == calls
    assert h.due_retries(1020.0) == []
    wall[0] = 1031.0
    assert [iid for iid, _ in h.due_retries(1031.0)] == ["inc-1"]
    assert h.due_retries(1033.0) == []  # one retry event per due time
    handle(h, event(incident(), "retry", T0 + 60))
    assert h.pending["inc-1"]["attempt"] == 3
    assert h.pending["inc-1"]["due"] == 1091.0
    # A new worker (or a rebalance) rebuilds the list from the table.
    h2 = NotifyHandler(
        policy=POLICY, status_cfg=STATUS, sender=delivery(slack), sent=sent, status=status
    )
    h2.rebuild()
    assert set(h2.pending) == {"inc-1"}
    slack.clear_faults()
    handle(h2, event(incident(), "retry", T0 + 120))
    assert h2.pending == {}
    assert "retry" not in status["inc-1"]
    assert len(tops(slack)) == 1
    assert handle(h2, event(incident(), "retry", T0 + 130)) is None  # delivered meanwhile


def test_handler_tombstones_closed_incidents_after_retention(slack: SlackFake) -> None:
    sent: dict[str, Any] = {}
    status: dict[str, Any] = {}
    h = NotifyHandler(
        policy=POLICY,
        status_cfg=STATUS,
        sender=delivery(slack),
        sent=sent,
        status=status,
        retention_seconds=3600.0,
    )
    handle(h, event(incident("inc-1"), "opened"))
    done = incident("inc-1", status="resolved")
    done.resolved_at = T0 + 600
    handle(h, event(done, "resolved", T0 + 600))
    assert status["inc-1"]["closed_at"] == T0 + 600
    assert "inc-1" in sent
    handle(h, event(incident("inc-2"), "opened", T0 + 1800))  # same brand, within retention
    assert "inc-1" in sent
    h2 = NotifyHandler(
        policy=POLICY,
        status_cfg=STATUS,
        sender=delivery(slack),
        sent=sent,
        status=status,
        retention_seconds=3600.0,
    )
    h2.rebuild()  # the closed list comes back from the table
    assert h2.closed == {"nordbank": {"inc-1": T0 + 600}}
    handle(h2, event(incident("inc-2"), "tick", T0 + 4300))
    assert "inc-1" not in sent
    assert "inc-1" not in status
    assert "inc-2" in sent
    assert json.dumps(status["inc-2"])


def test_a_reply_posted_before_a_crash_is_adopted_not_doubled(slack: SlackFake) -> None:
    """A worker killed between Slack's answer to a thread reply and its record of it: the
    next owner finds the reply in the thread by its metadata (once per thread)."""
    sent = SentLog()
    run(delivery(slack), incident(), sent)
    replies = [m for m in slack.posts() if m.thread_ts]
    assert replies, "the plan has thread replies (the draft)"
    assert all(m.metadata and m.metadata["event_type"] == "spikewatch_reply" for m in replies)
    # The records of the replies are lost; the main message's record survived.
    lost = SentLog({k: v for k, v in sent.entries.items() if k == main_key("inc-1", "#care")})
    d2 = delivery(slack)  # the next process
    ctx = run(d2, incident(), lost)
    assert all(r.ok for _, r in ctx.results)
    assert len([m for m in slack.posts() if m.thread_ts]) == len(replies)  # none posted again
    assert d2.counts["adopted"] == len(replies)
    assert len(slack.calls_to("conversations.replies")) == 2  # one per process and thread
    for m in replies:  # recorded under the replies' own ts
        assert any(e.message_ts == m.ts for e in lost.entries.values())


def test_a_reminder_repeated_under_one_key_is_not_taken_for_the_first(slack: SlackFake) -> None:
    d = delivery(slack)
    sent = SentLog()
    run(d, incident(), sent)
    parent = main_key("inc-1", "#care")
    rem = note("inc-1:reminder", "thread_reply", parent_key=parent)
    ctx = NotifyCtx(now=T0, sent=sent, sender=delivery(slack))  # a new process
    send_each(ctx, [rem])
    n1 = len(slack.calls_to("chat.postMessage"))
    ctx = NotifyCtx(now=T0 + 1800, sent=sent, sender=delivery(slack))  # the second sending
    send_each(ctx, [rem])
    assert len(slack.calls_to("chat.postMessage")) == n1 + 1
    keys = [m.metadata["event_payload"]["key"] for m in slack.posts() if m.thread_ts]
    assert "inc-1:reminder#1" in keys
    assert "inc-1:reminder#2" in keys
