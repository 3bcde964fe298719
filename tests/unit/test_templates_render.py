"""Every template, every language and channel, rendered from real incident facts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from alerts.status import (
    CHANNELS,
    STAGES,
    TOPICS,
    IncidentFacts,
    StatusConfig,
    TemplateLibrary,
    load_status_config,
    render_drafts,
    render_drafts_report,
    x_length,
)

STARTED = datetime(2026, 11, 24, 11, 52, tzinfo=UTC)  # 13.52 in Helsinki (EET, UTC+2)
NOW = datetime(2026, 11, 24, 12, 40, tzinfo=UTC)  # 14.40 in Helsinki
LINK = "https://status.nordbank.fi/incidents/2026-11-24"
START_TEXT = {"fi": "klo 13.52", "sv": "kl. 13.52", "en": "13:52 EET"}
NOW_TEXT = {"fi": "klo 14.40", "sv": "kl. 14.40", "en": "14:40 EET"}
NEXT_TEXT = {"fi": "Seuraava tiedote klo 15.10", "sv": "Nästa uppdatering kl. 15.10",
             "en": "Next update at 15:10 EET"}  # fmt: skip
BRAND_GENITIVE = {"fi": "Nordbankin", "sv": "Nordbanks", "en": "Nordbank's"}
CHANNEL_WORDS = {"fi": "verkkopankki ja mobiilisovellus", "sv": "nätbanken och mobilappen",
                 "en": "online bank and mobile app"}  # fmt: skip

CFG = load_status_config(
    {
        "timezone": "Europe/Helsinki",
        "brand_forms": {
            "nordbank": {
                "fi": {
                    "genitive": "Nordbankin",
                    "inessive": "Nordbankissa",
                    "elative": "Nordbankista",
                    "illative": "Nordbankiin",
                },
            },
            "spankki": {
                "fi": {
                    "nominative": "S-Pankki",
                    "genitive": "S-Pankin",
                    "inessive": "S-Pankissa",
                    "illative": "S-Pankkiin",
                },
            },
        },
    }
)
LIB = TemplateLibrary()


def facts(topic: str, stage: str, **kw: object) -> IncidentFacts:
    base: dict[str, object] = dict(
        incident_id="inc-42",
        brand="nordbank",
        brand_display="Nordbank",
        topic=topic,
        kind="volume_surge",
        severity="critical",
        stage=stage,
        started_at=STARTED,
        now=NOW,
        next_update_at=NOW + timedelta(minutes=30),
        affected_service=None,
        channels=("online_bank", "app"),
        link=LINK,
    )
    base.update(kw)
    return IncidentFacts(**base)  # type: ignore[arg-type]


@pytest.mark.parametrize("stage", STAGES)
@pytest.mark.parametrize("topic", TOPICS)
def test_every_template_renders_with_the_facts(topic: str, stage: str) -> None:
    report = render_drafts_report(facts(topic, stage), CFG, library=LIB)
    assert report.problems == []
    got = {(d.lang, d.channel): d for d in report.drafts}
    assert set(got) == {(lang, ch) for lang in ("fi", "en", "sv") for ch in CHANNELS}
    for (lang, channel), d in got.items():
        assert d.template == f"{topic}/{stage}.{lang}", "no fallback: every template is approved"
        assert d.notes == ()
        assert d.template_version == LIB.versions[d.template]
        assert BRAND_GENITIVE[lang] in d.text
        assert LINK in d.text
        assert "{" not in d.text
        assert "}" not in d.text
        if channel == "x":
            assert x_length(d.text) <= 280
        if stage == "resolved":
            assert d.next_update_at is None
            assert "Seuraava" not in d.text
            assert "Nästa" not in d.text
            assert "Next update" not in d.text
        else:
            assert NEXT_TEXT[lang] in d.text  # the update says when the next one is due
        if channel == "status_page":
            if stage != "monitoring":
                assert START_TEXT[lang] in d.text  # start time in the deployment's zone
            if stage == "resolved":
                assert NOW_TEXT[lang] in d.text
            if stage in ("investigating", "identified"):
                assert CHANNEL_WORDS[lang] in d.text


@pytest.mark.parametrize("topic", TOPICS)
def test_finnish_brand_forms_come_from_the_config_table(topic: str) -> None:
    f = facts(topic, "investigating", brand="spankki", brand_display="S-Pankki")
    fi = [d for d in render_drafts(f, CFG, library=LIB) if d.lang == "fi"]
    assert fi
    for d in fi:
        assert "S-Pankin" in d.text
        assert "S-Pankkin" not in d.text  # what the rule alone would have made


def test_unknown_brand_is_inflected_by_rule() -> None:
    f = facts("login", "investigating", brand="telia", brand_display="Telia")
    fi = next(d for d in render_drafts(f, CFG, library=LIB) if d.lang == "fi")
    assert "Kirjautuminen Telian verkkopalveluun" in fi.text
    sv = next(d for d in render_drafts(f, CFG, library=LIB) if d.lang == "sv")
    assert "Telias webbtjänst" in sv.text


def test_abbreviation_brand_takes_a_colon() -> None:
    f = facts("outage", "investigating", brand="dna", brand_display="DNA")
    fi = next(d for d in render_drafts(f, CFG, library=LIB) if d.lang == "fi")
    assert "DNA:n palveluissa on tällä hetkellä häiriö" in fi.text


def test_affected_service_is_inflected_from_the_service_table() -> None:
    f = facts("outage", "investigating", affected_service="verkkopankki")
    by = {d.lang: d.text for d in render_drafts(f, CFG, channels=("status_page",), library=LIB)}
    assert "Nordbankin verkkopankissa on tällä hetkellä häiriö" in by["fi"]
    assert "Nordbank's online bank" in by["en"]
    assert "Nordbanks nätbank" in by["sv"]


def test_free_text_service_gets_a_head_noun_in_finnish() -> None:
    f = facts("outage", "investigating", affected_service="Apple Pay")
    by = {d.lang: d.text for d in render_drafts(f, CFG, channels=("status_page",), library=LIB)}
    assert "Nordbankin palvelussa Apple Pay on tällä hetkellä häiriö" in by["fi"]
    assert "Nordbank's Apple Pay" in by["en"]


def test_summer_time_and_other_zones() -> None:
    start = datetime(2026, 6, 10, 9, 5, tzinfo=UTC)  # 12.05 EEST in Helsinki
    f = facts("outage", "investigating", started_at=start, now=start, next_update_at=None)
    by = {d.lang: d for d in render_drafts(f, CFG, channels=("status_page",), library=LIB)}
    assert "klo 12.05" in by["fi"].text
    assert "12:05 EEST" in by["en"].text
    assert "Seuraava tiedote klo 12.35" in by["fi"].text  # computed: critical = 30 min
    sthlm = StatusConfig(timezone="Europe/Stockholm")
    by = {d.lang: d for d in render_drafts(f, sthlm, channels=("status_page",), library=LIB)}
    assert "kl. 11.05" in by["sv"].text
    assert "11:05 CEST" in by["en"].text


def test_start_on_an_earlier_day_carries_the_date() -> None:
    f = facts("outage", "identified", started_at=STARTED - timedelta(days=1))
    by = {d.lang: d.text for d in render_drafts(f, CFG, channels=("status_page",), library=LIB)}
    assert "23.11.2026 klo 13.52" in by["fi"]
    assert "23.11.2026 kl. 13.52" in by["sv"]
    assert "13:52 EET on 23 November 2026" in by["en"]


def test_next_update_after_midnight_carries_the_date() -> None:
    late = datetime(2026, 11, 24, 21, 50, tzinfo=UTC)  # 23.50 in Helsinki
    f = facts("queue", "investigating", now=late, next_update_at=late + timedelta(minutes=30))
    fi = next(d for d in render_drafts(f, CFG, library=LIB) if d.lang == "fi")
    assert "Seuraava tiedote 25.11.2026 klo 0.20" in fi.text


def test_without_link_or_channels_nothing_dangles() -> None:
    f = facts("billing", "investigating", link=None, channels=())
    for d in render_drafts(f, CFG, library=LIB):
        assert "http" not in d.text
        assert not d.text.rstrip().endswith(":")
        assert "koskee:" not in d.text
        assert "Affected:" not in d.text
        assert "gäller:" not in d.text


def test_brand_links_in_config_are_used_when_facts_have_none() -> None:
    cfg = load_status_config({"brand_links": {"nordbank": "https://nordbank.fi/status"}})
    for d in render_drafts(facts("login", "monitoring", link=None), cfg, library=LIB):
        assert "https://nordbank.fi/status" in d.text
