"""Settings: one typed object from the environment plus an optional YAML file.

Environment variables carry the prefix ``SPIKEWATCH_`` (for example
``SPIKEWATCH_KAFKA_BOOTSTRAP_SERVERS``); Slack's usual names are honoured as they
are: ``SLACK_BOT_TOKEN``, ``SLACK_SIGNING_SECRET``, ``SLACK_API_URL``. What is
structured (brands, escalation policy, status-update settings, detector
thresholds) comes from the YAML file named by ``SPIKEWATCH_CONFIG`` or
``--config``. Secrets are ``SecretStr``: they print as ``**********``.

Every setting has a safe default; a wrong value fails at start with a message
that names the setting.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import AliasChoices, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from detectors.monitor import MonitorConfig
from streams.config import DEFAULT_TIMEZONE, DeploymentFile, HttpUrlStr, unknown_env


class SettingsError(ValueError):
    """A setting has a wrong value; the message names it."""


class Settings(BaseSettings):
    """Process settings read from the environment."""

    model_config = SettingsConfigDict(env_prefix="SPIKEWATCH_", extra="ignore")

    kafka_bootstrap_servers: str | None = Field(
        default=None,
        description="existing cluster (host:port,...); unset = the local broker on 127.0.0.1",
    )
    config: Path | None = Field(default=None, description="deployment YAML file (or --config)")
    app_id: str = Field(default="spikewatch", description="Kafka consumer group and table prefix")
    topic_prefix: str = Field(default="", description="prefix of every topic name")
    partitions: int = Field(
        default=4, ge=1, le=1024, description="partitions of every topic (scale-out unit)"
    )
    store: str = Field(
        default="memory://",
        description="Faust table store (rocksdb:// with rocksdict installed)",
    )
    web_host: str = Field(
        default="127.0.0.1", description="/metrics, /healthz, /ingest, /slack/actions listen here"
    )
    web_port: int = Field(default=6066, ge=0, le=65535, description="... on this port")
    data_dir: Path = Field(default=Path("var/worker"), description="the worker's local state")
    ingest_token: SecretStr | None = Field(
        default=None, description="bearer token required by POST /ingest"
    )
    publish_enriched: bool = Field(
        default=False, description="also write every enriched mention to mentions.enriched"
    )
    max_event_age_days: float = Field(
        default=30.0, gt=0, description="older mentions are dead-lettered"
    )
    max_event_future_seconds: float = Field(
        default=600.0, ge=0, description="mentions further in the future are dead-lettered"
    )
    log_level: str = Field(default="INFO", description="DEBUG, INFO, WARNING or ERROR")
    log_format: Literal["text", "json"] = Field(
        default="text", description="text for a terminal, json for one object per line"
    )
    detailed_metrics: bool = Field(
        default=False,
        description="per-brand series by source, language, severity: 231 a brand instead of 40",
    )
    processing_guarantee: Literal["at_least_once", "exactly_once"] = Field(
        default="at_least_once",
        description="exactly_once = Kafka transactions over state, records and offsets",
    )
    slack_bot_token: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("SLACK_BOT_TOKEN", "SPIKEWATCH_SLACK_BOT_TOKEN"),
        description="Slack bot token; without one alerts are printed",
    )
    slack_signing_secret: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("SLACK_SIGNING_SECRET", "SPIKEWATCH_SLACK_SIGNING_SECRET"),
        description="verifies Slack's button clicks",
    )
    slack_api_url: HttpUrlStr | None = Field(
        default=None,
        validation_alias=AliasChoices("SLACK_API_URL", "SPIKEWATCH_SLACK_API_URL"),
        description="a Slack-compatible Web API (default: Slack's own)",
    )
    slack_timeout_seconds: float = Field(
        default=10.0, gt=0, description="read timeout of one Slack Web API request"
    )
    slack_pacing: Literal["kafka", "local"] = Field(
        default="kafka",
        description="one Slack message a second per channel across all workers (`kafka`, "
        "through the `slack.pacing` topic) or per worker (`local`)",
    )
    notify_retention_seconds: float = Field(
        default=7 * 24 * 3600.0,
        gt=0,
        description="event time after an incident closed before its `sent`/`status` rows go",
    )

    @field_validator("kafka_bootstrap_servers")
    @classmethod
    def _bootstrap(cls, v: str | None) -> str | None:
        if v is None or not v.strip():
            return None
        for part in v.split(","):
            host, _, port = part.strip().rpartition(":")
            if not host or not port.isdigit():
                raise ValueError(f"expected host:port[,host:port...], got {part!r}")
        return v.strip()

    @field_validator("store")
    @classmethod
    def _store(cls, v: str) -> str:
        if not v.startswith(("memory://", "rocksdb://", "aerospike://")):
            raise ValueError("expected memory:// or rocksdb://")
        return v

    @field_validator("log_level")
    @classmethod
    def _level(cls, v: str) -> str:
        v = v.upper()
        if v not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
            raise ValueError("expected DEBUG, INFO, WARNING or ERROR")
        return v

    def topic(self, name: str) -> str:
        return f"{self.topic_prefix}{name}"

    @property
    def slack_base_url(self) -> str | None:
        if not self.slack_api_url:
            return None
        return self.slack_api_url.rstrip("/") + "/"


def load_settings(**overrides: Any) -> Settings:
    """Read settings, turning pydantic's errors into one message per setting.

    Secrets may also come from files: with ``SPIKEWATCH_SECRETS_DIR`` set (for
    example a mounted Kubernetes Secret), a file named like the variable
    (``SLACK_BOT_TOKEN``, ``SLACK_SIGNING_SECRET``, ``spikewatch_ingest_token``)
    holds the value; the environment wins over a file.
    """
    unknown = unknown_env(os.environ, Settings)
    if unknown:
        raise SettingsError("invalid environment:\n  " + "\n  ".join(unknown))
    secrets_dir = os.environ.get("SPIKEWATCH_SECRETS_DIR")
    if secrets_dir:
        if not Path(secrets_dir).is_dir():
            raise SettingsError(f"SPIKEWATCH_SECRETS_DIR: {secrets_dir} is not a directory")
        overrides.setdefault("_secrets_dir", secrets_dir)
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            name = ".".join(str(x) for x in err["loc"]) or "settings"
            env = (
                name.upper()
                if name.upper().startswith(("SLACK_", "SPIKEWATCH_"))
                else f"SPIKEWATCH_{name.upper()}"
            )
            msg = str(err["msg"]).removeprefix("Value error, ")
            got = err.get("input")
            shown = "" if f"{got!r}" in msg else f" (got {got!r})"
            lines.append(f"{env}: {msg}{shown}")
        raise SettingsError("invalid settings:\n  " + "\n  ".join(lines)) from None


@dataclass(frozen=True)
class Deployment:
    """The structured part of the configuration (from YAML), validated by streams.config."""

    brands: tuple[str, ...] = ("nordbank", "lumoverkko", "skyways")
    sources: tuple[str, ...] = ("x", "facebook", "instagram", "chat", "web")
    timezone: str = DEFAULT_TIMEZONE
    monitor: MonitorConfig = field(default_factory=lambda: MonitorConfig(tz=DEFAULT_TIMEZONE))
    escalation: Path | None = None
    status: dict[str, Any] = field(default_factory=lambda: {"timezone": DEFAULT_TIMEZONE})
    topics: Path | None = None
    backlog: dict[str, Any] = field(default_factory=lambda: {"tz": DEFAULT_TIMEZONE})
    status_webhook_url: str | None = None
    languages: tuple[str, ...] = ("fi", "en", "sv")  # language id falls back to these
    raw: dict[str, Any] = field(default_factory=dict)
    # the language of spikewatch's Slack text, and per channel where it differs (alerts/i18n.py)
    slack_language: str = "en"
    slack_channel_languages: dict[str, str] = field(default_factory=dict)


def _allowed(loc: tuple[int | str, ...]) -> list[str]:
    """The keys allowed where ``loc`` points (for "unknown setting" messages)."""
    model: Any = DeploymentFile
    for part in loc[:-1]:
        f = getattr(model, "model_fields", {}).get(part)
        if f is None:
            return []
        model = f.annotation
    return sorted(getattr(model, "model_fields", {}))


def _explain(exc: ValidationError, where: str) -> SettingsError:
    lines = []
    for err in exc.errors():
        # keys and list indexes; not the names pydantic gives the members of a union
        loc = tuple(x for x in err["loc"] if isinstance(x, int) or str(x).isidentifier())
        name = ".".join(str(x) for x in loc)
        if err["type"] == "extra_forbidden":
            lines.append(f"{name}: unknown setting; allowed: {', '.join(_allowed(loc))}")
            continue
        msg = str(err["msg"]).removeprefix("Value error, ")
        got = err.get("input")
        shown = "" if isinstance(got, dict) or f"{got!r}" in msg else f" (got {got!r})"
        lines.append(f"{name}: {msg}{shown}" if name else f"{msg}{shown}")
    return SettingsError(f"{where}: invalid configuration:\n  " + "\n  ".join(lines))


def load_deployment(path: Path | str | None) -> Deployment:
    """Load and validate the deployment YAML (``None`` = built-in defaults)."""
    raw: Any = {}
    where = "defaults"
    base = Path.cwd()
    if path is not None:
        p = Path(path)
        where, base = str(p), p.parent
        try:
            raw = yaml.safe_load(p.read_text(encoding="utf-8")) or {}
        except OSError as exc:
            raise SettingsError(f"SPIKEWATCH_CONFIG: cannot read {p}: {exc.strerror}") from None
        except yaml.YAMLError as exc:
            raise SettingsError(f"SPIKEWATCH_CONFIG: {p} is not valid YAML: {exc}") from None
        if not isinstance(raw, dict):
            raise SettingsError(f"SPIKEWATCH_CONFIG: {p} must hold a mapping of settings")
    try:
        model = DeploymentFile.model_validate(raw)
    except ValidationError as exc:
        raise _explain(exc, where) from None
    return _deployment(model, raw, base)


def _deployment(m: DeploymentFile, raw: dict[str, Any], base: Path) -> Deployment:
    tz = m.timezone  # every section's time zone unless the section sets its own
    det = m.detectors.model_dump()
    try:
        monitor = MonitorConfig(**{**det, "tz": det["tz"] or tz})
    except (TypeError, ValueError) as exc:
        raise SettingsError(f"detectors: {exc}") from None
    status = m.status.model_dump(exclude_unset=True)
    status["timezone"] = status.get("timezone") or tz
    backlog = m.backlog.model_dump()
    backlog["tz"] = backlog["tz"] or tz
    dep = Deployment(
        brands=tuple(m.brands),
        sources=m.source_labels(),
        timezone=tz,
        monitor=monitor,
        escalation=None if m.escalation is None else base / m.escalation,
        status=status,
        topics=None if m.topics is None else base / m.topics,
        backlog=backlog,
        status_webhook_url=m.status_webhook_url,
        languages=tuple(m.languages),
        raw=raw,
        slack_language=m.slack.language,
        slack_channel_languages=m.slack.channel_languages(),
    )
    validate(dep)
    return dep


def validate(dep: Deployment) -> None:
    """Load every structured part once so a wrong value fails at start, naming its key."""
    from alerts.policy import PolicyError, load_policy
    from alerts.status import load_status_config
    from detectors.backlog import BacklogConfig

    try:
        load_policy(dep.escalation, default_timezone=dep.timezone)
    except (PolicyError, OSError) as exc:
        raise SettingsError(f"escalation: {exc}") from None
    try:
        load_status_config(dep.status)
    except ValueError as exc:
        raise SettingsError(str(exc)) from None
    try:
        BacklogConfig(**dep.backlog)
    except (TypeError, ValueError) as exc:
        raise SettingsError(f"backlog: {exc}") from None


def bootstrap_servers(settings: Settings) -> str:
    """The cluster to use: the configured one, or the local broker's address."""
    if settings.kafka_bootstrap_servers:
        return settings.kafka_bootstrap_servers
    from streams.broker import BrokerPaths

    return BrokerPaths.from_env().bootstrap
