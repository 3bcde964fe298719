"""Every command line in the README's ```bash blocks is run here (or named with why not).

``COMMANDS`` maps each README line (comments stripped) to what this test runs for it: the line
itself in a scratch directory holding the files it names, a shorter form of it, ``--help`` for
what needs a broker or takes minutes, or ``make -n`` for make targets (they install and start
things; ``.ci/run`` runs them for real). A README line missing from ``COMMANDS`` fails the test,
and so does an entry no longer in the README: the two cannot drift apart.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from importlib import resources
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"

# README line -> (what to run instead, or None for the line itself; why, when it differs)
COMMANDS: dict[str, tuple[str | None, str]] = {
    "make demo": (
        "make -n demo",
        "starts a broker and a worker: tests/e2e runs the demo",
    ),
    "make test": ("make -n test", "the whole suite: .ci/run runs it"),
    "spikewatch worker [--config deploy.yaml]": (
        "spikewatch worker --help",
        "a worker needs the broker: tests/integration runs it",
    ),
    "spikewatch ingest mentions.ndjson --speed 60": (
        "spikewatch ingest --help",
        "needs the broker: tests/integration runs ingest",
    ),
    "spikewatch backtest mentions.ndjson": (None, ""),
    "spikewatch score-series series.csv --out s.csv": (None, ""),
    'echo "Verkkopankki ei toimi taas" | spikewatch sentiment --lang auto': (None, ""),
    "spikewatch simulate --days 14 --seed 1 --out sim.ndjson --labels sim.json": (
        "spikewatch simulate --days 0.2 --seed 1 --out sim.ndjson --labels sim.json",
        "14 days take ~50 s and 190 MB: the same options on a fifth of a day",
    ),
    "spikewatch templates check": (None, ""),
    "spikewatch config check deploy/config.example.yaml": (None, ""),
    "spikewatch broker start|stop|status": (
        "spikewatch broker --help",
        "starts Kafka (Java): tests/integration runs the broker",
    ),
}


def readme_commands() -> list[str]:
    """The command lines of the README's bash/sh/console fenced blocks, comments stripped."""
    out: list[str] = []
    fence = False
    lang = ""
    for line in README.read_text(encoding="utf-8").splitlines():
        m = re.match(r"^\s*```(\w*)", line)
        if m:
            fence, lang = (not fence), m.group(1)
            continue
        if fence and lang in {"bash", "sh", "shell", "console"}:
            cmd = line.split("  #")[0].split(" # ")[0].strip()
            if cmd and not cmd.startswith("#"):
                out.append(cmd.removeprefix("$ "))
    return out


def test_every_readme_command_is_listed_here_and_every_listed_one_is_in_the_readme() -> None:
    found = readme_commands()
    assert found, "the README has command blocks"
    missing = [c for c in found if c not in COMMANDS]
    assert not missing, f"README commands unknown here (add them to COMMANDS): {missing}"
    stale = [c for c in COMMANDS if c not in found]
    assert not stale, f"COMMANDS entries no longer in the README: {stale}"


@pytest.fixture
def scratch(tmp_path: Path) -> Path:
    """A directory holding the files the README's commands name."""
    demo = resources.files("streams").joinpath("data/demo_nordbank_outage.ndjson").read_text()
    (tmp_path / "mentions.ndjson").write_text(demo)
    rows = ["timestamp,value"] + [
        f"2026-03-02 {h:02d}:{m:02d}:00,{10 + (50 if h == 20 else 0)}"
        for h in range(24)
        for m in range(0, 60, 5)
    ]
    (tmp_path / "series.csv").write_text("\n".join(rows) + "\n")
    (tmp_path / "deploy").mkdir()
    shutil.copy(ROOT / "deploy" / "config.example.yaml", tmp_path / "deploy")
    (tmp_path / "alerts" / "data").mkdir(parents=True)
    shutil.copy(ROOT / "alerts" / "data" / "escalation.yaml", tmp_path / "alerts" / "data")
    return tmp_path


@pytest.mark.parametrize("readme_line", sorted(COMMANDS))
def test_readme_command_runs(readme_line: str, scratch: Path) -> None:
    if readme_line not in readme_commands():
        pytest.fail(f"{readme_line!r} is no longer in the README: drop it from COMMANDS")
    instead, _why = COMMANDS[readme_line]
    cmd = instead or readme_line
    if cmd.startswith("make ") and shutil.which("make") is None:
        pytest.skip("make is not installed")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SPIKEWATCH_", "SLACK_"))}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    res = subprocess.run(
        ["bash", "-o", "pipefail", "-c", cmd],
        cwd=ROOT if cmd.startswith("make ") else scratch,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert res.returncode == 0, f"{cmd}\n{res.stdout[-2000:]}\n{res.stderr[-2000:]}"
    if "backtest" in cmd or "sentiment" in cmd:
        assert res.stdout.strip(), "prints one JSON line per result"
    if "score-series" in cmd:
        assert (scratch / "s.csv").read_text().startswith("timestamp,value,anomaly_score")
    if "simulate" in cmd and "--help" not in cmd:
        assert (scratch / "sim.ndjson").stat().st_size > 0
        assert (scratch / "sim.json").stat().st_size > 0
