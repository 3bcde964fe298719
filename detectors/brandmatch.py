"""Which brands a text is about: names, handles, page ids, keywords and exclusions.

Pure: no Kafka, no clock. A source connector asks :meth:`BrandMatcher.match` for
every fetched text and emits one canonical mention per brand it returns.

- **Names and keywords** match on word boundaries, case-insensitively, in their
  Finnish inflected forms too: ``Nordbank`` also matches ``Nordbankin``,
  ``Nordbankille``, ``Nordbankista``, ``Nordbankilla``, ``Nordbank:lle``,
  ``Nordbankkiin``, ``Nordbankinkin``; ``Lumoverkko`` matches ``Lumoverkon`` and
  ``Lumoverkolle`` (consonant gradation); English and Swedish genitives
  (``Nordbank's``, ``Nordbanks``) and hashtags (``#Nordbank``) match as well.
  A compound written together (``Nordbanksovellus``) or a longer word
  (``Nordbankers``) does not. Multi-word names inflect their last word.
- **Handles** (``@nordbank``) match as written in the text, or as the author.
- **Page ids** match when the text was posted on that page (a Facebook page,
  an Instagram account).
- **Exclusions** are phrases whose occurrences hide the name inside them:
  with the exclusion ``Nordbank Arena``, "konsertti Nordbank Arenalla" is not a
  mention of the bank, but "Nordbank kaatui, konsertti Nordbank Arenalla" is.
- One text can be about several brands; the brands come back in configured order.

Examples
--------
>>> m = BrandMatcher([BrandRule("nordbank", names=("Nordbank",), exclusions=("Nordbank Arena",)),
...                   BrandRule("lumoverkko", names=("Lumoverkko",), handles=("@lumo",))])
>>> m.match("Nordbankin sovellus ei toimi, eikä Lumoverkolla ole kenttää")
['nordbank', 'lumoverkko']
>>> m.match("Konsertti Nordbank Arenalla tänään")
[]
>>> m.match("kiitos @Lumo!"), m.match("Nordbanksovellus")
(['lumoverkko'], [])
>>> m.brand_of_author(handle="lumo")
'lumoverkko'
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

# Finnish case endings after the stem (with an optional connecting -i- for a stem that ends in
# a consonant, or a colon for an abbreviation), then optional possessive suffixes and clitics.
_CASES = (
    "n|a|ä|ta|tä|na|nä|ksi|ssa|ssä|sta|stä|lla|llä|lta|ltä|lle|tta|ttä|ine|ineen|in|"
    "an|en|on|un|yn|än|ön|hin|han|hen|hon|hun|hyn|hän|hön|seen|iin|ihin|t|ja|jä|"
    "jen|iden|itten|ista|istä|issa|issä|illa|illä|ilta|iltä|ille|iksi|ina|inä"
)
_POSSESSIVE = "ni|si|mme|nne|nsa|nsä|an|en|än"
_CLITICS = "kin|kaan|kään|han|hän|ko|kö|pa|pä|s"
_FI_SUFFIX = rf"(?:(?::|i|e)?(?:{_CASES})|i)?(?:{_POSSESSIVE})?(?:{_CLITICS})?"
# English and Swedish genitive.
_GENITIVE = r"(?:['’]s|['’]|s)"
_VOWELS = "aeiouyäöå"
_GRADATION = re.compile(r"(kk|pp|tt)([aeiouyäö]+)$")


def _norm(text: str) -> str:
    return unicodedata.normalize("NFC", text).casefold()


def _stems(word: str) -> list[str]:
    """The word and, for a vowel-final word with a double stop, its weak grade (kk -> k)."""
    stems = [word]
    m = _GRADATION.search(word)
    if m and word[-1] in _VOWELS:
        stems.append(word[: m.start()] + m.group(1)[0] + m.group(2))
    if word[-1] not in _VOWELS and word[-1].isalpha():
        stems.append(word + word[-1])  # illative of a foreign name: Nordbankkiin
    return stems


def phrase_pattern(phrase: str) -> str:
    """A regex (no flags) matching ``phrase`` and its inflected forms on word boundaries.

    >>> bool(re.fullmatch(phrase_pattern("Nordbank"), "nordbankista"))
    True
    >>> bool(re.fullmatch(phrase_pattern("Nordbank"), "nordbankers"))
    False
    """
    words = _norm(phrase).split()
    if not words:
        raise ValueError("empty phrase")
    head = r"\s+".join(re.escape(w) for w in words[:-1])
    last = words[-1]
    stems = "|".join(re.escape(s) for s in sorted(_stems(last), key=len, reverse=True))
    body = rf"(?:{stems})(?:{_FI_SUFFIX}|{_GENITIVE})"
    if head:
        body = rf"{head}[\s-]+{body}"
    return rf"(?<![\w]){body}(?![\w])"


def _handle(h: str) -> str:
    return _norm(h).lstrip("@")


@dataclass(frozen=True, slots=True)
class BrandRule:
    """What counts as a mention of one brand. ``brand`` is the canonical key."""

    brand: str
    names: tuple[str, ...] = ()
    handles: tuple[str, ...] = ()
    page_ids: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    exclusions: tuple[str, ...] = ()
    author_ids: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.brand:
            raise ValueError("brand: empty name")
        if not (self.names or self.handles or self.page_ids or self.keywords):
            raise ValueError(f"brand {self.brand}: needs a name, handle, page id or keyword")
        for p in (*self.names, *self.keywords, *self.exclusions):
            if not p.strip():
                raise ValueError(f"brand {self.brand}: empty phrase")


class BrandMatcher:
    """Match texts against a list of :class:`BrandRule`."""

    def __init__(self, rules: Sequence[BrandRule]) -> None:
        seen: set[str] = set()
        for r in rules:
            if r.brand in seen:
                raise ValueError(f"brand {r.brand}: configured twice")
            seen.add(r.brand)
        self.rules = tuple(rules)
        self._compiled: list[tuple[str, re.Pattern[str] | None, re.Pattern[str] | None]] = []
        for r in self.rules:
            terms = [phrase_pattern(p) for p in (*r.names, *r.keywords)]
            terms += [rf"(?<![\w@])@{re.escape(_handle(h))}(?![\w])" for h in r.handles]
            pat = re.compile("|".join(terms)) if terms else None
            exc = (
                re.compile("|".join(phrase_pattern(p) for p in r.exclusions))
                if r.exclusions
                else None
            )
            self._compiled.append((r.brand, pat, exc))
        self._pages = {p: r.brand for r in self.rules for p in r.page_ids}
        self._handles = {_handle(h): r.brand for r in self.rules for h in r.handles}
        self._authors = {a: r.brand for r in self.rules for a in r.author_ids}
        self.brands = tuple(r.brand for r in self.rules)

    def match(self, text: str, *, page_ids: Iterable[str] = ()) -> list[str]:
        """Brands ``text`` is about (configured order); ``page_ids``: where it was posted."""
        t = _norm(text)
        on_page = {self._pages[p] for p in page_ids if p in self._pages}
        out: list[str] = []
        for brand, pat, exc in self._compiled:
            if brand in on_page:
                out.append(brand)
                continue
            if pat is None:
                continue
            hidden = [m.span() for m in exc.finditer(t)] if exc is not None else []
            for m in pat.finditer(t):
                a, b = m.span()
                if not any(x <= a and b <= y for x, y in hidden):
                    out.append(brand)
                    break
        return out

    def brand_of_author(
        self, *, handle: str | None = None, author_id: str | None = None
    ) -> str | None:
        """The brand whose own account this is (its handle, page id or author id), if any."""
        if author_id is not None:
            if author_id in self._authors:
                return self._authors[author_id]
            if author_id in self._pages:
                return self._pages[author_id]
        if handle is not None:
            return self._handles.get(_handle(handle))
        return None
