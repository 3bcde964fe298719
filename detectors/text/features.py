"""Sentiment features shared by training and inference: one function, one truth.

Features are string keys with float values, so the exported model is a plain
``{feature: [w_neg, w_neu, w_pos]}`` map and inference needs no library:

- ``w:<stem>`` a word stem, ``n:<stem>`` the same inside a negation scope
  (up to three words after a negator, ended by punctuation or "but"),
- ``b:<stem>|<stem>`` a bigram of stems, ``c:<4 letters>`` the character
  4-grams of each word with ``<``/``>`` at its ends (Finnish morphology and
  colloquial spelling; only when ``chars`` is on),
- lexicon sums (AFINN scale / 4): ``L+``/``L-`` outside negation, ``N+``/``N-``
  inside it, ``LS`` the signed total with negated valences flipped and halved,
  intensified valences counted 1.5 times; ``E+``/``E-`` emoji and emoticons,
- ``!``, ``?``, ``neg`` (a negator present), ``caps`` (shouted words),
- sarcasm: beside an eye-roll or similar marker (🙄 😒 🤦 🙃 😑) positive
  words count as negative ones and ``sarc`` is set ("Upeeta, taas nurin 🙄").

Keys without a ``:`` are language-independent: the universal model (used for
Swedish and for languages without training data) reads only those.

This function is the definition (training uses it); inference goes through
:mod:`detectors.text.scorer`, which computes the same sum of weights without
building the map. Change both together: a test holds them equal.

Examples
--------
>>> from detectors.text.tokens import tokenize
>>> f = sentiment_features(tokenize("Ei ollut huono, kiitti!"), "fi")
>>> f["N-"] > 0 and f["L+"] > 0 and f["neg"] == 1.0
True
>>> "n:huono" in f and "w:huono" not in f
True
>>> g = sentiment_features(tokenize("Fantastic, down again 🙄"), "en")
>>> "L+" in g, g["sarc"], g["LS"] < 0
(False, 1.0, True)
>>> sentiment_features([], "en")
{}
"""

from __future__ import annotations

from detectors.text.lexicon import (
    CONTRAST,
    INTENSIFIERS,
    NEGATION_SCOPE,
    NEGATORS,
    SARCASM_MARKERS,
    load_lexicon,
    stem_all,
)
from detectors.text.tokens import MARKERS

_EMPTY: frozenset[str] = frozenset()
BOUNDARY = frozenset((".", "!", "?", "!!", "??", "?!", "!?"))  # tokens that end a clause


def sentiment_features(
    tokens: list[str],
    lang: str,
    *,
    stems: list[str] | None = None,
    caps: int = 0,
    words: bool = True,
    chars: bool = False,
) -> dict[str, float]:
    """Feature map of one tokenised text (see module docstring).

    ``stems`` may be passed when the caller already stemmed ``tokens``;
    ``caps`` is the number of shouted words in the raw text; ``words=False``
    skips the word, bigram and character features (the universal model needs none).
    """
    if not tokens:
        return {}
    if stems is None:
        stems = stem_all(lang, tokens)
    lex = load_lexicon(lang)
    negators = NEGATORS.get(lang, _EMPTY)
    intensifiers = INTENSIFIERS.get(lang, _EMPTY)
    forms, lex_stems, phrases, starts = lex.forms, lex.stems, lex.phrases, lex.phrase_starts
    f: dict[str, float] = {}
    lp = ln = np_ = nn = ls = ep = en = 0.0
    scope = 0
    boost = 1.0
    skip = 0
    prev = ""
    n = len(tokens)
    for i in range(n):
        tok = tokens[i]
        st = stems[i]
        if tok in BOUNDARY or tok in CONTRAST:
            scope = 0
            if tok[0] == "!":
                f["!"] = 1.0
            elif tok[0] == "?":
                f["?"] = 1.0
            prev = ""
            continue
        if tok in MARKERS:
            prev = ""
            continue
        negated = scope > 0
        if words:
            key = ("n:" if negated else "w:") + st
            f[key] = 1.0
            if prev:
                f["b:" + prev + "|" + st] = 1.0
            if chars and tok[0].isalpha():
                w = "<" + tok + ">"
                for j in range(len(w) - 3):
                    f["c:" + w[j : j + 4]] = 1.0
        prev = st
        if tok in negators:
            f["neg"] = 1.0
            scope = NEGATION_SCOPE + 1
            v = 0.0
        # valence: a phrase starting here wins over its single words
        if skip:
            skip -= 1
            v = 0.0
        elif tok in starts and i + 1 < n:
            two = tok + " " + tokens[i + 1]
            v3 = phrases.get(two + " " + tokens[i + 2]) if i + 2 < n else None
            if v3 is not None:
                v, skip, negated = v3, 2, False
            elif two in phrases:
                v, skip, negated = phrases[two], 1, False
            else:
                v = forms.get(tok) or lex_stems.get(st, 0.0)
        else:
            known = forms.get(tok)
            fallback = lex_stems.get(st, 0.0) if tok[0].isalpha() else 0.0
            v = known if known is not None else fallback
        if tok in negators:
            if skip:
                scope = 0  # a negated phrase ("ei toimi") carries its own valence
            else:
                v = 0.0
        if v:
            v *= boost
            if not tok[0].isalnum():
                if v > 0:
                    ep += v
                else:
                    en -= v
            elif negated:
                if v > 0:
                    np_ += v
                else:
                    nn -= v
                ls -= 0.5 * v
            else:
                if v > 0:
                    lp += v
                else:
                    ln -= v
                ls += v
        boost = 1.5 if tok in intensifiers else 1.0
        if scope:
            scope -= 1
    if lp and not SARCASM_MARKERS.isdisjoint(tokens):
        f["sarc"] = 1.0
        ln += lp
        ls -= 2.0 * lp
        lp = 0.0
    for name, value in (("L+", lp), ("L-", ln), ("N+", np_), ("N-", nn), ("E+", ep), ("E-", en)):
        if value:
            f[name] = value / 4.0
    if ls:
        f["LS"] = ls / 4.0
    if caps:
        f["caps"] = float(min(caps, 3))
    return f
