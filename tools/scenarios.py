"""The simulated world: brand profiles, labelled events and the demo's morning.

:class:`BrandProfile` sets a brand's language mix, volume, sentiment mix and care team;
:class:`SimEvent` is a labelled outage, slow burn or viral spike; :func:`random_events` lays
them out from a seed. :mod:`tools.simulate` draws the mentions.

>>> [p.name for p in default_profiles()][:2]
['nordbank', 'lumoverkko']
>>> labels_to_json(demo_events())[0]["kind"]
'outage'
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any, Final
from zoneinfo import ZoneInfo

from detectors.backlog import BacklogConfig
from detectors.mention import format_time
from tools.simulate_texts import SECTORS

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
                                 event_topics(rng, p.sector, kind))
                    )  # fmt: skip
                    break
        out.extend(placed)
    return sorted(out, key=lambda ev: (ev.start, ev.brand))


def event_topics(rng: random.Random, sector: str, kind: str) -> tuple[str, ...]:
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
