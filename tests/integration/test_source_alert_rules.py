"""The "mentions stopped arriving" Prometheus rules, unit-tested with promtool."""

from __future__ import annotations

from tests import promtools


def test_source_alert_rules() -> None:
    promtools.require_binaries("promtool")
    out = promtools.promtool("check", "rules", "deploy/prometheus/rules/alerts.yml")
    assert out.returncode == 0, out.stdout + out.stderr
    out = promtools.promtool("test", "rules", "deploy/prometheus/tests/sources_test.yml")
    assert out.returncode == 0, out.stdout + out.stderr
