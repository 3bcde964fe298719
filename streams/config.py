"""The deployment YAML and the ``SPIKEWATCH_`` environment as typed models: one source of truth.

Every YAML key is a field of :class:`DeploymentFile` (``extra="forbid"``: an unknown key fails at
start, naming it and what is allowed); the ``detectors`` and ``backlog`` sections are generated from
the dataclasses the detectors run with (:class:`detectors.monitor.MonitorConfig`,
:class:`detectors.backlog.BacklogConfig`), so their defaults live in one place. The environment is
:class:`streams.settings.Settings` plus the broker scripts' and tools' variables listed in
:data:`OTHER_ENV`; a ``SPIKEWATCH_`` variable that none of them knows is an error with the nearest
known name. The top-level ``timezone`` is every section's time zone (detector seasonality,
service hours, status updates, the escalation policy's quiet hours) unless a section overrides it.

``python -m streams.config_docs --write-readme README.md`` (``make docs``) regenerates the README's
configuration tables from these models; ``tests/unit/test_settings.py`` fails when they drift.
"""

from __future__ import annotations

import dataclasses
import difflib
import typing
from collections.abc import Mapping
from typing import TYPE_CHECKING, Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    HttpUrl,
    TypeAdapter,
    ValidationError,
    create_model,
    field_validator,
)

from alerts.status import StatusConfig
from detectors.backlog import BacklogConfig
from detectors.monitor import MonitorConfig
from streams.sources.config import SourceConfigError, parse_sources

DEFAULT_TIMEZONE = "Europe/Helsinki"
DEFAULT_SOURCES = ("x", "facebook", "instagram", "chat", "web")


def _zone(v: str) -> str:
    try:
        ZoneInfo(v)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"unknown time zone {v!r}; expected an IANA name such as Europe/Helsinki or UTC"
        ) from None
    return v


_HTTP_URL: TypeAdapter[HttpUrl] = TypeAdapter(HttpUrl)


def _http_url(v: str) -> str:
    """An http(s) URL, kept as written (pydantic's HttpUrl would add a trailing slash)."""
    try:
        _HTTP_URL.validate_python(v)
    except ValidationError:
        msg = f"expected an http(s) URL such as https://slack.com/api/, got {v!r}"
        raise ValueError(msg) from None
    return v


def _name(v: str) -> str:
    v = v.strip().lower()
    if not v:
        raise ValueError("expected a non-empty name")
    return v


def _lang_code(v: str) -> str:
    v = v.strip().lower()
    if not (len(v) == 2 and v.isalpha()):
        raise ValueError(f"expected a two-letter language code such as fi, got {v!r}")
    return v


def _none_is_empty(v: Any) -> Any:
    return {} if v is None else v


TimeZone = Annotated[str, AfterValidator(_zone)]
HttpUrlStr = Annotated[str, AfterValidator(_http_url)]
Name = Annotated[str, AfterValidator(_name)]
LangCode = Annotated[str, AfterValidator(_lang_code)]

# -- sections generated from the detectors' own dataclasses --------------------------------------

DETECTOR_DOCS: dict[str, str] = {
    "bucket_seconds": "width of one detector bucket",
    "volume_threshold": "volume-surge score (0-1] that opens an incident",
    "negative_threshold": "negative-burst score (0-1] that opens an incident",
    "lateness_seconds": "how long a bucket waits for late mentions before it is decided",
    "max_late_seconds": "mentions later than this are dead-lettered as too late",
    "max_gap_buckets": "a silence longer than this many buckets restarts the baseline",
    "early_alert": "score a surge inside the open bucket, before it closes",
    "volume_warmup_seconds": "first seconds of a brand: volume alerts need an absolute excess",
    "sensitivity": "fewer / balanced / more: the false-incident budget per brand-week",
    "holidays": "dates (YYYY-MM-DD) scored with the weekend's profile",
    "level_halflife_seconds": "half-life of the volume baseline's level",
    "volume_scales": "bucket multiples the volume detector looks at",
    "score_half": "surprise (in nats) that scores 0.5",
    "min_negative": "negative mentions a bucket needs before a burst can open",
    "negative_rho": "clustering of mentions (beta-binomial overdispersion)",
    "negative_odds_ratio": "shift of the negative odds the slow-burn test looks for",
    "negative_drift_threshold": "alarm level of the slow-burn test (null: the sensitivity's)",
    "terms_capacity": "surging-term candidates kept per brand",
    "quiet_run_min_buckets": "empty buckets due at once learnt in closed form (null: one by one)",
    "quiet_run_exact_buckets": "... except within this many buckets of an active signal",
}

BACKLOG_DOCS: dict[str, str] = {
    "promise_seconds": 'the brand\'s promised first-response time ("within an hour")',
    "clear_limit_seconds": "a backlog taking longer than this to clear raises a signal",
    "max_age_seconds": "unanswered mentions older than this count as unanswered",
    "max_open": "open mentions tracked per brand (memory bound)",
    "rate_window_seconds": "window of the inflow and answer rates",
    "brand_account_ids": "author ids of the brand's own accounts (their replies are answers)",
    "min_inflow_per_hour": "inflow below this never raises a backlog signal",
    "min_backlog": "open mentions below this never raise a backlog signal",
    "reorder_seconds": "how late an answer may arrive before its mention",
    "bucket_seconds": "width of one rate bucket",
    "outrun_ratio": "inflow / answers above this counts as outrun",
    "overdue_share": "share of open mentions past the promise that raises a signal",
    "service_hours": "[start, end) local hours the team is on duty (null: around the clock)",
    "weekend_service_hours": "the same for Saturday and Sunday",
    "response_tracking": "judge the backlog from the start (default: once replies are seen)",
}

STATUS_DOCS: dict[str, str] = {
    "languages": "languages of the drafted updates (fi, en, sv)",
    "cadence_minutes": "minutes between updates, per severity",
    "default_cadence_minutes": "cadence of a severity not listed",
    "round_to_minutes": 'the promised "next update" time is rounded to this',
    "remind_before_minutes": "remind the team this long before an update is due",
    "brand_forms": "brand -> language -> grammatical forms of its name",
    "services": "service key -> language -> its name",
    "topic_services": "content topic -> service key named in updates",
    "channel_labels": "channel code -> language -> label",
    "topic_aliases": "content topic -> template topic",
    "link": "status page link in every update",
    "brand_links": "brand -> its own status page link",
    "length_limits": "channel -> maximum length of an update",
    "templates_dir": "folder of approved templates (default: the shipped ones)",
}


def _section(cls: type[Any], name: str, docs: Mapping[str, str], *, typed: bool) -> type[BaseModel]:
    hints = typing.get_type_hints(cls)
    fields: dict[str, Any] = {}
    for f in dataclasses.fields(cls):
        if f.name in {"tz", "timezone"}:  # default: the top-level timezone
            fields[f.name] = (
                TimeZone | None,
                Field(default=None, description="overrides the top-level timezone here"),
            )
            continue
        factory: Any = f.default_factory
        default = f.default if f.default is not dataclasses.MISSING else factory()
        fields[f.name] = (
            hints[f.name] if typed else Any,
            Field(default=default, description=docs.get(f.name, "")),
        )
    model: type[BaseModel] = create_model(name, __config__=ConfigDict(extra="forbid"), **fields)
    return model


if TYPE_CHECKING:
    DetectorsSection = BaseModel
    BacklogSection = BaseModel
    StatusSection = BaseModel
else:
    DetectorsSection = _section(MonitorConfig, "DetectorsSection", DETECTOR_DOCS, typed=True)
    BacklogSection = _section(BacklogConfig, "BacklogSection", BACKLOG_DOCS, typed=True)
    # status: the keys are checked here, the values by alerts.status_config.StatusFile (pydantic).
    StatusSection = _section(StatusConfig, "StatusSection", STATUS_DOCS, typed=False)


SlackLanguage = typing.Literal["fi", "en", "sv"]


class SlackChannel(BaseModel):
    """One Slack channel's settings (``slack.channels``)."""

    model_config = ConfigDict(extra="forbid")

    language: SlackLanguage = Field(description="language of spikewatch's text in this channel")


class SlackSection(BaseModel):
    """spikewatch's own Slack text (alerts/i18n.py); the public status updates have theirs."""

    model_config = ConfigDict(extra="forbid")

    language: SlackLanguage = Field(
        default="en", description="language of spikewatch's Slack text (fi, en, sv)"
    )
    channels: dict[str, SlackChannel] = Field(
        default_factory=dict,
        description='channel name or id -> {language: ...} where it differs ("#crisis-room")',
    )

    def channel_languages(self) -> dict[str, str]:
        return {name: c.language for name, c in self.channels.items()}


class DeploymentFile(BaseModel):
    """The deployment YAML (``SPIKEWATCH_CONFIG`` or ``--config``); paths are relative to it."""

    model_config = ConfigDict(extra="forbid")

    brands: list[Name] = Field(
        default=["nordbank", "lumoverkko", "skyways"],
        min_length=1,
        description="brands monitored; metrics are labelled only with these",
    )
    # A list of metric labels, or (issue 18) a mapping whose keys streams/sources/config.py
    # validates: labels, brands, silence, connectors.
    sources: list[Name] | dict[str, Any] = Field(
        default=list(DEFAULT_SOURCES),
        description="social sources (metric labels; others count as other), or the sources mapping",
    )

    def source_labels(self) -> tuple[str, ...]:
        """The metric labels of ``sources`` in either form."""
        if isinstance(self.sources, dict):
            labels = parse_sources(self.sources).label_names() or DEFAULT_SOURCES
            return tuple(_name(str(x)) for x in labels)
        return tuple(self.sources)

    @field_validator("sources")
    @classmethod
    def _some_sources(cls, v: list[str] | dict[str, Any]) -> list[str] | dict[str, Any]:
        if isinstance(v, list) and not v:
            raise ValueError("expected at least one source name")
        if isinstance(v, dict):
            # The connectors' own models (streams/sources/config.py) check the mapping here,
            # so a misspelt connector key stops the worker at start, not only `source run`.
            try:
                parse_sources(v)
            except SourceConfigError as exc:
                raise ValueError(str(exc)) from None
        return v

    # issue 17 (language identification falls back to these): declared here so the key is known.
    languages: list[LangCode] = Field(
        default=["fi", "en", "sv"],
        min_length=1,
        description="languages the language identifier chooses among (two-letter codes)",
    )
    timezone: TimeZone = Field(
        default=DEFAULT_TIMEZONE,
        description="the team's time zone: every section's unless the section sets its own",
    )
    detectors: Annotated[DetectorsSection, BeforeValidator(_none_is_empty)] = Field(
        default_factory=lambda: DetectorsSection(),
        description="detector thresholds and windows (detectors/monitor.py)",
    )
    backlog: Annotated[BacklogSection, BeforeValidator(_none_is_empty)] = Field(
        default_factory=lambda: BacklogSection(),
        description="reply backlog and response promise (detectors/backlog.py)",
    )
    escalation: str | None = Field(
        default=None,
        description="escalation policy file (default: the shipped alerts/data/escalation.yaml)",
    )
    status: Annotated[StatusSection, BeforeValidator(_none_is_empty)] = Field(
        default_factory=lambda: StatusSection(),
        description="interim status updates (alerts/status.py)",
    )
    topics: str | None = Field(
        default=None, description="content-topic keyword file (default: the shipped one)"
    )
    status_webhook_url: HttpUrlStr | None = Field(
        default=None, description="approved updates are also POSTed here as JSON"
    )
    slack: Annotated[SlackSection, BeforeValidator(_none_is_empty)] = Field(
        default_factory=SlackSection,
        description="language of the Slack text, per channel (fi, en, sv)",
    )


# -- environment variables that are not worker settings ------------------------------------------

OTHER_ENV: dict[str, tuple[str, str]] = {
    # name: (default, meaning)
    "SPIKEWATCH_SECRETS_DIR": (
        "unset",
        "read secrets from files named like the variables (e.g. a mounted Secret)",
    ),
    "SPIKEWATCH_KAFKA_PORT": ("9092", "port of the local broker (deploy/kafka/)"),
    "SPIKEWATCH_KAFKA_CONTROLLER_PORT": ("port + 1", "controller port of the local broker"),
    "SPIKEWATCH_KAFKA_RUN_DIR": ("cache/kafka-run-PORT", "state folder of the local broker"),
    "SPIKEWATCH_KAFKA_HEAP": ("-Xms256m -Xmx1g", "JVM heap options of the local broker"),
    "SPIKEWATCH_CACHE_DIR": ("~/.cache/spikewatch", "where the Maven jars of the broker are kept"),
    "SPIKEWATCH_TRAIN_DATA": ("../shared/data", "training data of make train"),
    "SPIKEWATCH_SHARED": ("../shared", "benchmark data of make bench"),
}


def env_names(settings: type[BaseModel]) -> dict[str, str]:
    """Every known environment variable -> the ``settings`` field (or ``""`` for OTHER_ENV).

    ``settings`` is :class:`streams.settings.Settings` (passed in: settings.py imports this module).
    """
    names: dict[str, str] = {}
    for fname, f in settings.model_fields.items():
        alias = f.validation_alias
        choices = getattr(alias, "choices", None) if alias is not None else None
        if choices:
            for c in choices:
                names[str(c)] = fname
        else:
            names[f"SPIKEWATCH_{fname.upper()}"] = fname
    for n in OTHER_ENV:
        names.setdefault(n, "")
    return names


def unknown_env(environ: Mapping[str, str], settings: type[BaseModel]) -> list[str]:
    """One message per ``SPIKEWATCH_`` variable nobody reads, with the nearest known name."""
    known = env_names(settings)
    out = []
    for name in sorted(environ):
        if not name.startswith("SPIKEWATCH_") or name in known:
            continue
        near = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
        hint = f"; did you mean {near[0]}?" if near else ""
        out.append(f"{name}: unknown variable{hint} (README lists the known ones)")
    return out
