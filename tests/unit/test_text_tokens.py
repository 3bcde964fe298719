"""Tokeniser: social markers, emoji, punctuation, lowercase."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from detectors.text.tokens import MARKERS, NUM, URL, USER, is_word, tokenize


def test_markers_replace_handles_links_and_numbers() -> None:
    toks = tokenize("@Nordbank see https://t.co/abc www.nordbank.fi 2026 #42")
    assert toks == [USER, "see", URL, URL, NUM, NUM]


def test_hashtag_loses_its_sign_and_words_are_lowercase() -> None:
    assert tokenize("#Outage in HELSINKI") == ["outage", "in", "helsinki"]


def test_emoji_and_emoticons_are_single_tokens() -> None:
    toks = tokenize("hyvä😊👍🏽 :) :-( <3")
    assert toks == ["hyvä", "😊", "👍", ":)", ":-(", "<3"]


def test_repeated_letters_and_punctuation_are_squashed() -> None:
    assert tokenize("Nooooo!!!! whyyy???") == ["noo", "!!", "whyy", "??"]
    assert tokenize("www.example.com") == [URL]


def test_clause_punctuation_becomes_one_boundary_token() -> None:
    assert tokenize("ei toimi, taas...") == ["ei", "toimi", ".", "taas", "."]


def test_is_word() -> None:
    assert is_word("kirjautuminen")
    assert not any(is_word(t) for t in [*MARKERS, "!", ".", "😡", ":("])


@given(st.text(max_size=200))
def test_never_raises_and_gives_nonempty_lowercase_tokens(text: str) -> None:
    for tok in tokenize(text):
        assert tok
        assert tok == tok.lower() or tok in MARKERS
