"""Meta webhooks (Page feed, Instagram comments) and the Graph backfill on the real broker."""

from __future__ import annotations

import json
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest

from detectors.mention import mention_from_obj
from tests.harness import free_port
from tests.sourcefakes import meta
from tests.sourcefakes.kafka import SourceProcess, read_topic, values, write_config

pytestmark = pytest.mark.integration

SECRET = "meta-app-secret"
VERIFY = "verify-me"
T = int(datetime(2026, 3, 2, 8, 0, tzinfo=UTC).timestamp())


def _source(tmp_path: Path, bootstrap: str, prefix: str, port: int, log: str, **cfg: object):
    conf = write_config(
        tmp_path / "cfg.yaml",
        {"meta": {"kind": "meta", "port": port, "path": "/meta", **cfg}},
    )
    src = SourceProcess(
        "meta",
        conf,
        bootstrap,
        prefix,
        tmp_path / log,
        META_APP_SECRET=SECRET,
        META_VERIFY_TOKEN=VERIFY,
        META_ACCESS_TOKEN="page-token",
    )
    src.wait_for_log("listening on")
    return src, conf


def test_meta_webhook_end_to_end(bootstrap: str, prefix: str, tmp_path: Path) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}/meta"
    src, _ = _source(tmp_path, bootstrap, prefix, port, "a.log")
    try:
        # the verification handshake
        q = "hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token="
        assert meta.get(f"{url}?{q}{VERIFY}") == (200, b"1158201444")
        assert meta.get(f"{url}?{q}wrong")[0] == 403

        body = meta.notification(
            "page",
            "1001",
            [
                meta.page_comment("1001", "1001_100_1", "Verkkopankki ei toimi!", T),
                meta.page_comment("1001", "1001_100_2", "Sama täällä", T + 5),
                # the Page's own reply to the first comment: the brand's reply
                meta.page_comment(
                    "1001",
                    "1001_100_3",
                    "Pahoittelut, selvitämme.",
                    T + 60,
                    from_id="1001",
                    from_name="Nordbank",
                    parent_id="1001_100_1",
                ),
                meta.page_comment(
                    "1001", "1001_100_9", "edited", T, verb="edited"
                ),  # not a mention
                {
                    "field": "feed",
                    "value": {
                        "item": "comment",
                        "verb": "add",
                        "comment_id": "1001_100_4",
                        "created_time": T,
                    },
                },  # no message: dead letter
            ],
            T,
        )
        # unsigned and wrongly signed requests are refused and not read
        assert meta.post(url, body, {})[0] == 401
        assert meta.post(url, body, {"X-Hub-Signature-256": meta.sign("other", body)})[0] == 401
        assert meta.post(url, body, {"X-Hub-Signature-256": meta.sign(SECRET, body)}) == (
            200,
            b"EVENT_RECEIVED",
        )
        ig = meta.notification(
            "instagram",
            "17841400000",
            [meta.instagram_comment("ig-c-1", "Lumoverkko pätkii taas @lumoverkko")],
            T + 10,
        )
        assert meta.post(url, ig, {"X-Hub-Signature-256": meta.sign(SECRET, ig)})[0] == 200
        got = values(read_topic(bootstrap, f"{prefix}mentions", 4))
    finally:
        assert src.stop() == 0, src.text()[-3000:]
    assert len(got) == 4
    by_id = {o["id"]: o for o in got}
    for o in got:
        mention_from_obj(o)
    assert by_id["facebook:1001_100_1:nordbank"][
        "in_reply_to"
    ] == "facebook:1001_100_100:nordbank".replace("1001_100_100", "1001_100")
    reply = by_id["facebook:1001_100_3:nordbank"]
    assert reply["author"]["is_brand"] is True
    assert reply["in_reply_to"] == "facebook:1001_100_1:nordbank"
    assert by_id["facebook:1001_100_2:nordbank"]["author"]["is_brand"] is False
    assert by_id["instagram:ig-c-1:lumoverkko"]["source"] == "instagram"
    dead = values(read_topic(bootstrap, f"{prefix}mentions.dead", 1))
    assert [(d["reason"], d["platform_id"]) for d in dead] == [("missing_field", "1001_100_4")]

    # restart: Meta redelivers the first notification (it got no 200 in time) plus a new one
    src, _ = _source(tmp_path, bootstrap, prefix, port, "b.log")
    try:
        again = meta.notification(
            "page",
            "1001",
            [
                meta.page_comment("1001", "1001_100_2", "Sama täällä", T + 5),
                meta.page_comment("1001", "1001_100_5", "Nyt toimii taas", T + 600),
            ],
            T + 600,
        )
        assert meta.post(url, again, {"X-Hub-Signature-256": meta.sign(SECRET, again)})[0] == 200
        got2 = read_topic(bootstrap, f"{prefix}mentions", 5)
    finally:
        assert src.stop() == 0, src.text()[-3000:]
    ids = Counter(json.loads(r.value)["id"] for r in got2)
    assert len(ids) == 5
    assert max(ids.values()) == 1


def test_meta_graph_backfill_honours_rate_limit(
    bootstrap: str, prefix: str, tmp_path: Path
) -> None:
    import subprocess
    import sys

    with meta.GraphFake("page-token") as graph:
        graph.posts["1001"] = [
            {
                "id": f"1001_{i}",
                "message": f"Nordbank tiedote {i}",
                "created_time": f"2026-03-0{1 + i % 3}T08:00:00+0000",
                "from": {"id": "1001", "name": "Nordbank"},
                "_ts": T - 86400 + i,
            }
            for i in range(5)
        ]
        graph.comments["1001_0"] = [
            {
                "id": f"1001_0_{j}",
                "message": f"kommentti {j}",
                "created_time": "2026-03-02T09:00:00+0000",
                "from": {"id": f"u{j}", "name": "Asiakas"},
                "_ts": T + j,
            }
            for j in range(3)
        ]
        graph.rate_limit_next(1)
        conf = write_config(
            tmp_path / "cfg.yaml",
            {
                "meta": {
                    "kind": "meta",
                    "port": 0,
                    "graph_url": f"{graph.base_url}/v21.0",
                    "page_ids": ["1001"],
                    "rate_limit_seconds": 1,
                }
            },
        )
        env = {
            "SPIKEWATCH_KAFKA_BOOTSTRAP_SERVERS": bootstrap,
            "SPIKEWATCH_TOPIC_PREFIX": prefix,
            "META_APP_SECRET": SECRET,
            "META_VERIFY_TOKEN": VERIFY,
            "META_ACCESS_TOKEN": "page-token",
        }
        import os

        started = time.monotonic()
        out = subprocess.run(
            [
                sys.executable,
                "-m",
                "streams.cli",
                "source",
                "backfill",
                "meta",
                "--since",
                "2026-02-25T00:00:00Z",
                "--config",
                str(conf),
            ],
            env={**{k: v for k, v in os.environ.items() if not k.startswith("SPIKEWATCH_")}, **env},
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert out.returncode == 0, out.stderr[-3000:]
        assert "8 mentions written" in out.stdout, out.stdout
        assert time.monotonic() - started >= 1.0
        first, second = graph.requests[0], graph.requests[1]
        assert first.status == 400
        assert second.status == 200
        assert second.at - first.at >= 0.95  # the rate limit was honoured
        got = values(read_topic(bootstrap, f"{prefix}mentions", 8))
    assert len(got) == 8  # 5 page posts (the brand's own) + 3 comments on the first
    posts = [o for o in got if o["author"]["is_brand"]]
    assert len(posts) == 5
    comments = [o for o in got if not o["author"]["is_brand"]]
    assert {o["in_reply_to"] for o in comments} == {"facebook:1001_0:nordbank"}
    assert sum(1 for r in graph.requests if "after" in r.query) >= 3  # paging.next followed
    # the backfill cursor (stored in Kafka) never holds the access token
    cursors = read_topic(bootstrap, f"{prefix}sources.cursors", 1)
    assert cursors
    assert all(b"page-token" not in r.value for r in cursors)
