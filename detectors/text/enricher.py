"""The enrichment stage: a mention in, language + sentiment + topics + terms out.

One tokenisation per mention feeds sentiment, topics and terms; what each
stage looks up per token (stems, valences, weights, topic patterns, stop words)
is remembered per token, and a batch goes through one stage at a time. The last
few thousand texts are remembered whole (retweets, shares and copy-pasted
complaints repeat). Models load once, in ``__init__``; nothing is downloaded.

- language: the mention's ``lang`` when the source supplied one, else detected;
- sentiment: the language's model, the universal lexicon model otherwise;
- topics: the taxonomy; ``praise`` is dropped when the sentiment is negative
  (sarcastic thanks: "kiitti vaan, kolmas päivä ilman nettiä");
- terms: :func:`extract_terms`, the brand's own name left out.

Examples
--------
>>> from datetime import datetime, timezone
>>> from detectors.mention import Mention
>>> m = Mention("x:1", "x", "nordbank", datetime(2026, 3, 2, tzinfo=timezone.utc),
...             "Verkkopankkiin ei pääse kirjautumaan, mikä on vialla? 😡")
>>> e = Enricher().enrich(m)
>>> e.lang, e.sentiment, e.sentiment_score < 0, e.topics[:2]
('fi', 'negative', True, ('login', 'outage'))
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from detectors.mention import Enrichment, Mention
from detectors.text.language import DEFAULT_LANGUAGES, detect_language, detect_languages
from detectors.text.sentiment import SentimentModel, count_caps
from detectors.text.terms import extract_terms
from detectors.text.tokens import tokenize
from detectors.text.topics import load_topics

MEMO_SIZE = 4096  # texts remembered: retweets, shares and copy-pasted complaints repeat
MEMO_MAX_CHARS = 1000  # longer texts are not remembered


class Enricher:
    """Loads the packaged models (and a topic taxonomy) once; enriches mentions.

    The last ``memo_size`` distinct (text, language hint) pairs are remembered
    (least recently used go first; 0 turns this off): a text seen again is not
    enriched again. The answer is the same either way.
    """

    def __init__(
        self,
        topics_path: str | Path | None = None,
        *,
        model_path: str | Path | None = None,
        memo_size: int = MEMO_SIZE,
        languages: Sequence[str] = DEFAULT_LANGUAGES,
    ) -> None:
        if memo_size < 0:
            raise ValueError("memo_size must be >= 0")
        self.languages = tuple(languages)  # the deployment's: language id falls back to them
        self.taxonomy = load_topics(topics_path)
        self.sentiment = SentimentModel(model_path)
        self.memo_size = memo_size
        self._memo: OrderedDict[tuple[str, str | None], Enrichment] = OrderedDict()

    def enrich(self, m: Mention) -> Enrichment:
        """Enrich one mention; bad or empty text gives an ``und``/neutral enrichment."""
        return self.enrich_text(m.text, m.lang, m.brand)

    def enrich_text(self, text: str, lang_hint: str | None = None, brand: str = "") -> Enrichment:
        """Enrich a bare text (``lang_hint`` as a source would supply it)."""
        e = self._recall(text, lang_hint)
        if e is None:
            e = self._enrich([text], [detect_language(text, lang_hint, self.languages)])[0]
            self._remember(text, lang_hint, e)
        return _for_brand(e, brand)

    def enrich_batch(self, ms: Sequence[Mention]) -> list[Enrichment]:
        """Enrich a batch of mentions, in order (what the worker calls per batch).

        Languages are identified for the whole batch in one pass, about twice as
        fast as one mention at a time; the results are the same as :meth:`enrich`.
        A text that occurs twice in a batch is enriched once (unless the memo is off).
        """
        if not self.memo_size:
            texts = [m.text for m in ms]
            langs = detect_languages(texts, [m.lang for m in ms], self.languages)
            fresh = self._enrich(texts, langs)
            return [_for_brand(e, m.brand) for m, e in zip(ms, fresh, strict=True)]
        keys = [(m.text, m.lang) for m in ms]
        memo = self._memo
        found = list(map(memo.get, keys))
        todo = list(dict.fromkeys(k for k, e in zip(keys, found, strict=True) if e is None))
        for k, e in zip(keys, found, strict=True):
            if e is not None:
                memo.move_to_end(k)
        texts = [text for text, _ in todo]
        langs = detect_languages(texts, [hint for _, hint in todo], self.languages)
        fresh = self._enrich(texts, langs)
        done = dict(zip(todo, fresh, strict=True))
        memo.update((k, e) for k, e in done.items() if len(k[0]) <= MEMO_MAX_CHARS)
        while len(memo) > self.memo_size:
            memo.popitem(last=False)
        return [
            _for_brand(e if e is not None else done[k], m.brand)
            for k, e, m in zip(keys, found, ms, strict=True)
        ]

    def _enrich(self, texts: Sequence[str], langs: Sequence[str]) -> list[Enrichment]:
        """Enrichments of ``texts`` in ``langs``, brand names still among the terms.

        Stage by stage over the batch (tokens, sentiment, topics, terms): each
        stage's code and tables stay warm in the CPU caches, about 20% faster.
        """
        tokens = [tokenize(t) for t in texts]
        sentiments = self.sentiment.predict_batch(
            tokens, langs, [count_caps(t) for t in texts], texts
        )
        match = self.taxonomy.match
        topics = [match(toks, lang) for toks, lang in zip(tokens, langs, strict=True)]
        terms = [extract_terms(toks, lang) for toks, lang in zip(tokens, langs, strict=True)]
        out = []
        for lang, (label, score), tops, words in zip(langs, sentiments, topics, terms, strict=True):
            if label == "negative" and "praise" in tops:
                tops = tuple(t for t in tops if t != "praise")
            out.append(Enrichment(lang, label, score, tops, words))
        return out

    def _recall(self, text: str, hint: str | None) -> Enrichment | None:
        if not self.memo_size:
            return None
        key = (text, hint)
        e = self._memo.get(key)
        if e is not None:
            self._memo.move_to_end(key)
        return e

    def _remember(self, text: str, hint: str | None, e: Enrichment) -> None:
        if self.memo_size and len(text) <= MEMO_MAX_CHARS:
            self._memo[(text, hint)] = e
            if len(self._memo) > self.memo_size:
                self._memo.popitem(last=False)


def _for_brand(e: Enrichment, brand: str) -> Enrichment:
    """``e`` with the brand's own name left out of the terms."""
    if brand and brand in e.terms:
        return replace(e, terms=tuple(t for t in e.terms if t != brand))
    return e
