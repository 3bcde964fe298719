"""The dedup decision as a table of cases, and the SentLog record."""

from __future__ import annotations

import json
from typing import Any

import pytest

from alerts.dedup import Decision, Notification, SentEntry, SentLog, needs_send


def note(key: str = "inc-1:#care:main", action: str = "post", **kw: Any) -> Notification:
    defaults: dict[str, Any] = {
        "channel": "#care",
        "text": "t",
        "blocks": [],
        "incident_id": "inc-1",
        "tier": "care",
        "state_hash": "s1",
    }
    defaults.update(kw)
    return Notification(key, action=action, **defaults)


def entry(
    state: str = "s1", content: str | None = None, sent_at: float = 100.0, count: int = 1
) -> SentEntry:
    return SentEntry("C1", "1.0001", state, content or note().content_hash, sent_at, sent_at, count)


PARENT = "inc-1:#care:main"


@pytest.mark.parametrize(
    ("n", "log", "now", "expected"),
    [
        # nothing sent yet
        (note(), {}, 100.0, Decision(True, "first")),
        # the same thing again, e.g. a replay after a restart
        (note(), {PARENT: entry()}, 150.0, Decision(False, "already_sent")),
        # a replay of older events than the last send
        (
            note(state_hash="s2"),
            {PARENT: entry(sent_at=200.0)},
            150.0,
            Decision(False, "already_sent"),
        ),
        # status/severity changed: update at once
        (
            note(action="update", state_hash="s2"),
            {PARENT: entry()},
            101.0,
            Decision(True, "changed"),
        ),
        # only numbers changed, too soon for a refresh
        (
            note(action="update", text="new", min_update_seconds=300),
            {PARENT: entry()},
            200.0,
            Decision(False, "too_soon"),
        ),
        # only numbers changed, refresh interval elapsed
        (
            note(action="update", text="new", min_update_seconds=300),
            {PARENT: entry()},
            400.0,
            Decision(True, "refresh"),
        ),
        # suppressed ones never go, whatever the log says
        (note(suppressed="silenced"), {}, 100.0, Decision(False, "silenced")),
        (note(suppressed="quiet_hours"), {}, 100.0, Decision(False, "quiet_hours")),
        # a thread reply waits for its parent
        (
            note("inc-1:reminder", "thread_reply", parent_key=PARENT),
            {},
            100.0,
            Decision(False, "parent_not_sent"),
        ),
        (
            note("inc-1:reminder", "thread_reply", parent_key=PARENT),
            {PARENT: entry()},
            100.0,
            Decision(True, "first"),
        ),
        # repeating reminder: interval not elapsed / elapsed / max reached
        (
            note("inc-1:reminder", "thread_reply", parent_key=PARENT, repeat_seconds=600),
            {PARENT: entry(), "inc-1:reminder": entry(sent_at=1000.0)},
            1500.0,
            Decision(False, "already_sent"),
        ),
        (
            note("inc-1:reminder", "thread_reply", parent_key=PARENT, repeat_seconds=600),
            {PARENT: entry(), "inc-1:reminder": entry(sent_at=1000.0)},
            1600.0,
            Decision(True, "repeat_interval_elapsed"),
        ),
        (
            note(
                "inc-1:reminder", "thread_reply", parent_key=PARENT, repeat_seconds=600, max_count=3
            ),
            {PARENT: entry(), "inc-1:reminder": entry(sent_at=1000.0, count=3)},
            1600.0,
            Decision(False, "max_repeats"),
        ),
        # a one-off thread reply never repeats
        (
            note("inc-1:tl:acknowledged:50.000", "thread_reply", parent_key=PARENT),
            {PARENT: entry(), "inc-1:tl:acknowledged:50.000": entry()},
            10_000.0,
            Decision(False, "already_sent"),
        ),
        # a chart waits for its parent too
        (
            note("inc-1:chart:high", "chart", parent_key=PARENT),
            {},
            100.0,
            Decision(False, "parent_not_sent"),
        ),
    ],
)
def test_needs_send_table(
    n: Notification, log: dict[str, SentEntry], now: float, expected: Decision
) -> None:
    assert needs_send(n, SentLog(dict(log)), now) == expected


def test_record_only_after_accept_then_update_keeps_message() -> None:
    log = SentLog()
    post = note()
    assert needs_send(post, log, 100.0).send
    log.record(post, channel_id="C9", message_ts="17.01", now=100.0)
    upd = note(action="update", state_hash="s2", channel="C9", message_ts="17.01")
    log.record(upd, channel_id=None, message_ts=None, now=160.0)
    e = log.entries[post.dedup_key]
    assert (e.channel, e.message_ts, e.count, e.first_sent_at, e.sent_at) == (
        "C9",
        "17.01",
        2,
        100.0,
        160.0,
    )
    assert log.thread_ts(note("r", "thread_reply", parent_key=post.dedup_key)) == "17.01"


def test_sentlog_json_round_trip() -> None:
    log = SentLog()
    log.record(note("a"), channel_id="C1", message_ts="1.1", now=10.0)
    log.record(note("b"), channel_id="C1", message_ts="1.2", now=500.0)
    back = SentLog.from_dict(json.loads(json.dumps(log.to_dict())))
    assert back == log
    assert "a" in back
    assert "b" in back


def test_content_hash_follows_content() -> None:
    assert note(text="x").content_hash == note(text="x").content_hash
    assert note(text="x").content_hash != note(text="y").content_hash


def test_bad_action_raises() -> None:
    with pytest.raises(ValueError, match="action"):
        note(action="shout")
