"""Sentiment inference: linear models read from a packaged JSON file, pure Python.

The model file (``models/sentiment.json.gz``, written by
``python -m tools.train_text``) holds one multinomial logistic regression
per language with training data (``fi``, ``en``) and a ``universal`` one over
language-independent features (lexicon, emoji, punctuation, negation) that
serves Swedish and every other language through that language's lexicon.
Weights are plain lists keyed by feature name: no pickle, no scikit-learn.
Optional ``offsets`` (a domain log-prior shift per class) add to the intercept.
Texts are classified through :class:`~detectors.text.scorer.Scorer` (one per
language): the same answers, without building the feature map.

The signed score is ``p(positive) - p(negative)``, in [-1, 1].

Examples
--------
>>> label, score = classify_sentiment("Kiitti nopeesta avusta! 😊", "fi")
>>> label, score > 0
('positive', True)
>>> classify_sentiment("Verkkopankki ei toimi taas, mikä ihme 😡", "fi")[0]
'negative'
>>> classify_sentiment("", "en")[0]
'neutral'
"""

from __future__ import annotations

import gzip
import json
import math
import re
from collections.abc import Mapping, Sequence
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from detectors.text.care import care_features
from detectors.text.features import sentiment_features
from detectors.text.lexicon import OTHER_LANG, has_word_lists
from detectors.text.scorer import LAYER_SUMS, Scorer, Sums
from detectors.text.tfidf import TfidfModel
from detectors.text.tokens import tokenize

FORMAT = "spikewatch-sentiment-linear/1"
CLASSES = ("negative", "neutral", "positive")
_CAPS_RE = re.compile(r"\b[A-ZÅÄÖ]{3,}\b")
_THREE_CAPS_RE = re.compile(r"[A-ZÅÄÖ]{3}")  # cheaper; most texts shout nowhere


def count_caps(text: str) -> int:
    """Number of shouted (all-capital, 3+ letters) words in ``text``."""
    return len(_CAPS_RE.findall(text)) if _THREE_CAPS_RE.search(text) else 0


PerClass = tuple[float, float, float]  # one number per class: negative, neutral, positive


def _softmax(a: float, b: float, c: float) -> tuple[float, float, float]:
    m = max(a, b, c)
    ea, eb, ec = math.exp(a - m), math.exp(b - m), math.exp(c - m)
    z = ea + eb + ec
    return ea / z, eb / z, ec / z


class LinearModel:
    """One multinomial logistic regression over named features."""

    __slots__ = ("_bigrams", "chars", "intercept", "weights", "words")

    def __init__(self, spec: Mapping[str, Any]) -> None:
        classes = tuple(spec["classes"])
        if classes != CLASSES:
            raise ValueError(f"model classes must be {CLASSES}, got {classes}")
        b = [float(x) for x in spec["intercept"]]
        off = [float(x) for x in spec.get("offsets", (0.0, 0.0, 0.0))]
        if len(b) != 3 or len(off) != 3:
            raise ValueError("intercept and offsets must have three values")
        b = [x + o for x, o in zip(b, off, strict=True)]
        self.intercept: PerClass = (b[0], b[1], b[2])
        self.weights: dict[str, PerClass] = {
            k: (float(w[0]), float(w[1]), float(w[2])) for k, w in spec["weights"].items()
        }
        self.words = bool(spec.get("words", True))
        self.chars = bool(spec.get("chars", False))
        self._bigrams: dict[str, dict[str, tuple[str, PerClass]]] | None = None

    def scores(self, features: Mapping[str, float]) -> PerClass:
        """Class scores before the softmax: intercept plus weighted features, in order."""
        a, b, c = self.intercept
        get = self.weights.get
        for k, v in features.items():
            w = get(k)
            if w is not None:
                a += w[0] * v
                b += w[1] * v
                c += w[2] * v
        return a, b, c

    def probabilities(self, features: Mapping[str, float]) -> PerClass:
        """Class probabilities (negative, neutral, positive)."""
        return _softmax(*self.scores(features))

    def decide(self, a: float, b: float, c: float) -> tuple[str, float]:
        """``(label, signed score)`` from the three class scores."""
        pn, pu, pp = _softmax(a, b, c)
        if pn >= pu and pn >= pp:
            label = "negative"
        elif pp > pu:
            label = "positive"
        else:
            label = "neutral"
        return label, round(pp - pn, 4)

    def predict(self, features: Mapping[str, float]) -> tuple[str, float]:
        """``(label, signed score)`` for one feature map."""
        return self.decide(*self.scores(features))

    def bigrams(self) -> dict[str, dict[str, tuple[str, PerClass]]]:
        """Bigram features ``b:<first>|<second>`` as first stem -> second stem -> (name, weights).

        A name with several ``|`` is filed under every split, so the lookup of
        any pair finds exactly the name that pair would build.
        """
        if self._bigrams is None:
            index: dict[str, dict[str, tuple[str, PerClass]]] = {}
            for k, w in self.weights.items():
                if k.startswith("b:"):
                    body = k[2:]
                    at = body.find("|")
                    while at >= 0:
                        index.setdefault(body[:at], {})[body[at + 1 :]] = (k, w)
                        at = body.find("|", at + 1)
            self._bigrams = index
        return self._bigrams


def _log_softmax(a: float, b: float, c: float) -> PerClass:
    m = max(a, b, c)
    z = m + math.log(math.exp(a - m) + math.exp(b - m) + math.exp(c - m))
    return a - z, b - z, c - z


class CareLayer:
    """The second stage: a language model's class log-probabilities plus care features.

    Its inputs are ``p:negative`` / ``p:neutral`` / ``p:positive`` (the first stage's log
    probabilities), the ``care:<family>`` features of :mod:`detectors.text.care` and
    ``lang:<model>`` (which first-stage model spoke). It is a small multinomial logistic
    regression fitted on brand-mention tuning rows by ``make train``.
    """

    __slots__ = ("base", "intercept", "lex", "weights")

    def __init__(self, spec: Mapping[str, Any]) -> None:
        classes = tuple(spec["classes"])
        if classes != CLASSES:
            raise ValueError(f"care layer classes must be {CLASSES}, got {classes}")
        b = [float(x) for x in spec["intercept"]]
        if len(b) != 3:
            raise ValueError("care layer intercept must have three values")
        self.intercept: PerClass = (b[0], b[1], b[2])
        w = {k: (float(v[0]), float(v[1]), float(v[2])) for k, v in spec["weights"].items()}
        zero = (0.0, 0.0, 0.0)
        self.base: tuple[PerClass, PerClass, PerClass] = (
            w.pop("p:negative", zero),
            w.pop("p:neutral", zero),
            w.pop("p:positive", zero),
        )
        self.weights: dict[str, PerClass] = w
        self.lex = tuple(w.get("lex:" + k) for k in LAYER_SUMS)  # weights of the lexicon sums

    def fast_scores(
        self, base: PerClass, care: Mapping[str, float], lang_w: PerClass | None, sums: Sums
    ) -> PerClass:
        """:meth:`scores` with the serving model's weight and the lexicon sums passed apart
        (no feature map to build): the same sums, in the same order."""
        a, b, c = self.intercept
        x0, x1, x2 = base
        m = max(x0, x1, x2)
        z = m + math.log(math.exp(x0 - m) + math.exp(x1 - m) + math.exp(x2 - m))
        l0, l1, l2 = x0 - z, x1 - z, x2 - z
        p0, p1, p2 = self.base
        a += p0[0] * l0
        b += p0[1] * l0
        c += p0[2] * l0
        a += p1[0] * l1
        b += p1[1] * l1
        c += p1[2] * l1
        a += p2[0] * l2
        b += p2[1] * l2
        c += p2[2] * l2
        get = self.weights.get
        for k, v in care.items():
            fw = get(k)
            if fw is not None:
                a += fw[0] * v
                b += fw[1] * v
                c += fw[2] * v
        if lang_w is not None:
            a += lang_w[0]
            b += lang_w[1]
            c += lang_w[2]
        for fw, v in zip(self.lex, sums, strict=True):
            if v and fw is not None:
                a += fw[0] * v
                b += fw[1] * v
                c += fw[2] * v
        return a, b, c

    def scores(self, base: PerClass, features: Mapping[str, float]) -> PerClass:
        """Final class scores from the first stage's scores and the care features."""
        a, b, c = self.intercept
        for lp, w in zip(_log_softmax(*base), self.base, strict=True):
            a += w[0] * lp
            b += w[1] * lp
            c += w[2] * lp
        get = self.weights.get
        for k, v in features.items():
            fw = get(k)
            if fw is not None:
                a += fw[0] * v
                b += fw[1] * v
                c += fw[2] * v
        return a, b, c


_MISSING: PerClass = (math.nan, math.nan, math.nan)  # a language whose weight is not looked up yet


def default_model_path() -> Path:
    """Where the packaged model file lives."""
    return Path(str(resources.files("detectors.text") / "models" / "sentiment.json.gz"))


class SentimentModel:
    """All packaged sentiment models, routed by language."""

    def __init__(self, path: str | Path | None = None) -> None:
        p = Path(path) if path is not None else default_model_path()
        if not p.exists():
            raise FileNotFoundError(
                f"sentiment model {p} not found: run `python -m tools.train_text`"
            )
        with gzip.open(p, "rt", encoding="utf-8") as fh:
            spec = json.load(fh)
        if spec.get("format") != FORMAT:
            raise ValueError(f"{p}: unknown model format {spec.get('format')!r}")
        self.meta: dict[str, Any] = dict(spec.get("meta", {}))
        self.models: dict[str, LinearModel] = {
            name: LinearModel(m) for name, m in spec["models"].items()
        }
        if "universal" not in self.models:
            raise ValueError(f"{p}: no universal model")
        self.care: CareLayer | None = CareLayer(spec["care"]) if spec.get("care") else None
        # first stage of the languages with training data: TF-IDF (files beside this one)
        self.tfidf: dict[str, TfidfModel] = {
            name: TfidfModel(p.parent / file) for name, file in spec.get("tfidf", {}).items()
        }
        self._scorers: dict[str, Scorer] = {}
        self._lang_weights: dict[str, PerClass | None] = {}

    def scorer(self, lang: str) -> Scorer:
        """The language's :class:`~detectors.text.scorer.Scorer`, made once.

        Languages with no model, word lists or stemmer of their own all score
        alike, so they share one (a stream of odd language tags stays cheap).
        """
        if lang not in self.models and not has_word_lists(lang):
            lang = OTHER_LANG
        s = self._scorers.get(lang)
        if s is None:
            s = self._scorers[lang] = Scorer(lang, self.model_for(lang))
        return s

    def model_for(self, lang: str) -> LinearModel:
        """The language's own model, else the universal one."""
        return self.models.get(lang) or self.models["universal"]

    def model_name(self, lang: str) -> str:
        """The name of the first-stage model that serves ``lang``."""
        return lang if lang in self.models or lang in self.tfidf else "universal"

    def first_stage(self, tokens: list[str], lang: str, caps: int = 0) -> tuple[PerClass, Sums]:
        """First-stage class scores and the lexicon sums of one tokenised text."""
        base, sums = self.scorer(lang).scores_and_sums(tokens, caps)
        tf = self.tfidf.get(lang)
        if tf is not None:
            base = tf.scores(tokens)
        return base, sums

    def layer_features(
        self, tokens: list[str], lang: str, raw: str = "", sums: Sums | None = None
    ) -> dict[str, float]:
        """The care layer's own features of a text: care patterns, the serving model's
        name and the first stage's lexicon sums (``lex:L+`` ...; see :mod:`scorer`)."""
        f = care_features(tokens, lang, raw)
        f["lang:" + self.model_name(lang)] = 1.0
        if sums is None:
            sums = self.scorer(lang).scores_and_sums(tokens, 0)[1]
        for k, v in zip(LAYER_SUMS, sums, strict=True):
            if v:
                f["lex:" + k] = v
        return f

    def finish(
        self,
        base: PerClass,
        tokens: list[str],
        lang: str,
        raw: str = "",
        sums: Sums | None = None,
    ) -> tuple[str, float]:
        """``(label, signed score)`` from first-stage scores, through the care layer if any."""
        model = self.model_for(lang)
        if self.care is None:
            return model.decide(*base)
        feats = self.layer_features(tokens, lang, raw, sums)
        return model.decide(*self.care.scores(base, feats))

    def predict_tokens(
        self, tokens: list[str], lang: str, caps: int = 0, raw: str = ""
    ) -> tuple[str, float]:
        """``(label, signed score)`` of a tokenised text (``raw``: the text itself, if at hand).

        The worker's path: the same answer as :meth:`finish`, without building the layer's
        feature map."""
        base, sums = self.first_stage(tokens, lang, caps)
        return self._decide(base, sums, tokens, lang, raw)

    def _decide(
        self, base: PerClass, sums: Sums, tokens: list[str], lang: str, raw: str
    ) -> tuple[str, float]:
        care = self.care
        scorer = self.scorer(lang)
        if care is None:
            return scorer.model.decide(*base)
        lang_w = self._lang_weights.get(lang, _MISSING)
        if lang_w is _MISSING:
            lang_w = self._lang_weights[lang] = care.weights.get("lang:" + self.model_name(lang))
        cf = care_features(tokens, lang, raw)
        return scorer.model.decide(*care.fast_scores(base, cf, lang_w, sums))

    def predict_batch(
        self,
        tokens: Sequence[list[str]],
        langs: Sequence[str],
        caps: Sequence[int],
        raws: Sequence[str],
    ) -> list[tuple[str, float]]:
        """:meth:`predict_tokens` over many texts; the TF-IDF stage runs once per language."""
        firsts = [
            self.scorer(lang).scores_and_sums(toks, c)
            for toks, lang, c in zip(tokens, langs, caps, strict=True)
        ]
        for name, tf in self.tfidf.items():
            idx = [i for i, lang in enumerate(langs) if lang == name]
            if idx:
                for i, base in zip(idx, tf.scores_batch([tokens[i] for i in idx]), strict=True):
                    firsts[i] = (base, firsts[i][1])
        return [
            self._decide(base, sums, toks, lang, raw)
            for (base, sums), toks, lang, raw in zip(firsts, tokens, langs, raws, strict=True)
        ]

    def classify_tokens(
        self,
        tokens: list[str],
        lang: str,
        *,
        stems: list[str] | None = None,
        caps: int = 0,
        raw: str = "",
    ) -> tuple[str, float]:
        """Classify an already tokenised (and possibly stemmed) text."""
        if stems is None or lang in self.tfidf:
            return self.predict_tokens(tokens, lang, caps, raw)
        model = self.model_for(lang)
        feats = sentiment_features(
            tokens,
            lang,
            stems=stems,
            caps=caps,
            words=model.words,
            chars=model.chars,
        )
        return self.finish(model.scores(feats), tokens, lang, raw)

    def classify(self, text: str, lang: str) -> tuple[str, float]:
        """``(label, signed score)`` of a raw text in ``lang``."""
        return self.classify_tokens(tokenize(text), lang, caps=count_caps(text), raw=text)

    def classify_many(self, texts: Sequence[str], lang: str) -> list[tuple[str, float]]:
        """:meth:`classify` over many texts of one language."""
        return [self.classify(t, lang) for t in texts]


@lru_cache(maxsize=1)
def default_model() -> SentimentModel:
    """The packaged model, loaded once per process."""
    return SentimentModel()


def classify_sentiment(text: str, lang: str) -> tuple[str, float]:
    """``("negative"|"neutral"|"positive", signed score in [-1, 1])`` with the packaged model."""
    return default_model().classify(text, lang)
