"""The TF-IDF first stage: inference without scikit-learn gives the trained model's scores."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from detectors.text import tfidf
from detectors.text.tokens import tokenize

TEXTS = [
    ("negative", "the app is down again, worst service ever"),
    ("negative", "still waiting 2 hours for a refund!!"),
    ("negative", "ei toimi taas, mikä ihme 😡"),
    ("negative", "charged twice and nobody answers @bank"),
    ("neutral", "what time does the branch open tomorrow?"),
    ("neutral", "new terms from 1 March https://x.y/z"),
    ("neutral", "mihin aikaan konttori aukeaa"),
    ("neutral", "the meeting is at noon"),
    ("positive", "thanks, sorted in five minutes 👍"),
    ("positive", "kiitos nopeasta avusta!"),
    ("positive", "great service, love the new app"),
    ("positive", "super fast delivery, thank you"),
]


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, object, tuple]:
    from sklearn.linear_model import LogisticRegression

    docs = tfidf.features([tokenize(t) for _, t in TEXTS * 3])
    vocab, idf, default = tfidf.fit_vocab(docs, 2)
    x = tfidf.matrix(docs, vocab, idf, default)
    clf = LogisticRegression(C=10.0, max_iter=2000).fit(x, [y for y, _ in TEXTS * 3])
    order = [list(clf.classes_).index(c) for c in ("negative", "neutral", "positive")]
    path = tmp_path_factory.mktemp("tfidf") / "m.npz"
    tfidf.save(path, vocab, idf, clf.coef_[order], clf.intercept_[order], default)
    return path, clf, (vocab, idf, default, order)


def test_scores_equal_scikit_learns_decision_function(trained: tuple) -> None:
    path, clf, (vocab, idf, default, order) = trained
    model = tfidf.TfidfModel(path)
    texts = [t for _, t in TEXTS] + ["unseen words only", "down down down again again", "", "!!"]
    toks = [tokenize(t) for t in texts]
    want = clf.decision_function(tfidf.matrix(tfidf.features(toks), vocab, idf, default))
    got = np.asarray(model.scores_batch(toks))
    assert got.shape == (len(texts), 3)
    np.testing.assert_allclose(got, want[:, order], atol=1e-5)
    # one at a time (cached tokens) gives the same
    for t, row in zip(toks, got, strict=True):
        np.testing.assert_allclose(model.scores(t), row, atol=1e-12)


def test_norms_count_unknown_features_with_the_default_idf(trained: tuple) -> None:
    path, *_ = trained
    model = tfidf.TfidfModel(path)
    base = np.asarray(model.scores(tokenize("worst service")))
    diluted = np.asarray(model.scores(tokenize("worst service qwzx vbnm")))
    assert not np.allclose(base, diluted)  # unknown words weaken the known ones
    assert np.abs(diluted - model.intercept).sum() < np.abs(base - model.intercept).sum()


def test_bad_model_file_is_refused(tmp_path: Path) -> None:
    p = tmp_path / "bad.npz"
    np.savez(
        p,
        keys=np.arange(3, dtype=np.uint32),
        idf=np.ones(2, dtype=np.float32),
        coef=np.zeros((3, 3), dtype=np.float32),
        intercept=np.zeros(3),
        default_idf=np.float64(1.0),
    )
    with pytest.raises(ValueError, match="do not match"):
        tfidf.TfidfModel(p)
