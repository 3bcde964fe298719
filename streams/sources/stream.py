"""Reading long-lived HTTP streams (Server-Sent Events, newline-delimited JSON) in batches.

A reader thread per connection puts lines on a queue; :func:`lines` hands them on,
and yields ``None`` when nothing came for ``idle`` seconds so the caller can
flush a partial batch. A closed or broken connection ends the iteration with
:class:`~streams.sources.base.Transient` (reconnect), never silently.
"""

from __future__ import annotations

import contextlib
import queue
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

from streams.sources.base import Fatal, RateLimited, Transient
from streams.sources.http import wait_seconds

_END = object()


def open_stream(url: str, headers: dict[str, str], timeout: float, now: float) -> Any:
    """Open a streaming GET; 429 -> RateLimited, 5xx -> Transient, other 4xx -> Fatal."""
    req = urllib.request.Request(url, headers=headers, method="GET")  # noqa: S310 (configured URL)
    try:
        return urllib.request.urlopen(req, timeout=timeout)  # noqa: S310
    except urllib.error.HTTPError as exc:
        hdrs = {k.lower(): v for k, v in (exc.headers or {}).items()}
        if exc.code == 429:
            wait = wait_seconds(hdrs, now)
            raise RateLimited(60.0 if wait is None else wait, "stream") from None
        if exc.code >= 500:
            raise Transient(f"stream: HTTP {exc.code}", wait_seconds(hdrs, now)) from None
        raise Fatal(f"stream: HTTP {exc.code}") from None
    except (urllib.error.URLError, TimeoutError, ConnectionError, OSError) as exc:
        raise Transient(f"stream: {type(exc).__name__}") from None


def _pump(resp: Any, q: queue.Queue[Any]) -> None:
    try:
        for line in resp:
            q.put(line)
        q.put(_END)
    except Exception as exc:  # a broken connection ends the stream; the caller reconnects
        q.put(exc)


def lines(resps: list[Any], stop: threading.Event, idle: float = 0.5) -> Iterator[bytes | None]:
    """Lines from one or more open responses; ``None`` after ``idle`` seconds of silence."""
    q: queue.Queue[Any] = queue.Queue(maxsize=10_000)
    threads = [threading.Thread(target=_pump, args=(r, q), daemon=True) for r in resps]
    for t in threads:
        t.start()
    try:
        while not stop.is_set():
            try:
                x = q.get(timeout=idle)
            except queue.Empty:
                yield None
                continue
            if x is _END:
                raise Transient("the server closed the stream")
            if isinstance(x, Exception):
                raise Transient(f"stream broke: {type(x).__name__}")
            yield x
    finally:
        for r in resps:
            with contextlib.suppress(Exception):  # closing a broken socket may fail again
                r.close()


def sse_events(source: Iterator[bytes | None]) -> Iterator[tuple[str, str] | None]:
    """(event, data) pairs from Server-Sent Events lines; ``None`` passes idle ticks through.

    >>> list(sse_events(iter([b":thump\\n", b"event: update\\n", b"data: {}\\n", b"\\n", None])))
    [('update', '{}'), None]
    """
    event, data = "message", list[str]()
    for raw in source:
        if raw is None:
            yield None
            continue
        line = raw.decode("utf-8", "replace").rstrip("\r\n")
        if not line:
            if data:
                yield event, "\n".join(data)
            event, data = "message", []
        elif line.startswith(":"):
            continue
        elif line.startswith("event:"):
            event = line[6:].strip()
        elif line.startswith("data:"):
            data.append(line[5:].lstrip(" "))
