"""Drafts: fallbacks, languages, records (Draft, Published) and their round trips."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from alerts.status import (
    Draft,
    IncidentFacts,
    Published,
    StatusConfig,
    TemplateLibrary,
    load_status_config,
    render_drafts,
    render_drafts_report,
)

T0 = datetime(2026, 11, 24, 11, 52, tzinfo=UTC)
PACKAGED = TemplateLibrary().root


def facts(**kw: object) -> IncidentFacts:
    base: dict[str, object] = dict(
        incident_id="inc-7", brand="nordbank", brand_display="Nordbank", topic="outage",
        kind="volume_surge", severity="high", stage="investigating", started_at=T0,
        now=T0 + timedelta(minutes=10), next_update_at=None, affected_service=None,
        channels=(), link=None,
    )  # fmt: skip
    base.update(kw)
    return IncidentFacts(**base)  # type: ignore[arg-type]


@pytest.fixture
def lib_dir(tmp_path: Path) -> Path:
    dst = tmp_path / "templates"
    shutil.copytree(PACKAGED, dst)
    return dst


def touch(lib_dir: Path, name: str) -> None:
    path = lib_dir / f"{name}.j2"
    path.write_text(path.read_text(encoding="utf-8") + "\n", encoding="utf-8")


def test_unapproved_topic_template_falls_back_to_general(lib_dir: Path) -> None:
    touch(lib_dir, "outage/investigating.fi")
    lib = TemplateLibrary(lib_dir)
    drafts = render_drafts(facts(), StatusConfig(), library=lib)
    fi = [d for d in drafts if d.lang == "fi"]
    assert {d.template for d in fi} == {"general/investigating.fi"}
    assert all("outage/investigating.fi" in d.notes[0] and "not approved" in d.notes[0]
               for d in fi)  # fmt: skip
    assert "Olemme saaneet ilmoituksia ongelmista Nordbankin palveluissa" in fi[0].text
    others = [d for d in drafts if d.lang != "fi"]
    assert {d.template for d in others} == {"outage/investigating.en", "outage/investigating.sv"}
    assert all(d.notes == () for d in others)


def test_missing_topic_template_falls_back_too(lib_dir: Path) -> None:
    (lib_dir / "billing" / "resolved.sv.j2").unlink()
    drafts = render_drafts(facts(topic="billing", stage="resolved"), StatusConfig(),
                           library=TemplateLibrary(lib_dir))  # fmt: skip
    sv = [d for d in drafts if d.lang == "sv"]
    assert {d.template for d in sv} == {"general/resolved.sv"}
    assert "template missing" in sv[0].notes[0]


def test_no_usable_template_is_reported_not_raised(lib_dir: Path) -> None:
    touch(lib_dir, "outage/identified.en")
    touch(lib_dir, "general/identified.en")
    report = render_drafts_report(facts(stage="identified"), StatusConfig(),
                                  library=TemplateLibrary(lib_dir))  # fmt: skip
    assert {d.lang for d in report.drafts} == {"fi", "sv"}
    assert len(report.problems) == 2  # en x (status_page, x)
    assert all("no usable template for en/" in p for p in report.problems)


def test_a_template_failing_at_render_time_falls_back(lib_dir: Path) -> None:
    path = lib_dir / "queue" / "monitoring.en.j2"
    path.write_text("{{ nonexistent }}", encoding="utf-8")
    from alerts.templates_check import approve_templates

    approve_templates(["queue/monitoring.en"], "Anna", "2026-11-24T00:00:00Z", root=lib_dir)
    drafts = render_drafts(facts(topic="queue", stage="monitoring"), StatusConfig(),
                           library=TemplateLibrary(lib_dir))  # fmt: skip
    en = [d for d in drafts if d.lang == "en"]
    assert {d.template for d in en} == {"general/monitoring.en"}
    assert "render failed" in en[0].notes[0]
    assert "nonexistent" in en[0].notes[0]


@pytest.mark.parametrize("topic", [None, "weather", "praise", "cancellation"])
def test_no_or_unknown_topic_uses_general(topic: str | None) -> None:
    drafts = render_drafts(facts(topic=topic), StatusConfig())
    assert {d.template.split("/")[0] for d in drafts} == {"general"}
    noted = all(any("unknown topic" in n for n in d.notes) for d in drafts)
    assert noted is (topic == "weather")


def test_topic_aliases_from_config() -> None:
    cfg = load_status_config({"topic_aliases": {"cancellation": "billing"}})
    drafts = render_drafts(facts(topic="cancellation"), cfg)
    assert {d.template.split("/")[0] for d in drafts} == {"billing"}
    with pytest.raises(ValueError, match=r"status\.topic_aliases\.x"):
        load_status_config({"topic_aliases": {"x": "weather"}})


def test_languages_and_channels_follow_the_config() -> None:
    cfg = load_status_config({"languages": ["sv", "fi"]})
    drafts = render_drafts(facts(), cfg, channels=("x",))
    assert [(d.lang, d.channel) for d in drafts] == [("sv", "x"), ("fi", "x")]


def test_next_update_time_is_computed_unless_given_and_never_when_resolved() -> None:
    computed = render_drafts(facts(), StatusConfig())[0]
    assert computed.next_update_at == datetime(
        2026, 11, 24, 12, 35, tzinfo=UTC
    )  # 14.02+30 -> 14.35
    given = T0 + timedelta(hours=2)
    assert render_drafts(facts(next_update_at=given), StatusConfig())[0].next_update_at == given
    resolved = render_drafts(facts(stage="resolved", next_update_at=given), StatusConfig())
    assert all(d.next_update_at is None for d in resolved)


def test_overlong_draft_is_kept_with_a_warning() -> None:
    cfg = load_status_config({"length_limits": {"status_page": 100}})
    drafts = render_drafts(facts(), cfg, channels=("status_page",))
    assert drafts
    assert all(any("limit 100" in n for n in d.notes) for d in drafts)


@pytest.mark.parametrize(
    "bad",
    [{"stage": "panicking"}, {"started_at": datetime(2026, 1, 1)}, {"now": datetime(2026, 1, 1)}],
)
def test_facts_reject_bad_values(bad: dict[str, object]) -> None:
    with pytest.raises(ValueError, match=r"stage|timezone-aware"):
        facts(**bad)


def test_draft_round_trips_through_dict() -> None:
    d = render_drafts(facts(), StatusConfig())[0]
    d2 = Draft.from_dict(d.to_dict())
    assert d2 == d
    assert d.to_dict()["next_update_at"] == "2026-11-24T12:35:00Z"


@pytest.mark.parametrize("edited", [True, False])
def test_published_from_draft_and_round_trip(edited: bool) -> None:
    d = render_drafts(facts(), StatusConfig())[0]
    at = T0 + timedelta(minutes=15)
    p = Published.from_draft(d, approved_by="U123 Anna", published_at=at,
                             text=d.text + " Korjattu." if edited else None)  # fmt: skip
    assert p.edited is edited
    assert p.text.endswith("Korjattu.") is edited
    assert p.next_update_at == d.next_update_at
    assert p.template_version == d.template_version
    assert Published.from_dict(p.to_dict()) == p
    keys = {"incident_id", "lang", "channel", "text", "approved_by", "published_at",
            "next_update_at"}  # fmt: skip
    assert keys <= set(p.to_dict())


def test_published_rejects_naive_time() -> None:
    d = render_drafts(facts(), StatusConfig())[0]
    with pytest.raises(ValueError, match="timezone-aware"):
        Published.from_draft(d, approved_by="A", published_at=datetime(2026, 11, 24, 12, 0))
