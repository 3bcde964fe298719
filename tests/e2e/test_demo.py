"""The README's main job, end to end: ``spikewatch demo`` on the real broker.

Without a Slack token the demo prints what would be posted: the alert, the
incident and the draft status update in Finnish and English, and the figures
from the worker's /metrics.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.harness import free_port

pytestmark = pytest.mark.integration


def test_demo_shows_alert_incident_and_finnish_draft(bootstrap: str, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SPIKEWATCH_", "SLACK_"))}
    env.update(
        SPIKEWATCH_KAFKA_BOOTSTRAP_SERVERS=bootstrap,
        SPIKEWATCH_WEB_PORT=str(free_port()),
        PYTHONUNBUFFERED="1",
    )
    proc = subprocess.run(
        [sys.executable, "-m", "streams.cli", "demo", "--seconds", "20"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=240,
    )
    out = proc.stdout
    assert proc.returncode == 0, out[-3000:] + proc.stderr[-3000:]
    assert "--- post -> #somecare-alerts" in out  # the alert
    assert "Volume surge – nordbank" in out  # the incident
    assert "Seuraava tiedote klo" in out  # the Finnish draft with the next update time
    assert "Next update at" in out  # and the English one
    assert "[Approve] [Edit]" in out
    summary = out[out.index("replay done") :]
    assert "mentions_consumed_total: 3200" in summary
    assert "volume_surge 1" in summary
