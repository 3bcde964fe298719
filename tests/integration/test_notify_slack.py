"""The notify pipeline against the local Slack fake, on the real broker (issue 14).

- a main post that times out (Slack posted it, then answered after the client's
  timeout) is adopted by its metadata, never posted twice (4 of 4);
- an ``invalid_auth`` spell (from the start, auth.test included): the worker says
  so without the token, keeps running, and delivers every incident once the token
  works again;
- two workers keep >= 0.9 s between posts in one channel over a storm.
"""

from __future__ import annotations

import itertools
import json
import re
import time
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.harness import Worker, business_morning, outage_mentions, produce, wait_for
from tests.slackfake import Call, Message, SlackFake

pytestmark = [pytest.mark.integration]

TOKEN = "xoxb-notify-slack-test-T0KEN"
BRANDS = ("nordbank", "lumoverkko", "skyways")


@pytest.fixture
def slack() -> Iterator[SlackFake]:
    with SlackFake(token=TOKEN) as s:
        yield s


def env(slack: SlackFake, **extra: str) -> dict[str, str]:
    return {"SLACK_BOT_TOKEN": TOKEN, "SLACK_API_URL": slack.base_url, **extra}


def storm(bootstrap: str, w: Worker, brands: tuple[str, ...] = BRANDS, **kw: Any) -> None:
    start = business_morning()
    opts: dict[str, Any] = {"normal_hours": 3, "surge_minutes": 30, "surge_per_bucket": 60}
    opts.update(kw)
    records = [
        (b.encode(), json.dumps(m).encode())
        for b in brands
        for m in outage_mentions(b, start, id_prefix=b, **opts)
    ]
    produce(bootstrap, w.topic("mentions"), records)


def incident_of(m: Message) -> str | None:
    meta = m.metadata if isinstance(m.metadata, dict) else {}
    payload = meta.get("event_payload") or {}
    return payload.get("incident_id") if isinstance(payload, dict) else None


def main_posts(slack: SlackFake) -> list[Message]:
    return [m for m in slack.posts() if m.thread_ts is None and incident_of(m)]


def is_main_post(p: dict[str, Any]) -> bool:
    return bool(p.get("metadata")) and not p.get("thread_ts")


def test_hung_main_posts_are_adopted_never_doubled(
    bootstrap: str, spawn_worker: Callable[..., Worker], slack: SlackFake
) -> None:
    # Slack posts each of the first 4 main messages but answers 4 s late; the client
    # gives up after 2 s. Each is one trial: it must end as exactly one message.
    slack.fail_next(4, "slow", method="chat.postMessage", hang_seconds=4, when=is_main_post)
    w = spawn_worker(env(slack, SPIKEWATCH_SLACK_TIMEOUT_SECONDS="2"))
    storm(bootstrap, w)

    def slow_calls() -> list[Call]:
        return [c for c in slack.calls_to("chat.postMessage") if is_main_post(c.params)][:4]

    wait_for(lambda: len(slow_calls()) == 4, 120, "4 main posts tried")
    assert len(main_posts(slack)) >= 4  # Slack took each of them

    def adopted() -> bool:
        # Every hung message was brought up to date in place (its ts adopted and
        # recorded), and the threads go on under the hung messages.
        tops = main_posts(slack)[:4]
        updated = {str(c.params.get("ts")) for c in slack.calls_to("chat.update")}
        replied = {m.thread_ts for m in slack.posts() if m.thread_ts}
        return all(m.ts in updated for m in tops) and any(m.ts in replied for m in tops)

    wait_for(adopted, 120, "every hung message adopted", interval=1)
    time.sleep(3)
    per_main = Counter((m.channel, incident_of(m)) for m in main_posts(slack))
    doubled = {k: n for k, n in per_main.items() if n > 1}
    lookups = len(slack.calls_to("conversations.history"))
    print(
        f"\nhung posts: 4 trials, {len(per_main)} main messages, {len(doubled)} doubled, "
        f"{lookups} conversations.history look-ups"
    )
    assert not doubled, doubled
    assert "adopting it" in w.log_text()
    assert w.metric("spikewatch_slack_errors_total", error="timeout") >= 4


REFUSED = re.compile(r"Slack did not accept (inc-\S+?):[^:\s]+:main: invalid_auth")


def test_invalid_auth_spell_then_every_incident_is_delivered(
    bootstrap: str, spawn_worker: Callable[..., Worker], slack: SlackFake
) -> None:
    # Slack refuses the token for 40 s from before the worker starts (auth.test too).
    slack.fail_for(40, "ok_false", error="invalid_auth")
    spell_ends = time.monotonic() + 40
    w = spawn_worker(env(slack))
    storm(bootstrap, w)
    wait_for(lambda: "Slack auth.test failed (invalid_auth)" in w.log_text(), 30, "the auth error")
    wait_for(lambda: REFUSED.search(w.log_text()), 60, "a main post refused during the spell")
    assert time.monotonic() < spell_ends, "the storm was too slow to meet the spell"
    assert w.metric("spikewatch_slack_undelivered") >= 1
    assert w.metric("spikewatch_slack_auth_ok") == 0
    # After the spell every incident that was refused is delivered, once.
    time.sleep(max(0.0, spell_ends - time.monotonic()))
    refused = set(REFUSED.findall(w.log_text()))

    def delivered() -> set[str]:
        return {i for m in main_posts(slack) if (i := incident_of(m))}

    wait_for(
        lambda: w.metric("spikewatch_slack_undelivered") == 0 and refused <= delivered(),
        120,
        "every refused incident delivered",
        interval=1,
    )
    per_main = Counter((m.channel, incident_of(m)) for m in main_posts(slack))
    assert all(n == 1 for n in per_main.values()), per_main
    log = w.log_text()
    assert "the token is not valid" in log
    assert TOKEN not in log
    print(
        f"\ninvalid_auth spell: {len(refused)} incidents refused, all delivered after it "
        f"({len(per_main)} main messages, none twice); "
        f"{w.metric('spikewatch_slack_errors_total', error='invalid_auth'):.0f} refusals counted"
    )


CHANNELS = ("#somecare-alerts", "#crisis-room", "#it-care", "#it-crisis")


def test_two_workers_keep_a_second_between_posts_in_one_channel(
    bootstrap: str, spawn_worker: Callable[..., Worker]
) -> None:
    # The channels exist before anything is posted, as in a real workspace.
    with SlackFake(token=TOKEN, channels=CHANNELS) as slack:
        paced(bootstrap, spawn_worker, slack)


def paced(bootstrap: str, spawn_worker: Callable[..., Worker], slack: SlackFake) -> None:
    a = spawn_worker(env(slack), name="a")
    b = spawn_worker(env(slack), name="b")
    storm(bootstrap, a)

    def quiet() -> bool:
        calls = [c for c in slack.calls if c.method in ("chat.postMessage", "chat.update")]
        # One incident per brand (alerts/impact.py grouping): a dozen posts and updates
        # across the storm's channels, enough for the two workers to hand a channel over.
        return len(calls) >= 10 and time.monotonic() - calls[-1].at > 8

    wait_for(quiet, 150, "the storm's messages to settle", interval=1)
    by_channel: dict[str, list[tuple[float, str]]] = {}
    for c in slack.calls:
        if c.method in ("chat.postMessage", "chat.update"):
            ch = SlackFake.channel_id(str(c.params.get("channel")))
            by_channel.setdefault(ch, []).append((c.at, c.headers.get("user-agent", "")[-12:]))
    gaps: list[float] = []
    hand_overs = 0
    for calls in by_channel.values():
        calls.sort()
        for (t1, w1), (t2, w2) in itertools.pairwise(calls):
            gaps.append(t2 - t1)
            hand_overs += w1 != w2
    workers = {w for calls in by_channel.values() for _, w in calls}
    short = [g for g in gaps if g < 0.9]
    print(
        f"\npacing, 2 workers: {len(gaps) + len(by_channel)} posts/updates in "
        f"{len(by_channel)} channels, {hand_overs} hand-overs between workers, "
        f"min gap {min(gaps):.3f}s, {len(short)} gaps < 0.9 s"
    )
    assert len(workers) == 2, "both workers must have posted"
    assert hand_overs >= 1, "the two workers must have shared a channel"
    assert not short, sorted(short)[:10]
    for w in (a, b):
        assert "pacing topic not answering" not in w.log_text()


def test_a_captured_click_is_refused_by_every_other_worker(
    spawn_worker: Callable[..., Worker], slack: SlackFake
) -> None:
    from tests.integration.test_security import click, send

    secret = "signing-secret-notify-test"
    workers = [
        spawn_worker(env(slack, SLACK_SIGNING_SECRET=secret), name=n) for n in ("a", "b", "c")
    ]
    body, headers = click(secret, int(time.time()))
    answers = [send(f"{w.url}/slack/actions", body, headers) for w in workers]
    print(f"\none signed click sent to 3 workers: {answers}")
    assert answers[0][0] == 200
    assert answers[1:] == [(401, "replayed_request")] * 2
    # A fresh click still goes through at any worker.
    body2, headers2 = click(secret, int(time.time()), incident="inc-nordbank~volume_surge~2")
    assert send(f"{workers[2].url}/slack/actions", body2, headers2)[0] == 200
