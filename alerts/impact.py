"""What a signal means for people: its impact severity, its kind of news, its topic.

Pure functions of a signal's evidence (no clock, no Slack). The detectors say
*that* something is unusual (score, ratio); this module says *how much it
matters*: a ratio on four mentions is not a crisis, a praise spike is not an
outage, and a 1-1 tie between two topics does not name an incident.

Severity table (one row per kind; the first row that holds wins, "low" otherwise;
``n`` is the bucket's mention count, ``neg`` its negative mentions):

============== ========================================= ==========================
kind           critical / high / medium                  caps
============== ========================================= ==========================
volume_surge   ratio >= 8 and n >= 100 / ratio >= 4 and  warm-up: at most medium;
               n >= 30 / ratio >= 2 and n >= 10          n < 5: none (opens nothing)
negative_burst share >= 0.6 and neg >= 50 / share >= 3x  warm-up: at most medium;
               base and neg >= 20 / share >= 2x base and neg < 3: none
               neg >= 8
backlog        the detector's (pace >= 3: high, >= 1:    backlog < 20: at most low
               medium); never critical
============== ========================================= ==========================

Reach (``evidence["reach"]``, the summed audience of the bucket's authors, when
a source provides it) raises a volume or negative severity by one level, at most
to "high", once it passes ``REACH_RAISE`` (100,000): a complaint seen by many is
news sooner.

Kinds of news: a negative burst is a ``crisis``; a volume surge is a ``crisis``
when its negative share is at least ``CRISIS_SHARE`` (0.35) or twice its baseline
with at least 5 negatives, else ``fyi`` (a campaign, a press release, viral praise).
A backlog on its own is ``crisis`` (people are waiting). An incident that was
ever a crisis stays one. An FYI opens only from ``LifecycleConfig.fyi_open_min_severity``
("medium": ten mentions at twice the expected count); a crisis from "low".

Examples
--------
>>> impact_severity("volume_surge", {"observed": 4, "expected": 0.8, "ratio": 5.0}, "high")
'none'
>>> impact_severity("volume_surge", {"observed": 8, "expected": 1.6, "ratio": 5.0}, "high")
'low'
>>> impact_severity("volume_surge", {"observed": 40, "expected": 5, "ratio": 8.0}, "high")
'high'
>>> impact_severity("volume_surge", {"observed": 400, "expected": 5, "ratio": 80.0,
...                                  "warmup": True}, "critical")
'medium'
>>> news_kind("volume_surge", {"negative_share": 0.05, "baseline_share": 0.1,
...                            "negative_count": 2})
'fyi'
>>> news_kind("volume_surge", {"negative_share": 0.7, "baseline_share": 0.1,
...                            "negative_count": 30})
'crisis'
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from detectors.signals import SEVERITIES

_RANK = {s: i for i, s in enumerate(SEVERITIES)}
REACH_RAISE = 100_000.0
MIN_MENTIONS = 5.0  # a volume bucket with fewer mentions is no news at all ("none")
MIN_NEGATIVES = 3.0  # ... a negative burst with fewer negatives
CRISIS_SHARE = 0.35
NEWS = ("fyi", "crisis")

# Topics that are complaints (detectors.text.topics); the others name no problem.
COMPLAINT_TOPICS = (
    "outage",
    "login",
    "billing",
    "delivery",
    "queue",
    "cancellation",
    "service",
)
# Tie order among complaints: the broader failure names the incident.
_TOPIC_ORDER = {t: i for i, t in enumerate(COMPLAINT_TOPICS)}
TOPIC_SWITCH_FACTOR = 1.5  # a challenger must lead by half again to rename an incident
TOPIC_SWITCH_MIN = 5.0  # ... and by at least this many mentions


def num(evidence: Mapping[str, Any], name: str) -> float:
    """A number from evidence (0.0 when missing or not a number)."""
    v = evidence.get(name)
    if isinstance(v, bool):
        return float(v)
    try:
        return float(v) if v is not None else 0.0
    except (TypeError, ValueError):
        return 0.0


def _cap(sev: str, top: str) -> str:
    return top if _RANK.get(sev, 0) > _RANK[top] else sev


def in_warmup(evidence: Mapping[str, Any]) -> bool:
    """Did the detector say it is still learning this key (any of its spellings)?"""
    return any(bool(evidence.get(k)) for k in ("warmup", "warming_up", "in_warmup"))


def _negative_row(neg: float, share: float, base: float) -> str:
    if share >= 0.6 and neg >= 50:
        return "critical"
    if share >= 3 * base and neg >= 20:
        return "high"
    if share >= 2 * base and neg >= 8:
        return "medium"
    return "low" if neg >= MIN_NEGATIVES else "none"


def _volume_row(n: float, ratio: float) -> str:
    if ratio >= 8 and n >= 100:
        return "critical"
    if ratio >= 4 and n >= 30:
        return "high"
    if ratio >= 2 and n >= 10:
        return "medium"
    return "low" if n >= MIN_MENTIONS else "none"


def impact_severity(kind: str, evidence: Mapping[str, Any], detector_severity: str) -> str:
    """The severity of the module's table for an *active* signal.

    The table is read on the bucket and, when the detector decided on a window
    inside the open bucket (``window_*`` evidence), on that window too; the higher
    row wins, so an early decision on the first mentions of a bucket is judged by
    the window that made it.
    """
    if kind == "backlog":
        sev = detector_severity if detector_severity in _RANK else "low"
        sev = _cap(sev, "high")
        if num(evidence, "backlog") < 20:
            sev = _cap(sev, "low")
        return sev if _RANK.get(sev, 0) > 0 else "low"
    if kind == "negative_burst":
        views = [(num(evidence, "negative_count"), num(evidence, "negative_share"))]
        if evidence.get("test") == "window":  # the window test: its negatives are observed
            views.append((num(evidence, "window_observed"), num(evidence, "window_share")))
        elif "window_negative" in evidence:  # the drift test's summed window
            views.append((num(evidence, "window_negative"), num(evidence, "window_share")))
        base = num(evidence, "baseline_share") or 1e-9
        if max(neg for neg, _ in views) < MIN_NEGATIVES:
            return "none"
        sev = max((_negative_row(neg, share, base) for neg, share in views), key=_RANK.__getitem__)
    else:
        views = [(num(evidence, "observed"), num(evidence, "ratio"))]
        if "window_observed" in evidence:  # an early decision inside the open bucket
            n_w, exp_w = num(evidence, "window_observed"), num(evidence, "window_expected")
            views.append((n_w, n_w / exp_w if exp_w > 0 else 0.0))
        if max(n for n, _ in views) < MIN_MENTIONS:
            return "none"
        sev = max((_volume_row(n, ratio) for n, ratio in views), key=_RANK.__getitem__)
    if num(evidence, "reach") >= REACH_RAISE and _RANK[sev] < _RANK["high"]:
        sev = SEVERITIES[_RANK[sev] + 1]
    if in_warmup(evidence):
        sev = _cap(sev, "medium")
    return sev


def news_kind(kind: str, evidence: Mapping[str, Any]) -> str:
    """``"crisis"`` or ``"fyi"`` for one active signal (see the module docstring)."""
    if kind != "volume_surge":
        return "crisis"
    share = num(evidence, "negative_share")
    base = num(evidence, "baseline_share")
    neg = num(evidence, "negative_count")
    if share >= CRISIS_SHARE or (base > 0 and share >= 2 * base and neg >= 5):
        return "crisis"
    return "fyi"


def topic_counts(evidence: Mapping[str, Any]) -> dict[str, float]:
    """The positive counts of ``evidence["topics"]`` (bad entries skipped)."""
    out: dict[str, float] = {}
    topics = evidence.get("topics")
    if isinstance(topics, Mapping):
        for name, count in topics.items():
            try:
                c = float(count)
            except (TypeError, ValueError):
                continue
            if c > 0:
                out[str(name)] = c
    return out


def add_topics(
    totals: Mapping[str, float],
    evidence: Mapping[str, Any],
    before: Mapping[str, float] | None = None,
) -> dict[str, float]:
    """``totals`` plus the counts of ``evidence["topics"]``, minus ``before``.

    ``before`` is what an earlier signal of the same bucket already added (an early
    signal inside the bucket, or the other kind's signal of the same bucket), so a
    bucket counts once, with its latest counts.

    >>> add_topics({"login": 5}, {"topics": {"login": 7}}, before={"login": 4})
    {'login': 8.0}
    """
    out = dict(totals)
    for name, c in (before or {}).items():
        out[name] = max(0.0, out.get(name, 0.0) - c)
    for name, c in topic_counts(evidence).items():
        out[name] = out.get(name, 0.0) + c
    return {k: v for k, v in out.items() if v > 0}


def _rank_key(name: str, count: float, crisis: bool) -> tuple[int, float, int]:
    complaint = name in _TOPIC_ORDER
    # In a crisis a complaint names the incident before any other topic.
    return (0 if (complaint or not crisis) else 1, -count, _TOPIC_ORDER.get(name, 99))


def leading_topic(totals: Mapping[str, float], crisis: bool) -> str | None:
    """The topic with the most mentions; ties go to the broader complaint, not the alphabet.

    >>> leading_topic({"praise": 1, "login": 1}, crisis=True)
    'login'
    >>> leading_topic({"outage": 3, "login": 3}, crisis=True)
    'outage'
    >>> leading_topic({"praise": 5, "question": 1}, crisis=False)
    'praise'
    """
    ranked = sorted(
        (v for v in totals.items() if v[1] > 0), key=lambda kv: _rank_key(kv[0], kv[1], crisis)
    )
    if not ranked:
        return None
    if crisis and ranked[0][0] not in _TOPIC_ORDER:
        return None  # a crisis without any complaint topic: no topic in its title
    return ranked[0][0]


def title_topic(current: str | None, totals: Mapping[str, float], crisis: bool) -> str | None:
    """The incident's title topic with hysteresis: the leader must clearly beat the name.

    >>> title_topic("outage", {"outage": 10, "login": 12}, crisis=True)
    'outage'
    >>> title_topic("outage", {"outage": 10, "login": 20}, crisis=True)
    'login'
    """
    lead = leading_topic(totals, crisis)
    if current is None or lead is None or lead == current:
        return lead or current
    if crisis and current not in _TOPIC_ORDER:
        return lead  # a complaint replaces a non-complaint name at once
    have, challenger = totals.get(current, 0.0), totals.get(lead, 0.0)
    if challenger >= TOPIC_SWITCH_FACTOR * have and challenger - have >= TOPIC_SWITCH_MIN:
        return lead
    return current
