"""Property-based tests (hypothesis) of what the worker does with untrusted input.

Whatever bytes arrive, the worker's validation (:func:`detectors.mention.parse_mention`,
the brand and event-time checks) either yields a mention that the rest of the
pipeline can carry (enrich, JSON round trip, per-brand state) or a dead-letter
reason from the fixed set; it never raises anything else. Dead letters, HTTP
body splitting and Slack rendering of user text are fuzzed the same way. The
number of cases tried is printed at the end (``pytest -s``).
"""

from __future__ import annotations

import json
import re
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from alerts.incidents import Incident
from alerts.slack_blocks import escape_mrkdwn, incident_blocks, summary_text
from detectors.keystate import KeyState
from detectors.mention import EnrichedMention, InvalidMention, Mention
from detectors.mention import parse_mention as parse_record
from detectors.text import Enricher
from streams.metric_names import REASONS
from streams.records import MAX_DEAD_ORIGINAL_BYTES, check_time, dead_letter
from streams.web import split_body
from tests.data.nasty.corpus import load_cases

BRANDS = ("nordbank", "lumoverkko", "skyways")
NOW = time.time()
TRIED: Counter[str] = Counter()
FUZZ = settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
HEAVY = settings(FUZZ, max_examples=120)  # composite mention objects are slow to generate

_ENRICHER: Enricher | None = None


def enricher() -> Enricher:
    global _ENRICHER
    if _ENRICHER is None:
        _ENRICHER = Enricher()
    return _ENRICHER


def validate(raw: bytes) -> Mention:
    """What the enrich agent does before enrichment (raises InvalidMention)."""
    m = parse_record(raw)
    if m.brand not in BRANDS:
        raise InvalidMention("unknown_brand", m.brand[:64])
    check_time(m, NOW, 30.0, 600.0)
    return m


def carry(m: Mention) -> None:
    """Enrich, serialise as the agent does, decode as the detect agent does, observe."""
    (e,) = enricher().enrich_batch([m])
    wire = json.dumps(EnrichedMention(m, e).to_dict(), ensure_ascii=False).encode()
    back = EnrichedMention.from_dict(json.loads(wire))
    assert (back.mention.id, back.mention.brand, back.mention.text) == (m.id, m.brand, m.text)
    assert abs(back.ts - m.ts) < 0.001  # the wire format keeps milliseconds
    KeyState(m.brand).observe(back)


def outcome(raw: bytes) -> str:
    TRIED["records"] += 1
    try:
        m = validate(raw)
    except InvalidMention as exc:
        reason = exc.reason
    else:
        carry(m)
        return "ok"
    assert reason in REASONS, reason
    return reason


@pytest.fixture(scope="module", autouse=True)
def _report() -> Iterator[None]:
    yield
    print(f"\nfuzz cases tried: {dict(TRIED)} (total {sum(TRIED.values())})")


# -- strategies ------------------------------------------------------------------------

NASTY_TEXT = st.text(
    alphabet=st.one_of(
        st.characters(codec="utf-8"),
        st.sampled_from(
            [
                "<",
                ">",
                "&",
                "@",
                "!",
                "|",
                "*",
                "_",
                "~",
                "`",
                "\u202e",
                "\u200f",
                "\u2028",
                "\x00",
                "\x1b",
                "\u200b",
                "\ufeff",
                "\n",
                "\r",
                "\\",
            ]
        ),
    ),
    max_size=300,
)
INJECTIONS = st.sampled_from(
    [
        "<!channel>",
        "<!here>",
        "<!everyone>",
        "@channel",
        "@HERE",
        "@everyone",
        "<@U0ADMIN>",
        "<#C0ALL>",
        "<!subteam^S0ALL>",
        "<https://evil.example|klikkaa>",
        "<!date^1|x>",
        "&lt;!channel&gt;",
    ]
)
TEXT = st.one_of(
    NASTY_TEXT, st.builds(lambda a, i, b: a + i + b, NASTY_TEXT, INJECTIONS, NASTY_TEXT)
)
JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | NASTY_TEXT,
    lambda kids: st.lists(kids, max_size=4) | st.dictionaries(NASTY_TEXT, kids, max_size=4),
    max_leaves=12,
)


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, tz=UTC).isoformat()


TIMES = st.one_of(
    st.floats(NOW - 29 * 86400, NOW).map(_iso),
    st.datetimes(timezones=st.timezones()).map(lambda d: d.isoformat()),
    st.sampled_from(
        [
            "0001-01-01T00:00:00+01:00",
            "9999-12-31T23:59:59-14:00",
            "",
            "now",
            "2026-02-30T00:00:00Z",
            "1970-01-01T00:00:00Z",
        ]
    ),
    JSONISH,
)
AUTHOR = st.one_of(
    st.none(),
    st.fixed_dictionaries(
        {},
        optional={
            "id": st.one_of(NASTY_TEXT, st.integers(), JSONISH),
            "followers": st.one_of(st.integers(min_value=-5, max_value=10**40), JSONISH),
            "is_brand": st.one_of(st.booleans(), JSONISH),
        },
    ),
    JSONISH,
)


@st.composite
def mention_objects(draw: st.DrawFn) -> dict[str, Any]:
    """Mostly-valid mentions with any field missing, null, mistyped or nasty."""
    obj: dict[str, Any] = {
        "id": draw(st.one_of(st.uuids().map(str), NASTY_TEXT, JSONISH)),
        "source": draw(st.one_of(st.sampled_from(["x", "chat", "web"]), NASTY_TEXT, JSONISH)),
        "brand": draw(
            st.one_of(st.sampled_from([*BRANDS, "NordBank", "evilcorp"]), NASTY_TEXT, JSONISH)
        ),
        "created_at": draw(TIMES),
        "text": draw(st.one_of(TEXT, JSONISH)),
    }
    for name in draw(st.sets(st.sampled_from(sorted(obj)), max_size=2)):
        if draw(st.booleans()):
            del obj[name]
        else:
            obj[name] = None
    if draw(st.booleans()):
        obj["author"] = draw(AUTHOR)
    for name in ("lang", "url", "in_reply_to"):
        if draw(st.booleans()):
            obj[name] = draw(st.one_of(NASTY_TEXT, JSONISH))
    obj.update(draw(st.dictionaries(st.text(max_size=8), JSONISH, max_size=2)))
    return obj


# -- properties ------------------------------------------------------------------------


@FUZZ
@given(st.binary(max_size=2000))
@example(b"")
@example(b"[" * 100_000)
@example(
    b'{"id": "1", "source": "x", "brand": "nordbank", "text": "a\\ud800",'
    b' "created_at": "2026-03-02T08:00:00Z"}'
)
def test_any_bytes_become_a_mention_or_a_known_reason(raw: bytes) -> None:
    outcome(raw)


@HEAVY
@given(mention_objects(), st.booleans())
def test_near_valid_mentions_are_processed_or_refused_with_a_reason(
    obj: dict[str, Any], ascii_only: bool
) -> None:
    try:
        raw = json.dumps(obj, ensure_ascii=ascii_only).encode("utf-8", "surrogatepass")
    except (ValueError, RecursionError):
        return
    got = outcome(raw)
    if got == "ok":
        assert obj["brand"].strip().lower() in BRANDS
        assert isinstance(obj["text"], str)


@HEAVY
@given(mention_objects(), st.binary(min_size=1, max_size=3), st.integers(0, 10_000))
def test_corrupted_bytes_never_crash_validation(obj: dict[str, Any], junk: bytes, at: int) -> None:
    raw = json.dumps(obj, default=str).encode("utf-8", "surrogatepass")
    at %= len(raw) + 1
    outcome(raw[:at] + junk + raw[at:])


def test_every_corpus_case_ends_as_expected() -> None:
    cases = load_cases(NOW)
    assert len(cases) >= 80
    for c in cases:
        got = outcome(c.raw)
        want = "ok" if c.expect == "duplicate" else c.expect  # duplicates: the detect stage
        assert got == want, c.name


@FUZZ
@given(st.sampled_from(sorted(REASONS)), NASTY_TEXT, st.binary(max_size=4000))
def test_dead_letters_are_utf8_json_and_keep_the_original(
    reason: str, detail: str, original: bytes
) -> None:
    TRIED["dead_letters"] += 1
    d = json.loads(
        dead_letter(
            reason,
            detail.encode("utf-8", "replace").decode(),
            original,
            topic="t",
            partition=0,
            offset=1,
        ).decode("utf-8")
    )
    assert d["reason"] == reason
    assert d["original"] == original.decode("utf-8", "backslashreplace")


def test_dead_letter_of_a_huge_record_fits_in_a_kafka_message() -> None:
    huge = b'{"text": "' + "\u00e4\xff".encode("utf-8", "surrogateescape") * 600_000 + b'"}'
    out = dead_letter("too_long", "text longer than 20000 characters", huge)
    assert len(out) < 1_000_000
    d = json.loads(out)
    assert d["truncated"] is True
    assert d["original_bytes"] == len(huge)
    assert d["original"].startswith('{"text": "ä')
    assert len(out) > MAX_DEAD_ORIGINAL_BYTES


@FUZZ
@given(
    st.lists(st.binary(max_size=200), max_size=20),
    st.sampled_from(["application/x-ndjson", "application/json", "text/plain", ""]),
)
def test_http_bodies_split_without_raising(lines: list[bytes], ctype: str) -> None:
    TRIED["http_bodies"] += 1
    body = b"\n".join(lines)
    records = split_body(body, ctype)
    if "ndjson" in ctype:
        assert records == [ln.rstrip(b"\r") for ln in body.split(b"\n") if ln.strip()]
    for r in records or []:
        outcome(r)


@HEAVY
@given(st.lists(st.one_of(mention_objects(), JSONISH), max_size=4))
def test_json_array_bodies_become_one_record_each(objs: list[Any]) -> None:
    TRIED["http_bodies"] += 1
    try:
        body = json.dumps(objs).encode()
    except (ValueError, RecursionError):
        return
    records = split_body(body, "application/json")
    assert records is not None
    assert len(records) == len(objs)
    for r in records:
        outcome(r)


# Our own <!date^...> formatting is fine; a broadcast, user, group or channel link is not.
PING = re.compile(
    r"<!(channel|here|everyone|subteam)|<[@#]|<https?://evil"
    r"|(?<![\w\u200b])@(channel|here|everyone)\b",
    re.I,
)
BROADCAST = re.compile(r"(?<![\w\u200b])@(channel|here|everyone)\b", re.I)


def _no_ping(rendered: str) -> None:
    assert not PING.search(rendered), rendered


@FUZZ
@given(TEXT)
def test_escaped_user_text_can_never_ping_or_link(text: str) -> None:
    TRIED["slack_texts"] += 1
    out = escape_mrkdwn(text)
    assert "<" not in out
    assert ">" not in out
    assert not re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", out)
    _no_ping(out)


@FUZZ
@given(st.lists(TEXT, min_size=1, max_size=4), st.lists(TEXT, max_size=3), TEXT)
def test_incident_message_with_nasty_samples_never_pings(
    samples: list[str], terms: list[str], topic: str
) -> None:
    TRIED["slack_messages"] += 1
    inc = Incident(
        "inc-nordbank~volume_surge~1",
        "nordbank",
        "volume_surge",
        topic or None,
        "open",
        "high",
        opened_at=NOW - 600,
        updated_at=NOW,
        last_active_at=NOW,
        evidence={
            "samples": [
                {"id": str(i), "text": s, "url": "https://evil.example/<!here>|x"}
                for i, s in enumerate(samples)
            ],
            "terms": [{"term": t, "ratio": 3.0} for t in terms],
            "topics": {t: 1 for t in terms},
            "observed": 120,
            "expected": 10.0,
        },
    )
    blocks = incident_blocks(inc, NOW)
    # Slack parses <...> only in mrkdwn; plain_text shows it as typed (but no broadcast words).
    mrkdwn, plain = [summary_text(inc, NOW)], []

    def walk(x: Any) -> None:
        if isinstance(x, dict):
            if isinstance(x.get("text"), str):
                (mrkdwn if x.get("type") == "mrkdwn" else plain).append(x["text"])
            for v in x.values():
                walk(v)
        elif isinstance(x, list):
            for v in x:
                walk(v)

    walk(blocks)
    assert len(mrkdwn) > 1
    for r in mrkdwn:
        _no_ping(r)
    for r in plain:
        assert not BROADCAST.search(r), r
