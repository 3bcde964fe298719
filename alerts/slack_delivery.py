"""Slack delivery: the one module of alerts/ that talks to the Slack Web API.

:class:`SlackDelivery` wraps a synchronous ``slack_sdk.WebClient`` (``base_url``
may point at any Slack-compatible server, e.g. ``tests/slackfake.py``):

- one retry handler (:class:`_RetryHandler`) for every call: 429 honours
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
from slack_sdk.http_retry.handler import RetryHandler
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState

from alerts.dedup import DeliveryResult, Notification
from alerts.slack_blocks import render_console

__all__ = ["ConsoleDelivery", "DeliveryResult", "SlackDelivery", "make_delivery", "redact"]

log = logging.getLogger(__name__)

METHODS = (
    "conversations.history",
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
IDEMPOTENT = (
    "chat.update",
    "auth.test",
    "files.getUploadURLExternal",
    "files.info",
    "conversations.history",
    "conversations.list",
    "users.info",
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
AUTH_HELP = {
    "invalid_auth": "the token is not valid (mistyped, from another workspace, or Slack is "
    "refusing it for now)",
    "not_authed": "no token reached Slack",
    "account_inactive": "the bot user or workspace is deactivated",
    "token_revoked": "the token was revoked (app uninstalled?): install the app again and set "
    "the new SLACK_BOT_TOKEN",
    "token_expired": "the token expired (token rotation is on): set a fresh SLACK_BOT_TOKEN",
    "missing_scope": "the app lacks an OAuth scope (chat:write, files:write, channels:history, "
    "channels:read; users:read for approvers' names)",
}


def explain_auth_error(error: str | None) -> str:
    """A sentence for the operator about a failed ``auth.test`` (never the token itself).

    >>> explain_auth_error("token_revoked").startswith("the token was revoked")
    True
    """
    if error in AUTH_HELP:
        return AUTH_HELP[error]
    if error in ("timeout", "connection_error", "deadline") or (error or "").startswith("http_"):
        return "Slack could not be reached (check SLACK_API_URL and the network)"
    return f"Slack answered {error!r}"


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
    pending: tuple[str, float] | None = None


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


_CONNECTION_ERRORS = (URLError, ConnectionResetError, RemoteDisconnected, TimeoutError)
_SERVER_ERRORS = (500, 502, 503, 504)


class _RetryHandler(RetryHandler):
    """The one retry rule of every call, bounded by the call's deadline.

    - 429: wait what ``Retry-After`` says (``rate_limited``);
    - 500/502/503/504: exponential backoff (``server_error``);
    - connection failures: exponential backoff (``connection_error``); a read
      timeout only for idempotent methods -- a timed-out ``chat.postMessage`` may
      have been posted, and is looked up by its metadata before any re-post.

    slack-sdk runs every handler for every failure; this one decides and waits.
    """

    def __init__(self, owner: SlackDelivery) -> None:
        super().__init__(max_retry_count=owner.max_retries)
        self._owner = owner

    def _reason(
        self, request: HttpRequest, response: HttpResponse | None, error: Exception | None
    ) -> tuple[str, float] | None:
        attempt = self._owner._call.retries
        if response is not None and response.status_code == 429:
            return "rate_limited", _retry_after(response)
        if response is not None and response.status_code in _SERVER_ERRORS:
            return "server_error", self._owner._backoff(attempt)
        if error is not None and isinstance(error, _CONNECTION_ERRORS):
            if isinstance(error, TimeoutError) and _method(request) not in IDEMPOTENT:
                return None
            return "connection_error", self._owner._backoff(attempt)
        return None

    def _can_retry(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        why = self._reason(request, response, error)
        if why is None or state.current_attempt >= self.max_retry_count:
            return False
        self._owner._call.pending = why
        return self._owner._fits(why[1], why[0])

    def prepare_for_next_attempt(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> None:
        state.next_attempt_requested = True
        reason, wait = self._owner._call.pending or ("connection_error", 0.0)
        self._owner._wait(wait, reason)
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
        self._call = _Deadline()
        self._pace_lock = threading.Lock()
        self._next_slot: dict[str, float] = {}
        self._channel_ids: dict[str, str] = {}
        self._user_names: dict[str, str | None] = {}
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
            retry_handlers=[_RetryHandler(self)],
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
        """Check the token (``ok`` false with ``invalid_auth`` if wrong); who the bot is
        goes to :attr:`identity`."""
        result, resp = self._invoke("auth.test", lambda: self.client.auth_test())
        if result.ok:
            self.identity = {k: _get(resp, k) for k in ("team", "team_id", "user", "bot_id")}
        return result

    def user_name(self, user_id: str, max_wait_seconds: float = 2.0) -> str | None:
        """A person's name for a Slack user id (``users.info``, cached), or ``None``.

        ``None`` when Slack does not know the id (``user_not_found``, remembered) or cannot
        say now (rate limited for longer than ``max_wait_seconds``, an outage: asked again
        next time); the caller then writes ``<@ID>``, which Slack shows as the name.
        """
        if user_id in self._user_names:
            return self._user_names[user_id]
        if not (user_id[:1] in ("U", "W") and user_id.isalnum()):
            return None
        result, resp = self._invoke(
            "users.info", lambda: self.client.users_info(user=user_id), max_wait_seconds
        )
        if not result.ok:
            if (
                result.error in ("user_not_found", "user_not_visible")
                and len(self._user_names) < 10_000
            ):
                self._user_names[user_id] = None
            return None
        user = _get(resp, "user") or {}
        profile = user.get("profile") or {} if isinstance(user, dict) else {}
        name = next(
            (
                str(v).strip()
                for v in (
                    profile.get("real_name"),
                    user.get("real_name") if isinstance(user, dict) else None,
                    profile.get("display_name"),
                    user.get("name") if isinstance(user, dict) else None,
                )
                if isinstance(v, str) and v.strip()
            ),
            None,
        )
        if len(self._user_names) < 10_000:
            self._user_names[user_id] = name
        return name

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

    def find_posted(self, n: Notification) -> DeliveryResult | None:
        """The message already posted for ``n``, found by its metadata, or ``None``.

        Looks through the newest ``lookup_pages`` pages (200 top-level messages
        each) of the channel's history for a message whose ``event_type`` and
        ``event_payload.incident_id`` match ``n``'s metadata. A failed look-up is
        returned as a failed result (the caller tries later rather than risk a
        second copy); a look-up Slack does not allow at all (``missing_scope``,
        ``not_allowed_token_type``) returns ``None``, i.e. post, and says so.
        """
        etype = n.metadata.get("event_type")
        payload = n.metadata.get("event_payload") or {}
        iid = payload.get("incident_id") if isinstance(payload, dict) else None
        if not etype or not iid:
            return None
        cid = self.channel_id(n.channel)
        if isinstance(cid, DeliveryResult):
            return self._lookup_failed(cid)
        if cid is None:
            return None  # no such channel yet: nothing can be there
        cursor: str | None = None
        for _ in range(max(1, self.lookup_pages)):
            result, resp = self._invoke(
                "conversations.history",
                lambda c=cursor: self.client.conversations_history(  # type: ignore[misc]
                    channel=cid, limit=200, include_all_metadata=True, cursor=c
                ),
            )
            if not result.ok:
                return self._lookup_failed(result)
            for m in _get(resp, "messages") or []:
                meta = m.get("metadata") if isinstance(m, dict) else None
                if not isinstance(meta, dict) or meta.get("event_type") != etype:
                    continue
                got = meta.get("event_payload") or {}
                if isinstance(got, dict) and got.get("incident_id") == iid and m.get("ts"):
                    self.counts["adopted"] += 1
                    log.info("found %s already posted (ts %s): adopting it", n.dedup_key, m["ts"])
                    return DeliveryResult(ok=True, ts=str(m["ts"]), channel=cid, status=200)
            cursor = (_get(resp, "response_metadata") or {}).get("next_cursor") or None
            if not cursor:
                break
        return None

    def _lookup_failed(self, result: DeliveryResult) -> DeliveryResult | None:
        if result.error in ("missing_scope", "not_allowed_token_type", "unknown_method"):
            if not self.counts["lookup_unavailable"]:
                log.warning(
                    "cannot look messages up (%s): a post that timed out may be posted twice",
                    result.error,
                )
            self.counts["lookup_unavailable"] += 1
            return None
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
