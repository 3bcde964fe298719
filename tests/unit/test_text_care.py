"""The care layer (issue 17): complaint / praise patterns and the second stage of sentiment.

Examples here are written for the tests; none comes from the evaluation set of tests/data/eval.
"""

from __future__ import annotations

import pytest

from detectors.text.care import COMPLAINTS, FAMILIES, care_features
from detectors.text.sentiment import default_model
from detectors.text.tokens import tokenize


def feats(text: str, lang: str) -> set[str]:
    return {k.split(":", 1)[1] for k in care_features(tokenize(text), lang, text)}


@pytest.mark.parametrize(
    ("lang", "text", "family"),
    [
        ("fi", "odotin puhelinjonossa 70 min", "wait"),
        ("fi", "veloititte mua kahteen kertaan", "billing"),
        ("fi", "lähetys on kadonnut jonnekin", "delivery"),
        ("fi", "iltajuna peruttiin taas", "cancel"),
        ("fi", "mobiilisovellus ei toimi", "access"),
        ("fi", "kuka tästä oikein vastaa?", "question"),
        ("fi", "neljättä kertaa sama vika", "again"),
        ("fi", "palvelu pelasi ja kaikki hoitui heti", "praise"),
        ("fi", "sovellus ei ole kaatunut kertaakaan", "nofail"),
        ("fi", "miten vaihdan PIN-koodin?", "howto"),
        ("en", "on hold for 80 minutes now", "wait"),
        ("en", "still no refund, who do I talk to?", "question"),
        ("en", "package marked delivered but missing", "delivery"),
        ("en", "never had a dropped call with them", "nofail"),
        ("en", "how do I reset my PIN?", "howto"),
        ("sv", "debiterade mig dubbelt i maj", "billing"),
        ("sv", "inställt igen, tredje gången", "cancel"),
        ("sv", "hur byter jag pinkod?", "howto"),
    ],
)
def test_families_are_found(lang: str, text: str, family: str) -> None:
    assert family in feats(text, lang)


def test_sarcasm_is_praise_words_with_a_complaint_and_no_fix() -> None:
    assert "sarcasm" in feats("ihanaa, lasku taas kahteen kertaan", "fi")
    assert "sarcasm" in feats("wonderful, another cancelled flight", "en")
    assert "sarcasm" not in feats("kiitos, vika korjattiin nopeasti", "fi")
    assert "sarcasm" not in feats("jonossa 40 min", "fi")


def test_a_negated_failure_is_no_complaint() -> None:
    got = feats("netti ei ole pätkinyt kertaakaan", "fi")
    assert "nofail" in got
    assert not got & COMPLAINTS


def test_ratings_count_as_praise_from_the_raw_text() -> None:
    assert "praise" in feats("palvelu 5/5", "fi")
    assert "praise" not in feats("palvelu klo 5", "fi")


@pytest.mark.parametrize("text", ["", "   ", "?" * 300, "😡" * 50, "a" * 5000, "ei " * 400])
@pytest.mark.parametrize("lang", ["fi", "en", "sv", "de", "und"])
def test_hostile_input_gives_known_features(text: str, lang: str) -> None:
    names = {k.split(":", 1)[1] for k in care_features(tokenize(text), lang, text)}
    assert names <= set(FAMILIES) | {"many", "sarcasm"}


def test_fast_path_equals_the_feature_map_path() -> None:
    model = default_model()
    assert model.care is not None
    texts = [
        "Jonossa 40 min ja kukaan ei vastaa?? 😡",
        "kiitti nopeesta avusta!",
        "ihanaa, paketti taas kadonnut",
        "How do I change my address?",
        "Tack, allt löst på fem minuter",
        "",
        "ei huono ollenkaan",
    ]
    for text in texts:
        for lang in ("fi", "en", "sv", "de"):
            toks = tokenize(text)
            base, sums = model.first_stage(toks, lang, 0)
            assert model.predict_tokens(toks, lang, 0, text) == model.finish(
                base, toks, lang, text, sums
            )


@pytest.mark.parametrize(
    ("text", "lang", "label"),
    [
        ("odotin puhelinjonossa 70 minuuttia eikä kukaan vastannut", "fi", "negative"),
        ("veloititte mua kahteen kertaan samasta kuusta", "fi", "negative"),
        ("iltajuna peruttiin taas", "fi", "negative"),
        ("paketti tuli jo seuraavana aamuna, kiitos", "fi", "positive"),
        ("sovellus ei ole kaatunut kertaakaan", "fi", "positive"),
        ("miten vaihdan PIN-koodin sovelluksessa?", "fi", "neutral"),
        ("on hold for 80 minutes now", "en", "negative"),
        ("how do I reset my PIN in the app?", "en", "neutral"),
        ("debiterade mig dubbelt i maj", "sv", "negative"),
    ],
)
def test_complaints_without_emotion_words_read_as_care_agents_read_them(
    text: str, lang: str, label: str
) -> None:
    assert default_model().classify(text, lang)[0] == label
