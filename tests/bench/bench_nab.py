"""NAB realTweets (development half) with the live worker's volume-surge detector.

Writes one score CSV per series (``detectors.series.score_series``, the live
defaults: the live volume detector, gated as the incident lifecycle opens
incidents) to a temporary directory, runs NAB's scorer from shared/ with NAB's
own threshold choice and at the live threshold (``--fixed-threshold``), and
prints leave-one-series-out figures: the threshold is picked on four series
and the fifth is scored at it (what the held-back series will see).

    .venv/bin/python tests/bench/bench_nab.py      # SPIKEWATCH_SHARED overrides shared/
"""

from __future__ import annotations

import csv
import importlib.util
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from detectors.monitor import MonitorConfig
from detectors.series import score_series

SHARED = Path(
    os.environ.get("SPIKEWATCH_SHARED") or Path(__file__).resolve().parents[2].parent / "shared"
)
BENCH = SHARED / "bench" / "nab-realtweets-dev"


def load_scorer() -> Any:
    spec = importlib.util.spec_from_file_location("score_nab", BENCH / "score_nab.py")
    assert spec is not None
    assert spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def main() -> None:
    cfg = MonitorConfig()
    nab = load_scorer()
    out = Path(tempfile.mkdtemp(prefix="spikewatch-nab-"))
    data: dict[str, tuple[list[Any], list[float]]] = {}
    t0 = time.perf_counter()
    rows_total = 0
    for path in sorted((BENCH / "data").glob("*.csv")):
        with path.open(newline="") as f:
            rows = [(r["timestamp"], float(r["value"])) for r in csv.DictReader(f)]
        scores = score_series(rows, cfg)
        rows_total += len(rows)
        with (out / path.name).open("w", newline="") as f:
            w = csv.writer(f)
            w.writerow(["timestamp", "value", "anomaly_score"])
            for (ts, v), s in zip(rows, scores, strict=True):
                w.writerow([ts, v, f"{s:.6f}"])
        data["realTweets/" + path.name] = ([nab.parse_ts(r[0]) for r in rows], scores)
    dt = time.perf_counter() - t0
    print(f"scored {rows_total} rows in {dt:.1f} s ({rows_total / dt:,.0f} rows/s); CSVs in {out}")
    print(f"live volume_threshold = {cfg.volume_threshold}\n")
    scorer = [sys.executable, str(BENCH / "score_nab.py"), "--scores-dir", str(out), "--per-file"]
    subprocess.run(scorer, check=True)
    print()
    subprocess.run([*scorer, "--fixed-threshold", str(cfg.volume_threshold)], check=True)

    print("\nleave-one-series-out (threshold optimised on the other four, standard profile)")
    windows = nab.WINDOWS
    keys = sorted(data)
    for held in keys:
        train = {k: data[k] for k in keys if k != held}
        thr = nab.evaluate(train, windows)["standard"]["threshold"]
        res = nab.evaluate({held: data[held]}, windows, {p: thr for p in nab.PROFILE_ORDER})
        r = res["standard"]
        print(
            f"  {held:40s} thr {thr:.4f}  normalised {r['normalized']:7.2f}"
            f"  windows {r['windows_detected']}/{r['windows_total']}  fp_rows {r['fp_rows']}"
        )
    loo_all = {}
    for held in keys:
        train = {k: data[k] for k in keys if k != held}
        loo_all[held] = nab.evaluate(train, windows)["standard"]["threshold"]
    # Pool: each series scored at the threshold chosen without it.
    pooled = {k: (data[k][0], [s if s < loo_all[k] else 1.0 for s in data[k][1]]) for k in keys}
    res = nab.evaluate(pooled, windows, {p: 1.0 for p in nab.PROFILE_ORDER})
    print(
        "  pooled leave-one-out: "
        + ", ".join(f"{p} {res[p]['normalized']:.2f}" for p in nab.PROFILE_ORDER)
    )


if __name__ == "__main__":
    main()
