"""The detection yardstick (issue 15): a regime grid on two generator families, and NAB LOSO.

Drives the real :class:`~detectors.keystate.KeyState` (volume, negative, backlog)
with mentions built from pre-labelled per-minute counts (``gen_counts``), on the
EVALUATION seeds (``gen_counts.EVAL_SEEDS``; tuning used ``TUNING_SEEDS`` only):

* crisis cells: daily volume x surge x onset ramp x negative share x overdispersion
  x family; per cell the detection rate and median / p90 onset -> first active
  signal (the incident opens there), on a state warmed up for two weeks;
* slow burns (1.4-1.9x, 70-85 % negative over 3-4 h);
* quiet weeks (holiday, a permanent level shift, a bot flood, a retweet storm and
  a positive viral spike, replies none / a care team): incidents per brand-week by
  kind, negative-burst incidents on the nuisances (must be 0), volume incidents on
  them (FYI, not counted false);
* NAB dev half: leave-one-series-out, the fixed live threshold, and NAB score vs
  threshold (the operating curve);
* the operating curve of the grid: delay vs false per brand-week for the
  sensitivity settings.

    .venv/bin/python tests/bench/bench_detect.py            # full: ~10 CPU-minutes
    .venv/bin/python tests/bench/bench_detect.py --quick    # CI smoke (~1 min)
    .venv/bin/python tests/bench/bench_detect.py --tuning   # the tuning seeds (for tuning only)
"""

from __future__ import annotations

import argparse
import csv
import importlib.util
import math
import os
import pickle
import statistics
import sys
import time
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import gen_counts as gc

from detectors.backlog import BacklogConfig
from detectors.base import AlertGate
from detectors.keystate import KeyState
from detectors.mention import EnrichedMention, Enrichment, Mention
from detectors.monitor import MonitorConfig

SHARED = Path(
    os.environ.get("SPIKEWATCH_SHARED") or Path(__file__).resolve().parents[2].parent / "shared"
)
NAB = SHARED / "bench" / "nab-realtweets-dev"
NEG = Enrichment("en", "negative", -0.8, terms=("outage",))
NEU = Enrichment("en", "neutral", 0.1, terms=("app",))
KINDS = ("volume_surge", "negative_burst", "backlog")
WEEK_MIN = 7 * gc.MIN_PER_DAY


# -- mentions from counts ----------------------------------------------------------------


def mentions(
    s: gc.Stream, lo: int, hi: int, rng: np.random.Generator, care: bool, brand: str = "b"
) -> Iterator[EnrichedMention]:
    """Mentions of minutes [lo, hi) in time order; with ``care`` the brand answers negatives."""
    replies: list[tuple[float, str]] = []
    ri = 0
    for m in range(lo, hi):
        n = int(s.total[m])
        k = int(s.negative[m])
        t0 = gc.T0 + 60.0 * m
        if care:
            while ri < len(replies) and replies[ri][0] < t0:
                yield _reply(replies[ri], brand)
                ri += 1
        if n == 0:
            continue
        secs = np.sort(rng.uniform(0.0, 60.0, size=n))
        negs = set(rng.choice(n, size=k, replace=False).tolist()) if k else set()
        for i in range(n):
            ts = t0 + float(secs[i])
            mid = f"x:{m}:{i}"
            neg = i in negs
            yield EnrichedMention(
                Mention(mid, "x", brand, datetime.fromtimestamp(ts, UTC), "t"),
                NEG if neg else NEU,
            )
            if care and neg:
                hour = ((ts - gc.T0) % gc.DAY) / 3600.0
                wait = float(rng.exponential(900.0))
                if not 7.0 <= hour < 21.0:  # night: answered next morning
                    wait += ((31.0 - hour) % 24.0) * 3600.0
                replies.append((ts + wait, mid))
        if care and len(replies) > 4 * ri + 256:
            replies = sorted(replies[ri:])
            ri = 0
        elif care:
            replies[ri:] = sorted(replies[ri:])


def _reply(r: tuple[float, str], brand: str) -> EnrichedMention:
    ts, target = r
    m = Mention(
        f"r:{target}",
        "x",
        brand,
        datetime.fromtimestamp(ts, UTC),
        "sorry",
        author_is_brand=True,
        in_reply_to=target,
    )
    return EnrichedMention(m, NEU)


@dataclass
class Run:
    """Signals folded into incidents (one AlertGate per kind, the live lifecycle in small)."""

    gates: dict[str, AlertGate]
    opened: list[tuple[float, str]]
    first_active: dict[str, float]

    @classmethod
    def new(cls) -> Run:
        return cls({k: AlertGate(0.5) for k in KINDS}, [], {})

    def feed(self, st: KeyState, ems: Iterable[EnrichedMention]) -> None:
        for em in ems:
            for sig in st.observe(em).signals:
                if sig.kind not in self.gates:
                    continue
                if sig.active and sig.kind not in self.first_active:
                    self.first_active[sig.kind] = sig.ts
                if self.gates[sig.kind].update(sig.ts, 1.0 if sig.active else 0.0):
                    self.opened.append((sig.ts, sig.kind))


# -- worlds ------------------------------------------------------------------------------


@dataclass(frozen=True)
class World:
    family: str
    daily: float
    od: float
    seed: int


def new_state(cfg: MonitorConfig, care: bool) -> KeyState:
    """A brand's state; a care team is on duty 07-21 (it answers the night's queue then)."""
    return KeyState("b", cfg, BacklogConfig(tz="UTC", service_hours=(7, 21) if care else None))


def quiet_weeks(w: World, cfg: MonitorConfig, care: bool, weeks: int) -> dict[str, Any]:
    """Three weeks (warm-up, holiday + level shift, nuisances): incidents by week and kind."""
    days = 7 * weeks
    s = gc.quiet_stream(w.family, w.daily, w.od, days, w.seed)
    st = new_state(cfg, care)
    run = Run.new()
    rng = np.random.default_rng(w.seed + 7)
    run.feed(st, mentions(s, 0, days * gc.MIN_PER_DAY, rng, care))
    nuis = [
        (k, gc.T0 + 60 * a, gc.T0 + 60 * b + 1800)
        for k, a, b in s.events
        if k in ("viral", "bot", "retweet")
    ]
    out: dict[str, Any] = {
        "week1": defaultdict(int),
        "steady": defaultdict(int),
        "neg_on_nuisance": 0,
        "vol_on_nuisance": 0,
        "shift": 0,
    }
    shift = [gc.T0 + 60 * a for k, a, _ in s.events if k.startswith("level_shift")]
    for ts, kind in run.opened:
        on = [k for k, a, b in nuis if a <= ts <= b]
        if on:
            if kind == "negative_burst":
                out["neg_on_nuisance"] += 1
            elif kind == "volume_surge":
                out["vol_on_nuisance"] += 1
                continue
        if shift and shift[0] <= ts <= shift[0] + 6 * 3600:
            out["shift"] += 1
        week = "week1" if ts < gc.T0 + 7 * gc.DAY else "steady"
        out[week][kind] += 1
    out["steady_weeks"] = weeks - 1
    out["state_bytes"] = len(pickle.dumps(st.monitor))
    return out


def warm_state(w: World, cfg: MonitorConfig) -> tuple[KeyState, gc.Stream, int]:
    """A state after two weeks of quiet traffic, and the stream it came from (no nuisances)."""
    days = 16
    s = gc.quiet_stream(w.family, w.daily, w.od, days, w.seed + 1, nuisances=False)
    snap = 14 * gc.MIN_PER_DAY + 6 * 60  # Tuesday of week 3, 06:00
    st = new_state(cfg, False)
    rng = np.random.default_rng(w.seed + 11)
    Run.new().feed(st, mentions(s, 0, snap, rng, False))
    return st, s, snap


def episode(
    st0: bytes,
    s0: gc.Stream,
    snap: int,
    surge: float,
    ramp: float,
    share: float,
    seed: int,
    slow: bool = False,
) -> tuple[float | None, float]:
    """(onset -> first active signal in minutes or None, mentions per 5 min at onset)."""
    rng = np.random.default_rng(seed)
    lead = int(rng.integers(120, 600))
    start = snap + lead
    s = gc.Stream(s0.total.copy(), s0.negative.copy(), s0.rate, s0.share, [])
    if slow:
        _, end = gc.inject_slow_burn(s, start, seed)
    else:
        _, end = gc.inject_crisis(s, start, surge, ramp, share, seed)
    st = pickle.loads(st0)  # noqa: S301 - our own bytes
    run = Run.new()
    run.feed(st, mentions(s, snap, end + 1, rng, False))
    onset = gc.T0 + 60.0 * start
    firsts = [
        t
        for t in (run.first_active.get(k) for k in ("volume_surge", "negative_burst"))
        if t is not None and t >= onset
    ]
    # The first active signal at or after onset (an earlier one in the lead-in would be a
    # false alarm already open; look for one after onset).
    hits = [t for t, k in run.opened if t >= onset and k != "backlog"]
    first = min(hits + firsts) if (hits or firsts) else None
    per_bucket = float(s0.rate[start - 30 : start].mean() * 5)
    if first is None:
        return None, per_bucket
    return (first - onset) / 60.0, per_bucket


# -- NAB ---------------------------------------------------------------------------------


def nab_curve(cfg: MonitorConfig, quick: bool, live: bool = False) -> dict[str, Any]:
    """NAB on the dev half: ``score-series`` (the log-ratio detector), or with ``live``
    the live volume decision (the window count tests), gated as the lifecycle gates."""
    from detectors.base import AlertGate
    from detectors.series import parse_timestamp, score_series, window_scores

    def live_scores(rows: list[tuple[str, float]], cfg: MonitorConfig) -> list[float]:
        gate = AlertGate(cfg.volume_threshold, 1800.0, 900.0)
        return [
            gate.apply(parse_timestamp(st), sc)
            for (st, _), sc in zip(rows, window_scores(rows, cfg), strict=True)
        ]

    scorer = live_scores if live else score_series

    spec = importlib.util.spec_from_file_location("score_nab", NAB / "score_nab.py")
    assert spec is not None
    assert spec.loader is not None
    nab = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(nab)
    data: dict[str, tuple[list[Any], list[float]]] = {}
    for path in sorted((NAB / "data").glob("*.csv")):
        with path.open(newline="") as f:
            rows = [(r["timestamp"], float(r["value"])) for r in csv.DictReader(f)]
        data["realTweets/" + path.name] = ([nab.parse_ts(r[0]) for r in rows], scorer(rows, cfg))
    keys = sorted(data)
    prof = {p: cfg.volume_threshold for p in nab.PROFILE_ORDER}
    fixed = nab.evaluate(data, nab.WINDOWS, prof)["standard"]
    curve = []
    thrs = (
        [0.3, 0.4, 0.45, 0.5, 0.55, 0.6, 0.7]
        if quick
        else [0.3, 0.35, 0.4, 0.45, 0.48, 0.5, 0.52, 0.55, 0.6, 0.65, 0.7, 0.8]
    )
    for thr in thrs:
        r = nab.evaluate(data, nab.WINDOWS, {p: thr for p in nab.PROFILE_ORDER})["standard"]
        curve.append((thr, r["normalized"], r["windows_detected"], r["fp_rows"]))
    loo = {}
    for held in keys:
        train = {k: data[k] for k in keys if k != held}
        loo[held] = nab.evaluate(train, nab.WINDOWS)["standard"]["threshold"]
    pooled = {k: (data[k][0], [v if v < loo[k] else 1.0 for v in data[k][1]]) for k in keys}
    res = nab.evaluate(pooled, nab.WINDOWS, {p: 1.0 for p in nab.PROFILE_ORDER})["standard"]
    return {"fixed": fixed, "curve": curve, "loso": res, "loso_thr": loo}


# -- main --------------------------------------------------------------------------------


def q(xs: list[float], p: float) -> float:
    if not xs:
        return math.nan
    xs = sorted(xs)
    return xs[min(len(xs) - 1, math.ceil(p * len(xs)) - 1)]


def fmt(x: float) -> str:
    return "  -  " if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:5.1f}"


def grid(args: argparse.Namespace) -> dict[str, Any]:
    seeds = gc.TUNING_SEEDS if args.tuning else gc.EVAL_SEEDS
    E = gc.EVAL_SETTINGS
    if args.quick:
        dailies, fams, ods, nseed = (300.0, 2000.0), ("pg", "nbw"), (0.2,), 1
        surges, ramps, shares, reps = (3.5, 6.0), (10.0,), (0.1, 0.8), 1
        weeks, replies = 3, ("none",)
    else:
        dailies, fams, ods = E["daily"], E["family"], E["od"]
        if args.family:
            fams = (args.family,)
        nseed = args.seeds
        surges, ramps, shares, reps = E["surge"], E["ramp_min"], E["neg_share"], 1
        weeks, replies = 3, E["replies"]
    cfg = config_for(args.sensitivity)
    worlds = [
        World(str(f), float(d), float(o), seeds[i])
        for f in fams
        for d in dailies
        for o in ods
        for i in range(1 if float(d) >= 20000 and not args.quick else nseed)
    ]
    cells: dict[tuple[Any, ...], list[tuple[float | None, float]]] = defaultdict(list)
    slow: list[tuple[float | None, float]] = []
    quiet: list[tuple[World, str, dict[str, Any]]] = []
    t_start = time.process_time()
    for wi, w in enumerate(worlds):
        for rep in replies:
            quiet.append((w, str(rep), quiet_weeks(w, cfg, rep == "care", weeks)))
        st, s, snap = warm_state(w, cfg)
        st0 = pickle.dumps(st)
        for surge in surges:
            for ramp in ramps:
                for share in shares:
                    for r in range(reps):
                        seed = hash((w.seed, surge, ramp, share, r)) & 0xFFFFFFF
                        cells[(w.daily, surge, ramp, share, w.family, w.od)].append(
                            episode(st0, s, snap, float(surge), float(ramp), float(share), seed)
                        )
        slow.append(episode(st0, s, snap, 0, 0, 0, w.seed + 3, slow=True))
        print(
            f"  world {wi + 1}/{len(worlds)} {w} done, cpu {time.process_time() - t_start:.0f} s",
            file=sys.stderr,
        )
    return {
        "cells": cells,
        "slow": slow,
        "quiet": quiet,
        "cpu": time.process_time() - t_start,
        "seeds": "tuning" if args.tuning else "evaluation",
    }


def config_for(sensitivity: str) -> MonitorConfig:
    """The live config at a sensitivity setting (the operating curve's points)."""
    cfg = MonitorConfig()
    if hasattr(MonitorConfig, "sensitivity") and sensitivity != "thresholds":
        return replace(cfg, sensitivity=sensitivity)  # type: ignore[call-arg]
    return cfg


def report(g: dict[str, Any]) -> dict[str, Any]:
    cells = g["cells"]
    print("\n== crisis cells (aggregated over families, overdispersion, seeds) ==")
    print("daily  surge ramp share |  n  det%  med   p90 | per-bucket at onset")
    agg: dict[tuple[Any, ...], list[tuple[float | None, float]]] = defaultdict(list)
    for (d, su, ra, sh, _f, _o), v in cells.items():
        agg[(d, su, ra, sh)] += v
    for key in sorted(agg):
        v = agg[key]
        ds = [x for x, _ in v if x is not None]
        pb = statistics.median(b for _, b in v)
        print(
            f"{key[0]:6.0f} {key[1]:5.1f} {key[2]:4.0f} {key[3]:5.1f} | {len(v):3d} "
            f"{100 * len(ds) / len(v):4.0f} {fmt(q(ds, 0.5))} {fmt(q(ds, 0.9))} | {pb:6.1f}"
        )
    print("\n== by family ==")
    for fam in sorted({k[4] for k in cells}):
        v = [x for k, vv in cells.items() if k[4] == fam for x in vv]
        ds = [x for x, _ in v if x is not None]
        print(
            f"  {fam:4s} n {len(v):4d}  detected {100 * len(ds) / len(v):5.1f} %  median "
            f"{fmt(q(ds, 0.5))}  p90 {fmt(q(ds, 0.9))} min"
        )
    # Targets.
    tgt = [(x, b, k) for k, vv in cells.items() for x, b in vv if k[1] >= 3.0 or k[3] >= 0.6]
    det = [x for x, _, _ in tgt if x is not None]
    sparse = [x for x, b, k in tgt if 1.0 <= b < 10.0 and k[2] >= 10 and x is not None]
    sparse_n = [x for x, b, k in tgt if 1.0 <= b < 10.0 and k[2] >= 10]
    busy = [x for x, b, _ in tgt if b >= 30.0 and x is not None]
    busy_n = [x for x, b, _ in tgt if b >= 30.0]
    sl = [x for x, _ in g["slow"] if x is not None]
    print("\n== quiet weeks: incidents per brand-week (steady weeks 2-3; week 1 apart) ==")
    print(
        "family daily   od  replies | vol   neg  backlog  all | wk1 v/n/b | neg-on-nuis "
        "vol-on-nuis(FYI) shift | state KB"
    )
    tot_all, tot_weeks, neg_nuis, sizes = 0, 0, 0, []
    for w, rep, o in g["quiet"]:
        sw = o["steady_weeks"]
        per = {k: o["steady"].get(k, 0) / sw for k in KINDS}
        a = sum(per.values())
        tot_all += sum(o["steady"].values())
        tot_weeks += sw
        neg_nuis += o["neg_on_nuisance"]
        sizes.append(o["state_bytes"])
        print(
            f"{w.family:6s} {w.daily:6.0f} {w.od:4.1f} {rep:7s} | {per['volume_surge']:4.1f} "
            f"{per['negative_burst']:5.1f} {per['backlog']:7.1f} {a:5.1f} | "
            f"{o['week1'].get('volume_surge', 0)}/{o['week1'].get('negative_burst', 0)}/"
            f"{o['week1'].get('backlog', 0)}".rjust(9)
            + f" | {o['neg_on_nuisance']:5d} "
            f"{o['vol_on_nuisance']:12d} {o['shift']:10d} | {o['state_bytes'] / 1024:6.1f}"
        )
    fpw = tot_all / max(1, tot_weeks)
    print(f"\n== targets ({g['seeds']} seeds) ==")
    print(
        f"  crises >=3x or >=60% negative: {len(det)}/{len(tgt)} detected "
        f"({100 * len(det) / max(1, len(tgt)):.1f} %), median {fmt(q(det, 0.5))} p90 "
        f"{fmt(q(det, 0.9))} min"
    )
    print(
        f"  1-9 per bucket, ramps >= 10 min: median {fmt(q(sparse, 0.5))} min "
        f"(target <= 8), detected {len(sparse)}/{len(sparse_n)}"
    )
    print(
        f"  >= 30 per bucket: median {fmt(q(busy, 0.5))} min (target <= 3), "
        f"detected {len(busy)}/{len(busy_n)}"
    )
    print(
        f"  slow burns: {len(sl)}/{len(g['slow'])} detected, median {fmt(q(sl, 0.5))} min "
        "(target <= 45)"
    )
    print(f"  false incidents per brand-week (all kinds, steady weeks): {fpw:.2f} (target <= 0.5)")
    print(f"  negative-burst incidents on viral/bot/retweet nuisances: {neg_nuis} (target 0)")
    print(f"  monitor state per brand (pickle): max {max(sizes) / 1024:.1f} KB (target <= 20)")
    print(f"  grid CPU {g['cpu']:.0f} s")
    return {"median": q(det, 0.5), "fpw": fpw, "det": len(det) / max(1, len(tgt))}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="a short smoke run (CI)")
    ap.add_argument("--tuning", action="store_true", help="tuning seeds instead of evaluation")
    ap.add_argument("--seeds", type=int, default=1, help="seeds per world (full mode)")
    ap.add_argument("--sensitivity", default="balanced", help="fewer / balanced / more")
    ap.add_argument("--curve", action="store_true", help="also the other sensitivity settings")
    ap.add_argument("--no-nab", action="store_true")
    ap.add_argument("--family", default="", help="only this generator family (pg / nbw)")
    ap.add_argument("--no-grid", action="store_true", help="NAB only")
    ap.add_argument("--dump", default="", help="pickle the grid's results to this file")
    ap.add_argument("--merge", nargs="*", default=[], help="report grids dumped by --dump")
    args = ap.parse_args()
    print(
        f"bench_detect: {'TUNING' if args.tuning else 'evaluation'} seeds, "
        f"{'quick' if args.quick else 'full'} mode; settings fixed in gen_counts.EVAL_SETTINGS"
    )
    res: dict[str, Any] = {}
    if args.merge:
        parts = [pickle.loads(Path(f).read_bytes()) for f in args.merge]  # noqa: S301 - ours
        g: dict[str, Any] = {"cells": defaultdict(list), "slow": [], "quiet": [], "cpu": 0.0}
        for p in parts:
            for k, v in p["cells"].items():
                g["cells"][k] += v
            g["slow"] += p["slow"]
            g["quiet"] += p["quiet"]
            g["cpu"] += p["cpu"]
            g["seeds"] = p["seeds"]
        res = report(g)
    elif not args.no_grid:
        g = grid(args)
        if args.dump:
            Path(args.dump).write_bytes(pickle.dumps({**g, "cells": dict(g["cells"])}))
        res = report(g)
    if args.curve and res:
        print("\n== operating curve: sensitivity -> median delay / false per brand-week ==")
        rows = [(args.sensitivity, res)]
        for sens in ("fewer", "more"):
            if sens == args.sensitivity:
                continue
            a2 = argparse.Namespace(**{**vars(args), "sensitivity": sens})
            rows.append((sens, summary_only(grid(a2))))
        for sens, r in rows:
            print(
                f"  {sens:9s} detected {100 * r['det']:5.1f} %  median {fmt(r['median'])} min"
                f"  false/brand-week {r['fpw']:.2f}"
            )
    if not args.no_nab and (NAB / "data").is_dir():
        cfg = config_for(args.sensitivity)
        for live in (False, True):
            n = nab_curve(cfg, args.quick, live)
            what = (
                "live volume decision (window count tests)"
                if live
                else "spikewatch score-series (log-ratio detector)"
            )
            print(f"\n== NAB realTweets dev half, standard profile: {what} ==")
            f = n["fixed"]
            print(
                f"  fixed live threshold {cfg.volume_threshold}: {f['normalized']:.2f} "
                f"windows {f['windows_detected']}/{f['windows_total']} fp_rows {f['fp_rows']}"
            )
            print(
                f"  leave-one-series-out pooled: {n['loso']['normalized']:.2f} "
                f"(thresholds {', '.join(f'{v:.3f}' for v in n['loso_thr'].values())})"
            )
            print("  threshold  score  windows  fp_rows")
            for thr, sc, wd, fp in n["curve"]:
                print(f"  {thr:9.2f} {sc:6.2f} {wd:7d} {fp:8d}")


def summary_only(g: dict[str, Any]) -> dict[str, Any]:
    cells = g["cells"]
    tgt = [x for k, vv in cells.items() for x, _ in vv if k[1] >= 3.0 or k[3] >= 0.6]
    det = [x for x in tgt if x is not None]
    tot = sum(sum(o["steady"].values()) for _, _, o in g["quiet"])
    weeks = sum(o["steady_weeks"] for _, _, o in g["quiet"])
    return {"median": q(det, 0.5), "fpw": tot / max(1, weeks), "det": len(det) / max(1, len(tgt))}


if __name__ == "__main__":
    main()
