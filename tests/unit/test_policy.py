"""Escalation policy: validation errors name the key; quiet hours, silences, routes."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from alerts.policy import PolicyError, load_policy, parse_policy

HEL = ZoneInfo("Europe/Helsinki")
BASE: dict[str, Any] = {"tiers": [{"name": "care", "channel": "#care"}]}


def with_(**extra: Any) -> dict[str, Any]:
    return {**BASE, **extra}


def at(text: str) -> float:
    """Helsinki wall-clock time as POSIX seconds."""
    return datetime.fromisoformat(text).replace(tzinfo=HEL).timestamp()


def test_packaged_default_loads() -> None:
    p = load_policy()
    assert p.tiers[0].channel == "#somecare-alerts"
    assert [t.name for t in p.tiers] == ["care", "comms_lead", "crisis"]
    assert p.repeat_every_minutes == 30


@pytest.mark.parametrize(
    ("doc", "key"),
    [
        ([], "policy"),
        ({}, "tiers"),
        ({"tiers": []}, "tiers"),
        ({"tiers": [{"name": "a"}]}, "tiers[0].channel"),
        ({"tiers": [{"channel": "#a"}]}, "tiers[0].name"),
        (
            {"tiers": [{"name": "a", "channel": "#a", "after_minutes": "soon"}]},
            "tiers[0].after_minutes",
        ),
        (
            {"tiers": [{"name": "a", "channel": "#a", "min_severity": "huge"}]},
            "tiers[0].min_severity",
        ),
        ({"tiers": [{"name": "a", "channel": "#a", "colour": "red"}]}, "tiers[0].colour"),
        ({"tiers": [{"name": "a", "channel": "#a b"}]}, "tiers[0].channel"),
        (
            {"tiers": [{"name": "a", "channel": "#a"}, {"name": "a", "after_minutes": 5}]},
            "tiers[1].name",
        ),
        (
            {
                "tiers": [
                    {"name": "a", "channel": "#a", "after_minutes": 10},
                    {"name": "b", "after_minutes": 5},
                ]
            },
            "tiers[1].after_minutes",
        ),
        (with_(timezone="Mars/Olympus"), "timezone"),
        (with_(version=2), "version"),
        (with_(surprise=1), "surprise"),
        (with_(repeat={"every_minutes": 0}), "repeat.every_minutes"),
        (with_(repeat={"max_count": -1}), "repeat.max_count"),
        (with_(quiet_hours=[{"start": "25:00", "end": "07:00"}]), "quiet_hours[0].start"),
        (with_(quiet_hours=[{"start": "22:00", "end": "22:00"}]), "quiet_hours[0].end"),
        (
            with_(quiet_hours=[{"days": ["funday"], "start": "22:00", "end": "07:00"}]),
            "quiet_hours[0].days[0]",
        ),
        (
            with_(silences=[{"starts_at": "2026-03-07T20:00", "ends_at": "2026-03-07T19:00"}]),
            "silences[0].ends_at",
        ),
        (
            with_(silences=[{"starts_at": "tomorrow", "ends_at": "2026-03-07T19:00"}]),
            "silences[0].starts_at",
        ),
        (
            with_(
                silences=[
                    {
                        "starts_at": "2026-03-07T20:00",
                        "ends_at": "2026-03-07T21:00",
                        "kinds": ["earthquake"],
                    }
                ]
            ),
            "silences[0].kinds[0]",
        ),
        (with_(routes=[{"brands": ["x"], "channels": {"nope": "#x"}}]), "routes[0]"),
        (with_(routes=[{"channels": {"care": "#x"}}]), "routes[0].brands"),
    ],
)
def test_invalid_policy_names_the_key(doc: Any, key: str) -> None:
    with pytest.raises(PolicyError) as err:
        parse_policy(doc)
    assert str(err.value).startswith(f"{key}:")


def test_a_misspelt_key_names_itself_and_what_its_section_allows() -> None:
    doc = {"tiers": [{"name": "a", "channel": "#a"}, {"name": "b", "chanel": "#b"}]}
    with pytest.raises(PolicyError) as err:
        parse_policy(doc)
    key, _, msg = str(err.value).partition(": ")
    assert key == "tiers[1].chanel"
    assert "unknown key" in msg
    assert "'channel'" in msg
    assert "'after_minutes'" in msg
    with pytest.raises(PolicyError, match=r"^repeat\.every: unknown key"):
        parse_policy({**doc, "tiers": doc["tiers"][:1], "repeat": {"every": 5}})


def test_load_policy_errors_name_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "p.yaml"
    bad.write_text("tiers: [{name: a}]\n", encoding="utf-8")
    with pytest.raises(PolicyError, match=r"p\.yaml: tiers\[0\]\.channel"):
        load_policy(bad)
    bad.write_text("tiers: [\n", encoding="utf-8")
    with pytest.raises(PolicyError, match="not valid YAML"):
        load_policy(bad)
    with pytest.raises(PolicyError, match="cannot read"):
        load_policy(tmp_path / "missing.yaml")


QUIET = with_(
    quiet_hours=[
        {
            "days": ["mon", "tue", "wed", "thu", "fri"],
            "start": "22:00",
            "end": "07:00",
            "min_severity": "high",
        },
        {"days": ["sat", "sun"], "start": "00:00", "end": "23:59", "min_severity": "medium"},
    ]
)


@pytest.mark.parametrize(
    ("local", "expected"),
    [
        ("2026-03-04T12:00", None),  # Wednesday noon
        ("2026-03-04T22:30", "high"),  # Wednesday night
        ("2026-03-05T06:59", "high"),  # Thursday early morning (Wednesday's window)
        ("2026-03-05T07:00", None),  # end is exclusive
        ("2026-03-07T06:00", "high"),  # Saturday 06:00: Friday's window and Saturday's
        ("2026-03-07T12:00", "medium"),  # Saturday noon
        ("2026-03-09T06:00", None),  # Monday 06:00: Sunday has no night window
        ("2026-03-29T03:30", "medium"),  # DST change night, Sunday
    ],
)
def test_quiet_hours_table(local: str, expected: str | None) -> None:
    assert parse_policy(QUIET).quiet_min_severity(at(local)) == expected


SILENCE = with_(
    silences=[
        {
            "name": "online bank upgrade",
            "brands": ["nordbank"],
            "kinds": ["volume_surge"],
            "starts_at": "2026-03-07T20:00:00+02:00",
            "ends_at": "2026-03-08T02:00:00+02:00",
        },
        {
            "name": "all telcos, billing",
            "brands": ["tele*"],
            "topics": ["billing"],
            "starts_at": "2026-03-07T20:00",
            "ends_at": "2026-03-07T21:00",
        },
    ]
)


@pytest.mark.parametrize(
    ("brand", "kind", "topic", "local", "silenced"),
    [
        ("nordbank", "volume_surge", None, "2026-03-07T21:00", True),
        ("nordbank", "volume_surge", None, "2026-03-07T19:59", False),
        ("nordbank", "volume_surge", None, "2026-03-08T02:00", False),  # end exclusive
        ("nordbank", "negative_burst", None, "2026-03-07T21:00", False),
        ("otherbank", "volume_surge", None, "2026-03-07T21:00", False),
        ("telecom", "negative_burst", "billing", "2026-03-07T20:30", True),
        ("telecom", "negative_burst", "network", "2026-03-07T20:30", False),
        ("telecom", "negative_burst", None, "2026-03-07T20:30", False),
    ],
)
def test_silence_table(
    brand: str, kind: str, topic: str | None, local: str, silenced: bool
) -> None:
    p = parse_policy(SILENCE)
    assert (p.silence_for(brand, kind, topic, at(local)) is not None) is silenced


ROUTES = {
    "tiers": [
        {"name": "care", "channel": "#care"},
        {"name": "lead", "after_minutes": 15, "mention": ["<@ULEAD>"]},
    ],
    "routes": [
        {"brands": ["nordbank"], "channels": {"care": "#nordbank-care"}},
        {"brands": ["tele*"], "mentions": {"lead": ["<!subteam^S1>"]}},
    ],
}


@pytest.mark.parametrize(
    ("brand", "primary", "mention"),
    [
        ("nordbank", "#nordbank-care", ("<@ULEAD>",)),
        ("telecom", "#care", ("<!subteam^S1>",)),
        ("other", "#care", ("<@ULEAD>",)),
    ],
)
def test_routes_table(brand: str, primary: str, mention: tuple[str, ...]) -> None:
    p = parse_policy(ROUTES)
    assert p.primary_channel(brand) == primary
    assert p.tiers_for(brand)[1].mention == mention


def test_user_groups_and_users_turn_names_into_pings() -> None:
    from alerts.policy import parse_policy

    raw = {
        "tiers": [
            {"name": "care", "channel": "#care"},
            {"name": "lead", "after_minutes": 15, "mention": ["@comms-lead", "@aino", "@x"]},
        ],
        "user_groups": {"comms-lead": "S0123ABC"},
        "users": {"aino": "U0AINO"},
        "routes": [{"brands": ["nordbank"], "mentions": {"lead": ["@comms-lead"]}}],
    }
    p = parse_policy(raw)
    assert p.tiers[1].mention == ("<!subteam^S0123ABC>", "<@U0AINO>", "@x")
    assert p.tiers_for("nordbank")[1].mention == ("<!subteam^S0123ABC>",)
    with pytest.raises(PolicyError, match=r"user_groups\.comms-lead"):
        parse_policy({**raw, "user_groups": {"comms-lead": "not-an-id"}})
