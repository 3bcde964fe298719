"""Topic taxonomy: a YAML file per deployment, matched against lowercase tokens.

A pattern is one or more words; ``word*`` matches any word starting with
``word`` (so ``kirjau*`` catches kirjautuminen, kirjautumaan, kirjautumisessa),
other words match exactly, and the words of one pattern must follow each other.
English patterns are tried on every text (loanwords such as "login" are common
in Finnish and Swedish posts); texts in other languages try every language.

Examples
--------
>>> from detectors.text.tokens import tokenize
>>> tax = load_topics()
>>> tax.match(tokenize("Mä en pääse taas kirjautumaan verkkopankkiin"), "fi")
('login',)
>>> tax.match(tokenize("Kirjautumisessa ongelmia, ei toimi"), "fi")
('login', 'outage')
>>> tax.match(tokenize("Kan inte logga in, BankID funkar inte"), "sv")
('login', 'outage')
>>> tax.match([], "en")
()
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

TOPIC_IDS = (
    "login",
    "outage",
    "queue",
    "cancellation",
    "billing",
    "delivery",
    "service",
    "question",
    "praise",
)
_SHARED_LANG = "en"

# one word of a pattern: (text, is_prefix)
_Word = tuple[str, bool]
# a candidate started by one word: (topic index, the remaining words)
_Entry = tuple[int, tuple[_Word, ...]]


_CACHE_MAX = 50_000  # tokens remembered per language (Zipf: most lookups hit)
_NONE: tuple[_Entry, ...] = ()


@dataclass(frozen=True, slots=True)
class _Index:
    exact: dict[str, list[_Entry]]
    prefix: dict[str, list[_Entry]]
    prefix_lengths: tuple[int, ...]

    def candidates(self, tok: str) -> list[_Entry]:
        """Every pattern whose first word matches ``tok``."""
        found: list[_Entry] = list(self.exact.get(tok, ()))
        lt = len(tok)
        for k in self.prefix_lengths:
            if k > lt:
                break
            more = self.prefix.get(tok[:k])
            if more is not None:
                found.extend(more)
        return found


def _word_matches(token: str, word: _Word) -> bool:
    text, is_prefix = word
    return token.startswith(text) if is_prefix else token == text


def _parse_pattern(raw: str) -> tuple[_Word, ...]:
    words = raw.lower().split()
    if not words:
        raise ValueError("empty topic pattern")
    out: list[_Word] = []
    for w in words:
        if w.endswith("*"):
            stem = w.rstrip("*")
            if len(stem) < 2 or "*" in stem:
                raise ValueError(f"bad topic pattern {raw!r}: prefix too short or '*' inside")
            out.append((stem, True))
        else:
            if "*" in w:
                raise ValueError(f"bad topic pattern {raw!r}: '*' only at the end of a word")
            out.append((w, False))
    return tuple(out)


class Taxonomy:
    """Topics with per-language patterns; :meth:`match` returns topic ids in taxonomy order."""

    def __init__(self, topics: Mapping[str, Mapping[str, Any]]) -> None:
        if not topics:
            raise ValueError("a taxonomy needs at least one topic")
        self.topics: tuple[str, ...] = tuple(str(t) for t in topics)
        self.labels: dict[str, str] = {}
        self.kinds: dict[str, str] = {}
        self._index: dict[str, _Index] = {}
        building: dict[str, tuple[dict[str, list[_Entry]], dict[str, list[_Entry]]]] = {}
        for ti, (tid, spec) in enumerate(topics.items()):
            if not isinstance(spec, Mapping):
                raise ValueError(f"topic {tid!r} must be a mapping")
            self.labels[str(tid)] = str(spec.get("label", tid))
            self.kinds[str(tid)] = str(spec.get("kind", "complaint"))
            for lang, patterns in spec.items():
                if lang in ("label", "kind"):
                    continue
                if not isinstance(patterns, list):
                    raise ValueError(f"topic {tid!r}, {lang!r}: patterns must be a list")
                exact, prefix = building.setdefault(str(lang), ({}, {}))
                for raw in patterns:
                    words = _parse_pattern(str(raw))
                    (first, is_prefix), rest = words[0], words[1:]
                    target = prefix if is_prefix else exact
                    target.setdefault(first, []).append((ti, rest))
        for lang, (exact, prefix) in building.items():
            lengths = tuple(sorted({len(k) for k in prefix}))
            self._index[lang] = _Index(exact, prefix, lengths)
        self.languages: tuple[str, ...] = tuple(self._index)
        # per language (None: any without patterns of its own): token -> patterns it may start
        self._cache: dict[str | None, dict[str, tuple[_Entry, ...]]] = {}

    def _indexes(self, lang: str) -> list[_Index]:
        own = self._index.get(lang)
        if own is None:
            return list(self._index.values())
        shared = self._index.get(_SHARED_LANG)
        return [own] if shared is None or shared is own else [own, shared]

    def _candidates(
        self, lang: str, cache: dict[str, tuple[_Entry, ...]], tok: str
    ) -> tuple[_Entry, ...]:
        """Every pattern of ``lang``'s indexes that ``tok`` may start (then remembered)."""
        found = [e for idx in self._indexes(lang) for e in idx.candidates(tok)]
        if len(cache) >= _CACHE_MAX:
            cache.clear()
        out = cache[tok] = tuple(found) if found else _NONE
        return out

    def match(self, tokens: Sequence[str], lang: str) -> tuple[str, ...]:
        """Topic ids whose patterns occur in ``tokens`` (lowercase, from :func:`tokenize`)."""
        if not tokens:
            return ()
        key = lang if lang in self._index else None
        cache = self._cache.get(key)
        if cache is None:
            cache = self._cache[key] = {}
        found: set[int] = set()
        for i, cands in enumerate(map(cache.get, tokens)):
            if cands is None:
                cands = self._candidates(lang, cache, tokens[i])
            if cands:
                self._confirm(cands, tokens, i, found)
        return tuple(self.topics[i] for i in sorted(found)) if found else ()

    @staticmethod
    def _confirm(cands: tuple[_Entry, ...], tokens: Sequence[str], i: int, found: set[int]) -> None:
        for ti, rest in cands:
            if ti in found:
                continue
            if rest:  # the following tokens must match the pattern's other words
                if i + len(rest) >= len(tokens):
                    continue
                for j, word in enumerate(rest, i + 1):
                    if not _word_matches(tokens[j], word):
                        break
                else:
                    found.add(ti)
            else:
                found.add(ti)


def default_topics_path() -> Path:
    """The packaged example taxonomy."""
    return Path(str(resources.files("detectors.text") / "data" / "topics.yaml"))


def load_topics(path: str | Path | None = None) -> Taxonomy:
    """Read a taxonomy YAML (``topics: {id: {label, kind, fi: [...], en: [...], sv: [...]}}``)."""
    p = Path(path) if path is not None else default_topics_path()
    doc = yaml.safe_load(p.read_text(encoding="utf-8"))
    if not isinstance(doc, dict) or not isinstance(doc.get("topics"), dict):
        raise ValueError(f"{p}: expected a mapping with a 'topics' mapping")
    return Taxonomy(doc["topics"])
