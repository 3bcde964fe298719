"""The mention simulator and the bundled demo scenario."""

from __future__ import annotations

import itertools
import json
import statistics
from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from detectors.mention import mention_from_obj, parse_time
from tools.scenarios import (
    BrandProfile,
    SimEvent,
    backlog_config,
    default_profiles,
    demo_events,
    labels_to_json,
    random_events,
)
from tools.simulate import demo_scenario, simulate
from tools.simulate_cli import simulate_main
from tools.simulate_texts import GENERIC, PRODUCTS, SECTOR, core_sentences

HEL = ZoneInfo("Europe/Helsinki")
MONDAY = datetime(2026, 3, 2, tzinfo=HEL)
DEMO_FILE = Path(__file__).resolve().parents[2] / "streams" / "data" / "demo_nordbank_outage.ndjson"


def nordbank(**kw: object) -> BrandProfile:
    return replace(default_profiles()[0], **kw)  # type: ignore[arg-type]


def local_hour(row: dict[str, object]) -> int:
    return parse_time(row["created_at"]).astimezone(HEL).hour


def customers(rows: list[dict[str, object]]) -> list[dict[str, object]]:
    return [r for r in rows if not r["author"]["is_brand"]]  # type: ignore[index]


@pytest.fixture(scope="module")
def two_days() -> list[dict[str, object]]:
    return list(simulate([nordbank(base_per_bucket=10.0)], MONDAY, 2, [], seed=3, truth=True))


def test_same_seed_same_stream_other_seed_other_stream() -> None:
    p = [nordbank(base_per_bucket=5.0)]
    a = list(simulate(p, MONDAY, 0.5, [], seed=1))
    assert a == list(simulate(p, MONDAY, 0.5, [], seed=1))
    assert a != list(simulate(p, MONDAY, 0.5, [], seed=2))


def test_rows_are_valid_sorted_canonical_mentions(two_days: list[dict[str, object]]) -> None:
    times = [r["created_at"] for r in two_days]
    assert times == sorted(times)
    assert len({r["id"] for r in two_days}) == len(two_days)
    for r in two_days:
        m = mention_from_obj(r)
        assert m.created_at.isoformat().startswith(str(r["created_at"])[:19])
        assert str(r["created_at"]).endswith("Z")
        assert m.text.strip()
        assert m.lang in (None, "fi", "sv", "en")
        assert m.source in ("x", "facebook", "instagram")


def test_daily_rhythm_and_language_mix(two_days: list[dict[str, object]]) -> None:
    rows = customers(two_days)
    by_hour = Counter(local_hour(r) for r in rows)
    night = sum(by_hour[h] for h in (1, 2, 3, 4)) / 8  # per hour over two nights
    day = sum(by_hour[h] for h in (10, 11, 12, 13)) / 8
    assert night < 0.1 * day
    assert night / 12 <= 2  # nights: a couple per 5-minute bucket at most
    langs = Counter(r["sim"]["lang"] for r in rows)  # type: ignore[index]
    assert 0.7 < langs["fi"] / len(rows) < 0.9
    assert langs["sv"] > langs["en"] > 0


def test_weekend_quieter_than_weekday() -> None:
    p = [nordbank(base_per_bucket=10.0)]
    weekday = len(list(simulate(p, MONDAY + timedelta(days=2), 1, [], seed=5)))
    sunday = len(list(simulate(p, MONDAY + timedelta(days=6), 1, [], seed=5)))
    assert sunday < 0.75 * weekday


def test_counts_are_overdispersed() -> None:
    p = nordbank(base_per_bucket=30.0, team_capacity_per_hour=0.0)
    per_bucket = []
    for day in range(5):
        start = MONDAY + timedelta(days=day, hours=10)
        rows = list(simulate([p], start, 1 / 12, [], seed=day))
        per_bucket += list(Counter(r["created_at"][:15] for r in rows).values())
    mean, var = statistics.mean(per_bucket), statistics.variance(per_bucket)
    assert var > 1.5 * mean  # Poisson would give var == mean


def window(
    rows: list[dict[str, object]], start: datetime, end: datetime
) -> list[dict[str, object]]:
    lo, hi = start.timestamp(), end.timestamp()
    return [r for r in customers(rows) if lo <= parse_time(r["created_at"]).timestamp() < hi]


def share(rows: list[dict[str, object]], sentiment: str) -> float:
    return sum(r["sim"]["sentiment"] == sentiment for r in rows) / max(1, len(rows))  # type: ignore[index]


@pytest.mark.parametrize(
    ("kind", "hours", "magnitude", "min_ratio", "max_ratio", "sentiment", "min_share"),
    [
        ("outage", 2, 10.0, 4.0, 20.0, "negative", 0.6),
        ("slow_burn", 5, 1.8, 1.15, 2.2, "negative", 0.35),
        ("viral", 4, 6.0, 1.8, 10.0, "positive", 0.45),
    ],
)
def test_labelled_events_change_volume_and_sentiment(
    kind: str,
    hours: float,
    magnitude: float,
    min_ratio: float,
    max_ratio: float,
    sentiment: str,
    min_share: float,
) -> None:
    p = nordbank(base_per_bucket=15.0)
    day = MONDAY + timedelta(days=1)  # Tuesday; Monday is the comparison day
    start = day.replace(hour=9)
    ev = SimEvent("nordbank", kind, start, start + timedelta(hours=hours), magnitude)
    rows = list(simulate([p], MONDAY, 2, [ev], seed=11, truth=True))
    during = window(rows, ev.start, ev.end)
    before = window(rows, ev.start - timedelta(days=1), ev.end - timedelta(days=1))
    assert min_ratio < len(during) / len(before) < max_ratio
    if kind == "slow_burn":  # the negative share climbs: judge the last third
        last = window(rows, ev.end - timedelta(hours=hours / 3), ev.end)
        first = window(rows, ev.start, ev.start + timedelta(hours=hours / 3))
        assert share(last, "negative") > share(first, "negative") + 0.1
        assert share(last, "negative") > min_share
    else:
        assert share(during, sentiment) > min_share
    assert share(before, sentiment) < min_share
    assert all(r["sim"]["event"] in (None, kind) for r in during)  # type: ignore[index]


def test_brand_replies_answer_earlier_customers_in_working_hours(
    two_days: list[dict[str, object]],
) -> None:
    seen: dict[str, dict[str, object]] = {}
    replies = 0
    for r in two_days:
        author = r["author"]
        if author["is_brand"]:  # type: ignore[index]
            replies += 1
            target = seen[str(r["in_reply_to"])]
            assert target["source"] == r["source"]
            assert not target["author"]["is_brand"]  # type: ignore[index]
            assert parse_time(target["created_at"]) < parse_time(r["created_at"])
            assert 8 <= local_hour(r) < 20  # Monday and Tuesday: weekday hours
            assert author["id"] == "nordbank_care"  # type: ignore[index]
        else:
            assert r["in_reply_to"] is None
        seen[str(r["id"])] = r
    assert replies > 0.2 * len(customers(two_days))


def test_outage_outruns_the_team() -> None:
    p = nordbank(base_per_bucket=15.0, team_capacity_per_hour=100.0)
    day = MONDAY + timedelta(days=1)
    ev = SimEvent("nordbank", "outage", day.replace(hour=10), day.replace(hour=12), 10.0)
    rows = list(simulate([p], MONDAY, 1.5, [ev], seed=4, truth=True))
    answered = {r["in_reply_to"] for r in rows if r["author"]["is_brand"]}  # type: ignore[index]
    neg = window([r for r in rows if r["sim"]["sentiment"] == "negative"], ev.start, ev.end)  # type: ignore[index]
    unanswered = sum(r["id"] not in answered for r in neg)
    assert unanswered > 0.5 * len(neg)


def test_random_events_are_spread_labelled_and_disjoint() -> None:
    profiles = default_profiles()
    start = datetime(2026, 3, 2, tzinfo=UTC)
    events = random_events(profiles, start, 14, seed=1)
    assert events == random_events(profiles, start, 14, seed=1)
    for p in profiles:
        mine = sorted((e for e in events if e.brand == p.name), key=lambda e: e.start)
        assert Counter(e.kind for e in mine) == {"outage": 3, "slow_burn": 3, "viral": 3}
        for a, b in itertools.pairwise(mine):
            assert a.end <= b.start
        assert all(start + timedelta(days=1) <= e.start and e.end <= start + timedelta(days=14)
                   for e in mine)  # fmt: skip
    labels = labels_to_json(events)
    assert all(set(x) == {"brand", "kind", "start", "end"} for x in labels)
    assert all(x["start"].endswith("Z") and x["start"] < x["end"] for x in labels)


def test_every_phrase_formats_in_every_sector() -> None:
    for bank in (GENERIC, *SECTOR.values()):
        for lang, by_sentiment in bank.items():
            for sentiment, by_topic in by_sentiment.items():
                for topic in by_topic:
                    for sector in PRODUCTS:
                        for line in core_sentences(sector, lang, sentiment, topic):
                            assert line.format(brand="B", product="p", app="a").strip()


def test_texts_vary() -> None:
    rows = customers(list(simulate([nordbank()], MONDAY + timedelta(hours=9), 0.1, [], seed=2)))
    texts = [r["text"] for r in rows]
    assert len(set(texts)) > 0.6 * len(texts)
    assert any("@Nordbank" in t or "@nordbank" in t for t in texts)
    assert any(t.startswith("#") or " #" in t for t in texts)


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda: nordbank(langs={"de": 1.0}), "language"),
        (lambda: nordbank(negative_share=0.9, positive_share=0.3), "share"),
        (lambda: nordbank(name="Nordbank"), "lower case"),
        (lambda: nordbank(sector="shop"), "sector"),
        (lambda: SimEvent("nordbank", "meteor", MONDAY, MONDAY + timedelta(hours=1)), "kind"),
        (lambda: SimEvent("nordbank", "outage", MONDAY, MONDAY), "after"),
        (lambda: list(simulate([nordbank()], MONDAY.replace(tzinfo=None), 1, [], 1)), "aware"),
        (lambda: list(simulate([nordbank()], MONDAY, 0, [], 1)), "positive"),
    ],
)
def test_bad_parameters_raise(make: object, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        make()  # type: ignore[operator]


def test_cli_writes_stream_and_labels(tmp_path: Path) -> None:
    out, labels = tmp_path / "m.ndjson", tmp_path / "l.json"
    argv = ["--days", "1.5", "--brands", "nordbank", "--seed", "2", "--scale", "0.2",
            "--out", str(out), "--labels", str(labels)]  # fmt: skip
    assert simulate_main(argv) == 0
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert {r["brand"] for r in rows} == {"nordbank"}
    assert rows[0]["created_at"] >= "2026-03-01T22:00"  # Helsinki midnight
    assert {x["kind"] for x in json.loads(labels.read_text(encoding="utf-8"))} <= {
        "outage", "slow_burn", "viral",
    }  # fmt: skip
    assert simulate_main(["--brands", "nope", "--out", str(out)]) == 2


def test_backlog_config_matches_team() -> None:
    cfg = backlog_config(nordbank(), promise_seconds=1800)
    assert cfg.service_hours == (8, 20)
    assert cfg.brand_account_ids == frozenset({"nordbank_care"})
    assert cfg.promise_seconds == 1800


def test_demo_scenario_is_the_bundled_file() -> None:
    rows = demo_scenario()
    lines = DEMO_FILE.read_text(encoding="utf-8").splitlines()
    assert [json.loads(line) for line in lines] == rows


def test_demo_scenario_shape() -> None:
    rows = demo_scenario()
    (ev,) = demo_events()
    start, end = parse_time(rows[0]["created_at"]), parse_time(rows[-1]["created_at"])
    assert timedelta(hours=5) <= end - start <= timedelta(hours=6, minutes=5)
    assert 2000 <= len(rows) <= 6000
    assert (ev.start.astimezone(HEL).hour, ev.start.weekday()) == (10, 1)  # a Tuesday
    normal = window(rows, start, ev.start)
    outage = window(rows, ev.start, ev.end)
    assert ev.start - start >= timedelta(hours=3, minutes=40)  # a quiet 06:00 gives no row
    per_min_normal = len(normal) / ((ev.start - start).total_seconds() / 60)
    per_min_outage = len(outage) / ((ev.end - ev.start).total_seconds() / 60)
    assert per_min_outage > 5 * per_min_normal
    texts = " ".join(r["text"].lower() for r in outage)
    assert "kirjautu" in texts
    assert "ei toimi" in texts
    langs = Counter(r["lang"] for r in outage if r["source"] == "x")
    assert langs["fi"] > 0.7 * sum(langs.values())
    assert min(langs["sv"], langs["en"]) > 0
    after = window(rows, ev.end, end + timedelta(seconds=1))
    assert any("kiitos" in r["text"].lower() for r in after)
    replies = [
        r for r in rows if r["author"]["is_brand"] and r["created_at"] >= rows[0]["created_at"]
    ]
    in_outage = [r for r in replies if ev.start <= parse_time(r["created_at"]) < ev.end]
    assert 0 < len(in_outage) < 0.2 * len(outage)  # the team cannot keep up
