"""``spikewatch simulate``: write a labelled mention stream (or the demo's morning) to NDJSON."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from detectors.mention import parse_time
from tools.scenarios import default_profiles, demo_events, labels_to_json, random_events
from tools.simulate import demo_scenario, simulate


def _write_ndjson(rows: Iterator[dict[str, Any]] | list[dict[str, Any]], out: str) -> int:
    n = 0
    fh = sys.stdout if out == "-" else open(out, "w", encoding="utf-8")  # noqa: SIM115
    try:
        for r in rows:
            fh.write(json.dumps(r, ensure_ascii=False) + "\n")
            n += 1
    finally:
        if fh is not sys.stdout:
            fh.close()
    return n


def _parse_start(value: str) -> datetime:
    """A date means local midnight in Europe/Helsinki; a timestamp is RFC 3339."""
    if len(value) == 10:
        d = datetime.fromisoformat(value)
        return d.replace(tzinfo=ZoneInfo("Europe/Helsinki"))
    return parse_time(value)


def simulate_main(argv: list[str] | None = None) -> int:
    """``spikewatch simulate``: write a labelled mention stream (or the demo)."""
    ap = argparse.ArgumentParser(
        prog="spikewatch simulate",
        description="Labelled synthetic mention streams for tests, benchmarks and the demo.",
    )
    ap.add_argument("--days", type=float, default=14.0)
    ap.add_argument("--brands", default="nordbank,lumoverkko,skyways")
    ap.add_argument("--seed", type=int, help="random seed (default 1; the demo's own: 7)")
    ap.add_argument("--start", default="2026-03-02", help="date (Helsinki midnight) or RFC 3339")
    ap.add_argument("--scale", type=float, default=1.0, help="multiply volumes and team capacity")
    ap.add_argument("--bucket-seconds", type=int, default=300)
    ap.add_argument("--no-events", action="store_true", help="only the ordinary rhythm")
    ap.add_argument("--truth", action="store_true", help='add "sim" truth labels to each row')
    ap.add_argument("--demo", action="store_true", help="write the bundled demo scenario")
    ap.add_argument("--out", default="-", help="NDJSON file ('-' = stdout)")
    ap.add_argument("--labels", help="JSON file for the event labels")
    a = ap.parse_args(argv)
    try:
        if a.demo:
            events = demo_events()
            n = _write_ndjson(demo_scenario(7 if a.seed is None else a.seed), a.out)
        else:
            seed = 1 if a.seed is None else a.seed
            if a.scale <= 0:
                raise ValueError("--scale must be positive")
            known = {p.name: p for p in default_profiles()}
            wanted = [b.strip() for b in a.brands.split(",") if b.strip()]
            unknown = [b for b in wanted if b not in known]
            if unknown or not wanted:
                raise ValueError(f"unknown brands {unknown}; known: {sorted(known)}")
            profiles = [
                replace(
                    known[b],
                    base_per_bucket=known[b].base_per_bucket * a.scale,
                    team_capacity_per_hour=known[b].team_capacity_per_hour * a.scale,
                )
                for b in wanted
            ]
            start = _parse_start(a.start)
            events = [] if a.no_events else random_events(profiles, start, a.days, seed)
            rows = simulate(profiles, start, a.days, events, seed, a.bucket_seconds,
                            truth=a.truth)  # fmt: skip
            n = _write_ndjson(rows, a.out)
    except ValueError as exc:
        print(f"spikewatch simulate: {exc}", file=sys.stderr)
        return 2
    if a.labels:
        with open(a.labels, "w", encoding="utf-8") as fh:
            json.dump(labels_to_json(events), fh, indent=1)
            fh.write("\n")
    print(f"wrote {n} mentions, {len(events)} labelled events", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(simulate_main())
