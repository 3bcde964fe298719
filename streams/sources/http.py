"""Plain HTTP for pollers (stdlib ``urllib``), and reading the platforms' rate-limit answers.

:func:`wait_seconds` is pure: it reads ``Retry-After`` (seconds or an HTTP date),
``x-ratelimit-reset`` (Reddit: seconds until the window resets), ``x-rate-limit-reset``
(X: epoch seconds), ``x-ratelimit-reset`` as an ISO time (Mastodon), and
``x-app-usage``/``x-business-use-case-usage`` (Meta: ``estimated_time_to_regain_access``
in minutes).
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any

from detectors.mention import InvalidMention, parse_time
from streams.sources.base import Fatal, RateLimited, Transient


@dataclass(frozen=True, slots=True)
class Response:
    status: int
    headers: dict[str, str]  # lower-case names
    body: bytes


def _num(v: str | None) -> float | None:
    if v is None:
        return None
    try:
        return float(v.strip())
    except ValueError:
        return None


def wait_seconds(headers: dict[str, str], now: float) -> float | None:
    """How long the platform asks us to wait, from its headers (``None``: it does not say).

    >>> wait_seconds({"retry-after": "7"}, 0.0)
    7.0
    >>> wait_seconds({"x-rate-limit-reset": "1000", "x-rate-limit-remaining": "0"}, 990.0)
    10.0
    >>> wait_seconds({"x-ratelimit-reset": "42", "x-ratelimit-remaining": "0.0"}, 0.0)
    42.0
    >>> wait_seconds({"retry-after": "Thu, 01 Jan 1970 00:01:00 GMT"}, 30.0)
    30.0
    >>> wait_seconds({"x-ratelimit-reset": "1970-01-01T00:01:00.000Z"}, 50.0)
    10.0
    >>> wait_seconds({}, 0.0) is None
    True
    """
    ra = headers.get("retry-after")
    if ra is not None:
        n = _num(ra)
        if n is not None:
            return max(0.0, n)
        try:
            return max(0.0, parsedate_to_datetime(ra).timestamp() - now)
        except (TypeError, ValueError):
            pass
    reset = _num(headers.get("x-rate-limit-reset"))  # X API v2: epoch seconds
    if reset is not None:
        return max(0.0, reset - now)
    raw_reset = headers.get("x-ratelimit-reset")
    reset = _num(raw_reset)  # Reddit: seconds until reset
    if reset is not None:
        return max(0.0, reset)
    if raw_reset:  # Mastodon: an ISO 8601 time
        try:
            return max(0.0, parse_time(raw_reset).timestamp() - now)
        except InvalidMention:
            pass
    for h in ("x-business-use-case-usage", "x-app-usage"):  # Meta
        if h in headers:
            try:
                usage: Any = json.loads(headers[h])
            except ValueError:
                continue
            mins = _find_key(usage, "estimated_time_to_regain_access")
            if mins is not None:
                return 60.0 * float(mins)
    return None


def _find_key(obj: Any, key: str) -> Any:
    if isinstance(obj, dict):
        if key in obj:
            return obj[key]
        for v in obj.values():
            found = _find_key(v, key)
            if found is not None:
                return found
    if isinstance(obj, list):
        for v in obj:
            found = _find_key(v, key)
            if found is not None:
                return found
    return None


def get(
    url: str, headers: dict[str, str], timeout: float, now: float, ok: tuple[int, ...] = (200,)
) -> Response:
    """GET ``url``: 429 raises RateLimited, 5xx Transient, other 4xx Fatal.

    Status codes in ``ok`` (for example 304 Not Modified) come back as a :class:`Response`.
    """
    return request("GET", url, headers, timeout, now, ok)


def request(
    method: str,
    url: str,
    headers: dict[str, str],
    timeout: float,
    now: float,
    ok: tuple[int, ...] = (200,),
    data: bytes | None = None,
    what: str = "",
) -> Response:
    """One HTTP call with the sources' error mapping (see :func:`get`); ``what`` prefixes errors."""
    pre = f"{what}: " if what else ""
    req = urllib.request.Request(url, data=data, headers=headers, method=method)  # noqa: S310 (configured http(s) URL)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:  # noqa: S310
            resp = Response(r.status, {k.lower(): v for k, v in r.headers.items()}, r.read())
    except urllib.error.HTTPError as exc:
        hdrs = {k.lower(): v for k, v in (exc.headers or {}).items()}
        body = exc.read() if exc.fp is not None else b""
        resp = Response(exc.code, hdrs, body)
    except (urllib.error.URLError, TimeoutError, ConnectionError, OSError) as exc:
        raise Transient(f"{pre}{type(exc).__name__}: {getattr(exc, 'reason', exc)}") from None
    if resp.status in ok:
        return resp
    detail = f"{pre}HTTP {resp.status}"
    if resp.status == 429:
        wait = wait_seconds(resp.headers, now)
        raise RateLimited(60.0 if wait is None else wait, detail)
    if resp.status >= 500:
        raise Transient(detail, wait_seconds(resp.headers, now))
    raise Fatal(f"{detail}: {resp.body[:200].decode('utf-8', 'replace')}")
