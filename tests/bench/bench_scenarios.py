"""Detection quality on simulated crises: outages, slow burns and benign viral spikes.

Run: ``.venv/bin/python tests/bench/bench_scenarios.py [--seeds 1-3] [--days 14]``
(``--cache DIR`` keeps each seed's enriched stream for quicker reruns, keyed
by a hash of the simulator and enrichment code, ``--stale-ok`` reuses older
ones; ``--oracle-sentiment`` uses the simulator's sentiment labels instead of
the model's; ``--set NAME=VALUE`` overrides a ``MonitorConfig`` default;
``--events`` lists every labelled event and what caught it.)

Per seed, :func:`tools.simulate.random_events` lays outages, slow burns and
viral spikes on ``--days`` of the three default brands; the stream goes through
the real enrichment (:class:`detectors.text.Enricher`, misclassifications and
all) and :class:`alerts.engine.Engine` (detectors + incident lifecycle, live
defaults). An incident *detects* an event when it opens between the event's
start - 5 min and its end, on the same brand: any kind for outages and slow
burns; for viral spikes a ``negative_burst`` incident is a failure, a
``volume_surge`` is expected (and is what "detected" counts for them). An
incident that opens in no event's window is false. Printed per seed and
pooled: events detected per kind, false incidents per brand per week (by
kind, and without the backlog kind), negative bursts on viral spikes, median and
p90 minutes from onset to incident, and the run time.

Identical texts get identical enrichments, so the enricher is memoised on
``(text, lang, brand)``: same outputs, about half the work.
"""

from __future__ import annotations

import argparse
import hashlib
import pickle
import statistics
import sys
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from alerts.engine import Engine, EngineConfig  # noqa: E402
from detectors.mention import Enrichment, Mention, mention_from_obj  # noqa: E402
from detectors.monitor import MonitorConfig  # noqa: E402
from detectors.text import Enricher  # noqa: E402
from tools.scenarios import SimEvent, default_profiles, random_events  # noqa: E402
from tools.simulate import simulate  # noqa: E402

START = datetime(2026, 3, 2, tzinfo=UTC)
LEAD_SECONDS = 300.0  # an incident up to 5 min before the labelled start still counts
KINDS = ("outage", "slow_burn", "viral")


class MemoEnricher(Enricher):
    """The packaged enricher, memoised on ``(text, lang, brand)``."""

    def __init__(self) -> None:
        super().__init__()
        self.memo: dict[tuple[str, str | None, str], Enrichment] = {}

    def enrich_batch(self, ms: Sequence[Mention]) -> list[Enrichment]:
        out = []
        for m in ms:
            k = (m.text, m.lang, m.brand)
            e = self.memo.get(k)
            if e is None:
                e = self.memo[k] = self.enrich_text(m.text, m.lang, m.brand)
            out.append(e)
        return out


class Replay:
    """Hands the engine enrichments computed beforehand, in stream order."""

    def __init__(self, enrichments: Iterable[Enrichment]) -> None:
        self._it = iter(enrichments)

    def enrich_batch(self, ms: Sequence[Mention]) -> list[Enrichment]:
        return [next(self._it) for _ in ms]


@dataclass
class Stream:
    """One seed's labelled, enriched mention stream."""

    seed: int
    days: float
    brands: tuple[str, ...]
    events: list[SimEvent]
    mentions: list[Mention]
    enrichments: list[Enrichment]
    confusion: Counter[tuple[str, str]] = field(default_factory=Counter)


def build_stream(seed: int, days: float, enricher: MemoEnricher, *, oracle: bool = False) -> Stream:
    """Simulate one seed and enrich it (model, or the simulator's labels with ``oracle``)."""
    profiles = default_profiles()
    events = random_events(profiles, START, days, seed)
    mentions: list[Mention] = []
    truth: list[str | None] = []
    for row in simulate(profiles, START, days, events, seed, truth=True):
        m = mention_from_obj(row)
        mentions.append(m)
        truth.append(None if m.author_is_brand else row["sim"]["sentiment"])
        m.extra.pop("sim", None)
    enrichments = enricher.enrich_batch(mentions)
    confusion: Counter[tuple[str, str]] = Counter()
    for i, (t, e) in enumerate(zip(truth, enrichments, strict=True)):
        if t is None:
            continue
        confusion[t, e.sentiment] += 1
        if oracle and e.sentiment != t:
            enrichments[i] = replace(e, sentiment=t, sentiment_score=_signed(t))
    brands = tuple(p.name for p in profiles)
    return Stream(seed, days, brands, events, mentions, enrichments, confusion)


def _signed(label: str) -> float:
    return {"negative": -0.9, "positive": 0.9}.get(label, 0.0)


@dataclass(frozen=True)
class Opened:
    """An incident as it opened."""

    brand: str
    kind: str
    ts: float
    severity: str


def run_engine(stream: Stream, config: EngineConfig | None = None) -> list[Opened]:
    """Feed the stream through :class:`Engine` and return every incident opening."""
    eng = Engine(config, enricher=Replay(stream.enrichments))  # type: ignore[arg-type]
    out = []
    for ev in eng.run(stream.mentions):
        if ev.type == "opened":
            inc = ev.incident
            out.append(Opened(inc.brand, inc.kind, inc.opened_at, inc.severity))
    return out


@dataclass
class Result:
    """What one seed (or the pool of seeds) scored."""

    brand_weeks: float = 0.0
    events: Counter[str] = field(default_factory=Counter)
    detected: Counter[str] = field(default_factory=Counter)
    delays: dict[str, list[float]] = field(default_factory=lambda: {k: [] for k in KINDS})
    false: Counter[str] = field(default_factory=Counter)  # by incident kind
    false_by_brand: Counter[str] = field(default_factory=Counter)
    viral_negative: int = 0
    incidents: int = 0
    lines: list[str] = field(default_factory=list)

    def add(self, other: Result) -> None:
        self.brand_weeks += other.brand_weeks
        self.events.update(other.events)
        self.detected.update(other.detected)
        for k in KINDS:
            self.delays[k].extend(other.delays[k])
        self.false.update(other.false)
        self.false_by_brand.update(other.false_by_brand)
        self.viral_negative += other.viral_negative
        self.incidents += other.incidents


def evaluate(stream: Stream, opened: list[Opened]) -> Result:
    """Match incident openings to labelled events (rules in the module docstring)."""
    res = Result(brand_weeks=len(stream.brands) * stream.days / 7.0, incidents=len(opened))
    matched: set[int] = set()
    for ev in stream.events:
        t0, t1 = ev.start.timestamp(), ev.end.timestamp()
        hits = [
            i
            for i, o in enumerate(opened)
            if o.brand == ev.brand and t0 - LEAD_SECONDS <= o.ts <= t1
        ]
        matched.update(hits)
        res.events[ev.kind] += 1
        if ev.kind == "viral":  # expected: a volume surge; a negative burst is a failure
            good = [opened[i] for i in hits if opened[i].kind == "volume_surge"]
            res.viral_negative += any(opened[i].kind == "negative_burst" for i in hits)
        else:
            good = [opened[i] for i in hits]
        first = min(good, key=lambda o: o.ts) if good else None
        if first is not None:
            res.detected[ev.kind] += 1
            res.delays[ev.kind].append((first.ts - t0) / 60.0)
        kinds = ",".join(sorted({opened[i].kind for i in hits})) or "-"
        delay = f"{(first.ts - t0) / 60.0:6.1f} min" if first else "  missed  "
        res.lines.append(
            f"  {ev.brand:<10} {ev.kind:<9} {ev.start:%a %d %H:%M}Z {(t1 - t0) / 3600:4.1f} h "
            f"x{ev.peak:<5} {delay}  [{kinds}]"
        )
    for i, o in enumerate(opened):
        if i not in matched:
            res.false[o.kind] += 1
            res.false_by_brand[o.brand] += 1
            when = datetime.fromtimestamp(o.ts, UTC)
            res.lines.append(
                f"  false: {o.brand:<10} {o.kind:<14} {when:%a %d %H:%M}Z {o.severity}"
            )
    return res


def _pct(xs: list[float], q: float) -> float:
    if not xs:
        return float("nan")
    s = sorted(xs)
    return s[min(len(s) - 1, int(q * (len(s) - 1) + 0.5))]


def summary(name: str, r: Result) -> str:
    det = "  ".join(f"{k} {r.detected[k]}/{r.events[k]}" for k in KINDS)
    lat = "  ".join(
        f"{k} {statistics.median(r.delays[k]) if r.delays[k] else float('nan'):.1f}/"
        f"{_pct(r.delays[k], 0.9):.1f}"
        for k in KINDS
    )
    nfalse = sum(r.false.values())
    per_week = nfalse / r.brand_weeks if r.brand_weeks else 0.0
    worst = max(r.false_by_brand.values(), default=0) / (r.brand_weeks / 3 or 1.0)
    by_kind = ",".join(f"{k}={v}" for k, v in sorted(r.false.items())) or "none"
    mine = nfalse - r.false["backlog"]
    return (
        f"{name}: detected {det} | false {nfalse} = {per_week:.2f}/brand/week "
        f"(worst brand {worst:.2f}; {by_kind}; without backlog "
        f"{mine / (r.brand_weeks or 1.0):.2f}) | negative_burst on viral {r.viral_negative}"
        f"/{r.events['viral']} | onset->incident median/p90 min: {lat} | incidents {r.incidents}"
    )


def monitor_config(overrides: list[str]) -> MonitorConfig:
    """``MonitorConfig`` defaults with ``NAME=VALUE`` overrides (numbers and booleans)."""
    values: dict[str, Any] = {}
    for item in overrides:
        name, _, raw = item.partition("=")
        default = getattr(MonitorConfig(), name)
        if isinstance(default, bool):
            values[name] = raw.lower() in ("1", "true", "yes")
        elif isinstance(default, tuple):
            values[name] = tuple(int(x) for x in raw.split(",") if x)
        else:
            values[name] = type(default)(raw)
    return replace(MonitorConfig(), **values)


def parse_seeds(text: str) -> list[int]:
    out: list[int] = []
    for part in text.split(","):
        lo, _, hi = part.partition("-")
        out.extend(range(int(lo), int(hi or lo) + 1))
    return out


def fingerprint() -> str:
    """A hash of the simulator and the enrichment code and models: the cache's key."""
    h = hashlib.sha256()
    files = [ROOT / "tools" / n for n in ("scenarios.py", "simulate.py", "simulate_texts.py")]
    files += sorted(p for p in (ROOT / "detectors" / "text").rglob("*") if p.is_file())
    for p in files:
        if "__pycache__" not in p.parts:
            h.update(p.relative_to(ROOT).as_posix().encode())
            h.update(p.read_bytes())
    return h.hexdigest()[:12]


def load_stream(
    seed: int,
    days: float,
    enricher: MemoEnricher,
    cache: Path | None,
    oracle: bool,
    *,
    stale_ok: bool = False,
) -> Stream:
    """The seed's stream from the cache (keyed by :func:`fingerprint`), else built.

    ``stale_ok`` takes any cached stream of the seed, built by older code (for tuning).
    """
    stem = f"stream-s{seed}-d{days:g}{'-oracle' if oracle else ''}"
    path = cache / f"{stem}-{fingerprint()}.pkl" if cache else None
    if cache is not None and stale_ok and (path is None or not path.exists()):
        old = sorted(cache.glob(f"{stem}-*.pkl"), key=lambda p: p.stat().st_mtime)
        path = old[-1] if old else path
    if path is not None and path.exists():
        with path.open("rb") as fh:
            return Stream(**pickle.load(fh))  # noqa: S301 - our own cache
    stream = build_stream(seed, days, enricher, oracle=oracle)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as fh:
            pickle.dump(vars(stream), fh, protocol=pickle.HIGHEST_PROTOCOL)
    return stream


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seeds", default="1-3", help="e.g. 1-3 or 4,7,9")
    ap.add_argument("--days", type=float, default=14.0)
    ap.add_argument("--oracle-sentiment", action="store_true", help="simulator's sentiment labels")
    ap.add_argument("--cache", type=Path, help="directory for enriched streams (reruns)")
    ap.add_argument("--stale-ok", action="store_true", help="reuse caches of older code (tuning)")
    ap.add_argument("--events", action="store_true", help="list every event and false incident")
    ap.add_argument(
        "--set", action="append", default=[], metavar="NAME=VALUE",
        help="override a MonitorConfig field (repeatable), e.g. negative_drift_threshold=10",
    )  # fmt: skip
    a = ap.parse_args(argv)
    config = EngineConfig(monitor=monitor_config(a.set))
    t_all = time.perf_counter()
    enricher = MemoEnricher()
    pooled = Result()
    confusion: Counter[tuple[str, str]] = Counter()
    for seed in parse_seeds(a.seeds):
        t0 = time.perf_counter()
        stream = load_stream(
            seed, a.days, enricher, a.cache, a.oracle_sentiment, stale_ok=a.stale_ok
        )
        t1 = time.perf_counter()
        res = evaluate(stream, run_engine(stream, config))
        t2 = time.perf_counter()
        confusion.update(stream.confusion)
        pooled.add(res)
        print(summary(f"seed {seed}", res))
        print(
            f"  ({len(stream.mentions)} mentions; stream {t1 - t0:.1f} s, engine {t2 - t1:.1f} s)"
        )
        if a.events:
            print("\n".join(res.lines))
        sys.stdout.flush()
    print(summary("pooled", pooled))
    neg_recall = confusion["negative", "negative"] / max(1, sum(
        v for (t, _), v in confusion.items() if t == "negative"))  # fmt: skip
    neg_prec = confusion["negative", "negative"] / max(1, sum(
        v for (_, p), v in confusion.items() if p == "negative"))  # fmt: skip
    mode = "oracle labels" if a.oracle_sentiment else "model"
    print(
        f"sentiment ({mode}; figures are the model's): negative recall {neg_recall:.3f}, "
        f"precision {neg_prec:.3f}"
    )
    print(f"total time {time.perf_counter() - t_all:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
