"""Sentiment of a tokenised text in one pass: the features of :mod:`features` and a model's weights.

:func:`~detectors.text.features.sentiment_features` names every feature with a
string and :meth:`LinearModel.probabilities` looks each name up again; here
what a token contributes is worked out once per token (stem, valence, negator,
weights of its word, negated-word and character features, the bigrams it can
start) and kept in a bounded cache. Feature names are never built per call.

The result is the same to the last bit: weighted features are summed in the
order the feature map would list them, each counted once, then the lexicon
sums, exactly as ``model.predict(sentiment_features(...))`` does
(``tests/unit/test_text_fastpath.py`` holds the two equal). Change the features
in :mod:`features` and here together.

Examples
--------
>>> from detectors.text.features import sentiment_features
>>> from detectors.text.sentiment import default_model
>>> from detectors.text.tokens import tokenize
>>> fi = default_model().model_for("fi")
>>> toks = tokenize("Verkkopankki ei toimi taas, mikä ihme 😡")
>>> label, score = Scorer("fi", fi).predict(toks, caps=0)
>>> label, (label, score) == fi.predict(sentiment_features(toks, "fi", chars=True))
('negative', True)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from detectors.text.features import BOUNDARY
from detectors.text.lexicon import (
    CONTRAST,
    INTENSIFIERS,
    NEGATION_SCOPE,
    NEGATORS,
    SARCASM_MARKERS,
    load_lexicon,
    stem,
)
from detectors.text.tokens import MARKERS

if TYPE_CHECKING:
    from detectors.text.sentiment import LinearModel, PerClass

_FACTS_MAX = 30_000  # tokens remembered per language (up to ~1 KB each: Finnish char weights)
_EMPTY: frozenset[str] = frozenset()
_WORD, _BREAK, _MARKER = 0, 1, 2
_SUMS = ("L+", "L-", "N+", "N-", "E+", "E-", "LS")  # the lexicon sums, in feature-map order
# the sums the care layer reads (lex:<name>)
LAYER_SUMS = ("L+", "L-", "N+", "N-", "LS", "E+", "E-")
Sums = tuple[float, float, float, float, float, float, float]
_NO_SUMS: Sums = (0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0)

# One feature: its name (to count it once) and its weights.
_Entry = tuple[str, "PerClass"]
# A token's part in the lexicon sums: negator, intensifier, starts a phrase,
# valence, valence at a phrase start that is no phrase, first character alphanumeric.
_Lex = tuple[bool, bool, bool, float, float, bool]
_PLAIN: _Lex = (False, False, False, 0.0, 0.0, True)  # most tokens: no part at all
# What a token contributes: kind, stem, word entry, negated-word entry,
# character entries, the bigrams it starts, its clause-break mark, its _Lex
# (None when _PLAIN).
_Facts = tuple[
    int,
    str,
    _Entry | None,
    _Entry | None,
    "dict[str, PerClass] | None",
    "dict[str, _Entry] | None",
    _Entry | None,
    _Lex | None,
]


class Scorer:
    """One language's sentiment through one :class:`LinearModel`, per-token work cached."""

    def __init__(self, lang: str, model: LinearModel) -> None:
        self.lang = lang
        self.model = model
        self.lexicon = load_lexicon(lang)
        self.negators = NEGATORS.get(lang, _EMPTY)
        self.intensifiers = INTENSIFIERS.get(lang, _EMPTY)
        self.facts: dict[str, _Facts] = {}
        w = model.weights
        self._flags: dict[str, _Entry] = {k: (k, w[k]) for k in ("!", "?", "neg", "sarc") if k in w}
        self._sums = tuple(w.get(k) for k in _SUMS)
        self._caps = w.get("caps")
        self._bigrams = model.bigrams() if model.words else {}

    def _entry(self, key: str) -> _Entry | None:
        w = self.model.weights.get(key)
        return None if w is None else (key, w)

    def _learn(self, tok: str) -> _Facts:
        """Everything :func:`sentiment_features` would look up about ``tok``."""
        lex, model = self.lexicon, self.model
        st = stem(self.lang, tok)
        c = tok[0]
        if tok in BOUNDARY or tok in CONTRAST:
            kind = _BREAK
        elif tok in MARKERS:
            kind = _MARKER
        else:
            kind = _WORD
        word = neg_word = chars = bigrams = None
        if model.words:
            word, neg_word = self._entry("w:" + st), self._entry("n:" + st)
            bigrams = self._bigrams.get(st) if st else None
            if model.chars and c.isalpha():
                w = "<" + tok + ">"
                get = model.weights.get
                grams = ["c:" + w[j : j + 4] for j in range(len(w) - 3)]
                chars = {k: x for k in grams if (x := get(k)) is not None} or None
        known = lex.forms.get(tok)
        by_stem = lex.stems.get(st, 0.0)
        flags = (tok in self.negators, tok in self.intensifiers, tok in lex.phrase_starts)
        valence = known if known is not None else (by_stem if c.isalpha() else 0.0)
        part: _Lex | None = None
        if any(flags) or valence:
            part = (*flags, valence, known or by_stem, c.isalnum())
        mark = self._flags.get("!" if c == "!" else "?" if c == "?" else "")
        facts: _Facts = (kind, st, word, neg_word, chars, bigrams, mark, part)
        if len(self.facts) >= _FACTS_MAX:
            self.facts.clear()
        self.facts[tok] = facts
        return facts

    def scores(self, tokens: list[str], caps: int) -> PerClass:
        """The three class scores before the softmax (see module docstring)."""
        return self.scores_and_sums(tokens, caps)[0]

    def scores_and_sums(self, tokens: list[str], caps: int) -> tuple[PerClass, Sums]:
        """:meth:`scores` and the lexicon sums ``L+ L- N+ N- LS E+ E-`` (as features, /4)."""
        model = self.model
        a, b, c = model.intercept
        n = len(tokens)
        if not n:
            return (a, b, c), _NO_SUMS
        facts, learn = self.facts, self._learn
        phrases = self.lexicon.phrases
        words, chars = model.words, model.chars
        neg_flag = self._flags.get("neg")
        f: dict[str, PerClass] = {}  # the weighted features, in feature-map order
        lp = ln = np_ = nn = ls = ep = en = 0.0
        scope = skip = 0
        boost = 1.0
        prev: dict[str, _Entry] | None = None
        for i in range(n):
            tok = tokens[i]
            kind, st, word, neg_word, char_w, bigrams, mark, part = facts.get(tok) or learn(tok)
            if kind:
                if kind == _BREAK:
                    scope = 0
                    if mark is not None:
                        f[mark[0]] = mark[1]
                prev = None
                continue
            negated = scope > 0
            if words:
                e = neg_word if negated else word
                if e is not None:
                    f[e[0]] = e[1]
                if prev is not None:
                    e = prev.get(st)
                    if e is not None:
                        f[e[0]] = e[1]
                if chars and char_w is not None:
                    f.update(char_w)
            prev = bigrams
            if part is None:
                if not skip:  # the common case: nothing for the lexicon sums
                    boost = 1.0
                    if scope:
                        scope -= 1
                    continue
                part = _PLAIN
            negator, intensifier, starts, valence, start_valence, alnum = part
            if negator:
                if neg_flag is not None:
                    f["neg"] = neg_flag[1]
                scope = NEGATION_SCOPE + 1
            # valence: a phrase starting here wins over its single words
            if skip:
                skip -= 1
                v = 0.0
            elif starts and i + 1 < n:
                two = tok + " " + tokens[i + 1]
                v3 = phrases.get(two + " " + tokens[i + 2]) if i + 2 < n else None
                if v3 is not None:
                    v, skip, negated = v3, 2, False
                elif two in phrases:
                    v, skip, negated = phrases[two], 1, False
                else:
                    v = start_valence
            else:
                v = valence
            if negator:
                if skip:
                    scope = 0  # a negated phrase ("ei toimi") carries its own valence
                else:
                    v = 0.0
            if v:
                v *= boost
                if not alnum:
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
            boost = 1.5 if intensifier else 1.0
            if scope:
                scope -= 1
        if lp and not SARCASM_MARKERS.isdisjoint(tokens):
            if "sarc" in self._flags:
                f["sarc"] = self._flags["sarc"][1]
            ln += lp
            ls -= 2.0 * lp
            lp = 0.0
        for w0, w1, w2 in f.values():  # every value is 1.0, and w * 1.0 == w
            a += w0
            b += w1
            c += w2
        for w, value in zip(self._sums, (lp, ln, np_, nn, ep, en, ls), strict=True):
            if value and w is not None:
                v = value / 4.0
                a += w[0] * v
                b += w[1] * v
                c += w[2] * v
        w = self._caps
        if caps and w is not None:
            v = float(min(caps, 3))
            a += w[0] * v
            b += w[1] * v
            c += w[2] * v
        return (a, b, c), (
            lp / 4.0,
            ln / 4.0,
            np_ / 4.0,
            nn / 4.0,
            ls / 4.0,
            ep / 4.0,
            en / 4.0,
        )

    def predict(self, tokens: list[str], caps: int) -> tuple[str, float]:
        """``(label, signed score)``, the same as the model's ``predict`` over the feature map."""
        return self.model.decide(*self.scores(tokens, caps))
