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
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from jinja2 import FunctionLoader, TemplateError

from alerts.status_cadence import (
    cadence_for,
    next_update_at,
    reminder_due,
    stage_for,
)
from alerts.status_config import load_status_config
from alerts.status_records import (
    APPROVALS_FILE,
    CHANNELS,
    STAGES,
    TEMPLATES_DIR,
    TOPICS,
    X_URL_LENGTH,
    Draft,
    IncidentFacts,
    Published,
    StatusConfig,
    _iso,
)
from alerts.status_vocab import (
    DEFAULT_CHANNEL_LABELS,
    DEFAULT_SERVICES,
    DEFAULT_TOPIC_ALIASES,
    DEFAULT_TOPIC_SERVICES,
    _fi,
)
from alerts.templating import (
    FI_CASES,
    Forms,
    forms_by_rule,
    make_environment,
    tidy,
)

__all__ = [
    "APPROVALS_FILE",
    "CHANNELS",
    "DEFAULT_CHANNEL_LABELS",
    "DEFAULT_SERVICES",
    "DEFAULT_TOPIC_ALIASES",
    "DEFAULT_TOPIC_SERVICES",
    "STAGES",
    "TEMPLATES_DIR",
    "TOPICS",
    "X_URL_LENGTH",
    "Approval",
    "Draft",
    "DraftReport",
    "IncidentFacts",
    "Published",
    "StatusConfig",
    "TemplateLibrary",
    "cadence_for",
    "library_for",
    "load_approvals",
    "load_status_config",
    "next_update_at",
    "reminder_due",
    "render_drafts",
    "render_drafts_report",
    "stage_for",
    "template_name",
]

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
