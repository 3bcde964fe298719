"""The language-id evaluation set (issue 17): fi / en / sv texts as social media writes them.

Built deterministically from texts nothing was tuned on:

- the independent brand mentions of ``tests/data/eval`` (fi, en, sv, and the Finnish
  sarcasm/negation file), each in four forms: as written; ALL CAPS; its first four words
  (short texts); with a handle, an emoji and a hashtag of the text's own last word added
  (``@brand ... 😡 #word``),
- 300 TweetEval validation tweets (en) and 300 rows of the XED 20% held out (fi), as written.

Swedish has no public rows in ``../shared/data``: its texts are the eval mentions only.

:func:`build_tune_set` is the same recipe over tuning texts (``tests/data/brand_mentions.tsv``,
``tests/data/tune/``, and public training rows outside the held-out splits): language-id
changes are looked at there, and the evaluation set is only scored.

>>> rows = build_set()
>>> len(rows) >= 1800 and {lang for lang, _ in rows} == {"fi", "en", "sv"}
True
"""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
EVAL = ROOT / "tests" / "data" / "eval"
FILES = {
    "fi": ("mentions_fi.tsv", "sarcasm_negation_fi.tsv"),
    "en": ("mentions_en.tsv",),
    "sv": ("mentions_sv.tsv",),
}
EMOJI = ("😡", "🙏", "👍", "😂", "🤔")


def _texts(name: str) -> list[str]:
    with open(EVAL / name, encoding="utf-8") as fh:
        next(fh)
        return [line.rstrip("\n").split("\t", 2)[2] for line in fh]


def variants(text: str, i: int) -> list[str]:
    """The four forms of one text (see module docstring)."""
    words = text.split()
    last = "".join(c for c in (words[-1] if words else "") if c.isalnum())
    tail = f" {EMOJI[i % len(EMOJI)]} #{last}" if last else f" {EMOJI[i % len(EMOJI)]}"
    return [text, text.upper(), " ".join(words[:4]), f"@brand {text}{tail}"]


def build_set(data: Path | None = None, public: int = 300) -> list[tuple[str, str]]:
    """``(language, text)`` rows, always the same."""
    rows: list[tuple[str, str]] = []
    for lang, names in FILES.items():
        i = 0
        for name in names:
            for t in _texts(name):
                rows.extend((lang, v) for v in variants(t, i))
                i += 1
    data = data or ROOT.parent / "shared" / "data"
    if (data / "sentiment").exists():
        from detectors.text.datasets import FI_HOLDOUT, is_held_out, read_labelled

        te = [t for _, t in read_labelled(data / "sentiment/en_tweeteval_val.tsv")][:public]
        xed = [
            t
            for _, t in read_labelled(data / "sentiment/fi_xed_train.tsv")
            if is_held_out(t, FI_HOLDOUT)
        ][:public]
        rows.extend(("en", t) for t in te)
        rows.extend(("fi", t) for t in xed)
    return rows


def build_tune_set(data: Path | None = None, public: int = 600) -> list[tuple[str, str]]:
    """``(language, text)`` rows of tuning texts in the same four forms (never the eval set)."""
    import csv

    rows: list[tuple[str, str]] = []
    i = 0
    for path in (
        ROOT / "tests" / "data" / "brand_mentions.tsv",
        ROOT / "tests" / "data" / "tune" / "mentions_tune.tsv",
    ):
        with open(path, encoding="utf-8") as fh:
            for r in csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE):
                rows.extend((r["lang"], v) for v in variants(r["text"], i))
                i += 1
    data = data or ROOT.parent / "shared" / "data"
    if (data / "sentiment").exists():
        from detectors.text.datasets import EN_HOLDOUT, FI_HOLDOUT, is_held_out, read_labelled

        for lang, name, holdout in (
            ("en", "sentiment/en_semeval2013-2016_train.tsv", EN_HOLDOUT),
            ("fi", "sentiment/fi_xed_train.tsv", FI_HOLDOUT),
        ):
            texts = [t for _, t in read_labelled(data / name) if not is_held_out(t, holdout)]
            rows.extend((lang, t) for t in texts[:public])
    return rows
