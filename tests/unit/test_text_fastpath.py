"""The fast enrichment path gives exactly what the plain definitions give.

- :class:`~detectors.text.scorer.Scorer` against ``model.scores(sentiment_features(...))``
  (the function training uses): the same three floats, to the last bit;
- :func:`tokenize`, :func:`extract_terms` and the two-letter check of language id against
  the straightforward code they replaced (kept here as the reference), the batch DFA walk
  against py3langid's own ``visit_counts``;
- the memo and the caches: same answers with and without them, and bounded.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from detectors.mention import Mention
from detectors.text import Enricher, tokens
from detectors.text.features import sentiment_features
from detectors.text.language import _TWO_LETTERS_RE, _identifier
from detectors.text.langwalk import TOGETHER, BatchWalk
from detectors.text.lexicon import INTENSIFIERS, NEGATORS, SARCASM_MARKERS, load_lexicon
from detectors.text.scorer import Scorer
from detectors.text.sentiment import count_caps, default_model
from detectors.text.terms import MAX_TERMS, extract_terms, stop_words
from detectors.text.tokens import MARKERS, NUM, URL, USER, tokenize

# --- the reference code (as it was before the fast path) -------------------------------------

_REPEAT_RE = re.compile(r"([^\W\dw_])\1{2,}")
_SKIN_TONES = frozenset(chr(c) for c in range(0x1F3FB, 0x1F400))
_EMOJI = "\U0001f000-\U0001faff\u2600-\u27bf\u231a-\u23ff\u2b50\u2b55\u203c\u2049"
_TOKEN_RE = re.compile(
    r"https?://\S+|www\.\S+|[@＠]\w+|#\w+|<3|[:;=][\-o'^]?[()\[\]dpsxo/\\|3*{}@$]"
    rf"|\w+(?:['’]\w+)*|[!?]+|[.,;]+|[{_EMOJI}]"
)


def reference_tokenize(text: str) -> list[str]:
    out: list[str] = []
    for tok in _TOKEN_RE.findall(_REPEAT_RE.sub(r"\1\1", text.lower())):
        c = tok[0]
        if (c == "h" and tok.startswith(("http://", "https://"))) or (
            c == "w" and tok[:4] == "www."
        ):
            out.append(URL)
        elif c in "@＠":
            out.append(USER)
        elif c == "#":
            out.append(NUM if tok[1:].isdigit() else tok[1:])
        elif c in "!?":
            out.append(tok[:2])
        elif c in ".,;":
            out.append(".")
        elif tok in _SKIN_TONES:
            continue
        elif tok.isdigit():
            out.append(NUM)
        else:
            out.append(tok.replace("’", "'"))
    return out


def reference_terms(toks: list[str], lang: str, limit: int = MAX_TERMS) -> tuple[str, ...]:
    stops = stop_words(lang)
    negs = NEGATORS.get(lang) or frozenset().union(*NEGATORS.values())
    out: dict[str, None] = {}
    prev = ""
    for tok in toks:
        if len(out) >= limit:
            break
        if not tok[0].isalpha() or tok in MARKERS:
            prev = ""
            continue
        stop = tok in stops
        if prev and not stop and (prev not in stops or prev in negs):
            out[prev + " " + tok] = None
        if not stop and len(tok) > 1:
            out[tok] = None
        prev = tok
    return tuple(out)[:limit]


# --- text generators --------------------------------------------------------------------------

_PIECES = [
    "Sooo",
    "gooood",
    "aaa",
    "www.x.fi",
    "wwwww",
    "htttps://x",
    "https://t.co/a",
    "@Nordbank",
    "＠x",
    "#123",
    "#eitoimi",
    ":ooo",
    ":ddd",
    ":-)",
    "<3",
    "!!!",
    "?!?",
    "...",
    ",;",
    "😡😡😡",
    "👍🏽",
    "🏻",
    "❶❷",
    "don’t",
    "can't",
    "İİİ",
    "ßßß",
    "ÄÄÄ",
    "12345",
    "___",
    "\n\n\n",
    "   ",
    "EI TOIMI",
    "kiitti",
]
texts = st.lists(st.one_of(st.sampled_from(_PIECES), st.text(max_size=12)), max_size=12).map(
    lambda parts: " ".join(parts) if len(parts) % 2 else "".join(parts)
)


@settings(max_examples=400, deadline=None)
@given(texts)
def test_tokenize_matches_the_reference(text: str) -> None:
    assert tokenize(text) == reference_tokenize(text)


def test_tokenize_stays_right_when_its_cache_is_cleared(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tokens, "_CACHE_MAX", 3)
    monkeypatch.setattr(tokens, "_cache", {})
    text = "Verkkopankki ei toimi, #eitoimi 123 :D Sooo bad 👍🏽 www.x.fi"
    for _ in range(3):
        assert tokenize(text) == reference_tokenize(text)
    assert len(tokens._cache) <= 3


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=40))
def test_two_letter_check_matches_counting_letters(body: str) -> None:
    assert (_TWO_LETTERS_RE.search(body) is None) == (len(re.findall(r"[^\W\d_]", body)) < 2)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.one_of(texts, st.binary(max_size=60)), max_size=3 * TOGETHER))
def test_batch_walk_counts_like_visit_counts(items: list[str | bytes]) -> None:
    from py3langid.langid import visit_counts

    ident = _identifier()
    dfa = (ident.tk_nextmove, ident._rowbase, ident.tk_output)
    raws = [x if isinstance(x, bytes) else x.encode() for x in items]
    raws += [b"x" * k for k in range(0, 300, 7)][: len(raws) % 5 * 10]  # long ones walk alone
    got = BatchWalk(*dfa)(raws)
    want = [visit_counts(*dfa, r) for r in raws]
    assert [None if c is None else list(c.items()) for c in got] == [
        None if c is None else list(c.items()) for c in want
    ]


# --- sentiment ----------------------------------------------------------------------------------


def _vocabulary(lang: str) -> list[str]:
    lex = load_lexicon(lang)
    words = sorted(lex.forms)[::40] + sorted(lex.phrase_starts)
    for phrase in sorted(lex.phrases)[::5]:
        words.extend(phrase.split())
    words += sorted(NEGATORS.get(lang, ())) + sorted(INTENSIFIERS.get(lang, ()))
    words += [".", "!", "?", "!!", "?!", "but", "mutta", "men", *MARKERS, *SARCASM_MARKERS]
    words += ["😡", "😊", ":)", ":(", "<3", "verkkopankki", "app", "appen", "x", "a1", "ääää"]
    return words


LANGS = ["fi", "en", "sv", "de", "und"]
VOCAB = {lang: _vocabulary(lang) for lang in LANGS}


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(LANGS), st.data(), st.integers(min_value=0, max_value=5))
def test_scorer_matches_the_feature_map_to_the_last_bit(
    lang: str, data: st.DataObject, caps: int
) -> None:
    toks = data.draw(st.lists(st.sampled_from(VOCAB[lang]), max_size=25))
    sentiment = default_model()
    model = sentiment.model_for(lang)
    feats = sentiment_features(toks, lang, caps=caps, words=model.words, chars=model.chars)
    scorer = sentiment.scorer(lang)
    assert scorer.scores(toks, caps) == model.scores(feats)
    assert scorer.predict(toks, caps) == model.predict(feats)


@pytest.mark.parametrize(
    "text",
    [
        "Verkkopankki ei toimi taas, mikä ihme 😡",
        "ei ollut huono, kiitti! EI KIITOS",
        "Upeeta, taas nurin 🙄 kiitti vaan",
        "not bad at all, but really really terrible :( NOT GOOD",
        "Tack för snabb hjälp! Men appen fungerar inte 😒",
        "",
    ],
)
def test_classify_keeps_its_answers(text: str) -> None:
    sentiment = default_model()
    for lang in LANGS:
        model = sentiment.model_for(lang)
        toks = tokenize(text)
        feats = sentiment_features(
            toks, lang, caps=count_caps(text), words=model.words, chars=model.chars
        )
        tf = sentiment.tfidf.get(lang)  # the TF-IDF first stage of en / fi
        base = tf.scores(toks) if tf is not None else model.scores(feats)
        want = sentiment.finish(base, toks, lang, text)
        assert sentiment.classify(text, lang) == want
        assert sentiment.classify_tokens(toks, lang, caps=count_caps(text), raw=text) == want


def test_languages_without_word_lists_share_one_scorer() -> None:
    sentiment = default_model()
    assert sentiment.scorer("pt") is sentiment.scorer("xx")
    assert sentiment.scorer("de") is not sentiment.scorer("pt")
    assert sentiment.scorer("fi") is not sentiment.scorer("en")
    assert isinstance(sentiment.scorer("fi"), Scorer)


# --- terms ----------------------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(["fi", "en", "sv", "und"]),
    st.data(),
    st.integers(min_value=-1, max_value=MAX_TERMS + 1),
)
def test_terms_match_the_reference(lang: str, data: st.DataObject, limit: int) -> None:
    vocab = [*VOCAB["fi"][:60], *VOCAB["en"][:60], *sorted(stop_words("und"))[:40], "a", "ei"]
    toks = data.draw(st.lists(st.sampled_from(vocab), max_size=30))
    assert extract_terms(toks, lang, limit=limit) == reference_terms(toks, lang, limit)


# --- the memo ---------------------------------------------------------------------------------


def _mentions(texts: list[tuple[str, str | None, str]]) -> list[Mention]:
    t0 = datetime(2026, 3, 2, tzinfo=UTC)
    return [
        Mention(id=f"m:{i}", source="x", brand=b, created_at=t0, text=t, lang=h)
        for i, (t, h, b) in enumerate(texts)
    ]


def test_memo_changes_no_answer_and_stays_bounded() -> None:
    rows = [
        ("nordbank app down again", None, "nordbank"),
        ("nordbank app down again", None, "skyways"),  # same text, other brand
        ("nordbank app down again", "sv", "nordbank"),  # same text, other hint
        ("Verkkopankki ei toimi 😡", None, "nordbank"),
        ("Verkkopankki ei toimi 😡", None, "nordbank"),
        ("x" * 2000, None, "nordbank"),  # too long to remember
    ] * 3
    ms = _mentions(rows)
    plain = Enricher(memo_size=0)
    memo = Enricher(memo_size=2)
    want = plain.enrich_batch(ms)
    assert memo.enrich_batch(ms) == want
    assert memo.enrich_batch(ms[::-1]) == want[::-1]
    assert [memo.enrich(m) for m in ms] == want
    assert len(memo._memo) <= 2
    assert not plain._memo
    assert "nordbank" not in want[0].terms
    assert "nordbank" in want[1].terms


def test_memo_size_must_not_be_negative() -> None:
    with pytest.raises(ValueError, match="memo_size"):
        Enricher(memo_size=-1)
