"""The escalation policy file as pydantic models (``extra="forbid"``): shapes, types, keys.

:func:`alerts.policy.parse_policy` validates a decoded YAML document with :class:`PolicyFile`
and then checks what spans several keys (the first tier's channel, tier order and names, quiet
windows, silence times in the policy's time zone, routes naming known tiers). :func:`first_error`
turns pydantic's first error into ``key: message`` with the key written as in the file
(``tiers[0].after_minutes``), an unknown key with the keys its section allows.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, time
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictInt,
    StrictStr,
    ValidationError,
)

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
GROUP_ID = re.compile(r"^S[A-Z0-9]{2,}$")
USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")


def _text(v: str) -> str:
    if not v.strip():
        raise ValueError("must be a non-empty string")
    return v.strip()


def _channel(v: str) -> str:
    if any(c.isspace() for c in v):
        raise ValueError("a channel name or id has no spaces")
    return v


def _number(v: Any) -> float:
    if isinstance(v, bool) or not isinstance(v, int | float):
        raise ValueError("must be a number")
    return float(v)


def _at_least(minimum: float) -> Callable[[float], float]:
    def check(v: float) -> float:
        if v < minimum:
            raise ValueError(f"must be >= {minimum:g}")
        return v

    return check


def _listed(v: Any) -> Any:
    return [v] if isinstance(v, str) else v


def _none_is(empty: Any) -> Callable[[Any], Any]:
    return lambda v: type(empty)() if v is None else v


def _clock(v: Any) -> time:
    if not isinstance(v, str):
        raise ValueError('must be a "HH:MM" string')
    try:
        return time.fromisoformat(v)
    except ValueError:
        raise ValueError(f'must be "HH:MM", got {v!r}') from None


def _instant(v: Any) -> datetime:
    """A date-time as written (naive ones are read in the policy's time zone later)."""
    if isinstance(v, datetime):
        return v
    if isinstance(v, str):
        try:
            return datetime.fromisoformat(v.replace("Z", "+00:00"))
        except ValueError:
            raise ValueError(f"must be an ISO 8601 date-time, got {v!r}") from None
    raise ValueError("must be an ISO 8601 date-time")


def _day(v: str) -> str:
    day = v.lower()[:3]
    if day not in DAYS:
        raise ValueError(f"must be one of {list(DAYS)}")
    return day


def _slack_id(pattern: re.Pattern[str]) -> Callable[[str], str]:
    def check(v: str) -> str:
        if not pattern.match(v):
            raise ValueError(f"{v!r} is not a Slack id ({pattern.pattern})")
        return v

    return check


Text = Annotated[StrictStr, AfterValidator(_text)]
Channel = Annotated[Text, AfterValidator(_channel)]
Minutes = Annotated[float, BeforeValidator(_number), AfterValidator(_at_least(0))]
Every = Annotated[float, BeforeValidator(_number), AfterValidator(_at_least(1))]
Severity = Literal["low", "medium", "high", "critical"]
TextList = Annotated[tuple[Text, ...], BeforeValidator(_listed)]
Clock = Annotated[time, BeforeValidator(_clock)]
Instant = Annotated[datetime, BeforeValidator(_instant)]
Day = Annotated[StrictStr, AfterValidator(_day)]
Kind = Literal["volume_surge", "negative_burst", "backlog"]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TierModel(_Section):
    name: Text
    channel: Channel | None = None
    after_minutes: Minutes = 0.0
    at_severity: Severity | None = None
    min_severity: Severity = "low"
    mention: TextList = ()


class RepeatModel(_Section):
    every_minutes: (
        Annotated[float, BeforeValidator(_number), AfterValidator(_at_least(1))] | None
    ) = 30.0
    max_count: Annotated[StrictInt, Field(ge=0)] = 6


class QuietModel(_Section):
    days: Annotated[tuple[Day, ...], BeforeValidator(_listed)] = DAYS
    start: Clock
    end: Clock
    min_severity: Severity = "high"


class SilenceModel(_Section):
    name: Text | None = None  # default: "silence <i>"
    brands: TextList = ("*",)
    kinds: Annotated[tuple[Kind, ...], BeforeValidator(_listed)] = ()
    topics: TextList = ()
    starts_at: Instant
    ends_at: Instant


class RouteModel(_Section):
    brands: TextList
    channels: Annotated[dict[str, Channel], BeforeValidator(_none_is({}))] = Field(
        default_factory=dict
    )
    mentions: Annotated[dict[str, TextList], BeforeValidator(_none_is({}))] = Field(
        default_factory=dict
    )


class PolicyFile(_Section):
    version: Literal[1] = 1
    timezone: Text | None = None  # default: the deployment's timezone
    update_min_seconds: Minutes = 300.0
    group_wait_minutes: Minutes = 0.0
    tiers: list[TierModel] = Field(min_length=1)
    repeat: Annotated[RepeatModel, BeforeValidator(_none_is({}))] = Field(
        default_factory=RepeatModel
    )
    quiet_hours: Annotated[list[QuietModel], BeforeValidator(_none_is([]))] = Field(
        default_factory=list
    )
    silences: Annotated[list[SilenceModel], BeforeValidator(_none_is([]))] = Field(
        default_factory=list
    )
    routes: Annotated[list[RouteModel], BeforeValidator(_none_is([]))] = Field(default_factory=list)
    user_groups: Annotated[
        dict[str, Annotated[StrictStr, AfterValidator(_slack_id(GROUP_ID))]],
        BeforeValidator(_none_is({})),
    ] = Field(default_factory=dict)
    users: Annotated[
        dict[str, Annotated[StrictStr, AfterValidator(_slack_id(USER_ID))]],
        BeforeValidator(_none_is({})),
    ] = Field(default_factory=dict)


# The section model at a location (list indexes left out), for "unknown key (allowed: ...)".
_SECTIONS: dict[tuple[str, ...], type[BaseModel]] = {
    (): PolicyFile,
    ("tiers",): TierModel,
    ("repeat",): RepeatModel,
    ("quiet_hours",): QuietModel,
    ("silences",): SilenceModel,
    ("routes",): RouteModel,
}


def key_of(loc: tuple[int | str, ...]) -> str:
    """``("tiers", 0, "after_minutes")`` -> ``tiers[0].after_minutes``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def first_error(exc: ValidationError) -> tuple[str, str]:
    """(key, message) of pydantic's first error, in the file's words."""
    err = exc.errors()[0]
    loc = tuple(err["loc"])
    if err["type"] == "extra_forbidden":
        section = _SECTIONS.get(tuple(p for p in loc[:-1] if isinstance(p, str)))
        allowed = sorted(section.model_fields) if section else []
        return key_of(loc), f"unknown key (allowed: {allowed})"
    if err["type"] == "value_error":
        return key_of(loc), str(err["ctx"]["error"])
    return key_of(loc), str(err["msg"])
