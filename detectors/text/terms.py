"""Terms for the emerging-term detector: normalised words and short phrases.

Words are lowercase tokens from :func:`tokenize` with handles, links, numbers,
punctuation, emoji and the language's stop words dropped. A bigram joins two
neighbouring words (no punctuation between) when the second is not a stop word
and the first is not one either, or is a negator ("ei toimi", "not working").
Terms keep text order, without repeats, at most ``limit`` of them.

Examples
--------
>>> from detectors.text.tokens import tokenize
>>> extract_terms(tokenize("Verkkopankki ei toimi taas! @nordbank https://t.co/x"), "fi")
('verkkopankki', 'ei toimi', 'toimi')
>>> extract_terms(tokenize("The app is down again"), "en")
('app', 'down')
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

from detectors.text.lexicon import NEGATORS
from detectors.text.tokens import MARKERS

MAX_TERMS = 12
_STOP_LANGS = ("fi", "en", "sv")


@lru_cache(maxsize=8)
def stop_words(lang: str) -> frozenset[str]:
    """The language's stop words; every known list together for other languages."""
    langs = (lang,) if lang in _STOP_LANGS else _STOP_LANGS
    words: set[str] = set()
    for code in langs:
        path = resources.files("detectors.text") / "data" / f"stopwords-{code}.txt"
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.startswith("#"):
                words.update(w.lower() for w in line.split())
    return frozenset(words)


@lru_cache(maxsize=8)
def _negators(lang: str) -> frozenset[str]:
    if lang in NEGATORS:
        return NEGATORS[lang]
    return frozenset().union(*NEGATORS.values())


def extract_terms(tokens: list[str], lang: str, *, limit: int = MAX_TERMS) -> tuple[str, ...]:
    """Terms of one tokenised text (see module docstring)."""
    stops = stop_words(lang)
    negs = _negators(lang)
    out: dict[str, None] = {}
    prev = ""  # previous word token, "" after punctuation or a marker
    for tok in tokens:
        if len(out) >= limit:
            break
        if not tok[0].isalpha() or tok in MARKERS:
            prev = ""
            continue
        stop = tok in stops
        if prev and not stop and (prev not in stops or prev in negs):
            out[prev + " " + tok] = None
        if not stop and len(tok) > 1:
            out[tok] = None
        prev = tok
    return tuple(out)[:limit]
