"""The house's walls: imports point streams -> alerts -> detectors, and only streams/ knows faust.

``detectors/`` imports nothing of ours and no Kafka, Faust, Slack or HTTP library, and never
reads the clock; ``alerts/`` never imports ``streams``, and only ``alerts/slack_delivery.py`` and
``alerts/interactivity.py`` (signature check) touch slack_sdk.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EDGE_LIBS = {"faust", "mode", "aiokafka", "kafka", "slack_sdk", "aiohttp", "prometheus_client"}
CLOCK_CALLS = {("time", "time"), ("time", "monotonic"), ("datetime", "now"), ("datetime", "utcnow")}


def _modules(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.add(node.module.split(".")[0])
    return out


@pytest.mark.parametrize("path", _modules("detectors"), ids=lambda p: str(p.relative_to(ROOT)))
def test_detectors_are_pure(path: Path) -> None:
    imported = _imports(path)
    assert not imported & (EDGE_LIBS | {"alerts", "streams"}), imported
    calls = {
        (n.func.value.id, n.func.attr)
        for n in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(n, ast.Call)
        and isinstance(n.func, ast.Attribute)
        and isinstance(n.func.value, ast.Name)
    }
    assert not calls & CLOCK_CALLS, f"{path.name} reads the clock"


@pytest.mark.parametrize("path", _modules("alerts"), ids=lambda p: str(p.relative_to(ROOT)))
def test_alerts_never_import_streams_or_faust(path: Path) -> None:
    imported = _imports(path)
    assert "streams" not in imported
    allowed = {"slack_sdk", "prometheus_client"} if path.name == "slack_delivery.py" else set()
    if path.name == "interactivity.py":
        allowed = {"slack_sdk"}
    assert not imported & (EDGE_LIBS - allowed), imported


def test_only_streams_imports_faust() -> None:
    users = {
        p.relative_to(ROOT).parts[0]
        for pkg in ("detectors", "alerts", "streams")
        for p in _modules(pkg)
        if {"faust", "mode"} & _imports(p)
    }
    assert users <= {"streams"}
