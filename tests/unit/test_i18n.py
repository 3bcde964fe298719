"""The Slack interface text in fi/en/sv: a complete catalogue, and no English in a Finnish team's
channel across a whole incident (the demo outage replayed with the team's clicks)."""

from __future__ import annotations

import re
import string
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from importlib import resources
from typing import Any

import pytest

from alerts import i18n
from alerts.chart import chart_figure
from alerts.dedup import Notification, SentLog
from alerts.engine import read_mentions
from alerts.escalation import plan
from alerts.incidents import Incident
from alerts.notifications import approve, facts_for, published_note
from alerts.policy import load_policy
from alerts.slack_blocks import incident_blocks, summary_text
from alerts.slack_timeline import timeline_text
from alerts.status import Draft, Published, load_status_config
from alerts.status_blocks import (
    ActionRef,
    draft_blocks,
    draft_fallback_text,
    edit_errors,
    edit_modal,
    loading_modal,
    published_blocks,
    reminder_text,
)
from tests.unit.test_demo_clicks import Replay

# Keys whose text is the same word in a language and English (a name, a loan word).
SAME_AS_EN = {
    "fi": {"channel.x"},
    "sv": {"channel.x", "field.status", "modal.label"},
}


def _fields(text: str) -> set[str]:
    return {f for _, f, _, _ in string.Formatter().parse(text) if f}


def test_every_key_in_every_language_with_the_same_placeholders() -> None:
    assert len(i18n.CATALOGUE) > 100
    for key, msg in i18n.CATALOGUE.items():
        assert set(msg._fields) == set(i18n.LANGS)
        for lang in i18n.LANGS:
            text = getattr(msg, lang)
            assert text.strip(), (key, lang)
            assert _fields(text) == _fields(msg.en), (key, lang, text)
            if lang != "en" and key not in SAME_AS_EN[lang]:
                assert text != msg.en, f"{key} in {lang} is still the English text"


def test_the_words_a_finnish_and_swedish_team_use() -> None:
    stages = ("investigating", "identified", "monitoring", "resolved")
    assert [i18n.t(f"stage.{s}", "fi") for s in stages] == [
        "Tutkitaan", "Syy tunnistettu", "Seurataan", "Ratkaistu"]  # fmt: skip
    assert [i18n.t(f"stage.{s}", "sv") for s in stages] == [
        "Undersöks", "Orsak identifierad", "Övervakas", "Löst"]  # fmt: skip
    assert i18n.t("button.fix", "fi") == "Korjaus tehty"
    assert i18n.t("button.fix", "sv") == "Åtgärd införd"


def test_numbers_and_times_follow_the_language() -> None:
    assert i18n.number(2.25, "fi", 2) == "2,25"
    assert i18n.number(2.25, "en", 2) == "2.25"
    ts = datetime(2026, 11, 24, 12, 30, tzinfo=UTC).timestamp()
    assert i18n.local_time(ts, "fi", "Europe/Helsinki") == "24.11.2026 klo 14.30"
    assert i18n.local_time(ts, "sv", "Europe/Stockholm") == "24.11.2026 kl. 13.30"
    assert i18n.local_time(ts, "en", "Europe/Helsinki") == "2026-11-24 14:30 EET"
    assert i18n.t("stage.monitoring", "de") == "monitoring"  # an unknown language: English
    with pytest.raises(KeyError):
        i18n.t("no.such.key", "fi")


# -- no English in a Finnish channel ---------------------------------------------------------

_EMOJI = re.compile(r":[a-z0-9_+-]+:")
_WORD = re.compile(r"[A-Za-z]{4,}")


def english_fragments(lang: str = "fi") -> set[str]:
    """Literal English pieces of every catalogue text that ``lang`` says differently."""
    out: set[str] = set()
    for key, msg in i18n.CATALOGUE.items():
        if key in SAME_AS_EN[lang]:
            continue
        for piece in re.split(r"\{[^}]*\}", msg.en):
            piece = _EMOJI.sub("", piece).strip(" .,;:()*–-→`!?\n")
            if _WORD.search(piece):
                out.add(piece)
    return out


def _texts(obj: Any, out: list[str]) -> None:
    """Every text a person reads in blocks/views (not ids, values or metadata)."""
    if isinstance(obj, dict):
        for k, v in obj.items():
            if k in ("text", "title", "label", "hint", "placeholder") and isinstance(v, str):
                out.append(v)
            elif k not in ("value", "action_id", "block_id", "private_metadata", "callback_id"):
                _texts(v, out)
    elif isinstance(obj, list):
        for v in obj:
            _texts(v, out)


def readable(n: Notification) -> list[str]:
    out = [n.text, n.title]
    _texts(n.blocks, out)
    return out


def _team_text(texts: list[str]) -> str:
    """Drop what is not the interface's: quoted user or public-update text, `code`, links."""
    lines = []
    for t in texts:
        for line in t.splitlines():
            if line.lstrip().startswith((">", "&gt;")):
                continue
            line = re.sub(r"`[^`]*`", "", line)
            line = re.sub(r"<[^>|]*\|([^>]*)>", r"\1", line)  # <url|label>, date tokens
            lines.append(line)
    return "\n".join(lines)


def leaks(texts: list[str], lang: str = "fi") -> list[str]:
    text = _team_text(texts)
    return sorted(
        f
        for f in english_fragments(lang)
        if re.search(r"(?<![\wäöå])" + re.escape(f) + r"(?![\wäöå])", text)
    )


def test_the_leak_check_finds_english() -> None:
    inc = Incident("inc-1", "nordbank", "volume_surge", "login", "open", "high",
                   opened_at=0.0, updated_at=600.0, last_active_at=600.0)  # fmt: skip
    assert "Cause identified" in leaks(readable(_note(incident_blocks(inc, 600.0))))
    assert leaks(readable(_note(incident_blocks(inc, 600.0, lang="fi")))) == []


def _note(blocks: list[dict[str, Any]], text: str = "") -> Notification:
    return Notification("k", "#c", "post", text, blocks, "inc-1", "care")


class FinnishReplay(Replay):
    """The demo outage with the team's clicks, in a channel configured for Finnish.

    Only Finnish public drafts, so the English one cannot be mistaken for interface text.
    Approvals post the published note, with the approver's name when it is known.
    """

    def __init__(self) -> None:
        super().__init__()
        self.policy = replace(load_policy(), language="fi")
        self.status_cfg = load_status_config({"languages": ["fi"]})
        self.published: list[Notification] = []

    def _click(self, inc: Incident, action: str) -> Incident:
        if action != "approve":
            return super()._click(inc, action)
        st = self.st[inc.id]
        pub = approve(
            inc, st, self.status_cfg, lang="fi", channel="status_page", user="U1", now=inc.now
        )
        assert pub is not None
        name = "Aino Virtanen" if len(self.published) % 2 else None
        self.published.append(published_note(inc, self.policy, self.status_cfg, pub, name))
        return inc


@pytest.fixture(scope="module")
def finnish() -> FinnishReplay:
    text = resources.files("streams").joinpath("data/demo_nordbank_outage.ndjson").read_text()
    eng = FinnishReplay()
    for _ in eng.run(read_mentions(text.splitlines(), eng.invalid)):
        pass
    return eng


def test_a_whole_incident_in_finnish_has_no_english(finnish: FinnishReplay) -> None:
    sent = finnish.slack.sent + finnish.published
    kinds = {n.action for n in sent}
    assert {"post", "update", "thread_reply", "chart"} <= kinds, kinds
    texts = [t for n in sent for t in readable(n)]
    blob = "\n".join(texts)
    # the lifecycle really happened, in Finnish
    for word in ("Tutkitaan", "Syy tunnistettu", "Korjaus tehty", "Tiedoteluonnos", "Hyväksy",
                 "julkaisija Aino Virtanen", "julkaisija <@U1>", "Ei ratkaistu"):  # fmt: skip
        assert word in blob, word
    assert leaks(texts) == []


def test_the_chart_in_finnish(finnish: FinnishReplay) -> None:
    inc = next(iter(finnish.incidents.values()))
    fig = chart_figure(inc.history, opened_at=inc.opened_at, title="x", lang="fi")
    words = [t.get_text() for t in fig.findobj(lambda a: hasattr(a, "get_text"))]
    legend = [t.get_text() for ax in fig.axes if ax.get_legend() for t in ax.get_legend().texts]
    assert "toteutunut" in legend
    assert "odotettu" in legend
    assert any(w.startswith("aika (") for w in words)
    assert leaks(words + legend) == []


def _every_entry() -> list[dict[str, Any]]:
    ts = 1_764_000_000.0
    return [
        {"type": "severity_changed", "old": "medium", "new": "high", "ts": ts},
        {"type": "acknowledged", "by": "U1", "ts": ts},
        {"type": "snoozed", "by": "U1", "minutes": 60, "ts": ts},
        {"type": "unsnoozed", "ts": ts},
        {"type": "reopened", "severity": "high", "ts": ts},
        {
            "type": "evidence_updated",
            "backlog": "inflow 90/h",
            "count": 900,
            "clears": 9000.0,
            "ts": ts,
        },
        {"type": "evidence_updated", "backlog": "inflow 90/h", "count": 900, "ts": ts},
        {
            "type": "stage_changed",
            "old": "identified",
            "new": "monitoring",
            "by": "quiet_period",
            "ask": "resolve",
            "ts": ts,
        },
        {
            "type": "stage_changed",
            "old": "identified",
            "new": "monitoring",
            "by": "quiet_period",
            "held": "the reply backlog (900) clears in 2 h 30 min",
            "ts": ts,
        },
        {
            "type": "stage_changed",
            "old": "monitoring",
            "new": "investigating",
            "by": "evidence",
            "ts": ts,
        },
        {
            "type": "stage_changed",
            "old": "investigating",
            "new": "identified",
            "by": "U1",
            "ts": ts,
        },
        {"type": "resolve_suggested", "quiet": 1800, "ts": ts},
        {"type": "resolve_refused", "reason": "the reply backlog is large", "ts": ts},
        {"type": "news_changed", "ts": ts},
        {"type": "resolved", "by": "U1", "ts": ts},
        {"type": "resolved", "by": "quiet_period", "ts": ts},
        {"type": "resolved", "by": "expired", "ts": ts},
    ]


@pytest.mark.parametrize("lang", ["fi", "sv"])
def test_every_reply_message_and_modal_in_the_language(lang: str) -> None:
    entries = [timeline_text(e, lang, "Europe/Helsinki") for e in _every_entry()]
    assert all(entries)
    texts: list[str] = [e for e in entries if e]
    backlog = {"message": "inflow 90/h, answered 10/h, backlog 900", "inflow_per_hour": 90,
               "answered_per_hour": 10, "backlog": 900, "clears_in_seconds": 9000,
               "overdue": 40, "promise_seconds": 3600, "reason": "promise"}  # fmt: skip
    base = Incident("inc-1", "nordbank", "volume_surge", "outage", "open", "high",
                    opened_at=0.0, updated_at=600.0, last_active_at=600.0,
                    evidence={"observed": 40, "expected": 5.5, "ratio": 7.27,
                              "negative_share": 0.6, "baseline_share": 0.1,
                              "topics": {"outage": 9, "login": 3}, "backlog": backlog,
                              "top_terms": [{"term": "vika", "ratio": 4.5}]})  # fmt: skip
    for status, extra in (("open", {}), ("acknowledged", {"acknowledged_by": "U1"}),
                          ("snoozed", {"snoozed_until": 4000.0}),
                          ("resolved", {"resolved_by": "U1"}), ("resolved", {})):  # fmt: skip
        inc = replace(base, status=status, **extra)
        texts.append(summary_text(inc, 600.0, lang))
        _texts(incident_blocks(inc, 600.0, lang=lang, tz="Europe/Helsinki"), texts)
    _texts(incident_blocks(replace(base, news="fyi"), 600.0, lang=lang), texts)
    policy = replace(load_policy(), language=lang)
    sent = SentLog()
    for now in (400.0, 2400.0, 40000.0):  # first post, the comms lead, the crisis room
        for n in plan(base, policy, now, sent):
            texts.extend(readable(n))
    cfg = load_status_config({})
    t0 = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
    d = Draft("inc-1", "fi", "status_page", "identified", "Teksti " * 400, "outage/identified.fi",
              "abc", t0 + timedelta(minutes=30))  # fmt: skip
    x = replace(d, channel="x", lang="en")
    _texts(draft_blocks([d, x], lang=lang), texts)
    _texts(draft_blocks([], lang=lang), texts)
    texts += [draft_fallback_text([d], lang), draft_fallback_text([], lang)]
    p = Published.from_draft(d, approved_by="U1", published_at=t0, text=d.text + "!")
    _texts(published_blocks(p, cfg, lang=lang), texts)
    _texts(published_blocks(p, cfg, lang=lang, name="Aino"), texts)
    _texts([edit_modal(d, limit=1500, lang=lang), edit_modal(x, limit=280, lang=lang)], texts)
    _texts([loading_modal(ActionRef.of(d), lang)], texts)
    texts += list(edit_errors("", "x", cfg, lang).values())
    texts += list(edit_errors("y" * 400, "x", cfg, lang).values())
    for minutes in (5, 0, -12):
        facts = facts_for(base, "investigating", t0.timestamp())
        texts.append(reminder_text(facts, t0 + timedelta(minutes=minutes), cfg, lang))
    assert len(texts) > 100
    assert leaks(texts, lang) == []


def test_the_deployment_sets_the_language_per_channel(tmp_path: Any) -> None:
    from pathlib import Path

    from streams.settings import SettingsError, load_deployment

    root = Path(__file__).resolve().parents[2]
    example = load_deployment(root / "deploy" / "config.example.yaml")
    assert example.slack_language == "fi"
    assert load_deployment(root / "deploy" / "k8s" / "settings.yaml").slack_language == "fi"
    assert load_deployment(None).slack_language == "en"
    cfg = tmp_path / "c.yaml"
    cfg.write_text('slack: {language: fi, channels: {"#crisis-room": {language: sv}}}\n')
    dep = load_deployment(cfg)
    policy = load_policy(language=dep.slack_language, channel_languages=dep.slack_channel_languages)
    assert policy.language_for("#somecare-alerts") == "fi"
    assert policy.language_for("#crisis-room") == "sv"
    assert policy.language_for("crisis-room") == "sv"
    for bad in ("slack: {language: de}", "slack: {languages: fi}",
                'slack: {channels: {"#x": {}}}'):  # fmt: skip
        cfg.write_text(bad + "\n")
        with pytest.raises(SettingsError, match="slack"):
            load_deployment(cfg)


def test_texts_fit_slacks_limits_in_every_language() -> None:
    for key, msg in i18n.CATALOGUE.items():
        for text in msg:
            if key in ("modal.title", "modal.submit", "button.cancel"):
                assert len(text) <= 24, (key, text)  # a modal's title/submit/close
            if key.startswith("button."):
                assert len(text.format(hours=1)) <= 75, (key, text)  # button text
            if key == "confirm.resolve_title":
                assert len(text) <= 100, (key, text)  # a confirm dialog's title
            if key == "confirm.resolve_text":
                assert len(text) <= 300, (key, text)  # ... and its text
