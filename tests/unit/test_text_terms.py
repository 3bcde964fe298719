"""Terms: normalised words and bigrams, stop words out, markers out, bounded."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from detectors.text.terms import MAX_TERMS, extract_terms, stop_words
from detectors.text.tokens import tokenize


def terms(text: str, lang: str) -> tuple[str, ...]:
    return extract_terms(tokenize(text), lang)


def test_negated_bigram_and_content_words() -> None:
    got = terms("Verkkopankki ei toimi taas", "fi")
    assert "ei toimi" in got
    assert "verkkopankki" in got
    assert "ei" not in got
    assert "taas" not in got


def test_handles_links_numbers_and_emoji_are_dropped() -> None:
    got = terms("@nordbank outage since 8 https://t.co/x 😡 #down", "en")
    assert got == ("outage", "down")


def test_punctuation_breaks_bigrams() -> None:
    assert "app payment" not in terms("the app, payment failed", "en")
    assert "payment failed" in terms("the app, payment failed", "en")


def test_stop_words_per_language_and_union_for_others() -> None:
    assert "och" in stop_words("sv")
    assert "och" not in stop_words("fi")
    assert {"och", "ja", "the"} <= stop_words("und")


def test_no_repeats_and_at_most_the_limit() -> None:
    text = " ".join(f"sana{chr(97 + i)}" for i in range(20)) + " sanaa sanaa"
    got = terms(text, "fi")
    assert len(got) == MAX_TERMS
    assert len(set(got)) == len(got)
    assert extract_terms(tokenize(text), "fi", limit=3) == got[:3]


@given(st.text(max_size=200), st.sampled_from(["fi", "en", "sv", "und"]))
def test_terms_are_lowercase_words(text: str, lang: str) -> None:
    got = extract_terms(tokenize(text), lang)
    assert len(got) <= MAX_TERMS
    for t in got:
        assert t == t.lower()
        assert not t.startswith(("@", "<", "#"))
