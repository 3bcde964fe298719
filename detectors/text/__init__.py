"""Enrichment of mentions: language, sentiment, topics and terms for fi / en / sv.

Pure and offline: models ship inside the package (``models/``, ``data/``).
"""

from detectors.text.enricher import Enricher
from detectors.text.language import detect_language
from detectors.text.sentiment import SentimentModel, classify_sentiment
from detectors.text.terms import extract_terms
from detectors.text.tokens import tokenize
from detectors.text.topics import TOPIC_IDS, Taxonomy, load_topics

__all__ = [
    "TOPIC_IDS",
    "Enricher",
    "SentimentModel",
    "Taxonomy",
    "classify_sentiment",
    "detect_language",
    "extract_terms",
    "load_topics",
    "tokenize",
]
