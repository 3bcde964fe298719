"""A generic webhook with a declared field mapping (Zendesk, Freshdesk, Intercom, LiveChat, ...).

The tool POSTs JSON; ``mapping`` names a JSON pointer (RFC 6901) per canonical field,
and ``items`` points at a list when one request carries several records. Every
request must carry an HMAC-SHA256 of the raw body made with the shared secret
(``signature_header``, ``signature_prefix``, hex or base64); one without it, or with
a wrong one, gets 401 and is not read.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from typing import Any

from detectors.mention import InvalidMention, parse_time
from streams.sources.base import Bad, Item
from streams.sources.config import WebhookConfig, WebhookMapping
from streams.sources.listener import Answer, json_answer, refused, signature_ok

_MISSING = object()


def resolve(doc: Any, pointer: str) -> Any:
    """RFC 6901 JSON pointer; a missing path gives ``_MISSING``.

    >>> resolve({"a": [{"b~/c": 1}]}, "/a/0/b~0~1c")
    1
    >>> resolve({"a": 1}, "/b") is _MISSING
    True
    """
    if pointer == "":
        return doc
    cur = doc
    for part in pointer[1:].split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        if isinstance(cur, dict) and part in cur:
            cur = cur[part]
        elif isinstance(cur, list) and part.isdigit() and int(part) < len(cur):
            cur = cur[int(part)]
        else:
            return _MISSING
    return cur


def _time(v: Any) -> datetime:
    if isinstance(v, bool):
        raise InvalidMention("bad_created_at", "a boolean is not a time")
    if isinstance(v, int | float):
        s = v / 1000.0 if v > 1e11 else float(v)  # epoch milliseconds or seconds
        return datetime.fromtimestamp(s, UTC)
    return parse_time(v)


def _opt(rec: Any, pointer: str | None) -> str | None:
    if pointer is None:
        return None
    v = resolve(rec, pointer)
    if v is _MISSING or v is None:
        return None
    return str(v)


def map_record(rec: Any, m: WebhookMapping) -> Item | Bad:
    raw = json.dumps(rec, ensure_ascii=False).encode()
    pid = resolve(rec, m.id)
    if pid is _MISSING or pid is None or isinstance(pid, dict | list) or str(pid) == "":
        return Bad("missing_field", f"id ({m.id})", raw)
    text = resolve(rec, m.text)
    if not isinstance(text, str):
        return Bad(
            "missing_field" if text is _MISSING else "wrong_type", f"text ({m.text})", raw, str(pid)
        )
    when = resolve(rec, m.created_at)
    try:
        created = _time(None if when is _MISSING else when)
    except (InvalidMention, OverflowError, OSError, ValueError) as exc:
        return Bad("bad_created_at", str(exc)[:200], raw, str(pid))
    return Item(
        platform_id=str(pid),
        created_at=created,
        text=text,
        author_id=_opt(rec, m.author_id),
        author_handle=_opt(rec, m.author_name),
        in_reply_to=_opt(rec, m.in_reply_to),
        url=_opt(rec, m.url),
        lang=_opt(rec, m.lang),
        brand=_opt(rec, m.brand),
        raw=raw,
    )


class GenericWebhook:
    def __init__(self, cfg: WebhookConfig, secret: str) -> None:
        if not secret:
            raise ValueError(f"{cfg.secret_env}: the webhook secret is not set")
        self.cfg = cfg
        self._secret = secret.encode()

    @classmethod
    def from_env(cls, cfg: WebhookConfig) -> GenericWebhook:
        return cls(cfg, os.environ.get(cfg.secret_env, ""))

    def handle(
        self,
        method: str,
        path: str,
        query: dict[str, list[str]],
        headers: dict[str, str],
        body: bytes,
    ) -> Answer:
        if path != self.cfg.path:
            return json_answer(404, {"error": "not found"})
        if method != "POST":
            return json_answer(405, {"error": "POST only"})
        given = headers.get(self.cfg.signature_header.lower())
        if not signature_ok(
            self._secret, body, given, self.cfg.signature_prefix, self.cfg.signature_encoding
        ):
            return refused(401, "bad or missing signature")
        ans = json_answer(200, {"ok": True})
        ans.deliver = True
        try:
            doc = json.loads(body)
        except (ValueError, RecursionError):
            ans.bad.append(Bad("bad_json", "the body is not JSON", body))
            return ans
        recs = resolve(doc, self.cfg.mapping.items)
        if recs is _MISSING:
            ans.bad.append(Bad("missing_field", f"items ({self.cfg.mapping.items})", body))
            return ans
        for rec in recs if isinstance(recs, list) else [recs]:
            r = map_record(rec, self.cfg.mapping)
            (ans.bad if isinstance(r, Bad) else ans.items).append(r)  # type: ignore[arg-type]
        return ans

    def check(self) -> str:
        c = self.cfg
        return f"listens on {c.host}:{c.port}{c.path}; secret from {c.secret_env} is set"
