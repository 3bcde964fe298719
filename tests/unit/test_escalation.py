"""Escalation plan and dispatch: tables of cases (tiers, ack, snooze, silence, quiet hours)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from alerts.dedup import DeliveryResult, Notification, SentLog, needs_send
from alerts.escalation import chart_png, dispatch, main_key, plan
from alerts.incidents import Command, Incident, LifecycleConfig, on_command, on_signal
from alerts.policy import Policy, parse_policy
from detectors.signals import Signal

T0 = 1_772_900_000.0  # 2026-03-07 16:13 UTC, a Saturday; no quiet hours in POLICY at that time
POLICY = parse_policy(
    {
        "timezone": "UTC",
        "update_min_seconds": 300,
        "tiers": [
            {"name": "care", "channel": "#care"},
            {"name": "lead", "after_minutes": 15, "mention": ["<@ULEAD>"]},
            {
                "name": "crisis",
                "channel": "#crisis",
                "after_minutes": 30,
                "at_severity": "high",
                "min_severity": "medium",
            },
        ],
        "repeat": {"every_minutes": 30, "max_count": 2},
        "quiet_hours": [{"start": "23:00", "end": "07:00", "min_severity": "high"}],
        "silences": [
            {
                "name": "upgrade",
                "brands": ["nordbank"],
                "starts_at": "2026-03-10T00:00Z",
                "ends_at": "2026-03-10T06:00Z",
            }
        ],
    }
)
CARE = main_key("inc-1", "#care")


def incident(
    status: str = "open", severity: str = "medium", age_min: float = 1.0, **kw: Any
) -> tuple[Incident, float]:
    inc = Incident(
        "inc-1",
        "nordbank",
        "volume_surge",
        "login",
        status,
        severity,
        opened_at=T0,
        updated_at=T0,
        last_active_at=T0,
        evidence={"observed": 80, "expected": 10, "ratio": 8.0},
        **kw,
    )
    return inc, T0 + age_min * 60


def posted(*keys: str) -> SentLog:
    log = SentLog()
    for k in keys:
        n = Notification(k, k.split(":")[1], "post", "x", [], "inc-1", "care", state_hash="old")
        log.record(n, channel_id="C" + k.split(":")[1].strip("#").upper(), message_ts="1.1", now=T0)
    return log


def sends(notes: list[Notification], sent: SentLog, now: float) -> list[tuple[str, str]]:
    """(key without the incident id, action) of what would actually be sent."""
    return [
        (n.dedup_key.split(":", 1)[1], n.action) for n in notes if needs_send(n, sent, now).send
    ]


@pytest.mark.parametrize(
    ("status", "severity", "age_min", "already", "expected"),
    [
        # fresh incident: the one care message
        ("open", "medium", 1, [], [("#care:main", "post")]),
        # 16 min unacknowledged: mention the lead in the thread
        ("open", "medium", 16, [CARE], [("#care:main", "update"), ("tier:lead", "thread_reply")]),
        # acknowledged: no lead
        ("acknowledged", "medium", 16, [CARE], [("#care:main", "update")]),
        # 31 min unacknowledged: crisis room, lead, reminder
        (
            "open",
            "medium",
            31,
            [CARE],
            [
                ("#care:main", "update"),
                ("#crisis:main", "post"),
                ("tier:lead", "thread_reply"),
                ("reminder", "thread_reply"),
            ],
        ),
        # high severity: crisis room at once
        ("open", "high", 1, [], [("#care:main", "post"), ("#crisis:main", "post")]),
        # high severity even if acknowledged
        ("acknowledged", "high", 1, [CARE], [("#care:main", "update"), ("#crisis:main", "post")]),
        # low severity never reaches the crisis room (min_severity medium)
        (
            "open",
            "low",
            31,
            [CARE],
            [("#care:main", "update"), ("tier:lead", "thread_reply"), ("reminder", "thread_reply")],
        ),
        # snoozed: no escalation, no reminder
        ("snoozed", "medium", 31, [CARE], [("#care:main", "update")]),
        # resolved before anything was posted: nothing
        ("resolved", "medium", 31, [], []),
        # resolved: the posted messages are updated, nothing new is posted
        (
            "resolved",
            "high",
            31,
            [CARE, main_key("inc-1", "#crisis")],
            [("#care:main", "update"), ("#crisis:main", "update")],
        ),
    ],
)
def test_plan_table(
    status: str, severity: str, age_min: float, already: list[str], expected: list[tuple[str, str]]
) -> None:
    inc, now = incident(status, severity, age_min)
    assert sends(plan(inc, POLICY, now, posted(*already)), posted(*already), now) == expected


@pytest.mark.parametrize(
    ("when", "severity", "already", "expected"),
    [
        # silence: new posts suppressed
        (
            "2026-03-10T01:00Z",
            "critical",
            [],
            [("#care:main", "silenced"), ("#crisis:main", "silenced")],
        ),
        # silence: an update of a posted message still goes (pings nobody)
        ("2026-03-10T01:00Z", "medium", [CARE], [("#care:main", None)]),
        # quiet hours: medium waits
        ("2026-03-09T23:30Z", "medium", [], [("#care:main", "quiet_hours")]),
        # quiet hours: high goes
        ("2026-03-09T23:30Z", "high", [], [("#care:main", None), ("#crisis:main", None)]),
        # daytime: medium goes
        ("2026-03-09T12:00Z", "medium", [], [("#care:main", None)]),
    ],
)
def test_silence_and_quiet_hours_table(
    when: str, severity: str, already: list[str], expected: list[tuple[str, str | None]]
) -> None:
    from datetime import datetime

    now = datetime.fromisoformat(when.replace("Z", "+00:00")).timestamp()
    inc = Incident(
        "inc-1",
        "nordbank",
        "volume_surge",
        None,
        "open",
        severity,
        opened_at=now - 60,
        updated_at=now,
        last_active_at=now,
    )
    got = [
        (n.dedup_key.split(":", 1)[1], n.suppressed)
        for n in plan(inc, POLICY, now, posted(*already))
    ]
    assert got == expected


def test_update_goes_to_recorded_channel_id_and_ts() -> None:
    inc, now = incident(age_min=10)
    (n,) = plan(inc, POLICY, now, posted(CARE))
    assert (n.action, n.channel, n.message_ts) == ("update", "CCARE", "1.1")


def test_timeline_replies_only_after_the_post() -> None:
    inc, now = incident(age_min=5)
    inc.timeline = [
        {"ts": T0 - 10, "type": "severity_changed", "old": "low", "new": "medium"},
        {"ts": T0 + 120, "type": "acknowledged", "by": "U7"},
    ]
    keys = [n.dedup_key for n in plan(inc, POLICY, now, posted(CARE))]
    assert f"inc-1:tl:acknowledged:{T0 + 120:.3f}" in keys
    assert not any("severity_changed" in k for k in keys)


def test_only_a_rise_in_severity_is_a_thread_reply() -> None:
    inc, now = incident(age_min=30)
    inc.timeline = [
        {"ts": T0 + 60, "type": "severity_changed", "old": "medium", "new": "high"},
        {"ts": T0 + 600, "type": "severity_changed", "old": "high", "new": "medium"},
    ]
    keys = [n.dedup_key for n in plan(inc, POLICY, now, posted(CARE))]
    assert f"inc-1:tl:severity_changed:{T0 + 60:.3f}" in keys
    assert f"inc-1:tl:severity_changed:{T0 + 600:.3f}" not in keys


def test_chart_once_per_severity() -> None:
    inc, now = incident(age_min=5, history=[[T0 - 60, 5, 5], [T0, 80, 10]])
    log = posted(CARE)
    charts = [n for n in plan(inc, POLICY, now, log) if n.action == "chart"]
    assert len(charts) == 1
    assert charts[0].attachment is None  # drawn when sent, off the event loop
    assert chart_png(charts[0])[:8] == b"\x89PNG\r\n\x1a\n"
    assert charts[0].parent_key == CARE
    log.record(charts[0], channel_id="CCARE", message_ts="F1", now=now)
    assert not [n for n in plan(inc, POLICY, now, log) if n.action == "chart"]
    inc.severity = "high"
    (high,) = [n for n in plan(inc, POLICY, now, log) if n.action == "chart"]
    log.record(high, channel_id="CCARE", message_ts="F2", now=now)
    inc.severity = "low"  # falling severity: no new chart
    assert not [n for n in plan(inc, POLICY, now, log) if n.action == "chart"]


class FakeSender:
    """Records sends; can fail the next N."""

    def __init__(self) -> None:
        self.sent: list[Notification] = []
        self.fail = 0
        self._ts = 0

    def send(self, n: Notification, thread_ts: str | None) -> DeliveryResult:
        if self.fail:
            self.fail -= 1
            return DeliveryResult(ok=False, error="http_500", status=500, retryable=True)
        self.sent.append(n)
        self._ts += 1
        return DeliveryResult(ok=True, ts=f"{self._ts}.0", channel="C" + n.channel.strip("#C"))

    def upload_chart(
        self, channel: str, thread_ts: str | None, png: bytes, title: str
    ) -> DeliveryResult:
        self.sent.append(Notification("x:chart", channel, "chart", title, [], "", ""))
        return DeliveryResult(ok=True, ts="F1", channel=channel)


def _signals() -> list[Signal]:
    out = []
    for i in range(50):
        active = 5 <= i < 30
        sev = "high" if 12 <= i < 18 else "medium"
        out.append(
            Signal(
                "nordbank",
                "volume_surge",
                T0 + i * 120.0,
                0.9 if active else 0.1,
                active,
                sev if active else "none",
                # a complaint storm (negative share 0.6): high while 12 <= i < 18
                {
                    "observed": (40 if sev == "high" else 20) if active else 5,
                    "expected": 4,
                    "ratio": (10 if sev == "high" else 5) if active else 1.2,
                    "negative_share": 0.6,
                },
            )
        )
    return out


def _run(
    signals: list[Signal], log: SentLog, sender: FakeSender, commands: dict[int, str] | None = None
) -> None:
    cfg = LifecycleConfig(quiet_seconds=1200)
    inc: Incident | None = None
    for i, s in enumerate(signals):
        inc, _ = on_signal(inc, s, cfg)
        if inc is not None and commands and i in commands:
            inc, _ = on_command(inc, Command(commands[i], inc.id, "U1", s.ts))
        if inc is not None:
            dispatch(plan(inc, POLICY, s.ts, log), log, sender, s.ts)


def test_replay_after_restart_posts_nothing_twice() -> None:
    log, sender = SentLog(), FakeSender()
    _run(_signals(), log, sender)
    posts = [n for n in sender.sent if n.action == "post"]
    assert sorted(n.channel for n in posts) == ["#care", "#crisis"]
    assert any(n.action == "update" for n in sender.sent)
    replay = FakeSender()
    _run(_signals(), SentLog.from_dict(log.to_dict()), replay)
    assert replay.sent == []


def test_failed_send_is_not_recorded_and_retried_later() -> None:
    log, sender = SentLog(), FakeSender()
    sender.fail = 1
    inc, now = incident(age_min=1)
    out = dispatch(plan(inc, POLICY, now, log), log, sender, now)
    assert [o.recorded for o in out] == [False]
    assert len(log) == 0
    out = dispatch(plan(inc, POLICY, now + 60, log), log, sender, now + 60)
    assert [o.decision.reason for o in out] == ["first"]
    assert CARE in log


def test_ack_stops_reminders_and_resolve_updates_in_place() -> None:
    log, sender = SentLog(), FakeSender()
    _run(_signals(), log, sender, commands={8: "ack", 45: "resolve"})
    kinds = [n.dedup_key.split(":", 1)[1] for n in sender.sent]
    assert "reminder" not in kinds
    assert "tier:lead" not in kinds
    assert any(k.startswith("tl:acknowledged") for k in kinds)
    # the quiet period moves the crisis to monitoring and asks; the person resolves it
    stage = kinds.index(next(k for k in kinds if k.startswith("tl:stage_changed")))
    resolved = kinds.index(next(k for k in kinds if k.startswith("tl:resolved")))
    assert stage < resolved


def test_plan_is_deterministic() -> None:
    inc, now = incident(age_min=40)
    a = [(n.dedup_key, n.content_hash) for n in plan(inc, POLICY, now, posted(CARE))]
    b = [(n.dedup_key, n.content_hash) for n in plan(replace(inc), POLICY, now, posted(CARE))]
    assert a == b


def test_reminders_stop_at_max_count() -> None:
    inc, _ = incident()
    log, sender = posted(CARE), FakeSender()
    for minutes in range(30, 300, 31):
        now = T0 + minutes * 60
        dispatch(plan(inc, POLICY, now, log), log, sender, now)
    assert sum(1 for n in sender.sent if n.dedup_key.endswith(":reminder")) == 2


def test_route_moves_primary_channel() -> None:
    p: Policy = parse_policy(
        {
            "tiers": [{"name": "care", "channel": "#care"}],
            "routes": [{"brands": ["nordbank"], "channels": {"care": "#nb"}}],
        }
    )
    inc, now = incident()
    assert [n.channel for n in plan(inc, p, now, SentLog())] == ["#nb"]
