"""py3langid's byte walk for a whole batch at once: the same feature counts, with numpy.

py3langid counts a text's byte n-gram features by walking a DFA over its UTF-8
bytes, one Python step per byte (``visit_counts``, about a quarter of a
microsecond a byte). Here the texts of a batch take each step together, one
numpy gather per byte position, longest texts first; when fewer than
``TOGETHER`` texts are left, they finish alone, byte by byte, as py3langid
does. The counts come out the same and in the same order (a test compares).

Examples
--------
>>> from detectors.text.language import _identifier
>>> from py3langid.langid import visit_counts
>>> dfa = (_identifier().tk_nextmove, _identifier()._rowbase, _identifier().tk_output)
>>> raws = [f"teksti numero {i} on tässä".encode() for i in range(40)]
>>> BatchWalk(*dfa)(raws) == [visit_counts(*dfa, r) for r in raws]
True
"""

from __future__ import annotations

from array import array
from collections import Counter
from collections.abc import Sequence

import numpy as np

TOGETHER = 16  # fewer texts than this still walking: they finish one by one


class BatchWalk:
    """``visit_counts`` over many texts, the DFA stepped for all of them at once."""

    def __init__(self, nextmove: array[int], rowbase: list[int], output: list[int]) -> None:
        self._py = (nextmove, rowbase, output)
        self._nm = np.frombuffer(nextmove, dtype=np.dtype(f"u{nextmove.itemsize}"))
        self._rowbase = np.asarray(rowbase, dtype=np.int64)
        self._output = np.asarray(output, dtype=np.int32)

    def _alone(self, state: int, raw: bytes, found: list[int]) -> list[int]:
        nm, rowbase, out = self._py
        for letter in raw:
            state = nm[rowbase[state] + letter]
            f = out[state]
            if f >= 0:
                found.append(f)
        return found

    def __call__(self, raws: Sequence[bytes]) -> list[Counter[int] | None]:
        """Feature index -> count for each text (None when none fires), as ``visit_counts``."""
        n = len(raws)
        lens = np.fromiter(map(len, raws), dtype=np.int64, count=n)
        order = np.argsort(-lens, kind="stable")  # longest first: the walking texts are a prefix
        by_len = lens[order]
        steps = int(by_len[TOGETHER - 1]) if n >= TOGETHER else 0
        take = np.minimum(by_len, steps)
        walking = np.searchsorted(-by_len, -np.arange(steps), side="left")  # len > t
        # bytes[t, j]: byte t of the j-th longest text
        col = np.repeat(np.arange(n), take)
        row = np.arange(col.size) - np.repeat(np.cumsum(take) - take, take)
        joined = b"".join([raws[i][:steps] for i in order.tolist()])
        data = np.zeros((steps, n), dtype=np.uint8)
        data[row, col] = np.frombuffer(joined, dtype=np.uint8)
        state = np.zeros(n, dtype=np.int64)
        outs = np.empty((steps, n), dtype=np.int32)
        nm, rowbase, output = self._nm, self._rowbase, self._output
        for t in range(steps):
            k = walking[t]
            s = nm[rowbase[state[:k]] + data[t, :k]]
            state[:k] = s
            outs[t, :k] = output[s]
        feats = outs[row, col]  # text by text, byte by byte
        fired = feats >= 0
        flat = feats[fired].tolist()
        per_text = np.bincount(col[fired], minlength=n).tolist()
        result: list[Counter[int] | None] = [None] * n
        at = 0
        for j, i in enumerate(order.tolist()):
            found = flat[at : at + per_text[j]]
            at += per_text[j]
            if by_len[j] > steps:
                found = self._alone(int(state[j]), raws[i][steps:], found)
            if found:
                result[i] = Counter(found)
        return result
