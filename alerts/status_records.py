"""Status-update records: the facts an update may state, the settings, drafts, publications.

Plain data with JSON forms; no I/O. :mod:`alerts.status` renders them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from alerts.status_vocab import (
    DEFAULT_CHANNEL_LABELS,
    DEFAULT_SERVICES,
    DEFAULT_TOPIC_ALIASES,
    DEFAULT_TOPIC_SERVICES,
)
from alerts.templating import LANGS

TOPICS = ("login", "outage", "queue", "billing", "delivery", "general")
STAGES = ("investigating", "identified", "monitoring", "resolved")
CHANNELS = ("status_page", "x")
X_URL_LENGTH = 23  # X counts every link as 23 characters (t.co)
TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
APPROVALS_FILE = "approvals.yaml"


def _aware(dt: datetime, name: str) -> None:
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got naive {dt.isoformat()}")


def _iso(dt: datetime | None) -> str | None:
    if dt is None:
        return None
    return dt.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _parse_iso(v: Any) -> datetime | None:
    if v is None:
        return None
    dt = v if isinstance(v, datetime) else datetime.fromisoformat(str(v).replace("Z", "+00:00"))
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


@dataclass(frozen=True)
class IncidentFacts:
    """What a status update may say about an incident.

    ``channels`` are the customer-facing channels affected (codes such as
    ``"web"``, ``"app"``, ``"phone"``, labelled per language by the config),
    not the social sources the mentions came from. ``affected_service`` is a
    service key of the config (``"online_bank"``) or its name in any language
    (``"verkkopankki"``); free text is used as a name ("palvelu X" in Finnish);
    ``None`` takes the topic's default service. ``next_update_at=None`` means
    "compute from ``now`` and the severity's cadence" (never for ``resolved``).
    """

    incident_id: str
    brand: str
    brand_display: str
    topic: str | None
    kind: str
    severity: str
    stage: str
    started_at: datetime
    now: datetime
    next_update_at: datetime | None = None
    affected_service: str | None = None
    channels: tuple[str, ...] = ()
    link: str | None = None

    def __post_init__(self) -> None:
        if self.stage not in STAGES:
            raise ValueError(f"stage must be one of {STAGES}, got {self.stage!r}")
        _aware(self.started_at, "started_at")
        _aware(self.now, "now")
        if self.next_update_at is not None:
            _aware(self.next_update_at, "next_update_at")


@dataclass(frozen=True)
class StatusConfig:
    """The deployment's ``status`` settings; build it with :func:`load_status_config`.

    ``brand_forms``: brand -> lang -> form name -> text (missing forms by rule).
    ``services``: service key -> lang -> name (en) or form name -> text (fi, sv).
    """

    timezone: str = "Europe/Helsinki"
    languages: tuple[str, ...] = LANGS
    cadence_minutes: Mapping[str, int] = field(
        default_factory=lambda: {"critical": 30, "high": 30, "medium": 60, "low": 120}
    )
    default_cadence_minutes: int = 60
    round_to_minutes: int = 5
    remind_before_minutes: int = 5
    brand_forms: Mapping[str, Mapping[str, Mapping[str, str]]] = field(default_factory=dict)
    services: Mapping[str, Mapping[str, Any]] = field(
        default_factory=lambda: dict(DEFAULT_SERVICES)
    )
    topic_services: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_TOPIC_SERVICES))
    channel_labels: Mapping[str, Mapping[str, str]] = field(
        default_factory=lambda: dict(DEFAULT_CHANNEL_LABELS)
    )
    topic_aliases: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_TOPIC_ALIASES))
    link: str | None = None
    brand_links: Mapping[str, str] = field(default_factory=dict)
    length_limits: Mapping[str, int] = field(
        default_factory=lambda: {"status_page": 1500, "x": 280}
    )
    templates_dir: str | None = None

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


@dataclass(frozen=True)
class Draft:
    """One rendered update awaiting approval (one language, one channel)."""

    incident_id: str
    lang: str
    channel: str
    stage: str
    text: str
    template: str
    template_version: str
    next_update_at: datetime | None
    notes: tuple[str, ...] = ()  # why a fallback template was used, length warnings

    def to_dict(self) -> dict[str, Any]:
        return {
            "type": "draft",
            "incident_id": self.incident_id,
            "lang": self.lang,
            "channel": self.channel,
            "stage": self.stage,
            "text": self.text,
            "template": self.template,
            "template_version": self.template_version,
            "next_update_at": _iso(self.next_update_at),
            "notes": list(self.notes),
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Draft:
        return cls(
            incident_id=str(d["incident_id"]),
            lang=str(d["lang"]),
            channel=str(d["channel"]),
            stage=str(d["stage"]),
            text=str(d["text"]),
            template=str(d["template"]),
            template_version=str(d["template_version"]),
            next_update_at=_parse_iso(d.get("next_update_at")),
            notes=tuple(str(n) for n in d.get("notes") or ()),
        )


@dataclass(frozen=True)
class Published:
    """An approved update as published (a ``status.updates`` record and a timeline entry)."""

    incident_id: str
    lang: str
    channel: str
    text: str
    approved_by: str
    published_at: datetime
    next_update_at: datetime | None
    stage: str | None = None
    template: str | None = None
    template_version: str | None = None
    edited: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "type": "published",
            "incident_id": self.incident_id,
            "lang": self.lang,
            "channel": self.channel,
            "text": self.text,
            "approved_by": self.approved_by,
            "published_at": _iso(self.published_at),
            "next_update_at": _iso(self.next_update_at),
            "stage": self.stage,
            "template": self.template,
            "template_version": self.template_version,
            "edited": self.edited,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Published:
        published_at = _parse_iso(d["published_at"])
        assert published_at is not None
        return cls(
            incident_id=str(d["incident_id"]),
            lang=str(d["lang"]),
            channel=str(d["channel"]),
            text=str(d["text"]),
            approved_by=str(d["approved_by"]),
            published_at=published_at,
            next_update_at=_parse_iso(d.get("next_update_at")),
            stage=None if d.get("stage") is None else str(d["stage"]),
            template=None if d.get("template") is None else str(d["template"]),
            template_version=(
                None if d.get("template_version") is None else str(d["template_version"])
            ),
            edited=bool(d.get("edited", False)),
        )

    @classmethod
    def from_draft(
        cls,
        draft: Draft,
        *,
        approved_by: str,
        published_at: datetime,
        text: str | None = None,
    ) -> Published:
        """Publish ``draft`` (with ``text`` when an editor changed it)."""
        _aware(published_at, "published_at")
        final = draft.text if text is None else text
        return cls(
            incident_id=draft.incident_id,
            lang=draft.lang,
            channel=draft.channel,
            text=final,
            approved_by=approved_by,
            published_at=published_at,
            next_update_at=draft.next_update_at,
            stage=draft.stage,
            template=draft.template,
            template_version=draft.template_version,
            edited=final != draft.text,
        )
