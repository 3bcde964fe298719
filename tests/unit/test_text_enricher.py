"""Enricher: the stage's public API over canonical mentions."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from detectors.mention import Enrichment, Mention
from detectors.text import Enricher

T0 = datetime(2026, 3, 2, 8, 15, tzinfo=UTC)


def mention(text: str, lang: str | None = None, brand: str = "nordbank", i: int = 1) -> Mention:
    return Mention(id=f"x:{i}", source="x", brand=brand, created_at=T0, text=text, lang=lang)


@pytest.fixture(scope="module")
def enricher() -> Enricher:
    return Enricher()


def test_enrich_a_finnish_complaint(enricher: Enricher) -> None:
    e = enricher.enrich(mention("Verkkopankkiin ei pääse kirjautumaan, mikä on vialla? 😡"))
    assert isinstance(e, Enrichment)
    assert e.lang == "fi"
    assert e.sentiment == "negative"
    assert e.sentiment_score < 0
    assert {"login", "outage", "question"} <= set(e.topics)
    assert "verkkopankkiin" in e.terms


def test_source_language_is_respected(enricher: Enricher) -> None:
    assert enricher.enrich(mention("Kiitos!", lang="sv")).lang == "sv"
    assert enricher.enrich(mention("Kiitos paljon avusta!")).lang == "fi"


def test_sarcastic_praise_is_not_praise(enricher: Enricher) -> None:
    e = enricher.enrich(mention("kiitti vaan, kolmas päivä ilman nettiä 🙄"))
    assert e.sentiment == "negative"
    assert "praise" not in e.topics
    e = enricher.enrich(mention("Kiitti nopeesta avusta!"))
    assert e.sentiment == "positive"
    assert "praise" in e.topics


def test_brand_name_is_not_a_term(enricher: Enricher) -> None:
    e = enricher.enrich(mention("nordbank app down again", brand="nordbank"))
    assert "nordbank" not in e.terms
    assert "down" in e.terms


@pytest.mark.parametrize("text", ["", "   ", "@nordbank", "👍", "?" * 500, "a" * 20_000])
def test_odd_texts_never_raise(enricher: Enricher, text: str) -> None:
    e = enricher.enrich(mention(text))
    assert e.sentiment in ("negative", "neutral", "positive")
    assert -1.0 <= e.sentiment_score <= 1.0


def test_batch_equals_one_by_one(enricher: Enricher) -> None:
    ms = [
        mention("Sovellus kaatuu koko ajan", i=1),
        mention("Thanks for the quick fix!", i=2),
        mention("Appen funkar inte", lang="sv", i=3),
        mention("", i=4),
        mention("Jeg kan ikke logge inn", i=5),
    ]
    assert enricher.enrich_batch(ms) == [enricher.enrich(m) for m in ms]
    assert enricher.enrich_batch([]) == []


def test_custom_taxonomy(tmp_path: Path) -> None:
    p = tmp_path / "t.yaml"
    p.write_text("topics:\n  fraud:\n    fi: [huijau*]\n", encoding="utf-8")
    e = Enricher(topics_path=p).enrich(mention("Sain huijausviestin pankin nimissä"))
    assert e.topics == ("fraud",)
