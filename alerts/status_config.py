"""The deployment's ``status`` settings: YAML -> :class:`~alerts.status_records.StatusConfig`.

:class:`StatusFile` is the section as a pydantic model (``extra="forbid"``; a key not given is
``None`` and keeps :class:`StatusConfig`'s default, mappings merge over the defaults);
:func:`load_status_config` checks what spans keys (a topic's service must exist) and builds the
config. Every error names the setting (``status.cadence_minutes.high: must be ...``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    StrictInt,
    StrictStr,
    ValidationError,
)

from alerts.status_records import CHANNELS, TOPICS, StatusConfig
from alerts.templating import LANGS, Forms


def _zone(v: str) -> str:
    try:
        ZoneInfo(v)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {v!r}") from None
    return v


def _positive(v: int) -> int:
    if v <= 0:
        raise ValueError(f"must be a positive integer, got {v!r}")
    return v


def _lang(v: Any) -> str:
    if v not in LANGS:
        raise ValueError(f"unknown language {v!r}; known: {list(LANGS)}")
    return str(v)


def _langs(v: Any) -> tuple[str, ...]:
    if isinstance(v, str) or not isinstance(v, list | tuple) or not v:
        raise ValueError("must be a non-empty list such as [fi, en, sv]")
    return tuple(_lang(x) for x in v)


def _forms(v: Any) -> dict[str, str]:
    if isinstance(v, str):
        return {"nominative": v}
    if not isinstance(v, Mapping):
        raise ValueError(f"must be a mapping, got {type(v).__name__}")
    table = {str(k): str(x) for k, x in v.items()}
    Forms.from_mapping(Forms.plain(""), table)  # ValueError on an unknown form name
    return table


def _service(v: dict[str, Any]) -> dict[str, Any]:
    entry = {lang: x if lang == "en" and isinstance(x, str) else _forms(x) for lang, x in v.items()}
    missing = [x for x in LANGS if x not in entry]
    if missing:
        raise ValueError(f"missing language(s) {missing}")
    if "nominative" not in entry["fi"]:
        raise ValueError("fi needs at least 'nominative'")
    return entry


def _one_of(allowed: tuple[str, ...], what: str) -> Callable[[Any], str]:
    def check(v: Any) -> str:
        if v not in allowed:
            raise ValueError(f"unknown {what} {v!r}; known: {allowed}")
        return str(v)

    return check


def _url(v: str) -> str:
    if not re.match(r"^https?://\S+$", v):
        raise ValueError("must be an http(s) URL")
    return v


def _directory(v: str) -> str:
    if not Path(v).is_dir():
        raise ValueError(f"not a directory: {v!r}")
    return v


def _at_most_60(v: int) -> int:
    if v > 60:
        raise ValueError("must be at most 60")
    return v


PosInt = Annotated[StrictInt, AfterValidator(_positive)]
Lang = Annotated[StrictStr, AfterValidator(_lang)]
Url = Annotated[StrictStr, AfterValidator(_url)]
FormsTable = Annotated[Any, AfterValidator(_forms)]
Topic = Annotated[StrictStr, AfterValidator(_one_of(TOPICS, "topic"))]
Channel = Annotated[StrictStr, AfterValidator(_one_of(CHANNELS, "channel"))]
Lower = Annotated[str, AfterValidator(str.lower)]


class StatusFile(BaseModel):
    """The ``status`` section as written; ``None`` = not given (the default stays)."""

    model_config = ConfigDict(extra="forbid")

    timezone: Annotated[StrictStr, AfterValidator(_zone)] | None = None
    languages: Annotated[Any, AfterValidator(_langs)] | None = None
    cadence_minutes: dict[str, PosInt] | None = None
    default_cadence_minutes: PosInt | None = None
    round_to_minutes: Annotated[PosInt, AfterValidator(_at_most_60)] | None = None
    remind_before_minutes: PosInt | None = None
    brand_forms: dict[Lower, dict[Lang, FormsTable]] | None = None
    services: dict[str, Annotated[dict[Lang, Any], AfterValidator(_service)]] | None = None
    topic_services: dict[Topic, StrictStr] | None = None
    channel_labels: dict[str, dict[Lang, Annotated[Any, BeforeValidator(str)]]] | None = None
    topic_aliases: dict[str, Topic] | None = None
    link: Url | None = None
    brand_links: dict[Lower, Url] | None = None
    length_limits: dict[Channel, PosInt] | None = None
    templates_dir: Annotated[StrictStr, AfterValidator(_directory)] | None = None


def _key(loc: tuple[int | str, ...]) -> str:
    parts = [f"[{p}]" if isinstance(p, int) else str(p) for p in loc if p != "[key]"]
    return ".".join(["status", *parts]).replace(".[", "[")


def _error(exc: ValidationError) -> ValueError:
    err = exc.errors()[0]
    loc = tuple(err["loc"])
    if err["type"] == "extra_forbidden":
        known = sorted(StatusFile.model_fields)
        return ValueError(f"status: unknown setting(s) {[loc[0]]}; known: {known}")
    msg = str(err["ctx"]["error"]) if err["type"] == "value_error" else str(err["msg"])
    return ValueError(f"{_key(loc)}: {msg}")


def load_status_config(d: Mapping[str, Any] | None) -> StatusConfig:
    """Build a :class:`StatusConfig` from the deployment YAML's ``status`` section.

    Every error names the setting (``status.cadence_minutes.high: must be ...``).

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
    if not isinstance(d, Mapping):
        raise ValueError(f"status must be a mapping, got {type(d).__name__}")
    try:
        m = StatusFile.model_validate(dict(d))
    except ValidationError as exc:
        raise _error(exc) from None
    base = StatusConfig()
    given = {k: v for k, v in m.model_dump().items() if v is not None}
    merged = ("cadence_minutes", "services", "topic_services", "channel_labels", "topic_aliases")
    for name in (*merged, "length_limits"):
        if name in given:
            given[name] = {**getattr(base, name), **given[name]}
    services = given.get("services", base.services)
    for topic, key in (m.topic_services or {}).items():
        if key not in services:
            raise ValueError(f"status.topic_services.{topic}: unknown service {key!r}")
    return StatusConfig(**given)
