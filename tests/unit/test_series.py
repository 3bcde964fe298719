"""score_series emulates the live incident lifecycle; AlertGate is that emulation."""

from __future__ import annotations

import pickle

import pytest

from alerts.incidents import LifecycleConfig, on_signal
from detectors.base import AlertGate
from detectors.monitor import MonitorConfig
from detectors.series import QUIET_SECONDS, REOPEN_SECONDS, raw_scores, score_series
from detectors.signals import Signal


def stamp(i: int) -> str:
    day, rest = divmod(i, 288)
    return f"2015-03-{1 + day:02d} {rest // 12:02d}:{rest % 12 * 5:02d}:00"


def test_defaults_match_the_live_lifecycle() -> None:
    cfg = LifecycleConfig()
    assert (cfg.quiet_seconds, cfg.reopen_seconds) == (QUIET_SECONDS, REOPEN_SECONDS)


@pytest.mark.parametrize(
    "actives",
    [
        [0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0],
        [1, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1],
        [0, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1],
    ],
)
def test_gate_opens_exactly_where_the_incident_lifecycle_opens(actives: list[int]) -> None:
    cfg = LifecycleConfig()
    gate = AlertGate(0.5, cfg.quiet_seconds, cfg.reopen_seconds)
    inc = None
    for i, a in enumerate(actives):
        ts = 300.0 * i
        # A surge of a count that matters and no complaints (an FYI): opens, ends after the
        # quiet period and reopens like the gate (a crisis waits for a person to resolve it).
        ev = {"observed": 40.0, "ratio": 5.0} if a else {"observed": 5.0}
        sig = Signal(
            "k", "volume_surge", ts, 0.9 if a else 0.1, bool(a), "low" if a else "none", ev
        )
        inc, events = on_signal(inc, sig, cfg)
        opened = any(e.type == "opened" for e in events)
        assert gate.update(ts, 0.9 if a else 0.1) == opened, i


def test_gate_pickles_and_rejects_bad_parameters() -> None:
    g = AlertGate(0.5)
    g.update(0.0, 0.9)
    clone = pickle.loads(pickle.dumps(g))  # noqa: S301 - our own bytes
    assert clone.update(300.0, 0.9) == g.update(300.0, 0.9) is False
    for bad in ({"threshold": 0.0}, {"threshold": 0.5, "quiet_seconds": 0.0}):
        with pytest.raises(ValueError, match=r"\w"):
            AlertGate(**bad)  # type: ignore[arg-type]


def test_score_series_alerts_once_per_incident_then_again_after_quiet() -> None:
    rows = [(stamp(i), 10.0 + i % 3) for i in range(3 * 288)]
    for start in (600, 700):  # two storms of an hour, eight hours apart
        for i in range(start, start + 12):
            rows[i] = (rows[i][0], 400.0)
    thr = MonitorConfig().volume_threshold
    raw = raw_scores(rows)
    scores = score_series(rows)
    assert len(scores) == len(rows)
    assert all(0.0 <= s <= 1.0 for s in scores)
    alerts = [i for i, s in enumerate(scores) if s >= thr]
    assert alerts == [600, 700]
    assert sum(r >= thr for r in raw) > 2  # the raw score stays high during each storm
    assert scores[600] == raw[600]


def test_score_series_is_quiet_on_a_steady_series() -> None:
    rows = [(stamp(i), 30.0 + (i * 7) % 5) for i in range(2 * 288)]
    assert max(score_series(rows)) < MonitorConfig().volume_threshold
