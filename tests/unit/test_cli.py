"""The command-line contract of DESIGN.md: backtest, score-series, sentiment, templates check."""

from __future__ import annotations

import csv
import io
import json
from importlib import resources
from pathlib import Path

import pytest

from streams.cli import main


def test_templates_check_passes_on_the_shipped_library(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["templates", "check"]) == 0
    assert "OK" in capsys.readouterr().out


def test_backtest_prints_one_json_incident_per_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    demo = resources.files("streams").joinpath("data/demo_nordbank_outage.ndjson").read_text()
    lines = demo.splitlines()
    src = tmp_path / "m.ndjson"
    # unsorted input and a bad line must not matter
    src.write_text("\n".join(reversed(lines)) + "\n{not json\n")
    assert main(["backtest", str(src)]) == 0
    rows = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert rows, "the outage opens at least one incident"
    for r in rows:
        assert set(r) >= {"brand", "kind", "opened_at", "severity", "resolved_at", "why"}
        assert r["brand"] == "nordbank"
        assert r["opened_at"].endswith("Z")
    assert {r["kind"] for r in rows} & {"volume_surge", "negative_burst"}


def test_score_series_writes_scores_in_unit_range(tmp_path: Path) -> None:
    src = tmp_path / "s.csv"
    with src.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["timestamp", "value"])
        for i in range(600):
            day, rem = divmod(i * 5, 1440)
            value = 500 if 500 <= i < 510 else 20 + (i % 7)
            w.writerow([f"2015-03-{day + 1:02d} {rem // 60:02d}:{rem % 60:02d}:00", value])
    out = tmp_path / "o.csv"
    assert main(["score-series", str(src), "--out", str(out)]) == 0
    scored = list(csv.DictReader(out.open()))
    assert len(scored) == 600
    scores = [float(r["anomaly_score"]) for r in scored]
    assert all(0.0 <= s <= 1.0 for s in scores)
    assert max(scores[500:510]) > max(scores[300:490])


def test_sentiment_reads_stdin(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(
        "sys.stdin",
        io.StringIO("Verkkopankki ei toimi taas, todella huonoa\nThanks, great help!\n"),
    )
    assert main(["sentiment", "--lang", "auto"]) == 0
    out = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert [o["lang"] for o in out] == ["fi", "en"]
    assert [o["label"] for o in out] == ["negative", "positive"]
    assert all(-1.0 <= o["score"] <= 1.0 for o in out)


def test_simulate_takes_its_options_and_its_help(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as ex:
        main(["simulate", "--help"])
    assert ex.value.code == 0
    assert "--labels" in capsys.readouterr().out
    out, labels = tmp_path / "sim.ndjson", tmp_path / "sim.json"
    args = ["simulate", "--days", "0.1", "--seed", "1", "--out", str(out), "--labels", str(labels)]
    assert main(args) == 0
    assert out.stat().st_size > 0
    assert isinstance(json.loads(labels.read_text()), list | dict)
    with pytest.raises(SystemExit):
        main(["backtest", "x.ndjson", "--no-such-option"])


def test_simulate_without_the_tools_package_says_so(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """An installed wheel has no tools/: simulate says where it lives instead of a traceback."""
    import sys

    for name in ("tools", "tools.simulate_cli"):  # the import fails as if tools/ were not there
        monkeypatch.setitem(sys.modules, name, None)
    assert main(["simulate", "--days", "0.1"]) == 2
    err = capsys.readouterr().err
    assert "not installed with the wheel" in err
    assert "source checkout" in err
    assert "Traceback" not in err


def test_config_check_prints_the_effective_configuration_with_secrets_masked(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import yaml

    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-very-secret-token")
    monkeypatch.setenv("SPIKEWATCH_INGEST_TOKEN", "ingest-secret-value")
    example = Path(__file__).resolve().parents[2] / "deploy" / "config.example.yaml"
    assert main(["config", "check", str(example)]) == 0
    out = capsys.readouterr().out
    assert "very-secret" not in out
    assert "ingest-secret-value" not in out
    eff = yaml.safe_load(out)
    assert eff["environment"]["slack_bot_token"] == "**********"
    assert eff["deployment"]["timezone"] == "Europe/Helsinki"
    assert eff["deployment"]["detectors"]["bucket_seconds"] == 300
    assert eff["deployment"]["backlog"]["service_hours"] == [8, 20]


def test_config_check_fails_with_one_message_naming_the_setting(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "d.yaml"
    bad.write_text("timezone: Mars/Phobos\n")
    assert main(["config", "check", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "timezone: unknown time zone 'Mars/Phobos'" in err
    assert "Traceback" not in err


def test_an_unreachable_broker_is_one_line_within_15_seconds() -> None:
    import socket
    import time

    from streams.cli import broker_unreachable

    with socket.socket() as s:  # a free port nobody listens on: connection refused
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    t0 = time.monotonic()
    msg = broker_unreachable(f"127.0.0.1:{port}")
    assert msg is not None
    assert f"127.0.0.1:{port}" in msg
    assert "\n" not in msg
    # a server that accepts and stays silent (a proxy or a firewall) is not a broker either
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        t0 = time.monotonic()
        msg = broker_unreachable(f"127.0.0.1:{silent.getsockname()[1]}", timeout=2.0)
        assert msg is not None
        assert "no answer within 2 s" in msg
        assert time.monotonic() - t0 < 15


def test_the_worker_stops_at_once_when_the_broker_is_unreachable(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("SPIKEWATCH_KAFKA_BOOTSTRAP_SERVERS", f"127.0.0.1:{port}")
    assert main(["worker"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("spikewatch: cannot reach the Kafka broker")
    assert len(err.splitlines()) == 1
