"""Golden enrichment: every output must stay exactly what the reference code produced.

``data/enrich_golden.json.gz`` holds a few thousand inputs (simulated mentions, the labelled brand
mentions with and without their language, edge cases) with the enrichment the code gave when the
file was written, and a hash per sampled row of the public sets under ``../shared/data`` (checked
when that directory is there). Speed work on ``detectors/text`` must keep every row identical.

Regenerate only on purpose (a deliberate change of behaviour), from the code you trust:
``.venv/bin/python tests/unit/test_text_enrich_golden.py --write``
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = Path(__file__).resolve().parent / "data" / "enrich_golden.json.gz"
SHARED = ROOT.parent / "shared" / "data" / "sentiment"
# public sets: file -> (language, every how many rows to sample)
SHARED_SETS = {
    "en_tweeteval_val.tsv": ("en", 2),
    "en_semeval2013-2016_train.tsv": ("en", 20),
    "fi_xed_train.tsv": ("fi", 5),
}
T0 = datetime(2026, 3, 2, 8, 15, tzinfo=UTC)
BATCH = 500

if str(ROOT) not in sys.path:  # run as a script
    sys.path.insert(0, str(ROOT))

from detectors.mention import Enrichment, Mention  # noqa: E402
from detectors.text import Enricher  # noqa: E402
from detectors.text.sentiment import SentimentModel  # noqa: E402

Row = tuple[str, str | None, str]  # text, language hint, brand

_SENTENCES = (
    "Verkkopankki ei toimi taas, mikä ihme 😡",
    "The app is down again, can't log in!!",
    "Jag kan inte logga in på banken, vad händer?",
    "Kiitti nopeesta avusta! 😊",
    "Thanks, great service :)",
    "Tack för snabb hjälp ❤️",
)


def edge_rows() -> list[Row]:
    """Odd texts and language hints: empty, emoji only, very long, mixed languages, links."""
    texts = [
        "",
        " ",
        "\n\t",
        "👍",
        "😡😡😡",
        "🙄",
        "👍🏽👍🏿",
        "👨‍👩‍👧 🇫🇮 1️⃣",
        ":) :-( :D <3 ;) :'(",
        "?" * 500,
        "!!!???!?",
        "...",
        "a",
        "a" * 20_000,
        " ".join(_SENTENCES) * 150,
        ("Verkkopankki ei toimi " * 400).strip(),
        "x" * 300 + " verkkopankki ei toimi",
        "@nordbank https://t.co/x 👍",
        "https://example.com/a?b=c www.nordbank.fi http://x.y",
        "@Nordbank @Skyways ＠lumoverkko #outage #123 #",
        "Verkkopankki ei toimi, the app is down, appen fungerar inte!",
        "Kiitti vaan, great job 🙄 tack så mycket",
        "mä en pääse taas kirjautumaan, mikä ihme",
        "NOT WORKING AT ALL!!! WHY",
        "EI TOIMI. ÄLÄ VIITSI. SURKEETA",
        "sooooo goooood, kiitoooos",
        "don’t work, can't login, won't load",
        "not bad at all, not good either",
        "ei ollut huono, kiitti!",
        "Fantastic, down again 🙄",
        "Upeeta, taas nurin 🙄",
        "İstanbul İİİ ß ﬁnal ΣΟΦΟΣ",
        "pa\u0308a\u0308te\u0301 zero\u200bwidth",
        "Привет, как дела? 你好 مرحبا",
        "123 456 7890",
        "very very very good but really bad",
        "mutta kuitenkin hyvä, vaikka huono",
        "nordbank nordbank nordbank",
        "Lumoverkko toimii taas, kiitos! #lumoverkko",
        "aika huono palvelu, tosi surkea",
        "Tack! Men appen krånglar fortfarande, inte bra",
        "Nej, det funkar inte. Usch 😒",
        "jono on taas tunnin mittainen, asiakaspalvelu ei vastaa",
        "I want to cancel my subscription, the bill is wrong",
        "ei toimi ei toimi ei toimi",
        "Hei! Miten saan uuden tunnusluvun? Kiitos.",
    ]
    hints: list[str | None] = [None, "fi", "en", "sv", "fi-FI", "EN_us", "nb", "und", ""]
    hints += ["de", "pt"]
    rows: list[Row] = []
    for i, t in enumerate(texts):
        rows.append((t, None, "nordbank"))
        rows.append((t, hints[i % len(hints)], "lumoverkko"))
    nasty = ROOT / "tests" / "data" / "nasty" / "records.jsonl"
    for line in nasty.read_text(encoding="utf-8").splitlines():
        rec = json.loads(line).get("record")
        if isinstance(rec, dict) and isinstance(rec.get("text"), str):
            lang = rec.get("lang")
            rows.append((rec["text"], lang if isinstance(lang, str) else None, "nordbank"))
    return rows


def simulated_rows(n: int = 3000) -> list[Row]:
    """The first ``n`` mentions (customers and replies) of a seeded three-brand simulation."""
    from detectors.simulate import default_profiles, random_events, simulate

    profiles = default_profiles()
    start = datetime(2026, 3, 2, tzinfo=UTC)
    events = random_events(profiles, start, 2.0, 3)
    rows: list[Row] = []
    for r in simulate(profiles, start, 2.0, events, seed=3):
        rows.append((r["text"], r["lang"], r["brand"]))
        if len(rows) >= n:
            break
    return rows


def brand_rows() -> list[Row]:
    """The labelled brand mentions, with their language given and detected."""
    with open(ROOT / "tests" / "data" / "brand_mentions.tsv", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE))
    return [(r["text"], hint, "nordbank") for r in rows for hint in (r["lang"], None)]


def shared_texts(name: str) -> list[str]:
    """The sampled texts of one public set (the bench reads these files)."""
    _, step = SHARED_SETS[name]
    with open(SHARED / name, encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE))
    return [r["text"] for r in rows[::step]]


def as_list(e: Enrichment) -> list[Any]:
    return [e.lang, e.sentiment, e.sentiment_score, list(e.topics), list(e.terms)]


def enrich_rows(enricher: Enricher, rows: list[Row]) -> list[list[Any]]:
    """Enrich through ``enrich_batch`` (the worker's path), in batches."""
    ms = [
        Mention(id=f"g:{i}", source="x", brand=b, created_at=T0, text=t, lang=h)
        for i, (t, h, b) in enumerate(rows)
    ]
    out: list[list[Any]] = []
    for j in range(0, len(ms), BATCH):
        out.extend(as_list(e) for e in enricher.enrich_batch(ms[j : j + BATCH]))
    return out


def shared_digests(enricher: Enricher, name: str) -> list[str]:
    """Per text: a short hash of its enrichment (language detected and given) and classify()."""
    lang, _ = SHARED_SETS[name]
    texts = shared_texts(name)
    auto = enrich_rows(enricher, [(t, None, "") for t in texts])
    given = enrich_rows(enricher, [(t, lang, "") for t in texts])
    model: SentimentModel = enricher.sentiment
    out = []
    for t, a, g in zip(texts, auto, given, strict=True):
        blob = json.dumps([a, g, list(model.classify(t, lang))], ensure_ascii=False)
        out.append(hashlib.sha256(blob.encode()).hexdigest()[:12])
    return out


def text_digest(texts: list[str]) -> str:
    return hashlib.sha256("\n".join(texts).encode()).hexdigest()[:16]


def write() -> None:
    enricher = Enricher()
    rows = edge_rows() + brand_rows() + simulated_rows()
    doc: dict[str, Any] = {
        "about": "tests/unit/test_text_enrich_golden.py: inputs and the enrichment they must give",
        "rows": [
            [t, h, b, out] for (t, h, b), out in zip(rows, enrich_rows(enricher, rows), strict=True)
        ],
        "shared": {},
    }
    for name in SHARED_SETS:
        if (SHARED / name).exists():
            doc["shared"][name] = {
                "texts": text_digest(shared_texts(name)),
                "hashes": " ".join(shared_digests(enricher, name)),
            }
    GOLDEN.parent.mkdir(parents=True, exist_ok=True)
    with gzip.GzipFile(GOLDEN, "wb", mtime=0) as fh:
        fh.write(json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode())
    print(f"{GOLDEN}: {len(doc['rows'])} rows, shared sets {sorted(doc['shared'])}")


@pytest.fixture(scope="module")
def golden() -> dict[str, Any]:
    with gzip.open(GOLDEN, "rt", encoding="utf-8") as fh:
        doc: dict[str, Any] = json.load(fh)
    return doc


def _mismatches(rows: list[list[Any]], got: list[list[Any]]) -> list[str]:
    return [
        f"{r[0][:60]!r} (hint {r[1]!r}): expected {r[3]}, got {g}"
        for r, g in zip(rows, got, strict=True)
        if g != r[3]
    ]


@pytest.mark.parametrize("memo_size", [0, 4096])
def test_enrichment_is_unchanged(golden: dict[str, Any], memo_size: int) -> None:
    rows = golden["rows"]
    enricher = Enricher(memo_size=memo_size)
    inputs = [(r[0], r[1], r[2]) for r in rows]
    bad = _mismatches(rows, enrich_rows(enricher, inputs))
    assert not bad, f"{len(bad)} of {len(rows)} rows differ, e.g.\n" + "\n".join(bad[:10])
    # a second pass over the same enricher (warm caches, the memo full) gives the same again
    assert not _mismatches(rows, enrich_rows(enricher, inputs))


def test_single_mention_path_agrees(golden: dict[str, Any]) -> None:
    enricher = Enricher()
    rows = golden["rows"][::7]
    got = [as_list(enricher.enrich_text(t, h, b)) for t, h, b, _ in rows]
    assert not _mismatches(rows, got)


@pytest.mark.parametrize("name", sorted(SHARED_SETS))
def test_public_sets_are_unchanged(golden: dict[str, Any], name: str) -> None:
    if not (SHARED / name).exists():
        pytest.skip(f"{SHARED / name} not here (public data lives outside the repository)")
    want = golden["shared"][name]
    assert text_digest(shared_texts(name)) == want["texts"], "the data file itself changed"
    got = shared_digests(Enricher(), name)
    bad = [i for i, (g, w) in enumerate(zip(got, want["hashes"].split(), strict=True)) if g != w]
    assert not bad, f"{len(bad)} sampled rows differ (sample indexes {bad[:10]})"


if __name__ == "__main__":
    if sys.argv[1:] != ["--write"]:
        raise SystemExit(__doc__)
    write()
