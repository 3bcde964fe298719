"""Training pieces: splits, metric, feature parity, export round trip, purity of imports."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from detectors.text.datasets import (
    FI_HOLDOUT,
    Split,
    decode_escapes,
    is_held_out,
    macro_recall,
    read_labelled,
)
from detectors.text.features import sentiment_features
from detectors.text.lexicon import stem_all
from detectors.text.sentiment import LinearModel, count_caps
from detectors.text.tokens import tokenize

TEXT_PKG = Path(__file__).resolve().parents[2] / "detectors" / "text"


def test_held_out_split_is_deterministic_and_about_the_right_size() -> None:
    texts = [f"rivi numero {i}" for i in range(4000)]
    first = [is_held_out(t, FI_HOLDOUT) for t in texts]
    assert first == [is_held_out(t, FI_HOLDOUT) for t in texts]
    assert 0.17 < sum(first) / len(texts) < 0.23
    other = [is_held_out(t, Split("another salt", 0.2)) for t in texts]
    assert other != first


def test_macro_recall() -> None:
    gold = ["negative", "negative", "neutral", "positive"]
    assert macro_recall(gold, gold) == 1.0
    assert macro_recall(gold, ["negative", "neutral", "neutral", "neutral"]) == pytest.approx(0.5)
    assert macro_recall([], []) == 0.0


def test_read_labelled_maps_labels_and_decodes(tmp_path: Path) -> None:
    p = tmp_path / "d.tsv"
    p.write_text("label\ttext\nneg\tbad\\u002c very\nxxx\tskip\npos\t\nneu\tok\n", encoding="utf-8")
    assert list(read_labelled(p)) == [("negative", "bad, very"), ("neutral", "ok")]
    assert decode_escapes("plain") == "plain"


def test_training_features_equal_inference_features() -> None:
    from tools.train_models import featurize

    text = "EI toimi taas, todella huono 😡 @nordbank"
    toks = tokenize(text)
    expected = sentiment_features(
        toks, "fi", stems=stem_all("fi", toks), caps=count_caps(text), chars=True
    )
    assert featurize([text], "fi", words=True, chars=True) == [expected]


def test_export_round_trip_matches_scikit_learn() -> None:
    # scikit-learn comes with the train extra, which `make setup` installs: never a skip.
    from tools.train_models import export, fit

    feats = [{"w:a": 1.0, "L+": 0.5}, {"w:b": 1.0, "L-": 1.0}, {"w:c": 1.0}] * 10
    labels = ["positive", "negative", "neutral"] * 10
    vec, clf = fit(feats, labels, 1.0)
    model = LinearModel(export(vec, clf, words=True, chars=False, info={}))
    probe = [{"w:a": 1.0}, {"L-": 2.0}, {"w:c": 1.0, "L+": 0.1}]
    sk = clf.predict_proba(vec.transform(probe))
    order = [list(clf.classes_).index(c) for c in ("negative", "neutral", "positive")]
    for f, row in zip(probe, sk, strict=True):
        mine = model.probabilities(f)
        assert mine == pytest.approx([row[i] for i in order], abs=1e-3)


FORBIDDEN = (
    "faust",
    "aiokafka",
    "kafka",
    "slack_sdk",
    "streams",
    "alerts",
    "requests",
    "httpx",
    "pickle",
    "joblib",
)


@pytest.mark.parametrize("path", sorted(TEXT_PKG.glob("*.py")), ids=lambda p: p.name)
def test_text_package_stays_pure(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            names = [node.module or ""]
        else:
            continue
        for name in names:
            assert name.split(".")[0] not in FORBIDDEN, f"{path.name} imports {name}"
    src = path.read_text(encoding="utf-8")
    assert "time.time(" not in src
    assert "datetime.now(" not in src
