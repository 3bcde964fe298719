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
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import AliasChoices, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from detectors.monitor import MonitorConfig


class SettingsError(ValueError):
    """A setting has a wrong value; the message names it."""


class Settings(BaseSettings):
    """Process settings read from the environment."""

    model_config = SettingsConfigDict(env_prefix="SPIKEWATCH_", extra="ignore")

    kafka_bootstrap_servers: str | None = Field(
        default=None, description="Existing cluster; unset = the local broker the project starts"
    )
    config: Path | None = Field(default=None, description="Deployment YAML file")
    app_id: str = "spikewatch"
    topic_prefix: str = ""
    partitions: int = Field(default=4, ge=1, le=1024)
    store: str = "memory://"
    web_host: str = "127.0.0.1"
    web_port: int = Field(default=6066, ge=0, le=65535)
    data_dir: Path = Path("var/worker")
    ingest_token: SecretStr | None = None
    publish_enriched: bool = Field(
        default=False, description="Also write every enriched mention to mentions.enriched"
    )
    processing_guarantee: Literal["at_least_once", "exactly_once"] = Field(
        default="at_least_once",
        description="Faust's guarantee: exactly_once = Kafka transactions over state and offsets",
    )
    max_event_age_days: float = Field(default=30.0, gt=0)
    max_event_future_seconds: float = Field(default=600.0, ge=0)
    log_level: str = "INFO"
    slack_bot_token: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("SLACK_BOT_TOKEN", "SPIKEWATCH_SLACK_BOT_TOKEN")
    )
    slack_signing_secret: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("SLACK_SIGNING_SECRET", "SPIKEWATCH_SLACK_SIGNING_SECRET"),
    )
    slack_api_url: str | None = Field(
        default=None, validation_alias=AliasChoices("SLACK_API_URL", "SPIKEWATCH_SLACK_API_URL")
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
                name.upper() if name.upper().startswith("SLACK_") else f"SPIKEWATCH_{name.upper()}"
            )
            lines.append(f"{env}: {err['msg']}")
        raise SettingsError("invalid settings:\n  " + "\n  ".join(lines)) from None


@dataclass(frozen=True)
class Deployment:
    """The structured part of the configuration (from YAML)."""

    brands: tuple[str, ...] = ("nordbank", "lumoverkko", "skyways")
    sources: tuple[str, ...] = ("x", "facebook", "instagram", "chat", "web")
    timezone: str = "Europe/Helsinki"
    monitor: MonitorConfig = field(default_factory=MonitorConfig)
    escalation: Path | None = None
    status: dict[str, Any] = field(default_factory=dict)
    topics: Path | None = None
    backlog: dict[str, Any] = field(default_factory=dict)
    status_webhook_url: str | None = None
    raw: dict[str, Any] = field(default_factory=dict)


def _monitor_config(d: dict[str, Any]) -> MonitorConfig:
    known = {f.name for f in fields(MonitorConfig)}
    unknown = sorted(set(d) - known)
    if unknown:
        raise SettingsError(f"detectors: unknown setting(s) {', '.join(unknown)}")
    try:
        return MonitorConfig(**d)
    except (TypeError, ValueError) as exc:
        raise SettingsError(f"detectors: {exc}") from None


def load_deployment(path: Path | str | None) -> Deployment:
    """Load the deployment YAML (``None`` = built-in defaults)."""
    if path is None:
        return Deployment()
    p = Path(path)
    try:
        raw = yaml.safe_load(p.read_text(encoding="utf-8")) or {}
    except OSError as exc:
        raise SettingsError(f"SPIKEWATCH_CONFIG: cannot read {p}: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise SettingsError(f"SPIKEWATCH_CONFIG: {p} is not valid YAML: {exc}") from None
    if not isinstance(raw, dict):
        raise SettingsError(f"SPIKEWATCH_CONFIG: {p} must hold a mapping")
    base = p.parent

    def _path(key: str) -> Path | None:
        v = raw.get(key)
        return None if v is None else (base / str(v))

    brands = raw.get("brands", list(Deployment.brands))
    if not isinstance(brands, list) or not all(isinstance(b, str) and b for b in brands):
        raise SettingsError("brands: expected a list of brand names")
    sources = raw.get("sources", list(Deployment.sources))
    if not isinstance(sources, list) or not all(isinstance(s, str) and s for s in sources):
        raise SettingsError("sources: expected a list of source names")
    det = raw.get("detectors") or {}
    if not isinstance(det, dict):
        raise SettingsError("detectors: expected a mapping")
    hook = raw.get("status_webhook_url")
    if hook is not None and not str(hook).startswith(("http://", "https://")):
        raise SettingsError("status_webhook_url: expected an http(s) URL")
    dep = Deployment(
        brands=tuple(b.lower() for b in brands),
        sources=tuple(s.lower() for s in sources),
        timezone=str(raw.get("timezone", Deployment.timezone)),
        monitor=_monitor_config(det),
        escalation=_path("escalation"),
        status=dict(raw.get("status") or {}),
        topics=_path("topics"),
        backlog=dict(raw.get("backlog") or {}),
        status_webhook_url=None if hook is None else str(hook),
        raw=raw,
    )
    validate(dep)
    return dep


def validate(dep: Deployment) -> None:
    """Load every structured part once so a wrong value fails at start, naming its key."""
    from alerts.policy import PolicyError, load_policy
    from alerts.status import load_status_config
    from detectors.backlog import BacklogConfig

    try:
        load_policy(dep.escalation)
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
