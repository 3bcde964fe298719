"""Slack delivery: the one module of alerts/ that talks to the Slack Web API.

:class:`SlackDelivery` wraps a synchronous ``slack_sdk.WebClient`` (``base_url``
may point at any Slack-compatible server, e.g. ``tests/slackfake.py``):

- 429 honours ``Retry-After`` (slack-sdk's ``RateLimitErrorRetryHandler``, which
  is off by default, is turned on here) while the wait fits the deadline;
- 500/502/503/504 retry with exponential backoff until ``max_wait_seconds``;
- connection errors retry; a read timeout retries only for idempotent methods
  (a timed-out ``chat.postMessage`` may have been posted: it is reported as
  ``error="timeout"``, ``retryable=True`` and never blindly re-sent here);
- ``ok: false`` is logged and counted, never retried;
- about one message per ``per_channel_interval`` seconds per channel, as Slack
  asks, with short bursts of up to ``per_channel_burst`` (as Slack allows): the
  first post of a new incident does not wait behind the thread replies of the
  last one;
- tokens never appear in logs, reprs or error texts (:func:`redact`).

:class:`ConsoleDelivery` is the dry run: with no token it prints what would be
posted (:func:`alerts.slack_blocks.render_console`).
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections import Counter
from collections.abc import Callable
from http.client import RemoteDisconnected
from typing import Any
from urllib.error import URLError

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackRequestError
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState

from alerts.dedup import DeliveryResult, Notification
from alerts.slack_blocks import render_console

__all__ = ["ConsoleDelivery", "DeliveryResult", "SlackDelivery", "make_delivery", "redact"]

log = logging.getLogger(__name__)

METHODS = (
    "chat.postMessage",
    "chat.update",
    "chat.postEphemeral",
    "files.upload",
    "views.open",
    "views.update",
    "auth.test",
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
IDEMPOTENT = ("chat.update", "auth.test", "files.getUploadURLExternal", "files.info")
_TOKEN = re.compile(r"xox[a-z]-[A-Za-z0-9-]+|xapp-[A-Za-z0-9-]+")


def redact(text: str, token: str | None = None) -> str:
    """Remove Slack tokens (and the given secret) from a text meant for logs.

    >>> redact("invalid_auth for xoxb-123-456-abc")
    'invalid_auth for xoxb-***'
    """
    if token:
        text = text.replace(token, "***")
    return _TOKEN.sub(lambda m: m.group(0)[:5] + "***", text)


class _Deadline(threading.local):
    """Per-thread state of the call in progress (the handlers are shared)."""

    expires: float = 0.0
    retries: int = 0
    last_status: int = 0
    gave_up: str | None = None


def _method(request: HttpRequest) -> str:
    return request.url.rsplit("/", 1)[-1].split("?", 1)[0]


def _retry_after(response: HttpResponse | None) -> float:
    if response is None:
        return 1.0
    for k, v in response.headers.items():
        if k.lower() == "retry-after":
            raw = v[0] if isinstance(v, list) else v
            try:
                return max(0.0, float(raw))
            except (TypeError, ValueError):
                return 1.0
    return 1.0


class _RateLimitHandler(RateLimitErrorRetryHandler):
    """slack-sdk's 429 handler, bounded by the call's deadline and our sleep."""

    def __init__(self, owner: SlackDelivery) -> None:
        super().__init__(max_retry_count=owner.max_retries)
        self._owner = owner

    def _can_retry(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        if not super()._can_retry(state=state, request=request, response=response, error=error):
            return False
        return self._owner._fits(_retry_after(response), "rate_limited")

    def prepare_for_next_attempt(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> None:
        state.next_attempt_requested = True
        self._owner._wait(_retry_after(response), "rate_limited")
        state.increment_current_attempt()


class _ServerErrorHandler(ServerErrorRetryHandler):
    """5xx with exponential backoff until the deadline."""

    def __init__(self, owner: SlackDelivery) -> None:
        super().__init__(max_retry_count=owner.max_retries)
        self._owner = owner

    def _can_retry(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        if response is None or response.status_code not in (500, 502, 503, 504):
            return False
        return self._owner._fits(self._owner._backoff(state.current_attempt), "server_error")

    def prepare_for_next_attempt(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> None:
        state.next_attempt_requested = True
        self._owner._wait(self._owner._backoff(state.current_attempt), "server_error")
        state.increment_current_attempt()


class _ConnectionHandler(ConnectionErrorRetryHandler):
    """Connection failures retry; a read timeout only for idempotent methods."""

    def __init__(self, owner: SlackDelivery) -> None:
        super().__init__(
            max_retry_count=owner.max_retries,
            error_types=[URLError, ConnectionResetError, RemoteDisconnected, TimeoutError],
        )
        self._owner = owner

    def _can_retry(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        if not super()._can_retry(state=state, request=request, response=response, error=error):
            return False
        if isinstance(error, TimeoutError) and _method(request) not in IDEMPOTENT:
            return False
        return self._owner._fits(self._owner._backoff(state.current_attempt), "connection_error")

    def prepare_for_next_attempt(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> None:
        state.next_attempt_requested = True
        self._owner._wait(self._owner._backoff(state.current_attempt), "connection_error")
        state.increment_current_attempt()


class SlackDelivery:
    """Send notifications to Slack; synchronous (call it from a worker thread)."""

    def __init__(
        self,
        token: str,
        base_url: str | None = None,
        *,
        max_wait_seconds: float = 30.0,
        per_channel_interval: float = 1.0,
        per_channel_burst: int = 3,
        timeout: int = 10,
        max_retries: int = 5,
        backoff_seconds: float = 0.5,
        registry: Any = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
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
        self._call = _Deadline()
        self._pace_lock = threading.Lock()
        self._next_slot: dict[str, float] = {}
        self._channel_ids: dict[str, str] = {}
        self.counts: Counter[str] = Counter()
        url = base_url or "https://slack.com/api/"
        if not url.endswith("/"):
            url += "/"
        self.client = WebClient(
            token=token,
            base_url=url,
            timeout=timeout,
            retry_handlers=[
                _ConnectionHandler(self),
                _RateLimitHandler(self),
                _ServerErrorHandler(self),
            ],
        )
        self._requests = self._retries = None
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
        interval = self.per_channel_interval
        with self._pace_lock:
            now = self._clock()
            free_at = max(now, self._next_slot.get(key, now))
            slot = max(now, free_at - (self.per_channel_burst - 1) * interval)
            self._next_slot[key] = free_at + interval
        if slot > now:
            self._sleep(slot - now)

    # -- calls -------------------------------------------------------------------

    def _invoke(self, method: str, fn: Callable[[], Any]) -> tuple[DeliveryResult, Any]:
        self._call.expires = self._clock() + self.max_wait_seconds
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
        if n.metadata and not thread_ts:
            kwargs["metadata"] = n.metadata
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
        """Check the token at start-up (``ok`` false with ``invalid_auth`` if wrong)."""
        result, _ = self._invoke("auth.test", lambda: self.client.auth_test())
        return result


def _get(resp: Any, key: str) -> Any:
    if resp is None:
        return None
    try:
        return resp.get(key)
    except (AttributeError, TypeError):
        return None


def _print_now(text: str) -> None:
    print(text, flush=True)


class ConsoleDelivery:
    """Dry run: print what would be posted; always "accepted" with a fake ts.

    A new message or thread reply is printed whole; an in-place update as one
    line (the message was printed when it was posted).
    """

    def __init__(self, write: Callable[[str], None] = _print_now) -> None:
        self._write = write
        self._n = 0

    def _ts(self) -> str:
        self._n += 1
        return f"dry.{self._n:06d}"

    def send(self, n: Notification, thread_ts: str | None) -> DeliveryResult:
        if n.action == "update":
            first = n.text.splitlines()[0] if n.text else n.dedup_key
            self._write(f"~ updated {n.channel}: {first[:160]}")
        else:
            self._write("\n" + render_console(n))
        return DeliveryResult(ok=True, ts=self._ts(), channel=n.channel, status=200)

    def upload_chart(
        self, channel: str, thread_ts: str | None, png: bytes, title: str
    ) -> DeliveryResult:
        self._write(f"--- chart -> {channel} (thread {thread_ts}): {title}, {len(png)} bytes")
        return DeliveryResult(ok=True, ts=self._ts(), channel=channel, status=200)


def make_delivery(
    token: str | None, base_url: str | None = None, **kwargs: Any
) -> SlackDelivery | ConsoleDelivery:
    """A real delivery with a token, the console dry run without one."""
    if token is None or not token.strip():
        return ConsoleDelivery()
    return SlackDelivery(token, base_url, **kwargs)
