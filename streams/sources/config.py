"""Source configuration: the top-level ``sources:`` key of the deployment YAML.

Typed pydantic models, ``extra="forbid"``: a misspelt key fails at start and the
message names it. Secrets are never written in the YAML: a connector names the
environment variable that holds each one (``secret_env``, ``token_env``).

Two forms are accepted for ``sources:``:

- the round-1 list of source names (metric labels), ``sources: [x, facebook, web]``:
  no connectors are configured;
- a mapping::

    sources:
      labels: [x, facebook, instagram, chat, web]   # optional; metric labels
      brands:                                        # what counts as a mention of whom
        nordbank:
          names: [Nordbank]
          handles: ["@nordbank"]
          page_ids: ["1001"]          # Facebook page / Instagram account ids
          keywords: []
          exclusions: [Nordbank Arena]
          author_ids: []              # the brand's own accounts (replies by them are replies)
      silence:                        # "mentions stopped arriving" Slack warning
        after_minutes: 60
        min_records_per_day: 24
        slack_channel: "#social-ops"
      connectors:
        news: {kind: rss, url: "https://news.example/feed.xml", channel: web}
        care: {kind: webhook, port: 8090, secret_env: CARE_WEBHOOK_SECRET, mapping: {...}}

See ``docs/sources/`` for the keys of each kind (``docs/sources/example.yaml`` has them all).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from detectors.brandmatch import BrandMatcher, BrandRule

_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
_POINTER = re.compile(r"^(/([^/~]|~[01])*)*$")


class SourceConfigError(ValueError):
    """The ``sources:`` configuration is wrong; the message names the key."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class BrandConfig(_Model):
    names: list[str] = Field(default_factory=list)
    handles: list[str] = Field(default_factory=list)
    page_ids: list[str] = Field(default_factory=list)
    keywords: list[str] = Field(default_factory=list)
    exclusions: list[str] = Field(default_factory=list)
    author_ids: list[str] = Field(default_factory=list)


class SilenceConfig(_Model):
    after_minutes: float = Field(default=60.0, gt=0)
    min_records_per_day: int = Field(default=24, ge=1)
    slack_channel: str | None = None


class _Connector(_Model):
    channel: str = Field(default="web", description="the canonical mention's `source`")
    dedup_size: int = Field(default=5000, ge=100, le=100_000)
    metrics_port: int | None = Field(default=None, ge=0, le=65535)


class _Poller(_Connector):
    poll_seconds: float = Field(default=300.0, gt=0)
    timeout_seconds: float = Field(default=20.0, gt=0)
    max_backoff_seconds: float = Field(default=900.0, gt=0)


class RssConfig(_Poller):
    kind: Literal["rss"]
    url: str
    user_agent: str = "spikewatch (+https://github.com/spikewatch)"

    @field_validator("url")
    @classmethod
    def _url(cls, v: str) -> str:
        if not v.startswith(("http://", "https://")):
            raise ValueError("expected an http(s) URL")
        return v


class WebhookMapping(_Model):
    """JSON pointers (RFC 6901) into the posted object, one per canonical field."""

    id: str
    text: str
    created_at: str
    author_id: str | None = None
    author_name: str | None = None
    in_reply_to: str | None = None
    url: str | None = None
    lang: str | None = None
    brand: str | None = Field(default=None, description="a pointer to an explicit brand key")
    items: str = Field(default="", description="pointer to a list of records; '' = the body")

    @field_validator("*")
    @classmethod
    def _pointer(cls, v: str | None) -> str | None:
        if v is not None and not _POINTER.match(v):
            raise ValueError(f"not a JSON pointer: {v!r} (e.g. /ticket/id)")
        return v


class _Listener(_Connector):
    host: str = "127.0.0.1"
    port: int = Field(default=8090, ge=0, le=65535)
    path: str = "/"
    max_body_bytes: int = Field(default=1_000_000, ge=1024)


class WebhookConfig(_Listener):
    kind: Literal["webhook"]
    channel: str = "chat"
    secret_env: str = Field(description="environment variable holding the HMAC secret")
    signature_header: str = "X-Signature-256"
    signature_prefix: str = "sha256="
    signature_encoding: Literal["hex", "base64"] = "hex"
    mapping: WebhookMapping


class MetaConfig(_Listener):
    kind: Literal["meta"]
    channel: str = "facebook"
    secret_env: str = Field(default="META_APP_SECRET", description="the app secret")
    verify_token_env: str = "META_VERIFY_TOKEN"  # noqa: S105 (the variable's name, not a secret)
    access_token_env: str = "META_ACCESS_TOKEN"  # noqa: S105 (the variable's name, not a secret)
    graph_url: str = "https://graph.facebook.com/v21.0"
    page_ids: list[str] = Field(default_factory=list, description="pages to backfill")
    instagram_channel: str = "instagram"
    timeout_seconds: float = Field(default=20.0, gt=0)
    max_backoff_seconds: float = Field(default=900.0, gt=0)
    rate_limit_seconds: float = Field(
        default=300.0, gt=0, description="wait after a Graph rate-limit error without a time"
    )


class AppStoreConfig(_Poller):
    kind: Literal["appstore"]
    channel: str = "appstore"
    app_id: str = Field(pattern=r"^[0-9]{1,20}$")
    brand: str = Field(description="the brand whose app this is (reviews rarely name it)")
    countries: list[str] = Field(default_factory=lambda: ["fi"], min_length=1)
    pages: int = Field(default=10, ge=1, le=10, description="the feed serves 10 pages of 50")
    base_url: str = "https://itunes.apple.com"
    poll_seconds: float = Field(default=900.0, gt=0)


class RedditConfig(_Poller):
    kind: Literal["reddit"]
    channel: str = "reddit"
    query: str | None = Field(default=None, description="search for new posts")
    subreddits: list[str] = Field(default_factory=list, description="new comments of these")
    client_id_env: str = "REDDIT_CLIENT_ID"
    client_secret_env: str = "REDDIT_CLIENT_SECRET"  # noqa: S105 (the variable's name)
    user_agent: str = "linux:spikewatch:0.1 (by /u/spikewatch)"
    auth_url: str = "https://www.reddit.com/api/v1/access_token"
    api_url: str = "https://oauth.reddit.com"
    max_pages: int = Field(default=5, ge=1, le=10)
    poll_seconds: float = Field(default=60.0, gt=0)


class MastodonConfig(_Connector):
    kind: Literal["mastodon"]
    channel: str = "mastodon"
    base_url: str = Field(description="the instance, e.g. https://mastodon.social")
    hashtags: list[str] = Field(min_length=1, description="followed live, without the #")
    token_env: str = "MASTODON_TOKEN"  # noqa: S105 (the variable's name)
    timeout_seconds: float = Field(default=30.0, gt=0)
    max_backoff_seconds: float = Field(default=300.0, gt=0)

    @field_validator("hashtags")
    @classmethod
    def _tags(cls, v: list[str]) -> list[str]:
        return [t.lstrip("#") for t in v]


class XConfig(_Connector):
    kind: Literal["x"]
    channel: str = "x"
    rules: dict[str, str] = Field(
        min_length=1,
        description="stream rules, tag -> query (e.g. nordbank: 'Nordbank OR @nordbank')",
    )
    token_env: str = "X_BEARER_TOKEN"  # noqa: S105 (the variable's name)
    api_url: str = "https://api.x.com"
    timeout_seconds: float = Field(default=30.0, gt=0)
    max_backoff_seconds: float = Field(default=900.0, gt=0)

    @field_validator("rules")
    @classmethod
    def _rules(cls, v: dict[str, str]) -> dict[str, str]:
        for tag, q in v.items():
            if not q.strip() or len(q) > 1024:
                raise ValueError(f"rule {tag!r}: a query of 1 to 1024 characters")
        return v


class BlueskyConfig(_Connector):
    kind: Literal["bluesky"]
    channel: str = "bluesky"
    url: str = "wss://jetstream2.us-east.bsky.network"
    dids: list[str] = Field(
        default_factory=list, description="only these accounts (empty = every post; matched here)"
    )
    timeout_seconds: float = Field(default=20.0, gt=0)
    max_backoff_seconds: float = Field(default=300.0, gt=0)


ConnectorConfig = Annotated[
    RssConfig
    | WebhookConfig
    | MetaConfig
    | AppStoreConfig
    | RedditConfig
    | MastodonConfig
    | XConfig
    | BlueskyConfig,
    Field(discriminator="kind"),
]


class SourcesConfig(_Model):
    labels: list[str] | None = None
    brands: dict[str, BrandConfig] = Field(default_factory=dict)
    silence: SilenceConfig = Field(default_factory=SilenceConfig)
    connectors: dict[str, ConnectorConfig] = Field(default_factory=dict)

    @field_validator("connectors", "brands")
    @classmethod
    def _names(cls, v: dict[str, Any]) -> dict[str, Any]:
        for k in v:
            if not _NAME.match(k):
                raise ValueError(f"{k!r}: names are lower-case letters, digits, - and _")
        return v

    def matcher(self) -> BrandMatcher:
        try:
            return BrandMatcher(
                [
                    BrandRule(
                        b,
                        names=tuple(c.names),
                        handles=tuple(c.handles),
                        page_ids=tuple(c.page_ids),
                        keywords=tuple(c.keywords),
                        exclusions=tuple(c.exclusions),
                        author_ids=tuple(c.author_ids),
                    )
                    for b, c in self.brands.items()
                ]
            )
        except ValueError as exc:
            raise SourceConfigError(f"sources.brands: {exc}") from None

    def label_names(self) -> list[str]:
        """The metric label set for ``source``: ``labels``, else the connectors' channels."""
        if self.labels is not None:
            return list(self.labels)
        out: list[str] = []
        for c in self.connectors.values():
            for ch in (c.channel, getattr(c, "instagram_channel", None)):
                if ch and ch not in out:
                    out.append(ch)
        return out


def parse_sources(raw: Any) -> SourcesConfig:
    """The ``sources:`` value (list, mapping or absent) as a :class:`SourcesConfig`."""
    if raw is None:
        return SourcesConfig()
    if isinstance(raw, list):
        return SourcesConfig(labels=[str(x) for x in raw])
    if not isinstance(raw, dict):
        raise SourceConfigError("sources: expected a list of names or a mapping")
    try:
        cfg = SourcesConfig.model_validate(raw)
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            loc = ".".join(str(x) for x in err["loc"])
            lines.append(f"sources.{loc}: {err['msg']}")
        raise SourceConfigError("invalid source settings:\n  " + "\n  ".join(lines)) from None
    cfg.matcher()
    return cfg


def load_sources(path: Path | str | None) -> SourcesConfig:
    """Read ``sources:`` from the deployment YAML (``None`` = nothing configured)."""
    if path is None:
        return SourcesConfig()
    p = Path(path)
    try:
        raw = yaml.safe_load(p.read_text(encoding="utf-8")) or {}
    except OSError as exc:
        raise SourceConfigError(f"SPIKEWATCH_CONFIG: cannot read {p}: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise SourceConfigError(f"SPIKEWATCH_CONFIG: {p} is not valid YAML: {exc}") from None
    if not isinstance(raw, dict):
        raise SourceConfigError(f"SPIKEWATCH_CONFIG: {p} must hold a mapping")
    return parse_sources(raw.get("sources"))
