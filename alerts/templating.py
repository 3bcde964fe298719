"""Jinja2 sandbox and language helpers for status-update templates.

Templates are plain text (no HTML escaping) rendered in a
:class:`~jinja2.sandbox.SandboxedEnvironment` with
:class:`~jinja2.StrictUndefined`: a variable the facts do not provide is an
error, never an empty string.

Language conventions (chosen once, used everywhere):

=====  ====================  ==============  ===========================
lang   time                  date            list
=====  ====================  ==============  ===========================
fi     ``klo 14.30``         ``24.11.2026``  ``a, b ja c``
sv     ``kl. 14.30``         ``24.11.2026``  ``a, b och c``
en     ``14:30 EET``         ``24 November 2026``  ``a, b and c``
=====  ====================  ==============  ===========================

Finnish nouns (brands, services) travel as :class:`Forms`, one field per case,
so a template writes ``{{ brand.genitive }} {{ service.inessive }}`` and gets
"Nordbankin verkkopankissa". :func:`finnish_forms` inflects a name that has no
configured table by rule (loan-word style: ``Nordbank`` -> ``Nordbankin``,
``Telia`` -> ``Teliassa``, ``DNA`` -> ``DNA:han``); a table in the deployment
config always wins.

Examples
--------
>>> from datetime import datetime, timezone
>>> from zoneinfo import ZoneInfo
>>> t = datetime(2026, 11, 24, 12, 30, tzinfo=timezone.utc).astimezone(ZoneInfo("Europe/Helsinki"))
>>> clock(t, "fi"), clock(t, "sv"), clock(t, "en")
('klo 14.30', 'kl. 14.30', '14:30 EET')
>>> date(t, "fi"), date(t, "en")
('24.11.2026', '24 November 2026')
>>> f = finnish_forms("Nordbank")
>>> f.genitive, f.inessive, f.elative, f.illative
('Nordbankin', 'Nordbankissa', 'Nordbankista', 'Nordbankiin')
>>> finnish_forms("DNA").illative, finnish_forms("OP").adessive
('DNA:han', 'OP:llä')
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields, replace
from datetime import datetime
from typing import Any

from jinja2 import StrictUndefined, pass_context
from jinja2.bccache import Bucket, BytecodeCache
from jinja2.runtime import Context
from jinja2.sandbox import SandboxedEnvironment

LANGS = ("fi", "en", "sv")
FI_CASES = (
    "nominative",
    "genitive",
    "partitive",
    "inessive",
    "elative",
    "illative",
    "adessive",
    "ablative",
    "allative",
)
_EN_MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip
_CONJUNCTION = {"fi": "ja", "sv": "och", "en": "and"}


@dataclass(frozen=True, slots=True)
class Forms:
    """A noun phrase in the forms a template may ask for.

    Finnish uses the case fields; Swedish uses ``nominative`` (indefinite, as
    after a genitive: "Nordbanks nätbank"), ``definite`` ("nätbanken") and
    ``genitive``; English uses ``nominative`` and ``genitive``. Fields a
    language does not distinguish hold the nominative.
    """

    nominative: str
    genitive: str
    partitive: str
    inessive: str
    elative: str
    illative: str
    adessive: str
    ablative: str
    allative: str
    definite: str

    def __str__(self) -> str:
        return self.nominative

    @classmethod
    def plain(cls, text: str) -> Forms:
        """Every form the same (a word that does not inflect)."""
        return cls(*([text] * len(fields(cls))))

    @classmethod
    def from_mapping(cls, base: Forms, overrides: Mapping[str, str]) -> Forms:
        """``base`` with the fields named in ``overrides`` replaced.

        Raises ValueError on an unknown form name.
        """
        known = {f.name for f in fields(cls)}
        bad = sorted(set(overrides) - known)
        if bad:
            raise ValueError(f"unknown form name(s) {bad}; known: {sorted(known)}")
        return replace(base, **{k: str(v) for k, v in overrides.items()})


# --- Finnish inflection by rule -------------------------------------------------

_VOWELS = "aeiouyäöå"
_BACK = "aou"
_FRONT = "äöy"
_DIPHTHONG_ENDS = ("ai", "ei", "oi", "ui", "yi", "äi", "öi", "au", "eu", "ou", "iu", "ey",
                   "äy", "öy", "iy", "ie", "uo", "yö")  # fmt: skip
# How a capital letter is read aloud in Finnish, for abbreviations (DNA -> "dee-än-aa").
_LETTER_SOUND = {
    "A": "aa", "B": "bee", "C": "see", "D": "dee", "E": "ee", "F": "äf", "G": "gee",
    "H": "hoo", "I": "ii", "J": "jii", "K": "koo", "L": "äl", "M": "äm", "N": "än",
    "O": "oo", "P": "pee", "Q": "kuu", "R": "är", "S": "äs", "T": "tee", "U": "uu",
    "V": "vee", "W": "vee", "X": "äks", "Y": "yy", "Z": "tset", "Å": "oo", "Ä": "ää",
    "Ö": "öö",
}  # fmt: skip


def _is_back(word: str) -> bool:
    """Vowel harmony by the last harmonic vowel (a/o/u back, ä/ö/y front)."""
    for ch in reversed(word.lower()):
        if ch in _BACK:
            return True
        if ch in _FRONT:
            return False
    return False


def _endings(stem_sound: str, back: bool) -> dict[str, str]:
    """Case endings after a stem (as pronounced) that ends in a vowel."""
    a = "a" if back else "ä"
    last = stem_sound[-1]
    long_end = stem_sound[-2:] in _DIPHTHONG_ENDS or (
        len(stem_sound) >= 2 and stem_sound[-1] == stem_sound[-2]
    )
    return {
        "genitive": "n",
        "partitive": f"t{a}" if long_end else a,
        "inessive": f"ss{a}",
        "elative": f"st{a}",
        "illative": f"h{last}n" if long_end else f"{last}n",
        "adessive": f"ll{a}",
        "ablative": f"lt{a}",
        "allative": "lle",
    }


def finnish_forms(name: str) -> Forms:
    """Inflect a brand or product name in Finnish by rule.

    Only the last word inflects ("Danske Bank" -> "Danske Bankin"). An
    all-capital abbreviation takes a colon and endings by how its last letter
    is read ("OP:ssa" is wrong, "OP:ssä" right: "pee"). A name ending in a
    consonant takes a linking ``i`` (``Nordbank`` -> ``Nordbankin``). Consonant
    gradation is not attempted ("S-Pankki"), nor acronyms read as words ("KELA":
    "Kelaan", not "KELA:han"): configure their tables.

    >>> finnish_forms("Telia").illative, finnish_forms("Telia").partitive
    ('Teliaan', 'Teliaa')
    >>> finnish_forms("Danske Bank").inessive
    'Danske Bankissa'
    >>> finnish_forms("Elisa").adessive
    'Elisalla'
    """
    name = " ".join(name.split())
    if not name:
        return Forms.plain(name)
    last = name.split(" ")[-1]
    letters = re.sub(r"[^A-Za-zÅÄÖåäö]", "", last)
    if not letters:  # digits or symbols only: colon form with a neutral ending
        return _colon_forms(name, "ee")
    if len(letters) >= 2 and letters.isupper() and len(letters) <= 5:
        return _colon_forms(name, _LETTER_SOUND.get(letters[-1], "ee"))
    low = last.lower()
    if low[-1] in _VOWELS:
        stem, sound = name, low
    else:
        stem, sound = name + "i", low + "i"
    ends = _endings(sound, _is_back(low))
    forms = {case: stem + end for case, end in ends.items()}
    return Forms(nominative=name, definite=name, **forms)


def _colon_forms(name: str, sound: str) -> Forms:
    link = ""
    if sound[-1] not in _VOWELS:  # "äl", "äks", "tset": HSL:ään, HSL:ää (ällään, ällää)
        link = "i" if sound == "tset" else "ä"
    ends = _endings(sound + link, _is_back(sound + link))
    ends["illative"] = link + ends["illative"]
    ends["partitive"] = link + ends["partitive"]
    forms = {case: f"{name}:{end}" for case, end in ends.items()}
    return Forms(nominative=name, definite=name, **forms)


def swedish_forms(name: str, definite: str | None = None) -> Forms:
    """Swedish: genitive adds ``s`` unless the name ends in s, x or z.

    >>> swedish_forms("Nordbank").genitive, swedish_forms("Nordbanks").genitive
    ('Nordbanks', 'Nordbanks')
    """
    gen = name if name[-1:].lower() in ("s", "x", "z") else name + "s"
    return replace(Forms.plain(name), genitive=gen, definite=definite or name)


def english_forms(name: str) -> Forms:
    """English: ``Nordbank's``; a name ending in s takes a bare apostrophe."""
    gen = name + "'" if name.endswith("s") else name + "'s"
    return replace(Forms.plain(name), genitive=gen)


def forms_by_rule(name: str, lang: str) -> Forms:
    """The rule-based forms of ``name`` in ``lang`` (fi, sv or en)."""
    if lang == "fi":
        return finnish_forms(name)
    if lang == "sv":
        return swedish_forms(name)
    return english_forms(name)


# --- dates, times, lists ---------------------------------------------------------


def clock(dt: datetime, lang: str) -> str:
    """Time of day with its word: "klo 14.30", "kl. 14.30", "14:30 EET".

    ``dt`` must already be in the deployment's time zone.
    """
    if lang == "fi":
        return f"klo {dt.hour}.{dt.minute:02d}"
    if lang == "sv":
        return f"kl. {dt.hour}.{dt.minute:02d}"
    zone = dt.tzname() or "UTC"
    return f"{dt.hour:02d}:{dt.minute:02d} {zone}"


def date(dt: datetime, lang: str) -> str:
    """Calendar date: "24.11.2026" (fi, sv) or "24 November 2026" (en)."""
    if lang == "en":
        return f"{dt.day} {_EN_MONTHS[dt.month - 1]} {dt.year}"
    return f"{dt.day}.{dt.month}.{dt.year}"


def when(dt: datetime, now: datetime, lang: str) -> str:
    """Time of day, with the date in front only when it is not ``now``'s day.

    >>> from datetime import timedelta, timezone
    >>> now = datetime(2026, 11, 24, 14, 0, tzinfo=timezone.utc)
    >>> when(now, now, "fi"), when(now - timedelta(days=1), now, "fi")
    ('klo 14.00', '23.11.2026 klo 14.00')
    >>> when(now - timedelta(days=1), now, "en")
    '14:00 UTC on 23 November 2026'
    """
    if dt.date() == now.astimezone(dt.tzinfo).date():
        return clock(dt, lang)
    if lang == "en":
        return f"{clock(dt, lang)} on {date(dt, lang)}"
    return f"{date(dt, lang)} {clock(dt, lang)}"


def join_list(items: Iterable[object], lang: str) -> str:
    """ "a, b ja c" / "a, b och c" / "a, b and c"."""
    words = [str(i) for i in items if str(i)]
    if len(words) <= 1:
        return "".join(words)
    return f"{', '.join(words[:-1])} {_CONJUNCTION.get(lang, 'and')} {words[-1]}"


# --- the environment ---------------------------------------------------------------


def _lang(ctx: Context) -> str:
    lang = ctx.get("lang")
    if lang not in LANGS:
        raise ValueError(f"template context has no valid 'lang' (got {lang!r})")
    return str(lang)


@pass_context
def _clock_filter(ctx: Context, dt: datetime) -> str:
    return clock(dt, _lang(ctx))


@pass_context
def _date_filter(ctx: Context, dt: datetime) -> str:
    return date(dt, _lang(ctx))


@pass_context
def _when_filter(ctx: Context, dt: datetime) -> str:
    now = ctx.get("now")
    if not isinstance(now, datetime):
        raise ValueError("template context has no 'now' datetime")
    return when(dt, now, _lang(ctx))


@pass_context
def _join_list_filter(ctx: Context, items: Iterable[object]) -> str:
    return join_list(items, _lang(ctx))


class _MemoryBytecodeCache(BytecodeCache):
    """Compiled templates kept in memory, keyed by name and checked by source hash,
    so a second library (a test's copy, a reload) does not compile them again."""

    def __init__(self) -> None:
        self._store: dict[str, bytes] = {}

    def load_bytecode(self, bucket: Bucket) -> None:
        data = self._store.get(bucket.key)
        if data is not None:
            bucket.bytecode_from_string(data)

    def dump_bytecode(self, bucket: Bucket) -> None:
        self._store[bucket.key] = bucket.bytecode_to_string()


_BYTECODE = _MemoryBytecodeCache()


def make_environment(loader: Any = None) -> SandboxedEnvironment:
    """A sandboxed, strict, plain-text environment with the language filters.

    Filters read ``lang`` (and ``now`` for ``when``) from the render context:
    ``{{ started_at|when }}``, ``{{ next_update_at|clock }}``,
    ``{{ started_at|date }}``, ``{{ channels|join_list }}``.

    >>> env = make_environment()
    >>> env.from_string("{{ x }}").render()
    Traceback (most recent call last):
    ...
    jinja2.exceptions.UndefinedError: 'x' is undefined
    """
    env = SandboxedEnvironment(
        loader=loader,
        undefined=StrictUndefined,
        autoescape=False,  # plain text; Slack escaping happens in status_blocks
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
        auto_reload=False,
        bytecode_cache=_BYTECODE,
    )
    env.filters.update(
        clock=_clock_filter,
        date=_date_filter,
        when=_when_filter,
        join_list=_join_list_filter,
    )
    return env


def tidy(text: str) -> str:
    """Lines of a paragraph joined by one space; paragraphs by a blank line.

    Templates keep one sentence per line for review; the published text does
    not carry those line breaks.

    >>> tidy("  A.\\n B.\\n\\n\\n\\n C. ")
    'A. B.\\n\\nC.'
    """
    paragraphs = []
    for block in re.split(r"\n\s*\n", text):
        joined = " ".join(line.strip() for line in block.splitlines() if line.strip())
        if joined:
            paragraphs.append(re.sub(r"[ \t]+", " ", joined))
    return "\n\n".join(paragraphs)
