"""A local HTTP server that answers like the Slack Web API, for tests.

Usage::

    with SlackFake() as slack:                     # 127.0.0.1, random port
        client = WebClient(token="xoxb-test", base_url=slack.base_url)
        slack.fail_next(1, "429", retry_after=0)  # then 200 ok
        client.chat_postMessage(channel="#care", text="hi")
        assert [c.method for c in slack.calls] == ["chat.postMessage", "chat.postMessage"]

Methods: chat.postMessage, chat.update, chat.postEphemeral, views.open,
files.getUploadURLExternal, the upload URL it returns, files.completeUploadExternal,
auth.test, conversations.list, conversations.replies and conversations.history (newest first, cursor
paging, ``metadata`` only with ``include_all_metadata``, as Slack documents), and
users.info for the people in :attr:`SlackFake.users` (``{"ok": true, "user": {...}}``
with ``name``, ``real_name`` and ``profile.display_name``/``real_name``; an unknown id
answers ``user_not_found``).
Every call is recorded (:class:`Call`). Faults, for the next N calls
(:meth:`SlackFake.fail_next`) or for a period (:meth:`SlackFake.fail_for`):
``"ok_false"`` (200 with ``{"ok": false, "error": ...}``, e.g. ``invalid_auth``),
``"429"`` (with ``Retry-After``), ``"500"`` (or any 5xx via ``status``), ``"hang"``
(answer only after ``hang_seconds``, so the client times out) and ``"slow"`` (do
the work -- the message is posted -- but answer only after ``hang_seconds``: the
client times out on a post Slack accepted). Faults can be limited to one method
and to calls whose parameters pass ``when``. Channel names are mapped to stable
ids (``#care`` -> ``C...``); ``chat.update`` and ``conversations.history`` want
the id, as the real API does.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

FAULT_KINDS = ("ok_false", "429", "500", "hang", "slow")


@dataclass
class Call:
    """One request the fake received."""

    method: str
    params: dict[str, Any]
    headers: dict[str, str]
    body: bytes
    at: float
    answered: int = 0

    @property
    def token(self) -> str | None:
        auth = self.headers.get("authorization", "")
        return auth[7:] if auth.lower().startswith("bearer ") else self.params.get("token")


@dataclass
class Fault:
    kind: str
    remaining: int | None = None  # calls left, or None when time-bounded
    until: float | None = None  # monotonic deadline when time-bounded
    method: str | None = None
    error: str = "channel_not_found"
    retry_after: int = 1
    status: int = 500
    hang_seconds: float = 5.0
    when: Callable[[dict[str, Any]], bool] | None = None


@dataclass
class Message:
    channel: str
    ts: str
    text: str
    blocks: list[Any]
    thread_ts: str | None = None
    metadata: Any = None
    history: list[dict[str, Any]] = field(default_factory=list)


class SlackFake:
    """Slack Web API look-alike on 127.0.0.1 (start/stop or use as a context manager)."""

    def __init__(self, *, token: str | None = None, channels: tuple[str, ...] = ()) -> None:
        self.expected_token = token
        self.channels: dict[str, str] = {self.channel_id(c): c.lstrip("#") for c in channels}
        # users.info: user id -> real name (add people with add_user)
        self.users: dict[str, dict[str, Any]] = {}
        self.calls: list[Call] = []
        self.messages: dict[tuple[str, str], Message] = {}
        self.files: dict[str, dict[str, Any]] = {}
        self._faults: list[Fault] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._ts = itertools.count(1)
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ----------------------------------------------------------------

    def start(self) -> SlackFake:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                fake._handle(self)

            def do_GET(self) -> None:
                fake._handle(self)

            def log_message(self, format: str, *args: Any) -> None:  # quiet
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> SlackFake:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        assert self._server is not None, "start() first"
        return int(self._server.server_address[1])

    @property
    def root(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def base_url(self) -> str:
        """What to pass as ``WebClient(base_url=...)`` / ``SLACK_API_URL``."""
        return f"{self.root}/api/"

    # -- faults -------------------------------------------------------------------

    def add_user(self, user_id: str, real_name: str, display_name: str = "") -> None:
        """A workspace member that users.info knows."""
        handle = real_name.split()[0].lower() if real_name.split() else user_id.lower()
        with self._lock:
            self.users[user_id] = {
                "id": user_id,
                "team_id": "T0FAKE",
                "name": handle,
                "deleted": False,
                "real_name": real_name,
                "tz": "Europe/Helsinki",
                "is_bot": False,
                "profile": {
                    "real_name": real_name,
                    "real_name_normalized": real_name,
                    "display_name": display_name,
                    "display_name_normalized": display_name,
                },
            }

    def fail_next(self, n: int, kind: str, *, method: str | None = None, **opts: Any) -> None:
        """The next ``n`` calls (of ``method``, if given) answer with fault ``kind``."""
        if kind not in FAULT_KINDS:
            raise ValueError(f"kind must be one of {FAULT_KINDS}")
        with self._lock:
            self._faults.append(Fault(kind, remaining=n, method=method, **opts))

    def fail_for(
        self, seconds: float, kind: str, *, method: str | None = None, **opts: Any
    ) -> None:
        """Every call (of ``method``) during the next ``seconds`` answers with ``kind``."""
        if kind not in FAULT_KINDS:
            raise ValueError(f"kind must be one of {FAULT_KINDS}")
        with self._lock:
            until = time.monotonic() + seconds
            self._faults.append(Fault(kind, until=until, method=method, **opts))

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    def _take_fault(self, method: str, params: dict[str, Any]) -> Fault | None:
        with self._lock:
            now = time.monotonic()
            self._faults = [
                f
                for f in self._faults
                if (f.remaining is None or f.remaining > 0) and (f.until is None or f.until > now)
            ]
            for f in self._faults:
                if (f.method is None or f.method == method) and (f.when is None or f.when(params)):
                    if f.remaining is not None:
                        f.remaining -= 1
                    return f
        return None

    # -- queries for tests ----------------------------------------------------------

    def calls_to(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    def posts(self) -> list[Message]:
        """Top-level messages and replies, in posting order."""
        return sorted(self.messages.values(), key=lambda m: float(m.ts))

    @staticmethod
    def channel_id(name: str) -> str:
        """Stable fake id for a channel name (ids pass through)."""
        if name and name[0] in "CDG" and name[1:].isalnum() and name.isupper():
            return name
        return "C" + hashlib.sha256(name.lstrip("#").encode()).hexdigest()[:8].upper()

    # -- the server side ------------------------------------------------------------

    def _reply(
        self,
        h: BaseHTTPRequestHandler,
        status: int,
        body: dict[str, Any] | str,
        headers: dict[str, str] | None = None,
    ) -> int:
        raw = (json.dumps(body) if isinstance(body, dict) else body).encode()
        call = getattr(h, "spikewatch_call", None)
        delay = getattr(h, "spikewatch_delay", 0.0)
        if delay:
            self._stop.wait(delay)  # the work is done; the answer comes late
        if call is not None:
            call.answered = status  # before writing: the client may look right after
        h.send_response(status)
        h.send_header("Content-Type", "application/json; charset=utf-8")
        h.send_header("Content-Length", str(len(raw)))
        for k, v in (headers or {}).items():
            h.send_header(k, v)
        h.end_headers()
        h.wfile.write(raw)
        return status

    def _handle(self, h: BaseHTTPRequestHandler) -> None:
        path = urlparse(h.path).path
        length = int(h.headers.get("Content-Length") or 0)
        body = h.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in h.headers.items()}
        if path.startswith("/upload/"):
            method = "upload"
            params: dict[str, Any] = {"file_id": path.rsplit("/", 1)[-1]}
        else:
            method = path.rsplit("/", 1)[-1]
            params = _decode(body, headers.get("content-type", ""), urlparse(h.path).query)
        call = Call(method, params, headers, body, time.monotonic())
        h.spikewatch_call = call  # type: ignore[attr-defined]
        with self._lock:
            self.calls.append(call)
        fault = self._take_fault(method, params)
        if fault is not None and fault.kind == "slow":
            h.spikewatch_delay = fault.hang_seconds  # type: ignore[attr-defined]
            fault = None
        if fault is not None:
            call.answered = self._fault(h, fault)
            return
        wrong_token = self.expected_token is not None and call.token != self.expected_token
        if method != "upload" and wrong_token:
            call.answered = self._reply(h, 200, {"ok": False, "error": "invalid_auth"})
            return
        call.answered = self._dispatch(h, method, params, body)

    def _replies(self, h: BaseHTTPRequestHandler, p: dict[str, Any]) -> int:
        """conversations.replies: a thread's parent, then its replies oldest first."""
        cid, ts = str(p.get("channel") or ""), str(p.get("ts") or "")
        if not (cid.startswith("C") and cid[1:].isalnum()):
            return self._reply(h, 200, {"ok": False, "error": "channel_not_found"})
        with self._lock:
            parent = self.messages.get((cid, ts))
            replies = [m for m in self.messages.values() if m.channel == cid and m.thread_ts == ts]
        if parent is None:
            return self._reply(h, 200, {"ok": False, "error": "thread_not_found"})
        return self._page(h, p, [parent, *sorted(replies, key=lambda m: float(m.ts))], ts)

    def _history(self, h: BaseHTTPRequestHandler, p: dict[str, Any]) -> int:
        """conversations.history: top-level messages of one channel, newest first."""
        cid = str(p.get("channel") or "")
        if not (cid.startswith("C") and cid[1:].isalnum()):
            return self._reply(h, 200, {"ok": False, "error": "channel_not_found"})
        with self._lock:
            tops = [
                m
                for m in self.messages.values()
                if m.channel == cid and (m.thread_ts is None or m.thread_ts == m.ts)
            ]
        tops.sort(key=lambda m: float(m.ts), reverse=True)
        return self._page(h, p, tops)

    def _page(
        self,
        h: BaseHTTPRequestHandler,
        p: dict[str, Any],
        msgs: list[Message],
        thread_ts: str | None = None,
    ) -> int:
        """One page of ``msgs`` (``limit``, numeric ``cursor``; ``metadata`` only with
        ``include_all_metadata``), in the shape of conversations.history/replies."""
        limit = max(1, min(int(p.get("limit") or 100), 999))
        start = int(p.get("cursor") or 0)
        meta = str(p.get("include_all_metadata") or "").lower() in ("1", "true")
        out = []
        for m in msgs[start : start + limit]:
            d: dict[str, Any] = {"type": "message", "ts": m.ts, "text": m.text}
            if thread_ts:
                d["thread_ts"] = thread_ts
            if meta and m.metadata:
                d["metadata"] = m.metadata
            out.append(d)
        more = start + limit < len(msgs)
        return self._reply(
            h,
            200,
            {
                "ok": True,
                "messages": out,
                "has_more": more,
                "response_metadata": {"next_cursor": str(start + limit) if more else ""},
            },
        )

    def _fault(self, h: BaseHTTPRequestHandler, f: Fault) -> int:
        if f.kind == "ok_false":
            return self._reply(h, 200, {"ok": False, "error": f.error})
        if f.kind == "429":
            return self._reply(
                h, 429, {"ok": False, "error": "ratelimited"}, {"Retry-After": str(f.retry_after)}
            )
        if f.kind == "500":
            return self._reply(h, f.status, "<html>upstream error</html>")
        self._stop.wait(f.hang_seconds)
        try:
            return self._reply(h, 200, {"ok": False, "error": "too_late"})
        except OSError:
            return 0

    def _next_ts(self) -> str:
        return f"{1700000000 + next(self._ts)}.000100"

    def _dispatch(
        self, h: BaseHTTPRequestHandler, method: str, p: dict[str, Any], body: bytes
    ) -> int:
        ok = {"ok": True}
        if method == "auth.test":
            return self._reply(
                h,
                200,
                {
                    **ok,
                    "url": "https://fake.slack.com/",
                    "team": "fake",
                    "user": "spikewatch",
                    "team_id": "T0FAKE",
                    "user_id": "U0BOT",
                    "bot_id": "B0BOT",
                },
            )
        if method == "users.info":
            with self._lock:
                user = self.users.get(str(p.get("user") or ""))
            if user is None:
                return self._reply(h, 200, {"ok": False, "error": "user_not_found"})
            return self._reply(h, 200, {**ok, "user": user})
        if method == "conversations.list":
            with self._lock:
                chans = [{"id": c, "name": n, "is_channel": True} for c, n in self.channels.items()]
            return self._reply(
                h, 200, {**ok, "channels": chans, "response_metadata": {"next_cursor": ""}}
            )
        if method == "conversations.history":
            return self._history(h, p)
        if method == "conversations.replies":
            return self._replies(h, p)
        if method in ("chat.postMessage", "chat.postEphemeral"):
            ch = str(p.get("channel") or "")
            if not ch:
                return self._reply(h, 200, {"ok": False, "error": "channel_not_found"})
            if not p.get("text") and not p.get("blocks"):
                return self._reply(h, 200, {"ok": False, "error": "no_text"})
            cid = self.channel_id(ch)
            ts = self._next_ts()
            msg = Message(
                cid,
                ts,
                str(p.get("text") or ""),
                _blocks(p.get("blocks")),
                p.get("thread_ts"),
                _metadata(p.get("metadata")),
            )
            with self._lock:
                self.messages[(cid, ts)] = msg
                if not ch.startswith(("C", "G", "D")) or not ch[1:].isalnum():
                    self.channels.setdefault(cid, ch.lstrip("#"))
            if method == "chat.postEphemeral":
                return self._reply(h, 200, {**ok, "message_ts": ts})
            return self._reply(
                h, 200, {**ok, "channel": cid, "ts": ts, "message": {"text": msg.text, "ts": ts}}
            )
        if method == "chat.update":
            cid, ts = str(p.get("channel") or ""), str(p.get("ts") or "")
            with self._lock:
                found = self.messages.get((cid, ts))
                if found is None:
                    return self._reply(
                        h,
                        200,
                        {
                            "ok": False,
                            "error": "message_not_found"
                            if cid.startswith("C")
                            else "channel_not_found",
                        },
                    )
                found.history.append({"text": found.text, "blocks": found.blocks})
                found.text = str(p.get("text") or found.text)
                if "blocks" in p:
                    found.blocks = _blocks(p.get("blocks"))
            return self._reply(h, 200, {**ok, "channel": cid, "ts": ts, "text": found.text})
        if method == "views.open":
            if not p.get("trigger_id"):
                return self._reply(h, 200, {"ok": False, "error": "invalid_trigger_id"})
            vid = f"V{len(self.calls_to('views.open')):07d}"
            return self._reply(h, 200, {**ok, "view": {"id": vid}})
        if method == "views.update":
            if not p.get("view_id"):
                return self._reply(h, 200, {"ok": False, "error": "not_found"})
            return self._reply(h, 200, {**ok, "view": {"id": p.get("view_id")}})
        if method == "files.getUploadURLExternal":
            fid = f"F{len(self.files) + 1:07d}"
            with self._lock:
                self.files[fid] = {
                    "id": fid,
                    "filename": p.get("filename"),
                    "length": int(p.get("length") or 0),
                    "data": None,
                }
            return self._reply(
                h, 200, {**ok, "upload_url": f"{self.root}/upload/{fid}", "file_id": fid}
            )
        if method == "upload":
            f = self.files.get(str(p["file_id"]))
            if f is None:
                return self._reply(h, 404, "not found")
            f["data"] = _file_part(body, h.headers.get("Content-Type", ""))
            call = getattr(h, "spikewatch_call", None)
            if call is not None:
                call.answered = 200
            h.send_response(200)
            h.send_header("Content-Length", "2")
            h.end_headers()
            h.wfile.write(b"OK")
            return 200
        if method == "files.completeUploadExternal":
            try:
                wanted = json.loads(p.get("files") or "[]")
            except ValueError:
                wanted = []
            out = []
            for w in wanted:
                f = self.files.get(str(w.get("id")))
                if f is None or f["data"] is None:
                    return self._reply(h, 200, {"ok": False, "error": "file_not_found"})
                f.update(
                    title=w.get("title"), channel=p.get("channel_id"), thread_ts=p.get("thread_ts")
                )
                out.append({"id": f["id"], "title": w.get("title"), "name": f["filename"]})
            return self._reply(h, 200, {**ok, "files": out})
        return self._reply(h, 200, {"ok": False, "error": "unknown_method"})


def _metadata(raw: Any) -> Any:
    if isinstance(raw, str):
        try:
            return json.loads(raw)
        except ValueError:
            return None
    return raw


def _decode(body: bytes, ctype: str, query: str) -> dict[str, Any]:
    out: dict[str, Any] = {k: v[-1] for k, v in parse_qs(query).items()}
    if "json" in ctype:
        try:
            obj = json.loads(body or b"{}")
        except ValueError:
            obj = {}
        if isinstance(obj, dict):
            out.update(obj)
    elif "multipart" in ctype:
        msg = BytesParser(policy=HTTP).parsebytes(
            b"Content-Type: " + ctype.encode() + b"\r\n\r\n" + body
        )
        for part in msg.iter_parts():
            name = part.get_param("name", header="content-disposition")
            if name:
                out[str(name)] = part.get_payload(decode=True)
    else:
        out.update({k: v[-1] for k, v in parse_qs(body.decode("utf-8", "replace")).items()})
    return out


def _blocks(raw: Any) -> list[Any]:
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            return []
    return list(raw) if isinstance(raw, list) else []


def _file_part(body: bytes, ctype: str) -> bytes:
    """The uploaded bytes (slack-sdk posts them raw; multipart is unwrapped)."""
    if "multipart" not in ctype:
        return body
    msg = BytesParser(policy=HTTP).parsebytes(
        b"Content-Type: " + ctype.encode() + b"\r\n\r\n" + body
    )
    for part in msg.iter_parts():
        payload = part.get_payload(decode=True)
        if isinstance(payload, bytes):
            return payload
    return b""
