"""Response times and backlog: table tests of the pure tracker."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import pytest

from detectors.backlog import BacklogConfig, ResponseTracker, needs_answer
from detectors.backlog_message import format_duration
from detectors.mention import EnrichedMention, Enrichment, Mention
from streams.codec import dumps_state, loads_state

T0 = 1_772_438_400.0  # 2026-03-02T08:00:00Z, a Monday (10:00 in Helsinki)


def em(
    mid: str,
    t: float,
    *,
    text: str = "verkkopankki ei toimi",
    sentiment: str = "negative",
    topics: tuple[str, ...] = (),
    brand_author: bool = False,
    author: str | None = "u1",
    reply_to: str | None = None,
    source: str = "x",
    brand: str = "nordbank",
) -> EnrichedMention:
    m = Mention(
        id=mid,
        source=source,
        brand=brand,
        created_at=datetime.fromtimestamp(t, UTC),
        text=text,
        author_id=author,
        author_is_brand=brand_author,
        in_reply_to=reply_to,
    )
    return EnrichedMention(m, Enrichment("fi", sentiment, -0.5, topics))


def reply(mid: str, t: float, target: str, source: str = "x") -> EnrichedMention:
    return em(mid, t, text="Pahoittelut!", sentiment="neutral", brand_author=True,
              author="nordbank_care", reply_to=target, source=source)  # fmt: skip


def stream(tracker: ResponseTracker, items: list[EnrichedMention]) -> list[float]:
    out: list[float] = []
    for item in items:
        out += [e.response_seconds for e in tracker.observe(item)]
    return out


# (case, items, expected response seconds, expected open after)
CASES = [
    ("reply closes", [em("x:1", T0), reply("x:r1", T0 + 600, "x:1")], [600.0], 0),
    ("reply before mention", [reply("x:r1", T0 + 300, "x:1"), em("x:1", T0)], [300.0], 0),
    (
        "reply in the same instant",
        [reply("x:r1", T0, "x:1"), em("x:1", T0 + 5)],
        [0.0],
        0,
    ),
    ("reply to unknown mention", [em("x:1", T0), reply("x:r1", T0 + 60, "x:404")], [], 1),
    ("duplicate mention", [em("x:1", T0), em("x:1", T0), reply("x:r", T0 + 60, "x:1")], [60.0], 0),
    (
        "second reply counts once",
        [em("x:1", T0), reply("x:r1", T0 + 60, "x:1"), reply("x:r2", T0 + 90, "x:1")],
        [60.0],
        0,
    ),
    (
        "redelivered reply",
        [em("x:1", T0), reply("x:r1", T0 + 60, "x:1"), reply("x:r1", T0 + 60, "x:1")],
        [60.0],
        0,
    ),
    (
        "redelivered mention after reply stays closed",
        [em("x:1", T0), reply("x:r1", T0 + 60, "x:1"), em("x:1", T0)],
        [60.0],
        0,
    ),
    (
        "positive mention needs no answer",
        [em("x:1", T0, text="kiitos!", sentiment="positive")],
        [],
        0,
    ),
    ("neutral question opens", [em("x:1", T0, text="auki huomenna?", sentiment="neutral")], [], 1),
    (
        "question topic opens",
        [em("x:1", T0, text="kerro aukiolo", sentiment="neutral", topics=("question",))],
        [],
        1,
    ),
    ("brand broadcast ignored", [em("x:1", T0, brand_author=True)], [], 0),
    ("other brand ignored", [em("x:1", T0, brand="lumoverkko")], [], 0),
    (
        "reply across channels",
        [em("x:1", T0), reply("facebook:r", T0 + 30, "x:1", "facebook")],
        [30.0],
        0,
    ),
]


@pytest.mark.parametrize(
    ("case", "items", "expected", "open_after"), CASES, ids=[c[0] for c in CASES]
)
def test_response_cases(
    case: str, items: list[EnrichedMention], expected: list[float], open_after: int
) -> None:
    tr = ResponseTracker("nordbank")
    assert stream(tr, items) == expected
    assert sum(int(s["open"]) for s in tr.stats(T0 + 600).values()) == open_after


@pytest.mark.parametrize(("seconds", "within"), [(3599.0, True), (3600.0, True), (3601.0, False)])
def test_within_promise_boundary(seconds: float, within: bool) -> None:
    tr = ResponseTracker("nordbank", BacklogConfig(promise_seconds=3600))
    tr.observe(em("x:1", T0))
    (ev,) = tr.observe(reply("x:r", T0 + seconds, "x:1"))
    assert (ev.within_promise, ev.channel, ev.mention_id) == (within, "x", "x:1")


def test_configured_account_ids_count_as_brand() -> None:
    cfg = BacklogConfig(brand_account_ids=frozenset({"nb_care"}))
    for tracker, expected in (
        (ResponseTracker("nordbank", cfg), [60.0]),
        (ResponseTracker("nordbank"), []),
    ):
        tracker.observe(em("x:1", T0))
        answer = em(
            "x:r", T0 + 60, text="Hei!", sentiment="neutral", author="nb_care", reply_to="x:1"
        )
        assert stream(tracker, [answer]) == expected


def test_expiry_counts_unanswered_and_blocks_redelivery() -> None:
    tr = ResponseTracker("nordbank", BacklogConfig(max_age_seconds=7200))
    tr.observe(em("x:1", T0))
    tr.advance(T0 + 3600)
    assert tr.stats(T0 + 3600)["x"]["expired_total"] == 0
    tr.advance(T0 + 7201)
    st = tr.stats(T0 + 7201)["x"]
    assert (st["open"], st["expired_total"]) == (0, 1)
    assert tr.observe(em("x:1", T0)) == []  # redelivered late: not reopened
    assert tr.observe(reply("x:r", T0 + 7300, "x:1")) == []  # too late to count as a response
    assert tr.stats(T0 + 7300)["x"]["open"] == 0


def test_max_open_evicts_oldest() -> None:
    tr = ResponseTracker("nordbank", BacklogConfig(max_open=3))
    for i in range(5):
        tr.observe(em(f"x:{i}", T0 + i))
    st = tr.stats(T0 + 10)["x"]
    assert (st["open"], st["expired_total"], st["oldest_age_seconds"]) == (3, 2, 8.0)
    assert tr.observe(reply("x:r", T0 + 20, "x:0")) == []  # evicted one stays closed


def test_early_reply_waits_only_reorder_seconds() -> None:
    tr = ResponseTracker("nordbank", BacklogConfig(reorder_seconds=600))
    tr.observe(reply("x:r", T0, "x:1"))
    tr.advance(T0 + 601)
    assert tr.observe(em("x:1", T0 + 700)) == []
    assert tr.stats(T0 + 700)["x"]["open"] == 1


def test_rates_count_inflow_and_first_answers() -> None:
    tr = ResponseTracker("nordbank")
    for i in range(10):
        tr.observe(em(f"x:{i}", T0 + 60 * i))
    for i in range(4):
        tr.observe(reply(f"x:r{i}", T0 + 900 + i, f"x:{i}"))
    tr.observe(reply("x:dup", T0 + 950, "x:0"))
    st = tr.stats(T0 + 3000)["x"]  # all inside the window, 50 minutes since the first
    assert st["inflow_per_hour"] == pytest.approx(10 / (3000 / 3600))
    assert st["answered_per_hour"] == pytest.approx(4 / (3000 / 3600))
    assert (st["answered_total"], st["within_promise_total"], st["open"]) == (4, 4, 6)


def wall(tr: ResponseTracker, n: int, t0: float, step: float) -> None:
    for i in range(n):
        tr.observe(em(f"x:w{t0}-{i}", t0 + step * i))


def test_signal_once_per_bucket_active_or_not() -> None:
    tr = ResponseTracker("nordbank")
    first = tr.advance(T0 + 1)
    assert len(first) == 1
    assert not first[0].active
    assert first[0].severity == "none"
    assert tr.advance(T0 + 200) == []
    assert len(tr.advance(T0 + 300)) == 1
    assert tr.advance(T0 + 100) == []  # time never goes back
    assert tr.advance(math.nan) == []


def test_pace_signal_when_inflow_outruns_answers() -> None:
    tr = ResponseTracker("nordbank")
    wall(tr, 400, T0, 9.0)  # 400 complaints in an hour
    for i in range(60):
        tr.observe(reply(f"x:r{i}", T0 + 60 * i + 30, f"x:w{T0}-{i}"))
    (s,) = tr.advance(T0 + 3600)
    ev = s.evidence
    assert (s.active, s.kind, s.key, s.severity) == (True, "backlog", "nordbank", "medium")
    assert (ev["reason"], ev["backlog"]) == ("pace", 340)
    assert ev["inflow_per_hour"] > 4 * ev["answered_per_hour"] > 0
    assert ev["clears_in_seconds"] == pytest.approx(340 / ev["answered_per_hour"] * 3600, rel=0.01)
    assert "post an interim status update" in ev["message"]
    assert ev["message"].startswith(f"inflow {ev['inflow_per_hour']:.0f}/h, answered")
    assert 0.5 <= s.score <= 1.0


def test_team_keeping_up_is_quiet() -> None:
    tr = ResponseTracker("nordbank")
    for i in range(200):
        tr.observe(em(f"x:{i}", T0 + 18 * i))
        tr.observe(reply(f"x:r{i}", T0 + 18 * i + 600, f"x:{i}"))
    (s,) = tr.advance(T0 + 3700)
    assert not s.active
    assert s.score < 0.5
    assert s.evidence["reason"] is None


def test_promise_signal_when_many_wait_too_long() -> None:
    cfg = BacklogConfig(min_backlog=10, outrun_ratio=10.0)
    tr = ResponseTracker("nordbank", cfg)
    # one complaint a minute for two hours, each answered after 90 minutes
    items = [em(f"x:{i}", T0 + 60 * i) for i in range(120)]
    items += [reply(f"x:r{i}", T0 + 60 * i + 5400, f"x:{i}") for i in range(120)]
    for item in sorted(items, key=lambda e: e.ts):
        if item.ts <= T0 + 7300:
            tr.observe(item)
    (s,) = tr.advance(T0 + 7300)
    assert (s.active, s.evidence["reason"], s.severity) == (True, "promise", "low")
    assert s.evidence["overdue"] >= 10
    assert "passed the 1 h promise" in s.evidence["message"]


@pytest.mark.parametrize(
    ("hours", "active"), [(None, True), ((8, 20), True), ((12, 20), False), ((10, 11), False)]
)
def test_service_hours_gate(hours: tuple[int, int] | None, active: bool) -> None:
    # T0 + 2h = 12:00 Helsinki. (12, 20): just opened (grace); (10, 11): closed.
    cfg = BacklogConfig(service_hours=hours, response_tracking=True)  # no replies in this feed
    tr = ResponseTracker("nordbank", cfg)
    wall(tr, 400, T0 + 3600, 9.0)
    (s,) = tr.advance(T0 + 7200)
    assert s.active is active
    assert ("outside service hours" in s.evidence["message"]) is (hours == (10, 11))


def test_state_round_trip_gives_same_next_signal() -> None:
    tr = ResponseTracker("nordbank")
    wall(tr, 300, T0, 10.0)
    tr.observe(reply("x:r", T0 + 100, f"x:w{T0}-0"))
    tr.advance(T0 + 3000)
    copy = loads_state(dumps_state(tr))
    wall(tr, 5, T0 + 3100, 1.0)
    wall(copy, 5, T0 + 3100, 1.0)
    assert tr.advance(T0 + 3300) == copy.advance(T0 + 3300)


def test_memory_bounded_over_a_long_stream() -> None:
    cfg = BacklogConfig(max_open=500, max_age_seconds=3600)
    tr = ResponseTracker("nordbank", cfg)
    for i in range(20_000):
        t = T0 + i * 2.0
        tr.observe(em(f"x:{i}", t, source=f"src{i % 50}"))
        if i % 3 == 0:
            tr.observe(reply(f"x:r{i}", t + 1, f"x:{i - 30}"))
            tr.observe(reply(f"x:q{i}", t + 1, f"x:never{i}"))
        tr.advance(t)
    assert len(tr._open) <= 500
    assert len(tr._heap) <= 2 * 500 + 64
    assert len(tr._done) <= 1000
    assert len(tr._early) <= 500
    assert len(tr._totals) <= 33
    assert all(len(b) <= 14 for b in tr._rates.values())


def test_bad_data_never_raises() -> None:
    tr = ResponseTracker("nordbank")
    assert tr.observe(em("x:1", T0, text="")) == []
    assert tr.observe(reply("x:r", T0, "")) == []
    assert tr.advance(math.inf) == []
    assert tr.stats(math.nan)["x"]["inflow_per_hour"] == 0.0  # no clock: no rate


@pytest.mark.parametrize(
    "kwargs",
    [
        {"promise_seconds": 0},
        {"clear_limit_seconds": -1},
        {"max_open": 0},
        {"rate_window_seconds": 60},
        {"min_backlog": -1},
        {"outrun_ratio": 0.5},
        {"overdue_share": 2.0},
        {"service_hours": (20, 8)},
        {"tz": "Mars/Olympus"},
        {"max_age_seconds": math.nan},
    ],
)
def test_bad_config_raises(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError, match="BacklogConfig"):
        BacklogConfig(**kwargs)  # type: ignore[arg-type]


def test_bad_brand_raises() -> None:
    with pytest.raises(ValueError, match="brand"):
        ResponseTracker("")


def test_needs_answer_and_durations() -> None:
    assert needs_answer(em("x:1", T0))
    assert not needs_answer(em("x:1", T0, text="kiva", sentiment="positive"))
    assert [format_duration(s) for s in (10, 600, 3600, 9000, 36000)] == [
        "1 min", "10 min", "1 h", "2.5 h", "10 h",
    ]  # fmt: skip


def test_state_is_compact_and_round_trips() -> None:
    """A storm's queue: ids stored as 64-bit hashes, no heap on disk, same behaviour after."""
    tr = ResponseTracker("nordbank")
    for i in range(2000):
        tr.observe(em(f"x:{i:07d}-a-long-native-id", T0 + i, source="x" if i % 3 else "facebook"))
    for i in range(0, 1000, 2):  # half of the first thousand answered
        tr.observe(reply(f"x:r{i}", T0 + 2000 + i, f"x:{i:07d}-a-long-native-id"))
    data = dumps_state(tr)  # the changelog record, read back as the worker reads it
    # ~17 B an open mention, 8 B a closed one; base64 inside the JSON record adds a third
    assert len(data) < (1500 * 17 + 500 * 8) * 4 // 3 + 2000
    back = loads_state(data)
    assert back.stats(T0 + 4000) == tr.stats(T0 + 4000)
    # A second reply is still recognised, and an open one still closes, after the round trip.
    assert back.observe(reply("x:again", T0 + 4000, "x:0000000-a-long-native-id")) == []
    [ev] = back.observe(reply("x:r1", T0 + 4000, "x:0000001-a-long-native-id"))
    assert (ev.response_seconds, ev.mention_id) == (3999.0, "x:0000001-a-long-native-id")
    # The heap rebuilt on load: the oldest open mention is next to expire.
    assert (tr._oldest_ts(), back._oldest_ts()) == (T0 + 1, T0 + 3)


def test_state_written_before_ids_were_hashed_still_loads() -> None:
    tr = ResponseTracker("nordbank")
    tr.observe(em("x:1", T0))
    old = {k: v for k, v in tr.__dict__.items() if k != "_heap"}
    old.update(_open={"x:1": (T0, "x")}, _done={"x:0": None}, _early={}, _heap=[(T0, "x:1")])
    back = ResponseTracker.__new__(ResponseTracker)
    back.__setstate__(old)
    assert back.observe(reply("x:r0", T0 + 5, "x:0")) == []  # already closed
    [ev] = back.observe(reply("x:r1", T0 + 60, "x:1"))
    assert ev.response_seconds == 60.0


def test_backlog_off_until_the_brands_replies_are_seen() -> None:
    """A feed without replies reads "answered 0/h" all day: no backlog incident (issue 15)."""
    tr = ResponseTracker("nordbank")
    wall(tr, 400, T0 + 3600, 9.0)
    (s,) = tr.advance(T0 + 7200)
    assert (tr.tracking, s.active, s.score, s.evidence["tracking"]) == ("off", False, 0.0, "off")
    assert "no replies from the brand seen yet" in s.evidence["message"]
    # One reply of the brand's own turns it on: the same wall is now a backlog.
    at = datetime.fromtimestamp(T0 + 7210, UTC)
    reply = Mention(
        "x:r1", "x", "nordbank", at, "Pahoittelut", author_is_brand=True, in_reply_to="x:nothing"
    )
    tr.observe(EnrichedMention(reply, Enrichment("fi", "neutral", 0.0)))
    (s,) = tr.advance(T0 + 7500)
    assert (tr.tracking, s.active, s.evidence["tracking"]) == ("replies_seen", True, "replies_seen")


def test_backlog_configured_tracking_judges_from_the_start() -> None:
    tr = ResponseTracker("nordbank", BacklogConfig(response_tracking=True))
    wall(tr, 400, T0 + 3600, 9.0)
    (s,) = tr.advance(T0 + 7200)
    assert (tr.tracking, s.active) == ("configured", True)


def test_backlog_gate_survives_pickle() -> None:
    tr = ResponseTracker("nordbank")
    at = datetime.fromtimestamp(T0, UTC)
    reply = Mention("x:r1", "x", "nordbank", at, "Hei", author_is_brand=True, in_reply_to="x:0")
    tr.observe(EnrichedMention(reply, Enrichment("fi", "neutral", 0.0)))
    assert loads_state(dumps_state(tr)).tracking == "replies_seen"
