"""The first sentiment stage for languages with training data: TF-IDF words, bigrams and
character 2-5-grams, a linear model, no scikit-learn at inference.

Features of a tokenised text (:mod:`detectors.text.tokens`), each a 32-bit key (CRC-32 of
a prefixed string, so no vocabulary of strings is kept in memory):

- ``w``: every token (words, ``@user``, ``<url>``, emoji, ``!!``, ``.``);
- ``b``: every pair of neighbouring tokens (its key mixes the two word keys);
- ``c``: the character 2- to 5-grams of each alphabetic token padded with spaces
  (scikit-learn's ``char_wb`` analyser over our tokens).

Block ``w+b`` and block ``c`` are weighted and normalised apart: a feature seen ``tf``
times counts ``tf * idf``, and a block is divided by ``sqrt(sum of tf * idf**2)`` over
its features. (That is TF-IDF with a norm that can be summed token by token: a token's
part of the class scores and of the norm is worked out once and remembered, and a text
costs a few additions per token.) A key outside the kept vocabulary adds the default
idf to the norm and nothing to the scores. Training (:func:`matrix`, used by
``make train`` with scikit-learn's ``TfidfTransformer``-style idf and
``LogisticRegression``) builds exactly these numbers.

The model is a ``.npz`` file: sorted ``keys`` (uint32), ``idf`` and ``coef`` (3 x V)
as float32, ``intercept`` and ``default_idf``.

Examples
--------
>>> from detectors.text.tokens import tokenize
>>> sorted(char_keys("ok")) == sorted(char_keys("ok"))  # deterministic across runs
True
>>> len(char_keys("ok"))  # " o", "ok", "k ", " ok", "ok ", " ok "
6
>>> docs = features([tokenize("not good!!"), []])
>>> len(docs[0][0]), len(docs[0][1]), docs[1]
(5, 24, ([], []))
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Sequence
from itertools import pairwise
from pathlib import Path
from typing import Any

import numpy as np

MASK = 0xFFFFFFFF
_MIX = 0x9E3779B1
_CACHE_MAX = 30_000  # tokens remembered per model


def word_key(tok: str) -> int:
    """The key of one token as a word feature."""
    return zlib.crc32(("w\x01" + tok).encode("utf-8"))


def pair_key(a: int, b: int) -> int:
    """The key of a pair of neighbouring tokens, from their word keys."""
    return ((a * _MIX) ^ (b + 0x7F4A7C15)) & MASK


def char_keys(tok: str) -> list[int]:
    """Keys of the character 2-5-grams of ``tok`` padded with a space each side."""
    w = " " + tok + " "
    n = len(w)
    crc = zlib.crc32
    return [
        crc(("c\x01" + w[i : i + k]).encode("utf-8"))
        for k in (2, 3, 4, 5)
        for i in range(n - k + 1)
    ]


def _is_word(tok: str) -> bool:
    return tok[0].isalpha()


def features(docs: Sequence[list[str]]) -> list[tuple[list[int], list[int]]]:
    """``(w+b keys, c keys)`` of each tokenised text, with repeats (training uses this)."""
    out = []
    for toks in docs:
        wk = [word_key(t) for t in toks]
        wb = wk + [pair_key(a, b) for a, b in pairwise(wk)]
        ck: list[int] = []
        for t in toks:
            if _is_word(t):
                ck.extend(char_keys(t))
        out.append((wb, ck))
    return out


def matrix(
    docs: list[tuple[list[int], list[int]]],
    vocab: np.ndarray,
    idf: np.ndarray,
    default_idf: float,
) -> Any:
    """The normalised TF-IDF rows of ``docs`` (from :func:`features`) as a CSR matrix."""
    from scipy.sparse import csr_matrix

    indptr = [0]
    cols: list[np.ndarray] = []
    vals: list[np.ndarray] = []
    for block in docs:
        row_c: list[np.ndarray] = []
        row_v: list[np.ndarray] = []
        for keys in block:
            if not keys:
                continue
            k = np.asarray(keys, dtype=np.uint32)
            pos = np.searchsorted(vocab, k)
            pos[pos >= len(vocab)] = 0
            hit = vocab[pos] == k
            w = np.where(hit, idf[pos].astype(np.float64), default_idf)
            norm = math.sqrt(float(np.sum(w * w)))
            c, counts = np.unique(pos[hit], return_counts=True)
            row_c.append(c)
            row_v.append(counts * idf[c].astype(np.float64) / norm)
        if row_c:
            c = np.concatenate(row_c)
            v = np.concatenate(row_v)
            # a key can sit in both blocks only by a hash collision: add them up
            c, inv = np.unique(c, return_inverse=True)
            v = np.bincount(inv, weights=v, minlength=len(c))
        else:
            c, v = np.zeros(0, dtype=np.int64), np.zeros(0)
        cols.append(c)
        vals.append(v)
        indptr.append(indptr[-1] + len(c))
    return csr_matrix(
        (
            np.concatenate(vals) if vals else np.zeros(0),
            np.concatenate(cols) if cols else np.zeros(0, dtype=np.int64),
            np.asarray(indptr),
        ),
        shape=(len(docs), len(vocab)),
    )


def fit_vocab(
    docs: list[tuple[list[int], list[int]]], min_df: int
) -> tuple[np.ndarray, np.ndarray, float]:
    """Keys seen in at least ``min_df`` texts, their smooth idf and the default idf.

    idf = ln((1 + n) / (1 + df)) + 1, as scikit-learn's ``TfidfTransformer``; a key
    outside the vocabulary counts as one seen in ``min_df - 1`` texts.
    """
    all_keys = [np.unique(np.asarray(wb + ck, dtype=np.uint32)) for wb, ck in docs]
    flat = np.concatenate(all_keys) if all_keys else np.zeros(0, dtype=np.uint32)
    keys, df = np.unique(flat, return_counts=True)
    keep = df >= min_df
    n = len(docs)
    idf = (np.log((1.0 + n) / (1.0 + df[keep])) + 1.0).astype(np.float32)
    default = float(np.float32(math.log((1.0 + n) / float(min_df)) + 1.0))
    return keys[keep], idf, default


class TfidfModel:
    """A linear model over the TF-IDF features above, scored without building a matrix."""

    __slots__ = ("_cache", "_d2", "default_idf", "intercept", "keys", "table")

    def __init__(self, path: str | Path) -> None:
        with np.load(path, allow_pickle=False) as z:
            self.keys = np.ascontiguousarray(z["keys"], dtype=np.uint32)
            idf = z["idf"].astype(np.float64)
            coef = z["coef"].astype(np.float64)
            b = z["intercept"].astype(np.float64)
            self.default_idf = float(z["default_idf"])
        if coef.shape != (3, len(self.keys)) or idf.shape != (len(self.keys),):
            raise ValueError(f"{path}: keys, idf and coef do not match")
        # per key: idf * coef for each class, and idf**2 (its part of the norm)
        self.table = np.ascontiguousarray(np.vstack([coef * idf, idf * idf]).T)
        self.intercept = (float(b[0]), float(b[1]), float(b[2]))
        self._d2 = self.default_idf * self.default_idf
        # token -> (word key, w0, w1, w2, q of its word feature, c0, c1, c2, q of its chars)
        self._cache: dict[
            str, tuple[int, float, float, float, float, float, float, float, float]
        ] = {}

    def _lookup(self, keys: list[int]) -> tuple[float, float, float, float]:
        """Summed (idf * coef per class, idf**2) over ``keys`` (repeats count)."""
        k = np.asarray(keys, dtype=np.uint32)
        pos = np.searchsorted(self.keys, k)
        pos[pos >= len(self.keys)] = 0
        hit = self.keys[pos] == k
        rows = self.table[pos[hit]]
        s = rows.sum(axis=0)
        q = float(s[3]) + (len(keys) - int(hit.sum())) * self._d2
        return float(s[0]), float(s[1]), float(s[2]), q

    def _learn(
        self, tok: str
    ) -> tuple[int, float, float, float, float, float, float, float, float]:
        wk = word_key(tok)
        ck = char_keys(tok) if _is_word(tok) else []
        w0, w1, w2, wq = self._lookup([wk])
        if ck:
            c0, c1, c2, cq = self._lookup(ck)
        else:
            c0 = c1 = c2 = cq = 0.0
        facts = (wk, w0, w1, w2, wq, c0, c1, c2, cq)
        if len(self._cache) >= _CACHE_MAX:
            self._cache.clear()
        self._cache[tok] = facts
        return facts

    def scores_batch(self, docs: Sequence[list[str]]) -> list[tuple[float, float, float]]:
        """Class scores (negative, neutral, positive) before the softmax, per text."""
        cache, learn = self._cache, self._learn
        n = len(docs)
        acc = np.zeros((n, 8))  # w0 w1 w2 wq c0 c1 c2 cq
        pair_doc: list[int] = []
        pair_keys: list[int] = []
        rows = []
        for d, toks in enumerate(docs):
            a0 = a1 = a2 = aq = b0 = b1 = b2 = bq = 0.0
            prev = -1
            for t in toks:
                f = cache.get(t) or learn(t)
                a0 += f[1]
                a1 += f[2]
                a2 += f[3]
                aq += f[4]
                b0 += f[5]
                b1 += f[6]
                b2 += f[7]
                bq += f[8]
                if prev >= 0:
                    pair_keys.append(((prev * _MIX) ^ (f[0] + 0x7F4A7C15)) & MASK)
                    pair_doc.append(d)
                prev = f[0]
            rows.append((a0, a1, a2, aq, b0, b1, b2, bq))
        if n:
            acc[:] = rows
        if pair_keys:
            k = np.asarray(pair_keys, dtype=np.uint32)
            pos = np.searchsorted(self.keys, k)
            pos[pos >= len(self.keys)] = 0
            hit = self.keys[pos] == k
            contrib = self.table[pos]
            contrib[~hit] = (0.0, 0.0, 0.0, self._d2)
            dix = np.asarray(pair_doc)
            for j in range(4):
                acc[:, j] += np.bincount(dix, weights=contrib[:, j], minlength=n)
        out = []
        b = self.intercept
        for a0, a1, a2, aq, c0, c1, c2, cq in acc.tolist():
            wn = 1.0 / math.sqrt(aq) if aq else 0.0
            cn = 1.0 / math.sqrt(cq) if cq else 0.0
            out.append(
                (b[0] + a0 * wn + c0 * cn, b[1] + a1 * wn + c1 * cn, b[2] + a2 * wn + c2 * cn)
            )
        return out

    def scores(self, tokens: list[str]) -> tuple[float, float, float]:
        """Class scores of one tokenised text."""
        return self.scores_batch([tokens])[0]


def save(
    path: str | Path,
    keys: np.ndarray,
    idf: np.ndarray,
    coef: np.ndarray,
    intercept: np.ndarray,
    default_idf: float,
) -> None:
    """Write a model file (a compressed ``.npz``; the same arrays give the same bytes)."""
    import io
    import zipfile

    arrays: dict[str, np.ndarray] = {
        "keys": keys.astype(np.uint32),
        "idf": idf.astype(np.float32),
        "coef": coef.astype(np.float32),
        "intercept": intercept.astype(np.float64),
        "default_idf": np.asarray(default_idf, dtype=np.float64),
    }
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, arr in arrays.items():
            buf = io.BytesIO()
            np.lib.format.write_array(buf, arr, allow_pickle=False)
            info = zipfile.ZipInfo(name + ".npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, buf.getvalue())
