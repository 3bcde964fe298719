"""The demo outage replayed in process with people's clicks, as the live worker runs it.

Every signal goes through the incident lifecycle; after each one the notify
stage plans what Slack should show for the incident (as the ``notify`` agent
does on every event and tick) and a fake Slack accepts it. Clicks come at
scripted *event* times and carry a wall-clock time far away from the replay:
they must land in event time. The test asserts the whole sequence of stages,
drafts, reminders and thread replies.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import resources

import pytest

from alerts.dedup import DeliveryResult, Notification, SentLog
from alerts.engine import Engine, read_mentions
from alerts.escalation import dispatch
from alerts.incidents import Command, Incident, IncidentEvent, on_command
from alerts.notifications import StatusState, approve, notifications
from alerts.policy import load_policy
from alerts.status import StatusConfig
from detectors.signals import Signal

WALL = 1.9e9  # the clicks' own (wall-clock) time: far from the replay's event time


@dataclass
class FakeSlack:
    sent: list[Notification] = field(default_factory=list)

    def send(self, n: Notification, thread_ts: str | None) -> DeliveryResult:
        self.sent.append(n)
        return DeliveryResult(ok=True, ts=f"{len(self.sent)}.0", channel=n.channel)

    def upload_chart(
        self, channel: str, thread_ts: str | None, png: bytes, title: str
    ) -> DeliveryResult:
        self.sent.append(Notification(f"chart:{title}", channel, "chart", title, [], "", ""))
        return DeliveryResult(ok=True, ts="F1", channel=channel)


# (minutes after the incident opened, action): a comms team working the outage.
SCRIPT = [
    (12, "approve"),  # publish the investigating update
    (25, "identify"),
    (27, "approve"),  # publish the identified update
    (80, "fix"),
    (82, "approve"),  # publish the monitoring update
    (105, "resolve"),  # refused: the reply backlog is still far over its clear limit
]


class Replay(Engine):
    """The engine, plus the notify stage after every signal and clicks in between."""

    def __init__(self) -> None:
        super().__init__()
        self.policy = load_policy()
        self.status_cfg = StatusConfig()
        self.sent = SentLog()
        self.slack = FakeSlack()
        self.st: dict[str, StatusState] = {}
        self.script = list(SCRIPT)
        self.log: list[tuple[float, str, str]] = []  # (event time, what, detail)

    def _notify(self, inc: Incident, now: float, extra: list[Notification] | None = None) -> None:
        st = self.st.setdefault(inc.id, StatusState())
        notes = notifications(inc, st, self.sent, self.policy, self.status_cfg, now)
        for o in dispatch(notes + (extra or []), self.sent, self.slack, now):
            if o.result is not None:
                self.log.append((now, o.notification.action, o.notification.dedup_key))

    def _click(self, inc: Incident, action: str) -> Incident:
        if action == "approve":
            st = self.st[inc.id]
            pub = approve(
                inc, st, self.status_cfg, lang="fi", channel="status_page", user="U1", now=inc.now
            )
            assert pub is not None
            self.log.append((inc.now, "published", str(pub.stage)))
            return inc
        new, events = on_command(inc, Command(action, inc.id, "U1", WALL))
        for e in events:
            assert e.ts == inc.now  # applied in event time, never at the click's wall time
            self.log.append((e.ts, "event", e.type))
        return new

    def signal(self, sig: Signal) -> list[IncidentEvent]:
        events = super().signal(sig)
        for e in events:
            self.log.append((e.ts, "event", e.type))
        inc = next((i for i in self.incidents.values() if i.brand == sig.brand), None)
        if inc is None or (inc.status == "resolved" and not events):
            return events
        while self.script and inc.now >= inc.opened_at + self.script[0][0] * 60.0:
            _, action = self.script.pop(0)
            inc = self._click(inc, action)
            self.incidents[inc.key] = inc
            self._notify(inc, inc.now)
        self._notify(inc, max(sig.ts, inc.now))
        return events


@pytest.fixture(scope="module")
def replay() -> Replay:
    text = resources.files("streams").joinpath("data/demo_nordbank_outage.ndjson").read_text()
    eng = Replay()
    for _ in eng.run(read_mentions(text.splitlines(), eng.invalid)):
        pass
    return eng


def _hm(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%H:%M")


def test_one_incident_titled_by_its_dominant_complaint(replay: Replay) -> None:
    incs = list(replay.incidents.values())
    assert len(incs) == 1
    inc = incs[0]
    assert inc.news == "crisis"
    # A login failure that people also call an outage: the two complaint topics run neck and
    # neck in the demo's mentions; the title is one of them, never praise or a question.
    assert inc.topic in {"login", "outage"}
    # The outage starts at 08:00 (UTC); the incident opens within minutes of it (the exact minute
    # moves with the sentiment model, so the test holds a bound, not a minute).
    assert "08:00" <= _hm(inc.opened_at) <= "08:10"
    opened = [e for e in replay.log if e[1:] == ("event", "opened")]
    assert len(opened) == 1  # and no false alert before it


def test_the_whole_sequence_of_stages_drafts_and_reminders(replay: Replay) -> None:
    inc = next(iter(replay.incidents.values()))
    story = [
        (what, detail.removeprefix(inc.id + ":"))
        for _, what, detail in replay.log
        if what in ("published", "event")
        or detail.split(":")[-2:-1] in (["draft"], ["next-update"])
        or ":draft:" in detail
        or ":next-update:" in detail
    ]
    stage_story = [
        s
        for s in story
        if s[0] in ("published",)
        or s[1].startswith(("draft:", "next-update"))
        or s[1] in ("stage_changed", "resolve_refused", "resolved", "opened")
    ]
    kinds = [(a, d if not d.startswith("next-update") else "next-update") for a, d in stage_story]
    # Reminders fall due on the update cadence counted from the incident's opening minute, which
    # moves with the sentiment model: where they fall among the clicks is not held, only the
    # stages' story and that reminders keep coming (the last one in the monitoring stage).
    assert [k for k in kinds if k[1] != "next-update"] == [
        ("event", "opened"),
        ("thread_reply", "draft:investigating"),
        ("published", "investigating"),
        ("event", "stage_changed"),
        ("thread_reply", "draft:identified"),
        ("published", "identified"),
        ("event", "stage_changed"),
        ("thread_reply", "draft:monitoring"),
        ("published", "monitoring"),
        ("event", "resolve_refused"),
    ]
    assert 2 <= kinds.count(("thread_reply", "next-update")) <= 3
    assert kinds[-1] == ("thread_reply", "next-update")  # the monitoring stage's, in turn
    assert inc.stage == "monitoring"
    assert inc.status != "resolved"


def test_no_resolved_draft_and_no_reply_twice(replay: Replay) -> None:
    replies = [n for n in replay.slack.sent if n.action == "thread_reply"]
    assert not any(":draft:resolved" in n.dedup_key for n in replies)
    texts = [n.text for n in replies]
    assert len(texts) == len(set(texts))
    mains = [n for n in replay.slack.sent if n.action == "post"]
    assert sorted(n.channel for n in mains) == ["#crisis-room", "#somecare-alerts"]
    assert len(replies) <= 11  # one reminder more when the opening minute moves later


def test_the_reminder_names_the_stage_to_post(replay: Replay) -> None:
    reminders = [n.text for n in replay.slack.sent if ":next-update:" in n.dedup_key]
    assert reminders
    # Each reminder names the stage the incident is in when it falls due.
    assert "*identified* update" in reminders[0]
    assert "Fix deployed" in reminders[0]
    assert "*monitoring* update" in reminders[-1]
    assert not any("*investigating* update" in t for t in reminders)
