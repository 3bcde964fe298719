"""Facebook Pages and Instagram through Meta's Graph API webhooks, with a Graph poller for backfill.

Webhooks (the ``feed`` field of a Page, the ``comments`` field of an Instagram
account):

- ``GET`` with ``hub.mode=subscribe``, ``hub.verify_token`` and ``hub.challenge`` is
  the verification handshake: the challenge comes back as the body when the token
  is ours, 403 otherwise;
- ``POST`` carries ``X-Hub-Signature-256: sha256=<HMAC-SHA256 of the raw body with
  the app secret>``; one without it, or with a wrong one, gets 401 and is not read.

A Page ``feed`` change with ``item`` ``comment``/``post``/``status`` and ``verb``
``add`` is a mention; edits, removals, reactions and likes are not. A reply
written by the Page itself (``from.id`` = the page id) is the brand's reply
(``author.is_brand``, ``in_reply_to`` = the parent comment or the post).

Backfill: ``GET /{page-id}/feed`` and ``GET /{post-id}/comments`` with ``since``,
following ``paging.next``. The Graph API answers rate limits with HTTP 400/403
and error codes 4, 17, 32, 613 or 80001, and an ``X-App-Usage`` /
``X-Business-Use-Case-Usage`` header whose ``estimated_time_to_regain_access`` is
in minutes; both are honoured.
"""

from __future__ import annotations

import hmac
import json
import os
import time
import urllib.parse
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from detectors.mention import InvalidMention, parse_time
from streams.sources.base import Bad, Batch, Fatal, Item, RateLimited, as_dict
from streams.sources.config import MetaConfig
from streams.sources.http import get, wait_seconds
from streams.sources.listener import Answer, json_answer, refused, signature_ok

RATE_LIMIT_CODES = frozenset({4, 17, 32, 613, 80001, 80002, 80004})
FEED_ITEMS = frozenset({"comment", "post", "status", "photo", "video"})


def _epoch(v: Any) -> datetime:
    if isinstance(v, bool) or v is None:
        raise InvalidMention("bad_created_at", "no created_time")
    if isinstance(v, int | float):
        return datetime.fromtimestamp(v / 1000.0 if v > 1e11 else float(v), UTC)
    s = str(v)
    if len(s) >= 5 and s[-5] in "+-" and s[-4:].isdigit():  # Graph: 2026-03-02T08:00:00+0000
        s = f"{s[:-2]}:{s[-2:]}"
    return parse_time(s)


def _raw(obj: Any) -> bytes:
    return json.dumps(obj, ensure_ascii=False).encode()


def page_change(page_id: str, entry_time: Any, value: dict[str, Any]) -> Item | Bad | None:
    """One ``feed`` change value; ``None`` when it is not a new post or comment."""
    if value.get("item") not in FEED_ITEMS or value.get("verb") != "add":
        return None
    raw = _raw(value)
    pid = value.get("comment_id") or value.get("post_id")
    if not isinstance(pid, str | int) or not str(pid):
        return Bad("missing_field", "comment_id/post_id", raw)
    text = value.get("message")
    if not isinstance(text, str):
        return Bad("missing_field", "message", raw, str(pid))
    frm = as_dict(value.get("from"))
    try:
        created = _epoch(value.get("created_time", entry_time))
    except (InvalidMention, OverflowError, OSError, ValueError) as exc:
        return Bad("bad_created_at", str(exc)[:200], raw, str(pid))
    parent = None
    if value.get("comment_id"):
        parent = value.get("parent_id") or value.get("post_id")
    return Item(
        platform_id=str(pid),
        created_at=created,
        text=text,
        author_id=None if frm.get("id") is None else str(frm["id"]),
        author_handle=frm.get("name"),
        in_reply_to=None if parent is None else str(parent),
        url=value.get("permalink_url") or value.get("link"),
        page_ids=(page_id,),
        raw=raw,
    )


def instagram_change(
    account_id: str, entry_time: Any, value: dict[str, Any], channel: str
) -> Item | Bad:
    raw = _raw(value)
    pid = value.get("id")
    if not isinstance(pid, str | int) or not str(pid):
        return Bad("missing_field", "id", raw)
    text = value.get("text")
    if not isinstance(text, str):
        return Bad("missing_field", "text", raw, str(pid))
    frm = as_dict(value.get("from"))
    media = as_dict(value.get("media"))
    try:
        created = _epoch(value.get("timestamp", entry_time))
    except (InvalidMention, OverflowError, OSError, ValueError) as exc:
        return Bad("bad_created_at", str(exc)[:200], raw, str(pid))
    parent = value.get("parent_id") or media.get("id")
    return Item(
        platform_id=str(pid),
        created_at=created,
        text=text,
        author_id=None if frm.get("id") is None else str(frm["id"]),
        author_handle=frm.get("username"),
        in_reply_to=None if parent is None else str(parent),
        page_ids=(account_id,),
        channel=channel,
        raw=raw,
    )


def parse_notification(doc: Any, instagram_channel: str) -> tuple[list[Item], list[Bad]]:
    items: list[Item] = []
    bad: list[Bad] = []
    if not isinstance(doc, dict) or not isinstance(doc.get("entry"), list):
        return items, [Bad("not_an_object", "expected {object, entry: [...]}", _raw(doc))]
    obj = doc.get("object")
    for entry in doc["entry"]:
        if not isinstance(entry, dict):
            bad.append(Bad("wrong_type", "entry must be an object", _raw(entry)))
            continue
        eid = str(entry.get("id", ""))
        for ch in entry.get("changes") or []:
            if not isinstance(ch, dict) or not isinstance(ch.get("value"), dict):
                bad.append(Bad("wrong_type", "change.value must be an object", _raw(ch)))
                continue
            field = ch.get("field")
            r: Item | Bad | None = None
            if obj == "page" and field == "feed":
                r = page_change(eid, entry.get("time"), ch["value"])
            elif obj == "instagram" and field == "comments":
                r = instagram_change(eid, entry.get("time"), ch["value"], instagram_channel)
            if isinstance(r, Item):
                items.append(r)
            elif isinstance(r, Bad):
                bad.append(r)
    return items, bad


class MetaSource:
    def __init__(
        self,
        cfg: MetaConfig,
        app_secret: str,
        verify_token: str,
        access_token: str | None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not app_secret:
            raise ValueError(f"{cfg.secret_env}: the Meta app secret is not set")
        if not verify_token:
            raise ValueError(f"{cfg.verify_token_env}: the webhook verify token is not set")
        self.cfg = cfg
        self._secret = app_secret.encode()
        self._verify = verify_token
        self._token = access_token
        self._clock = clock

    @classmethod
    def from_env(cls, cfg: MetaConfig) -> MetaSource:
        return cls(
            cfg,
            os.environ.get(cfg.secret_env, ""),
            os.environ.get(cfg.verify_token_env, ""),
            os.environ.get(cfg.access_token_env) or None,
        )

    # -- webhooks ----------------------------------------------------------------------

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
        if method == "GET":
            q = {k: v[0] for k, v in query.items() if v}
            if q.get("hub.mode") == "subscribe" and "hub.challenge" in q:
                if hmac.compare_digest(q.get("hub.verify_token", ""), self._verify):
                    return Answer(200, q["hub.challenge"].encode(), "text/plain")
                return refused(403, "verify token mismatch")
            return json_answer(400, {"error": "not a verification request"})
        if not signature_ok(
            self._secret, body, headers.get("x-hub-signature-256"), "sha256=", "hex"
        ):
            return refused(401, "bad or missing X-Hub-Signature-256")
        ans = Answer(200, b"EVENT_RECEIVED", "text/plain", deliver=True)
        try:
            doc = json.loads(body)
        except (ValueError, RecursionError):
            ans.bad.append(Bad("bad_json", "the body is not JSON", body))
            return ans
        ans.items, ans.bad = parse_notification(doc, self.cfg.instagram_channel)
        return ans

    # -- Graph API (backfill and check) --------------------------------------------------

    def _graph(self, url: str) -> dict[str, Any]:
        """GET a Graph URL; the access token is added here and never kept in a cursor."""
        if not self._token:
            raise Fatal(f"{self.cfg.access_token_env}: no Graph API access token for backfill")
        sep = "&" if "?" in url else "?"
        url = f"{url}{sep}{urllib.parse.urlencode({'access_token': self._token})}"
        r = get(
            url,
            {"Accept": "application/json"},
            self.cfg.timeout_seconds,
            self._clock(),
            ok=(200, 400, 403),
        )
        try:
            doc = json.loads(r.body)
        except ValueError:
            raise Fatal(f"Graph API: HTTP {r.status}, not JSON") from None
        if r.status == 200 and isinstance(doc, dict):
            return doc
        err = doc.get("error", {}) if isinstance(doc, dict) else {}
        code = err.get("code")
        if code in RATE_LIMIT_CODES:
            wait = wait_seconds(r.headers, self._clock())
            raise RateLimited(wait if wait else self.cfg.rate_limit_seconds, f"code {code}")
        raise Fatal(f"Graph API: HTTP {r.status} code {code}: {str(err.get('message'))[:200]}")

    def _url(self, path: str, **params: Any) -> str:
        return f"{self.cfg.graph_url.rstrip('/')}/{path}?{urllib.parse.urlencode(params)}"

    @staticmethod
    def _strip_token(url: str) -> str:
        """A ``paging.next`` URL without its ``access_token`` (cursors are stored in Kafka)."""
        u = urllib.parse.urlsplit(url)
        q = [(k, v) for k, v in urllib.parse.parse_qsl(u.query) if k != "access_token"]
        return urllib.parse.urlunsplit(u._replace(query=urllib.parse.urlencode(q)))

    def backfill_start(self, since: datetime) -> dict[str, Any]:
        s = int(since.timestamp())
        fields = "id,message,created_time,from,permalink_url"
        return {
            "since": s,
            "queue": [
                ["feed", p, self._url(f"{p}/feed", fields=fields, since=s, limit=100), None]
                for p in self.cfg.page_ids
            ],
        }

    def backfill_fetch(self, cursor: dict[str, Any]) -> Batch:
        queue = [list(q) for q in cursor.get("queue", [])]
        if not queue:
            return Batch(cursor=cursor)
        kind, page, url, post = queue[0]
        doc = self._graph(url)
        rest = queue[1:]
        batch = Batch()
        nxt = (doc.get("paging") or {}).get("next")
        if nxt:
            rest.insert(0, [kind, page, self._strip_token(str(nxt)), post])
        since = int(cursor.get("since", 0))
        for obj in doc.get("data") or []:
            if not isinstance(obj, dict):
                batch.bad.append(Bad("wrong_type", "data item must be an object", _raw(obj)))
                continue
            value = {
                "item": "comment" if kind == "comments" else "post",
                "verb": "add",
                "message": obj.get("message"),
                "created_time": obj.get("created_time"),
                "from": obj.get("from"),
                "permalink_url": obj.get("permalink_url"),
            }
            if kind == "comments":
                value["comment_id"] = obj.get("id")
                value["post_id"] = post
                parent = (obj.get("parent") or {}).get("id")
                value["parent_id"] = parent or post
            else:
                value["post_id"] = obj.get("id")
                fields = "id,message,created_time,from,parent{id},permalink_url"
                url = self._url(
                    f"{obj.get('id')}/comments",
                    fields=fields,
                    filter="stream",
                    since=since,
                    limit=100,
                )
                rest.append(["comments", page, url, obj.get("id")])
            r = page_change(page, None, value)
            if isinstance(r, Item):
                batch.items.append(r)
            elif isinstance(r, Bad):
                batch.bad.append(r)
        batch.cursor = {"since": since, "queue": rest}
        batch.more = bool(rest)
        return batch

    def fetch(self, cursor: dict[str, Any]) -> Batch:  # a push source: nothing to poll
        return Batch(cursor=cursor)

    def check(self) -> str:
        where = f"listens on {self.cfg.host}:{self.cfg.port}{self.cfg.path}"
        if not self._token or not self.cfg.page_ids:
            return f"{where}; no access token or page_ids: backfill disabled"
        names = []
        for p in self.cfg.page_ids:
            doc = self._graph(self._url(p, fields="id,name"))
            names.append(str(doc.get("name", p)))
        return f"{where}; Graph API reaches {', '.join(names)}"
