"""Signals: what a detector says about one key at one moment of event time.

The detect stage emits one :class:`Signal` per key and kind each time it
decides (a closed bucket, or an early decision inside the open bucket), active
or not, so that the incident stage always has event time moving forward and
can resolve an incident after a quiet period. A long run of empty buckets
decides only at its end and near activity (``detectors.monitor``, quiet runs).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

KINDS = ("volume_surge", "negative_burst", "backlog")
SEVERITIES = ("none", "low", "medium", "high", "critical")


@dataclass(frozen=True, slots=True)
class Signal:
    """One decision of a detector.

    ``ts`` is event time (POSIX seconds) the decision refers to; ``score`` is
    in [0, 1]; ``active`` says the score passed the live threshold; ``evidence``
    is JSON-serialisable (observed, expected, ratio, p_value, negative_share,
    baseline_share, top_terms, sample mentions, ...).
    """

    key: str
    kind: str
    ts: float
    score: float
    active: bool
    severity: str = "none"
    evidence: dict[str, Any] = field(default_factory=dict)

    @property
    def brand(self) -> str:
        """The brand part of a key such as ``nordbank`` or ``nordbank|x``."""
        return self.key.split("|", 1)[0]

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "kind": self.kind,
            "ts": self.ts,
            "score": self.score,
            "active": self.active,
            "severity": self.severity,
            "evidence": self.evidence,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Signal:
        return cls(
            key=str(d["key"]),
            kind=str(d["kind"]),
            ts=float(d["ts"]),
            score=float(d["score"]),
            active=bool(d["active"]),
            severity=str(d.get("severity", "none")),
            evidence=dict(d.get("evidence") or {}),
        )
