"""The table codec for per-brand detector state: pickle, restricted on load.

State objects (``detectors.keystate.KeyState`` and what it holds) travel through
a changelog topic. Unpickling is limited to our own ``detectors`` classes and a
few builtins, so a record written by anyone else cannot run code.
"""

from __future__ import annotations

import io
import pickle
from typing import Any

from faust.serializers import codecs

_ALLOWED_BUILTINS = {
    ("builtins", n)
    for n in ("set", "frozenset", "dict", "list", "tuple", "bytearray", "complex", "getattr")
}
_ALLOWED_MODULES = {
    "collections": {"deque", "OrderedDict", "Counter", "defaultdict"},
    "array": {"array", "_array_reconstructor"},
    "copyreg": {"_reconstructor"},
    "datetime": {"datetime", "timezone", "timedelta"},
}


class _Unpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        if module == "detectors" or module.startswith("detectors."):
            return super().find_class(module, name)
        if (module, name) in _ALLOWED_BUILTINS or name in _ALLOWED_MODULES.get(module, ()):
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"refusing to load {module}.{name} from a state record")


def dumps_state(obj: Any) -> bytes:
    return pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)


def loads_state(data: bytes) -> Any:
    return _Unpickler(io.BytesIO(data)).load()


class StateCodec(codecs.Codec):
    """Faust codec ``spikewatch_state``."""

    def _dumps(self, obj: Any) -> bytes:
        return dumps_state(obj)

    def _loads(self, s: bytes) -> Any:
        return loads_state(s)


def register() -> None:
    codecs.register("spikewatch_state", StateCodec())
