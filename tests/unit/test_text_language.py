"""Language identification: region languages, neighbours, hints, batches."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from detectors.text.language import (
    UNDETERMINED,
    detect_language,
    detect_languages,
    normalize_hint,
)


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("mä en pääse taas kirjautumaan, mikä ihme", "fi"),
        ("kiitti nopeesta avusta!", "fi"),
        ("The app keeps crashing when I try to pay", "en"),
        ("Appen fungerar inte igen, vad händer?", "sv"),
        ("Jeg kan ikke logge inn i nettbanken i dag", "no"),
        ("Miks see äpp jälle ei tööta?", "et"),
        ("Warum funktioniert die App schon wieder nicht?", "de"),
    ],
)
def test_region_languages_and_neighbours(text: str, lang: str) -> None:
    assert detect_language(text) == lang


def test_hint_from_source_wins() -> None:
    assert detect_language("The app is down", hint="fi") == "fi"
    assert detect_language("x", hint="sv-SE") == "sv"
    assert detect_language("x", hint="nb") == "no"


@pytest.mark.parametrize("hint", [None, "", "und", "  "])
def test_empty_hints_are_ignored(hint: str | None) -> None:
    assert normalize_hint(hint) is None
    assert detect_language("The app is down again today", hint=hint) == "en"


@pytest.mark.parametrize("text", ["", "   ", "@nordbank", "https://t.co/x 👍", "123 456", "ok"])
def test_no_evidence_is_undetermined(text: str) -> None:
    assert detect_language(text) == UNDETERMINED


def test_batch_respects_hints_and_checks_lengths() -> None:
    texts = ["Verkkopankki ei toimi", "The app is down", ""]
    assert detect_languages(texts, [None, "sv", None]) == ["fi", "sv", UNDETERMINED]
    with pytest.raises(ValueError, match="as long"):
        detect_languages(texts, [None])


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(max_size=80), max_size=8))
def test_batch_gives_the_same_answers_as_one_by_one(texts: list[str]) -> None:
    assert detect_languages(texts) == [detect_language(t) for t in texts]


def test_batch_on_real_sentences_matches_single() -> None:
    texts = [
        "Jonotin tunnin eikä kukaan vastannut",
        "Tack för snabb hjälp idag!",
        "Been on hold for 50 minutes",
        "Jeg har ventet i en time",
    ]
    assert detect_languages(texts) == [detect_language(t) for t in texts]


# --- issue 17: two stages, the deployment's languages -----------------------------------------

_SHORT = [
    ("fi", "EI TOIMI"),
    ("fi", "kiitti 👍"),
    ("fi", "#vikatilanne taas"),
    ("fi", "jonossa 40 min"),
    ("en", "DOWN AGAIN"),
    ("en", "thanks mate"),
    ("en", "#outage again?"),
    ("sv", "TACK SÅ MYCKET"),
    ("sv", "funkar inte"),
    ("sv", "#bankid strular igen"),
]


@pytest.mark.parametrize(("lang", "text"), _SHORT)
def test_short_caps_and_hashtag_texts_are_never_undetermined(lang: str, text: str) -> None:
    assert detect_language(text) == lang
    assert detect_languages([text]) == [lang]


def test_unsure_texts_fall_back_to_the_deployments_languages() -> None:
    texts = [t for _, t in _SHORT]
    for langs in (("fi",), ("en", "sv"), ("fi", "en", "sv", "de")):
        got = detect_languages(texts, languages=langs)
        assert got == [detect_language(t, languages=langs) for t in texts]
        assert UNDETERMINED not in got


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("da", "Jeg kan ikke logge ind på netbanken, hvad sker der?"),
        ("no", "Appen virker ikke igjen, jeg får ikke logget inn"),
        ("de", "Ich kann mich nicht einloggen, die App stürzt ab"),
        ("et", "Pank ei tööta jälle, ma ei saa sisse logida"),
    ],
)
def test_confident_neighbour_languages_keep_their_code(lang: str, text: str) -> None:
    assert detect_language(text) == lang
    assert detect_languages([text]) == [lang]


@pytest.mark.parametrize(
    "text",
    [
        "Ei hassummin.",  # identifier alone: English first
        "MÄ EN OO SAANU MITÄÄN VASTAUSTA TEIDÄN ASIAKASPALVELUSTA",
        "JAG HAR INTE FÅTT NÅGOT SVAR FRÅN ER KUNDTJÄNST",
        "I HAVE NOT HEARD ANYTHING FROM YOUR SUPPORT TEAM",
    ],
)
def test_function_words_and_shouting_decide_unsure_texts(text: str) -> None:
    want = {"Ei": "fi", "MÄ": "fi", "JAG": "sv", "I": "en"}[text.split()[0]]
    assert detect_language(text) == want
    assert detect_languages([text]) == [want]


def test_function_words_only_weigh_the_identifiers_odds() -> None:
    # "min" is a Swedish stop word, but the identifier's Finnish evidence is far stronger
    assert detect_language("bussi lähti 5 min") == "fi"
    assert detect_languages(["bussi lähti 5 min"]) == ["fi"]
