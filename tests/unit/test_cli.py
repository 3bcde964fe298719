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
