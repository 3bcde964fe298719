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


# -- one typed configuration (streams/config.py) -------------------------------------------------


@pytest.mark.parametrize(
    ("yaml_text", "named", "allowed"),
    [
        ("colour: red\n", "colour: unknown setting", "allowed: backlog, brands"),
        ("timezone: Mars/Phobos\n", "timezone", "IANA name"),
        ("detectors: {volume_threshold: high}\n", "detectors.volume_threshold", "'high'"),
        ("detectors: {volume_threshold: 2.0}\n", "detectors", "(0, 1]"),
        ("backlog: {promise_seconds: soon}\n", "backlog.promise_seconds", "'soon'"),
        ("backlog: {no_such: 1}\n", "backlog.no_such: unknown setting", "promise_seconds"),
        ("status: {no_such: 1}\n", "status.no_such: unknown setting", "cadence_minutes"),
        ("detectors: {tz: Mars/Phobos}\n", "detectors.tz", "IANA name"),
        ("status_webhook_url: not a url\n", "status_webhook_url", "http"),
        ("brands: []\n", "brands", "at least 1"),
    ],
)
def test_every_yaml_mistake_names_the_key_the_value_and_what_is_allowed(
    tmp_path: Path, yaml_text: str, named: str, allowed: str
) -> None:
    p = tmp_path / "d.yaml"
    p.write_text(yaml_text)
    with pytest.raises(SettingsError) as err:
        load_deployment(p)
    assert named in str(err.value)
    assert allowed in str(err.value)
    assert "Traceback" not in str(err.value)


def test_the_top_level_timezone_is_every_sections_unless_one_sets_its_own(
    tmp_path: Path,
) -> None:
    p = tmp_path / "d.yaml"
    p.write_text("timezone: Asia/Tokyo\nbacklog: {service_hours: [8, 20]}\n")
    dep = load_deployment(p)
    assert dep.monitor.tz == dep.backlog["tz"] == dep.status["timezone"] == "Asia/Tokyo"
    assert dep.backlog["service_hours"] == (8, 20)
    p.write_text("timezone: UTC\ndetectors: {tz: Europe/Oslo}\nstatus: {timezone: Europe/Riga}\n")
    dep = load_deployment(p)
    assert (dep.monitor.tz, dep.backlog["tz"], dep.status["timezone"]) == (
        "Europe/Oslo",
        "UTC",
        "Europe/Riga",
    )


def test_no_yaml_means_the_same_defaults_as_an_empty_yaml(tmp_path: Path) -> None:
    p = tmp_path / "d.yaml"
    p.write_text("{}\n")
    a, b = load_deployment(None), load_deployment(p)
    assert (a.brands, a.sources, a.timezone, a.monitor, a.backlog, a.status) == (
        b.brands,
        b.sources,
        b.timezone,
        b.monitor,
        b.backlog,
        b.status,
    )


@pytest.mark.parametrize(
    ("env", "value", "message"),
    [
        ("SLACK_API_URL", "not a url", "SLACK_API_URL: expected an http(s) URL"),
        ("SPIKEWATCH_PARTITONS", "3", "did you mean SPIKEWATCH_PARTITIONS?"),
        ("SPIKEWATCH_WEB_PORT", "http", "SPIKEWATCH_WEB_PORT"),
        ("SPIKEWATCH_LOG_FORMAT", "xml", "'text' or 'json'"),
    ],
)
def test_environment_mistakes_fail_at_start(
    monkeypatch: pytest.MonkeyPatch, env: str, value: str, message: str
) -> None:
    monkeypatch.setenv(env, value)
    with pytest.raises(SettingsError) as err:
        load_settings()
    assert message in str(err.value)
    assert value in str(err.value) or env in str(err.value)


def test_every_variable_the_code_reads_is_known() -> None:
    import re

    from streams.config import env_names
    from streams.settings import Settings

    root = Path(__file__).resolve().parents[2]
    used: set[str] = set()
    for folder in ("streams", "detectors", "alerts", "deploy"):
        for f in (root / folder).rglob("*"):
            if f.suffix in {".py", ".sh", ".yaml"} and f.is_file():
                used |= set(re.findall(r"\bSPIKEWATCH_[A-Z][A-Z_]*[A-Z]\b", f.read_text()))
    used.discard("SPIKEWATCH_ESCALATION_POLICY")  # a stale comment in alerts/data/escalation.yaml
    assert used - set(env_names(Settings)) == set()


def test_readme_config_tables_are_generated_from_the_models() -> None:
    from streams.config_docs import README_END, README_START, readme_tables

    text = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    start, end = text.index(README_START), text.index(README_END) + len(README_END)
    assert text[start:end] == readme_tables(), "README drifted from streams/config.py: make docs"


def test_sources_may_be_the_mapping_of_the_source_connectors(tmp_path: Path) -> None:
    p = tmp_path / "d.yaml"
    p.write_text("sources: {labels: [X, web], connectors: {}}\n")
    assert load_deployment(p).sources == ("x", "web")
    p.write_text("sources: []\n")
    with pytest.raises(SettingsError, match="sources: expected at least one source name"):
        load_deployment(p)


def test_a_misspelt_connector_key_stops_the_worker_at_start(tmp_path: Path) -> None:
    p = tmp_path / "deploy.yaml"
    p.write_text(
        "sources:\n  connectors:\n    news:\n      kind: rss\n      urll: http://127.0.0.1:1/f\n"
    )
    with pytest.raises(SettingsError, match="urll"):
        load_deployment(p)
