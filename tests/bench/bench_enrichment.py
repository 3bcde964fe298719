"""Enrichment figures: sentiment macro recall, language and topic accuracy, throughput, memory.

Run: ``.venv/bin/python tests/bench/bench_enrichment.py [--data ../shared/data] [--n 20000]``

Prints one line per figure. Uses the packaged model exactly as the worker does.
- English: TweetEval validation (one half chose the English first stage's C) and the fixed
  10% of the SemEval training file held out from training and tuning.
- Finnish: the fixed 20% of XED held out from training and tuning.
- Our labelled brand mentions (tests/data/brand_mentions.tsv), per language: these are
  care-layer tuning rows now (say nothing); the independent set is in bench_sentiment.py.
- Throughput of ``Enricher.enrich_batch`` in batches of 500 on one core, with
  detected and with source-supplied languages (every text distinct, so the
  enricher's memo finds nothing), and over a simulated stream (its repeats as
  the simulator makes them) with the memo on and off; peak resident memory.
"""

from __future__ import annotations

import argparse
import csv
import gc
import resource
import sys
import time
from datetime import UTC, datetime
from itertools import islice
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from detectors.mention import Mention, mention_from_obj  # noqa: E402
from detectors.text import Enricher, detect_language  # noqa: E402
from detectors.text.datasets import (  # noqa: E402
    EN_HOLDOUT,
    FI_HOLDOUT,
    is_held_out,
    macro_recall,
    read_labelled,
)
from detectors.text.features import sentiment_features  # noqa: E402
from detectors.text.sentiment import default_model, default_model_path  # noqa: E402
from detectors.text.tokens import tokenize  # noqa: E402
from tools.scenarios import default_profiles, random_events  # noqa: E402
from tools.simulate import simulate  # noqa: E402

LABEL = {"neg": "negative", "neu": "neutral", "pos": "positive"}


def rss_mb() -> float:
    """Current resident memory (Linux /proc), else the peak."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return peak_mb()


def model_mb() -> float:
    """Size of the packaged sentiment model files (JSON + the TF-IDF first stages)."""
    folder = default_model_path().parent
    return sum(p.stat().st_size for p in folder.iterdir() if p.is_file()) / 1e6


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def lexicon_baseline(text: str, lang: str) -> str:
    """AFINN + our cues only, summed with negation: a reference point."""
    f = sentiment_features(tokenize(text), lang, words=False)
    s = f.get("LS", 0.0) + f.get("E+", 0.0) - f.get("E-", 0.0)
    return "positive" if s > 0 else "negative" if s < 0 else "neutral"


def sentiment_figures(data: Path) -> None:
    model = default_model()
    sets = {
        "en TweetEval val (half chose C)": (
            list(read_labelled(data / "sentiment/en_tweeteval_val.tsv")),
            "en",
        ),
        "en SemEval 10% held out (never tuned)": (
            [
                r
                for r in read_labelled(data / "sentiment/en_semeval2013-2016_train.tsv")
                if is_held_out(r[1], EN_HOLDOUT)
            ],
            "en",
        ),
        "fi XED 20% held out (never trained/tuned)": (
            [
                r
                for r in read_labelled(data / "sentiment/fi_xed_train.tsv")
                if is_held_out(r[1], FI_HOLDOUT)
            ],
            "fi",
        ),
    }
    for name, (rows, lang) in sets.items():
        gold = [y for y, _ in rows]
        pred = [model.classify(t, lang)[0] for _, t in rows]
        base = [lexicon_baseline(t, lang) for _, t in rows]
        uni = [
            model.models["universal"].predict(sentiment_features(tokenize(t), lang, words=False))[0]
            for _, t in rows
        ]
        print(
            f"sentiment {name}: n={len(rows)} macro_recall={macro_recall(gold, pred):.3f} "
            f"(universal lexicon model {macro_recall(gold, uni):.3f}, "
            f"lexicon sum {macro_recall(gold, base):.3f})"
        )


def read_mentions(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8") as fh:
        return list(csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE))


def brand_figures(enricher: Enricher, rows: list[dict[str, str]], name: str) -> None:
    model = enricher.sentiment
    langs = sorted({r["lang"] for r in rows})
    lid_ok = sum(detect_language(r["text"]) == r["lang"] for r in rows)
    print(f"{name}: n={len(rows)} language id accuracy={lid_ok / len(rows):.3f}")
    for lang in langs:
        sub = [r for r in rows if r["lang"] == lang]
        gold = [LABEL[r["label"]] for r in sub]
        given = [model.classify(r["text"], lang)[0] for r in sub]
        auto = [enricher.enrich_text(r["text"]).sentiment for r in sub]
        print(
            f"{name} {lang}: n={len(sub)} "
            f"sentiment macro_recall={macro_recall(gold, given):.3f}"
            f" (language detected: {macro_recall(gold, auto):.3f})"
        )
    exact = tp = fp = fn = 0
    for r in rows:
        gold_t = set(filter(None, r["topics"].split(",")))
        got = set(enricher.enrich_text(r["text"], r["lang"]).topics)
        exact += gold_t == got
        tp += len(gold_t & got)
        fp += len(got - gold_t)
        fn += len(gold_t - got)
    print(
        f"{name} topics: exact-set accuracy={exact / len(rows):.3f} "
        f"micro precision={tp / max(tp + fp, 1):.3f} recall={tp / max(tp + fn, 1):.3f}"
    )


def throughput(enricher: Enricher, rows: list[dict[str, str]], n: int, batch: int) -> None:
    t0 = datetime(2026, 3, 2, tzinfo=UTC)
    texts = [(r["text"], r["lang"]) for r in rows]
    for hinted in (False, True):
        ms = [
            Mention(
                id=f"x:{i}",
                source="x",
                brand="nordbank",
                created_at=t0,
                # a suffix keeps texts distinct (no accidental caching)
                text=f"{texts[i % len(texts)][0]} #{i % 997}",
                lang=texts[i % len(texts)][1] if hinted else None,
            )
            for i in range(n)
        ]
        enricher.enrich_batch(ms[:batch])  # warm-up
        gc.collect()
        start, cpu = time.perf_counter(), time.process_time()
        for j in range(0, n, batch):
            enricher.enrich_batch(ms[j : j + batch])
        wall, cpu = time.perf_counter() - start, time.process_time() - cpu
        what = "lang from source" if hinted else "lang detected"
        print(
            f"throughput ({what}, batches of {batch}): {n / cpu:,.0f} mentions/s per CPU second"
            f" ({n / wall:,.0f}/s wall clock; the machine is shared)"
        )


def simulated_throughput(n: int, batch: int) -> None:
    """``enrich_batch`` over a simulated stream, with the memo on and off (same answers)."""
    t0, profiles = datetime(2026, 3, 2, tzinfo=UTC), default_profiles()
    rows = simulate(profiles, t0, 3.0, random_events(profiles, t0, 3.0, 5), seed=5)
    ms = [mention_from_obj(r) for r in islice(rows, n)]
    for memo in (True, False):
        enricher = Enricher() if memo else Enricher(memo_size=0)
        enricher.enrich_text("warm up the models")
        gc.collect()
        cpu = time.process_time()
        for j in range(0, n, batch):
            enricher.enrich_batch(ms[j : j + batch])
        cpu = time.process_time() - cpu
        print(
            f"throughput (simulated stream, {len({m.text for m in ms}) / n:.0%} distinct texts, "
            f"memo {'on' if memo else 'off'}): {n / cpu:,.0f} mentions/s per CPU second"
        )


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default=str(ROOT.parent / "shared" / "data"))
    ap.add_argument("--n", type=int, default=20_000)
    ap.add_argument("--batch", type=int, default=500)
    ap.add_argument("--quick", action="store_true", help="5,000 mentions, no public-set figures")
    args = ap.parse_args()
    if args.quick:
        args.n = min(args.n, 5_000)
    base = rss_mb()
    enricher = Enricher()
    detect_language("warm up the language model")
    gc.collect()
    print(
        f"model files {model_mb():.2f} MB; resident memory "
        f"{rss_mb():.0f} MB with models loaded (interpreter + imports before: {base:.0f} MB)"
    )
    rows = read_mentions(ROOT / "tests" / "data" / "brand_mentions.tsv")
    throughput(enricher, rows, args.n, args.batch)
    for split, name in (
        ("dev", "brand mentions (dev: cues and taxonomy were revised against these)"),
        ("fresh", "brand mentions (fresh: written after the last revision)"),
    ):
        brand_figures(enricher, [r for r in rows if r["split"] == split], name)
    brand_figures(enricher, rows, "brand mentions (all)")
    data = Path(args.data)
    if args.quick:
        print("--quick: public-set figures skipped (tests/bench/bench_sentiment.py has them)")
    elif (data / "sentiment").exists():
        sentiment_figures(data)
    else:
        print(f"no training data under {data}: public-set figures skipped")
    print(f"resident memory at the end {rss_mb():.0f} MB, peak {peak_mb():.0f} MB")
    simulated_throughput(args.n, args.batch)  # last: its two enrichers would count above
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
