"""A Jetstream server (WebSocket): replays from ``cursor`` (time_us), then sends live events.

Events as Jetstream sends them: ``{"did", "time_us", "kind": "commit", "commit": {"rev",
"operation": "create", "collection": "app.bsky.feed.post", "rkey", "record": {...},
"cid"}}``, plus ``identity``/``account`` events. ``wantedDids`` filters by author.
"""

from __future__ import annotations

import json
import queue
import threading
import time
from datetime import datetime
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qs, urlsplit

from websockets.exceptions import ConnectionClosed
from websockets.sync.server import ServerConnection, serve


def post_event(
    did: str, rkey: str, text: str, created: datetime, time_us: int, parent: str | None = None
) -> dict[str, Any]:
    record: dict[str, Any] = {
        "$type": "app.bsky.feed.post",
        "createdAt": created.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "langs": ["fi"],
        "text": text,
    }
    if parent:
        record["reply"] = {
            "parent": {"cid": "bafy", "uri": parent},
            "root": {"cid": "bafy", "uri": parent},
        }
    return {
        "did": did,
        "time_us": time_us,
        "kind": "commit",
        "commit": {
            "rev": f"r{time_us}",
            "operation": "create",
            "collection": "app.bsky.feed.post",
            "rkey": rkey,
            "record": record,
            "cid": f"bafy{rkey}",
        },
    }


class JetstreamFake:
    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []  # in time_us order
        self.connections: list[dict[str, list[str]]] = []  # query of each accepted connection
        self.refuse: list[tuple[int, str]] = []  # (status, Retry-After) for the next handshakes
        self._live: list[tuple[queue.Queue[Any], set[str]]] = []
        self._lock = threading.Lock()
        self.handshakes: list[tuple[float, int]] = []  # (monotonic, status)
        self._server = serve(self._handler, "127.0.0.1", 0, process_request=self._process)
        self.port = self._server.socket.getsockname()[1]
        self.url = f"ws://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def _process(self, connection: ServerConnection, request: Any) -> Any:
        with self._lock:
            if self.refuse:
                status, retry = self.refuse.pop(0)
                self.handshakes.append((time.monotonic(), status))
                resp = connection.respond(HTTPStatus(status), "Too Many Requests\n")
                resp.headers["Retry-After"] = retry
                return resp
            self.handshakes.append((time.monotonic(), 101))
        return None

    def publish(self, ev: dict[str, Any], *, live: bool = True) -> None:
        with self._lock:
            self.events.append(ev)
            if live:
                for q, dids in self._live:
                    if not dids or ev.get("did") in dids:
                        q.put(ev)

    def push_raw(self, text: str) -> None:
        with self._lock:
            for q, _ in self._live:
                q.put(text)

    def open(self) -> int:
        with self._lock:
            return len(self._live)

    def _handler(self, ws: ServerConnection) -> None:
        assert ws.request is not None
        query = parse_qs(urlsplit(ws.request.path).query)
        dids = set(query.get("wantedDids", []))
        q: queue.Queue[Any] = queue.Queue()
        with self._lock:
            self.connections.append(query)
            cursor = int(query.get("cursor", ["0"])[0]) if "cursor" in query else None
            if cursor is not None:
                for ev in self.events:
                    if ev["time_us"] >= cursor and (not dids or ev["did"] in dids):
                        q.put(ev)
            self._live.append((q, dids))
        try:
            while True:
                try:
                    ev = q.get(timeout=0.2)
                except queue.Empty:
                    ws.ping()
                    continue
                ws.send(ev if isinstance(ev, str) else json.dumps(ev))
        except ConnectionClosed:  # the client went away
            return
        finally:
            with self._lock:
                self._live = [x for x in self._live if x[0] is not q]

    def __enter__(self) -> JetstreamFake:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
