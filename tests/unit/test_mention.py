"""The canonical mention: a table of valid and invalid records."""

from __future__ import annotations

import json

import pytest

from detectors.mention import EnrichedMention, Enrichment, InvalidMention, parse_mention

GOOD = {
    "id": "x:1",
    "source": "x",
    "brand": "Nordbank",
    "created_at": "2026-03-02T08:15:03.120Z",
    "text": "Verkkopankkiin ei pääse kirjautumaan",
}


def rec(**kw: object) -> bytes:
    d = {**GOOD, **kw}
    return json.dumps({k: v for k, v in d.items() if v is not ...}).encode()


def test_valid_mention_is_normalised_and_keeps_unknown_fields() -> None:
    m = parse_mention(rec(author={"id": "u1", "followers": 3, "is_brand": False}, extra_field=7))
    assert m.brand == "nordbank"
    assert m.created_at.utcoffset() is not None
    assert m.extra == {"extra_field": 7}
    assert m.to_dict()["extra_field"] == 7
    assert m.author_followers == 3


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"not json", "invalid_json"),
        (b"\xff\xfe{}", "invalid_utf8"),
        (b"[1, 2]", "not_an_object"),
        (rec(id=...), "missing_field"),
        (rec(text=None), "missing_field"),
        (rec(id=12), "wrong_type"),
        (rec(text=["a"]), "wrong_type"),
        (rec(brand="  "), "empty_field"),
        (rec(created_at="yesterday"), "bad_created_at"),
        (rec(created_at=1700000000), "bad_created_at"),
        (rec(text="x" * 20_001), "too_long"),
        (rec(author="bob"), "wrong_type"),
        (rec(author={"followers": -1}), "wrong_type"),
        (rec(author={"followers": True}), "wrong_type"),
        (rec(author={"is_brand": "yes"}), "wrong_type"),
        (b"[" * 100_000, "invalid_json"),
        (rec(created_at="0001-01-01T00:00:00+01:00"), "bad_created_at"),
        (rec(text="\ud800 lone"), "invalid_utf8"),
    ],
)
def test_invalid_records_name_their_reason(raw: bytes, reason: str) -> None:
    with pytest.raises(InvalidMention) as exc:
        parse_mention(raw)
    assert exc.value.reason == reason


def test_naive_and_offset_times_become_utc() -> None:
    a = parse_mention(rec(created_at="2026-03-02T10:15:03+02:00"))
    b = parse_mention(rec(created_at="2026-03-02T08:15:03"))
    assert a.created_at == b.created_at


def test_enriched_round_trip() -> None:
    m = parse_mention(rec(url="https://example.com/1", in_reply_to="x:0"))
    em = EnrichedMention(m, Enrichment("fi", "negative", -0.7, ("login",), ("ei toimi",)))
    back = EnrichedMention.from_dict(json.loads(json.dumps(em.to_dict())))
    assert back == em
