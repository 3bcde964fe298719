"""Quiet runs: long runs of empty buckets learnt in closed form (``detectors.monitor``).

The reference everywhere is the same monitor with ``quiet_run_min_buckets=None``:
every bucket closed one at a time, as before the fast path existed.
"""

from __future__ import annotations

import copy
import math
import pickle
import random
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from alerts.engine import Engine, EngineConfig
from detectors.base import Observation
from detectors.mention import EnrichedMention, Enrichment, Mention
from detectors.monitor import KeyMonitor, MonitorConfig
from detectors.negative import NegativeBurstDetector
from detectors.seasonal import LogProfile, ewma_steps
from detectors.signals import Signal

EXACT = MonitorConfig(quiet_run_min_buckets=None)
T0 = datetime(2026, 3, 2, tzinfo=UTC)
BUCKET = 300.0


def em(i: int, sec: float, *, neg: bool = False, brand: str = "nordbank") -> EnrichedMention:
    m = Mention(f"x:{i}", "x", brand, T0 + timedelta(seconds=sec), "Verkkopankki ei toimi")
    e = Enrichment(
        "fi",
        "negative" if neg else "neutral",
        -0.9 if neg else 0.0,
        topics=("online_banking",) if neg else ("loans",),
        terms=("verkkopankki", "ei toimi") if neg else ("laina",),
    )
    return EnrichedMention(m, e)


def stream(seed: int, days: float, mean_gap: float, start: float = 0.0) -> list[tuple[float, bool]]:
    """(seconds from T0, negative) of one key: busier by day, quieter by night."""
    rng = random.Random(seed)
    out, t = [], start + rng.uniform(0.0, mean_gap)
    while t < start + days * 86400.0:
        day = 7 <= (t // 3600.0) % 24 < 22
        if day or rng.random() < 0.3:
            out.append((t, rng.random() < 0.12))
        t += rng.expovariate(1.0 / mean_gap)
    return out


def feed(mon: KeyMonitor, events: list[tuple[float, bool]], first_id: int = 0) -> list[Signal]:
    sigs: list[Signal] = []
    for i, (t, neg) in enumerate(events):
        sigs += mon.observe(em(first_id + i, t, neg=neg))
    return sigs


def pair(cfg: MonitorConfig | None = None) -> tuple[KeyMonitor, KeyMonitor]:
    """A monitor with the fast path and one without, otherwise alike."""
    cfg = cfg or MonitorConfig()
    return KeyMonitor("nordbank", cfg), KeyMonitor(
        "nordbank", MonitorConfig(**{**cfg.__dict__, "quiet_run_min_buckets": None})
    )


# -- closed forms ------------------------------------------------------------


def loop_steps(count: int, steps: int, rate: float, prior: int) -> tuple[float, float, float]:
    p, s, r = 1.0, 0.0, 0.0
    for i in range(1, steps + 1):
        s += p
        ri = max(rate, 1.0 / (count + prior + i))
        p *= 1.0 - ri
        r += ri
    return p, s, r


@settings(max_examples=300, deadline=None)
@given(
    st.integers(0, 5000),
    st.integers(0, 400),
    st.floats(1e-4, 0.6),
    st.sampled_from([0, 3, 72]),
)
def test_ewma_steps_is_the_loop(count: int, steps: int, rate: float, prior: int) -> None:
    for got, want in zip(
        ewma_steps(count, steps, rate, prior), loop_steps(count, steps, rate, prior), strict=True
    ):
        assert got == pytest.approx(want, rel=1e-9, abs=1e-12)


@pytest.mark.parametrize(
    "history", [0, 5, 200, 3000]
)  # unseen slots, running-mean and constant rates
@pytest.mark.parametrize("steps", [1, 7, 12])
def test_profile_learns_a_constant_in_closed_form(history: int, steps: int) -> None:
    rng = random.Random(history + steps)
    a = LogProfile(300, offset=1.0)
    for i in range(history):
        a.update(300.0 * i, math.log(1.0 + rng.randint(0, 30)))
    b = copy.deepcopy(a)
    ts = 3600.0 * (history // 12 + 1)  # the next hour
    h = a.hour(ts)
    seen = []
    for q in range(steps):
        seen.append(a.expected_log(ts + 300.0 * q))
        a.update(ts + 300.0 * q, 0.0)
    first, mean, base, count = b.learn_constant(h, steps, 0.0)
    assert (b.n, b.slot_n) == (a.n, a.slot_n)
    assert b.level == pytest.approx(a.level, rel=1e-12, abs=1e-15)
    assert b.slot == pytest.approx(a.slot, rel=1e-12, abs=1e-15)
    assert first == seen[0]
    assert mean == pytest.approx(sum(seen) / steps, rel=1e-6)
    assert b.constant_values(first, base, count, steps, 0.0) == pytest.approx(seen, rel=1e-12)


@pytest.mark.parametrize("tz", ["UTC", "Europe/Helsinki", "Asia/Kolkata", "America/St_Johns"])
def test_profile_hours_are_local_hours(tz: str) -> None:
    p = LogProfile(300, tz=tz)
    for start in (datetime(2026, 3, 27, tzinfo=UTC), datetime(2026, 6, 1, tzinfo=UTC)):
        t0 = start.timestamp()  # the first spans a daylight-saving change in Europe
        hour_of = p.hours(t0, t0 + 5 * 86400.0)
        for eh in range(int(t0 // 3600), int(t0 // 3600) + 5 * 24):
            assert hour_of(eh) == LogProfile(300, tz=tz).hour(eh * 3600.0)


def test_negative_learns_a_quiet_run_in_closed_form() -> None:
    a, rng = NegativeBurstDetector(), random.Random(7)
    for i in range(400):
        total = rng.randint(0, 6)
        a.learn_one(
            Observation("k", 300.0 * i, float(rng.randint(0, total // 2)), total=float(total))
        )
    b = copy.deepcopy(a)
    for i in range(400, 700):
        a.learn_one(Observation("k", 300.0 * i, 0.0, total=0.0))
    assert b.learn_quiet(300, 300.0 * 699)
    assert (b.n, b.last_ts, b.cusum) == (a.n, a.last_ts, a.cusum)
    assert b.baseline_share == pytest.approx(a.baseline_share, rel=1e-12)
    b.cusum = b.cusum_threshold  # a drift alarm: learnt one bucket at a time (frozen rate)
    assert not b.learn_quiet(10, 0.0)
    assert b.n == a.n


# -- the monitor ---------------------------------------------------------------


def unbuilt(fast: list[Signal], exact: list[Signal]) -> list[Signal]:
    """The signals of ``exact`` that ``fast`` lacks; the rest must be the same, in order."""
    kept = iter(s.to_dict() for s in fast)
    want = next(kept, None)
    missing = []
    for s in exact:
        if s.to_dict() == want:
            want = next(kept, None)
        else:
            missing.append(s)
    assert want is None  # nothing new, nothing out of order
    return missing


def test_busy_keys_are_bit_for_bit() -> None:
    # Mentions every 40 s by day and every ~2 min by night, and a few short
    # lulls: never an hour of silence, so nothing takes the fast path. The
    # detectors learn bit for bit; a lull's empty buckets, except the last
    # one due, are learnt without building their two inactive signals.
    events = stream(1, 6.0, 40.0)
    events = [e for e in events if not 3 * 86400 <= e[0] < 3 * 86400 + 2400]  # a 40-minute lull
    fast, exact = pair()
    a, b = feed(fast, events), feed(exact, events)
    missing = unbuilt(a, b)
    assert len(missing) >= 2 * 6  # the lull's buckets but its last (and a few at night)
    for s in missing:
        assert not s.active
        assert not s.evidence["partial"]
        assert s.evidence["observed" if s.kind == "volume_surge" else "total"] == 0.0
    lull = [s for s in missing if 3 * 86400 <= s.ts - T0.timestamp() < 3 * 86400 + 2400]
    assert len(lull) >= 2 * 6
    assert pickle.dumps(fast.volume) == pickle.dumps(exact.volume)
    assert pickle.dumps(fast.negative) == pickle.dumps(exact.negative)
    assert (fast.closed, fast.next_start) == (exact.closed, exact.next_start)


def test_a_lull_emits_its_last_bucket_and_near_activity() -> None:
    fast, exact = pair(MonitorConfig(quiet_run_exact_buckets=6))
    for mon in (fast, exact):
        feed(mon, stream(4, 3.0, 60.0))
    t = max(fast.watermark, exact.watermark) + 3000.0  # ten buckets of silence, then a mention
    a, b = (
        fast.observe(em(90_000, t - T0.timestamp())),
        exact.observe(em(90_000, t - T0.timestamp())),
    )
    missing = unbuilt(a, b)
    assert missing
    assert all(not s.active for s in missing)
    assert [s.ts for s in a[-2:]] == [s.ts for s in b[-2:]]  # the last bucket due
    # Near an active signal (here: within six buckets) every bucket emits, as before.
    for mon in (fast, exact):
        mon.last_active = t
    t += 1500.0
    a, b = (
        fast.observe(em(90_001, t - T0.timestamp())),
        exact.observe(em(90_001, t - T0.timestamp())),
    )
    assert [s.to_dict() for s in a] == [s.to_dict() for s in b]
    assert pickle.dumps(fast.volume) == pickle.dumps(exact.volume)
    assert pickle.dumps(fast.negative) == pickle.dumps(exact.negative)


def sparse_pair(days: float = 5.0) -> tuple[KeyMonitor, KeyMonitor, float]:
    """A sparse key (a mention every ~3 hours) twice in the same state; the end of its history.

    Learnt one bucket at a time, then the first copy takes the fast path from
    here on (the detectors read the quiet-run settings as they go).
    """
    events = stream(2, days, 3 * 3600.0)
    exact = KeyMonitor("nordbank", EXACT)
    feed(exact, events)
    fast = copy.deepcopy(exact)
    fast.config = MonitorConfig()
    return fast, exact, events[-1][0] + T0.timestamp()


def test_state_after_a_long_gap_is_close() -> None:
    fast, exact, end = sparse_pair()
    t = end + 20 * 3600.0  # twenty hours of silence
    fast.advance(t)
    exact.advance(t)
    fv, ev = fast.volume, exact.volume
    assert (fv.n, fast.negative.n) == (ev.n, exact.negative.n)
    assert list(fv.recent) == pytest.approx(list(ev.recent), abs=1e-9)
    assert fv.profile.slot == pytest.approx(ev.profile.slot, abs=1e-9)
    for sf, se in zip([*fv.spreads, fv.unit], [*ev.spreads, ev.unit], strict=True):
        assert abs(sf.center - se.center) < 0.02 * se.spread
        assert sf.spread == pytest.approx(se.spread, rel=0.02)
    assert fast.negative.baseline_share == pytest.approx(exact.negative.baseline_share, rel=1e-9)
    nxt = math.floor(t / BUCKET) * BUCKET
    for h in range(24):  # the next day's expected counts
        ts = nxt + 3600.0 * h
        assert fv.expected(ts) == pytest.approx(ev.expected(ts), rel=1e-9, abs=1e-12)
    for x in (0, 1, 2, 3, 5, 10, 20):  # the next bucket's scores
        obs = Observation("nordbank", nxt, float(x))
        assert fv.score_one(obs) == pytest.approx(ev.score_one(obs), abs=0.02)


def test_a_quiet_run_emits_only_its_last_bucket() -> None:
    fast, exact, end = sparse_pair()
    t = end + 20 * 3600.0
    a, b = fast.advance(t), exact.advance(t)
    assert len(b) > 400  # one per bucket and kind
    # The last mention's bucket, then the run's last bucket.
    assert [s.to_dict() for s in a[:2]] == [s.to_dict() for s in b[:2]]
    assert [(s.kind, s.ts, s.active) for s in a[2:]] == [(s.kind, s.ts, s.active) for s in b[-2:]]
    assert a[-1].ts == math.floor((t - fast.config.lateness_seconds) / BUCKET) * BUCKET
    for sa, sb in zip(a[2:], b[-2:], strict=True):
        assert sa.score == pytest.approx(sb.score, abs=0.02)
        key = "expected" if sa.kind == "volume_surge" else "baseline_share"
        assert sa.evidence[key] == pytest.approx(sb.evidence[key], rel=1e-6)


def test_the_cost_of_a_gap_does_not_grow_with_it(monkeypatch: pytest.MonkeyPatch) -> None:
    for hours in (6, 60):
        fast, _, end = sparse_pair()
        closes: list[float] = []
        real = fast._close
        monkeypatch.setattr(
            fast, "_close", lambda b, real=real, closes=closes: closes.append(b.start) or real(b)
        )
        fast.advance(end + hours * 3600.0)
        assert len(closes) <= 2  # the pending bucket and the run's last, one at a time


def test_drift_alarm_goes_on_through_silence() -> None:
    fast, exact, end = sparse_pair()
    for mon in (fast, exact):
        mon.negative.cusum = 1.2 * mon.negative.cusum_threshold  # a slow burn under way
    t = end + 5 * 3600.0
    a, b = fast.advance(t), exact.advance(t)
    assert [s.to_dict() for s in a] == [s.to_dict() for s in b]
    assert all(s.active for s in a if s.kind == "negative_burst")


def test_pickled_state_keeps_its_size() -> None:
    fast, exact, end = sparse_pair()
    fast.advance(end + 20 * 3600.0)
    exact.advance(end + 20 * 3600.0)
    assert abs(len(pickle.dumps(fast)) - len(pickle.dumps(exact))) < 64
    old = pickle.loads(pickle.dumps(exact))  # noqa: S301 - our own bytes
    del old.__dict__["last_active"]  # a record written before quiet runs existed
    clone = pickle.loads(pickle.dumps(old))  # noqa: S301 - our own bytes
    assert clone.last_active == -math.inf
    assert clone.advance(end + 40 * 3600.0)


def test_bad_quiet_run_settings_raise() -> None:
    with pytest.raises(ValueError, match="quiet_run_min_buckets"):
        MonitorConfig(quiet_run_min_buckets=1)
    with pytest.raises(ValueError, match="quiet_run_exact_buckets"):
        MonitorConfig(quiet_run_exact_buckets=-1)


# -- the incident lifecycle ------------------------------------------------------


@pytest.mark.parametrize("exact_buckets", [36, 6])
def test_surge_then_silence_alerts_and_resolves_as_before(exact_buckets: int) -> None:
    # Three days of a medium brand, then a surge of half an hour (neutral: a
    # negative storm leaves a drift alarm on through silence, closed one bucket
    # at a time, see test_drift_alarm_goes_on_through_silence), total silence
    # for 14 hours, and one mention; from the same state, with and without the
    # fast path.
    history = stream(3, 3.0, 600.0)
    warm = Engine(EngineConfig(monitor=EXACT))
    for i, (sec, neg) in enumerate(history):
        warm.enriched(em(i, sec, neg=neg))
    t = history[-1][0] + 600.0
    after = [em(10_000 + j, t + j * 6.0) for j in range(300)]
    after.append(em(20_000, t + 300 * 6.0 + 14 * 3600.0))
    runs = {}
    for name, min_run in (("fast", 12), ("exact", None)):
        eng = copy.deepcopy(warm)
        cfg = MonitorConfig(quiet_run_min_buckets=min_run, quiet_run_exact_buckets=exact_buckets)
        eng.keys["nordbank"].monitor.config = cfg
        sigs: list[Signal] = []
        real = eng.signal
        eng.signal = lambda s, real=real, sigs=sigs: sigs.append(s) or real(s)  # type: ignore[method-assign]
        events = [ev for e in after for ev in eng.enriched(e)]
        runs[name] = (sigs, events)
    (fs, fe), (xs, xe) = runs["fast"], runs["exact"]
    assert len(fs) < len(xs) - 200  # the fast path was taken
    active = [s.to_dict() for s in fs if s.active]
    assert active
    assert active == [s.to_dict() for s in xs if s.active]
    opened = [(e.incident.kind, e.ts) for e in fe if e.type == "opened"]
    assert opened
    assert opened == [(e.incident.kind, e.ts) for e in xe if e.type == "opened"]
    resolved = [(e.incident.kind, e.ts) for e in fe if e.type == "resolved"]
    want = [(e.incident.kind, e.ts) for e in xe if e.type == "resolved"]
    assert resolved
    assert [k for k, _ in resolved] == [k for k, _ in want]
    assert all(abs(a - b) <= BUCKET for (_, a), (_, b) in zip(resolved, want, strict=True))
