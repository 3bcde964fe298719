"""Tokenising short social texts: one regex pass, lowercase, social markers kept.

Handles become ``@user``, links ``<url>``, pure numbers ``<num>``; hashtags lose
their ``#`` (``#outage`` -> ``outage``); emoji and emoticons are single tokens
(skin-tone modifiers are dropped); runs of ``!``/``?`` are squashed to at most
two characters, other clause punctuation (``.,;``) becomes ``.``; letters repeated
three times or more are squashed to two (``sooo`` -> ``soo``). The normal form
of each raw token is remembered (a bounded cache), so most tokens cost one lookup.

Examples
--------
>>> tokenize("Mä en pääse taas kirjautumaan!!! @Nordbank 😡 https://x.y/z")
['mä', 'en', 'pääse', 'taas', 'kirjautumaan', '!!', '@user', '😡', '<url>']
>>> tokenize("Sooo good, :D #kiitos 123")
['soo', 'good', '.', ':d', 'kiitos', '<num>']
>>> tokenize("")
[]
"""

from __future__ import annotations

import re

USER = "@user"
URL = "<url>"
NUM = "<num>"
MARKERS = frozenset((USER, URL, NUM))

_EMOJI = (  # skin-tone modifiers (U+1F3FB..U+1F3FF) left out: they are dropped
    "\U0001f000-\U0001f3fa\U0001f400-\U0001faff"  # pictographs, emoticons, transport, ...
    "\u2600-\u27bf"  # miscellaneous symbols and dingbats (☹ ☺ ✔ ❤ ...)
    "\u231a-\u23ff\u2b50\u2b55\u203c\u2049"  # watches, hourglasses, stars
)
_TOKEN_RE = re.compile(
    r"https?://\S+|www\.\S+"
    r"|[@＠]\w+"
    r"|#\w+"
    r"|<3|[:;=][\-o'^]?[()\[\]dpsxo/\\|3*{}@$]"
    r"|\w+(?:['’]\w+)*"
    r"|[!?]+|[.,;]+"
    rf"|[{_EMOJI}]"
)
# Letters only, and not "w": "www." must survive to be recognised as a link.
_LETTER_RE = re.compile(r"[^\W\dw_]")
# Any run of three or more equal characters (much cheaper to scan for than
# letter runs alone); the runs of letters among them are squashed.
_RUN_RE = re.compile(r"(.)\1\1+", re.DOTALL)
_CACHE_MAX = 50_000  # distinct raw tokens remembered (links and handles are not kept)
_cache: dict[str, str] = {}


def _squash(m: re.Match[str]) -> str:
    run = m.group()
    return run[:2] if _LETTER_RE.match(run) else run


def normalize(text: str) -> str:
    """Lowercase and squash letters repeated three or more times to two."""
    return _RUN_RE.sub(_squash, text.lower())


def _token(tok: str) -> str:
    """The normal form of one raw token (remembered unless a link or a handle)."""
    c = tok[0]
    if (c == "h" and tok.startswith(("http://", "https://"))) or (c == "w" and tok[:4] == "www."):
        return URL
    if c == "@" or c == "＠":
        return USER
    if c == "#":
        tag = tok[1:]
        out = NUM if tag.isdigit() else tag
    elif c == "!" or c == "?":
        out = tok[:2]
    elif c == "." or c == "," or c == ";":
        out = "."
    elif tok.isdigit():
        out = NUM
    else:
        out = tok.replace("’", "'")
    if len(_cache) >= _CACHE_MAX:
        _cache.clear()
    _cache[tok] = out
    return out


def tokenize(text: str) -> list[str]:
    """Split ``text`` into normalised lowercase tokens (see module docstring)."""
    get = _cache.get
    return [get(tok) or _token(tok) for tok in _TOKEN_RE.findall(normalize(text))]


def is_word(token: str) -> bool:
    """True for alphabetic-ish word tokens (not markers, punctuation, emoji or emoticons)."""
    return token[0].isalnum() and token not in MARKERS
