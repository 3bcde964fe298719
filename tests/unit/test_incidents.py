"""Incident lifecycle: tables of cases for on_signal / on_command."""

from __future__ import annotations

import json
from typing import Any

import pytest

from alerts.incidents import (
    Command,
    Incident,
    LifecycleConfig,
    backlog_target_key,
    incident_id,
    incident_key,
    on_command,
    on_signal,
    top_topic,
)
from detectors.signals import Signal

CFG = LifecycleConfig(quiet_seconds=600, reopen_seconds=300, downgrade_seconds=120)
_IMPACT = {"critical": (200.0, 20.0), "high": (50.0, 10.0), "medium": (15.0, 3.0)}


def sig(
    ts: float,
    active: bool = True,
    severity: str = "medium",
    kind: str = "volume_surge",
    key: str = "nordbank",
    **evidence: Any,
) -> Signal:
    # Evidence that the impact table (alerts.impact) reads as ``severity``.
    observed, ratio = _IMPACT.get(severity, (6.0, 1.5)) if active else (5.0, 1.0)
    ev = {"observed": observed, "expected": observed / ratio, "ratio": ratio}
    ev.update(evidence)
    return Signal(key, kind, ts, 0.9 if active else 0.1, active, severity, ev)


def run(signals: list[Signal], cfg: LifecycleConfig = CFG) -> tuple[Incident | None, list[str]]:
    inc: Incident | None = None
    types: list[str] = []
    for s in signals:
        inc, events = on_signal(inc, s, cfg)
        types += [e.type for e in events]
    return inc, types


@pytest.mark.parametrize(
    ("active", "severity", "min_sev", "opens"),
    [
        (True, "medium", "low", True),
        (True, "low", "low", True),
        (True, "none", "low", True),  # active without a severity counts as low
        (True, "low", "medium", False),
        (True, "high", "medium", True),
        (False, "high", "low", False),
        (True, "bogus", "low", True),
    ],
)
def test_open_table(active: bool, severity: str, min_sev: str, opens: bool) -> None:
    cfg = LifecycleConfig(open_min_severity=min_sev)
    inc, events = on_signal(None, sig(100.0, active, severity, negative_share=0.6), cfg)
    assert (inc is not None) is opens
    assert [e.type for e in events] == (["opened"] if opens else [])
    if inc is not None:
        assert inc.status == "open"
        assert inc.opened_at == 100.0
        assert inc.severity in ("low", "medium", "high")


@pytest.mark.parametrize(
    ("signals", "status", "events"),
    [
        # quiet period elapses -> resolved
        ([sig(0), sig(300, False), sig(600, False)], "resolved", ["opened", "resolved"]),
        # not yet quiet long enough (severity falls meanwhile, after the downgrade delay)
        ([sig(0), sig(300, False), sig(599, False)], "open", ["opened", "severity_changed"]),
        # activity restarts the quiet clock
        ([sig(0), sig(500, observed=70), sig(1000, False)], "open", ["opened", "evidence_updated"]),
        # identical evidence is not news
        ([sig(0), sig(60)], "open", ["opened"]),
        # reopened within the reopen window: same incident
        ([sig(0), sig(600, False), sig(800)], "open", ["opened", "resolved", "reopened"]),
        # after the reopen window: a fresh incident opens
        ([sig(0), sig(600, False), sig(1000)], "open", ["opened", "resolved", "opened"]),
        # a resolved incident stays resolved on quiet signals
        ([sig(0), sig(600, False), sig(700, False)], "resolved", ["opened", "resolved"]),
    ],
)
def test_lifecycle_table(signals: list[Signal], status: str, events: list[str]) -> None:
    inc, types = run(signals)
    assert inc is not None
    assert inc.status == status
    assert types == events


def test_reopen_keeps_id_and_fresh_open_gets_new_id() -> None:
    a, _ = run([sig(0), sig(600, False), sig(800)])
    b, _ = run([sig(0), sig(600, False), sig(1000)])
    assert a is not None
    assert b is not None
    assert a.id == incident_id("nordbank", "incident", None, 0.0)
    assert b.id == incident_id("nordbank", "incident", None, 1000.0)
    assert a.id != b.id


@pytest.mark.parametrize(
    ("severities", "expected", "changes"),
    [
        # rises at once
        (["low", "high"], "high", 1),
        # one lower reading: no drop yet (hysteresis)
        (["high", "low"], "high", 0),
        # lower for >= downgrade_seconds: drop one level
        (["high", "low", "low", "low"], "medium", 1),
        # flapping high/low never drops
        (["high", "low", "high", "low", "high"], "high", 0),
        # staying lower drops one level per downgrade period (120 s here)
        (["critical", "low", "low", "low", "low", "low"], "medium", 2),
        # ...and never below what the evidence still shows
        (["critical"] + ["medium"] * 12, "medium", 2),
    ],
)
def test_severity_hysteresis(severities: list[str], expected: str, changes: int) -> None:
    signals = [sig(i * 60.0, True, s, negative_share=0.6) for i, s in enumerate(severities)]
    inc, types = run(signals)
    assert inc is not None
    assert inc.severity == expected
    assert types.count("severity_changed") == changes


def test_same_signals_give_same_incident() -> None:
    signals = [sig(0), sig(60, severity="high"), sig(700, False), sig(1400, False)]
    a, ta = run(signals)
    b, tb = run(signals)
    assert a is not None
    assert b is not None
    assert a.to_dict() == b.to_dict()
    assert ta == tb


def test_json_round_trip() -> None:
    inc, _ = run([sig(0, topics={"login": 4}), sig(60, severity="high")])
    assert inc is not None
    back = Incident.from_dict(json.loads(json.dumps(inc.to_dict())))
    assert back == inc


def test_input_not_mutated() -> None:
    inc, _ = on_signal(None, sig(0), CFG)
    assert inc is not None
    before = json.dumps(inc.to_dict())
    on_signal(inc, sig(60, severity="critical"), CFG)
    on_command(inc, Command("ack", inc.id, "U1", 70.0))
    assert json.dumps(inc.to_dict()) == before


def test_history_and_timeline_are_bounded() -> None:
    cfg = LifecycleConfig(quiet_seconds=10**9, history_points=5, timeline_entries=3)
    sevs = ["low", "critical"] * 20
    inc, _ = run([sig(i * 60.0, True, s) for i, s in enumerate(sevs)], cfg)
    assert inc is not None
    assert len(inc.history) == 5
    assert len(inc.timeline) <= 3
    assert [p[0] for p in inc.history] == sorted(p[0] for p in inc.history)


def test_history_seeded_from_evidence_before_open() -> None:
    s = sig(600, history=[[0, 4, 5], [300, 5, 5], [900, 9, 9], ["bad"]])
    inc, _ = on_signal(None, s, CFG)
    assert inc is not None
    assert [p[0] for p in inc.history] == [0.0, 300.0, 600.0]
    assert "history" not in inc.evidence


def test_out_of_order_signal_does_not_rewind() -> None:
    inc, _ = run([sig(0), sig(300)])
    assert inc is not None
    inc2, events = on_signal(inc, sig(100, False), CFG)
    assert inc2 is not None
    assert events == []
    assert inc2.updated_at == 300
    assert inc2.status == "open"


@pytest.mark.parametrize("evidence", [{"observed": "many"}, {"topics": "x"}, {"topics": {1: "a"}}])
def test_bad_evidence_never_raises(evidence: dict[str, Any]) -> None:
    s = Signal("nordbank", "volume_surge", 0.0, 0.9, True, "high", evidence)
    inc, _ = on_signal(None, s, CFG)
    assert inc is None  # no count it can read: no impact, no incident
    good = {"observed": 40, "ratio": 10, "negative_share": 0.6}
    inc, _ = on_signal(None, Signal("nordbank", "volume_surge", 0.0, 0.9, True, "high", good), CFG)
    assert inc is not None
    on_signal(inc, Signal("nordbank", "volume_surge", 60.0, 0.9, True, "high", evidence), CFG)


def _open_incident() -> Incident:
    inc, _ = on_signal(None, sig(0), CFG)
    assert inc is not None
    return inc


@pytest.mark.parametrize(
    ("commands", "status", "events"),
    [
        ([("ack", None)], "acknowledged", ["acknowledged"]),
        ([("ack", None), ("ack", None)], "acknowledged", ["acknowledged"]),
        ([("snooze", 30)], "snoozed", ["snoozed"]),
        ([("snooze", None), ("unsnooze", None)], "open", ["snoozed", "unsnoozed"]),
        ([("unsnooze", None)], "open", []),
        ([("resolve", None)], "resolved", ["resolved"]),
        ([("resolve", None), ("ack", None)], "resolved", ["resolved"]),
        ([("bogus", None)], "open", []),
        ([("snooze", 30), ("ack", None)], "acknowledged", ["snoozed", "acknowledged"]),
    ],
)
def test_command_table(
    commands: list[tuple[str, int | None]], status: str, events: list[str]
) -> None:
    inc = _open_incident()
    types: list[str] = []
    for i, (action, minutes) in enumerate(commands):
        inc, evs = on_command(inc, Command(action, inc.id, "U42", 100.0 + i, minutes))
        types += [e.type for e in evs]
    assert inc.status == status
    assert types == events


def test_command_for_other_incident_is_ignored() -> None:
    inc = _open_incident()
    out, events = on_command(inc, Command("resolve", "inc-other", "U1", 10.0))
    assert out is inc
    assert events == []


def test_snooze_sets_until_and_expires_with_event_time() -> None:
    inc = _open_incident()
    inc, _ = on_command(inc, Command("snooze", inc.id, "U1", 1.7e9, 5))
    assert inc.snoozed_until == 0.0 + 300  # from the incident's event time, not the click's
    inc2, events = on_signal(inc, sig(200), CFG)
    assert inc2 is not None
    assert inc2.status == "snoozed"
    inc3, events = on_signal(inc2, sig(400), CFG)
    assert inc3 is not None
    assert inc3.status == "open"
    assert "unsnoozed" in [e.type for e in events]


def test_manual_resolve_reopens_only_on_worse_evidence() -> None:
    inc = _open_incident()
    inc, _ = on_command(inc, Command("resolve", inc.id, "U1", 30.0))
    same, ev_same = on_signal(inc, sig(60, severity="medium"), CFG)
    worse, ev_worse = on_signal(inc, sig(60, severity="critical"), CFG)
    assert same is not None
    assert same.status == "resolved"
    assert ev_same == []
    assert worse is not None
    assert worse.status == "open"
    assert next(e.type for e in ev_worse) == "reopened"


def test_ack_survives_new_evidence() -> None:
    inc = _open_incident()
    inc, _ = on_command(inc, Command("ack", inc.id, "U1", 30.0))
    inc2, _ = on_signal(inc, sig(60, severity="high"), CFG)
    assert inc2 is not None
    assert inc2.status == "acknowledged"
    assert inc2.severity == "high"


def test_backlog_joins_open_incident() -> None:
    inc = _open_incident()
    b = Signal(
        "nordbank", "backlog", 60.0, 0.8, True, "medium", {"message": "120 unanswered mentions"}
    )
    inc2, events = on_signal(inc, b, CFG)
    assert inc2 is not None
    assert inc2.kind == "volume_surge"
    assert inc2.evidence["backlog"]["message"] == "120 unanswered mentions"
    assert [e.type for e in events] == ["evidence_updated"]
    again, events2 = on_signal(inc2, b, CFG)
    assert events2 == []
    assert again is not None
    kept, _ = on_signal(again, sig(120), CFG)
    assert kept is not None
    assert "backlog" in kept.evidence


def test_backlog_replies_only_when_it_is_news() -> None:
    """Every bucket's new numbers refresh the main message; a reply needs real news."""
    inc: Incident | None = _open_incident()

    def backlog(ts: float, count: int, reason: str = "pace") -> list[str]:
        nonlocal inc
        ev = {"message": f"backlog {count}", "backlog": count, "reason": reason}
        sig_ = Signal("nordbank", "backlog", ts, 0.8, True, "medium", ev)
        inc, events = on_signal(inc, sig_, CFG)
        assert inc is not None
        assert inc.evidence["backlog"]["backlog"] == count  # the live numbers, always
        return [e.type for e in events]

    assert backlog(60, 100) == ["evidence_updated"]  # joins
    assert backlog(360, 120) == []  # a little more
    assert backlog(660, 149) == []
    assert backlog(960, 150, "promise") == []  # another reason within half an hour: no reply
    assert backlog(1260, 200) == ["evidence_updated"]  # doubled (no clear time known)
    assert backlog(1560, 210) == []
    assert backlog(1260 + 1800, 230, "promise") == ["evidence_updated"]  # another reason
    assert backlog(1260 + 1800 + 300, 230, "promise") == []
    assert backlog(1260 + 3600, 250, "promise") == []  # half an hour on, the same picture
    assert backlog(1260 + 5400, 400, "promise") == []  # grew, but not doubled
    assert backlog(1260 + 5700, 460, "promise") == ["evidence_updated"]  # doubled


def test_backlog_reply_when_the_clear_time_doubles() -> None:
    inc: Incident | None = _open_incident()
    out = []
    steps = [(60, 3600), (360, 5000), (660, 7100), (960, 7300), (1260, 7400), (3000, 9000),
             (3300, 3000)]  # fmt: skip
    for ts, clears in steps:
        ev = {"message": "b", "backlog": 100, "reason": "pace", "clears_in_seconds": clears}
        inc, events = on_signal(
            inc, Signal("nordbank", "backlog", ts, 0.8, True, "medium", ev), CFG
        )
        out.append([e.type for e in events])
    # joins; doubled (3600 -> 7300); not doubled again; clearing half an hour on
    assert out == [["evidence_updated"], [], [], ["evidence_updated"], [], [], ["evidence_updated"]]


@pytest.mark.parametrize(
    ("brand", "open_keys", "expected"),
    [
        ("nordbank", [], "nordbank|backlog"),
        ("nordbank", ["nordbank|negative_burst"], "nordbank|negative_burst"),
        ("nordbank", ["nordbank|negative_burst", "nordbank|volume_surge"], "nordbank|volume_surge"),
        ("nordbank", ["nordbankx|volume_surge"], "nordbank|backlog"),
        ("nordbank", ["nordbank|backlog"], "nordbank|backlog"),
    ],
)
def test_backlog_target_key(brand: str, open_keys: list[str], expected: str) -> None:
    assert backlog_target_key(brand, open_keys) == expected


def test_incident_key_split_by_topic() -> None:
    s = sig(0, key="nordbank|x", topics={"login": 3, "fees": 1})
    assert incident_key(s) == "nordbank|incident"  # grouped by brand (the default)
    by_kind = LifecycleConfig(group_by_brand=False)
    assert incident_key(s, by_kind) == "nordbank|volume_surge"
    by_topic = LifecycleConfig(group_by_brand=False, split_by_topic=True)
    assert incident_key(s, by_topic) == "nordbank|volume_surge|login"
    # a tie goes to the complaint, never to the alphabet
    assert top_topic({"topics": {"praise": 2, "login": 2}}) == "login"
    assert top_topic({"topics": {"login": 2, "outage": 2}}) == "outage"


@pytest.mark.parametrize(
    "kwargs",
    [
        {"quiet_seconds": 0},
        {"reopen_seconds": -1},
        {"open_min_severity": "none"},
        {"open_min_severity": "huge"},
        {"history_points": 1},
        {"snooze_default_minutes": 0},
    ],
)
def test_bad_config_raises(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - the message names the parameter
        LifecycleConfig(**kwargs)


@pytest.mark.parametrize(("severity", "opens"), [("low", False), ("medium", True), ("high", True)])
def test_a_backlog_alone_opens_only_from_medium(severity: str, opens: bool) -> None:
    cfg = LifecycleConfig()
    ev = {"message": "inflow 60/h", "backlog": 40}
    sig = Signal("nordbank", "backlog", 1000.0, 1.0, True, severity, ev)
    inc, events = on_signal(None, sig, cfg)
    assert (inc is not None) is opens
    assert [e.type for e in events] == (["opened"] if opens else [])
