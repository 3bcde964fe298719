"""Tokenising short social texts: one regex pass, lowercase, social markers kept.

Handles become ``@user``, links ``<url>``, pure numbers ``<num>``; hashtags lose
their ``#`` (``#outage`` -> ``outage``); emoji and emoticons are single tokens;
runs of ``!``/``?`` are squashed to at most two characters, other clause
punctuation (``.,;``) becomes ``.``; letters repeated
three times or more are squashed to two (``sooo`` -> ``soo``).

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

_EMOJI = (
    "\U0001f000-\U0001faff"  # pictographs, emoticons, transport, supplemental symbols
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
_REPEAT_RE = re.compile(r"([^\W\dw_])\1{2,}")
_SKIN_TONES = frozenset(chr(c) for c in range(0x1F3FB, 0x1F400))


def normalize(text: str) -> str:
    """Lowercase and squash letters repeated three or more times to two."""
    return _REPEAT_RE.sub(r"\1\1", text.lower())


def tokenize(text: str) -> list[str]:
    """Split ``text`` into normalised lowercase tokens (see module docstring)."""
    out: list[str] = []
    append = out.append
    for tok in _TOKEN_RE.findall(normalize(text)):
        c = tok[0]
        if (c == "h" and tok.startswith(("http://", "https://"))) or (
            c == "w" and tok[:4] == "www."
        ):
            append(URL)
        elif c == "@" or c == "＠":
            append(USER)
        elif c == "#":
            tag = tok[1:]
            append(NUM if tag.isdigit() else tag)
        elif c == "!" or c == "?":
            append(tok[:2])
        elif c == "." or c == "," or c == ";":
            append(".")
        elif tok in _SKIN_TONES:
            continue
        elif tok.isdigit():
            append(NUM)
        else:
            append(tok.replace("’", "'"))
    return out


def is_word(token: str) -> bool:
    """True for alphabetic-ish word tokens (not markers, punctuation, emoji or emoticons)."""
    return token[0].isalnum() and token not in MARKERS
