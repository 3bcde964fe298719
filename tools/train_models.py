"""Model-fitting pieces of the text trainer (tools/train_text.py): features as inference
computes them, the class-balanced logistic regressions, their export, and the TF-IDF
first stage with its C chosen on a tuning split."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from detectors.text.datasets import CLASSES, macro_recall
from detectors.text.features import sentiment_features
from detectors.text.lexicon import stem_all
from detectors.text.sentiment import count_caps
from detectors.text.tfidf import TfidfModel
from detectors.text.tokens import tokenize

TFIDF_C_GRID = (0.5, 1.0, 2.0, 4.0, 8.0)
TFIDF_MIN_DF = 2  # a TF-IDF feature must occur in at least this many training texts


def featurize(
    texts: Sequence[str], lang: str, *, words: bool, chars: bool
) -> list[dict[str, float]]:
    """Feature maps exactly as inference computes them."""
    out = []
    for t in texts:
        toks = tokenize(t)
        out.append(
            sentiment_features(
                toks,
                lang,
                stems=stem_all(lang, toks),
                caps=count_caps(t),
                words=words,
                chars=chars,
            )
        )
    return out


def fit(
    feats: list[dict[str, float]],
    labels: list[str],
    c: float,
    weights: list[float] | None = None,
) -> tuple[Any, Any]:
    """A class-balanced multinomial logistic regression; returns (vectorizer, model)."""
    from sklearn.feature_extraction import DictVectorizer
    from sklearn.linear_model import LogisticRegression

    vec = DictVectorizer()
    x = vec.fit_transform(feats)
    clf = LogisticRegression(C=c, class_weight="balanced", max_iter=2000, tol=1e-4)
    clf.fit(x, labels, sample_weight=weights)
    return vec, clf


def predict(vec: Any, clf: Any, feats: list[dict[str, float]]) -> list[str]:
    return [str(p) for p in clf.predict(vec.transform(feats))]


def export(vec: Any, clf: Any, *, words: bool, chars: bool, info: dict[str, Any]) -> dict[str, Any]:
    """The JSON form of one model: weights by feature name, tiny ones dropped."""
    order = [list(clf.classes_).index(c) for c in CLASSES]
    coef = clf.coef_[order]
    names = vec.get_feature_names_out()
    weights: dict[str, list[float]] = {}
    for j, name in enumerate(names):
        col = [float(coef[i, j]) for i in range(3)]
        if max(abs(w) for w in col) >= 1e-3:
            weights[str(name)] = [round(w, 4) for w in col]
    return {
        "classes": list(CLASSES),
        "intercept": [round(float(clf.intercept_[i]), 4) for i in order],
        "weights": weights,
        "words": words,
        "chars": chars,
        "info": info,
    }


def _argmax_label(neg: float, neu: float, pos: float) -> str:
    if neg >= neu and neg >= pos:
        return "negative"
    return "positive" if pos > neu else "neutral"


def train_tfidf(
    name: str,
    train: list[tuple[str, str]],
    fit_rows: list[tuple[str, str]],
    tune: list[tuple[str, str]],
    scored: dict[str, list[tuple[str, str]]],
    out: Path,
    log: list[str],
    figures: dict[str, float],
) -> TfidfModel:
    """Fit the TF-IDF first stage of one language and write ``out``.

    C is chosen by fitting on ``fit_rows`` and scoring ``tune``; the model is then refitted
    on all of ``train``. ``scored`` sets are only scored (figures ``<name>_<set>``).
    """
    from sklearn.linear_model import LogisticRegression

    from detectors.text import tfidf as tf

    def feats(rows: list[tuple[str, str]]) -> list[tuple[list[int], list[int]]]:
        return tf.features([tokenize(t) for _, t in rows])

    def lr(c: float) -> Any:
        return LogisticRegression(C=c, class_weight="balanced", max_iter=3000, tol=1e-4)

    ff, ft = feats(fit_rows), feats(tune)
    vocab, idf, default = tf.fit_vocab(ff, TFIDF_MIN_DF)
    x, xt = tf.matrix(ff, vocab, idf, default), tf.matrix(ft, vocab, idf, default)
    best_c, best = TFIDF_C_GRID[0], -1.0
    for c in TFIDF_C_GRID:
        clf = lr(c).fit(x, [y for y, _ in fit_rows])
        r = macro_recall([y for y, _ in tune], [str(p) for p in clf.predict(xt)])
        log.append(f"  {name} tfidf C={c}: tuning macro recall {r:.4f}")
        if r > best:
            best_c, best = c, r
    fa = feats(train)
    vocab, idf, default = tf.fit_vocab(fa, TFIDF_MIN_DF)
    clf = lr(best_c).fit(tf.matrix(fa, vocab, idf, default), [y for y, _ in train])
    order = [list(clf.classes_).index(c) for c in CLASSES]
    tf.save(out, vocab, idf, clf.coef_[order], clf.intercept_[order], default)
    log.append(
        f"{name} tfidf: C={best_c}, {len(vocab)} features, {out.stat().st_size / 1e6:.2f} MB"
    )
    model = TfidfModel(out)
    for set_name, rows in scored.items():
        pred = [_argmax_label(*s) for s in model.scores_batch([tokenize(t) for _, t in rows])]
        figures[f"{name}_{set_name}_macro_recall"] = macro_recall([y for y, _ in rows], pred)
    return model
