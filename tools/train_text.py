"""Train the packaged sentiment models: ``python -m tools.train_text`` (``make train``).

Reads ``--data`` (default ``../shared/data``, or ``$SPIKEWATCH_TRAIN_DATA``) and
writes ``detectors/text/models/sentiment.json.gz``:

- ``tfidf-en.npz`` / ``tfidf-fi.npz``: the first stage of English and Finnish
  (:mod:`detectors.text.tfidf`: TF-IDF words, bigrams and character 2-5-grams, a
  class-balanced logistic regression). English trains on SemEval 2013-2016 minus a
  fixed 10% held out (:data:`EN_HOLDOUT`); C is chosen on one half of TweetEval
  validation (:data:`EN_VAL_TUNE`), the other half is only scored. Finnish trains on
  XED minus a fixed 20% held out (:data:`FI_HOLDOUT`); C is chosen on a hash split
  inside the remaining 80% (:data:`FI_DEV`).
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
    EN_VAL_TUNE,
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
from detectors.text.tfidf import TfidfModel
from detectors.text.tokens import tokenize
from tools.train_models import _argmax_label, export, featurize, fit, predict, train_tfidf

EN_TRAIN = "sentiment/en_semeval2013-2016_train.tsv"
EN_VAL = "sentiment/en_tweeteval_val.tsv"
FI_TRAIN = "sentiment/fi_xed_train.tsv"
FI_DEV = Split("spikewatch/fi_xed/dev/v1", 0.15)  # tuning split inside the 80%
# Public rows kept out of the first stage for the care layer (so it also learns how
# ordinary tweets and subtitles look); at most LAYER_PUBLIC_MAX per language are used
# (all of them: 500 per language gave a lower cross-validated figure on both kinds of rows).
LAYER_SPLIT = Split("spikewatch/care_layer/v1", 0.04)
LAYER_PUBLIC_MAX = 100_000
# A deployment's corrections: this share is kept back to measure what folding them in did.
FEEDBACK_HOLDOUT = Split("spikewatch/feedback/holdout/v1", 0.30)
ROOT = Path(__file__).resolve().parents[1]  # the repository
MODELS = ROOT / "detectors" / "text" / "models"
BRAND_MENTIONS = ROOT / "tests" / "data" / "brand_mentions.tsv"
TUNE_MENTIONS = ROOT / "tests" / "data" / "tune" / "mentions_tune.tsv"
CARE_C_GRID = (0.03, 0.1, 0.3, 1.0, 3.0, 10.0)
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
    models: dict[str, Any],
    rows: list[tuple[str, str, str]],
    tfidf: dict[str, TfidfModel],
) -> list[dict[str, float]]:
    """The care layer's input features of ``rows``, first stage as inference runs it."""
    from detectors.text.sentiment import LinearModel, _log_softmax

    linear = {name: LinearModel(spec) for name, spec in models.items()}
    out = []
    for lang, _, text in rows:
        name = lang if lang in linear or lang in tfidf else "universal"
        m = linear.get(name) or linear["universal"]
        toks = tokenize(text)
        f = sentiment_features(
            toks,
            lang,
            stems=stem_all(lang, toks),
            caps=count_caps(text),
            words=m.words,
            chars=m.chars,
        )
        tf = tfidf.get(lang)
        lp = _log_softmax(*(tf.scores(toks) if tf is not None else m.scores(f)))
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
    models: dict[str, Any],
    log: list[str],
    public: list[tuple[str, str, str]],
    tfidf: dict[str, TfidfModel],
    extra: Sequence[tuple[str, str, str]] = (),
) -> dict[str, Any] | None:
    """Fit the care layer on brand-mention tuning rows (and ``extra`` ones: a deployment's
    corrections) plus ``public`` rows.

    C is chosen by stratified k-fold cross-validation: the mean of the macro recall on
    the brand-mention rows and on the public rows (care traffic is the product; public
    tweets and subtitles keep it from reading every question as a complaint).
    """
    from sklearn.model_selection import StratifiedKFold

    domain = tuning_rows() + list(extra)
    if len(domain) < 50:
        log.append("too few tuning rows: no care layer")
        return None
    rows = domain + public
    x = layer_inputs(models, rows, tfidf)
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


def train_all(data: Path, out: Path) -> dict[str, Any]:
    """Train, evaluate and write every model; returns the figures.

    BLAS runs on one thread: parallel sums are not bit-reproducible (and the
    machine is shared).
    """
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        return _train_all(data, out)


def _train_all(data: Path, out: Path) -> dict[str, Any]:
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
    out.parent.mkdir(parents=True, exist_ok=True)
    en_val_tune = [(y, t) for y, t in en_val if is_held_out(t, EN_VAL_TUNE)]
    en_val_rest = [(y, t) for y, t in en_val if not is_held_out(t, EN_VAL_TUNE)]
    tfidf = {
        "en": train_tfidf(
            "en",
            en_tr,
            en_tr,
            en_val_tune,
            {"tweeteval_val_scored_half": en_val_rest, "semeval_holdout": en_ho},
            out.parent / "tfidf-en.npz",
            log,
            figures,
        ),
        "fi": train_tfidf(
            "fi",
            fi_tr,
            fi_fit,
            fi_dev,
            {"xed_holdout": fi_ho},
            out.parent / "tfidf-fi.npz",
            log,
            figures,
        ),
    }
    val: tuple[list[Any], list[str]] = ([], [y for y, _ in en_val])
    fho: tuple[list[Any], list[str]] = ([], [y for y, _ in fi_ho])

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
    care = fit_care(models, log, layer_public_rows(data), tfidf)

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
                "en_val_tune": [EN_VAL_TUNE.salt, EN_VAL_TUNE.fraction],
                "care_layer": [LAYER_SPLIT.salt, LAYER_SPLIT.fraction],
                "fi_dev": [FI_DEV.salt, FI_DEV.fraction],
            },
            "attribution": ATTRIBUTION,
            "figures": {k: round(v, 4) for k, v in figures.items()},
        },
        "models": models,
        "tfidf": {name: f"tfidf-{name}.npz" for name in tfidf},
    }
    if care is not None:
        spec["care"] = care
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


def read_feedback(path: Path) -> list[tuple[str, str, str, str]]:
    """``(key, language, label, text)`` sentiment corrections of an exported NDJSON file
    (``spikewatch feedback export``); topic corrections and malformed lines are skipped."""
    out: list[tuple[str, str, str, str]] = []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            try:
                r = json.loads(line)
            except ValueError:
                continue
            if not isinstance(r, dict) or r.get("field") != "sentiment":
                continue
            lang, label, text = r.get("lang"), r.get("new"), r.get("text")
            if label in CLASSES and isinstance(lang, str) and isinstance(text, str) and text:
                out.append((str(r.get("mention_id", "")) + "\x00" + text, lang, label, text))
    return out


def care_predict(spec: dict[str, Any], x: dict[str, float]) -> str:
    """The care layer's label from its input features (as :func:`layer_inputs` builds)."""
    b = [float(v) for v in spec["intercept"]]
    for k, v in x.items():
        w = spec["weights"].get(k)
        if w is not None:
            for i in range(3):
                b[i] += float(w[i]) * v
    return _argmax_label(b[0], b[1], b[2])


def refit_care(out: Path, data: Path, feedback: Path | None = None) -> None:
    """Refit only the care layer over the first-stage models already in ``out``.

    With ``feedback`` (a deployment's exported corrections), a fixed 30% of the sentiment
    corrections (:data:`FEEDBACK_HOLDOUT`) is kept back and the rest joins the tuning
    rows; macro recall and accuracy on the kept-back part are printed before and after.
    """
    with gzip.open(out, "rt", encoding="utf-8") as src:
        spec = json.load(src)
    log: list[str] = []
    from threadpoolctl import threadpool_limits

    tfidf = {k: TfidfModel(out.parent / f) for k, f in spec.get("tfidf", {}).items()}
    extra: list[tuple[str, str, str]] = []
    held: list[tuple[str, str, str]] = []
    if feedback is not None:
        for key, lang, label, text in read_feedback(feedback):
            (held if is_held_out(key, FEEDBACK_HOLDOUT) else extra).append((lang, label, text))
        log.append(f"feedback: {len(extra)} corrections to learn from, {len(held)} kept back")
    public = layer_public_rows(data)
    with threadpool_limits(limits=1):
        if held:
            before = fit_care(spec["models"], [], public, tfidf)
        care = fit_care(spec["models"], log, public, tfidf, extra)
    if held and before is not None and care is not None:
        xs = layer_inputs(spec["models"], held, tfidf)
        gold = [r[1] for r in held]
        for name, layer in (("before", before), ("after", care)):
            pred = [care_predict(layer, x) for x in xs]
            acc = sum(g == p for g, p in zip(gold, pred, strict=True)) / len(gold)
            log.append(
                f"kept-back corrections ({len(held)}), {name}: "
                f"macro recall {macro_recall(gold, pred):.3f}, accuracy {acc:.3f}"
            )
    if care is None:
        spec.pop("care", None)
    else:
        spec["care"] = care
    payload = json.dumps(spec, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    with open(out, "wb") as fh, gzip.GzipFile(filename="", fileobj=fh, mode="wb", mtime=0) as gz:
        gz.write(payload.encode("utf-8"))
    print("\n".join(log))


def main(argv: Sequence[str] | None = None) -> int:
    default_data = os.environ.get("SPIKEWATCH_TRAIN_DATA", str(ROOT.parent / "shared" / "data"))
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    ap.add_argument(
        "--data", default=default_data, help="folder with sentiment/ (default %(default)s)"
    )
    ap.add_argument("--out", default=str(MODELS / "sentiment.json.gz"))
    ap.add_argument(
        "--care-only", action="store_true", help="refit the care layer over the models in --out"
    )
    ap.add_argument(
        "--feedback",
        help="NDJSON corrections (spikewatch feedback export) to fold into the care layer",
    )
    args = ap.parse_args(argv)
    if args.care_only or args.feedback:
        refit_care(Path(args.out), Path(args.data), Path(args.feedback) if args.feedback else None)
        return 0
    data = Path(args.data)
    if not (data / FI_TRAIN).exists():
        print(f"training data not found under {data}", file=sys.stderr)
        return 2
    train_all(data, Path(args.out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
