"""Labelled synthetic mention streams for tests, benchmarks and the demo.

Per brand, a :class:`BrandProfile` sets the language mix, the mean number of
mentions per bucket at a weekday business-hours peak, the baseline sentiment
mix and the social-care team's answering capacity. :func:`simulate` draws
negative-binomial counts per bucket around a daily and weekly rhythm in the
brand's local time (nights near zero), with a slowly drifting level, composes
texts from the phrase banks in :mod:`detectors.simulate_texts`, lays labelled
:class:`SimEvent` s on top (outage, slow burn, viral) and lets the brand's
accounts answer customers during working hours, so that a surge outruns them.

Everything is drawn from seeded generators: same arguments, same stream.

Examples
--------
>>> from datetime import datetime, timezone
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

import argparse
import json
import math
import random
import sys
import zlib
from collections import deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any, Final
from zoneinfo import ZoneInfo

from detectors.backlog import BacklogConfig
from detectors.mention import format_time, parse_time
from detectors.simulate_texts import (
    CLOSERS,
    EMOJI,
    HASHTAGS,
    NEGATIVE_HASHTAGS,
    OPENERS,
    PRODUCTS,
    REPLIES,
    SECTORS,
    core_sentences,
    topics_for,
)

EVENT_KINDS: Final = ("outage", "slow_burn", "viral")

# Relative mention rate by local hour (value at the middle of the hour; peak 1.0).
HOURLY: Final = (
    0.06, 0.04, 0.03, 0.02, 0.02, 0.04, 0.12, 0.35, 0.70, 0.92, 1.00, 1.00,
    0.95, 0.95, 0.95, 0.90, 0.85, 0.75, 0.65, 0.60, 0.55, 0.45, 0.30, 0.15,
)  # fmt: skip
WEEKLY: Final = (1.05, 1.0, 1.0, 1.0, 0.9, 0.55, 0.5)  # Monday first

# Topic weights within a sentiment for ordinary (non-event) mentions.
TOPIC_WEIGHTS: Final[dict[str, dict[str, float]]] = {
    "negative": {
        "login": 0.14, "outage": 0.12, "queue": 0.15, "cancellation": 0.08,
        "billing": 0.2, "delivery": 0.08, "service": 0.23,
    },
    "neutral": {
        "question": 0.25, "login": 0.07, "billing": 0.07, "cancellation": 0.03,
        "outage": 0.03, "service": 0.55,
    },
    "positive": {"praise": 0.7, "service": 0.27, "outage": 0.03},
}  # fmt: skip

# Sentiment mix (negative, neutral, positive) of the extra mentions an event brings.
EVENT_MIX: Final[dict[str, tuple[float, float, float]]] = {
    "outage": (0.85, 0.12, 0.03),
    "slow_burn": (0.85, 0.15, 0.0),
    "viral": (0.02, 0.28, 0.70),
    "recovery": (0.25, 0.1, 0.65),
}
MAGNITUDE: Final[dict[str, tuple[float, float]]] = {
    "outage": (5.0, 20.0),
    "slow_burn": (1.5, 2.0),
    "viral": (3.0, 10.0),
}
DURATION_HOURS: Final[dict[str, tuple[float, float]]] = {
    "outage": (0.75, 3.0),
    "slow_burn": (3.0, 6.0),
    "viral": (2.0, 6.0),
}
START_HOURS: Final[dict[str, tuple[int, int]]] = {  # local start hour range
    "outage": (7, 20),
    "slow_burn": (8, 13),
    "viral": (9, 19),
}
RECOVERY_TAIL_SECONDS: Final = 1800.0
SOURCES_DEFAULT: Final = {"x": 0.45, "facebook": 0.35, "instagram": 0.2}
SIGNATURES: Final = ("^AK", "^MV", "^JL", "^SN", "^TH", "^EK")


@dataclass(frozen=True)
class BrandProfile:
    """How one brand's mentions and care team behave.

    ``base_per_bucket`` is the mean count per bucket at a weekday business-hours
    peak; the rhythm scales it down to near zero at night. ``dispersion`` is the
    negative-binomial size (smaller = noisier). The team answers
    ``team_capacity_per_hour`` on weekdays in ``team_hours`` (local time) and a
    ``weekend_capacity`` fraction of that at weekends in ``weekend_hours``.
    """

    name: str
    langs: dict[str, float]
    base_per_bucket: float
    negative_share: float
    positive_share: float = 0.15
    sector: str = "bank"
    display: str = ""
    sources: dict[str, float] = field(default_factory=lambda: dict(SOURCES_DEFAULT))
    dispersion: float = 8.0
    team_capacity_per_hour: float = 60.0
    team_hours: tuple[int, int] = (8, 20)
    weekend_hours: tuple[int, int] = (10, 16)
    weekend_capacity: float = 0.6
    answer_share: float = 0.9
    tz: str = "Europe/Helsinki"
    account_id: str = ""

    def __post_init__(self) -> None:
        if not self.name or self.name != self.name.lower():
            raise ValueError(f"brand name must be non-empty lower case: {self.name!r}")
        if not self.langs or any(w < 0 for w in self.langs.values()):
            raise ValueError("langs must be non-negative weights")
        if set(self.langs) - {"fi", "en", "sv"}:
            raise ValueError(f"unsupported language in {sorted(self.langs)}")
        if self.base_per_bucket < 0 or self.dispersion <= 0:
            raise ValueError("base_per_bucket must be >= 0 and dispersion > 0")
        shares = (self.negative_share, self.positive_share)
        if min(shares) < 0 or sum(shares) > 1:
            raise ValueError("negative_share + positive_share must lie in [0, 1]")
        if self.sector not in SECTORS:
            raise ValueError(f"sector must be one of {SECTORS}")
        if self.team_capacity_per_hour < 0 or not 0 <= self.answer_share <= 1:
            raise ValueError("team_capacity_per_hour >= 0 and answer_share in [0, 1]")
        ZoneInfo(self.tz)  # raises on an unknown zone

    @property
    def display_name(self) -> str:
        return self.display or self.name.capitalize()

    @property
    def account(self) -> str:
        return self.account_id or f"{self.name}_care"


@dataclass(frozen=True)
class SimEvent:
    """A labelled event on one brand: ``kind`` is outage, slow_burn or viral.

    ``magnitude`` is the peak volume multiplier (0 = middle of the kind's range);
    ``topics`` are the topics of the extra mentions (empty = the kind's default).
    """

    brand: str
    kind: str
    start: datetime
    end: datetime
    magnitude: float = 0.0
    topics: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.kind not in EVENT_KINDS:
            raise ValueError(f"kind must be one of {EVENT_KINDS}, not {self.kind!r}")
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise ValueError("event start and end must be timezone-aware")
        if self.end <= self.start:
            raise ValueError("event end must be after start")
        if self.magnitude < 0:
            raise ValueError("magnitude must be >= 0")

    @property
    def peak(self) -> float:
        lo, hi = MAGNITUDE[self.kind]
        return self.magnitude or (lo + hi) / 2

    def multiplier(self, t: float) -> tuple[float, str]:
        """Volume multiplier at POSIX time ``t`` and the phase's sentiment mix name."""
        t0, t1 = self.start.timestamp(), self.end.timestamp()
        d, x = t1 - t0, t - t0
        extra = self.peak - 1.0
        if self.kind == "outage":
            if x < 0 or x > d + RECOVERY_TAIL_SECONDS:
                return 1.0, "outage"
            if x > d:  # after the fix: a small wave of "works again, thanks"
                return 1.0 + 0.15 * extra * (1 - (x - d) / RECOVERY_TAIL_SECONDS), "recovery"
            rise = min(1.0, x / min(600.0, 0.1 * d))
            fall = min(1.0, (d - x) / (0.15 * d))
            return 1.0 + extra * rise * fall, ("outage" if fall >= 1.0 else "outage_fall")
        if x < 0 or x > d:
            return 1.0, self.kind
        if self.kind == "slow_burn":
            shape = min(x / (0.8 * d), (d - x) / (0.2 * d), 1.0)
            return 1.0 + extra * shape, "slow_burn"
        ramp = min(1200.0, 0.1 * d)  # viral: quick rise, then fading interest
        shape = x / ramp if x < ramp else math.exp(-3.0 * (x - ramp) / (d - ramp))
        return 1.0 + extra * shape, "viral"


def default_profiles() -> list[BrandProfile]:
    """A Finnish bank, a Finnish operator and a Nordic airline."""
    return [
        BrandProfile(
            name="nordbank",
            display="Nordbank",
            sector="bank",
            langs={"fi": 0.80, "sv": 0.12, "en": 0.08},
            base_per_bucket=30.0,
            negative_share=0.18,
            positive_share=0.15,
            team_capacity_per_hour=260.0,
        ),
        BrandProfile(
            name="lumoverkko",
            display="Lumoverkko",
            sector="operator",
            langs={"fi": 0.85, "en": 0.10, "sv": 0.05},
            base_per_bucket=60.0,
            negative_share=0.28,
            positive_share=0.10,
            dispersion=6.0,
            team_capacity_per_hour=560.0,
            team_hours=(8, 21),
        ),
        BrandProfile(
            name="skyways",
            display="SkyWays",
            sector="airline",
            langs={"en": 0.60, "sv": 0.30, "fi": 0.10},
            base_per_bucket=80.0,
            negative_share=0.22,
            positive_share=0.25,
            sources={"x": 0.5, "facebook": 0.2, "instagram": 0.3},
            team_capacity_per_hour=600.0,
            team_hours=(6, 22),
            weekend_hours=(8, 20),
            weekend_capacity=0.7,
            tz="Europe/Stockholm",
        ),
    ]


def backlog_config(p: BrandProfile, **overrides: Any) -> BacklogConfig:
    """The :class:`~detectors.backlog.BacklogConfig` that matches a profile's care team."""
    fields: dict[str, Any] = {
        "brand_account_ids": frozenset({p.account}),
        "service_hours": p.team_hours,
        "weekend_service_hours": p.weekend_hours,
        "tz": p.tz,
    }
    fields.update(overrides)
    return BacklogConfig(**fields)


def random_events(
    profiles: Sequence[BrandProfile], start: datetime, days: float, seed: int
) -> list[SimEvent]:
    """A few events of each kind per brand, in daytime, not overlapping per brand.

    The first day (or quarter of a shorter period) stays quiet so detectors can
    learn a baseline; events of one brand keep two hours apart.
    """
    if start.tzinfo is None:
        raise ValueError("start must be timezone-aware")
    out: list[SimEvent] = []
    per_kind = max(1, round(days / 5))
    warmup = min(1.0, days / 4)
    gap = timedelta(hours=2)
    for p in profiles:
        rng = random.Random(f"events:{seed}:{p.name}")
        tz = ZoneInfo(p.tz)
        placed: list[SimEvent] = []
        for kind in EVENT_KINDS:
            for _ in range(per_kind):
                for _attempt in range(200):
                    day = start + timedelta(days=warmup + rng.random() * max(0.0, days - warmup))
                    lo, hi = START_HOURS[kind]
                    local = day.astimezone(tz).replace(
                        hour=rng.randint(lo, hi), minute=rng.randrange(0, 60, 5), second=0,
                        microsecond=0,
                    )  # fmt: skip
                    s = local.astimezone(UTC)
                    e = s + timedelta(hours=rng.uniform(*DURATION_HOURS[kind]))
                    if s < start + timedelta(days=warmup) or e > start + timedelta(days=days):
                        continue
                    if any(s < q.end + gap and q.start - gap < e for q in placed):
                        continue
                    placed.append(
                        SimEvent(p.name, kind, s, e, round(rng.uniform(*MAGNITUDE[kind]), 2),
                                 _event_topics(rng, p.sector, kind))
                    )  # fmt: skip
                    break
        out.extend(placed)
    return sorted(out, key=lambda ev: (ev.start, ev.brand))


def _event_topics(rng: random.Random, sector: str, kind: str) -> tuple[str, ...]:
    if kind == "outage":
        return ("outage",) if sector == "operator" else ("outage", "login")
    if kind == "slow_burn":
        return tuple(rng.sample(("billing", "service", "cancellation", "queue"), 2))
    return ("praise", "service")


def labels_to_json(events: Sequence[SimEvent]) -> list[dict[str, Any]]:
    """Event labels as ``{"brand", "kind", "start", "end"}`` with RFC 3339 times."""
    return [
        {"brand": e.brand, "kind": e.kind, "start": format_time(e.start), "end": format_time(e.end)}
        for e in events
    ]


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
            topic = rng.choice(event.topics or _event_topics(rng, p.sector, event.kind))
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


DEMO_START: Final = datetime(2026, 3, 3, 6, 0, tzinfo=ZoneInfo("Europe/Helsinki"))


def demo_profile() -> BrandProfile:
    """Nordbank at demo scale: a few thousand mentions over the morning."""
    nb = default_profiles()[0]
    return replace(nb, base_per_bucket=15.0, team_capacity_per_hour=100.0, team_hours=(7, 20))


def demo_events() -> list[SimEvent]:
    """The demo's one labelled event: online bank and login outage from ~10:00 local."""
    return [
        SimEvent(
            "nordbank",
            "outage",
            DEMO_START + timedelta(hours=4, minutes=2),
            DEMO_START + timedelta(hours=5, minutes=40),
            magnitude=11.0,
            topics=("login", "login", "outage"),
        )
    ]


def demo_scenario(seed: int = 7) -> list[dict[str, Any]]:
    """Nordbank's Tuesday morning: four normal hours, a login outage at ~10:00
    Helsinki time, replies that cannot keep up, recovery and thanks (6 hours)."""
    return list(simulate([demo_profile()], DEMO_START, 0.25, demo_events(), seed))


def _write_ndjson(rows: Iterator[dict[str, Any]] | list[dict[str, Any]], out: str) -> int:
    n = 0
    fh = sys.stdout if out == "-" else open(out, "w", encoding="utf-8")  # noqa: SIM115
    try:
        for r in rows:
            fh.write(json.dumps(r, ensure_ascii=False) + "\n")
            n += 1
    finally:
        if fh is not sys.stdout:
            fh.close()
    return n


def _parse_start(value: str) -> datetime:
    """A date means local midnight in Europe/Helsinki; a timestamp is RFC 3339."""
    if len(value) == 10:
        d = datetime.fromisoformat(value)
        return d.replace(tzinfo=ZoneInfo("Europe/Helsinki"))
    return parse_time(value)


def simulate_main(argv: list[str] | None = None) -> int:
    """``spikewatch simulate``: write a labelled mention stream (or the demo)."""
    ap = argparse.ArgumentParser(prog="spikewatch simulate", description=__doc__.split("\n")[0])
    ap.add_argument("--days", type=float, default=14.0)
    ap.add_argument("--brands", default="nordbank,lumoverkko,skyways")
    ap.add_argument("--seed", type=int, help="random seed (default 1; the demo's own: 7)")
    ap.add_argument("--start", default="2026-03-02", help="date (Helsinki midnight) or RFC 3339")
    ap.add_argument("--scale", type=float, default=1.0, help="multiply volumes and team capacity")
    ap.add_argument("--bucket-seconds", type=int, default=300)
    ap.add_argument("--no-events", action="store_true", help="only the ordinary rhythm")
    ap.add_argument("--truth", action="store_true", help='add "sim" truth labels to each row')
    ap.add_argument("--demo", action="store_true", help="write the bundled demo scenario")
    ap.add_argument("--out", default="-", help="NDJSON file ('-' = stdout)")
    ap.add_argument("--labels", help="JSON file for the event labels")
    a = ap.parse_args(argv)
    try:
        if a.demo:
            events = demo_events()
            n = _write_ndjson(demo_scenario(7 if a.seed is None else a.seed), a.out)
        else:
            seed = 1 if a.seed is None else a.seed
            if a.scale <= 0:
                raise ValueError("--scale must be positive")
            known = {p.name: p for p in default_profiles()}
            wanted = [b.strip() for b in a.brands.split(",") if b.strip()]
            unknown = [b for b in wanted if b not in known]
            if unknown or not wanted:
                raise ValueError(f"unknown brands {unknown}; known: {sorted(known)}")
            profiles = [
                replace(
                    known[b],
                    base_per_bucket=known[b].base_per_bucket * a.scale,
                    team_capacity_per_hour=known[b].team_capacity_per_hour * a.scale,
                )
                for b in wanted
            ]
            start = _parse_start(a.start)
            events = [] if a.no_events else random_events(profiles, start, a.days, seed)
            rows = simulate(profiles, start, a.days, events, seed, a.bucket_seconds,
                            truth=a.truth)  # fmt: skip
            n = _write_ndjson(rows, a.out)
    except ValueError as exc:
        print(f"spikewatch simulate: {exc}", file=sys.stderr)
        return 2
    if a.labels:
        with open(a.labels, "w", encoding="utf-8") as fh:
            json.dump(labels_to_json(events), fh, indent=1)
            fh.write("\n")
    print(f"wrote {n} mentions, {len(events)} labelled events", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(simulate_main())
