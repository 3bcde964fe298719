"""Crash trials: workers SIGKILLed at random moments, every Slack call compared with a reference.

Run: ``.venv/bin/python -m tests.crash.trials [--trials N] [--mode two|restart|both]
[--load] [--guarantee exactly_once|at_least_once] [--seed S] [--json FILE]``
(``make test-crash`` runs 20 of each mode on the local broker). A short version
runs in the default suite (``tests/integration/test_crash.py``).

Compared: every post one by one, and each message's final content (in-place
edits are coalesced by timing, see :func:`normalise`).

One input (three brands, a quiet history and a storm each, at staggered times;
one brand falls silent mid-incident) is produced to a fresh topic prefix per run:

- *reference*: one worker, no crash; every Slack call, normalised.
- *two*: two workers in one group; at a random Slack post (the fake holds its
  answer a moment) one of them is SIGKILLed; the survivor finishes.
- *restart*: one worker, SIGKILLed at a random Slack post, started again.

A run ends when all records of every source topic are consumed by the group and
Slack has been quiet for ``--settle`` seconds; a *stall* is a run where some
partition still has records unread by the group after ``--stall`` seconds with
no progress. Each run is compared with the reference as multisets of normalised
calls (method, channel, text, blocks, metadata; a thread's ``thread_ts`` is
replaced by its parent's normalised text): *missing* = in the reference only,
*duplicated* = extra copies of a reference call, *mismatch* = calls of the
same incident id whose text or evidence differ. ``--load`` runs a CPU-bound
process per core during the crash runs.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import multiprocessing
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tests.harness import (
    Worker,
    business_morning,
    free_port,
    group_lag,
    outage_mentions,
    produce,
    wait_for,
)
from tests.slackfake import SlackFake

TOKEN = "xoxb-crash-trial-token"
INCIDENT_ID = re.compile(r"inc-[a-z]+~[a-z_]+~[0-9a-f]+")
BRANDS = ("nordbank", "lumoverkko", "skyways")
SOURCE_TOPICS = ("mentions", "signals", "incidents", "incident.commands")


def scenario(seed: int = 7, *, small: bool = False) -> list[tuple[bytes, bytes]]:
    """Storms at staggered times (two brands, one if ``small``); ``skyways`` talks to the end.

    The storm brands fall silent after their storm: their incidents resolve on
    event time that ``skyways`` moves on.
    """
    start = business_morning()
    rows: list[dict[str, Any]] = []
    for i, br in enumerate(BRANDS[: 1 if small else 2]):
        rows += outage_mentions(
            br,
            start + i * 1800,
            normal_hours=2.0 if small else 3.0,
            surge_minutes=20 if small else 30,
            surge_per_bucket=50,
            id_prefix=br,
        )
    rng = random.Random(seed)
    for b in range(int((4.5 if small else 6.5) * 12)):
        for k in range(3):
            ts = start + b * 300 + rng.uniform(0, 300)
            rows.append(
                {
                    "id": f"sky:{b}-{k}",
                    "source": "x",
                    "brand": "skyways",
                    "created_at": datetime.fromtimestamp(ts, UTC).isoformat(),
                    "text": "Missä on laukkuni?" if k else "Lento oli ajallaan, kiitos",
                    "author": {"id": f"v{k}", "followers": 40},
                }
            )
    rows.sort(key=lambda r: (r["created_at"], r["id"]))
    return [(r["brand"].encode(), json.dumps(r).encode()) for r in rows]


# -- processes ------------------------------------------------------------------------------


@dataclass
class Env:
    bootstrap: str
    prefix: str
    workdir: Path
    slack_url: str
    guarantee: str
    n: int = 0

    @property
    def app_id(self) -> str:
        return f"spikewatch-{self.prefix}"

    @property
    def group(self) -> str:
        return f"{self.prefix}{self.app_id}"  # streams.app.faust_app_id


def spawn(env: Env, name: str) -> Worker:
    port = free_port()
    penv = {k: v for k, v in os.environ.items() if not k.startswith(("SPIKEWATCH_", "SLACK_"))}
    penv.update(
        SPIKEWATCH_KAFKA_BOOTSTRAP_SERVERS=env.bootstrap,
        SPIKEWATCH_APP_ID=env.app_id,
        SPIKEWATCH_TOPIC_PREFIX=env.prefix,
        SPIKEWATCH_WEB_PORT=str(port),
        SPIKEWATCH_DATA_DIR=str(env.workdir / f"data-{name}-{env.n}"),
        SPIKEWATCH_PARTITIONS="4",
        SPIKEWATCH_PROCESSING_GUARANTEE=env.guarantee,
        SLACK_BOT_TOKEN=TOKEN,
        SLACK_API_URL=env.slack_url,
        PYTHONUNBUFFERED="1",
    )
    env.n += 1
    log = env.workdir / f"worker-{env.prefix}{name}-{env.n}.log"
    proc = subprocess.Popen(
        [sys.executable, "-m", "streams.cli", "worker"],
        env=penv,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        cwd=str(env.workdir),
    )
    w = Worker(proc, port, env.prefix, log, penv)

    def healthy() -> bool:
        if proc.poll() is not None:
            raise AssertionError(f"worker exited {proc.returncode}:\n{w.log_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{w.url}/healthz", timeout=1) as r:
                return bool(json.loads(r.read()).get("ok"))
        except OSError:
            return False

    wait_for(healthy, 180, "a worker's /healthz")
    return w


def _burn(stop: Any) -> None:
    x = 0
    while not stop.is_set():
        for i in range(100_000):
            x += i * i


class Load:
    """One CPU-bound process per core while the block runs."""

    def __init__(self, on: bool) -> None:
        self.on = on
        self.procs: list[Any] = []
        self.stop = multiprocessing.Event()

    def __enter__(self) -> Load:
        if self.on:
            for _ in range(os.cpu_count() or 2):
                p = multiprocessing.Process(target=_burn, args=(self.stop,), daemon=True)
                p.start()
                self.procs.append(p)
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        for p in self.procs:
            p.join(5)
            if p.is_alive():
                p.kill()


# -- calls ----------------------------------------------------------------------------------


_NUMBER = re.compile(r"\d+(?:[.,]\d+)?")


def _mask(text: str) -> str:
    """Numbers out: a message's figures are rendered from the incident as notify finds it
    when it sends (coalesced updates), which differs run to run even without a crash."""
    return _NUMBER.sub("#", text)


def normalise(slack: SlackFake) -> list[str]:
    """Every accepted post, and the final content of every message: what people read.

    Posts (``chat.postMessage``, main messages and thread replies) are compared one
    by one: a post missing or made twice is a failure. In-place edits
    (``chat.update``) are coalesced by notify (an incident's message shows the
    incident as notify finds it when it sends, at most every ``update_min_seconds``),
    so how many edits happen, and through which intermediate states, depends on
    timing even without a crash; what is compared is each message's final text
    (the last edit, or the post when never edited). ``thread_ts`` becomes the
    parent's incident id and first line; numbers are masked (:func:`_mask`). The
    incidents topic is compared separately and exactly (:func:`incident_events`).
    """
    parents: dict[str, str] = {}
    for msg in slack.posts():
        if not msg.thread_ts:
            first = msg.history[0]["text"] if msg.history else msg.text
            ids = INCIDENT_ID.findall(first + json.dumps(msg.blocks))
            parents[msg.ts] = (ids[0] if ids else "") + " " + _mask(first.split("\n")[0])[:60]

    def key(method: str, p: dict[str, Any], ref: str | None) -> str:
        text = str(p.get("text") or "")
        ids = sorted(set(INCIDENT_ID.findall(text + json.dumps(p.get("blocks"), default=str))))
        return json.dumps(
            {
                "m": method,
                "ch": p.get("channel"),
                "ids": ids,
                "text": _mask(text)[:120],
                "parent": parents.get(str(ref), "?") if ref else None,
            },
            sort_keys=True,
        )

    out = []
    for c in list(slack.calls):
        if c.method == "chat.postMessage" and c.answered == 200:
            p = dict(c.params)
            out.append(key("chat.postMessage", p, p.pop("thread_ts", None)))
    for msg in slack.posts():  # each message as it reads now, after its last edit
        final = {"channel": msg.channel, "text": msg.text, "blocks": msg.blocks}
        out.append(key("final", final, msg.thread_ts))
    return out


def incident_events(bootstrap: str, topic: str) -> list[str]:
    """The incidents topic without ticks: type, id, event time, status, severity, evidence."""
    from tests.harness import consume

    out = []
    for r in consume(bootstrap, topic, 10**9, timeout=8):
        d = json.loads(r.value)
        if d.get("type") == "tick":
            continue
        inc = d.get("incident") or {}
        out.append(
            json.dumps(
                [
                    d.get("type"),
                    d.get("ts"),
                    inc.get("id"),
                    inc.get("status"),
                    inc.get("severity"),
                    inc.get("evidence"),
                ],
                sort_keys=True,
            )
        )
    return out


@dataclass
class Result:
    mode: str
    ok: bool = False
    stalled: bool = False
    missing: int = 0
    duplicated: int = 0
    extra: int = 0
    mismatch: int = 0
    incident_missing: int = 0
    incident_extra: int = 0
    incident_repeats: int = 0
    calls: int = 0
    killed_at_post: int = -1
    seconds: float = 0.0
    detail: list[str] = field(default_factory=list)


def compare_incidents(ref: list[str], got: list[str], res: Result) -> None:
    """Incident ids and evidence must be identical; a record written twice is counted apart."""
    rs, gs = set(ref), set(got)
    res.incident_missing = len(rs - gs)
    res.incident_extra = len(gs - rs)
    res.incident_repeats = len(got) - len(gs)
    res.mismatch += res.incident_missing + res.incident_extra
    for k in sorted(rs - gs)[:6]:
        res.detail.append("incident missing " + k[:160])
    for k in sorted(gs - rs)[:6]:
        res.detail.append("incident extra " + k[:160])
    res.ok = res.ok and not (res.incident_missing or res.incident_extra)


def compare(ref: list[str], got: list[str], res: Result) -> None:
    rc, gc = Counter(ref), Counter(got)
    missing = rc - gc
    extra = gc - rc
    res.missing = sum(missing.values())
    res.duplicated = sum(n for k, n in extra.items() if k in rc)
    res.extra = sum(n for k, n in extra.items() if k not in rc)

    def ids(keys: Counter[str]) -> Counter[str]:
        return Counter(i for k in keys.elements() for i in set(INCIDENT_ID.findall(k)))

    res.mismatch = sum((ids(extra) & ids(missing)).values())  # same incident, other shape
    res.calls = len(got)
    res.ok = not (res.missing or res.duplicated or res.extra or res.stalled)
    for k in list(missing)[:3]:
        res.detail.append("missing " + k[:300])
    for k in list(extra)[:3]:
        res.detail.append("extra " + k[:300])


# -- runs -----------------------------------------------------------------------------------


def settle(
    env: Env, slack: SlackFake, workers: list[Worker], settle_s: float, stall_s: float
) -> bool:
    """Wait for the group to consume everything and Slack to go quiet; False on a stall."""
    topics = [env.prefix + t for t in SOURCE_TOPICS]
    last_change = time.monotonic()
    last: tuple[int, int] = (-1, -1)
    while True:
        time.sleep(2.0)
        for w in workers:
            if w.proc.poll() is not None:
                raise AssertionError(f"a worker died:\n{w.log_text()[-3000:]}")
        try:
            lag = group_lag(env.bootstrap, env.group, topics)
        except Exception as exc:  # the group is rebalancing
            print("lag unknown:", exc, file=sys.stderr)
            continue
        pending = sum(lag.values())
        state = (pending, len(slack.calls))
        now = time.monotonic()
        if state != last:
            last, last_change = state, now
        calls = slack.calls
        quiet_for = now - (calls[-1].at if calls else 0.0)
        if pending == 0 and quiet_for > settle_s:
            return True
        if pending and now - last_change > stall_s:
            print(f"STALL: {[k for k, v in lag.items() if v]}", file=sys.stderr)
            return False


def run(
    mode: str,
    bootstrap: str,
    records: list[tuple[bytes, bytes]],
    *,
    guarantee: str,
    kill_at: int | None = None,
    load: bool = False,
    settle_s: float = 12.0,
    stall_s: float = 90.0,
    workdir: Path,
) -> tuple[list[str], list[str], Result]:
    """One run of ``mode`` (``reference``, ``two``, ``restart``); its normalised calls."""
    res = Result(mode)
    started = time.monotonic()
    prefix = f"c{uuid.uuid4().hex[:8]}."
    with SlackFake(token=TOKEN) as slack:
        env = Env(bootstrap, prefix, workdir, slack.base_url, guarantee)
        workers = [spawn(env, "a")]
        if mode == "two":
            workers.append(spawn(env, "b"))
        killed = threading.Event()
        victim: list[Worker] = []

        if kill_at is not None:
            rng = random.Random(kill_at)
            orig = slack._dispatch

            def dispatch(h: Any, method: str, p: dict[str, Any], body: bytes) -> int:
                posts = sum(1 for c in slack.calls if c.method == "chat.postMessage")
                if method == "chat.postMessage" and posts >= kill_at and not killed.is_set():
                    killed.set()
                    w = rng.choice(workers) if mode == "two" else workers[0]
                    victim.append(w)
                    w.proc.send_signal(signal.SIGKILL)  # while a post is in flight
                    res.killed_at_post = posts
                return orig(h, method, p, body)

            slack._dispatch = dispatch  # type: ignore[method-assign]
        with Load(load and mode != "reference"):
            produce(bootstrap, prefix + "mentions", records)
            if kill_at is not None:
                deadline = time.monotonic() + 240
                while not killed.is_set() and time.monotonic() < deadline:
                    time.sleep(0.2)
                if victim:
                    victim[0].proc.wait(30)
                    workers.remove(victim[0])
                    if mode == "restart":
                        workers.append(spawn(env, "a2"))
            res.stalled = not settle(env, slack, workers, settle_s, stall_s)
        got = normalise(slack)
        for w in workers:
            w.stop()
    res.seconds = time.monotonic() - started
    return got, incident_events(bootstrap, prefix + "incidents"), res


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--trials", type=int, default=20)
    ap.add_argument("--mode", choices=("two", "restart", "both"), default="both")
    ap.add_argument("--load", action="store_true", help="a CPU-bound process per core")
    ap.add_argument("--guarantee", default="at_least_once")  # the worker's default
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--json", type=Path)
    ap.add_argument("--quick", action="store_true", help="the small input (one storm)")
    ap.add_argument("--keep", type=Path, help="keep the workers' logs in this folder")
    ap.add_argument(
        "--baseline",
        action="store_true",
        help="first run the no-crash reference twice and report how far it differs from itself",
    )
    args = ap.parse_args(argv)
    from streams.broker import BrokerPaths, start

    bootstrap = os.environ.get("SPIKEWATCH_KAFKA_BOOTSTRAP_SERVERS") or start(
        BrokerPaths.from_env()
    )
    records = scenario(small=args.quick)
    rng = random.Random(args.seed)
    results: list[Result] = []
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
    where = (
        contextlib.nullcontext(str(args.keep))
        if args.keep
        else tempfile.TemporaryDirectory(prefix="crash-")
    )
    with where as tmp:
        ref, ref_inc, rres = run(
            "reference", bootstrap, records, guarantee=args.guarantee, workdir=Path(tmp)
        )
        posts = sum(1 for k in ref if '"m": "chat.postMessage"' in k)
        print(
            f"reference: {len(ref)} calls ({posts} posts), {rres.seconds:.0f}s, "
            f"stalled={rres.stalled}, {len(ref_inc)} incident events",
            flush=True,
        )
        if args.baseline:
            again, again_inc, bres = run(
                "reference", bootstrap, records, guarantee=args.guarantee, workdir=Path(tmp)
            )
            base = Result("baseline")
            compare(ref, again, base)
            compare_incidents(ref_inc, again_inc, base)
            print(
                f"baseline (reference vs reference, no crash): missing={base.missing} "
                f"extra={base.extra} incident_missing={base.incident_missing} "
                f"incident_extra={base.incident_extra} stalled={bres.stalled}",
                flush=True,
            )
            for d in base.detail:
                print("   ", d[:250])
        modes = ["two", "restart"] if args.mode == "both" else [args.mode]
        for i in range(args.trials):
            for mode in modes:
                got, got_inc, res = run(
                    mode,
                    bootstrap,
                    records,
                    guarantee=args.guarantee,
                    kill_at=rng.randint(1, max(1, posts - 1)),
                    load=args.load,
                    workdir=Path(tmp),
                )
                compare(ref, got, res)
                compare_incidents(ref_inc, got_inc, res)
                results.append(res)
                print(
                    f"trial {i + 1} {mode}: ok={res.ok} stalled={res.stalled} "
                    f"missing={res.missing} "
                    f"duplicated={res.duplicated} extra={res.extra} mismatch={res.mismatch} "
                    f"incident_repeats={res.incident_repeats} "
                    f"killed_at_post={res.killed_at_post} {res.seconds:.0f}s",
                    flush=True,
                )
                for d in res.detail:
                    print("   ", d)
    for mode in sorted({r.mode for r in results}):
        rs = [r for r in results if r.mode == mode]
        print(
            f"{mode}: {len(rs)} trials, {sum(r.ok for r in rs)} identical, "
            f"{sum(r.stalled for r in rs)} stalls, {sum(r.missing for r in rs)} missing, "
            f"{sum(r.duplicated for r in rs)} duplicated, {sum(r.extra for r in rs)} extra, "
            f"{sum(r.mismatch for r in rs)} id/evidence mismatches (load={args.load}, "
            f"guarantee={args.guarantee})"
        )
    if args.json:
        args.json.write_text(json.dumps([asdict(r) for r in results], indent=1))
    return 0 if all(r.ok for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
