"""Topic taxonomy: YAML, inflected Finnish forms, phrases, languages, bad patterns."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from detectors.text.tokens import tokenize
from detectors.text.topics import TOPIC_IDS, Taxonomy, load_topics

MENTIONS = Path(__file__).resolve().parents[1] / "data" / "brand_mentions.tsv"


@pytest.fixture(scope="module")
def tax() -> Taxonomy:
    return load_topics()


def topics(tax: Taxonomy, text: str, lang: str) -> tuple[str, ...]:
    return tax.match(tokenize(text), lang)


def test_packaged_taxonomy_has_the_stable_ids(tax: Taxonomy) -> None:
    assert tax.topics == TOPIC_IDS
    assert set(tax.languages) == {"fi", "en", "sv"}
    assert tax.kinds["praise"] == "praise"


@pytest.mark.parametrize(
    "word", ["kirjautuminen", "kirjautumaan", "kirjautumisessa", "kirjautua", "kirjaudu"]
)
def test_inflected_finnish_login_forms(tax: Taxonomy, word: str) -> None:
    assert "login" in topics(tax, f"{word} ei onnistu", "fi")


@pytest.mark.parametrize(
    ("text", "lang", "topic"),
    [
        ("Jonotin tunnin puhelimessa", "fi", "queue"),
        ("Been on hold for an hour", "en", "queue"),
        ("Har väntat i kön länge", "sv", "queue"),
        ("Laskussa on virhe", "fi", "billing"),
        ("You charged me twice", "en", "billing"),
        ("Paketti on myöhässä", "fi", "delivery"),
        ("Leveransen är försenad", "sv", "delivery"),
        ("Irtisanon liittymäni", "fi", "cancellation"),
        ("I want to cancel my plan", "en", "cancellation"),
        ("Asiakaspalvelija oli tyly", "fi", "service"),
        ("Netti on poikki, ei kenttää", "fi", "outage"),
        ("Appen ligger nere", "sv", "outage"),
        ("Milloin kortit tulevat?", "fi", "question"),
        ("Kiitos avusta!", "fi", "praise"),
    ],
)
def test_topics_in_three_languages(tax: Taxonomy, text: str, lang: str, topic: str) -> None:
    assert topic in topics(tax, text, lang)


def test_phrase_words_must_be_adjacent(tax: Taxonomy) -> None:
    assert "outage" in topics(tax, "sovellus ei toimi", "fi")
    assert "outage" not in topics(tax, "ei se mitään, toimi vain", "fi")


def test_english_loanwords_match_in_finnish(tax: Taxonomy) -> None:
    assert "login" in topics(tax, "login ei mene läpi", "fi")


def test_other_languages_try_every_list(tax: Taxonomy) -> None:
    assert "login" in topics(tax, "kirjautuminen", "und")


def test_neutral_news_has_no_topic(tax: Taxonomy) -> None:
    assert topics(tax, "Nordbank julkaisi tänään osavuosikatsauksensa", "fi") == ()


def test_custom_yaml(tmp_path: Path) -> None:
    p = tmp_path / "topics.yaml"
    p.write_text(
        "topics:\n  fraud:\n    label: Fraud\n    fi: [huijau*, 'tietojen kalastelu']\n"
        "    en: [scam*, phishing]\n",
        encoding="utf-8",
    )
    tax = load_topics(p)
    assert tax.topics == ("fraud",)
    assert tax.match(tokenize("Sain huijausviestin"), "fi") == ("fraud",)
    assert tax.match(tokenize("tietojen kalastelu yritys"), "fi") == ("fraud",)
    assert tax.match(tokenize("tietojen varmistus"), "fi") == ()


@pytest.mark.parametrize(
    "doc",
    [
        "topics: {}\n",
        "nothing: 1\n",
        "topics:\n  x:\n    fi: [a*]\n",
        "topics:\n  x:\n    fi: ['ki*tos']\n",
        "topics:\n  x:\n    fi: kirjau*\n",
        "topics:\n  x: [1]\n",
    ],
)
def test_bad_taxonomies_raise_value_error(tmp_path: Path, doc: str) -> None:
    p = tmp_path / "bad.yaml"
    p.write_text(doc, encoding="utf-8")
    with pytest.raises(ValueError, match=r"taxonomy|topic|mapping"):
        load_topics(p)


def test_topic_recall_on_our_brand_mentions(tax: Taxonomy) -> None:
    with open(MENTIONS, encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE))
    tp = fn = 0
    for r in rows:
        if r["split"] != "dev":
            continue
        gold = set(filter(None, r["topics"].split(",")))
        got = set(topics(tax, r["text"], r["lang"]))
        assert gold <= set(TOPIC_IDS)
        tp += len(gold & got)
        fn += len(gold - got)
    assert tp / (tp + fn) >= 0.85
