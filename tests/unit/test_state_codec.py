"""The state codec: versioned JSON over an allowlist of classes; a record never runs code."""

from __future__ import annotations

import io
import json
import logging
import pickle
from collections import Counter, deque
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from alerts.engine import Engine, read_mentions
from detectors.keystate import KeyState
from streams import codec
from streams.codec import StateFormatError, dumps_state, loads_state, loads_state_or_none
from tools.scenarios import DEMO_START, default_profiles, demo_events
from tools.simulate import simulate


def _engine_after(days: float) -> tuple[Engine, list[Any]]:
    """An engine fed ``days`` of simulated mentions of three brands, and the rest of the file."""
    lines = [
        json.dumps(r)
        for r in simulate(
            default_profiles()[:2], DEMO_START - timedelta(days=2), 2.3, demo_events(), seed=3
        )
    ]
    eng = Engine()
    ms = read_mentions(lines, eng.invalid)
    cut = next(i for i, m in enumerate(ms) if m.ts >= ms[0].ts + days * 86400)
    list(eng.run(ms[:cut]))
    return eng, ms[cut:]


@pytest.fixture(scope="module")
def trained() -> tuple[Engine, list[Any]]:
    return _engine_after(2.1)


def _classes(x: Any, out: set[type], seen: set[int]) -> None:
    if id(x) in seen:
        return
    seen.add(id(x))
    out.add(type(x))
    if isinstance(x, list | tuple | set | frozenset | deque):
        for v in x:
            _classes(v, out, seen)
    elif isinstance(x, dict):
        for k, v in x.items():
            _classes(k, out, seen)
            _classes(v, out, seen)
    elif type(x) in codec.STATE_CLASSES:
        state = x.__getstate__() if codec._own_state_methods(type(x)) else codec._attrs(x)
        _classes(state, out, seen)


def test_every_class_in_a_live_state_is_registered_and_round_trips(
    trained: tuple[Engine, list[Any]],
) -> None:
    eng, _ = trained
    found: set[type] = set()
    for st in eng.keys.values():
        _classes(st, found, set())
    objects = {c for c in found if c.__module__.startswith("detectors")}
    assert objects <= set(codec.STATE_CLASSES)
    assert KeyState in objects
    assert len(objects) >= 10
    for st in eng.keys.values():
        data = dumps_state(st)
        back = loads_state(data)
        assert type(back) is KeyState
        assert dumps_state(back) == data  # the same state, to the byte


def test_round_trip_gives_the_same_signals_afterwards(trained: tuple[Engine, list[Any]]) -> None:
    eng, rest = trained
    clone = Engine(eng.config, eng.enricher)
    clone.keys.update({b: loads_state(dumps_state(st)) for b, st in eng.keys.items()})
    clone.incidents.update(eng.incidents)
    a = [(e.type, e.incident.id, e.incident.evidence) for e in eng.run(rest)]
    b = [(e.type, e.incident.id, e.incident.evidence) for e in clone.run(rest)]
    assert a == b
    # The rest of the file does something: its quiet tail moves the incident on (a crisis to
    # `monitoring`, an FYI to resolved; alerts/stages.py).
    assert {t for t, _, _ in a} & {"resolved", "stage_changed"}


def test_containers_and_floats_survive() -> None:
    value = {
        "t": (1, 2.5, "x"),
        "s": {3, 1},
        "f": frozenset({"a"}),
        "q": deque([1, 2], maxlen=5),
        "c": Counter({"login": 2}),
        "m": {1: "one", (2, 3): None},
        "$weird": [float("inf"), float("-inf")],
        "b": b"\x00\xff",
    }
    back = loads_state(dumps_state(value))
    assert back == value
    assert back["q"].maxlen == 5
    assert type(back["c"]) is Counter
    nan = loads_state(dumps_state(float("nan")))
    assert nan != nan


# The attack the audit found: the old restricted unpickler allowed any name inside any
# ``detectors.*`` module and ``builtins.getattr``; ``detectors.backlog`` imports ``sys``,
# so a record could walk sys.modules -> os -> os.system and run a shell command.
def _exploit(marker: Path) -> bytes:
    def ga(obj: bytes, name: bytes) -> bytes:
        return b"cbuiltins\ngetattr\n(" + obj + b"V" + name + b"\ntR"

    def call(fn: bytes, arg: bytes) -> bytes:
        return fn + b"(V" + arg + b"\ntR"

    modules = ga(b"cdetectors.backlog\nsys\n", b"modules")
    system = ga(call(ga(modules, b"get"), b"os"), b"system")
    return call(system, b"touch " + str(marker).encode()) + b"."


class _OldUnpickler(pickle.Unpickler):
    """The allowlist of spikewatch 0.1's codec, to show the record is a real attack."""

    def find_class(self, module: str, name: str) -> Any:
        if module.startswith("detectors") or (module, name) == ("builtins", "getattr"):
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"{module}.{name}")


def test_the_audit_exploit_runs_under_the_old_codec_and_not_under_ours(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    old_marker, new_marker = tmp_path / "old", tmp_path / "new"
    _OldUnpickler(io.BytesIO(_exploit(old_marker))).load()
    assert old_marker.exists()  # the record is a working attack on the old loader

    record = _exploit(new_marker)
    with pytest.raises(StateFormatError, match=r"pickle|not JSON"):
        loads_state(record)
    with caplog.at_level(logging.WARNING, logger="streams.codec"):
        assert loads_state_or_none(record) is None
    assert "refused" in caplog.text
    assert not new_marker.exists()
    # The Faust codec the tables use says the same.
    codec.register()
    assert codec.StateCodec().loads(record) is None
    assert not new_marker.exists()


@pytest.mark.parametrize(
    "value",
    [
        {"$o": "detectors.backlog.sys", "v": {}},
        {"$o": "builtins.getattr", "v": {}},
        {"$o": "os.system", "v": ["touch /tmp/x"]},
        {"$o": "detectors.keystate.hashlib", "v": {}},
        {"$o": "detectors.keystate.KeyState", "v": {"__class__": None}},
        {"$o": "detectors.keystate.KeyState", "v": {"observe": 1}},
        {"$o": "detectors.keystate.RecentIds", "v": {"$t": [1]}},
        {"$o": "detectors.volume._Spread", "v": "x"},
        {"$reduce": ["os.system", "x"]},
        {"$a": "O", "b": ""},
        {"$s": [[1]]},
    ],
)
def test_hostile_json_records_are_refused(value: Any) -> None:
    data = json.dumps({"format": codec.FORMAT, "version": codec.VERSION, "value": value})
    with pytest.raises(StateFormatError):
        loads_state(data.encode())


def test_unknown_versions_and_formats_are_refused() -> None:
    good = json.loads(dumps_state([1]))
    for bad in (
        {**good, "version": codec.VERSION + 1},
        {**good, "version": 0},
        {**good, "format": "other"},
        [1, 2],
    ):
        with pytest.raises(StateFormatError):
            loads_state(json.dumps(bad).encode())
    with pytest.raises(StateFormatError):
        loads_state(b"[" * 100_000)


def test_migrations_run_from_an_older_version(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(codec, "VERSION", 2)
    monkeypatch.setitem(codec.MIGRATIONS, 1, lambda v: {"$t": [v, "migrated"]})
    old = json.dumps({"format": codec.FORMAT, "version": 1, "value": 7}).encode()
    assert loads_state(old) == (7, "migrated")
