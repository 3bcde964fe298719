"""The table codec for per-brand detector state: versioned JSON, data only.

State objects (``detectors.keystate.KeyState`` and what it holds) travel through
a changelog topic that anyone with write access to the cluster can write to, so
decoding a record must never run code named by the record. Records are JSON::

    {"format": "spikewatch.state", "version": 1, "value": <tree>}

The tree holds only JSON primitives, a few tagged containers and objects of the
classes in :data:`STATE_CLASSES` -- an explicit allowlist, registered by exact
class, looked up by ``module.QualName``. Tagged values (a one-key object whose
key starts with ``$``)::

    {"$t": [...]}  tuple          {"$s": [...]}  set          {"$fs": [...]} frozenset
    {"$q": [...], "maxlen": n}    deque          {"$C": [[k, v], ...]}        Counter
    {"$m": [[k, v], ...]}         dict whose keys are not all plain strings
    {"$b": "<base64>"}            bytes          {"$a": "q", "b": "<base64>"} array.array
    {"$f": "inf" | "-inf" | "nan"}               a float JSON cannot spell
    {"$o": "detectors.keystate.KeyState", "v": <state>}  a registered object

Objects are rebuilt with ``object.__new__(cls)`` -- never ``__init__``, never a
callable named by the record -- and then either the class's own
``__setstate__(state)`` (if it defines ``__getstate__``/``__setstate__``) or
attribute by attribute (``object.__setattr__``; dunder names, and names that are
methods or properties of the class, are refused; a slotted class must get every
slot). Anything else in a record -- an unknown tag, an unregistered class name,
a pickle -- raises :class:`StateFormatError`.

Adding a state class: append it to :data:`STATE_CLASSES` (one line). If its
layout changes incompatibly, give it ``__getstate__``/``__setstate__`` that
accept the old layout, or bump :data:`VERSION` and add a function to
:data:`MIGRATIONS` (``{old_version: tree -> tree of old_version + 1}``).

Records that cannot be read -- pickles written by spikewatch before 0.2, a
newer version, a malformed or hostile record -- are refused with one warning
line per key and decoded as ``None``: the worker starts that brand's state
afresh (its detectors re-learn; mentions after the refused record are counted
as usual) instead of crashing or running anything.
"""

from __future__ import annotations

import array
import base64
import json
import logging
import math
from collections import Counter, deque
from collections.abc import Callable
from typing import Any

from faust.serializers import codecs

from detectors.backlog import BacklogConfig, ResponseTracker
from detectors.base import AlertGate
from detectors.keystate import KeyState, RecentIds
from detectors.monitor import KeyMonitor, MonitorConfig, _Bucket
from detectors.negative import NegativeBurstDetector
from detectors.seasonal import LogProfile
from detectors.terms import EmergingTerms
from detectors.volume import VolumeSurgeDetector, _Spread
from detectors.window import WindowCounts

log = logging.getLogger(__name__)

FORMAT = "spikewatch.state"
VERSION = 1

# The allowlist: the only classes a state record may name. One line per class.
STATE_CLASSES: tuple[type, ...] = (
    KeyState,
    RecentIds,
    KeyMonitor,
    MonitorConfig,
    _Bucket,
    ResponseTracker,
    BacklogConfig,
    AlertGate,
    NegativeBurstDetector,
    VolumeSurgeDetector,
    _Spread,
    LogProfile,
    EmergingTerms,
    WindowCounts,
)

# {version: function turning a version-N tree (the envelope's "value") into version N+1}.
MIGRATIONS: dict[int, Callable[[Any], Any]] = {}

_ARRAY_CODES = frozenset("bBhHiIlLqQfd")
_MAX_DEPTH = 64


class StateFormatError(ValueError):
    """A state record that is not a spikewatch state of a version we can read."""


def _name(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


_REGISTRY: dict[str, type] = {}
_BY_CLASS: dict[type, str] = {}


def register_state_class(cls: type) -> type:
    """Allow ``cls`` in state records (exact class, not its subclasses)."""
    _REGISTRY[_name(cls)] = cls
    _BY_CLASS[cls] = _name(cls)
    return cls


for _cls in STATE_CLASSES:
    register_state_class(_cls)


def _own_state_methods(cls: type) -> bool:
    """Whether the class brings its own ``__getstate__`` and ``__setstate__``."""
    return (
        getattr(cls, "__getstate__", None) is not getattr(object, "__getstate__", None)
        and getattr(cls, "__setstate__", None) is not None
    )


def _slots(cls: type) -> list[str]:
    out: list[str] = []
    for c in cls.__mro__:
        s = c.__dict__.get("__slots__", ())
        for n in (s,) if isinstance(s, str) else s:
            if n not in ("__dict__", "__weakref__") and n not in out:
                out.append(n)
    return out


def _attrs(obj: Any) -> dict[str, Any]:
    d: dict[str, Any] = dict(getattr(obj, "__dict__", {}))
    for n in _slots(type(obj)):
        if hasattr(obj, n):
            d[n] = getattr(obj, n)
    return d


# -- encode -----------------------------------------------------------------------------------


def _enc(x: Any) -> Any:
    t = type(x)
    if x is None or t is bool or t is int or t is str:
        return x
    if t is float:
        if math.isfinite(x):
            return x
        return {"$f": "nan" if math.isnan(x) else ("inf" if x > 0 else "-inf")}
    if t is list:
        return [_enc(v) for v in x]
    if t is dict:
        if all(type(k) is str and not k.startswith("$") for k in x):
            return {k: _enc(v) for k, v in x.items()}
        return {"$m": [[_enc(k), _enc(v)] for k, v in x.items()]}
    if t is tuple:
        return {"$t": [_enc(v) for v in x]}
    if t is set or t is frozenset:
        items = sorted((_enc(v) for v in x), key=repr)  # stable bytes for equal sets
        return {"$s" if t is set else "$fs": items}
    if t is deque:
        return {"$q": [_enc(v) for v in x], "maxlen": x.maxlen}
    if t is Counter:
        return {"$C": [[_enc(k), _enc(v)] for k, v in x.items()]}
    if t is bytes or t is bytearray:
        return {"$b": base64.b64encode(x).decode("ascii")}
    if t is array.array:
        return {"$a": x.typecode, "b": base64.b64encode(x.tobytes()).decode("ascii")}
    name = _BY_CLASS.get(t)
    if name is None:
        raise TypeError(f"{_name(t)} is not a registered state class (streams/codec.py)")
    state = x.__getstate__() if _own_state_methods(t) else _attrs(x)
    return {"$o": name, "v": _enc(state)}


def dumps_state(obj: Any) -> bytes:
    """Encode a state object as a versioned JSON record."""
    env = {"format": FORMAT, "version": VERSION, "value": _enc(obj)}
    return json.dumps(env, separators=(",", ":"), allow_nan=False).encode()


# -- decode -----------------------------------------------------------------------------------


def _pairs(v: Any, depth: int) -> list[tuple[Any, Any]]:
    if not isinstance(v, list) or not all(isinstance(p, list) and len(p) == 2 for p in v):
        raise StateFormatError("malformed pair list")
    return [(_dec(k, depth), _dec(w, depth)) for k, w in v]


def _hashable(x: Any) -> Any:
    try:
        hash(x)
    except TypeError:
        raise StateFormatError("unhashable key in a state record") from None
    return x


def _b64(v: Any) -> bytes:
    if not isinstance(v, str):
        raise StateFormatError("bytes must be base64 text")
    try:
        return base64.b64decode(v.encode("ascii"), validate=True)
    except (ValueError, UnicodeEncodeError):
        raise StateFormatError("bad base64 in a state record") from None


def _dec(x: Any, depth: int = 0) -> Any:
    if depth > _MAX_DEPTH:
        raise StateFormatError("state record nested too deeply")
    d = depth + 1
    if x is None or isinstance(x, bool | int | float | str):
        return x
    if isinstance(x, list):
        return [_dec(v, d) for v in x]
    if not isinstance(x, dict):
        raise StateFormatError(f"unexpected JSON value {type(x).__name__}")
    tag = next((k for k in x if k.startswith("$")), None)
    if tag is None:
        return {k: _dec(v, d) for k, v in x.items()}
    v = x[tag]
    if tag == "$t" and isinstance(v, list):
        return tuple(_dec(i, d) for i in v)
    if tag in ("$s", "$fs") and isinstance(v, list):
        items = [_hashable(_dec(i, d)) for i in v]
        return set(items) if tag == "$s" else frozenset(items)
    if tag == "$q" and isinstance(v, list):
        maxlen = x.get("maxlen")
        if maxlen is not None and (type(maxlen) is not int or maxlen < 0):
            raise StateFormatError("bad deque maxlen")
        return deque((_dec(i, d) for i in v), maxlen)
    if tag == "$C":
        return Counter({_hashable(k): w for k, w in _pairs(v, d)})
    if tag == "$m":
        return {_hashable(k): w for k, w in _pairs(v, d)}
    if tag == "$b":
        return _b64(v)
    if tag == "$a" and isinstance(v, str) and v in _ARRAY_CODES:
        a = array.array(v)
        raw = _b64(x.get("b"))
        if len(raw) % a.itemsize:
            raise StateFormatError("array bytes do not fit the type code")
        a.frombytes(raw)
        return a
    if tag == "$f" and v in ("inf", "-inf", "nan"):
        return float(v)
    if tag == "$o" and isinstance(v, str):
        return _object(v, x.get("v"), d)
    raise StateFormatError(f"unknown or malformed tag {tag[:20]!r} in a state record")


def _object(name: str, raw_state: Any, depth: int) -> Any:
    cls = _REGISTRY.get(name)
    if cls is None:
        raise StateFormatError(f"class {name[:120]!r} is not allowed in a state record")
    state = _dec(raw_state, depth)
    obj: Any = object.__new__(cls)
    if _own_state_methods(cls):
        try:
            obj.__setstate__(state)
        except (TypeError, ValueError, KeyError, AttributeError, IndexError) as exc:
            raise StateFormatError(f"{name}: state does not fit ({exc})") from None
        return obj
    if not isinstance(state, dict):
        raise StateFormatError(f"{name}: attributes must be an object")
    slots = _slots(cls)
    has_dict = any("__dict__" in c.__dict__ for c in cls.__mro__ if c is not object)
    for k, w in state.items():
        if not isinstance(k, str) or not k.isidentifier() or k.startswith("__"):
            raise StateFormatError(f"{name}: attribute name {str(k)[:40]!r} refused")
        declared = getattr(cls, k, None)
        if k not in slots and (callable(declared) or isinstance(declared, property)):
            raise StateFormatError(f"{name}: {k!r} is a method, not data")
        if k not in slots and not has_dict:
            raise StateFormatError(f"{name}: no attribute {k!r}")
        object.__setattr__(obj, k, w)
    missing = [n for n in slots if n not in state]
    if missing:
        raise StateFormatError(f"{name}: state lacks {', '.join(missing[:5])}")
    return obj


def loads_state(data: bytes) -> Any:
    """Decode a record of :func:`dumps_state`; :class:`StateFormatError` for anything else."""
    if not data or data[:1] != b"{":
        what = "a pickle (spikewatch < 0.2)" if data[:1] == b"\x80" else "not JSON"
        raise StateFormatError(f"state record is {what}")
    try:
        env = json.loads(data)
    except (ValueError, RecursionError):
        raise StateFormatError("state record is not valid JSON") from None
    if not isinstance(env, dict) or env.get("format") != FORMAT:
        raise StateFormatError("not a spikewatch state record")
    version, value = env.get("version"), env.get("value")
    if type(version) is not int or version < 1 or version > VERSION:
        raise StateFormatError(f"state version {version!r} (this worker reads 1..{VERSION})")
    while version < VERSION:
        value = MIGRATIONS[version](value)
        version += 1
    try:
        return _dec(value)
    except RecursionError:
        raise StateFormatError("state record nested too deeply") from None


def loads_state_or_none(data: bytes) -> Any:
    """Like :func:`loads_state`, but a record we cannot read becomes ``None`` (fresh state)."""
    try:
        return loads_state(data)
    except StateFormatError as exc:
        log.warning("state record refused, that brand starts afresh: %s", exc)
        return None


class StateCodec(codecs.Codec):
    """Faust codec ``spikewatch_state``."""

    def _dumps(self, obj: Any) -> bytes:
        return dumps_state(obj)

    def _loads(self, s: bytes) -> Any:
        return loads_state_or_none(s)


def register() -> None:
    """Register the Faust codec ``spikewatch_state``."""
    codecs.register("spikewatch_state", StateCodec())
