"""A news site's RSS 2.0 feed, with ETag/Last-Modified conditional GET (RFC 9110 s13).

Answers ``304 Not Modified`` (no body) when ``If-None-Match`` carries the current
ETag, as a web server does; a 429 is ``Retry-After`` seconds, as a CDN sends it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from email.utils import format_datetime
from xml.sax.saxutils import escape

from tests.sourcefakes.base import FakeServer, Reply, Request


@dataclass
class Entry:
    guid: str
    title: str
    published: datetime | None
    description: str = ""
    link: str | None = None


class FeedFake(FakeServer):
    def __init__(self, path: str = "/feed.xml") -> None:
        super().__init__()
        self.path = path
        self.entries: list[Entry] = []
        self.raw_body: bytes | None = None  # serve this instead (a broken feed)

    def body(self) -> bytes:
        if self.raw_body is not None:
            return self.raw_body
        items = []
        for e in self.entries:
            pub = f"<pubDate>{format_datetime(e.published)}</pubDate>" if e.published else ""
            link = f"<link>{escape(e.link)}</link>" if e.link else ""
            items.append(
                f'<item><guid isPermaLink="false">{escape(e.guid)}</guid><title>{escape(e.title)}'
                f"</title>{link}<description>{escape(e.description)}</description>{pub}</item>"
            )
        return (
            '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
            "<title>Uutiset</title><link>http://127.0.0.1/</link><language>fi</language>"
            + "".join(items)
            + "</channel></rss>"
        ).encode()

    def answer(self, req: Request) -> Reply:
        if req.path != self.path:
            return Reply(404, b"not found")
        body = self.body()
        etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
        headers = {"ETag": etag, "Last-Modified": "Mon, 02 Mar 2026 08:00:00 GMT"}
        if req.headers.get("if-none-match") == etag:
            return Reply(304, b"", headers)
        return Reply(200, body, {**headers, "Content-Type": "application/rss+xml; charset=utf-8"})
