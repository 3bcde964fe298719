"""The real Prometheus scrapes a real worker that processes a replayed outage; every dashboard
query returns data.

The worker (``spikewatch worker`` on the real broker, Slack pointed at :mod:`tests.slackfake`)
gets the bundled Nordbank outage (``streams/data/demo_nordbank_outage.ndjson``: customers,
brand replies, a login outage) shifted to end near now, with a quiet tail of normal traffic
appended (the outage's incident moves to monitoring after the quiet period), plus a few records
for the dead-letter topic. Prometheus (Debian's package, ``bash deploy/prometheus/install.sh``)
starts scraping before the replay does, every second, while the replay runs for about
``REPLAY_SECONDS``. Slack refuses the first post once. During the outage the test clicks in
"Slack" like a person (signed like Slack): acknowledges the first incident and approves a
status draft; afterwards it resolves every incident still shown with a Resolve button and
sends one forged click. It waits until every opened incident is resolved.

Then every expression of every Grafana panel, annotation and variable must return a finite
value, and (stronger) a non-zero one somewhere in the run. promtool checks the config, the
rules (syntax and unit tests) and the worker's exposition. A missing binary fails, never skips.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from alerts.slack_blocks import ACTION_ACK, ACTION_RESOLVE
from alerts.status_blocks import ACTION_APPROVE
from detectors.mention import format_time, parse_time
from streams.demo import shifted_scenario
from streams.ingest import replay
from tests import promtools
from tests.harness import Worker, consume, wait_for
from tests.slackfake import SlackFake

pytestmark = pytest.mark.integration

TOKEN = "xoxb-prometheus-scrape-test"
SIGNING_SECRET = "prometheus-scrape-signing-secret"
REPLAY_SECONDS = 40.0
# Event time after the outage: longer than the lifecycle's 30 quiet minutes after the last
# active signal of the surge/burst detectors (whose 60-minute window test stays active for up
# to an hour after the storm), so the outage moves to monitoring on its own.
QUIET_MINUTES = 100
# Normal business-hours traffic (with brand replies) copied for the quiet tail: minutes of
# the bundled scenario, counted from its first mention.
QUIET_SOURCE_MINUTES = (120, 180)

# Queries allowed to be 0 throughout (finite data is still required), with the reason.
MAY_STAY_ZERO: dict[str, str] = {
    # The worker reads its 4 partitions faster than ~80 records/s arrive; the 5 s lag timer
    # often sees everything consumed. It is non-zero in most runs, but not by design.
    "sum(spikewatch_consumer_lag_messages)": "lag is usually 0 at this load",
    "sum by (topic, partition) (spikewatch_consumer_lag_messages)": "lag is usually 0",
}


# -- scenario --------------------------------------------------------------------------------


def _stamp(ts: float) -> str:
    return format_time(datetime.fromtimestamp(ts, UTC))


def outage_with_quiet_tail(dest: Path, end: datetime) -> tuple[int, float]:
    """Write the bundled outage, a quiet tail and a few bad records; return (lines, span s).

    The outage is shifted by whole days (mornings stay mornings, see
    :func:`streams.demo.shifted_scenario`) so that the tail ends before ``end``.
    """
    base = dest.with_suffix(".outage.ndjson")
    shifted_scenario(base, end - timedelta(minutes=QUIET_MINUTES + 2))
    objs = [json.loads(x) for x in base.read_text(encoding="utf-8").splitlines() if x.strip()]
    times = [parse_time(o["created_at"]).timestamp() for o in objs]
    t0, t_end = min(times), max(times)
    lo, hi = (m * 60 for m in QUIET_SOURCE_MINUTES)
    normal = [(t - t0 - lo, o) for t, o in zip(times, objs, strict=True) if lo <= t - t0 < hi]
    tail: list[dict[str, Any]] = []
    for rep in range(QUIET_MINUTES * 60 // (hi - lo) + 1):
        start = t_end + 60 + rep * (hi - lo)
        for rel, o in normal:
            if start + rel > t_end + QUIET_MINUTES * 60:
                continue
            n = {**o, "id": f"{o['id']}-q{rep}", "created_at": _stamp(start + rel), "url": None}
            if n.get("in_reply_to"):
                n["in_reply_to"] = f"{n['in_reply_to']}-q{rep}"  # replies stay in the copy
            tail.append(n)
    mid = objs[len(objs) // 2]
    bad: list[str] = [
        json.dumps(mid, ensure_ascii=False),  # duplicate id
        json.dumps({**mid, "id": "x:prom-1", "brand": "nobank"}),  # unknown_brand
        json.dumps({k: v for k, v in mid.items() if k != "text"} | {"id": "x:prom-2"}),
        "{not json",  # invalid_json (no time: sent first)
    ]
    lines = [json.dumps(o, ensure_ascii=False) for o in objs + tail] + bad
    dest.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return len(lines), t_end + QUIET_MINUTES * 60 - t0


# -- Slack clicks ----------------------------------------------------------------------------


def buttons(slack: SlackFake) -> list[dict[str, Any]]:
    """Every button currently shown in the fake Slack's messages."""
    found: list[dict[str, Any]] = []

    def walk(x: Any) -> None:
        if isinstance(x, dict):
            if x.get("type") == "button" and "action_id" in x:
                found.append(x)
            for v in x.values():
                walk(v)
        elif isinstance(x, list):
            for v in x:
                walk(v)

    for msg in slack.posts():
        walk(msg.blocks)
    return found


def click(worker: Worker, action_id: str, value: str, *, secret: str = SIGNING_SECRET) -> int:
    """POST a Slack ``block_actions`` click, signed with ``secret``; return the HTTP status."""
    payload = {
        "type": "block_actions",
        "user": {"id": "U0PROM"},
        "trigger_id": "1.2.abc",
        "actions": [{"action_id": action_id, "value": value}],
    }
    body = urllib.parse.urlencode({"payload": json.dumps(payload)}).encode()
    ts = str(int(time.time()))
    sig = "v0=" + hmac.new(secret.encode(), f"v0:{ts}:".encode() + body, hashlib.sha256).hexdigest()
    req = urllib.request.Request(
        f"{worker.url}/slack/actions",
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Slack-Request-Timestamp": ts,
            "X-Slack-Signature": sig,
        },
    )
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return int(r.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)


def values(slack: SlackFake, action_id: str) -> list[str]:
    """The distinct ``value`` s of the buttons with ``action_id``, in posting order."""
    return list(
        dict.fromkeys(str(b["value"]) for b in buttons(slack) if b["action_id"] == action_id)
    )


def ack_and_approve(worker: Worker, slack: SlackFake, deadline: float) -> dict[str, int]:
    """While the outage runs: acknowledge the first incident, approve the first status draft."""
    done: dict[str, int] = {}
    wanted = {"ack": ACTION_ACK, "approve": ACTION_APPROVE}
    while len(done) < len(wanted) and time.monotonic() < deadline:
        for name, action_id in wanted.items():
            if name not in done and (found := values(slack, action_id)):
                done[name] = click(worker, action_id, found[0])
        time.sleep(0.5)
    return done


# -- the test --------------------------------------------------------------------------------


@pytest.fixture
def slack() -> Iterator[SlackFake]:
    with SlackFake(token=TOKEN) as s:
        yield s


def _query_all(base_url: str, seconds: float) -> tuple[dict[Any, str], set[Any]]:
    """Problems per dashboard query (PromQL error or no finite value) and the all-zero ones."""
    problems: dict[Any, str] = {}
    zero: set[Any] = set()
    for q in promtools.dashboard_queries():
        try:
            res = promtools.query_range(base_url, q[2], seconds=seconds)
        except ValueError as exc:  # PromQL that Prometheus rejects
            problems[q] = str(exc)
            continue
        if not promtools.has_data(res):
            if "offset 1d" not in q[2]:  # a Prometheus a few minutes old has no yesterday
                problems[q] = "no data"  # (deploy/prometheus/tests covers those rules)
        elif not promtools.has_nonzero(res):
            zero.add(q)
    return problems, zero


def test_real_worker_fills_every_dashboard_query(
    slack: SlackFake, bootstrap: str, spawn_worker: Callable[..., Worker], tmp_path: Path
) -> None:
    promtools.require_binaries("prometheus", "promtool")
    t_begin = time.monotonic()
    scenario = tmp_path / "scenario.ndjson"
    n_lines, span = outage_with_quiet_tail(scenario, datetime.now(UTC))
    # The outage's reply backlog (~2,000, clearing in ~20 h at the team's pace) would hold
    # off "Resolved" under the default 2 h clear limit; this team accepts a two-day clear.
    config = tmp_path / "deployment.yaml"
    config.write_text("timezone: Europe/Helsinki\nbacklog: {clear_limit_seconds: 172800}\n")
    w = spawn_worker(
        {
            "SLACK_BOT_TOKEN": TOKEN,
            "SLACK_API_URL": slack.base_url,
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SPIKEWATCH_CONFIG": str(config),
        }
    )
    target = f"127.0.0.1:{w.port}"
    base_url, stop = promtools.start_prometheus([target], tmp_path / "prometheus")
    try:
        promtools.wait_for_targets(base_url, 1)
        t_ready = time.monotonic() - t_begin
        started = time.time()
        slack.fail_next(1, "ok_false", method="chat.postMessage")  # one failed delivery
        replayed: list[int] = []
        errors: list[BaseException] = []

        def run_replay() -> None:
            try:
                replayed.append(
                    replay(scenario, bootstrap, w.topic("mentions"), span / REPLAY_SECONDS)
                )
            except BaseException as exc:  # re-raised in the test thread
                errors.append(exc)

        producer = threading.Thread(target=run_replay, name="replay", daemon=True)
        producer.start()
        clicks = ack_and_approve(w, slack, time.monotonic() + REPLAY_SECONDS + 60)
        producer.join(timeout=REPLAY_SECONDS + 60)
        assert not producer.is_alive()
        assert not errors, errors
        replay_wall = time.time() - started
        assert replayed == [n_lines]
        assert clicks == {"ack": 200, "approve": 200}, clicks
        wait_for(
            lambda: w.metric("spikewatch_mentions_consumed_total") >= n_lines - 3,
            90,
            "every good mention consumed",
        )
        assert w.metric("spikewatch_mentions_consumed_total") == n_lines - 3

        # After the outage a person resolves what the quiet hour did not (the unanswered
        # backlog keeps the incident it joined open), and someone forges a click.
        def posted() -> set[str]:
            return {
                str(m.metadata["event_payload"]["incident_id"])
                for m in slack.posts()
                if m.thread_ts is None and isinstance(m.metadata, dict)
            }

        # Slack is paced at one message a second per channel: let every incident's
        # message arrive before collecting the buttons.
        wait_for(
            lambda: len(posted()) >= w.metric("spikewatch_incidents_opened_total"),
            90,
            "every incident posted",
        )
        incident_ids = values(slack, ACTION_RESOLVE)
        assert incident_ids
        assert {click(w, ACTION_RESOLVE, i) for i in incident_ids} == {200}
        assert click(w, ACTION_ACK, incident_ids[0], secret="not-the-secret") == 401

        def all_resolved() -> bool:
            opened = w.metric("spikewatch_incidents_opened_total")
            done = w.metric("spikewatch_incident_duration_seconds_count")
            return opened >= 1 and done >= opened and w.metric("spikewatch_open_incidents") == 0

        wait_for(all_resolved, 60, "every incident resolved")
        wait_for(
            lambda: w.metric("spikewatch_status_updates_total", result="ok") >= 1,
            60,
            "the approved status update",
        )
        assert w.metric("spikewatch_alerts_total", result="failed") >= 1
        assert w.metric("spikewatch_slack_interactions_total", result="bad_signature") == 1
        t_settled = time.time() - started
        # Let rate()/increase() windows and the recording rules see the last changes.
        time.sleep(5)

        window = time.time() - started + 5
        problems, zero = _query_all(base_url, window)
        report = [f"{d} / {p}: {e}\n    {expr}" for (d, p, expr), e in problems.items()]
        report += [
            f"{d} / {p}: only zeros\n    {expr}"
            for d, p, expr in sorted(zero)
            if expr not in MAY_STAY_ZERO and "offset 1d" not in expr
        ]
        n = len(promtools.dashboard_queries())
        assert not report, f"{len(report)} of {n} queries:\n" + "\n".join(report)

        groups = promtools.api(base_url, "/api/v1/rules")["groups"]
        rules = [r for g in groups for r in g["rules"]]
        assert {g["name"] for g in groups} == {"spikewatch-recording", "spikewatch-pipeline"}
        assert [r["name"] for r in rules if r["health"] != "ok"] == []

        exposition = w.metrics().encode()
        out = promtools.promtool("check", "metrics", stdin=exposition)
        assert (out.returncode, out.stdout + out.stderr) == (0, "")
        events = [json.loads(r.value) for r in consume(bootstrap, w.topic("incidents"), 10**6, 3)]
        by = [
            (e["incident"]["kind"], e["incident"].get("resolved_by") or "quiet period")
            for e in events
            if e["type"] == "resolved"
        ]
        print(f"\nresolved: {by}")
        # The quiet tail moves the outage to monitoring and asks; a person's click resolves it.
        quiet = [
            e
            for e in events
            if e["type"] == "stage_changed"
            and (e["incident"]["timeline"] or [{}])[-1].get("by") == "quiet_period"
        ]
        assert quiet, "the quiet tail moved nothing to monitoring"
        assert by, "nothing resolved"
        print(
            f"worker + prometheus ready in {t_ready:.0f} s; replayed {n_lines} lines "
            f"({span / 3600:.1f} h of event time) in {replay_wall:.0f} s; all resolved after "
            f"{t_settled:.0f} s; {n} queries, {len(zero)} only zeros: "
            f"{sorted(q[2] for q in zero)}; {len(incident_ids)} resolve clicks"
        )
    finally:
        stop()


# -- the check itself, config and rules --------------------------------------------------------


@pytest.fixture(scope="module")
def idle_prometheus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real Prometheus with the project's rules and nothing to scrape."""
    promtools.require_binaries("prometheus")
    base_url, stop = promtools.start_prometheus([], tmp_path_factory.mktemp("prometheus"))
    try:
        yield base_url
    finally:
        stop()


def test_the_data_check_can_fail(idle_prometheus: str) -> None:
    base = idle_prometheus
    assert not promtools.has_data(promtools.query_range(base, "spikewatch_no_such_metric"))
    nan = promtools.query_range(base, "vector(0) / vector(0)")  # a series, but only NaN
    assert nan["result"]
    assert not promtools.has_data(nan)
    zero = promtools.query_range(base, "vector(0)")
    assert promtools.has_data(zero)
    assert not promtools.has_nonzero(zero)
    assert promtools.has_nonzero(promtools.query_range(base, "vector(2)"))
    with pytest.raises(ValueError, match="parse error"):
        promtools.query_range(base, "sum(rate(spikewatch_mentions_consumed_total[15s])")


def test_queries_cover_every_dashboard_panel() -> None:
    queries = promtools.dashboard_queries()
    for name, dash in promtools.dashboards().items():
        panels = {p["title"] for p in dash["panels"] if p["type"] != "row"}
        covered = {panel for d, panel, _ in queries if d == dash["title"]}
        assert panels <= covered, name
        assert any(p.startswith("annotation: ") for p in covered), name
        assert "variable: brand" in covered, name
    assert all("$" not in expr for _, _, expr in queries)
    assert set(MAY_STAY_ZERO) <= {expr for _, _, expr in queries}


def test_promtool_check_config() -> None:
    promtools.require_binaries("promtool")
    out = promtools.promtool("check", "config", "deploy/prometheus/prometheus.yml")
    assert out.returncode == 0, out.stdout + out.stderr
    assert "2 rule files found" in out.stdout


def test_promtool_check_rules() -> None:
    promtools.require_binaries("promtool")
    files = [str(p.relative_to(promtools.ROOT)) for p in promtools.RULE_FILES]
    out = promtools.promtool("check", "rules", *files)
    assert out.returncode == 0, out.stdout + out.stderr
    assert out.stdout.count("SUCCESS") == len(files) >= 2


def test_promtool_alert_unit_tests() -> None:
    promtools.require_binaries("promtool")
    out = promtools.promtool("test", "rules", "deploy/prometheus/tests/alerts_test.yml")
    assert out.returncode == 0, out.stdout + out.stderr


def test_missing_binaries_fail_and_never_skip(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("shutil.which", lambda name: None)
    for ci in ("true", None):
        if ci is None:
            monkeypatch.delenv("CI", raising=False)
        else:
            monkeypatch.setenv("CI", ci)
        with pytest.raises(pytest.fail.Exception, match=r"install\.sh"):
            promtools.require_binaries("prometheus")
