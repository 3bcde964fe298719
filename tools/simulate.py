"""Labelled synthetic mention streams for tests, benchmarks and the demo.

Per brand, a :class:`~tools.scenarios.BrandProfile` sets the language mix, the mean number of
mentions per bucket at a weekday business-hours peak, the baseline sentiment
mix and the social-care team's answering capacity. :func:`simulate` draws
negative-binomial counts per bucket around a daily and weekly rhythm in the
brand's local time (nights near zero), with a slowly drifting level, composes
texts from the phrase banks in :mod:`tools.simulate_texts`, lays labelled
:class:`~tools.scenarios.SimEvent` s on top (outage, slow burn, viral) and lets the brand's
accounts answer customers during working hours, so that a surge outruns them.

Everything is drawn from seeded generators: same arguments, same stream.
``spikewatch simulate`` is :func:`tools.simulate_cli.simulate_main`.

Examples
--------
>>> from datetime import UTC, datetime, timedelta
>>> from tools.scenarios import SimEvent, default_profiles, labels_to_json
>>> start = datetime(2026, 3, 3, 6, tzinfo=UTC)
>>> nb = default_profiles()[0]
>>> ev = SimEvent("nordbank", "outage", start + timedelta(hours=3), start + timedelta(hours=4))
>>> rows = list(simulate([nb], start, 0.25, [ev], seed=1))
>>> rows == list(simulate([nb], start, 0.25, [ev], seed=1))
True
>>> ts = [r["created_at"] for r in rows]
>>> ts == sorted(ts) and {r["brand"] for r in rows} == {"nordbank"}
True
>>> n_before = sum(r["created_at"] < "2026-03-03T09:00" for r in rows)
>>> n_during = sum("2026-03-03T09:00" <= r["created_at"] < "2026-03-03T10:00" for r in rows)
>>> n_during > 3 * (n_before / 3)
True
>>> labels_to_json([ev])[0]["kind"]
'outage'
"""

from __future__ import annotations

import math
import random
import zlib
from collections import deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from detectors.mention import format_time
from tools.scenarios import (
    DEMO_START,
    EVENT_MIX,
    HOURLY,
    SIGNATURES,
    TOPIC_WEIGHTS,
    WEEKLY,
    BrandProfile,
    SimEvent,
    demo_events,
    demo_profile,
    event_topics,
)
from tools.simulate_texts import (
    CLOSERS,
    EMOJI,
    HASHTAGS,
    NEGATIVE_HASHTAGS,
    OPENERS,
    PRODUCTS,
    REPLIES,
    core_sentences,
    topics_for,
)


def rhythm(local: datetime) -> float:
    """Relative mention rate at a local time: daily curve times weekday factor."""
    h = local.hour + local.minute / 60.0 - 0.5
    i = math.floor(h)
    f = h - i
    daily = HOURLY[i % 24] * (1 - f) + HOURLY[(i + 1) % 24] * f
    return daily * WEEKLY[local.weekday()]


def team_factor(p: BrandProfile, local: datetime) -> float:
    """Share of the team's hourly capacity on duty at a local time."""
    weekend = local.weekday() >= 5
    lo, hi = p.weekend_hours if weekend else p.team_hours
    if not lo <= local.hour < hi:
        return 0.0
    return p.weekend_capacity if weekend else 1.0


def poisson(rng: random.Random, lam: float) -> int:
    """A Poisson draw (exact below 50, normal approximation above)."""
    if lam <= 0:
        return 0
    if lam >= 50:
        return max(0, round(rng.gauss(lam, math.sqrt(lam))))
    limit, k, prod = math.exp(-lam), 0, rng.random()
    while prod > limit:
        k += 1
        prod *= rng.random()
    return k


def neg_binomial(rng: random.Random, mean: float, size: float) -> int:
    """Overdispersed count: Poisson with a gamma-distributed rate."""
    if mean <= 0:
        return 0
    return poisson(rng, rng.gammavariate(size, mean / size))


def _pick(rng: random.Random, weights: dict[str, float]) -> str:
    keys = list(weights)
    return rng.choices(keys, weights=[weights[k] for k in keys])[0]


@dataclass
class _Pending:
    ts: float
    mid: str
    source: str
    lang: str
    situation: str


class _BrandSim:
    """Mutable per-brand state of one simulation run."""

    def __init__(self, p: BrandProfile, events: list[SimEvent], seed: int, truth: bool) -> None:
        self.p = p
        self.rng = random.Random(f"mentions:{seed}:{p.name}")
        self.tz = ZoneInfo(p.tz)
        self.events = sorted((e for e in events if e.brand == p.name), key=lambda e: e.start)
        self.truth = truth
        self.prefix = 1000 + zlib.crc32(p.name.encode()) % 9000
        self.counter = 0
        self.level = 0.0  # AR(1) log-level drift
        self.recent_authors: deque[tuple[str, int]] = deque(maxlen=300)
        self.queue: deque[_Pending] = deque()

    def _next_id(self, source: str) -> str:
        self.counter += 1
        return f"{source}:{self.prefix}{self.counter:09d}"

    def _event_at(self, t: float) -> tuple[SimEvent | None, float, str]:
        for e in self.events:
            m, phase = e.multiplier(t)
            if m > 1.0:
                return e, m, phase
        return None, 1.0, ""

    def bucket(self, t0: float, width: float) -> list[dict[str, Any]]:
        """Customer mentions created in [t0, t0 + width) and the team's replies."""
        p, rng = self.p, self.rng
        local = datetime.fromtimestamp(t0 + width / 2, self.tz)
        self.level = 0.95 * self.level + rng.gauss(0.0, 0.06)
        event, mult, phase = self._event_at(t0 + width / 2)
        mean = p.base_per_bucket * rhythm(local) * math.exp(self.level - 0.036) * mult
        n = neg_binomial(rng, mean, p.dispersion * max(1.0, mult))
        rows = [self._customer(t0 + rng.random() * width, event, mult, phase) for _ in range(n)]
        rows.sort(key=lambda r: r["created_at"])
        replies = self._replies(t0, width, team_factor(p, local))
        for r in rows:
            self._maybe_queue(r)
        return rows + replies

    def _customer(
        self, t: float, event: SimEvent | None, mult: float, phase: str
    ) -> dict[str, Any]:
        p, rng = self.p, self.rng
        lang = _pick(rng, p.langs)
        source = _pick(rng, p.sources)
        kind = None
        if event is not None and rng.random() < (mult - 1.0) / mult:
            kind = event.kind
            mix = "recovery" if phase == "recovery" else event.kind
            if phase == "outage_fall" and rng.random() < 0.5:
                mix = "recovery"
            neg, neu, _ = EVENT_MIX[mix]
            u = rng.random()
            sentiment = "negative" if u < neg else "neutral" if u < neg + neu else "positive"
            topic = rng.choice(event.topics or event_topics(rng, p.sector, event.kind))
        else:
            u = rng.random()
            sentiment = (
                "negative" if u < p.negative_share
                else "positive" if u < p.negative_share + p.positive_share
                else "neutral"
            )  # fmt: skip
            topic = _pick(rng, TOPIC_WEIGHTS[sentiment])
        text, topic = compose(rng, p, lang, sentiment, topic, source)
        author, followers = self._author()
        mid = self._next_id(source)
        row: dict[str, Any] = {
            "id": mid,
            "source": source,
            "brand": p.name,
            "created_at": format_time(datetime.fromtimestamp(t, UTC)),
            "text": text,
            "author": {"id": author, "followers": followers, "is_brand": False},
            "lang": lang if source == "x" else None,
            "in_reply_to": None,
            "url": f"https://x.com/i/status/{mid[2:]}" if source == "x" else None,
        }
        if self.truth:
            row["sim"] = {"sentiment": sentiment, "topic": topic, "event": kind, "lang": lang}
        row["_meta"] = (t, sentiment, topic, lang, kind)
        return row

    def _author(self) -> tuple[str, int]:
        """An author id and follower count; some people write again."""
        rng = self.rng
        if self.recent_authors and rng.random() < 0.15:
            return rng.choice(self.recent_authors)
        a = (f"u{rng.randrange(10**7, 10**8)}", self._followers())
        self.recent_authors.append(a)
        return a

    def _followers(self) -> int:
        rng = self.rng
        if rng.random() < 0.01:
            return int(rng.uniform(20_000, 400_000))
        return int(rng.lognormvariate(4.8, 1.5))

    def _maybe_queue(self, row: dict[str, Any]) -> None:
        t, sentiment, topic, lang, kind = row.pop("_meta")
        rng = self.rng
        question = topic == "question" or row["text"].rstrip().endswith("?")
        if sentiment == "negative" or question:
            if rng.random() >= self.p.answer_share:
                return
            situation = (
                "outage" if kind == "outage" and sentiment == "negative"
                else "apology" if sentiment == "negative"
                else "answer"
            )  # fmt: skip
        elif sentiment == "positive" and rng.random() < 0.08:
            situation = "thanks"
        else:
            return
        self.queue.append(_Pending(t, row["id"], row["source"], lang, situation))

    def _replies(self, t0: float, width: float, factor: float) -> list[dict[str, Any]]:
        rng, q = self.rng, self.queue
        while q and q[0].ts < t0 - 36 * 3600:  # too old: never answered
            q.popleft()
        n = poisson(rng, self.p.team_capacity_per_hour * width / 3600.0 * factor)
        out: list[dict[str, Any]] = []
        for _ in range(min(n, len(q))):
            item = q.popleft() if rng.random() < 0.7 else q.pop()
            t = max(t0 + rng.random() * width, item.ts + 60.0 + rng.random() * 60.0)
            t = min(t, t0 + width - 0.001)
            text = rng.choice(REPLIES[item.lang][item.situation])
            if rng.random() < 0.7:
                text = f"{text} {rng.choice(SIGNATURES)}"
            mid = self._next_id(item.source)
            row: dict[str, Any] = {
                "id": mid,
                "source": item.source,
                "brand": self.p.name,
                "created_at": format_time(datetime.fromtimestamp(t, UTC)),
                "text": text,
                "author": {"id": self.p.account, "followers": 25_000, "is_brand": True},
                "lang": item.lang if item.source == "x" else None,
                "in_reply_to": item.mid,
                "url": None,
            }
            if self.truth:
                row["sim"] = {
                    "sentiment": "neutral",
                    "topic": "reply",
                    "event": None,
                    "lang": item.lang,
                }
            out.append(row)
        return out


def compose(
    rng: random.Random, p: BrandProfile, lang: str, sentiment: str, topic: str, source: str
) -> tuple[str, str]:
    """A mention text for one cell, with openers, emoji, handles, hashtags and typos.

    Returns the text and the topic actually used (a cell without sentences falls
    back to another topic of the same sentiment).
    """
    lines = core_sentences(p.sector, lang, sentiment, topic)
    if not lines:
        topic = rng.choice(topics_for(p.sector, lang, sentiment))
        lines = core_sentences(p.sector, lang, sentiment, topic)
    products, apps = PRODUCTS[p.sector][lang]
    parts: list[str] = []
    handle = f"@{p.display_name}"
    if source in ("x", "instagram") and rng.random() < 0.35:
        parts.append(handle)
    if rng.random() < 0.25:
        parts.append(rng.choice(OPENERS[lang][sentiment]))
    body = rng.choice(lines)
    if len(lines) > 1 and rng.random() < 0.12:
        second = rng.choice([x for x in lines if x != body])
        body = f"{_end(rng, body)} {second[:1].upper()}{second[1:]}"
    if rng.random() < 0.6:
        body = body[:1].upper() + body[1:]
    closer = rng.choice(CLOSERS[lang][sentiment]) if rng.random() < 0.3 else ""
    parts.append(_end(rng, body) if closer else body)
    parts.append(closer)
    if rng.random() < 0.35:
        parts.append(rng.choice(EMOJI[sentiment]) * rng.choice((1, 1, 1, 2, 3)))
    if source in ("x", "instagram") and rng.random() < 0.2:
        tags = HASHTAGS[p.sector][lang]
        if sentiment == "negative":
            tags += NEGATIVE_HASHTAGS[lang]
        parts.append(rng.choice(tags))
    text = " ".join(x for x in parts if x)
    text = text.format(brand=p.display_name, product=rng.choice(products), app=rng.choice(apps))
    return _typos(rng, text), topic


def _end(rng: random.Random, sentence: str) -> str:
    """Close a sentence before another one follows (people often don't)."""
    if sentence.endswith(("?", "!", ".")):
        return sentence
    return sentence + rng.choice((".", ".", "!", ""))


def _typos(rng: random.Random, text: str) -> str:
    u = rng.random()
    if u < 0.15:
        return text.lower()
    if u < 0.27:
        words = text.split(" ")
        i = rng.randrange(len(words))
        w = words[i]
        if len(w) > 3 and w.isalpha() and w.islower():
            j = rng.randrange(len(w) - 1)
            op = rng.randrange(3)
            if op == 0:
                w = w[:j] + w[j + 1] + w[j] + w[j + 2 :]
            elif op == 1:
                w = w[:j] + w[j + 1 :]
            else:
                w = w[:j] + w[j] + w[j:]
            words[i] = w
        return " ".join(words)
    return text


def simulate(
    profiles: Sequence[BrandProfile],
    start: datetime,
    days: float,
    events: Sequence[SimEvent],
    seed: int,
    bucket_seconds: int = 300,
    *,
    truth: bool = False,
) -> Iterator[dict[str, Any]]:
    """Canonical mention dicts for ``days`` from ``start``, in event-time order.

    With ``truth`` each row carries ``"sim": {"sentiment", "topic", "event", "lang"}``
    (an unknown field that the pipeline keeps and ignores).
    """
    if start.tzinfo is None:
        raise ValueError("start must be timezone-aware")
    if days <= 0 or bucket_seconds <= 0:
        raise ValueError("days and bucket_seconds must be positive")
    if len({p.name for p in profiles}) != len(profiles):
        raise ValueError("brand names must be unique")
    names = {p.name for p in profiles}
    for e in events:
        if e.brand not in names:
            raise ValueError(f"event for unknown brand {e.brand!r}")
    sims = [_BrandSim(p, list(events), seed, truth) for p in profiles]
    t_start = start.timestamp()
    n_buckets = math.ceil(days * 86400 / bucket_seconds)
    for b in range(n_buckets):
        t0 = t_start + b * bucket_seconds
        rows: list[dict[str, Any]] = []
        for s in sims:
            rows.extend(s.bucket(t0, float(bucket_seconds)))
        rows.sort(key=lambda r: (r["created_at"], r["id"]))
        yield from rows


def demo_scenario(seed: int = 7) -> list[dict[str, Any]]:
    """Nordbank's Tuesday morning: four normal hours, a login outage at ~10:00
    Helsinki time, replies that cannot keep up, recovery and thanks (6 hours)."""
    return list(simulate([demo_profile()], DEMO_START, 0.25, demo_events(), seed))
