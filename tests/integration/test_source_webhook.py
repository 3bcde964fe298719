"""The generic webhook (a help desk posting tickets) on the real broker."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from detectors.mention import mention_from_obj
from tests.harness import free_port
from tests.sourcefakes import helpdesk
from tests.sourcefakes.kafka import SourceProcess, read_topic, values, write_config
from tests.sourcefakes.meta import get, post

pytestmark = pytest.mark.integration

SECRET = "helpdesk-shared-secret"
MAPPING = {
    "items": "/events",
    "id": "/ticket/id",
    "text": "/ticket/latest_comment/body",
    "created_at": "/ticket/created_at",
    "author_id": "/ticket/requester/id",
    "author_name": "/ticket/requester/name",
    "url": "/ticket/url",
}


def _start(tmp_path: Path, bootstrap: str, prefix: str, port: int, log: str) -> SourceProcess:
    conf = write_config(
        tmp_path / "cfg.yaml",
        {
            "care": {
                "kind": "webhook",
                "port": port,
                "path": "/hook",
                "secret_env": "CARE_SECRET",
                "signature_header": "X-Webhook-Signature",
                "signature_prefix": "",
                "signature_encoding": "base64",
                "mapping": MAPPING,
            }
        },
    )
    src = SourceProcess("care", conf, bootstrap, prefix, tmp_path / log, CARE_SECRET=SECRET)
    src.wait_for_log("listening on")
    return src


def test_generic_webhook_end_to_end(bootstrap: str, prefix: str, tmp_path: Path) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}/hook"
    t = helpdesk.ticket
    body = helpdesk.batch(
        [
            t(1, "Kortti", "Nordbankin kortti ei käy kaupassa", "2026-03-02T08:00:00Z"),
            t(
                2,
                "Liittymä",
                "Lumoverkko ei toimi, eikä Nordbankin sovellus",
                "2026-03-02T08:01:00Z",
            ),
            t(3, "Muu", "Kiitos nopeasta avusta", "2026-03-02T08:02:00Z"),  # no brand
            t(4, "Aika", "Nordbank: väärä aika", "eilen"),  # bad time: dead letter
            {"ticket": {"subject": "ei id:tä"}},  # no id: dead letter
        ]
    )
    src = _start(tmp_path, bootstrap, prefix, port, "a.log")
    try:
        assert post(url, body, {})[0] == 401
        assert post(url, body, {"X-Webhook-Signature": helpdesk.sign("wrong", body)})[0] == 401
        assert (
            post(url, body + b" ", {"X-Webhook-Signature": helpdesk.sign(SECRET, body)})[0] == 401
        )
        assert get(url)[0] == 405
        assert post(url, body, {"X-Webhook-Signature": helpdesk.sign(SECRET, body)})[0] == 200
        junk = b"{not json"
        assert post(url, junk, {"X-Webhook-Signature": helpdesk.sign(SECRET, junk)})[0] == 200
        got = read_topic(bootstrap, f"{prefix}mentions", 3)
    finally:
        assert src.stop() == 0, src.text()[-3000:]
    objs = values(got)
    assert sorted(o["id"] for o in objs) == [
        "chat:1:nordbank",
        "chat:2:lumoverkko",
        "chat:2:nordbank",
    ]
    for r, o in zip(got, objs, strict=True):
        m = mention_from_obj(o)
        assert r.key == m.brand.encode()
        assert m.source == "chat"
        assert m.author_id == "u-501"
    dead = values(read_topic(bootstrap, f"{prefix}mentions.dead", 3))
    assert sorted(d["reason"] for d in dead) == ["bad_created_at", "bad_json", "missing_field"]
    assert all(d["source"] == "care" for d in dead)

    # restart; the tool retries the first batch (no 200 seen) and sends a new ticket
    src = _start(tmp_path, bootstrap, prefix, port, "b.log")
    try:
        body2 = helpdesk.batch(
            [t(5, "Uusi", "Nordbank toimii taas, kiitos", "2026-03-02T09:00:00Z")]
        )
        for b in (body, body2):
            assert post(url, b, {"X-Webhook-Signature": helpdesk.sign(SECRET, b)})[0] == 200
        got2 = read_topic(bootstrap, f"{prefix}mentions", 4)
    finally:
        assert src.stop() == 0, src.text()[-3000:]
    ids = Counter(json.loads(r.value)["id"] for r in got2)
    assert len(ids) == 4
    assert max(ids.values()) == 1
    # the retried batch's bad records were not dead-lettered twice either
    assert len(read_topic(bootstrap, f"{prefix}mentions.dead", 3, timeout=3)) == 4
