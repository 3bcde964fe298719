"""The worker end to end on the real broker: mentions in, incident and Slack post out."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator

import pytest

from tests.harness import Worker, business_morning, consume, outage_mentions, produce, wait_for
from tests.slackfake import SlackFake

pytestmark = pytest.mark.integration

TOKEN = "xoxb-pipeline-test-token"


@pytest.fixture
def slack() -> Iterator[SlackFake]:
    with SlackFake(token=TOKEN) as s:
        yield s


def test_outage_becomes_incident_and_slack_post(
    bootstrap: str, spawn_worker: Callable[..., Worker], slack: SlackFake
) -> None:
    w = spawn_worker({"SLACK_BOT_TOKEN": TOKEN, "SLACK_API_URL": slack.base_url})
    mentions = outage_mentions("nordbank", business_morning())
    bad = [b"{not json", json.dumps({"id": "x:bad", "source": "x", "brand": "nordbank"}).encode()]
    records = [(b"nordbank", json.dumps(m).encode()) for m in mentions[:100]]
    records += [(b"nordbank", b) for b in bad]
    records += [(b"nordbank", json.dumps(m).encode()) for m in mentions[100:]]
    produce(bootstrap, w.topic("mentions"), records)

    posts = wait_for(lambda: slack.calls_to("chat.postMessage"), 120, "a Slack post")
    first = posts[0]
    assert first.token == TOKEN
    body = json.dumps(first.params, ensure_ascii=False)
    assert "nordbank" in body.lower()

    dead = consume(bootstrap, w.topic("mentions.dead"), 2, timeout=60)
    reasons = sorted(json.loads(r.value)["reason"] for r in dead)
    assert reasons == ["invalid_json", "missing_field"]
    assert all("original" in json.loads(r.value) for r in dead)

    incidents = consume(bootstrap, w.topic("incidents"), 1, timeout=60)
    opened = [json.loads(r.value) for r in incidents]
    assert any(o["type"] == "opened" and o["incident"]["brand"] == "nordbank" for o in opened)

    wait_for(
        lambda: w.metric("spikewatch_mentions_consumed_total") >= len(mentions),
        60,
        "every good mention counted",
    )
    assert w.metric("spikewatch_mentions_consumed_total") == len(mentions)
    assert w.metric("spikewatch_invalid_records_total", reason="invalid_json") == 1
    assert w.metric("spikewatch_invalid_records_total", reason="missing_field") == 1
    assert w.metric("spikewatch_incidents_opened_total") >= 1
    assert TOKEN not in w.log_text()


def test_http_ingest_accepts_batches_and_dead_letters_the_bad(
    bootstrap: str, spawn_worker: Callable[..., Worker]
) -> None:
    import urllib.request

    w = spawn_worker({"SPIKEWATCH_INGEST_TOKEN": "ingest-secret"})
    good = outage_mentions("nordbank", business_morning(), normal_hours=0.5, surge_minutes=0)
    body = json.dumps([*good[:3], {"id": "x:9", "brand": "nordbank"}]).encode()

    def post(data: bytes, token: str | None) -> tuple[int, dict]:
        req = urllib.request.Request(
            f"{w.url}/ingest",
            data=data,
            method="POST",
            headers={"Content-Type": "application/json"},
        )
        if token:
            req.add_header("Authorization", f"Bearer {token}")
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                return r.status, json.loads(r.read())
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read() or b"{}")

    assert post(body, None)[0] == 401
    assert post(body, "wrong")[0] == 401
    status, res = post(body, "ingest-secret")
    assert status == 202
    assert res["accepted"] == 3
    assert [r["reason"] for r in res["rejected"]] == ["missing_field"]
    assert post(b"{nope", "ingest-secret")[0] == 400
    wait_for(lambda: w.metric("spikewatch_mentions_consumed_total") >= 3, 60, "3 mentions consumed")
    dead = consume(bootstrap, w.topic("mentions.dead"), 2, timeout=30)
    assert sorted(json.loads(r.value)["reason"] for r in dead) == ["invalid_json", "missing_field"]
