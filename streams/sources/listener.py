"""The HTTP side of push sources (webhooks): signature checks and a small threaded server.

A webhook app turns one request into an :class:`Answer`: the HTTP status and body,
and the items and bad payloads to deliver. The server delivers them to Kafka
(one transaction) *before* answering 200, so a platform that gets no 200 sends
again and nothing is lost; the dedup by platform id drops what it sends twice.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Protocol
from urllib.parse import parse_qs, urlsplit

from streams.sources.base import Bad, Item

log = logging.getLogger(__name__)


@dataclass(slots=True)
class Answer:
    status: int
    body: bytes = b""
    content_type: str = "application/json"
    items: list[Item] = field(default_factory=list)
    bad: list[Bad] = field(default_factory=list)
    deliver: bool = False
    error: str | None = None  # metric kind for a refused request


class WebhookApp(Protocol):
    def handle(
        self,
        method: str,
        path: str,
        query: dict[str, list[str]],
        headers: dict[str, str],
        body: bytes,
    ) -> Answer: ...


def signature_ok(secret: bytes, body: bytes, given: str | None, prefix: str, encoding: str) -> bool:
    """Constant-time check of an HMAC-SHA256 signature header.

    >>> sig = "sha256=" + hmac.new(b"k", b"{}", hashlib.sha256).hexdigest()
    >>> signature_ok(b"k", b"{}", sig, "sha256=", "hex")
    True
    >>> signature_ok(b"k", b"{}", None, "sha256=", "hex")
    False
    >>> signature_ok(b"k", b"{ }", sig, "sha256=", "hex")
    False
    """
    if not given or not secret or not given.startswith(prefix):
        return False
    mac = hmac.new(secret, body, hashlib.sha256).digest()
    want = mac.hex() if encoding == "hex" else base64.b64encode(mac).decode()
    return hmac.compare_digest(given[len(prefix) :].strip(), want)


def json_answer(status: int, obj: object) -> Answer:
    return Answer(status, json.dumps(obj).encode())


def refused(status: int, message: str) -> Answer:
    """A request refused for its credentials (401/403), counted as ``unauthorized``."""
    ans = json_answer(status, {"error": message})
    ans.error = "unauthorized"
    return ans


class WebhookServer:
    """Serve ``app`` on ``host:port``; ``deliver(items, bad)`` writes to Kafka."""

    def __init__(
        self,
        app: WebhookApp,
        host: str,
        port: int,
        max_body: int,
        deliver: Callable[[list[Item], list[Bad]], int],
        on_refused: Callable[[str], None] = lambda kind: None,
    ) -> None:
        outer = self

        class Handler(BaseHTTPRequestHandler):
            server_version = "spikewatch-source"

            def log_message(self, format: str, *args: object) -> None:
                log.debug("webhook: " + format, *args)

            def _serve(self, method: str) -> None:
                n = int(self.headers.get("Content-Length") or 0)
                if n > max_body:
                    self._send(Answer(413, b'{"error":"too large"}'))
                    return
                body = self.rfile.read(n) if n else b""
                u = urlsplit(self.path)
                hdrs = {k.lower(): v for k, v in self.headers.items()}
                ans = app.handle(method, u.path, parse_qs(u.query), hdrs, body)
                if ans.error is not None:
                    on_refused(ans.error)
                if ans.deliver:
                    try:
                        deliver(ans.items, ans.bad)
                    except Exception:  # Kafka unreachable: 503 so the platform sends again
                        log.exception("webhook: could not write the batch to Kafka")
                        self._send(Answer(503, b'{"error":"unavailable"}'))
                        return
                self._send(ans)

            def _send(self, ans: Answer) -> None:
                self.send_response(ans.status)
                self.send_header("Content-Type", ans.content_type)
                self.send_header("Content-Length", str(len(ans.body)))
                self.end_headers()
                self.wfile.write(ans.body)

            def do_GET(self) -> None:
                self._serve("GET")

            def do_POST(self) -> None:
                self._serve("POST")

        self.httpd = ThreadingHTTPServer((host, port), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        _ = outer

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
