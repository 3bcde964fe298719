"""Apple's customer-reviews feed (JSON): 50 reviews a page, 10 pages, newest first.

Shape as the feed serves it: every value wrapped in ``{"label": ...}``, ``entry`` a
list (an object when there is one review), ``updated`` with a -07:00 offset.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from tests.sourcefakes.base import FakeServer, Reply, Request

PACIFIC = timezone(timedelta(hours=-7))
_PATH = re.compile(r"^/(\w\w)/rss/customerreviews/page=(\d+)/id=(\d+)/sortby=mostrecent/json$")


@dataclass
class Review:
    rid: str
    title: str
    content: str
    rating: int
    updated: datetime | None
    author: str = "Asiakas"


def _entry(r: Review) -> dict[str, Any]:
    e: dict[str, Any] = {
        "author": {
            "uri": {"label": "https://itunes.apple.com/fi/reviews/id1"},
            "name": {"label": r.author},
            "label": "",
        },
        "im:version": {"label": "5.2.1"},
        "im:rating": {"label": str(r.rating)},
        "id": {"label": r.rid},
        "title": {"label": r.title},
        "content": {"label": r.content, "attributes": {"type": "text"}},
        "link": {
            "attributes": {"rel": "related", "href": "https://itunes.apple.com/fi/review?id=1"}
        },
        "im:voteSum": {"label": "0"},
        "im:contentType": {"attributes": {"term": "Application", "label": "Application"}},
        "im:voteCount": {"label": "0"},
    }
    if r.updated is not None:
        e["updated"] = {"label": r.updated.astimezone(PACIFIC).isoformat()}
    return e


class AppStoreFake(FakeServer):
    def __init__(self, app_id: str) -> None:
        super().__init__()
        self.app_id = app_id
        self.reviews: list[Review] = []  # newest first

    def answer(self, req: Request) -> Reply:
        m = _PATH.match(req.path)
        if not m or m.group(3) != self.app_id:
            return Reply(404, b"<html>Not Found</html>", {"Content-Type": "text/html"})
        page = int(m.group(2))
        if page > 10:
            return Reply(400, b"<html>Bad Request</html>", {"Content-Type": "text/html"})
        rows = self.reviews[(page - 1) * 50 : page * 50]
        feed: dict[str, Any] = {
            "author": {
                "name": {"label": "iTunes Store"},
                "uri": {"label": "http://www.apple.com/fi/itunes/"},
            },
            "updated": {"label": "2026-03-02T01:00:00-07:00"},
            "id": {
                "label": f"https://mzstoreservices-int-st.itunes.apple.com/fi/rss/customerreviews/page={page}/id={self.app_id}/sortby=mostrecent/json"
            },
            "title": {"label": "iTunes Store: Asiakasarviot"},
        }
        if len(rows) == 1:
            feed["entry"] = _entry(rows[0])
        elif rows:
            feed["entry"] = [_entry(r) for r in rows]
        body = json.dumps({"feed": feed}, ensure_ascii=False).encode()
        return Reply(200, body, {"Content-Type": "text/javascript; charset=utf-8"})
