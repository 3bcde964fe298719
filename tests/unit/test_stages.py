"""Impact severity, kinds of news, title topics, grouping and the stage machine."""

from __future__ import annotations

from typing import Any

import pytest

from alerts.impact import impact_severity, leading_topic, news_kind, title_topic
from alerts.incidents import Command, Incident, LifecycleConfig, on_command, on_signal
from alerts.stages import backlog_holds, draft_stage
from detectors.signals import Signal

CFG = LifecycleConfig(quiet_seconds=600, reopen_seconds=300, downgrade_seconds=120)
CRISIS = {"negative_share": 0.6, "baseline_share": 0.1, "negative_count": 30}


@pytest.mark.parametrize(
    ("kind", "evidence", "detector", "expected"),
    [
        # the demo's false crisis: 4 mentions vs 0.8 expected is no news at all
        ("volume_surge", {"observed": 4, "expected": 0.8, "ratio": 5.0}, "high", "none"),
        ("volume_surge", {"observed": 8, "ratio": 5.0}, "high", "low"),
        ("volume_surge", {"observed": 12, "ratio": 5.0}, "high", "medium"),
        ("volume_surge", {"observed": 40, "ratio": 5.0}, "high", "high"),
        ("volume_surge", {"observed": 99, "ratio": 20.0}, "critical", "high"),
        ("volume_surge", {"observed": 150, "ratio": 20.0}, "critical", "critical"),
        # warm-up: never above medium, whatever the spelling of the flag
        ("volume_surge", {"observed": 150, "ratio": 20.0, "warmup": True}, "critical", "medium"),
        ("volume_surge", {"observed": 150, "ratio": 20.0, "warming_up": True}, "high", "medium"),
        # reach raises one level, to high at most
        ("volume_surge", {"observed": 12, "ratio": 5.0, "reach": 2e5}, "high", "high"),
        ("volume_surge", {"observed": 40, "ratio": 5.0, "reach": 2e5}, "high", "high"),
        (
            "negative_burst",
            {"negative_share": 0.7, "baseline_share": 0.1, "negative_count": 60},
            "critical",
            "critical",
        ),
        (
            "negative_burst",
            {"negative_share": 0.7, "baseline_share": 0.1, "negative_count": 5},
            "critical",
            "low",
        ),
        ("negative_burst", {"negative_share": 0.9, "negative_count": 2}, "high", "none"),
        ("backlog", {"backlog": 10}, "high", "low"),
        ("backlog", {"backlog": 500}, "high", "high"),
        ("backlog", {"backlog": 500}, "critical", "high"),
    ],
)
def test_impact_table(kind: str, evidence: dict[str, Any], detector: str, expected: str) -> None:
    assert impact_severity(kind, evidence, detector) == expected


@pytest.mark.parametrize(
    ("kind", "evidence", "news"),
    [
        ("volume_surge", {"negative_share": 0.05, "baseline_share": 0.1}, "fyi"),
        ("volume_surge", {"negative_share": 0.4, "baseline_share": 0.1}, "crisis"),
        (
            "volume_surge",
            {"negative_share": 0.25, "baseline_share": 0.1, "negative_count": 6},
            "crisis",
        ),
        ("volume_surge", {}, "fyi"),
        ("negative_burst", {}, "crisis"),
        ("backlog", {}, "crisis"),
    ],
)
def test_news_kind(kind: str, evidence: dict[str, Any], news: str) -> None:
    assert news_kind(kind, evidence) == news


def test_topic_ties_and_hysteresis() -> None:
    assert leading_topic({"praise": 1, "login": 1}, crisis=True) == "login"
    assert leading_topic({"question": 3, "praise": 3}, crisis=False) == "question"  # first seen
    assert leading_topic({"praise": 3}, crisis=True) is None  # a crisis is never "praise"
    assert title_topic("outage", {"outage": 10, "login": 14}, crisis=True) == "outage"
    assert title_topic("outage", {"outage": 10, "login": 15}, crisis=True) == "login"
    assert title_topic("outage", {"outage": 2, "login": 4}, crisis=True) == "outage"  # +5 needed


def vol(ts: float, n: float = 40, active: bool = True, **ev: Any) -> Signal:
    evidence = {"observed": n, "expected": 4, "ratio": n / 4, **CRISIS, **ev}
    return Signal("nordbank", "volume_surge", ts, 0.9 if active else 0.1, active, "high", evidence)


def neg(ts: float, active: bool = True, **ev: Any) -> Signal:
    evidence = {"observed": 40, "expected": 20, "negative_count": 30, **CRISIS, **ev}
    return Signal("nordbank", "negative_burst", ts, 0.9, active, "high", evidence)


def backlog(ts: float, count: int, clears: float | None, active: bool = True) -> Signal:
    ev = {
        "backlog": count,
        "clears_in_seconds": clears,
        "clear_limit_seconds": 7200.0,
        "reason": "pace" if active else None,
        "message": f"backlog {count}",
    }
    return Signal("nordbank", "backlog", ts, 0.8, active, "high" if active else "none", ev)


def fold(signals: list[Signal], inc: Incident | None = None) -> tuple[Incident, list[str]]:
    types: list[str] = []
    for s in signals:
        inc, events = on_signal(inc, s, CFG)
        types += [e.type for e in events]
    assert inc is not None
    return inc, types


def test_praise_spike_is_an_fyi_without_a_draft_and_ends_by_itself() -> None:
    praise = {"negative_share": 0.02, "baseline_share": 0.1, "topics": {"praise": 20}}
    inc, types = fold([vol(0, 40, **praise), vol(700, 3, active=False, **praise)])
    assert inc.news == "fyi"
    assert inc.topic == "praise"
    assert draft_stage(inc) is None
    assert types == ["opened", "resolved"]
    assert inc.resolved_by is None


def test_small_fyi_does_not_open() -> None:
    inc, _ = on_signal(None, vol(0, 8, negative_share=0.0), CFG)
    assert inc is None


def test_an_fyi_that_turns_into_complaints_becomes_a_crisis() -> None:
    inc, types = fold([vol(0, 40, negative_share=0.0), neg(60)])
    assert inc.news == "crisis"
    assert "news_changed" in types
    assert draft_stage(inc) == "investigating"


def test_one_brand_one_incident_for_volume_negative_and_backlog() -> None:
    inc, types = fold([vol(0), neg(10), backlog(20, 300, 9000.0), vol(300), neg(310)])
    assert types.count("opened") == 1
    assert inc.key == "nordbank|incident"
    assert inc.evidence["backlog"]["backlog"] == 300
    assert set(inc.kinds) == {"volume_surge", "negative_burst", "backlog"}


def test_a_backlog_incident_adopts_the_surge_that_follows() -> None:
    inc, types = fold([backlog(0, 300, 9000.0), vol(300)])
    assert types.count("opened") == 1
    assert inc.kind == "volume_surge"
    assert inc.evidence["backlog"]["backlog"] == 300


def test_quiet_period_moves_to_monitoring_and_asks_and_evidence_brings_it_back() -> None:
    inc, types = fold([vol(0), vol(300, 3, active=False), neg(700, active=False)])
    assert (inc.status, inc.stage) == ("open", "monitoring")
    assert [t for t in types if t != "severity_changed"] == ["opened", "stage_changed"]
    assert next(e for e in inc.timeline if e["type"] == "stage_changed")["ask"] == "resolve"
    assert draft_stage(inc) == "monitoring"
    inc, types = fold([vol(800)], inc)
    assert inc.stage == "investigating"
    assert "stage_changed" in types


def test_only_a_person_resolves_a_crisis() -> None:
    inc, _ = fold([vol(0)] + [vol(300 * i, 3, active=False) for i in range(1, 30)])
    assert inc.status != "resolved"
    assert draft_stage(inc) == "monitoring"
    inc, events = on_command(inc, Command("resolve", inc.id, "U1", 1.7e9))
    assert [e.type for e in events] == ["resolved"]
    assert (inc.status, inc.stage, inc.resolved_by) == ("resolved", "resolved", "U1")
    assert draft_stage(inc) == "resolved"


def test_resolve_refused_while_the_joined_backlog_is_over_its_clear_limit() -> None:
    inc, _ = fold([vol(0), backlog(10, 1918, 30000.0), vol(700, 3, active=False)])
    assert inc.stage == "monitoring"
    assert "ask" not in inc.timeline[-1]  # it did not suggest resolving
    assert backlog_holds(inc) is not None
    inc, events = on_command(inc, Command("resolve", inc.id, "U1", 1.7e9))
    assert [e.type for e in events] == ["resolve_refused"]
    assert inc.status != "resolved"
    assert draft_stage(inc) == "monitoring"
    # the backlog drains: quiet asks now, and the person's resolve goes through
    inc, types = fold([backlog(900, 40, 1800.0, active=False), vol(1000, 3, active=False)], inc)
    assert [t for t in types if t != "severity_changed"] == ["resolve_suggested"]
    inc, events = on_command(inc, Command("resolve", inc.id, "U1", 1.7e9))
    assert [e.type for e in events] == ["resolved"]


@pytest.mark.parametrize(
    ("clicks", "stages"),
    [
        (["identify", "fix", "resolve"], ["identified", "monitoring", "resolved"]),
        (["fix", "identify"], ["monitoring", "identified"]),  # the fix did not hold
        (["identify", "identify"], ["identified", "identified"]),  # a repeat is a no-op
        (["resolve", "identify"], ["resolved", "resolved"]),  # nothing after resolved
    ],
)
def test_buttons_move_the_stage(clicks: list[str], stages: list[str]) -> None:
    inc, _ = fold([vol(0)])
    seen = []
    for action in clicks:
        inc, _ = on_command(inc, Command(action, inc.id, "U1", 1.7e9))
        seen.append(inc.stage)
    assert seen == stages


def test_a_click_is_applied_at_the_incidents_event_time_not_the_wall_clock() -> None:
    inc, _ = fold([vol(0), vol(300), backlog(450, 10, 100.0, active=False)])
    wall = 1.7e9
    inc, events = on_command(inc, Command("ack", inc.id, "U1", wall))
    assert events[0].ts == 450.0
    assert inc.timeline[-1]["ts"] == 450.0
    assert inc.timeline[-1]["clicked_at"] == wall
    # later event-time signals still count (a wall-clock stamp froze the incident before)
    inc, types = fold([vol(600, 200, ratio=50.0)], inc)
    assert "severity_changed" in types
    assert inc.updated_at == 600.0


def test_expired_watch_gives_way_to_a_new_incident() -> None:
    cfg = LifecycleConfig(quiet_seconds=600, expire_seconds=3600)
    inc, _ = on_signal(None, vol(0), cfg)
    assert inc is not None
    inc, _ = on_signal(inc, vol(700, 3, active=False), cfg)
    assert inc is not None
    assert inc.stage == "monitoring"
    new, events = on_signal(inc, vol(5000), cfg)
    assert [e.type for e in events] == ["resolved", "opened"]
    assert events[0].incident.resolved_by == "expired"
    assert draft_stage(events[0].incident) is None  # nobody said it is over: no public draft
    assert new is not None
    assert new.id != inc.id
