"""Labelled sentiment data: reading the TSV files and the fixed held-out splits.

A held-out split is decided by hashing the normalised text with a salt, so it
is the same on every machine and run, and duplicates land on the same side.

Examples
--------
>>> is_held_out("Suksi kuuseen.", FI_HOLDOUT) == is_held_out("suksi kuuseen. ", FI_HOLDOUT)
True
>>> decode_escapes("a\\\\u002c b")
'a, b'
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

LABELS = {"neg": "negative", "neu": "neutral", "pos": "positive"}
CLASSES = ("negative", "neutral", "positive")


@dataclass(frozen=True, slots=True)
class Split:
    """A deterministic held-out fraction of a file, by salted text hash."""

    salt: str
    fraction: float


# Finnish XED: 20% held out, never trained or tuned on.
FI_HOLDOUT = Split("spikewatch/fi_xed/holdout/v1", 0.20)
# English SemEval training file: 10% held out, never trained or tuned on.
EN_HOLDOUT = Split("spikewatch/en_semeval/holdout/v1", 0.10)

# TweetEval validation: this half may choose the English first stage's C; the other half
# is only scored (bench_sentiment.py reports both halves apart).
EN_VAL_TUNE = Split("spikewatch/tweeteval_val/tune/v1", 0.5)

_ESCAPE_RE = re.compile(r"\\u([0-9a-fA-F]{4})")


def decode_escapes(text: str) -> str:
    r"""Turn literal ``\uXXXX`` escapes (as in the SemEval dump) into characters."""
    if "\\u" not in text:
        return text
    return _ESCAPE_RE.sub(lambda m: chr(int(m.group(1), 16)), text)


def is_held_out(text: str, split: Split) -> bool:
    """True when ``text`` belongs to the held-out part of ``split``."""
    key = (split.salt + "\x00" + " ".join(text.lower().split())).encode("utf-8")
    h = int.from_bytes(hashlib.sha256(key).digest()[:8], "big")
    return h / 2.0**64 < split.fraction


def read_labelled(path: str | Path) -> Iterator[tuple[str, str]]:
    """Yield ``(label, text)`` from a ``label<TAB>text`` file with a header.

    Labels ``neg``/``neu``/``pos`` become ``negative``/``neutral``/``positive``;
    rows with another label or no text are skipped.
    """
    with open(path, encoding="utf-8") as fh:
        next(fh, None)
        for line in fh:
            label, _, text = line.rstrip("\n").partition("\t")
            full = LABELS.get(label.strip(), label.strip())
            text = decode_escapes(text).strip()
            if full in CLASSES and text:
                yield full, text


def macro_recall(gold: list[str], pred: list[str]) -> float:
    """Mean over the classes present in ``gold`` of the share predicted right."""
    per: dict[str, list[int]] = {}
    for g, p in zip(gold, pred, strict=True):
        hit_total = per.setdefault(g, [0, 0])
        hit_total[0] += g == p
        hit_total[1] += 1
    if not per:
        return 0.0
    return sum(h / t for h, t in per.values()) / len(per)
