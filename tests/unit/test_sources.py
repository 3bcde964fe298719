"""The pure parts of the sources: config, canonical mentions, rate-limit headers, dedup,
silence, the webhook and Meta payload readers, RSS/Atom parsing, the Slack warning."""

from __future__ import annotations

import doctest
import hashlib
import hmac
import importlib
import json
from datetime import UTC, datetime

import pytest

from detectors.brandmatch import BrandMatcher, BrandRule
from detectors.mention import mention_from_obj
from streams.settings import load_settings
from streams.sources import base, http, listener, meta, rss, silence, state, webhook
from streams.sources.base import Bad, Item, canonical
from streams.sources.cli import _warner, parse_since
from streams.sources.config import SourceConfigError, WebhookConfig, parse_sources
from streams.sources.runner import Backoff
from tests.slackfake import SlackFake

MODULES = [
    "base",
    "http",
    "listener",
    "meta",
    "rss",
    "silence",
    "state",
    "webhook",
    "runner",
    "cli",
    "stream",
    "mastodon",
    "reddit",
    "appstore",
    "x",
    "bluesky",
]
M = BrandMatcher(
    [
        BrandRule("nordbank", names=("Nordbank",), handles=("@nordbank",), page_ids=("1001",)),
        BrandRule("lumoverkko", names=("Lumoverkko",)),
    ]
)
T = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


@pytest.mark.parametrize("name", MODULES)
def test_doctests(name: str) -> None:
    mod = importlib.import_module(f"streams.sources.{name}")
    res = doctest.testmod(mod, optionflags=doctest.ELLIPSIS)
    assert res.failed == 0


# -- config ---------------------------------------------------------------------------


def test_config_forms() -> None:
    assert parse_sources(None).connectors == {}
    legacy = parse_sources(["x", "web"])
    assert legacy.labels == ["x", "web"]
    assert legacy.label_names() == ["x", "web"]
    cfg = parse_sources(
        {
            "brands": {"nordbank": {"names": ["Nordbank"]}},
            "connectors": {
                "news": {"kind": "rss", "url": "https://news.example/feed"},
                "fb": {"kind": "meta"},
            },
        }
    )
    assert cfg.label_names() == ["web", "facebook", "instagram"]
    assert cfg.matcher().brands == ("nordbank",)


@pytest.mark.parametrize(
    ("raw", "needle"),
    [
        ({"connectors": {"news": {"kind": "rss", "url": "x", "poll": 1}}}, "news.rss.poll"),
        ({"connectors": {"news": {"kind": "rss", "url": "ftp://x"}}}, "news.rss.url"),
        ({"connectors": {"News!": {"kind": "rss", "url": "http://x"}}}, "connectors"),
        ({"connectors": {"n": {"kind": "telegraph"}}}, "connectors.n"),
        ({"brands": {"nordbank": {"names": ["Nordbank"], "nick": []}}}, "brands.nordbank.nick"),
        ({"brands": {"nordbank": {}}}, "needs a name"),
        ({"silence": {"after_minutes": 0}}, "silence.after_minutes"),
        (
            {
                "connectors": {
                    "w": {
                        "kind": "webhook",
                        "secret_env": "S",
                        "mapping": {"id": "ticket/id", "text": "/t", "created_at": "/c"},
                    }
                }
            },
            "mapping.id",
        ),
        ("sources", "expected a list"),
    ],
)
def test_config_errors_name_the_key(raw: object, needle: str) -> None:
    with pytest.raises(SourceConfigError, match=needle.replace(".", r"\.")):
        parse_sources(raw)


def test_parse_since() -> None:
    now = datetime(2026, 3, 15, tzinfo=UTC)
    assert parse_since("2w", now) == datetime(2026, 3, 1, tzinfo=UTC)
    assert parse_since("2026-03-01T00:00:00Z", now) == datetime(2026, 3, 1, tzinfo=UTC)
    with pytest.raises(SourceConfigError, match="--since"):
        parse_since("fortnight", now)


# -- canonical mentions ---------------------------------------------------------------


def test_one_mention_per_brand_with_unique_ids() -> None:
    it = Item("p1", T, "Nordbank ja Lumoverkko alhaalla", author_id="u1", author_followers=5)
    out, bad = canonical(it, "web", "news", M)
    assert bad is None
    assert [b for b, _ in out] == ["nordbank", "lumoverkko"]
    objs = [json.loads(v) for _, v in out]
    assert [o["id"] for o in objs] == ["web:p1:nordbank", "web:p1:lumoverkko"]
    for o in objs:
        m = mention_from_obj(o)
        assert m.created_at == T
        assert m.author_followers == 5
        assert not m.author_is_brand
        assert m.extra["via"] == "news"


def test_the_brands_own_reply_is_a_reply() -> None:
    it = Item("r1", T, "Pahoittelut, selvitämme", author_handle="@nordbank", in_reply_to="p1")
    out, bad = canonical(it, "x", "xs", M)
    assert bad is None
    ((brand, value),) = out
    o = json.loads(value)
    assert brand == "nordbank"
    assert o["author"]["is_brand"] is True
    assert o["in_reply_to"] == "x:p1:nordbank"


def test_no_brand_no_mention_and_bad_fields_are_reasons() -> None:
    assert canonical(Item("p", T, "sää on kaunis"), "web", "n", M) == ([], None)
    out, bad = canonical(Item("p", T, "Nordbank", brand="acme"), "chat", "n", M)
    assert out == []
    assert bad is not None
    assert bad.reason == "unknown_brand"
    out, bad = canonical(Item("p", T, "Nordbank" + "x" * 30_000 + " Nordbank"), "web", "n", M)
    assert out == []
    assert bad is not None
    assert bad.reason == "too_long"
    out, _ = canonical(Item("p", T, "sovellus kaatui", brand="Nordbank"), "chat", "n", M)
    assert [b for b, _ in out] == ["nordbank"]


# -- rate limits, backoff, dedup, silence --------------------------------------------------


def test_meta_usage_header() -> None:
    h = {"x-business-use-case-usage": json.dumps({"1": [{"estimated_time_to_regain_access": 3}]})}
    assert http.wait_seconds(h, 0.0) == 180.0
    assert http.wait_seconds({"retry-after": "nonsense"}, 0.0) is None


def test_backoff_caps_its_own_wait_but_honours_the_platforms() -> None:
    b = Backoff(base=1.0, cap=5.0, rng=lambda: 0.99)
    waits = [b.next() for _ in range(6)]
    assert max(waits) <= 5.0
    assert b.next(told=120.0) == 120.0


def test_dedup_is_bounded() -> None:
    d = state.Dedup(1000)
    for i in range(100_000):
        d.add(str(i))
    assert len(d) == 1000
    assert "99999" in d
    assert "0" not in d
    cursor, seen = state.decode_state(state.encode_state({"etag": "x"}, d.recent()))
    assert cursor == {"etag": "x"}
    assert seen[-1] == "99999"
    assert state.decode_state(b"") == ({}, [])


def test_silence_needs_a_normally_delivering_source() -> None:
    w = silence.SilenceWatch(after_seconds=600, min_records_per_day=5)
    for i in range(10):
        w.observe(i * 60.0, 1)
    assert w.check(900.0) is None
    assert w.check(1200.0) == "silent"
    assert w.check(1300.0) is None  # said once
    w.observe(1400.0, 2)
    assert w.check(1400.0) == "resumed"
    with pytest.raises(ValueError, match="after_seconds"):
        silence.SilenceWatch(0, 1)


def test_silence_warning_goes_to_slack_and_survives_a_429(monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = parse_sources({"silence": {"slack_channel": "#social-ops"}})
    with SlackFake() as slack:
        monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test")
        monkeypatch.setenv("SLACK_API_URL", slack.base_url)
        slack.fail_next(1, "429", retry_after=0)
        warn = _warner(cfg, "news", load_settings())
        warn("silent")
        warn("resumed")
        posts = slack.posts()
    assert len(posts) == 2
    assert "news" in posts[0].text
    assert "stopped arriving" in posts[0].text
    assert "arriving again" in posts[1].text


# -- webhook and Meta payloads ----------------------------------------------------------


def _hook() -> webhook.GenericWebhook:
    cfg = WebhookConfig.model_validate(
        {
            "kind": "webhook",
            "secret_env": "S",
            "path": "/h",
            "mapping": {
                "items": "/items",
                "id": "/id",
                "text": "/body",
                "created_at": "/at",
                "in_reply_to": "/parent",
            },
        }
    )
    return webhook.GenericWebhook(cfg, "s3cret")


def _sig(secret: bytes, body: bytes) -> str:
    return "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()


def test_generic_webhook_signature_and_mapping() -> None:
    h = _hook()
    body = json.dumps(
        {
            "items": [
                {"id": 7, "body": "Nordbank?", "at": 1772438400, "parent": "3"},
                {"id": 8, "body": "ok", "at": "not a time"},
                {"body": "no id", "at": 1772438400},
            ]
        }
    ).encode()
    assert h.handle("POST", "/h", {}, {}, body).status == 401
    assert h.handle("POST", "/h", {}, {"x-signature-256": _sig(b"no", body)}, body).status == 401
    assert h.handle("GET", "/h", {}, {}, b"").status == 405
    assert h.handle("POST", "/x", {}, {}, body).status == 404
    ans = h.handle("POST", "/h", {}, {"x-signature-256": _sig(b"s3cret", body)}, body)
    assert ans.status == 200
    assert ans.deliver
    assert [(i.platform_id, i.in_reply_to, i.created_at) for i in ans.items] == [
        ("7", "3", datetime(2026, 3, 2, 8, 0, tzinfo=UTC))
    ]
    assert [(b.reason, b.platform_id) for b in ans.bad] == [
        ("bad_created_at", "8"),
        ("missing_field", None),
    ]
    with pytest.raises(ValueError, match="S"):
        webhook.GenericWebhook(h.cfg, "")


def test_meta_notification_reader() -> None:
    doc = {
        "object": "page",
        "entry": [
            {
                "id": "1001",
                "time": 1772438400,
                "changes": [
                    {
                        "field": "feed",
                        "value": {
                            "item": "comment",
                            "verb": "add",
                            "comment_id": "c1",
                            "post_id": "1001_5",
                            "parent_id": "1001_5",
                            "message": "hei",
                            "created_time": 1772438400,
                            "from": {"id": "u", "name": "U"},
                        },
                    },
                    {"field": "feed", "value": {"item": "reaction", "verb": "add"}},
                    {
                        "field": "feed",
                        "value": {"item": "comment", "verb": "remove", "comment_id": "c0"},
                    },
                    {"field": "feed", "value": "nope"},
                ],
            }
        ],
    }
    items, bad = meta.parse_notification(doc, "instagram")
    assert [(i.platform_id, i.in_reply_to, i.page_ids) for i in items] == [
        ("c1", "1001_5", ("1001",))
    ]
    assert [b.reason for b in bad] == ["wrong_type"]
    assert meta.parse_notification([], "instagram")[1][0].reason == "not_an_object"
    out, _ = canonical(items[0], "facebook", "fb", M)
    assert [b for b, _ in out] == ["nordbank"]  # posted on the brand's page


def test_meta_graph_time_format() -> None:
    assert meta._epoch("2026-03-02T08:00:00+0000") == T
    assert meta._epoch(1772438400) == T
    assert meta._epoch(1772438400000) == T


def test_listener_signature_base64() -> None:
    import base64

    mac = base64.b64encode(hmac.new(b"k", b"x", hashlib.sha256).digest()).decode()
    assert listener.signature_ok(b"k", b"x", mac, "", "base64")
    assert not listener.signature_ok(b"", b"x", mac, "", "base64")


# -- RSS / Atom ---------------------------------------------------------------------------


def test_atom_and_rss_entries() -> None:
    atom = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Foorumi</title>
<entry><id>tag:f,2026:1</id><title>Nordbank &amp; kortit</title>
<updated>2026-03-02T08:00:00Z</updated><summary type="html">&lt;p&gt;Ei toimi&lt;/p&gt;</summary>
<link href="http://f/1"/><author><name>matti</name></author></entry>
<entry><id>tag:f,2026:2</id><title>vanha</title><updated>2026-01-01T00:00:00Z</updated></entry>
</feed>"""
    b = rss.entries_to_batch(atom)
    assert [(i.platform_id, i.text, i.url, i.author_handle) for i in b.items] == [
        ("tag:f,2026:2", "vanha", None, None),
        ("tag:f,2026:1", "Nordbank & kortit\nEi toimi", "http://f/1", "matti"),
    ]
    recent = rss.entries_to_batch(atom, since=datetime(2026, 2, 1, tzinfo=UTC))
    assert [i.platform_id for i in recent.items] == ["tag:f,2026:1"]
    broken = rss.entries_to_batch(b"<html>not a feed")
    assert [x.reason for x in broken.bad] == ["bad_feed"]


def test_every_module_is_importable() -> None:
    for mod in (base, http, listener, meta, rss, silence, state, webhook):
        assert mod.__doc__
    assert isinstance(Bad("r", "d", b""), Bad)


# -- the command line --------------------------------------------------------------------


def test_cli_list_and_check(tmp_path, capsys, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from datetime import timedelta

    import yaml

    from streams.cli import main
    from tests.sourcefakes.rss import Entry, FeedFake

    with FeedFake() as feed:
        feed.entries = [Entry("1", "Nordbank", T + timedelta(minutes=1))]
        cfg = tmp_path / "cfg.yaml"
        cfg.write_text(
            yaml.safe_dump(
                {
                    "sources": {
                        "brands": {"nordbank": {"names": ["Nordbank"]}},
                        "connectors": {
                            "news": {"kind": "rss", "url": f"{feed.base_url}/feed.xml"},
                            "gone": {"kind": "rss", "url": f"{feed.base_url}/nothing.xml"},
                            "care": {
                                "kind": "webhook",
                                "secret_env": "CARE_SECRET_FOR_TEST",
                                "mapping": {"id": "/id", "text": "/t", "created_at": "/c"},
                            },
                        },
                    }
                }
            )
        )
        assert main(["source", "list", "--config", str(cfg)]) == 0
        out = capsys.readouterr().out
        assert "news\trss\tchannel=web\tbackfill" in out
        assert "care\twebhook\tchannel=chat\tno backfill" in out
        monkeypatch.delenv("CARE_SECRET_FOR_TEST", raising=False)
        assert main(["source", "check", "--config", str(cfg)]) == 1
        out = capsys.readouterr().out
        assert "news: ok: HTTP 200, feed 'Uutiset', 1 entries, etag=yes" in out
        assert "gone: FAILED: Fatal: HTTP 404" in out
        assert "care: FAILED" in out
        assert "CARE_SECRET_FOR_TEST" in out
        monkeypatch.setenv("CARE_SECRET_FOR_TEST", "x")
        assert main(["source", "check", "news", "--config", str(cfg)]) == 0
    assert main(["source", "run", "nope", "--config", str(cfg)]) == 2
    assert "not configured" in capsys.readouterr().err
    bad = tmp_path / "bad.yaml"
    bad.write_text("sources:\n  connectors:\n    news: {kind: rss, url: 'http://x', every: 5}\n")
    assert main(["source", "list", "--config", str(bad)]) == 2
    assert "sources.connectors.news.rss.every" in capsys.readouterr().err


def test_documented_example_config_parses() -> None:
    from pathlib import Path

    from streams.sources.config import load_sources

    cfg = load_sources(Path(__file__).resolve().parents[2] / "docs/sources/example.yaml")
    kinds = {c.kind for c in cfg.connectors.values()}
    assert kinds == {"rss", "webhook", "meta", "appstore", "reddit", "mastodon", "x", "bluesky"}
    assert cfg.matcher().match("Lumo Prepaid ja Nordbankin kortti") == ["nordbank", "lumoverkko"]
