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

:func:`load_policy` raises :class:`PolicyError` whose message names the key; the file's
shape is the pydantic model :class:`alerts.policy_file.PolicyFile` (``extra="forbid"``).

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
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, time
from importlib import resources
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import ValidationError

from alerts.policy_file import DAYS, PolicyFile, first_error
from detectors.signals import SEVERITIES


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


def _people(m: PolicyFile) -> dict[str, str]:
    """``user_groups`` (name -> S…) and ``users`` (name -> U…) as ping texts by "@name"."""
    out = {"@" + name.lstrip("@"): f"<!subteam^{ident}>" for name, ident in m.user_groups.items()}
    out.update({"@" + name.lstrip("@"): f"<@{ident}>" for name, ident in m.users.items()})
    return out


def _pings(mentions: tuple[str, ...], people: dict[str, str]) -> tuple[str, ...]:
    """``@name`` -> the configured ``<!subteam^S…>`` / ``<@U…>``; other text as written.

    A plain ``@name`` pings nobody in Slack: name it in ``user_groups`` or ``users``.
    """
    return tuple(people.get(m, m) for m in mentions)


def _timestamp(dt: datetime, tz: ZoneInfo) -> float:
    return (dt if dt.tzinfo is not None else dt.replace(tzinfo=tz)).astimezone(UTC).timestamp()


def parse_policy(raw: Any, default_timezone: str = "Europe/Helsinki") -> Policy:
    """Validate a decoded YAML document into a :class:`Policy`.

    The file's shape, types and keys are :class:`alerts.policy_file.PolicyFile`'s;
    what spans several keys is checked here. ``default_timezone`` (the deployment's
    top-level ``timezone``) applies when the policy file sets none of its own.
    """
    if not isinstance(raw, dict):
        raise _fail("policy", "must be a mapping")
    try:
        m = PolicyFile.model_validate(raw)
    except ValidationError as exc:
        raise _fail(*first_error(exc)) from None
    tz_name = m.timezone or default_timezone
    try:
        tz = ZoneInfo(tz_name)
    except (ZoneInfoNotFoundError, ValueError):
        raise _fail("timezone", f"unknown time zone {tz_name!r}") from None

    people = _people(m)
    tiers = tuple(
        Tier(
            name=t.name,
            channel=t.channel,
            after_minutes=t.after_minutes,
            at_severity=t.at_severity,
            min_severity=t.min_severity,
            mention=_pings(t.mention, people),
        )
        for t in m.tiers
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

    quiet: list[QuietHours] = []
    for i, q in enumerate(m.quiet_hours):
        if q.start == q.end:
            raise _fail(f"quiet_hours[{i}].end", "must differ from start")
        quiet.append(QuietHours(q.days, q.start, q.end, q.min_severity))

    silences: list[Silence] = []
    for i, sm in enumerate(m.silences):
        start_ts, end_ts = _timestamp(sm.starts_at, tz), _timestamp(sm.ends_at, tz)
        if end_ts <= start_ts:
            raise _fail(f"silences[{i}].ends_at", "must be after starts_at")
        name = sm.name if sm.name is not None else f"silence {i}"
        silences.append(Silence(name, start_ts, end_ts, sm.brands, sm.kinds, sm.topics))

    routes: list[Route] = []
    for i, r in enumerate(m.routes):
        for tname in list(r.channels) + list(r.mentions):
            if tname not in names:
                raise _fail(f"routes[{i}]", f"unknown tier {tname!r} (tiers: {names})")
        pings = {k: _pings(v, people) for k, v in r.mentions.items()}
        routes.append(Route(brands=r.brands, channels=dict(r.channels), mentions=pings))

    return Policy(
        tiers=tiers,
        timezone=tz_name,
        update_min_seconds=m.update_min_seconds,
        group_wait_minutes=m.group_wait_minutes,
        repeat_every_minutes=m.repeat.every_minutes,
        repeat_max_count=m.repeat.max_count,
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
