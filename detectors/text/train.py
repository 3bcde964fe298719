"""Train the packaged sentiment models: ``python -m detectors.text.train`` (``make train``).

Reads ``--data`` (default ``../shared/data``, or ``$SPIKEWATCH_TRAIN_DATA``) and
writes ``detectors/text/models/sentiment.json.gz``:

- ``en``: SemEval 2013-2016 minus a fixed 10% held out (:data:`EN_HOLDOUT`);
  the regularisation strength C is chosen on a hash split inside the rest
  (:data:`EN_DEV`); TweetEval validation is only scored, never used to choose.
- ``fi``: XED Finnish minus a fixed 20% held out (:data:`FI_HOLDOUT`); C is
  chosen on a hash split inside the remaining 80%.
- ``universal``: language-independent features (lexicon, emoji, punctuation,
  negation) over both training sets; serves Swedish and other languages. A
  language model lends the universal weight of any such feature its own data
  hardly shows (XED subtitles have no emoji).
- ``care``: the second stage (:class:`~detectors.text.sentiment.CareLayer`): the
  first stage's class log-probabilities, the care-agent features of
  :mod:`detectors.text.care` and the serving model's name, fitted on brand-mention
  tuning rows (tests/data/brand_mentions.tsv and tests/data/tune/), C chosen by
  5-fold cross-validation on those rows. The independent evaluation set of
  tests/data/eval is never read here. (It replaces the old negative-class offsets.)

scikit-learn is needed here only (extra ``train``); the output is plain JSON.
Bounded: about a minute on one core.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import hashlib
import json
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from detectors.text.care import care_features
from detectors.text.datasets import (
    CLASSES,
    EN_HOLDOUT,
    FI_HOLDOUT,
    Split,
    is_held_out,
    macro_recall,
    read_labelled,
)
from detectors.text.features import sentiment_features
from detectors.text.lexicon import stem_all
from detectors.text.scorer import LAYER_SUMS
from detectors.text.sentiment import FORMAT, count_caps
from detectors.text.tokens import tokenize

EN_TRAIN = "sentiment/en_semeval2013-2016_train.tsv"
EN_VAL = "sentiment/en_tweeteval_val.tsv"
FI_TRAIN = "sentiment/fi_xed_train.tsv"
FI_DEV = Split("spikewatch/fi_xed/dev/v1", 0.15)  # tuning split inside the 80%
EN_DEV = Split("spikewatch/en_semeval/dev/v1", 0.10)  # tuning split inside the 90%
# Public rows kept out of the first stage for the care layer (so it also learns how
# ordinary tweets and subtitles look); at most LAYER_PUBLIC_MAX per language are used.
LAYER_SPLIT = Split("spikewatch/care_layer/v1", 0.04)
LAYER_PUBLIC_MAX = 500
C_GRID = (0.03, 0.06, 0.12, 0.25, 0.5)
MIN_COUNT = 2  # a feature must occur in at least this many training texts
MIN_SUPPORT = 50  # fewer texts with a language-independent feature: borrow its universal weight
BRAND_MENTIONS = Path(__file__).resolve().parents[2] / "tests" / "data" / "brand_mentions.tsv"
TUNE_MENTIONS = (
    Path(__file__).resolve().parents[2] / "tests" / "data" / "tune" / "mentions_tune.tsv"
)
CARE_C_GRID = (0.3, 1.0, 3.0, 10.0, 30.0)
CARE_FOLDS = 5

ATTRIBUTION = {
    "en_semeval2013-2016_train.tsv": "SemEval 2013-2016 task 4A tweets via "
    "github.com/cbaziotis/datastories-semeval2017-task4 (MIT; tweets under SemEval/Twitter terms)",
    "en_tweeteval_val.tsv": "TweetEval sentiment validation, github.com/cardiffnlp/tweeteval "
    "(SemEval/Twitter terms); scored only, never trained or tuned on",
    "fi_xed_train.tsv": "XED, github.com/Helsinki-NLP/XED, CC BY 4.0 (Öhman et al. 2020, "
    "'XED: A Multilingual Dataset for Sentiment Analysis and Emotion Detection')",
    "AFINN": "AFINN lexicons, github.com/fnielsen/afinn, Apache License 2.0, Finn Årup Nielsen",
}


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


def _prune(feats: list[dict[str, float]], min_count: int) -> list[dict[str, float]]:
    counts: dict[str, int] = {}
    for f in feats:
        for k in f:
            counts[k] = counts.get(k, 0) + 1
    keep = {k for k, c in counts.items() if c >= min_count or ":" not in k}
    return [{k: v for k, v in f.items() if k in keep} for f in feats]


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


def _support(feats: list[dict[str, float]]) -> dict[str, int]:
    """How many texts show each language-independent feature."""
    counts: dict[str, int] = {}
    for f in feats:
        for k in f:
            if ":" not in k:
                counts[k] = counts.get(k, 0) + 1
    return counts


def _argmax_label(neg: float, neu: float, pos: float) -> str:
    if neg >= neu and neg >= pos:
        return "negative"
    return "positive" if pos > neu else "neutral"


def tuning_rows() -> list[tuple[str, str, str]]:
    """``(language, label, text)`` brand-mention tuning rows (never the evaluation set)."""
    labels = {"neg": "negative", "neu": "neutral", "pos": "positive"}
    out: list[tuple[str, str, str]] = []
    for path in (BRAND_MENTIONS, TUNE_MENTIONS):
        if not path.exists():
            continue
        with open(path, encoding="utf-8") as fh:
            for r in csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE):
                out.append((r["lang"], labels[r["label"]], r["text"]))
    return out


def layer_inputs(
    models: dict[str, Any], rows: list[tuple[str, str, str]]
) -> list[dict[str, float]]:
    """The care layer's input features of ``rows``, first stage as inference runs it."""
    from detectors.text.sentiment import LinearModel, _log_softmax

    linear = {name: LinearModel(spec) for name, spec in models.items()}
    out = []
    for lang, _, text in rows:
        name = lang if lang in linear else "universal"
        m = linear[name]
        toks = tokenize(text)
        f = sentiment_features(
            toks,
            lang,
            stems=stem_all(lang, toks),
            caps=count_caps(text),
            words=m.words,
            chars=m.chars,
        )
        lp = _log_softmax(*m.scores(f))
        x = {"p:" + c: v for c, v in zip(CLASSES, lp, strict=True)}
        x.update(care_features(toks, lang, text))
        x["lang:" + name] = 1.0
        # the lexicon sums as the first stage saw them (the scorer's, with words and chars)
        for k in LAYER_SUMS:
            if f.get(k):
                x["lex:" + k] = f[k]
        out.append(x)
    return out


def layer_public_rows(data: Path) -> list[tuple[str, str, str]]:
    """``(language, label, text)`` public rows of :data:`LAYER_SPLIT` (never in the first stage)."""
    out: list[tuple[str, str, str]] = []
    for lang, name, holdout in (("en", EN_TRAIN, EN_HOLDOUT), ("fi", FI_TRAIN, FI_HOLDOUT)):
        rows = [
            (lang, y, t)
            for y, t in read_labelled(data / name)
            if not is_held_out(t, holdout) and is_held_out(t, LAYER_SPLIT)
        ]
        out.extend(rows[:LAYER_PUBLIC_MAX])
    return out


def fit_care(
    models: dict[str, Any], log: list[str], public: list[tuple[str, str, str]]
) -> dict[str, Any] | None:
    """Fit the care layer on brand-mention tuning rows plus ``public`` rows.

    C is chosen by stratified k-fold cross-validation: the mean of the macro recall on
    the brand-mention rows and on the public rows (care traffic is the product; public
    tweets and subtitles keep it from reading every question as a complaint).
    """
    from sklearn.model_selection import StratifiedKFold

    domain = tuning_rows()
    if len(domain) < 50:
        log.append("too few tuning rows: no care layer")
        return None
    rows = domain + public
    x = layer_inputs(models, rows)
    y = [r[1] for r in rows]
    is_domain = [i < len(domain) for i in range(len(rows))]
    strata = [("d" if d else "p") + r[0] + r[1] for d, r in zip(is_domain, rows, strict=True)]
    folds = list(StratifiedKFold(CARE_FOLDS, shuffle=True, random_state=17).split(x, strata))

    def split_recall(pred: list[str]) -> tuple[float, float]:
        dom = [(g, p) for g, p, d in zip(y, pred, is_domain, strict=True) if d]
        pub = [(g, p) for g, p, d in zip(y, pred, is_domain, strict=True) if not d]
        rd = macro_recall([g for g, _ in dom], [p for _, p in dom])
        rp = macro_recall([g for g, _ in pub], [p for _, p in pub]) if pub else rd
        return rd, rp

    base = [_argmax_label(f["p:negative"], f["p:neutral"], f["p:positive"]) for f in x]
    rd, rp = split_recall(base)
    log.append(
        f"care layer: {len(domain)} brand-mention and {len(public)} public tuning rows; "
        f"first stage alone {rd:.3f} / {rp:.3f}"
    )
    # the brand mentions and the public rows weigh the same in total
    share = len(public) / len(domain) if public else 1.0
    w = [share if d else 1.0 for d in is_domain]
    best_c, best = CARE_C_GRID[0], -1.0
    for c in CARE_C_GRID:
        pred = [""] * len(rows)
        for tr, te in folds:
            vec, clf = fit([x[i] for i in tr], [y[i] for i in tr], c, [w[i] for i in tr])
            for i, p in zip(te, predict(vec, clf, [x[i] for i in te]), strict=True):
                pred[i] = p
        rd, rp = split_recall(pred)
        log.append(
            f"  care C={c}: {CARE_FOLDS}-fold macro recall brand mentions {rd:.4f}, public {rp:.4f}"
        )
        if (rd + rp) / 2 > best:
            best_c, best = c, (rd + rp) / 2
    vec, clf = fit(x, y, best_c, w)
    spec = export(vec, clf, words=False, chars=False, info={"C": best_c, "rows": len(rows)})
    spec["info"]["cv_mean_macro_recall"] = round(best, 4)
    for k in ("words", "chars"):
        spec.pop(k)
    return spec


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def choose_c(
    train: tuple[list[dict[str, float]], list[str]],
    dev: tuple[list[dict[str, float]], list[str]],
    log: list[str],
    name: str,
) -> float:
    """The C of :data:`C_GRID` with the best macro recall on ``dev``."""
    best_c, best = C_GRID[0], -1.0
    for c in C_GRID:
        vec, clf = fit(train[0], train[1], c)
        r = macro_recall(dev[1], predict(vec, clf, dev[0]))
        log.append(f"  {name} C={c}: dev macro recall {r:.4f}")
        if r > best:
            best_c, best = c, r
    return best_c


def train_all(data: Path, out: Path, *, fi_chars: bool = True) -> dict[str, Any]:
    """Train, evaluate and write every model; returns the figures.

    BLAS runs on one thread: parallel sums are not bit-reproducible (and the
    machine is shared).
    """
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        return _train_all(data, out, fi_chars=fi_chars)


def _train_all(data: Path, out: Path, *, fi_chars: bool) -> dict[str, Any]:
    t0 = time.perf_counter()
    log: list[str] = []
    en_all = list(read_labelled(data / EN_TRAIN))
    en_tr = [
        (y, t)
        for y, t in en_all
        if not is_held_out(t, EN_HOLDOUT) and not is_held_out(t, LAYER_SPLIT)
    ]
    en_ho = [(y, t) for y, t in en_all if is_held_out(t, EN_HOLDOUT)]
    en_val = list(read_labelled(data / EN_VAL))
    fi_all = list(read_labelled(data / FI_TRAIN))
    fi_tr = [
        (y, t)
        for y, t in fi_all
        if not is_held_out(t, FI_HOLDOUT) and not is_held_out(t, LAYER_SPLIT)
    ]
    fi_ho = [(y, t) for y, t in fi_all if is_held_out(t, FI_HOLDOUT)]
    fi_fit = [(y, t) for y, t in fi_tr if not is_held_out(t, FI_DEV)]
    fi_dev = [(y, t) for y, t in fi_tr if is_held_out(t, FI_DEV)]
    log.append(
        f"rows: en train {len(en_tr)} held-out {len(en_ho)} val {len(en_val)}; "
        f"fi train {len(fi_tr)} (fit {len(fi_fit)} dev {len(fi_dev)}) held-out {len(fi_ho)}"
    )

    def xy(
        rows: list[tuple[str, str]], lang: str, words: bool = True, chars: bool = False
    ) -> tuple[list[dict[str, float]], list[str]]:
        return featurize([t for _, t in rows], lang, words=words, chars=chars), [y for y, _ in rows]

    figures: dict[str, float] = {}
    models: dict[str, Any] = {}

    # English: C on a dev split inside the 90%; TweetEval validation is only scored.
    en_fit = [(y, t) for y, t in en_tr if not is_held_out(t, EN_DEV)]
    en_dev = [(y, t) for y, t in en_tr if is_held_out(t, EN_DEV)]
    ex, ey = xy(en_fit, "en")
    c_en = choose_c((_prune(ex, MIN_COUNT), ey), xy(en_dev, "en"), log, "en")
    en_x, en_y = xy(en_tr, "en")
    en_x = _prune(en_x, MIN_COUNT)
    val = xy(en_val, "en")
    vec, clf = fit(en_x, en_y, c_en)
    figures["en_tweeteval_val_macro_recall"] = macro_recall(val[1], predict(vec, clf, val[0]))
    ho = xy(en_ho, "en")
    figures["en_semeval_holdout_macro_recall"] = macro_recall(ho[1], predict(vec, clf, ho[0]))
    models["en"] = export(vec, clf, words=True, chars=False, info={"C": c_en, "rows": len(en_y)})

    # Finnish: C on a dev split inside the 80%; the 20% is only scored at the end.
    fx, fy = xy(fi_fit, "fi", chars=fi_chars)
    dev = xy(fi_dev, "fi", chars=fi_chars)
    c_fi = choose_c((_prune(fx, MIN_COUNT), fy), dev, log, "fi")
    fi_x, fi_y = xy(fi_tr, "fi", chars=fi_chars)
    vec, clf = fit(_prune(fi_x, MIN_COUNT), fi_y, c_fi)
    fho = xy(fi_ho, "fi", chars=fi_chars)
    figures["fi_xed_holdout_macro_recall"] = macro_recall(fho[1], predict(vec, clf, fho[0]))
    models["fi"] = export(vec, clf, words=True, chars=fi_chars, info={"C": c_fi, "rows": len(fi_y)})

    # Universal: lexicon-level features only, both languages.
    ux = featurize([t for _, t in en_tr], "en", words=False, chars=False) + featurize(
        [t for _, t in fi_tr], "fi", words=False, chars=False
    )
    uy = [y for y, _ in en_tr] + [y for y, _ in fi_tr]
    vec, clf = fit(ux, uy, 1.0)
    figures["universal_en_tweeteval_val_macro_recall"] = macro_recall(
        val[1], predict(vec, clf, featurize([t for _, t in en_val], "en", words=False, chars=False))
    )
    figures["universal_fi_xed_holdout_macro_recall"] = macro_recall(
        fho[1], predict(vec, clf, featurize([t for _, t in fi_ho], "fi", words=False, chars=False))
    )
    models["universal"] = export(
        vec, clf, words=False, chars=False, info={"C": 1.0, "rows": len(uy)}
    )
    # A cue a language's data hardly shows (emoji in subtitles) borrows its universal weight.
    support = {"en": _support(en_x), "fi": _support(fi_x)}
    for name in ("en", "fi"):
        own = models[name]["weights"]
        borrowed = sorted(
            k for k in models["universal"]["weights"] if support[name].get(k, 0) < MIN_SUPPORT
        )
        for k in borrowed:
            own[k] = models["universal"]["weights"][k]
        models[name]["info"]["borrowed_from_universal"] = borrowed
        log.append(f"{name}: borrowed {borrowed or 'nothing'} from the universal model")

    care = fit_care(models, log, layer_public_rows(data))

    import sklearn

    spec = {
        "format": FORMAT,
        "meta": {
            "trained_with": f"scikit-learn {sklearn.__version__}",
            "data_sha256": {
                p.split("/")[-1]: _sha256(data / p) for p in (EN_TRAIN, EN_VAL, FI_TRAIN)
            },
            "splits": {
                "fi_holdout": [FI_HOLDOUT.salt, FI_HOLDOUT.fraction],
                "en_holdout": [EN_HOLDOUT.salt, EN_HOLDOUT.fraction],
                "en_dev": [EN_DEV.salt, EN_DEV.fraction],
                "care_layer": [LAYER_SPLIT.salt, LAYER_SPLIT.fraction],
                "fi_dev": [FI_DEV.salt, FI_DEV.fraction],
            },
            "attribution": ATTRIBUTION,
            "figures": {k: round(v, 4) for k, v in figures.items()},
        },
        "models": models,
    }
    if care is not None:
        spec["care"] = care
    out.parent.mkdir(parents=True, exist_ok=True)
    payload = json.dumps(spec, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    # mtime=0: the same data gives a byte-identical file
    with open(out, "wb") as fh, gzip.GzipFile(filename="", fileobj=fh, mode="wb", mtime=0) as gz:
        gz.write(payload.encode("utf-8"))
    log.append(
        f"wrote {out} ({out.stat().st_size / 1e6:.2f} MB) in {time.perf_counter() - t0:.0f}s"
    )
    for k, v in figures.items():
        log.append(f"{k}: {v:.4f}")
    print("\n".join(log))
    return figures


def refit_care(out: Path, data: Path) -> None:
    """Refit only the care layer over the first-stage models already in ``out``."""
    with gzip.open(out, "rt", encoding="utf-8") as src:
        spec = json.load(src)
    log: list[str] = []
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        care = fit_care(spec["models"], log, layer_public_rows(data))
    if care is None:
        spec.pop("care", None)
    else:
        spec["care"] = care
    payload = json.dumps(spec, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    with open(out, "wb") as fh, gzip.GzipFile(filename="", fileobj=fh, mode="wb", mtime=0) as gz:
        gz.write(payload.encode("utf-8"))
    print("\n".join(log))


def main(argv: Sequence[str] | None = None) -> int:
    here = Path(__file__).resolve().parent
    default_data = os.environ.get("SPIKEWATCH_TRAIN_DATA", str(here.parents[2] / "shared" / "data"))
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    ap.add_argument(
        "--data", default=default_data, help="folder with sentiment/ (default %(default)s)"
    )
    ap.add_argument("--out", default=str(here / "models" / "sentiment.json.gz"))
    ap.add_argument("--no-fi-chars", action="store_true", help="no character 4-gram features")
    ap.add_argument(
        "--care-only", action="store_true", help="refit the care layer over the models in --out"
    )
    args = ap.parse_args(argv)
    if args.care_only:
        refit_care(Path(args.out), Path(args.data))
        return 0
    data = Path(args.data)
    if not (data / FI_TRAIN).exists():
        print(f"training data not found under {data}", file=sys.stderr)
        return 2
    train_all(data, Path(args.out), fi_chars=not args.no_fi_chars)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
