"""Language identification for short social texts, offline (py3langid, model in its wheel).

Two stages. First the region's languages and their neighbours (:data:`LANGUAGES`), so
that Norwegian, Danish, Estonian or German are not forced into Finnish, English or
Swedish: a language of the deployment with probability >= :data:`MIN_CONFIDENCE` there
is the answer, another language with >= :data:`NEIGHBOUR_CONFIDENCE`.
Otherwise (short texts, hashtags, emoji) the deployment's language (``languages``,
default :data:`DEFAULT_LANGUAGES`, the deployment's ``languages`` setting) whose
function words (the stop-word lists of :mod:`detectors.text.terms`) the text uses most
is, and without such words the best of them by the identifier's rank. A shouted text
(mostly capitals) is identified in lowercase: the identifier's byte n-grams are
case-sensitive and learnt from ordinary text. Only a text with no letters or no
evidence at all gives ``"und"``. Handles, links and hashtag signs are removed first
(they are not language). A ``hint`` from the source wins when it names a language
(``"fi-FI"`` -> ``"fi"``).

Examples
--------
>>> detect_language("mä en pääse taas kirjautumaan, mikä ihme")
'fi'
>>> detect_language("Jag kan inte logga in på banken, vad händer?")
'sv'
>>> detect_language("Why is the app down again?? @nordbank")
'en'
>>> detect_language("anything at all", hint="sv-SE")
'sv'
>>> detect_language("@nordbank https://t.co/x 👍")
'und'
>>> detect_language("EI TOIMI")
'fi'
>>> detect_language("EI HASSUMMIN, ON SE KIVA")
'fi'
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import numpy as np

from detectors.text.langwalk import BatchWalk

LANGUAGES = ("fi", "en", "sv", "no", "da", "et", "de")
DEFAULT_LANGUAGES = ("fi", "en", "sv")  # a deployment's languages, unless configured
UNDETERMINED = "und"
MIN_CONFIDENCE = 0.5
# A language outside the deployment's needs more: a fi/en/sv deployment mostly sees its own
# languages, and short Swedish reads as Danish or Norwegian easily.
NEIGHBOUR_CONFIDENCE = 0.8
MAX_CHARS = 280  # enough evidence; keeps the per-byte walk bounded for long posts
_FLAT = 1e-6  # a probability spread below this is no evidence
_HINT_ALIASES = {"nb": "no", "nn": "no", "fin": "fi", "eng": "en", "swe": "sv"}
_STRIP_RE = re.compile(r"https?://\S+|www\.\S+|[@＠]\w+|#|[\d_]+")
_TWO_LETTERS_RE = re.compile(r"[^\W\d_].*?[^\W\d_]", re.DOTALL)
FUNCTION_WORD_ODDS = 3.0  # one function word of a language makes it this much likelier
_SHOUT_RE = re.compile(r"[A-ZÀ-ÖØ-Þ]{3}")
_WORD_RE = re.compile(r"[^\W\d_]+")


def _prepare(text: str) -> str:
    """The part of ``text`` that is language: no handles, links, hash signs or digits,
    lowercased when mostly capitals."""
    body = _STRIP_RE.sub(" ", text[: MAX_CHARS * 2])[:MAX_CHARS]
    if _SHOUT_RE.search(body) is None:  # most texts: no three capitals in a row
        return body
    upper = sum(c.isupper() for c in body)
    if upper >= 4 and upper > sum(c.islower() for c in body):
        body = body.lower()
    return body


def _pick(body: str, probs: Sequence[tuple[str, float]], languages: Sequence[str]) -> str:
    """The deployment language with the best rank probability times
    :data:`FUNCTION_WORD_ODDS` per function word of it in ``body``."""
    from detectors.text.terms import _STOP_LANGS, stop_words

    words = _WORD_RE.findall(body.lower())
    best, top = UNDETERMINED, -1.0
    for lang, p in probs:
        if lang not in languages:
            continue
        if lang in _STOP_LANGS:
            stops = stop_words(lang)
            p *= FUNCTION_WORD_ODDS ** sum(w in stops for w in words)
        if p > top:
            best, top = lang, p
    return best


@lru_cache(maxsize=1)
def _identifier() -> Any:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    ident = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    ident.set_languages([lang for lang in LANGUAGES if lang in ident.nb_classes])
    # Forget the 97-language matrix (about 100 MB); only the restricted copy is used.
    ident._full_model = (ident.nb_ptc, ident.nb_pc, ident.nb_classes)
    return ident


@lru_cache(maxsize=1)
def _batch_tables() -> tuple[BatchWalk, np.ndarray, np.ndarray, list[str]] | None:
    """The identifier's DFA (walked a batch at a time) and restricted naive-Bayes tables.

    Reads attributes of py3langid 0.4.0 (pinned); None when they are not there,
    and :func:`detect_languages` then classifies one text at a time.
    """
    ident = _identifier()
    try:
        tables = (
            BatchWalk(ident.tk_nextmove, ident._rowbase, ident.tk_output),
            np.ascontiguousarray(ident.nb_ptc, dtype=np.float32),
            np.asarray(ident.nb_pc, dtype=np.float32),
            [str(c) for c in ident.nb_classes],
        )
    except AttributeError:
        return None
    if getattr(ident, "_alias_pairs", None):
        return None
    return tables


def normalize_hint(hint: str | None) -> str | None:
    """A source-supplied language tag as a lowercase 2-letter code, or None."""
    if not hint:
        return None
    code = hint.strip().lower().replace("_", "-").split("-", 1)[0]
    code = _HINT_ALIASES.get(code, code)
    if code in ("", UNDETERMINED, "zxx", "mul", "xx"):
        return None
    return code


def _deployment_columns(classes: Sequence[str], languages: Sequence[str]) -> list[int]:
    return [i for i, c in enumerate(classes) if c in languages]


def detect_language(
    text: str, hint: str | None = None, languages: Sequence[str] = DEFAULT_LANGUAGES
) -> str:
    """ISO 639-1 code of ``text`` (``"fi"``, ``"en"``, ``"sv"``, ``"no"``, ...) or ``"und"``."""
    code = normalize_hint(hint)
    if code is not None:
        return code
    body = _prepare(text)
    if _TWO_LETTERS_RE.search(body) is None:
        return UNDETERMINED
    ident = _identifier()
    ranked = ident.rank(body)
    lang, confidence = ranked[0]
    if confidence >= (MIN_CONFIDENCE if lang in languages else NEIGHBOUR_CONFIDENCE):
        return str(lang)
    if confidence - ranked[-1][1] < _FLAT:
        return UNDETERMINED  # no evidence at all: every language equally likely
    return _pick(body, [(str(lang), float(p)) for lang, p in ranked], languages)


def detect_languages(
    texts: Sequence[str],
    hints: Sequence[str | None] | None = None,
    languages: Sequence[str] = DEFAULT_LANGUAGES,
) -> list[str]:
    """:func:`detect_language` over a batch, scored in one numpy pass (same answers, faster)."""
    from py3langid.langid import LanguageIdentifier

    n = len(texts)
    if hints is not None and len(hints) != n:
        raise ValueError("hints must be as long as texts")
    tables = _batch_tables()
    out = [UNDETERMINED] * n
    if tables is None:
        return [
            detect_language(t, hints[i] if hints else None, languages) for i, t in enumerate(texts)
        ]
    walk, ptc, pc, classes = tables
    todo: list[int] = []
    raws: list[bytes] = []
    bodies: list[str] = []
    for i, text in enumerate(texts):
        code = normalize_hint(hints[i]) if hints is not None else None
        if code is not None:
            out[i] = code
            continue
        body = _prepare(text)
        if _TWO_LETTERS_RE.search(body) is not None:
            todo.append(i)
            bodies.append(body)
            raws.append(LanguageIdentifier._encode(body))
    body_of = dict(zip(todo, bodies, strict=True))
    rows: list[int] = []
    inv_temp: list[float] = []
    feats: list[int] = []
    counts: list[int] = []
    offsets: list[int] = []
    for i, raw, visits in zip(todo, raws, walk(raws), strict=True):
        if not visits:
            continue  # uniform over the languages: below MIN_CONFIDENCE
        rows.append(i)
        inv_temp.append(1.0 / math.sqrt(len(raw) or 1))
        offsets.append(len(feats))
        feats.extend(visits.keys())
        counts.extend(visits.values())
    if not rows:
        return out
    weighted = ptc[np.asarray(feats, dtype=np.intp)]
    weighted *= np.log1p(np.asarray(counts, dtype=np.float32))[:, None]
    scores = np.add.reduceat(weighted, np.asarray(offsets, dtype=np.intp), axis=0) + pc
    scores *= np.asarray(inv_temp, dtype=np.float32)[:, None]
    scores -= scores.max(axis=1, keepdims=True)
    np.exp(scores, out=scores)
    scores /= scores.sum(axis=1, keepdims=True)
    best = scores.argmax(axis=1)
    conf = scores[np.arange(len(rows)), best]
    cols = _deployment_columns(classes, languages)
    flat = conf - scores.min(axis=1) < _FLAT
    need = np.asarray(
        [MIN_CONFIDENCE if c in languages else NEIGHBOUR_CONFIDENCE for c in classes],
        dtype=np.float32,
    )[best]
    for k, i in enumerate(rows):
        if flat[k]:
            continue
        if conf[k] >= need[k] or not cols:
            out[i] = classes[int(best[k])]
        else:
            probs = [(classes[j], float(scores[k, j])) for j in cols]
            out[i] = _pick(body_of[i], probs, languages)
    return out
