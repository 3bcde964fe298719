"""The one retry rule of every Slack Web API call, bounded by the call's deadline.

:class:`RetryPolicy` is the slack-sdk ``RetryHandler`` that
:class:`~alerts.slack_delivery.SlackDelivery` installs for every method: 429 waits what
``Retry-After`` says, 5xx and connection failures back off exponentially, a read timeout retries
only idempotent methods. :class:`CallState` is the per-thread state of the call in progress.
"""

from __future__ import annotations

import threading
from http.client import RemoteDisconnected
from typing import TYPE_CHECKING
from urllib.error import URLError

from slack_sdk.http_retry.handler import RetryHandler
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState

if TYPE_CHECKING:
    from alerts.slack_delivery import SlackDelivery

IDEMPOTENT = (
    "chat.update",
    "auth.test",
    "files.getUploadURLExternal",
    "files.info",
    "conversations.history",
    "conversations.replies",
    "conversations.list",
    "users.info",
)


class CallState(threading.local):
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


CONNECTION_ERRORS = (URLError, ConnectionResetError, RemoteDisconnected, TimeoutError)
SERVER_ERRORS = (500, 502, 503, 504)


class RetryPolicy(RetryHandler):
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
        if response is not None and response.status_code in SERVER_ERRORS:
            return "server_error", self._owner._backoff(attempt)
        if error is not None and isinstance(error, CONNECTION_ERRORS):
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
