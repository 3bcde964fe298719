"""Interim status updates: incident facts -> drafts in fi/en/sv, and their cadence.

Pure decisions (no clock, no Slack, no Kafka): the caller passes ``now`` in the
facts. The only I/O is reading the template library (files under
``alerts/templates/`` and their ``approvals.yaml``).

A template is ``alerts/templates/<topic>/<stage>.<lang>.j2``, named
``"<topic>/<stage>.<lang>"``; one file serves every channel (it sees
``channel`` = ``"status_page"`` or ``"x"``). Its version is a content hash of
the file; only a version listed in ``approvals.yaml`` is used. An unusable
template (missing, unapproved, failing to render, too long) falls back to the
``general`` topic's template of the same stage and language, and the draft's
``notes`` say why.

Examples
--------
>>> from datetime import datetime, timezone
>>> t0 = datetime(2026, 11, 24, 11, 52, tzinfo=timezone.utc)
>>> facts = IncidentFacts(incident_id="inc-1", brand="nordbank", brand_display="Nordbank",
...     topic="login", kind="volume_surge", severity="high", stage="investigating",
...     started_at=t0, now=t0, next_update_at=None, affected_service=None,
...     channels=("web", "app"), link="https://status.nordbank.fi")
>>> drafts = render_drafts(facts, StatusConfig())
>>> sorted({(d.lang, d.channel) for d in drafts}) == sorted(
...     (lang, ch) for lang in ("fi", "en", "sv") for ch in ("status_page", "x"))
True
>>> fi = next(d for d in drafts if d.lang == "fi" and d.channel == "status_page")
>>> "Nordbankin" in fi.text and "klo 13.52" in fi.text and "Seuraava tiedote klo 14.25" in fi.text
True
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from jinja2 import FunctionLoader, TemplateError

from alerts.templating import (
    FI_CASES,
    LANGS,
    Forms,
    forms_by_rule,
    make_environment,
    tidy,
)

TOPICS = ("login", "outage", "queue", "billing", "delivery", "general")
STAGES = ("investigating", "identified", "monitoring", "resolved")
CHANNELS = ("status_page", "x")
SEVERITIES = ("critical", "high", "medium", "low")
X_URL_LENGTH = 23  # X counts every link as 23 characters (t.co)
TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
APPROVALS_FILE = "approvals.yaml"

# --- built-in vocabulary (a deployment may override or extend it) --------------------

_FI = dict[str, str]


def _fi(*forms: str) -> _FI:
    return dict(zip(FI_CASES, forms, strict=True))


DEFAULT_SERVICES: dict[str, dict[str, Any]] = {
    "online_service": {
        "fi": _fi("verkkopalvelu", "verkkopalvelun", "verkkopalvelua", "verkkopalvelussa",
                  "verkkopalvelusta", "verkkopalveluun", "verkkopalvelulla", "verkkopalvelulta",
                  "verkkopalvelulle"),
        "en": "online service",
        "sv": {"nominative": "webbtjänst", "definite": "webbtjänsten"},
    },
    "online_bank": {
        "fi": _fi("verkkopankki", "verkkopankin", "verkkopankkia", "verkkopankissa",
                  "verkkopankista", "verkkopankkiin", "verkkopankilla", "verkkopankilta",
                  "verkkopankille"),
        "en": "online bank",
        "sv": {"nominative": "nätbank", "definite": "nätbanken"},
    },
    "mobile_app": {
        "fi": _fi("mobiilisovellus", "mobiilisovelluksen", "mobiilisovellusta",
                  "mobiilisovelluksessa", "mobiilisovelluksesta", "mobiilisovellukseen",
                  "mobiilisovelluksella", "mobiilisovellukselta", "mobiilisovellukselle"),
        "en": "mobile app",
        "sv": {"nominative": "mobilapp", "definite": "mobilappen"},
    },
    "card_payments": {
        "fi": _fi("korttimaksut", "korttimaksujen", "korttimaksuja", "korttimaksuissa",
                  "korttimaksuista", "korttimaksuihin", "korttimaksuilla", "korttimaksuilta",
                  "korttimaksuille"),
        "en": "card payments",
        "sv": {"nominative": "kortbetalningar", "definite": "kortbetalningarna"},
    },
    "mobile_network": {
        "fi": _fi("mobiiliverkko", "mobiiliverkon", "mobiiliverkkoa", "mobiiliverkossa",
                  "mobiiliverkosta", "mobiiliverkkoon", "mobiiliverkolla", "mobiiliverkolta",
                  "mobiiliverkolle"),
        "en": "mobile network",
        "sv": {"nominative": "mobilnät", "definite": "mobilnätet"},
    },
    "customer_service": {
        "fi": _fi("asiakaspalvelu", "asiakaspalvelun", "asiakaspalvelua", "asiakaspalvelussa",
                  "asiakaspalvelusta", "asiakaspalveluun", "asiakaspalvelulla",
                  "asiakaspalvelulta", "asiakaspalvelulle"),
        "en": "customer service",
        "sv": {"nominative": "kundtjänst", "definite": "kundtjänsten"},
    },
    "billing": {
        "fi": _fi("laskutus", "laskutuksen", "laskutusta", "laskutuksessa", "laskutuksesta",
                  "laskutukseen", "laskutuksella", "laskutukselta", "laskutukselle"),
        "en": "billing",
        "sv": {"nominative": "fakturering", "definite": "faktureringen"},
    },
    "deliveries": {
        "fi": _fi("toimitukset", "toimitusten", "toimituksia", "toimituksissa", "toimituksista",
                  "toimituksiin", "toimituksilla", "toimituksilta", "toimituksille"),
        "en": "deliveries",
        "sv": {"nominative": "leveranser", "definite": "leveranserna"},
    },
    "services": {
        "fi": _fi("palvelut", "palveluiden", "palveluita", "palveluissa", "palveluista",
                  "palveluihin", "palveluilla", "palveluilta", "palveluille"),
        "en": "services",
        "sv": {"nominative": "tjänster", "definite": "tjänsterna"},
    },
}  # fmt: skip

DEFAULT_TOPIC_SERVICES = {
    "login": "online_service",
    "outage": "services",
    "queue": "customer_service",
    "billing": "billing",
    "delivery": "deliveries",
    "general": "services",
}

# Topics of detectors.text.topics that have no templates of their own.
DEFAULT_TOPIC_ALIASES = {
    "cancellation": "general",
    "service": "general",
    "question": "general",
    "praise": "general",
}

DEFAULT_CHANNEL_LABELS: dict[str, dict[str, str]] = {
    "web": {"fi": "verkkopalvelu", "en": "online service", "sv": "webbtjänsten"},
    "online_bank": {"fi": "verkkopankki", "en": "online bank", "sv": "nätbanken"},
    "app": {"fi": "mobiilisovellus", "en": "mobile app", "sv": "mobilappen"},
    "cards": {"fi": "korttimaksut", "en": "card payments", "sv": "kortbetalningarna"},
    "atm": {"fi": "käteisautomaatit", "en": "cash machines", "sv": "bankomaterna"},
    "phone": {"fi": "puhelinpalvelu", "en": "phone service", "sv": "telefontjänsten"},
    "chat": {"fi": "chat", "en": "chat", "sv": "chatten"},
    "branch": {"fi": "konttorit", "en": "branches", "sv": "kontoren"},
    "store": {"fi": "myymälät", "en": "stores", "sv": "butikerna"},
    "mobile_network": {"fi": "mobiiliverkko", "en": "mobile network", "sv": "mobilnätet"},
    "broadband": {"fi": "laajakaista", "en": "broadband", "sv": "bredbandet"},
    "tv": {"fi": "tv-palvelut", "en": "TV services", "sv": "tv-tjänsterna"},
}


# --- records -----------------------------------------------------------------------


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


# --- the template library -----------------------------------------------------------


@dataclass(frozen=True)
class Approval:
    """Who approved which version of a template, when (one approvals.yaml entry)."""

    template: str
    version: str
    approved_by: str
    approved_at: str

    def to_dict(self) -> dict[str, str]:
        return {
            "template": self.template,
            "version": self.version,
            "approved_by": self.approved_by,
            "approved_at": self.approved_at,
        }


def content_version(data: bytes) -> str:
    """A template's version: the first 16 hex digits of the SHA-256 of its file."""
    return hashlib.sha256(data).hexdigest()[:16]


def template_name(topic: str, stage: str, lang: str) -> str:
    return f"{topic}/{stage}.{lang}"


def load_approvals(path: Path) -> list[Approval]:
    """Read approvals.yaml (a missing file is an empty list); ValueError on bad shape."""
    if not path.exists():
        return []
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    items = raw.get("approvals", []) if isinstance(raw, dict) else raw
    if not isinstance(items, list):
        raise ValueError(f"{path}: 'approvals' must be a list")
    out = []
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            raise ValueError(f"{path}: approvals[{i}] must be a mapping")
        missing = [
            k for k in ("template", "version", "approved_by", "approved_at") if not item.get(k)
        ]
        if missing:
            raise ValueError(f"{path}: approvals[{i}] lacks {', '.join(missing)}")
        at = item["approved_at"]
        at_text = (_iso(at) or "") if isinstance(at, datetime) else str(at)
        out.append(
            Approval(
                template=str(item["template"]),
                version=str(item["version"]),
                approved_by=str(item["approved_by"]),
                approved_at=at_text,
            )
        )
    return out


class TemplateLibrary:
    """The template files under ``root`` and their approval records."""

    def __init__(self, root: Path | str | None = None) -> None:
        self.root = Path(root) if root is not None else TEMPLATES_DIR
        if not self.root.is_dir():
            raise ValueError(f"templates directory not found: {self.root}")
        self.sources: dict[str, str] = {}
        self.versions: dict[str, str] = {}
        for path in sorted(self.root.glob("*/*.j2")):
            name = f"{path.parent.name}/{path.name[: -len('.j2')]}"
            data = path.read_bytes()
            self.sources[name] = data.decode("utf-8")
            self.versions[name] = content_version(data)
        self.approvals = load_approvals(self.root / APPROVALS_FILE)
        self._approved = {(a.template, a.version): a for a in self.approvals}
        self.env = make_environment(FunctionLoader(self.sources.get))

    def path_of(self, name: str) -> Path:
        return self.root / f"{name}.j2"

    def approval(self, name: str) -> Approval | None:
        """The approval of the template's current version, if any."""
        version = self.versions.get(name)
        return None if version is None else self._approved.get((name, version))

    def is_approved(self, name: str) -> bool:
        return self.approval(name) is not None

    def render(self, name: str, context: Mapping[str, Any]) -> str:
        """Render and tidy one template; raises jinja2.TemplateError."""
        return tidy(self.env.get_template(name).render(**context))


@lru_cache(maxsize=8)
def _library(root: str | None) -> TemplateLibrary:
    return TemplateLibrary(root)


def library_for(cfg: StatusConfig) -> TemplateLibrary:
    """The (cached) library of ``cfg.templates_dir`` or the packaged one."""
    return _library(cfg.templates_dir)


# --- rendering ----------------------------------------------------------------------


def x_length(text: str) -> int:
    """Length as X counts it: every URL is 23 characters."""
    return len(re.sub(r"https?://\S+", "x" * X_URL_LENGTH, text))


def text_length(text: str, channel: str) -> int:
    return x_length(text) if channel == "x" else len(text)


def brand_forms(brand: str, display: str, lang: str, cfg: StatusConfig) -> Forms:
    """The brand's forms in ``lang``: the config's table over the rule's forms."""
    base = forms_by_rule(display, lang)
    table = cfg.brand_forms.get(brand, {}).get(lang, {})
    return Forms.from_mapping(base, table) if table else base


def _service_key(name: str | None, topic: str, cfg: StatusConfig) -> str | None:
    if name is None:
        return cfg.topic_services.get(topic) or cfg.topic_services.get("general")
    if name in cfg.services:
        return name
    low = name.strip().lower()
    for key, by_lang in cfg.services.items():
        for value in by_lang.values():
            names = [value] if isinstance(value, str) else list(value.values())
            if any(str(n).lower() == low for n in names):
                return key
    return None


def service_forms(name: str | None, topic: str, lang: str, cfg: StatusConfig) -> Forms:
    """The affected service's forms in ``lang`` (see :class:`IncidentFacts`)."""
    key = _service_key(name, topic, cfg)
    entry = cfg.services.get(key, {}).get(lang) if key else None
    if entry is None:
        text = (name or "").strip() or {"fi": "palvelut", "en": "services", "sv": "tjänster"}[lang]
        if lang == "fi":  # a head noun carries the case: "palvelussa X"
            head = finnish_service_head()
            return Forms(**{f: f"{getattr(head, f)} {text}" for f in (*FI_CASES, "definite")})
        if lang == "sv":
            return Forms.from_mapping(
                Forms.plain(f"tjänst {text}"), {"definite": f"tjänsten {text}"}
            )
        return forms_by_rule(text, lang)
    if isinstance(entry, str):
        return forms_by_rule(entry, lang)
    base = forms_by_rule(str(entry["nominative"]), lang)
    if lang == "sv" and "definite" not in entry:
        return Forms.from_mapping(base, {**entry, "definite": base.nominative})
    return Forms.from_mapping(base, entry)


@lru_cache(maxsize=1)
def finnish_service_head() -> Forms:
    """Forms of "palvelu", the head noun for a service name we cannot inflect."""
    return Forms(definite="palvelu", **_fi("palvelu", "palvelun", "palvelua", "palvelussa",
                 "palvelusta", "palveluun", "palvelulla", "palvelulta", "palvelulle"))  # fmt: skip


def channel_labels(codes: Sequence[str], lang: str, cfg: StatusConfig) -> list[str]:
    """Customer-facing channel codes as words in ``lang`` (unknown codes as given)."""
    out = []
    for code in codes:
        label = cfg.channel_labels.get(code, {}).get(lang, code)
        if label and label not in out:
            out.append(label)
    return out


def render_context(
    facts: IncidentFacts, cfg: StatusConfig, lang: str, channel: str
) -> dict[str, Any]:
    """Everything a template may use, times in the deployment's zone."""
    zone = cfg.zone
    topic, _ = template_topic(facts.topic, cfg)
    nxt = resolve_next_update(facts, cfg)
    link = facts.link or cfg.brand_links.get(facts.brand) or cfg.link
    return {
        "lang": lang,
        "channel": channel,
        "incident_id": facts.incident_id,
        "topic": topic,
        "stage": facts.stage,
        "severity": facts.severity,
        "kind": facts.kind,
        "brand": brand_forms(facts.brand, facts.brand_display, lang, cfg),
        "service": service_forms(facts.affected_service, topic, lang, cfg),
        "channels": channel_labels(facts.channels, lang, cfg),
        "started_at": facts.started_at.astimezone(zone),
        "now": facts.now.astimezone(zone),
        "next_update_at": None if nxt is None else nxt.astimezone(zone),
        "link": link,
    }


def resolve_next_update(facts: IncidentFacts, cfg: StatusConfig) -> datetime | None:
    """The next update time an update promises (None once resolved)."""
    if facts.stage == "resolved":
        return None
    if facts.next_update_at is not None:
        return facts.next_update_at
    return next_update_at(facts.now, facts.severity, cfg)


def template_topic(topic: str | None, cfg: StatusConfig) -> tuple[str, str]:
    """The template topic for an incident's topic, and a note when it is unknown.

    >>> template_topic("login", StatusConfig()), template_topic("praise", StatusConfig())
    (('login', ''), ('general', ''))
    >>> template_topic("weather", StatusConfig())
    ('general', "unknown topic 'weather': using 'general'")
    """
    if topic is None:
        return "general", ""
    if topic in TOPICS:
        return topic, ""
    alias = cfg.topic_aliases.get(topic)
    if alias in TOPICS:
        return str(alias), ""
    return "general", f"unknown topic {topic!r}: using 'general'"


@dataclass(frozen=True)
class DraftReport:
    """Drafts rendered, and what could not be rendered at all."""

    drafts: list[Draft]
    problems: list[str]


def render_drafts_report(
    facts: IncidentFacts,
    cfg: StatusConfig,
    *,
    channels: Sequence[str] = CHANNELS,
    library: TemplateLibrary | None = None,
) -> DraftReport:
    """Render one draft per configured language and channel, with fallbacks."""
    lib = library or library_for(cfg)
    topic, note = template_topic(facts.topic, cfg)
    first_notes = [note] if note else []
    nxt = resolve_next_update(facts, cfg)
    drafts: list[Draft] = []
    problems: list[str] = []
    for lang in cfg.languages:
        for channel in channels:
            ctx = render_context(facts, cfg, lang, channel)
            notes = list(first_notes)
            candidates = [template_name(topic, facts.stage, lang)]
            if topic != "general":
                candidates.append(template_name("general", facts.stage, lang))
            for name in candidates:
                text, why = _try_render(lib, name, ctx, channel, cfg)
                if text is None:
                    notes.append(why)
                    continue
                if why:
                    notes.append(why)
                drafts.append(
                    Draft(
                        incident_id=facts.incident_id,
                        lang=lang,
                        channel=channel,
                        stage=facts.stage,
                        text=text,
                        template=name,
                        template_version=lib.versions[name],
                        next_update_at=nxt,
                        notes=tuple(notes),
                    )
                )
                break
            else:
                problems.append(f"no usable template for {lang}/{channel}: " + "; ".join(notes))
    return DraftReport(drafts, problems)


def _try_render(
    lib: TemplateLibrary, name: str, ctx: Mapping[str, Any], channel: str, cfg: StatusConfig
) -> tuple[str | None, str]:
    """(text, note): text None when unusable, note says why (or warns)."""
    if name not in lib.sources:
        return None, f"{name}: template missing"
    if not lib.is_approved(name):
        return None, f"{name}: version {lib.versions[name]} is not approved"
    try:
        text = lib.render(name, ctx)
    except TemplateError as exc:
        return None, f"{name}: render failed: {exc}"
    if not text:
        return None, f"{name}: renders empty for channel {channel}"
    limit = cfg.length_limits.get(channel)
    size = text_length(text, channel)
    if limit is not None and size > limit:
        return (
            text,
            f"{name}: {size} characters for {channel}, limit {limit}: shorten before approving",
        )
    return text, ""


def render_drafts(
    facts: IncidentFacts,
    cfg: StatusConfig,
    *,
    channels: Sequence[str] = CHANNELS,
    library: TemplateLibrary | None = None,
) -> list[Draft]:
    """The draft updates for ``facts``: every configured language x ``channels``.

    A language/channel with no usable template at all is left out (see
    :func:`render_drafts_report` for the reasons).
    """
    return render_drafts_report(facts, cfg, channels=channels, library=library).drafts


# --- cadence ------------------------------------------------------------------------


def cadence_for(severity: str, cfg: StatusConfig) -> timedelta:
    return timedelta(minutes=cfg.cadence_minutes.get(severity, cfg.default_cadence_minutes))


def next_update_at(published_at: datetime, severity: str, cfg: StatusConfig) -> datetime:
    """When the next update is due: the severity's cadence after ``published_at``,
    rounded up to ``round_to_minutes`` on the local clock (14.07 + 30 -> 14.40).

    >>> from datetime import timezone
    >>> t = datetime(2026, 11, 24, 12, 7, tzinfo=timezone.utc)
    >>> next_update_at(t, "critical", StatusConfig()).isoformat()
    '2026-11-24T12:40:00+00:00'
    """
    _aware(published_at, "published_at")
    due = published_at + cadence_for(severity, cfg)
    step = cfg.round_to_minutes * 60
    offset = due.astimezone(cfg.zone).utcoffset() or timedelta(0)
    local = due.timestamp() + offset.total_seconds()
    rounded = -(-local // step) * step  # ceiling on the local clock
    return datetime.fromtimestamp(rounded - offset.total_seconds(), tz=UTC)


def reminder_due(
    last_published_at: datetime,
    severity: str,
    now: datetime,
    cfg: StatusConfig,
    already_reminded: bool,
    *,
    due_at: datetime | None = None,
) -> bool:
    """Should the thread be reminded that the next update is due?

    True once ``now`` is within ``remind_before_minutes`` of the due time
    (``due_at``, the time the published update promised, when given; else
    computed from ``last_published_at``), and only if not reminded yet.
    """
    if already_reminded:
        return False
    due = due_at if due_at is not None else next_update_at(last_published_at, severity, cfg)
    return now >= due - timedelta(minutes=cfg.remind_before_minutes)


_STATUS_TO_STAGE = {
    "resolved": "resolved",
    "closed": "resolved",
    "recovering": "monitoring",
    "monitoring": "monitoring",
    "identified": "identified",
    "mitigating": "identified",
}


def stage_for(incident_status: str, kind: str, evidence: Mapping[str, Any]) -> str:
    """Map an incident's lifecycle to a status-update stage (a simple rule).

    resolved/closed -> ``resolved``; the signal no longer active (or
    ``evidence["recovering"]``) -> ``monitoring``; a known cause
    (``evidence["cause"]`` or status ``identified``) -> ``identified``;
    anything else (open, acknowledged, snoozed, escalated) -> ``investigating``.
    ``kind`` does not change the rule today; it is here so it can.

    >>> stage_for("open", "volume_surge", {})
    'investigating'
    >>> stage_for("acknowledged", "negative_burst", {"cause": "DNS"})
    'identified'
    >>> stage_for("open", "volume_surge", {"active": False})
    'monitoring'
    """
    status = (incident_status or "").strip().lower()
    if status in STAGES:
        return status
    if status in _STATUS_TO_STAGE:
        return _STATUS_TO_STAGE[status]
    if evidence.get("recovering") or evidence.get("active") is False:
        return "monitoring"
    if evidence.get("cause"):
        return "identified"
    return "investigating"


# --- configuration ------------------------------------------------------------------


def _mapping(v: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(v, Mapping):
        raise ValueError(f"{where} must be a mapping, got {type(v).__name__}")
    return v


def _pos_int(v: Any, where: str) -> int:
    if isinstance(v, bool) or not isinstance(v, int) or v <= 0:
        raise ValueError(f"{where} must be a positive integer, got {v!r}")
    return v


def _lang_key(lang: Any, where: str) -> str:
    if lang not in LANGS:
        raise ValueError(f"{where}: unknown language {lang!r}; known: {list(LANGS)}")
    return str(lang)


def _forms_table(v: Any, where: str) -> dict[str, str]:
    if isinstance(v, str):
        return {"nominative": v}
    table = {str(k): str(x) for k, x in _mapping(v, where).items()}
    try:
        Forms.from_mapping(Forms.plain(""), table)
    except ValueError as exc:
        raise ValueError(f"{where}: {exc}") from None
    return table


def load_status_config(d: Mapping[str, Any] | None) -> StatusConfig:
    """Build a :class:`StatusConfig` from the deployment YAML's ``status`` section.

    Every error names the setting (``status.cadence_minutes.high must be ...``).

    >>> cfg = load_status_config({"timezone": "Europe/Stockholm", "cadence_minutes": {"high": 20},
    ...     "brand_forms": {"spankki": {"fi": {"genitive": "S-Pankin"}}}})
    >>> cfg.cadence_minutes["high"], cfg.cadence_minutes["low"], cfg.brand_forms["spankki"]["fi"]
    (20, 120, {'genitive': 'S-Pankin'})
    >>> load_status_config({"languages": ["fi", "de"]})
    Traceback (most recent call last):
    ...
    ValueError: status.languages: unknown language 'de'; known: ['fi', 'en', 'sv']
    """
    if d is None:
        return StatusConfig()
    d = _mapping(d, "status")
    known = {f for f in StatusConfig.__dataclass_fields__}
    unknown = sorted(set(d) - known)
    if unknown:
        raise ValueError(f"status: unknown setting(s) {unknown}; known: {sorted(known)}")
    base = StatusConfig()
    kw: dict[str, Any] = {}
    if "timezone" in d:
        try:
            ZoneInfo(str(d["timezone"]))
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"status.timezone: unknown time zone {d['timezone']!r}") from None
        kw["timezone"] = str(d["timezone"])
    if "languages" in d:
        langs = d["languages"]
        if isinstance(langs, str) or not isinstance(langs, Sequence) or not langs:
            raise ValueError("status.languages must be a non-empty list such as [fi, en, sv]")
        kw["languages"] = tuple(_lang_key(x, "status.languages") for x in langs)
    if "cadence_minutes" in d:
        cad = dict(base.cadence_minutes)
        for sev, minutes in _mapping(d["cadence_minutes"], "status.cadence_minutes").items():
            cad[str(sev)] = _pos_int(minutes, f"status.cadence_minutes.{sev}")
        kw["cadence_minutes"] = cad
    for name in ("default_cadence_minutes", "round_to_minutes", "remind_before_minutes"):
        if name in d:
            kw[name] = _pos_int(d[name], f"status.{name}")
    if kw.get("round_to_minutes", 1) > 60:
        raise ValueError("status.round_to_minutes must be at most 60")
    if "brand_forms" in d:
        bf: dict[str, dict[str, dict[str, str]]] = {}
        for brand, by_lang in _mapping(d["brand_forms"], "status.brand_forms").items():
            where = f"status.brand_forms.{brand}"
            bf[str(brand).lower()] = {
                _lang_key(lang, where): _forms_table(t, f"{where}.{lang}")
                for lang, t in _mapping(by_lang, where).items()
            }
        kw["brand_forms"] = bf
    if "services" in d:
        services = dict(base.services)
        for key, by_lang in _mapping(d["services"], "status.services").items():
            where = f"status.services.{key}"
            entry: dict[str, Any] = {}
            for lang, v in _mapping(by_lang, where).items():
                lang = _lang_key(lang, where)
                entry[lang] = (
                    v if lang == "en" and isinstance(v, str) else _forms_table(v, f"{where}.{lang}")
                )
            missing = [x for x in LANGS if x not in entry]
            if missing:
                raise ValueError(f"{where}: missing language(s) {missing}")
            if "nominative" not in (entry["fi"] if isinstance(entry["fi"], dict) else {}):
                raise ValueError(f"{where}.fi needs at least 'nominative'")
            services[str(key)] = entry
        kw["services"] = services
    if "topic_services" in d:
        services = kw.get("services", base.services)
        ts = dict(base.topic_services)
        for topic, key in _mapping(d["topic_services"], "status.topic_services").items():
            if topic not in TOPICS:
                raise ValueError(f"status.topic_services: unknown topic {topic!r}; known: {TOPICS}")
            if key not in services:
                raise ValueError(f"status.topic_services.{topic}: unknown service {key!r}")
            ts[str(topic)] = str(key)
        kw["topic_services"] = ts
    if "topic_aliases" in d:
        aliases = dict(base.topic_aliases)
        for topic, target in _mapping(d["topic_aliases"], "status.topic_aliases").items():
            if target not in TOPICS:
                raise ValueError(
                    f"status.topic_aliases.{topic}: {target!r} is not a template topic {TOPICS}"
                )
            aliases[str(topic)] = str(target)
        kw["topic_aliases"] = aliases
    if "channel_labels" in d:
        labels = dict(base.channel_labels)
        for code, by_lang in _mapping(d["channel_labels"], "status.channel_labels").items():
            where = f"status.channel_labels.{code}"
            labels[str(code)] = {
                _lang_key(lang, where): str(v) for lang, v in _mapping(by_lang, where).items()
            }
        kw["channel_labels"] = labels
    for name in ("link",):
        if name in d and d[name] is not None:
            kw[name] = _url(d[name], f"status.{name}")
    if "brand_links" in d:
        kw["brand_links"] = {
            str(b).lower(): _url(u, f"status.brand_links.{b}")
            for b, u in _mapping(d["brand_links"], "status.brand_links").items()
        }
    if "length_limits" in d:
        limits = dict(base.length_limits)
        for ch, n in _mapping(d["length_limits"], "status.length_limits").items():
            if ch not in CHANNELS:
                raise ValueError(f"status.length_limits: unknown channel {ch!r}; known: {CHANNELS}")
            limits[str(ch)] = _pos_int(n, f"status.length_limits.{ch}")
        kw["length_limits"] = limits
    if d.get("templates_dir") is not None:
        if not Path(str(d["templates_dir"])).is_dir():
            raise ValueError(f"status.templates_dir: not a directory: {d['templates_dir']!r}")
        kw["templates_dir"] = str(d["templates_dir"])
    return StatusConfig(**kw)


def _url(v: Any, where: str) -> str:
    if not isinstance(v, str) or not re.match(r"^https?://\S+$", v):
        raise ValueError(f"{where} must be an http(s) URL")
    return v
