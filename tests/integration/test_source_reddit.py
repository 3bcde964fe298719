"""Reddit source on the real broker against a local OAuth API: search and subreddit comments."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from detectors.mention import mention_from_obj
from tests.sourcefakes import reddit
from tests.sourcefakes.kafka import SourceProcess, read_topic, values, write_config

pytestmark = pytest.mark.integration

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


def test_reddit_source_end_to_end(bootstrap: str, prefix: str, tmp_path: Path) -> None:
    with reddit.RedditFake("cid", "csecret") as api:
        api.search = [
            reddit.post(
                f"p{i}", f"Nordbank kysymys {i}", "Toimiiko teillä?", T0 + timedelta(minutes=i)
            )
            for i in range(150)
        ][::-1]  # 150 posts: two pages of 100
        api.comments["Suomi"] = [
            reddit.comment("c1", "Lumoverkolla sama ongelma", T0, "t3_p1"),
            reddit.comment("c2", "Ei liity mihinkään", T0, "t3_p1"),
            {"kind": "t1", "data": {"name": "t1_bad", "body": "Nordbank"}},  # no created_utc
        ]
        api.fail_next(
            1,
            429,
            b'{"message": "Too Many Requests", "error": 429}',
            **{"x-ratelimit-reset": "1", "x-ratelimit-remaining": "0"},
        )
        cfg = write_config(
            tmp_path / "cfg.yaml",
            {
                "rd": {
                    "kind": "reddit",
                    "query": "Nordbank OR Lumoverkko",
                    "subreddits": ["Suomi"],
                    "auth_url": f"{api.base_url}/api/v1/access_token",
                    "api_url": api.base_url,
                    "poll_seconds": 0.3,
                }
            },
        )
        env = {"REDDIT_CLIENT_ID": "cid", "REDDIT_CLIENT_SECRET": "csecret"}
        src = SourceProcess("rd", cfg, bootstrap, prefix, tmp_path / "a.log", **env)
        try:
            got = read_topic(bootstrap, f"{prefix}mentions", 151)
            api.expire_tokens()  # the token is revoked: the source renews it
            api.search.insert(
                0, reddit.post("p999", "Nordbank taas alhaalla", "", T0 + timedelta(hours=5))
            )
            got = read_topic(bootstrap, f"{prefix}mentions", 152)
        finally:
            assert src.stop() == 0, src.text()[-3000:]
        objs = values(got)
        assert len(objs) == 152
        for r, o in zip(got, objs, strict=True):
            m = mention_from_obj(o)
            assert r.key == m.brand.encode()
            assert m.source == "reddit"
        c1 = next(o for o in objs if o["id"] == "reddit:t1_c1:lumoverkko")
        assert c1["in_reply_to"] == "reddit:t3_p1:lumoverkko"
        assert c1["url"] == "https://www.reddit.com/r/Suomi/comments/p1/x/c1/"
        # the first call was refused with 429 + x-ratelimit-reset: 1, the next came a second later
        assert api.requests[0].status == 429
        assert api.requests[1].at - api.requests[0].at >= 0.95
        assert (
            sum(1 for r in api.requests if r.path == "/api/v1/access_token") >= 3
        )  # 429, ok, renewal
        dead = values(read_topic(bootstrap, f"{prefix}mentions.dead", 1))
        assert [(d["reason"], d["platform_id"]) for d in dead] == [("bad_created_at", "t1_bad")]

        api.search.insert(
            0, reddit.post("p1000", "Nordbank toimii taas", "", T0 + timedelta(hours=6))
        )
        src = SourceProcess("rd", cfg, bootstrap, prefix, tmp_path / "b.log", **env)
        try:
            got2 = read_topic(bootstrap, f"{prefix}mentions", 153)
        finally:
            assert src.stop() == 0, src.text()[-3000:]
    ids = Counter(json.loads(r.value)["id"] for r in got2)
    assert len(ids) == 153
    assert max(ids.values()) == 1
