"""`spikewatch sentiment` core: one JSON-ready dict per input line."""

from __future__ import annotations

import json

import pytest

from detectors.text.cli import sentiment_lines


def test_auto_language_and_labels() -> None:
    out = list(
        sentiment_lines(
            ["Kiitti nopeesta avusta!\n", "This app is useless 😡\n", "Appen funkar inte"]
        )
    )
    assert [o["lang"] for o in out] == ["fi", "en", "sv"]
    assert [o["label"] for o in out] == ["positive", "negative", "negative"]
    for o in out:
        assert set(o) == {"lang", "label", "score"}
        assert -1.0 <= o["score"] <= 1.0
        json.dumps(o)


def test_fixed_language_is_used_as_given() -> None:
    out = list(sentiment_lines(["The app is down"], lang="fi"))
    assert out[0]["lang"] == "fi"


def test_empty_lines_are_neutral_and_lazy() -> None:
    gen = sentiment_lines(iter(["", "\n"]))
    assert [o["label"] for o in gen] == ["neutral", "neutral"]


def test_bad_lang_argument() -> None:
    with pytest.raises(ValueError, match="lang"):
        list(sentiment_lines(["x"], lang=""))
