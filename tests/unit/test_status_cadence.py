"""Cadence, reminders, stage mapping and the `status` settings."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from alerts.status import (
    StatusConfig,
    load_status_config,
    next_update_at,
    reminder_due,
    stage_for,
)

CFG = StatusConfig()


def utc(h: int, m: int, day: int = 24, month: int = 11) -> datetime:
    return datetime(2026, month, day, h, m, tzinfo=UTC)


@pytest.mark.parametrize(
    ("published", "severity", "expected"),
    [
        (utc(12, 0), "critical", utc(12, 30)),
        (utc(12, 7), "critical", utc(12, 40)),  # 14.37 -> 14.40
        (utc(12, 7), "high", utc(12, 40)),
        (utc(12, 7), "medium", utc(13, 10)),
        (utc(12, 7), "low", utc(14, 10)),
        (utc(12, 7), "unheard-of", utc(13, 10)),  # default cadence, 60 min
        (utc(12, 0) - timedelta(seconds=1), "critical", utc(12, 30)),  # 13.59.59 -> 14.30
        (utc(21, 50), "critical", utc(22, 20)),  # after local midnight
        (utc(0, 44, 29, 3), "critical", utc(1, 15, 29, 3)),  # DST starts 29.3. at 03.00 local
    ],
)
def test_next_update_at(published: datetime, severity: str, expected: datetime) -> None:
    assert next_update_at(published, severity, CFG) == expected


def test_rounding_happens_on_the_local_clock() -> None:
    cfg = load_status_config({"timezone": "Asia/Kolkata", "round_to_minutes": 60})
    due = next_update_at(utc(12, 0), "critical", cfg)  # 17.30 + 30 min = 18.00 local
    assert due == utc(12, 30)
    assert due.astimezone(cfg.zone).minute == 0


def test_cadence_comes_from_the_config() -> None:
    cfg = load_status_config({"cadence_minutes": {"critical": 15}, "round_to_minutes": 1})
    assert next_update_at(utc(12, 7), "critical", cfg) == utc(12, 22)


@pytest.mark.parametrize(
    ("now", "already", "expected"),
    [
        (utc(12, 20), False, False),
        (utc(12, 25), False, True),  # 5 minutes before 12:30
        (utc(12, 45), False, True),  # overdue
        (utc(12, 25), True, False),
        (utc(12, 45), True, False),
    ],
)
def test_reminder_due(now: datetime, already: bool, expected: bool) -> None:
    assert reminder_due(utc(12, 0), "critical", now, CFG, already) is expected


def test_reminder_due_prefers_the_promised_time() -> None:
    promised = utc(12, 50)
    assert not reminder_due(utc(12, 0), "critical", utc(12, 30), CFG, False, due_at=promised)
    assert reminder_due(utc(12, 0), "critical", utc(12, 45), CFG, False, due_at=promised)


@pytest.mark.parametrize(
    ("status", "evidence", "stage"),
    [
        ("open", {}, "investigating"),
        ("acknowledged", {}, "investigating"),
        ("snoozed", {"active": True}, "investigating"),
        ("open", {"cause": "payment provider"}, "identified"),
        ("identified", {}, "identified"),
        ("open", {"active": False}, "monitoring"),
        ("acknowledged", {"recovering": True, "cause": "x"}, "monitoring"),
        ("resolved", {"active": True}, "resolved"),
        ("closed", {}, "resolved"),
        ("MONITORING", {}, "monitoring"),
    ],
)
def test_stage_for(status: str, evidence: dict[str, Any], stage: str) -> None:
    assert stage_for(status, "volume_surge", evidence) == stage


def test_load_status_config_none_is_the_defaults() -> None:
    assert load_status_config(None) == StatusConfig()
    assert load_status_config({}) == StatusConfig()


def test_load_status_config_full() -> None:
    cfg = load_status_config(
        {
            "timezone": "Europe/Stockholm",
            "languages": ["sv", "en"],
            "cadence_minutes": {"critical": 20},
            "remind_before_minutes": 10,
            "brand_forms": {"SPankki": {"fi": {"genitive": "S-Pankin"}, "sv": "S-Banken"}},
            "services": {"netbank": {"fi": {"nominative": "nettipankki",
                                            "inessive": "nettipankissa"},
                                     "en": "net bank", "sv": {"nominative": "nätbank"}}},
            "topic_services": {"login": "netbank"},
            "channel_labels": {"kiosk": {"fi": "kioski", "en": "kiosk", "sv": "kiosken"}},
            "link": "https://status.example.fi",
            "brand_links": {"SPankki": "https://s.example.fi"},
            "length_limits": {"x": 250},
        }
    )  # fmt: skip
    assert cfg.timezone == "Europe/Stockholm"
    assert cfg.languages == ("sv", "en")
    assert cfg.cadence_minutes == {"critical": 20, "high": 30, "medium": 60, "low": 120}
    assert cfg.brand_forms["spankki"]["sv"] == {"nominative": "S-Banken"}
    assert cfg.topic_services["login"] == "netbank"
    assert "online_bank" in cfg.services
    assert cfg.brand_links == {"spankki": "https://s.example.fi"}
    assert cfg.length_limits == {"status_page": 1500, "x": 250}


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ({"timezone": "Mars/Olympus"}, "status.timezone"),
        ({"languages": "fi"}, "status.languages"),
        ({"languages": ["fi", "de"]}, "status.languages: unknown language 'de'"),
        ({"cadence_minutes": {"high": 0}}, "status.cadence_minutes.high"),
        ({"cadence_minutes": {"high": "30"}}, "status.cadence_minutes.high"),
        ({"round_to_minutes": 90}, "status.round_to_minutes"),
        ({"brand_forms": {"x": {"fi": {"vocative": "X"}}}}, "status.brand_forms.x.fi"),
        ({"brand_forms": {"x": {"de": {"genitive": "X"}}}}, "status.brand_forms.x"),
        ({"services": {"s": {"fi": "s", "en": "s"}}}, "status.services.s: missing language"),
        ({"topic_services": {"login": "nope"}}, "status.topic_services.login"),
        ({"topic_services": {"weather": "billing"}}, "status.topic_services"),
        ({"link": "status.example.fi"}, "status.link"),
        ({"length_limits": {"tiktok": 100}}, "status.length_limits"),
        ({"cadense_minutes": {}}, "unknown setting"),
        ({"templates_dir": "/nonexistent/dir"}, "status.templates_dir"),
        ([1, 2], "status must be a mapping"),
    ],
)
def test_load_status_config_errors_name_the_setting(section: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message.replace(".", r"\.")):
        load_status_config(section)


def test_a_misspelt_status_key_names_itself_and_the_known_settings() -> None:
    with pytest.raises(
        ValueError, match=r"^status: unknown setting\(s\) \['remind_minutes'\]"
    ) as err:
        load_status_config({"remind_minutes": 5})
    assert "'remind_before_minutes'" in str(err.value)
    with pytest.raises(ValueError, match=r"^status\.services\.netbank\.de: unknown language"):
        load_status_config({"services": {"netbank": {"fi": "n", "en": "n", "sv": "n", "de": "n"}}})
