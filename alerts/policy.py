"""Escalation policy: a YAML file per deployment, validated on start.

The schema (every key optional except ``tiers``; see ``alerts/data/escalation.yaml``)::

    version: 1
    timezone: Europe/Helsinki          # quiet hours, chart; default: the deployment's timezone
    update_min_seconds: 300            # refresh an open message at most this often
    group_wait_minutes: 5              # wait this long after an incident opens before its
                                       # first post, gathering its signals (Alertmanager's
                                       # group_wait); critical incidents post at once
    tiers:                             # in order; the first tier's channel is the primary
      - name: care
        channel: "#somecare-alerts"    # a tier with a channel posts its own message there
        after_minutes: 0
      - name: comms_lead
        after_minutes: 15              # ...if still unacknowledged
        mention: ["<@U0123>"]          # no channel: a reply with mentions in the primary thread
      - name: crisis
        channel: "#crisis-room"
        after_minutes: 30
        at_severity: high              # ...or at once at this severity, even if acknowledged
        min_severity: low
    repeat: {every_minutes: 30, max_count: 6}   # reminders while unacknowledged
    quiet_hours:
      - {days: [mon, tue, wed, thu, fri], start: "22:00", end: "07:00", min_severity: high}
    silences:                          # maintenance windows
      - {name: "online bank upgrade", brands: [nordbank], kinds: [volume_surge],
         starts_at: "2026-03-07T20:00:00+02:00", ends_at: "2026-03-08T02:00:00+02:00"}
    user_groups: {comms-lead: S0123ABC}  # "@comms-lead" in a mention pings <!subteam^S0123ABC>
    users: {aino: U0AINO}              # "@aino" pings <@U0AINO>
    routes:                            # per-brand routing (fnmatch patterns)
      - {brands: ["nordbank"], channels: {care: "#nordbank-care"},
         mentions: {comms_lead: ["<@U9>"]}}

:func:`load_policy` raises :class:`PolicyError` whose message names the key.

Examples
--------
>>> p = load_policy()
>>> p.tiers[0].channel is not None
True
>>> parse_policy({"tiers": [{"name": "a", "channel": "#x", "after_minutes": -1}]})
Traceback (most recent call last):
...
alerts.policy.PolicyError: tiers[0].after_minutes: must be >= 0
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, time
from importlib import resources
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from detectors.signals import KINDS, SEVERITIES

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_SEV = SEVERITIES[1:]


class PolicyError(ValueError):
    """The escalation policy is invalid; the message starts with the offending key."""


@dataclass(frozen=True, slots=True)
class Tier:
    """One escalation step."""

    name: str
    channel: str | None = None
    after_minutes: float = 0.0
    at_severity: str | None = None
    min_severity: str = "low"
    mention: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class QuietHours:
    """A daily local-time window in which only ``min_severity`` and above notify."""

    days: tuple[str, ...]
    start: time
    end: time
    min_severity: str = "high"

    def contains(self, local: datetime) -> bool:
        """True if ``local`` (aware, policy time zone) falls in the window."""
        t = local.time().replace(tzinfo=None)
        day = DAYS[local.weekday()]
        if self.start <= self.end:
            return day in self.days and self.start <= t < self.end
        # over midnight: the part after midnight belongs to the previous day's window
        if t >= self.start:
            return day in self.days
        if t < self.end:
            return DAYS[(local.weekday() - 1) % 7] in self.days
        return False


@dataclass(frozen=True, slots=True)
class Silence:
    """A maintenance window or silence: matching incidents do not notify."""

    name: str
    starts_at: float
    ends_at: float
    brands: tuple[str, ...] = ("*",)
    kinds: tuple[str, ...] = ()
    topics: tuple[str, ...] = ()

    def matches(self, brand: str, kind: str, topic: str | None, now: float) -> bool:
        if not self.starts_at <= now < self.ends_at:
            return False
        if not any(fnmatch.fnmatchcase(brand, b) for b in self.brands):
            return False
        if self.kinds and kind not in self.kinds:
            return False
        return not self.topics or (topic is not None and topic in self.topics)


@dataclass(frozen=True, slots=True)
class Route:
    """Per-brand overrides of tier channels and mentions."""

    brands: tuple[str, ...]
    channels: dict[str, str] = field(default_factory=dict)
    mentions: dict[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Policy:
    """A validated escalation policy."""

    tiers: tuple[Tier, ...]
    timezone: str = "Europe/Helsinki"
    update_min_seconds: float = 300.0
    group_wait_minutes: float = 0.0
    repeat_every_minutes: float | None = 30.0
    repeat_max_count: int = 6
    quiet_hours: tuple[QuietHours, ...] = ()
    silences: tuple[Silence, ...] = ()
    routes: tuple[Route, ...] = ()
    # spikewatch's own Slack text: the deployment's ``slack.language`` and per-channel
    # overrides (streams/config.py); the escalation file itself does not set them.
    language: str = "en"
    channel_languages: dict[str, str] = field(default_factory=dict)

    def language_for(self, channel: str | None) -> str:
        """The language (fi, en, sv) of what spikewatch writes in ``channel``."""
        if channel:
            for name in (channel, channel.lstrip("#"), "#" + channel.lstrip("#")):
                if name in self.channel_languages:
                    return self.channel_languages[name]
        return self.language

    def tiers_for(self, brand: str) -> tuple[Tier, ...]:
        """Tiers with the first matching route's channels and mentions applied."""
        for route in self.routes:
            if any(fnmatch.fnmatchcase(brand, b) for b in route.brands):
                return tuple(
                    Tier(
                        name=t.name,
                        channel=route.channels.get(t.name, t.channel),
                        after_minutes=t.after_minutes,
                        at_severity=t.at_severity,
                        min_severity=t.min_severity,
                        mention=route.mentions.get(t.name, t.mention),
                    )
                    for t in self.tiers
                )
        return self.tiers

    def primary_channel(self, brand: str) -> str:
        """The first tier's channel: where the incident thread lives."""
        ch = self.tiers_for(brand)[0].channel
        assert ch is not None  # validated
        return ch

    def silence_for(self, brand: str, kind: str, topic: str | None, now: float) -> Silence | None:
        for s in self.silences:
            if s.matches(brand, kind, topic, now):
                return s
        return None

    def quiet_min_severity(self, now: float) -> str | None:
        """The strictest ``min_severity`` of the quiet-hours windows active at ``now``."""
        local = datetime.fromtimestamp(now, tz=ZoneInfo(self.timezone))
        active = [q.min_severity for q in self.quiet_hours if q.contains(local)]
        if not active:
            return None
        return max(active, key=SEVERITIES.index)


# -- parsing ---------------------------------------------------------------


def _fail(key: str, msg: str) -> PolicyError:
    return PolicyError(f"{key}: {msg}")


def _mapping(v: Any, key: str) -> dict[str, Any]:
    if not isinstance(v, dict):
        raise _fail(key, "must be a mapping")
    return v


def _check_keys(d: dict[str, Any], key: str, allowed: set[str]) -> None:
    for k in d:
        if k not in allowed:
            where = f"{key}.{k}" if key else str(k)
            raise _fail(where, f"unknown key (allowed: {sorted(allowed)})")


def _str(v: Any, key: str, *, optional: bool = False) -> str | None:
    if v is None and optional:
        return None
    if not isinstance(v, str) or not v.strip():
        raise _fail(key, "must be a non-empty string")
    return v.strip()


def _req_str(v: Any, key: str) -> str:
    s = _str(v, key)
    assert s is not None
    return s


def _num(v: Any, key: str, *, minimum: float = 0.0) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise _fail(key, "must be a number")
    if v < minimum:
        raise _fail(key, f"must be >= {minimum:g}")
    return float(v)


def _severity(v: Any, key: str) -> str:
    if v not in _SEV:
        raise _fail(key, f"must be one of {list(_SEV)}, got {v!r}")
    return str(v)


def _str_list(v: Any, key: str) -> tuple[str, ...]:
    if isinstance(v, str):
        v = [v]
    if not isinstance(v, list):
        raise _fail(key, "must be a list of strings")
    return tuple(_req_str(x, f"{key}[{i}]") for i, x in enumerate(v))


def _channel(v: Any, key: str) -> str:
    s = _req_str(v, key)
    if any(c.isspace() for c in s):
        raise _fail(key, "a channel name or id has no spaces")
    return s


def _clock(v: Any, key: str) -> time:
    if not isinstance(v, str):
        raise _fail(key, 'must be a "HH:MM" string')
    try:
        return time.fromisoformat(v)
    except ValueError:
        raise _fail(key, f'must be "HH:MM", got {v!r}') from None


def _instant(v: Any, key: str, tz: ZoneInfo) -> float:
    if isinstance(v, datetime):
        dt = v
    elif isinstance(v, str):
        try:
            dt = datetime.fromisoformat(v.replace("Z", "+00:00"))
        except ValueError:
            raise _fail(key, f"must be an ISO 8601 date-time, got {v!r}") from None
    else:
        raise _fail(key, "must be an ISO 8601 date-time")
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=tz)
    return dt.astimezone(UTC).timestamp()


def _tier(raw: Any, key: str) -> Tier:
    d = _mapping(raw, key)
    _check_keys(
        d, key, {"name", "channel", "after_minutes", "at_severity", "min_severity", "mention"}
    )
    return Tier(
        name=_req_str(d.get("name"), f"{key}.name"),
        channel=None if d.get("channel") is None else _channel(d["channel"], f"{key}.channel"),
        after_minutes=_num(d.get("after_minutes", 0), f"{key}.after_minutes"),
        at_severity=None
        if d.get("at_severity") is None
        else _severity(d["at_severity"], f"{key}.at_severity"),
        min_severity=_severity(d.get("min_severity", "low"), f"{key}.min_severity"),
        mention=_str_list(d.get("mention", []), f"{key}.mention"),
    )


_GROUP_ID = re.compile(r"^S[A-Z0-9]{2,}$")
_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")


def _people(d: Mapping[str, Any]) -> dict[str, str]:
    """``user_groups`` (name -> S…) and ``users`` (name -> U…) as ping texts by "@name"."""
    out: dict[str, str] = {}
    for section, pattern, fmt in (
        ("user_groups", _GROUP_ID, "<!subteam^{}>"),
        ("users", _USER_ID, "<@{}>"),
    ):
        for name, ident in _mapping(d.get(section, {}) or {}, section).items():
            if not isinstance(ident, str) or not pattern.match(ident):
                raise _fail(f"{section}.{name}", f"{ident!r} is not a Slack id ({pattern.pattern})")
            out["@" + str(name).lstrip("@")] = fmt.format(ident)
    return out


def _pings(mentions: tuple[str, ...], people: dict[str, str], key: str) -> tuple[str, ...]:
    """``@name`` -> the configured ``<!subteam^S…>`` / ``<@U…>``; other text as written.

    A plain ``@name`` pings nobody in Slack: name it in ``user_groups`` or ``users``.
    """
    return tuple(people.get(m, m) for m in mentions)


def parse_policy(raw: Any, default_timezone: str = "Europe/Helsinki") -> Policy:
    """Validate a decoded YAML document into a :class:`Policy`.

    ``default_timezone`` (the deployment's top-level ``timezone``) applies when the
    policy file sets none of its own.
    """
    d = _mapping(raw, "policy")
    _check_keys(
        d,
        "",
        {
            "version",
            "timezone",
            "update_min_seconds",
            "group_wait_minutes",
            "tiers",
            "repeat",
            "quiet_hours",
            "silences",
            "routes",
            "user_groups",
            "users",
        },
    )
    if d.get("version", 1) != 1:
        raise _fail("version", "only version 1 is supported")
    tz_name = _req_str(d.get("timezone", default_timezone), "timezone")
    try:
        tz = ZoneInfo(tz_name)
    except (ZoneInfoNotFoundError, ValueError):
        raise _fail("timezone", f"unknown time zone {tz_name!r}") from None

    raw_tiers = d.get("tiers")
    if not isinstance(raw_tiers, list) or not raw_tiers:
        raise _fail("tiers", "must be a non-empty list")
    people = _people(d)
    parsed = [_tier(t, f"tiers[{i}]") for i, t in enumerate(raw_tiers)]
    tiers = tuple(
        replace(t, mention=_pings(t.mention, people, f"tiers[{i}].mention"))
        for i, t in enumerate(parsed)
    )
    if tiers[0].channel is None:
        raise _fail("tiers[0].channel", "the first tier needs a channel (the primary)")
    names = [t.name for t in tiers]
    for i, n in enumerate(names):
        if n in names[:i]:
            raise _fail(f"tiers[{i}].name", f"duplicate tier name {n!r}")
    for i in range(1, len(tiers)):
        if tiers[i].after_minutes < tiers[i - 1].after_minutes:
            raise _fail(f"tiers[{i}].after_minutes", "tiers must be in escalation order")

    repeat = _mapping(d.get("repeat", {}) or {}, "repeat")
    _check_keys(repeat, "repeat", {"every_minutes", "max_count"})
    every = repeat.get("every_minutes", 30)
    every_f = None if every is None else _num(every, "repeat.every_minutes", minimum=1)
    max_count = repeat.get("max_count", 6)
    if isinstance(max_count, bool) or not isinstance(max_count, int) or max_count < 0:
        raise _fail("repeat.max_count", "must be an integer >= 0")

    quiet: list[QuietHours] = []
    for i, q in enumerate(d.get("quiet_hours") or []):
        key = f"quiet_hours[{i}]"
        qd = _mapping(q, key)
        _check_keys(qd, key, {"days", "start", "end", "min_severity"})
        days = tuple(x.lower()[:3] for x in _str_list(qd.get("days", list(DAYS)), f"{key}.days"))
        for j, day in enumerate(days):
            if day not in DAYS:
                raise _fail(f"{key}.days[{j}]", f"must be one of {list(DAYS)}")
        start = _clock(qd.get("start"), f"{key}.start")
        end = _clock(qd.get("end"), f"{key}.end")
        if start == end:
            raise _fail(f"{key}.end", "must differ from start")
        quiet.append(
            QuietHours(
                days, start, end, _severity(qd.get("min_severity", "high"), f"{key}.min_severity")
            )
        )

    silences: list[Silence] = []
    for i, s in enumerate(d.get("silences") or []):
        key = f"silences[{i}]"
        sd = _mapping(s, key)
        _check_keys(sd, key, {"name", "brands", "kinds", "topics", "starts_at", "ends_at"})
        kinds = _str_list(sd.get("kinds", []), f"{key}.kinds")
        for j, k in enumerate(kinds):
            if k not in KINDS:
                raise _fail(f"{key}.kinds[{j}]", f"must be one of {list(KINDS)}")
        start_ts = _instant(sd.get("starts_at"), f"{key}.starts_at", tz)
        end_ts = _instant(sd.get("ends_at"), f"{key}.ends_at", tz)
        if end_ts <= start_ts:
            raise _fail(f"{key}.ends_at", "must be after starts_at")
        silences.append(
            Silence(
                name=_req_str(sd.get("name", f"silence {i}"), f"{key}.name"),
                starts_at=start_ts,
                ends_at=end_ts,
                brands=_str_list(sd.get("brands", ["*"]), f"{key}.brands"),
                kinds=kinds,
                topics=_str_list(sd.get("topics", []), f"{key}.topics"),
            )
        )

    routes: list[Route] = []
    for i, r in enumerate(d.get("routes") or []):
        key = f"routes[{i}]"
        rd = _mapping(r, key)
        _check_keys(rd, key, {"brands", "channels", "mentions"})
        chans = _mapping(rd.get("channels", {}) or {}, f"{key}.channels")
        ments = _mapping(rd.get("mentions", {}) or {}, f"{key}.mentions")
        for tname in list(chans) + list(ments):
            if tname not in names:
                raise _fail(f"{key}", f"unknown tier {tname!r} (tiers: {names})")
        routes.append(
            Route(
                brands=_str_list(rd.get("brands"), f"{key}.brands"),
                channels={str(k): _channel(v, f"{key}.channels.{k}") for k, v in chans.items()},
                mentions={
                    str(k): _pings(
                        _str_list(v, f"{key}.mentions.{k}"), people, f"{key}.mentions.{k}"
                    )
                    for k, v in ments.items()
                },
            )
        )

    return Policy(
        tiers=tiers,
        timezone=tz_name,
        update_min_seconds=_num(d.get("update_min_seconds", 300), "update_min_seconds"),
        group_wait_minutes=_num(d.get("group_wait_minutes", 0), "group_wait_minutes"),
        repeat_every_minutes=every_f,
        repeat_max_count=max_count,
        quiet_hours=tuple(quiet),
        silences=tuple(silences),
        routes=tuple(routes),
    )


def load_policy(
    path: str | Path | None = None,
    *,
    default_timezone: str = "Europe/Helsinki",
    language: str = "en",
    channel_languages: Mapping[str, str] | None = None,
) -> Policy:
    """Read and validate a policy file; ``None`` loads the packaged default.

    The policy's time zone (quiet hours, the chart's time axis) is its own ``timezone``
    if it sets one, else ``default_timezone`` (the deployment's top-level setting).
    ``language`` and ``channel_languages`` (the deployment's ``slack`` section) choose
    the language of the Slack text per channel.
    """
    if path is None:
        text = resources.files("alerts").joinpath("data/escalation.yaml").read_text("utf-8")
        where = "alerts/data/escalation.yaml"
    else:
        where = str(path)
        try:
            text = Path(path).read_text("utf-8")
        except OSError as e:
            raise PolicyError(f"{where}: cannot read ({e.strerror})") from None
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as e:
        raise PolicyError(f"{where}: not valid YAML ({e})") from None
    try:
        policy = parse_policy(raw, default_timezone)
    except PolicyError as e:
        raise PolicyError(f"{where}: {e}") from None
    return replace(policy, language=language, channel_languages=dict(channel_languages or {}))
