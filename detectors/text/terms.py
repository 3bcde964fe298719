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
_OTHER, _STOP, _LEADING_STOP, _WORD, _LETTER = 1, 2, 3, 4, 5  # token kinds, see _kind
_KINDS_MAX = 50_000  # tokens remembered per language
_kinds: dict[str, dict[str, int]] = {}  # "" stands for every language without lists


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


def _kind(lang: str, tok: str) -> int:
    """What ``tok`` is to :func:`extract_terms` in ``lang`` (then remembered)."""
    kinds = _kinds.setdefault(lang if lang in _STOP_LANGS else "", {})
    if not tok[0].isalpha() or tok in MARKERS:
        kind = _OTHER
    elif tok in stop_words(lang):
        negators = NEGATORS.get(lang) or frozenset().union(*NEGATORS.values())
        kind = _LEADING_STOP if tok in negators else _STOP
    else:
        kind = _WORD if len(tok) > 1 else _LETTER
    if len(kinds) >= _KINDS_MAX:
        kinds.clear()
    kinds[tok] = kind
    return kind


def extract_terms(tokens: list[str], lang: str, *, limit: int = MAX_TERMS) -> tuple[str, ...]:
    """Terms of one tokenised text (see module docstring)."""
    if limit <= 0:
        return ()
    get = _kinds.setdefault(lang if lang in _STOP_LANGS else "", {}).get
    out: dict[str, None] = {}
    prev = ""
    leads = False  # the previous token is a word that may start a bigram
    for tok in tokens:
        kind = get(tok) or _kind(lang, tok)
        if kind == _OTHER:  # punctuation, a marker, an emoji: no bigram across it
            leads = False
            continue
        if kind >= _WORD:
            if leads:
                out[prev + " " + tok] = None
            if kind == _WORD:
                out[tok] = None
            if len(out) >= limit:
                break
        prev = tok
        leads = kind != _STOP
    return tuple(out)[:limit]
