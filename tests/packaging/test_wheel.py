"""The built wheel, installed alone in a fresh venv, runs the CLI (no repo on sys.path).

Builds the wheel with pip (build isolation: setuptools from PyPI or the pip cache), creates a new
venv, installs the wheel with ``-c constraints.txt`` (the pinned versions CI uses; wheels come from
pip's cache or PyPI), then runs ``spikewatch demo --help``, ``spikewatch templates check`` and a
short backtest of the bundled demo outage from a directory outside the repository
(``spikewatch simulate`` says the simulator is not installed: it is test tooling in ``tools/``).
About a minute on 2 cores with a warm pip cache; also ``make wheel-test``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _run(cmd: list[str], cwd: Path, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SPIKEWATCH_", "PYTHON"))}
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    res = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert res.returncode == 0, f"{' '.join(cmd)} -> {res.returncode}\n{res.stdout}\n{res.stderr}"
    return res


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    res = _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-w", str(out), str(ROOT)], out)
    # The build is quiet: no setuptools warning wall (the issue: 504 lines before).
    assert "warning" not in (res.stdout + res.stderr).lower(), res.stdout + res.stderr
    (whl,) = out.glob("spikewatch-*.whl")
    return whl


def test_wheel_ships_the_packages_and_their_data_but_not_tests(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    tops = {n.split("/")[0] for n in names if not n.startswith("spikewatch-")}
    assert tops == {"detectors", "alerts", "streams"}  # no tools/ (the simulator), no tests/
    assert any(n.startswith("alerts/templates/outage/") and n.endswith(".j2") for n in names)
    assert any(n.startswith("detectors/text/models/") for n in names)
    assert any(n.endswith("dist-info/licenses/LICENSE") for n in names)
    meta = (
        zipfile.ZipFile(wheel)
        .read(next(n for n in names if n.endswith("dist-info/METADATA")))
        .decode()
    )
    assert "License-Expression: Apache-2.0" in meta


def test_wheel_in_a_fresh_venv_runs_the_cli(wheel: Path, tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", str(venv)], tmp_path)
    bin_ = venv / "bin"
    _run(
        [str(bin_ / "pip"), "install", "-q", "-c", str(ROOT / "constraints.txt"), str(wheel)],
        tmp_path,
    )
    work = tmp_path / "work"  # outside the repository: only the installed wheel is importable
    work.mkdir()
    sw = str(bin_ / "spikewatch")
    where = _run([str(bin_ / "python"), "-c", "import streams; print(streams.__file__)"], work)
    assert str(venv) in where.stdout
    assert "--seconds" in _run([sw, "demo", "--help"], work).stdout
    _run([sw, "templates", "check"], work)
    # The simulator is test tooling (tools/), not in the wheel: it says so, and the backtest runs
    # on the demo's outage that ships with the wheel.
    sim = subprocess.run([sw, "simulate", "--demo"], cwd=work, capture_output=True, text=True)
    assert sim.returncode == 2, sim.stdout + sim.stderr
    assert "not installed with the wheel" in sim.stderr
    scenario = _run(
        [
            str(bin_ / "python"),
            "-c",
            "from importlib import resources; from streams.demo import SCENARIO; "
            "print(resources.files('streams').joinpath(SCENARIO))",
        ],
        work,
    ).stdout.strip()
    res = _run([sw, "backtest", scenario], work)
    rows = [json.loads(line) for line in res.stdout.splitlines() if line.strip()]
    assert rows, "the bundled outage opens at least one incident"
    assert {r["brand"] for r in rows} == {"nordbank"}
