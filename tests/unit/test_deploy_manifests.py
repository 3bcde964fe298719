"""Compose, Dockerfile and Kubernetes files: parsed and cross-checked (no Docker needed).

Every reference must resolve: mounted files exist, Prometheus scrapes services that
exist on the worker's port, environment variables are real settings, probes hit the
worker's routes, selectors match the pods.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import pytest
import yaml

from streams.settings import Settings, load_deployment

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
K8S = DEPLOY / "k8s"
WEB_PORT = 6066
ALL_INTERFACES = "0.0.0.0"  # noqa: S104 - inside a container, on purpose
SLACK_ENV = {"SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_API_URL"}


def load(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def assert_real_settings(env: dict[str, Any] | list[dict[str, Any]], where: str) -> None:
    names = [e["name"] for e in env] if isinstance(env, list) else list(env)
    fields = set(Settings.model_fields)
    for name in names:
        if name in SLACK_ENV:
            continue
        assert name.startswith("SPIKEWATCH_"), f"{where}: {name}"
        assert name.removeprefix("SPIKEWATCH_").lower() in fields, f"{where}: {name} is no setting"


# -- compose ------------------------------------------------------------------------------------

COMPOSE = load(DEPLOY / "compose.yaml")
SERVICES: dict[str, Any] = COMPOSE["services"]
WORKERS = sorted(n for n in SERVICES if n.startswith("worker"))


def bind_mounts(service: dict[str, Any]) -> list[tuple[str, str]]:
    out = []
    for v in service.get("volumes", []):
        source, target = v.split(":")[:2]
        if source.startswith("."):
            out.append((source, target))
    return out


def test_compose_services_and_images() -> None:
    assert set(SERVICES) == {"kafka", "worker-1", "worker-2", "prometheus", "grafana"}
    assert SERVICES["kafka"]["image"] == "apache/kafka:4.0.0"
    assert SERVICES["prometheus"]["image"].startswith("prom/prometheus:")
    assert SERVICES["grafana"]["image"].startswith("grafana/grafana:")
    for w in WORKERS:
        build = SERVICES[w]["build"]
        assert (DEPLOY / build["context"] / build["dockerfile"]).resolve() == DEPLOY / "Dockerfile"
        assert SERVICES[w]["depends_on"]["kafka"]["condition"] == "service_healthy"


def test_compose_kafka_runs_kraft_on_one_node() -> None:
    env = SERVICES["kafka"]["environment"]
    assert set(env["KAFKA_PROCESS_ROLES"].split(",")) == {"broker", "controller"}
    node = env["KAFKA_NODE_ID"]
    assert env["KAFKA_CONTROLLER_QUORUM_VOTERS"] == f"{node}@kafka:9093"
    assert env["KAFKA_CONTROLLER_LISTENER_NAMES"] in env["KAFKA_LISTENER_SECURITY_PROTOCOL_MAP"]
    assert "PLAINTEXT://kafka:9092" in env["KAFKA_ADVERTISED_LISTENERS"].split(",")
    assert env["KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR"] == 1
    assert len(env["CLUSTER_ID"]) == 22  # a base64 UUID, as kafka-storage random-uuid prints
    assert "healthcheck" in SERVICES["kafka"]


@pytest.mark.parametrize("name", WORKERS)
def test_compose_worker_environment_is_real_settings(name: str) -> None:
    env = SERVICES[name]["environment"]
    assert_real_settings(env, name)
    assert env["SPIKEWATCH_KAFKA_BOOTSTRAP_SERVERS"] == "kafka:9092"
    assert env["SPIKEWATCH_WEB_HOST"] == ALL_INTERFACES
    assert int(env["SPIKEWATCH_WEB_PORT"]) == WEB_PORT
    mounts = {target: source for source, target in bind_mounts(SERVICES[name])}
    assert env["SPIKEWATCH_CONFIG"] in mounts


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_compose_bind_mounts_exist(name: str) -> None:
    for source, _ in bind_mounts(SERVICES[name]):
        assert (DEPLOY / source).exists(), f"{name}: {source}"


def test_compose_named_volumes_are_declared() -> None:
    for name, svc in SERVICES.items():
        for v in svc.get("volumes", []):
            source = v.split(":")[0]
            if not source.startswith((".", "/")):
                assert source in COMPOSE["volumes"], f"{name}: {source}"


def test_prometheus_scrapes_the_compose_workers_and_finds_its_rules() -> None:
    prom = load(DEPLOY / "prometheus" / "prometheus.yml")
    (job,) = [j for j in prom["scrape_configs"] if j["job_name"] == "spikewatch"]
    targets = [t for sc in job["static_configs"] for t in sc["targets"]]
    assert sorted(t.split(":")[0] for t in targets) == WORKERS
    assert {int(t.split(":")[1]) for t in targets} == {WEB_PORT}
    mounts = {target: source for source, target in bind_mounts(SERVICES["prometheus"])}
    assert mounts["/etc/prometheus/prometheus.yml"] == "./prometheus/prometheus.yml"
    for pattern in prom["rule_files"]:
        folder = pattern.rsplit("/", 1)[0]
        assert mounts[f"/etc/prometheus/{folder}"] == f"./prometheus/{folder}"
        assert list((DEPLOY / "prometheus").glob(pattern))


def test_grafana_gets_its_provisioning() -> None:
    mounts = {target: source for source, target in bind_mounts(SERVICES["grafana"])}
    assert mounts["/etc/grafana/provisioning/datasources"] == "./grafana/provisioning/datasources"
    assert mounts["/etc/grafana/provisioning/dashboards"] == "./grafana/provisioning/dashboards"
    home = SERVICES["grafana"]["environment"]["GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH"]
    folder, _, file = home.rpartition("/")
    assert (DEPLOY / mounts[folder] / file).exists()


def test_settings_file_is_a_valid_deployment() -> None:
    dep = load_deployment(K8S / "settings.yaml")
    assert dep.brands
    assert dep.sources


# -- Dockerfile ---------------------------------------------------------------------------------


def dockerfile() -> list[tuple[str, str]]:
    text = (DEPLOY / "Dockerfile").read_text(encoding="utf-8").replace("\\\n", " ")
    lines = [
        ln.strip() for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")
    ]
    return [(ln.split(None, 1)[0].upper(), ln.split(None, 1)[1]) for ln in lines]


def test_dockerfile_builds_the_package_and_runs_the_worker() -> None:
    steps = dockerfile()
    assert steps[0] == ("FROM", "python:3.11-slim")
    runs = " ".join(arg for op, arg in steps if op == "RUN")
    assert re.search(r"\bpip install -c constraints\.txt \.(\s|$)", runs)
    for op, arg in steps:
        if op == "COPY":
            *sources, _ = shlex.split(arg)
            for s in sources:
                assert (ROOT / s).exists(), s
    ops = dict(steps)
    assert ops["ENTRYPOINT"] == '["spikewatch"]'
    assert ops["CMD"] == '["worker"]'
    assert ops["EXPOSE"] == str(WEB_PORT)
    assert ops["USER"] not in {"root", "0"}


def test_dockerfile_copies_every_package_listed_in_pyproject() -> None:
    import tomllib

    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    top = {p.split(".")[0] for p in pyproject["tool"]["setuptools"]["packages"]["find"]["include"]}
    copied = {shlex.split(arg)[0] for op, arg in dockerfile() if op == "COPY"}
    assert top <= copied
    assert pyproject["project"]["readme"] in " ".join(copied | {"README.md"})


# -- Kubernetes ---------------------------------------------------------------------------------

KUSTOMIZATION = load(K8S / "kustomization.yaml")
DOCS = [
    doc
    for res in KUSTOMIZATION["resources"]
    for doc in yaml.safe_load_all((K8S / res).read_text(encoding="utf-8"))
    if doc
]
BY_KIND = {d["kind"]: d for d in DOCS}
DEPLOYMENT = BY_KIND["Deployment"]
POD = DEPLOYMENT["spec"]["template"]
(CONTAINER,) = POD["spec"]["containers"]
CONTAINER_ENV = {e["name"]: e.get("value") for e in CONTAINER["env"]}


def matches(selector: dict[str, str], labels: dict[str, str]) -> bool:
    return all(labels.get(k) == v for k, v in selector.items())


def test_kustomization_files_exist_and_kinds_are_complete() -> None:
    for res in KUSTOMIZATION["resources"]:
        assert (K8S / res).exists(), res
    for gen in KUSTOMIZATION["configMapGenerator"]:
        for f in gen["files"]:
            assert (K8S / f).exists(), f
    assert {
        "Namespace",
        "Deployment",
        "Service",
        "Secret",
        "PodDisruptionBudget",
        "PodMonitor",
    } <= set(BY_KIND)
    for doc in DOCS:
        assert doc["apiVersion"]
        assert doc["metadata"]["name"]


def test_deployment_selects_its_pods_and_is_scaled_within_the_partitions() -> None:
    spec = DEPLOYMENT["spec"]
    assert matches(spec["selector"]["matchLabels"], POD["metadata"]["labels"])
    assert 1 <= spec["replicas"] <= int(CONTAINER_ENV["SPIKEWATCH_PARTITIONS"])
    assert CONTAINER["args"] == ["worker"]


def test_worker_environment_is_real_settings() -> None:
    assert_real_settings(CONTAINER["env"], "deployment")
    assert CONTAINER_ENV["SPIKEWATCH_WEB_HOST"] == ALL_INTERFACES
    assert int(CONTAINER_ENV["SPIKEWATCH_WEB_PORT"]) == WEB_PORT


def test_probes_hit_healthz_and_metrics_on_the_web_port() -> None:
    ports = {p["name"]: p["containerPort"] for p in CONTAINER["ports"]}
    assert ports == {"http": WEB_PORT}
    paths = set()
    for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
        get = CONTAINER[probe]["httpGet"]
        assert get["port"] in ports
        paths.add(get["path"])
    assert paths == {"/healthz", "/metrics"}
    assert CONTAINER["readinessProbe"]["httpGet"]["path"] == "/healthz"


def test_resources_are_set() -> None:
    res = CONTAINER["resources"]
    assert res["requests"]["cpu"]
    assert res["requests"]["memory"]
    assert res["limits"]["memory"]


def test_settings_configmap_is_mounted_where_spikewatch_config_points() -> None:
    (gen,) = KUSTOMIZATION["configMapGenerator"]
    volumes = {v["name"]: v for v in POD["spec"]["volumes"]}
    mounts = {m["mountPath"]: m["name"] for m in CONTAINER["volumeMounts"]}
    folder, _, file = CONTAINER_ENV["SPIKEWATCH_CONFIG"].rpartition("/")
    assert volumes[mounts[folder]]["configMap"]["name"] == gen["name"]
    assert file in gen["files"]


def test_secret_holds_the_slack_placeholders_the_pod_reads() -> None:
    secret = BY_KIND["Secret"]
    assert {"SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET"} <= set(secret["stringData"])
    assert all("REPLACE-ME" in v for v in secret["stringData"].values())
    refs = [e["secretRef"]["name"] for e in CONTAINER["envFrom"]]
    assert secret["metadata"]["name"] in refs


def test_service_and_monitoring_reach_the_pods() -> None:
    labels = POD["metadata"]["labels"]
    svc = BY_KIND["Service"]["spec"]
    assert matches(svc["selector"], labels)
    assert svc["ports"][0]["targetPort"] == "http"
    pdb = BY_KIND["PodDisruptionBudget"]["spec"]
    assert matches(pdb["selector"]["matchLabels"], labels)
    pm = BY_KIND["PodMonitor"]["spec"]
    assert matches(pm["selector"]["matchLabels"], labels)
    (endpoint,) = pm["podMetricsEndpoints"]
    assert (endpoint["port"], endpoint["path"]) == ("http", "/metrics")
    assert {"targetLabel": "job", "replacement": "spikewatch"} in endpoint["relabelings"]
    ann = POD["metadata"]["annotations"]
    assert (ann["prometheus.io/scrape"], ann["prometheus.io/port"]) == ("true", str(WEB_PORT))
