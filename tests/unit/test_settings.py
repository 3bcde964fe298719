"""Settings: safe defaults, errors that name the setting, secrets hidden."""

from __future__ import annotations

from pathlib import Path

import pytest

from streams.settings import SettingsError, load_deployment, load_settings


def test_defaults_are_local_and_safe(monkeypatch: pytest.MonkeyPatch) -> None:
    for k in ("SPIKEWATCH_KAFKA_BOOTSTRAP_SERVERS", "SPIKEWATCH_WEB_HOST", "SLACK_BOT_TOKEN"):
        monkeypatch.delenv(k, raising=False)
    s = load_settings()
    assert s.kafka_bootstrap_servers is None
    assert s.web_host == "127.0.0.1"
    assert s.slack_bot_token is None


@pytest.mark.parametrize(
    ("env", "value", "named"),
    [
        ("SPIKEWATCH_KAFKA_BOOTSTRAP_SERVERS", "nohost", "SPIKEWATCH_KAFKA_BOOTSTRAP_SERVERS"),
        ("SPIKEWATCH_WEB_PORT", "99999", "SPIKEWATCH_WEB_PORT"),
        ("SPIKEWATCH_PARTITIONS", "zero", "SPIKEWATCH_PARTITIONS"),
        ("SPIKEWATCH_STORE", "redis://x", "SPIKEWATCH_STORE"),
    ],
)
def test_wrong_values_fail_naming_the_setting(
    monkeypatch: pytest.MonkeyPatch, env: str, value: str, named: str
) -> None:
    monkeypatch.setenv(env, value)
    with pytest.raises(SettingsError, match=named):
        load_settings()


def test_secrets_do_not_print(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-very-secret")
    s = load_settings()
    assert s.slack_bot_token is not None
    assert "very-secret" not in repr(s)
    assert "very-secret" not in str(s.model_dump())


def test_deployment_yaml_errors_name_the_key(tmp_path: Path) -> None:
    p = tmp_path / "d.yaml"
    p.write_text("brands: nordbank\n")
    with pytest.raises(SettingsError, match="brands"):
        load_deployment(p)
    p.write_text("detectors: {no_such_knob: 1}\n")
    with pytest.raises(SettingsError, match="no_such_knob"):
        load_deployment(p)
    p.write_text("brands: [Nordbank]\ntimezone: Europe/Helsinki\n")
    assert load_deployment(p).brands == ("nordbank",)


def test_the_example_deployment_file_loads() -> None:
    dep = load_deployment(Path(__file__).resolve().parents[2] / "deploy" / "config.example.yaml")
    assert dep.brands == ("nordbank", "lumoverkko", "skyways")
    assert dep.escalation is not None
    assert dep.escalation.exists()


def test_one_time_zone_setting_reaches_every_section(tmp_path: Path) -> None:
    from alerts.policy import load_policy
    from alerts.status import load_status_config
    from detectors.backlog import BacklogConfig

    p = tmp_path / "d.yaml"
    p.write_text("timezone: Europe/Stockholm\nbacklog: {promise_seconds: 3600}\n")
    dep = load_deployment(p)
    assert dep.timezone == "Europe/Stockholm"
    assert dep.monitor.tz == "Europe/Stockholm"  # the detectors' hour of week
    assert BacklogConfig(**dep.backlog).tz == "Europe/Stockholm"
    assert load_status_config(dep.status).timezone == "Europe/Stockholm"
    assert load_policy(dep.escalation, default_timezone=dep.timezone).timezone == (
        "Europe/Stockholm"
    )
    # a section may still override it
    p.write_text("timezone: Europe/Stockholm\ndetectors: {tz: UTC}\n")
    assert load_deployment(p).monitor.tz == "UTC"
    example = load_deployment(
        Path(__file__).resolve().parents[2] / "deploy" / "config.example.yaml"
    )
    assert example.monitor.tz == "Europe/Helsinki"
    assert load_policy(example.escalation, default_timezone=example.timezone).timezone == (
        "Europe/Helsinki"
    )


@pytest.mark.parametrize(
    ("yaml_text", "named"),
    [
        ("status: {cadence_minutes: {high: -5}}\n", "status"),
        ("status: {nonsense: 1}\n", "nonsense"),
        ("backlog: {promise_seconds: 'soon'}\n", "backlog"),
        ("escalation: missing.yaml\n", "escalation"),
        ("status_webhook_url: ftp://x\n", "status_webhook_url"),
    ],
)
def test_structured_sections_fail_at_start(tmp_path: Path, yaml_text: str, named: str) -> None:
    p = tmp_path / "d.yaml"
    p.write_text(yaml_text)
    with pytest.raises(SettingsError, match=named):
        load_deployment(p)


def test_secrets_can_come_from_files(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / "SLACK_BOT_TOKEN").write_text("xoxb-from-a-file")
    (tmp_path / "SLACK_SIGNING_SECRET").write_text("signing-from-a-file")
    monkeypatch.delenv("SLACK_BOT_TOKEN", raising=False)
    monkeypatch.delenv("SLACK_SIGNING_SECRET", raising=False)
    monkeypatch.setenv("SPIKEWATCH_SECRETS_DIR", str(tmp_path))
    s = load_settings()
    assert s.slack_bot_token is not None
    assert s.slack_bot_token.get_secret_value() == "xoxb-from-a-file"
    assert s.slack_signing_secret is not None
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-env-wins")
    token = load_settings().slack_bot_token
    assert token is not None
    assert token.get_secret_value() == "xoxb-env-wins"
    monkeypatch.setenv("SPIKEWATCH_SECRETS_DIR", str(tmp_path / "missing"))
    with pytest.raises(SettingsError, match="SPIKEWATCH_SECRETS_DIR"):
        load_settings()
