"""Nasty records through the topic and the ingest endpoint of a real worker.

The corpus (``tests/data/nasty``) plus generated cases (deep nesting, empty and
null Kafka values, a 900 KB record, 1 MB texts) go in twice: produced on the
``mentions`` topic and POSTed to ``/ingest`` as NDJSON. Every bad record must end
in ``mentions.dead`` exactly once with its reason, every good one around them
must be processed, the worker must stay up, and user text that tries to ping
``@channel`` or inject links must reach Slack escaped.
"""

from __future__ import annotations

import json
import re
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from kafka import KafkaProducer
from kafka.errors import MessageSizeTooLargeError

from tests.data.nasty.corpus import Case, load_cases
from tests.harness import Worker, business_morning, consume, outage_mentions, wait_for
from tests.slackfake import SlackFake

pytestmark = pytest.mark.integration

SLACK_TOKEN = "xoxb-bad-input-test-token"
INGEST_TOKEN = "ingest-bad-input-token"
INJECTION = " <!channel> <!here> @everyone <@U0ADMIN> <https://evil.example/x|klikkaa>"
PING = re.compile(
    r"<!(channel|here|everyone|subteam)|<@U0ADMIN|<https?://evil"
    r"|(?<![\w\u200b])@(channel|here|everyone)\b",
    re.I,
)


def post(w: Worker, body: bytes, ctype: str = "application/x-ndjson") -> tuple[int, Any]:
    req = urllib.request.Request(
        f"{w.url}/ingest",
        data=body,
        method="POST",
        headers={"Content-Type": ctype, "Authorization": f"Bearer {INGEST_TOKEN}"},
    )
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"{}")


def mention(i: int, text: str, prefix: str) -> bytes:
    t = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 1800))
    return json.dumps(
        {"id": f"{prefix}{i}", "source": "web", "brand": "nordbank", "created_at": t, "text": text},
        ensure_ascii=False,
    ).encode()


def generated(prefix: str) -> list[Case]:
    """Cases too big or too odd for the corpus file."""
    return [
        Case("nesting 100000 deep", "invalid_json", b"[" * 100_000),
        Case("object nesting 5000 deep", "invalid_json", b'{"a":' * 5000 + b"1" + b"}" * 5000),
        Case("text of 300000 chars", "too_long", mention(1, "ä" * 300_000, prefix)),
        Case("only whitespace", "invalid_json", b" \t "),
    ]


def test_nasty_records_are_dead_lettered_and_good_ones_processed(
    bootstrap: str, spawn_worker: Callable[..., Worker]
) -> None:
    with SlackFake(token=SLACK_TOKEN) as slack:
        w = spawn_worker(
            {
                "SLACK_BOT_TOKEN": SLACK_TOKEN,
                "SLACK_API_URL": slack.base_url,
                "SPIKEWATCH_INGEST_TOKEN": INGEST_TOKEN,
            }
        )
        topic_cases = load_cases(time.time(), id_prefix="topic:") + generated("topic-gen:")
        http_cases = [c for c in load_cases(time.time(), id_prefix="http:")]

        # 1. The topic: every case as one Kafka record (key = brand), plus empty and null values.
        producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=5)
        where: dict[tuple[int, int], str] = {}
        for c in topic_cases:
            md = producer.send(w.topic("mentions"), key=b"nordbank", value=c.raw).get(timeout=60)
            # Duplicates pass the enrich stage; the detect stage dead-letters them.
            where[(md.partition, md.offset)] = "ok" if c.expect == "duplicate" else c.expect
        for value in (b"", None):
            md = producer.send(w.topic("mentions"), key=b"nordbank", value=value).get(timeout=60)
            where[(md.partition, md.offset)] = "invalid_json"
        # A record above the 1 MB limit is refused loudly, by a default producer and by the
        # broker, never lost silently: 1 MB texts belong to the ingest endpoint (400 too_long).
        big = mention(2, "x" * 1_100_000, "topic-gen:")
        for limit in (None, 4 * 1024 * 1024):
            extra = {"max_request_size": limit} if limit else {}
            p = KafkaProducer(bootstrap_servers=bootstrap, acks="all", **extra)
            with pytest.raises(MessageSizeTooLargeError):
                p.send(w.topic("mentions"), key=b"nordbank", value=big).get(timeout=60)
            p.close(timeout=5)
        # An outage whose every post tries to ping the channel (brand lumoverkko).
        storm = outage_mentions("lumoverkko", business_morning(), id_prefix="storm")
        for m in storm[-700:]:
            m["text"] += INJECTION
        for m in storm:
            producer.send(w.topic("mentions"), key=b"lumoverkko", value=json.dumps(m).encode())
        producer.flush(timeout=60)
        producer.close()

        # 2. The ingest endpoint: the corpus as one NDJSON body, then single bodies.
        status, res = post(w, b"\n".join(c.raw for c in http_cases) + b"\n")
        assert status == 202, res
        got = {r["index"]: r["reason"] for r in res["rejected"]}
        for i, c in enumerate(http_cases):
            want = None if c.expect in ("ok", "duplicate") else c.expect
            assert got.get(i) == want, (c.name, got.get(i))
        assert res["accepted"] == sum(c.expect in ("ok", "duplicate") for c in http_cases)
        singles = [
            (mention(3, "ä" * 1_000_000, "http-gen:"), "application/json", 400, "too_long"),
            (b'{"id": "\xff\xfe"}', "application/json", 400, "invalid_utf8"),
            (b"{nope", "application/json", 400, "invalid_json"),
            (b"[" * 50_000, "application/json", 400, "invalid_json"),
            (b'[{"id": "a\\ud800"}, 7]', "application/json", 400, None),
        ]
        http_dead: Counter[str] = Counter(
            c.expect for c in http_cases if c.expect not in ("ok", "duplicate")
        )
        for body, ctype, want_status, want_reason in singles:
            status, res = post(w, body, ctype)
            assert status == want_status, (body[:40], res)
            reasons = [r["reason"] for r in res["rejected"]]
            if want_reason:
                assert reasons == [want_reason]
            http_dead.update(reasons)

        # 3. Outcome: each bad record dead-lettered once with its reason, good ones processed.
        ok_topic = sum(c.expect == "ok" for c in topic_cases)
        ok_http = sum(c.expect == "ok" for c in http_cases)
        dups = sum(c.expect == "duplicate" for c in topic_cases + http_cases)
        processed = ok_topic + ok_http + len(storm)
        wait_for(
            lambda: (
                w.metric("spikewatch_stage_duration_seconds_count", stage="detect") >= processed
            ),
            120,
            f"{processed} good mentions through detect",
        )
        expected_dead = sum(1 for v in where.values() if v != "ok") + dups + sum(http_dead.values())
        try:
            wait_for(
                lambda: w.metric("spikewatch_invalid_records_total") >= expected_dead,
                60,
                f"{expected_dead} records counted invalid",
            )
        except AssertionError:
            print([ln for ln in w.metrics().splitlines() if "invalid_records_total{" in ln])
            print(w.log_text()[-3000:])
            raise
        time.sleep(2)  # anything extra would show up now
        assert w.metric("spikewatch_stage_duration_seconds_count", stage="detect") == processed
        assert w.metric("spikewatch_invalid_records_total") == expected_dead

        dead = [
            json.loads(r.value)
            for r in consume(bootstrap, w.topic("mentions.dead"), expected_dead, timeout=60)
        ]
        assert len(dead) == expected_dead
        from_topic = {
            (d["partition"], d["offset"]): d["reason"]
            for d in dead
            if d.get("topic") == w.topic("mentions")
        }
        # Duplicates are found by the detect step of the same pass, so their dead letter
        # also names the record's place in `mentions` (topic and HTTP copies alike).
        not_dup = {k: v for k, v in from_topic.items() if v != "duplicate"}
        assert not_dup == {k: v for k, v in where.items() if v not in ("ok", "duplicate")}
        assert sum(v == "duplicate" for v in from_topic.values()) == dups
        assert Counter(d["reason"] for d in dead if d.get("via") == "http") == http_dead
        assert all(d["detail"] and "original" in d for d in dead)
        assert len(dead) == len(from_topic) + sum(http_dead.values())
        huge = [d for d in dead if d.get("truncated")]
        # 100 000 brackets and the 300 000-char text on the topic, the 1 MB text over HTTP.
        assert sorted(d["original_bytes"] for d in huge) == sorted(
            len(b)
            for b in (
                b"[" * 100_000,
                mention(1, "ä" * 300_000, "topic-gen:"),
                mention(3, "ä" * 1_000_000, "http-gen:"),
            )
        )

        # 4. Slack got the storm's alert with its sample posts, and none of them pings anyone.
        def shown() -> str:
            texts = []
            for call in list(slack.calls):
                for k in ("text", "blocks"):
                    v = call.params.get(k)
                    texts.append(v if isinstance(v, str) else json.dumps(v, ensure_ascii=False))
            return "\n".join(texts)

        wait_for(lambda: "klikkaa" in shown(), 120, "a Slack message quoting the storm's posts")
        all_text = shown()
        assert "lumoverkko" in all_text.lower()
        assert not PING.search(all_text), PING.search(all_text)

        assert w.proc.poll() is None
        with urllib.request.urlopen(f"{w.url}/healthz", timeout=5) as r:
            assert json.loads(r.read())["ok"] is True
        n_cases = len(topic_cases) + 3 + len(http_cases) + len(singles) + len(storm)
        print(
            f"\nbad input: {n_cases} records sent ({len(topic_cases) + 3} topic cases, "
            f"{len(http_cases) + len(singles)} HTTP cases, {len(storm)} storm mentions); "
            f"{expected_dead} dead letters; {processed} good mentions processed"
        )
