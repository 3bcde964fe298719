"""Sentiment word lists, negators, intensifiers and stemmers per language.

A :class:`Lexicon` merges, in this order (later wins), the AFINN list of the
language, the emoticon list, our emoji cues and our colloquial / customer-care
cues (``data/cues-<lang>.tsv``). Lookups go by exact lowercase form first, then
by Snowball stem, so inflected Finnish forms still find their valence.

Examples
--------
>>> lex = load_lexicon("fi")
>>> lex.valence("surkeeta", stem("fi", "surkeeta")) < 0 < lex.valence("kiitti", "kiit")
True
>>> lex.phrases["ei toimi"] < 0
True
>>> stem("fi", "kirjautumisessa").startswith("kirjautum")
True
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import Stemmer  # PyStemmer: Snowball stemmers, C speed

SENTIMENT_LANGS = ("fi", "en", "sv")

_STEMMER_NAMES = {
    "fi": "finnish",
    "en": "english",
    "sv": "swedish",
    "no": "norwegian",
    "da": "danish",
    "de": "german",
}

NEGATORS: dict[str, frozenset[str]] = {
    "fi": frozenset(
        [
            "ei",
            "en",
            "emme",
            "ette",
            "eivät",
            "eikä",
            "enkä",
            "etkä",
            "emmekä",
            "ettekä",
            "eivätkä",
            "älä",
            "älkää",
            "eipä",
            "emmä",
            "enää",
        ]
    ),
    "en": frozenset(
        [
            "not",
            "no",
            "never",
            "nothing",
            "nobody",
            "none",
            "neither",
            "nor",
            "without",
            "cannot",
            "can't",
            "cant",
            "don't",
            "dont",
            "doesn't",
            "doesnt",
            "didn't",
            "didnt",
            "isn't",
            "isnt",
            "wasn't",
            "wasnt",
            "aren't",
            "arent",
            "won't",
            "wont",
            "wouldn't",
            "wouldnt",
            "couldn't",
            "couldnt",
            "shouldn't",
            "shouldnt",
            "haven't",
            "havent",
            "hasn't",
            "hasnt",
            "hadn't",
            "ain't",
        ]
    ),
    "sv": frozenset(["inte", "ej", "aldrig", "ingen", "inget", "inga", "varken", "utan", "icke"]),
}
INTENSIFIERS: dict[str, frozenset[str]] = {
    "fi": frozenset(
        [
            "tosi",
            "todella",
            "erittäin",
            "aivan",
            "ihan",
            "niin",
            "hyvin",
            "super",
            "mega",
            "täysin",
            "kauhean",
            "tosissaan",
            "älyttömän",
            "hirveen",
            "hirveän",
            "superi",
            "aika",
        ]
    ),
    "en": frozenset(
        [
            "very",
            "really",
            "so",
            "too",
            "extremely",
            "super",
            "totally",
            "absolutely",
            "completely",
            "utterly",
            "incredibly",
            "such",
            "seriously",
        ]
    ),
    "sv": frozenset(
        [
            "väldigt",
            "mycket",
            "jätte",
            "så",
            "riktigt",
            "otroligt",
            "helt",
            "extremt",
            "sjukt",
            "jävligt",
            "super",
            "skitsnabbt",
        ]
    ),
}
CONTRAST = frozenset(
    ["but", "however", "though", "mutta", "kuitenkin", "vaikka", "men", "fast", "dock"]
)
SARCASM_MARKERS = frozenset(["🙄", "😒", "🤦", "🙃", "😑"])
NEGATION_SCOPE = 3  # words after a negator whose valence is flipped
OTHER_LANG = "*"  # stands for every language without word lists or a stemmer: they are alike


def has_word_lists(lang: str) -> bool:
    """True when ``lang`` has word lists, negators or a stemmer of its own."""
    return lang in SENTIMENT_LANGS or lang in _STEMMER_NAMES


@lru_cache(maxsize=16)
def _stemmer(lang: str) -> Stemmer.Stemmer | None:
    name = _STEMMER_NAMES.get(lang)
    return Stemmer.Stemmer(name) if name else None


def stem(lang: str, word: str) -> str:
    """Snowball stem of one lowercase word (the word itself for unknown languages)."""
    s = _stemmer(lang)
    return s.stemWord(word) if s is not None else word


def stem_all(lang: str, words: list[str]) -> list[str]:
    """Stems of a token list, one call into C; unknown languages are left as is."""
    s = _stemmer(lang)
    return list(s.stemWords(words)) if s is not None else list(words)


@dataclass(frozen=True, slots=True)
class Lexicon:
    """Valences (AFINN scale -5..+5) by form, by stem and by 2-3 word phrase."""

    lang: str
    forms: dict[str, float]
    stems: dict[str, float]
    phrases: dict[str, float]
    phrase_starts: frozenset[str]

    def valence(self, form: str, stem: str) -> float:
        """Valence of one token, 0.0 when unknown."""
        v = self.forms.get(form)
        if v is None:
            v = self.stems.get(stem, 0.0)
        return v


def _read_tsv(name: str) -> list[tuple[str, float]]:
    path = resources.files("detectors.text") / "data" / name
    rows: list[tuple[str, float]] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        parts = line.rsplit("\t", 1)
        if len(parts) != 2:
            continue
        try:
            rows.append((parts[0].strip().lower(), float(parts[1])))
        except ValueError:
            continue
    return rows


def _merge(rows: list[tuple[str, float]]) -> dict[str, float]:
    """Average duplicate entries inside one list."""
    acc: dict[str, list[float]] = {}
    for k, v in rows:
        acc.setdefault(k, []).append(v)
    return {k: sum(vs) / len(vs) for k, vs in acc.items()}


@lru_cache(maxsize=16)
def load_lexicon(lang: str) -> Lexicon:
    """The merged lexicon of ``lang``; languages without word lists get emoji and emoticons only."""
    entries: dict[str, float] = {}
    if lang in SENTIMENT_LANGS:
        entries.update(_merge(_read_tsv(f"AFINN-{lang}-165.txt")))
    entries.update(_merge(_read_tsv("AFINN-emoticon-8.txt")))
    entries.update(_merge(_read_tsv("emoji.tsv")))
    if lang in SENTIMENT_LANGS:
        entries.update(_merge(_read_tsv(f"cues-{lang}.tsv")))
    forms = {k: v for k, v in entries.items() if " " not in k}
    phrases = {k: v for k, v in entries.items() if " " in k and len(k.split()) <= 3}
    by_stem: dict[str, list[float]] = {}
    for k, v in forms.items():
        if k[0].isalpha():
            s = stem(lang, k)
            if len(s) >= 3:
                by_stem.setdefault(s, []).append(v)
    stems = {s: sum(vs) / len(vs) for s, vs in by_stem.items()}
    starts = frozenset(k.split(" ", 1)[0] for k in phrases)
    return Lexicon(lang, forms, stems, phrases, starts)
