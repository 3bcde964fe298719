"""The corpus of nasty records (``records.jsonl``) as raw bytes, with what should happen.

Each line of ``records.jsonl`` is ``{"name", "expect", and one of "record" | "raw" |
"raw_hex"}``: ``record`` is a JSON value serialised here (non-ASCII kept as UTF-8),
``raw`` a string sent as its UTF-8 bytes, ``raw_hex`` exact bytes. ``expect`` is
``"ok"`` (a valid if odd mention: it must be processed) or the dead-letter reason.
Placeholders put event times relative to the run: ``@NOW@`` (an hour ago),
``@NOW_OFFSET@`` (the same with a +03:00 offset), ``@NOW_NAIVE@`` (no zone),
``@FUTURE@`` (two hours ahead) and ``@OLD@`` (60 days ago). Ids start with
``nasty:``; :func:`load_cases` can rename that so two runs do not collide.

>>> cases = load_cases(1_800_000_000.0, id_prefix="a:")
>>> len(cases) == len(set(c.name for c in cases)), cases[0].raw[:1]
(True, b'{')
>>> sorted({c.expect for c in cases})[:3]
['bad_created_at', 'duplicate', 'empty_field']
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Case:
    name: str
    expect: str  # "ok" or the dead-letter reason
    raw: bytes


def _times(now: float) -> dict[str, str]:
    t = datetime.fromtimestamp(now - 3600, tz=UTC)
    return {
        "@NOW@": t.isoformat().replace("+00:00", "Z"),
        "@NOW_OFFSET@": t.astimezone(timezone(timedelta(hours=3))).isoformat(),
        "@NOW_NAIVE@": t.replace(tzinfo=None).isoformat(),
        "@FUTURE@": datetime.fromtimestamp(now + 7200, tz=UTC).isoformat(),
        "@OLD@": datetime.fromtimestamp(now - 60 * 86400, tz=UTC).isoformat(),
    }


def load_cases(now: float, *, id_prefix: str = "nasty:") -> list[Case]:
    """Every case of ``records.jsonl`` as the bytes to send, at wall-clock time ``now``."""
    out: list[Case] = []
    subs = {k.encode(): v.encode() for k, v in _times(now).items()}
    subs[b"nasty:"] = id_prefix.encode()
    for line in (HERE / "records.jsonl").read_text(encoding="utf-8").splitlines():
        d = json.loads(line)
        if "record" in d:
            raw = json.dumps(d["record"], ensure_ascii=False).encode()
        elif "raw" in d:
            raw = d["raw"].encode("utf-8")
        else:
            raw = bytes.fromhex(d["raw_hex"])
        for k, v in subs.items():
            raw = raw.replace(k, v)
        out.append(Case(d["name"], d["expect"], raw))
    return out
