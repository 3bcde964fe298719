"""Slack interactivity: verify a button click and turn it into an incident command.

Pure: the HTTP endpoint (in streams/) hands over the headers, the raw body and
the time it received the request, answers 200 at once (Slack wants an answer
within 3 seconds) and publishes the :class:`~alerts.incidents.Command` on the
``incident.commands`` topic. Forged or stale requests raise
:class:`Unauthorized` (answer 401); well-signed but unusable ones raise
:class:`BadRequest` (answer 400).

Examples
--------
>>> import json, urllib.parse
>>> from slack_sdk.signature import SignatureVerifier
>>> payload = {"type": "block_actions", "user": {"id": "U1"},
...            "actions": [{"action_id": "spikewatch_ack", "value": "inc-nb~volume_surge~1"}]}
>>> body = urllib.parse.urlencode({"payload": json.dumps(payload)}).encode()
>>> sig = SignatureVerifier("s3cret").generate_signature(timestamp="1000", body=body)
>>> headers = {"X-Slack-Request-Timestamp": "1000", "X-Slack-Signature": sig}
>>> parse_interaction(headers, body, "s3cret", now=1010.0)
Command(action='ack', incident_id='inc-nb~volume_surge~1', user='U1', ts=1010.0, minutes=None)
>>> parse_interaction(headers, body, "s3cret", now=2000.0)
Traceback (most recent call last):
...
alerts.interactivity.Unauthorized: stale_request
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

from slack_sdk.signature import Clock, SignatureVerifier

from alerts.incidents import Command, incident_owner
from alerts.slack_blocks import (
    ACTION_ACK,
    ACTION_FIX,
    ACTION_IDENTIFY,
    ACTION_RESOLVE,
    ACTION_SNOOZE,
)
from alerts.status_blocks import (
    ACTION_APPROVE,
    ACTION_EDIT,
    MODAL_CALLBACK,
    ActionRef,
    modal_submission,
)

MAX_AGE_SECONDS = 300  # Slack's rule: refuse requests older than five minutes
MAX_BODY_BYTES = 64 * 1024
ACTIONS = {
    ACTION_ACK: "ack",
    ACTION_SNOOZE: "snooze",
    ACTION_RESOLVE: "resolve",
    ACTION_IDENTIFY: "identify",
    ACTION_FIX: "fix",
}


class InteractionError(ValueError):
    """A click that cannot become a command; ``status`` is the HTTP answer."""

    status = 400


class Unauthorized(InteractionError):
    """Missing, forged or stale signature (HTTP 401)."""

    status = 401


class BadRequest(InteractionError):
    """Signed, but not a click we understand (HTTP 400)."""

    status = 400


class _FixedClock(Clock):
    def __init__(self, now: float) -> None:
        self._now = now

    def now(self) -> float:
        return self._now


def verify(headers: Mapping[str, str], body: bytes, signing_secret: str, now: float) -> None:
    """Raise :class:`Unauthorized` unless Slack signed ``body`` less than 5 minutes ago."""
    h = {k.lower(): v for k, v in headers.items()}
    ts, sig = h.get("x-slack-request-timestamp"), h.get("x-slack-signature")
    if not ts or not sig:
        raise Unauthorized("missing_signature")
    try:
        sent = int(ts)
    except ValueError:
        raise Unauthorized("bad_timestamp") from None
    if abs(now - sent) > MAX_AGE_SECONDS:
        raise Unauthorized("stale_request")
    if not signing_secret:
        raise Unauthorized("no_signing_secret")
    verifier = SignatureVerifier(signing_secret, clock=_FixedClock(now))
    if not verifier.is_valid(body=body, timestamp=ts, signature=sig):
        raise Unauthorized("bad_signature")


def _payload(body: bytes) -> dict[str, Any]:
    try:
        form = parse_qs(body.decode("utf-8"), strict_parsing=False)
        raw = form["payload"][-1]
        payload = json.loads(raw)
    except (UnicodeDecodeError, KeyError, IndexError, ValueError):
        raise BadRequest("no_payload") from None
    if not isinstance(payload, dict):
        raise BadRequest("no_payload")
    return payload


def parse_interaction(
    headers: Mapping[str, str], body: bytes, signing_secret: str, now: float
) -> Command:
    """Verify a Slack interactivity request and parse the button click into a Command.

    ``now`` is when the request arrived (POSIX seconds); it is checked against
    Slack's timestamp and kept as the click's time (``Command.ts``). The command is
    applied at the incident's event time (:func:`alerts.stages.on_command`), so a
    click during a replay lands where the replay is, not at the wall clock.
    """
    if len(body) > MAX_BODY_BYTES:
        raise BadRequest("body_too_large")
    verify(headers, body, signing_secret, now)
    payload = _payload(body)
    if payload.get("type") != "block_actions":
        raise BadRequest("unsupported_type")
    actions = payload.get("actions")
    if not isinstance(actions, list) or not actions or not isinstance(actions[0], dict):
        raise BadRequest("no_action")
    act = actions[0]
    action = ACTIONS.get(str(act.get("action_id")))
    if action is None:
        raise BadRequest("unknown_action")
    value = act.get("value")
    if value is None and isinstance(act.get("selected_option"), dict):
        value = act["selected_option"].get("value")
    if not isinstance(value, str) or not value.strip():
        raise BadRequest("no_incident_id")
    incident_id, _, extra = value.strip().partition("|")
    try:
        incident_owner(incident_id)
    except ValueError:
        raise BadRequest("bad_incident_id") from None
    if len(incident_id) > 256:
        raise BadRequest("bad_incident_id")
    minutes: int | None = None
    if action == "snooze" and extra:
        try:
            minutes = int(extra)
        except ValueError:
            raise BadRequest("bad_snooze_minutes") from None
        if not 1 <= minutes <= 7 * 24 * 60:
            raise BadRequest("bad_snooze_minutes")
    user = payload.get("user")
    user_id = user.get("id") if isinstance(user, dict) else None
    if not isinstance(user_id, str) or not user_id:
        raise BadRequest("no_user")
    return Command(action=action, incident_id=incident_id, user=user_id, ts=now, minutes=minutes)


@dataclass(frozen=True, slots=True)
class Interaction:
    """A verified Slack request: an incident command, or a click on a status draft.

    ``kind``: "command" (``command`` set), "approve" / "edit" (``ref`` set;
    ``trigger_id`` for opening the Edit modal) or "edit_submit" (``ref`` and the
    edited ``text``).
    """

    kind: str
    user: str
    ts: float
    command: Command | None = None
    ref: ActionRef | None = None
    trigger_id: str | None = None
    text: str | None = None

    @property
    def incident_id(self) -> str:
        if self.command is not None:
            return self.command.incident_id
        assert self.ref is not None
        return self.ref.incident_id


def parse_request(
    headers: Mapping[str, str], body: bytes, signing_secret: str, now: float
) -> Interaction:
    """Verify any request to the interactivity endpoint and say what it asks for."""
    if len(body) > MAX_BODY_BYTES:
        raise BadRequest("body_too_large")
    verify(headers, body, signing_secret, now)
    payload = _payload(body)
    user = payload.get("user")
    user_id = user.get("id") if isinstance(user, dict) else None
    if not isinstance(user_id, str) or not user_id:
        raise BadRequest("no_user")
    kind = payload.get("type")
    if kind == "view_submission":
        view = payload.get("view")
        if not isinstance(view, dict) or view.get("callback_id") != MODAL_CALLBACK:
            raise BadRequest("unknown_view")
        try:
            ref, text = modal_submission(view)
        except ValueError as exc:
            raise BadRequest(str(exc)) from None
        return Interaction("edit_submit", user_id, now, ref=ref, text=text)
    actions = payload.get("actions")
    if kind == "block_actions" and isinstance(actions, list) and actions:
        act = actions[0]
        if isinstance(act, dict) and act.get("action_id") in (ACTION_APPROVE, ACTION_EDIT):
            try:
                ref = ActionRef.from_value(str(act.get("value") or ""))
                incident_owner(ref.incident_id)
            except ValueError:
                raise BadRequest("bad_draft_reference") from None
            trigger = payload.get("trigger_id")
            name = "approve" if act["action_id"] == ACTION_APPROVE else "edit"
            return Interaction(
                name,
                user_id,
                now,
                ref=ref,
                trigger_id=trigger if isinstance(trigger, str) else None,
            )
    cmd = parse_interaction(headers, body, signing_secret, now)
    return Interaction("command", cmd.user, now, command=cmd)


def command_record(it: Interaction, *, view_id: str | None = None) -> tuple[str, dict[str, Any]]:
    """The ``incident.commands`` record for an interaction: (brand = Kafka key, value)."""
    brand, key = incident_owner(it.incident_id)
    d: dict[str, Any] = {
        "brand": brand,
        "key": key,
        "incident_id": it.incident_id,
        "user": it.user,
        "ts": it.ts,
    }
    if it.command is not None:
        d.update(action=it.command.action, minutes=it.command.minutes)
    else:
        assert it.ref is not None
        d.update(
            action="approve" if it.kind in ("approve", "edit_submit") else "edit",
            lang=it.ref.lang,
            channel=it.ref.channel,
            stage=it.ref.stage,
            template_version=it.ref.template_version,
        )
        if it.kind == "edit_submit":
            d["text"] = it.text
        if view_id is not None:
            d["view_id"] = view_id
    return brand, d
