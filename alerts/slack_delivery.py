"""Slack delivery: the one module of alerts/ that talks to the Slack Web API.

:class:`SlackDelivery` wraps a synchronous ``slack_sdk.WebClient`` (``base_url``
may point at any Slack-compatible server, e.g. ``tests/slackfake.py``):

- one retry handler (:class:`alerts.slack_retry.RetryPolicy`) for every call: 429 honours
  ``Retry-After``, 500/502/503/504 and connection errors back off exponentially,
  all while the wait fits ``max_wait_seconds``; a read timeout retries only for
  idempotent methods (a timed-out ``chat.postMessage`` may have been posted: it
  is reported as ``error="timeout"``, ``retryable=True`` and never blindly re-sent);
- :meth:`SlackDelivery.find_posted` looks a main message up by the metadata
  attached to it (``conversations.history`` with ``include_all_metadata``), so
  the notify pipeline adopts a message Slack took instead of posting it twice;
- ``ok: false`` is logged and counted (``spikewatch_slack_errors_total{error}``),
  never retried here: :func:`alerts.notify_stages.heals` decides whether the
  pipeline tries again later;
- about one message per ``per_channel_interval`` seconds per channel, as Slack
  asks (``per_channel_burst`` allows short bursts; 1 by default). With a
  ``pacer`` (e.g. the deployment-wide one in ``streams/pacing.py``) the wait is
  the pacer's;
- tokens never appear in logs, reprs or error texts (:func:`alerts.slack_errors.redact`).

:class:`~alerts.console_delivery.ConsoleDelivery` is the dry run: with no token it prints
what would be posted (:func:`alerts.slack_blocks.render_console`).
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Callable
from http.client import RemoteDisconnected
from typing import Any
from urllib.error import URLError

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackRequestError

from alerts.console_delivery import ConsoleDelivery
from alerts.dedup import DeliveryResult, Notification
from alerts.slack_errors import explain_auth_error, redact
from alerts.slack_lookup import MessageLookup
from alerts.slack_retry import CallState, RetryPolicy
from alerts.slack_users import UserNames, _get

__all__ = [
    "ConsoleDelivery",
    "DeliveryResult",
    "SlackDelivery",
    "explain_auth_error",
    "make_delivery",
    "redact",
]

log = logging.getLogger(__name__)

METHODS = (
    "conversations.history",
    "conversations.replies",
    "conversations.list",
    "chat.postMessage",
    "chat.update",
    "chat.postEphemeral",
    "files.upload",
    "views.open",
    "views.update",
    "auth.test",
    "users.info",
)
OUTCOMES = (
    "ok",
    "slack_error",
    "rate_limited",
    "server_error",
    "timeout",
    "connection_error",
    "deadline",
)
# The label set of spikewatch_slack_errors_total: the errors that heal
# (alerts.notify_stages.HEALING_ERRORS), the usual permanent ones, local outcomes.
ERROR_LABELS = (
    "invalid_auth",
    "account_inactive",
    "token_revoked",
    "token_expired",
    "channel_not_found",
    "not_in_channel",
    "is_archived",
    "missing_scope",
    "ratelimited",
    "internal_error",
    "invalid_blocks",
    "msg_too_long",
    "timeout",
    "connection_error",
    "server_error",
    "other",
)


class SlackDelivery(UserNames, MessageLookup):
    """Send notifications to Slack; synchronous (call it from a worker thread)."""

    def __init__(
        self,
        token: str,
        base_url: str | None = None,
        *,
        max_wait_seconds: float = 30.0,
        per_channel_interval: float = 1.0,
        per_channel_burst: int = 1,
        timeout: float = 10,
        max_retries: int = 5,
        backoff_seconds: float = 0.5,
        registry: Any = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        pacer: Callable[[str], None] | None = None,
        lookup_pages: int = 3,
        user_agent_suffix: str | None = None,
    ) -> None:
        if not isinstance(token, str) or not token.strip():
            raise ValueError("token must be a non-empty string (use ConsoleDelivery for a dry run)")
        if max_wait_seconds <= 0 or timeout <= 0 or per_channel_interval < 0:
            raise ValueError("max_wait_seconds and timeout must be > 0, per_channel_interval >= 0")
        if per_channel_burst < 1:
            raise ValueError("per_channel_burst must be >= 1")
        if max_retries < 0 or backoff_seconds < 0:
            raise ValueError("max_retries and backoff_seconds must be >= 0")
        self._token = token
        self.max_wait_seconds = float(max_wait_seconds)
        self.per_channel_interval = float(per_channel_interval)
        self.per_channel_burst = per_channel_burst
        self.max_retries = max_retries
        self.backoff_seconds = backoff_seconds
        self._sleep = sleep
        self._clock = clock
        self._call = CallState()
        self._pace_lock = threading.Lock()
        self._next_slot: dict[str, float] = {}
        self._channel_ids: dict[str, str] = {}
        self._user_names: dict[str, str | None] = {}
        self._threads: dict[tuple[str, str], dict[str, str]] = {}
        self.pacer = pacer
        self.identity: dict[str, Any] = {}
        self.lookup_pages = lookup_pages
        self.counts: Counter[str] = Counter()
        url = base_url or "https://slack.com/api/"
        if not url.endswith("/"):
            url += "/"
        self.client = WebClient(
            token=token,
            base_url=url,
            timeout=timeout,  # type: ignore[arg-type]  # urllib takes a float
            retry_handlers=[RetryPolicy(self)],
            user_agent_suffix=user_agent_suffix,
        )
        self._requests = self._retries = self._errors = None
        if registry is not None:
            from prometheus_client import Counter as PromCounter

            self._requests = PromCounter(
                "spikewatch_slack_requests_total",
                "Slack Web API calls by method and final outcome.",
                ["method", "outcome"],
                registry=registry,
            )
            self._retries = PromCounter(
                "spikewatch_slack_retries_total",
                "Slack Web API retries by reason.",
                ["reason"],
                registry=registry,
            )
            for m in METHODS:
                for o in OUTCOMES:
                    self._requests.labels(m, o)
            for o in ("rate_limited", "server_error", "connection_error"):
                self._retries.labels(o)
            self._errors = PromCounter(
                "spikewatch_slack_errors_total",
                "Slack calls that failed, by Slack's error code (a fixed set; others 'other').",
                ["error"],
                registry=registry,
            )
            for e in ERROR_LABELS:
                self._errors.labels(e)

    def __repr__(self) -> str:
        return f"SlackDelivery(base_url={self.client.base_url!r}, token=***)"

    # -- retry plumbing (called by the handlers) ------------------------------

    def _backoff(self, attempt: int) -> float:
        return float(self.backoff_seconds * (2**attempt))

    def _fits(self, wait: float, reason: str) -> bool:
        if self._clock() + wait <= self._call.expires:
            return True
        self._call.gave_up = reason
        return False

    def _wait(self, seconds: float, reason: str) -> None:
        self._call.retries += 1
        self.counts[f"retry_{reason}"] += 1
        if self._retries is not None:
            self._retries.labels(reason).inc()
        log.info("slack retry in %.2fs (%s)", seconds, reason)
        self._sleep(seconds)

    # -- pacing ----------------------------------------------------------------

    def _pace(self, channel: str) -> None:
        """Wait for this channel's next slot: one message per interval, bursts allowed.

        A generic cell rate: ``_next_slot`` is when the channel would be free at
        exactly one message per interval; a message may go up to ``burst - 1``
        intervals before that.
        """
        key = self._channel_ids.get(channel, channel)
        if self.pacer is not None:
            if key == channel and channel.startswith("#"):
                cid = self.channel_id(channel)  # one key per channel for every worker
                key = cid if isinstance(cid, str) else channel
            self.pacer(key)
            return
        interval = self.per_channel_interval
        with self._pace_lock:
            now = self._clock()
            free_at = max(now, self._next_slot.get(key, now))
            slot = max(now, free_at - (self.per_channel_burst - 1) * interval)
            self._next_slot[key] = free_at + interval
        if slot > now:
            self._sleep(slot - now)

    # -- calls -------------------------------------------------------------------

    def _invoke(
        self, method: str, fn: Callable[[], Any], max_wait: float | None = None
    ) -> tuple[DeliveryResult, Any]:
        wait = self.max_wait_seconds if max_wait is None else min(max_wait, self.max_wait_seconds)
        self._call.expires = self._clock() + wait
        self._call.retries = 0
        self._call.gave_up = None
        outcome, resp = "ok", None
        try:
            resp = fn()
            result = DeliveryResult(
                ok=True,
                ts=_get(resp, "ts"),
                channel=_get(resp, "channel"),
                status=int(getattr(resp, "status_code", 200) or 200),
                attempts=1 + self._call.retries,
            )
        except SlackApiError as e:
            status = int(getattr(e.response, "status_code", 0) or 0)
            error = str(_get(e.response, "error") or f"http_{status}")
            if status == 429:
                outcome, retryable = "rate_limited", True
            elif status >= 500:
                outcome, retryable, error = "server_error", True, f"http_{status}"
            else:
                outcome, retryable = "slack_error", error in ("ratelimited", "internal_error")
            result = DeliveryResult(
                ok=False,
                error=error,
                status=status,
                attempts=1 + self._call.retries,
                retryable=retryable,
            )
        except (TimeoutError, URLError, ConnectionError, RemoteDisconnected, OSError) as e:
            timeout = isinstance(e, TimeoutError) or "timed out" in str(e)
            outcome = "timeout" if timeout else "connection_error"
            result = DeliveryResult(
                ok=False, error=outcome, status=0, attempts=1 + self._call.retries, retryable=True
            )
        except SlackRequestError as e:
            outcome = "slack_error"
            result = DeliveryResult(ok=False, error=redact(str(e), self._token)[:200])
        self.counts[outcome] += 1
        if self._requests is not None:
            self._requests.labels(method if method in METHODS else "files.upload", outcome).inc()
        if not result.ok and self._errors is not None:
            err = str(result.error)
            if outcome == "server_error":
                err = "server_error"
            self._errors.labels(err if err in ERROR_LABELS else "other").inc()
        if not result.ok:
            log.warning(
                "slack %s failed: %s (status %s, attempts %s%s)",
                method,
                redact(str(result.error), self._token),
                result.status,
                result.attempts,
                f", gave up: {self._call.gave_up}" if self._call.gave_up else "",
            )
        return result, resp

    def send(self, n: Notification, thread_ts: str | None) -> DeliveryResult:
        """Post, update or reply in a thread; ``ok`` only if Slack accepted it."""
        if n.action == "chart":
            return self.upload_chart(n.channel, thread_ts, n.attachment or b"", n.title)
        if n.action == "update" and not n.message_ts:
            return DeliveryResult(ok=False, error="no_message_ts", status=0, attempts=0)
        if n.action == "thread_reply" and n.parent_key and not thread_ts:
            return DeliveryResult(
                ok=False, error="no_thread_ts", status=0, attempts=0, retryable=True
            )
        self._pace(n.channel)
        blocks = n.blocks or None
        if n.action == "update":
            result, _ = self._invoke(
                "chat.update",
                lambda: self.client.chat_update(
                    channel=n.channel, ts=n.message_ts or "", text=n.text, blocks=blocks
                ),
            )
            return result
        kwargs: dict[str, Any] = {
            "channel": n.channel,
            "text": n.text,
            "blocks": blocks,
            "unfurl_links": False,
            "unfurl_media": False,
        }
        if thread_ts:
            kwargs["thread_ts"] = thread_ts
        if n.metadata and "event_type" in n.metadata:
            kwargs["metadata"] = n.metadata  # found again after a crash (slack_lookup)
        result, _ = self._invoke("chat.postMessage", lambda: self.client.chat_postMessage(**kwargs))
        if result.ok and result.channel and n.channel not in self._channel_ids:
            with self._pace_lock:
                self._channel_ids[n.channel] = result.channel
                slot = self._next_slot.pop(n.channel, 0.0)
                self._next_slot[result.channel] = max(
                    slot, self._next_slot.get(result.channel, 0.0)
                )
        return result

    def upload_chart(
        self, channel: str, thread_ts: str | None, png: bytes, title: str
    ) -> DeliveryResult:
        """Upload a PNG into a channel (in the thread when ``thread_ts`` is given)."""
        if not png:
            return DeliveryResult(ok=False, error="empty_file", attempts=0)
        self._pace(channel)
        kwargs: dict[str, Any] = {
            "channel": self._channel_ids.get(channel, channel),
            "content": png,
            "filename": "spikewatch-chart.png",
            "title": title or "chart",
        }
        if thread_ts:
            kwargs["thread_ts"] = thread_ts
        result, resp = self._invoke("files.upload", lambda: self.client.files_upload_v2(**kwargs))
        if result.ok:
            files = _get(resp, "files") or []
            fid = files[0].get("id") if files and isinstance(files[0], dict) else None
            return DeliveryResult(
                ok=True,
                ts=fid,
                channel=kwargs["channel"],
                status=result.status,
                attempts=result.attempts,
            )
        return result

    def open_view(self, trigger_id: str, view: dict[str, Any]) -> DeliveryResult:
        """Open a modal (Slack wants it within 3 s of the click); ``ts`` is the view id."""
        result, resp = self._invoke(
            "views.open", lambda: self.client.views_open(trigger_id=trigger_id, view=view)
        )
        if result.ok:
            v = _get(resp, "view") or {}
            return DeliveryResult(
                ok=True,
                ts=v.get("id") if isinstance(v, dict) else None,
                status=result.status,
                attempts=result.attempts,
            )
        return result

    def update_view(self, view_id: str, view: dict[str, Any]) -> DeliveryResult:
        """Replace an open modal's content (e.g. the draft text once it is looked up)."""
        result, _ = self._invoke(
            "views.update", lambda: self.client.views_update(view_id=view_id, view=view)
        )
        return result

    def auth_test(self) -> DeliveryResult:
        """Check the token (``ok`` false with ``invalid_auth`` if wrong); who the bot is
        goes to :attr:`identity`."""
        result, resp = self._invoke("auth.test", lambda: self.client.auth_test())
        if result.ok:
            self.identity = {k: _get(resp, k) for k in ("team", "team_id", "user", "bot_id")}
        return result

    def channel_id(self, channel: str) -> str | DeliveryResult | None:
        """The id of ``channel`` (a name like ``#care`` or an id); ``None`` if Slack has none.

        Names are looked up once with ``conversations.list`` and cached.
        """
        if channel in self._channel_ids:
            return self._channel_ids[channel]
        bare = channel.lstrip("#")
        if bare[:1] in ("C", "G", "D") and bare[1:].isalnum() and bare.isupper():
            return bare
        cursor: str | None = None
        for _ in range(20):
            result, resp = self._invoke(
                "conversations.list",
                lambda c=cursor: self.client.conversations_list(  # type: ignore[misc]
                    types="public_channel,private_channel",
                    exclude_archived=True,
                    limit=1000,
                    cursor=c,
                ),
            )
            if not result.ok:
                return result
            for c in _get(resp, "channels") or []:
                if isinstance(c, dict) and c.get("name") == bare and c.get("id"):
                    cid = str(c["id"])
                    with self._pace_lock:
                        self._channel_ids[channel] = cid
                    return cid
            cursor = (_get(resp, "response_metadata") or {}).get("next_cursor") or None
            if not cursor:
                break
        return None


def make_delivery(
    token: str | None, base_url: str | None = None, **kwargs: Any
) -> SlackDelivery | ConsoleDelivery:
    """A real delivery with a token, the console dry run without one."""
    if token is None or not token.strip():
        return ConsoleDelivery()
    return SlackDelivery(token, base_url, **kwargs)
