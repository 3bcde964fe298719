"""Grafana dashboards and provisioning: valid JSON model, variables, real metric names."""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml
from prometheus_client import CollectorRegistry

from streams.metrics import Metrics
from tests import promtools

ROOT = Path(__file__).resolve().parents[2]
GRAFANA = ROOT / "deploy" / "grafana"
DS = {"type": "prometheus", "uid": "${datasource}"}
DASHBOARDS = promtools.dashboards()


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("grafana_dashboards", GRAFANA / "dashboards.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def panels(dash: dict[str, Any]) -> list[dict[str, Any]]:
    return [p for p in dash["panels"] if p["type"] != "row"]


def exposed_names() -> set[str]:
    """Every sample name a worker exposes (``_total``, ``_bucket``, ``process_*``...)."""
    reg = CollectorRegistry()
    Metrics(reg, brands=["nordbank"])
    families = list(reg.collect())
    gauges = {f.name for f in families if f.type == "gauge"}  # some have no series before use
    return gauges | {s.name for f in families for s in f.samples}


def recorded_names() -> set[str]:
    names = set()
    for path in promtools.RULE_FILES:
        for group in yaml.safe_load(path.read_text(encoding="utf-8"))["groups"]:
            names |= {r["record"] for r in group["rules"] if "record" in r}
    return names


def referenced_names(expr: str) -> set[str]:
    """Metric names in a PromQL expression: ours, recording rules, up, process_*."""
    expr = re.sub(r'"[^"]*"', '""', expr)  # label values are not names
    return set(re.findall(r"\b(?:[a-z_]+:)?spikewatch[a-z0-9_:]*|\bup\b|\bprocess_[a-z_]+", expr))


def all_exprs() -> list[tuple[str, str, str]]:
    return promtools.dashboard_queries()


# -- the files ------------------------------------------------------------------------------------


def test_four_dashboards_are_committed_and_up_to_date() -> None:
    gen = _generator()
    assert set(DASHBOARDS) == set(gen.DASHBOARDS)
    for name in gen.DASHBOARDS:
        text = (GRAFANA / "dashboards" / name).read_text(encoding="utf-8")
        assert text == gen.render(name), f"{name} is stale: run python deploy/grafana/dashboards.py"


@pytest.mark.parametrize("name", sorted(DASHBOARDS))
def test_dashboard_model(name: str) -> None:
    dash = DASHBOARDS[name]
    assert dash["schemaVersion"] >= 36  # what grafana-foundation-sdk writes; Grafana migrates up
    assert dash["id"] is None  # provisioned: Grafana assigns the id
    assert dash["uid"].startswith("spikewatch-")
    assert len(dash["uid"]) <= 40
    assert dash["title"].startswith("spikewatch / ")
    assert "spikewatch" in dash["tags"]
    assert panels(dash)


def test_uids_and_titles_are_unique() -> None:
    assert len({d["uid"] for d in DASHBOARDS.values()}) == len(DASHBOARDS)
    assert len({d["title"] for d in DASHBOARDS.values()}) == len(DASHBOARDS)


@pytest.mark.parametrize("name", sorted(DASHBOARDS))
def test_variables(name: str) -> None:
    variables = {v["name"]: v for v in DASHBOARDS[name]["templating"]["list"]}
    ds = variables["datasource"]
    assert (ds["type"], ds["query"]) == ("datasource", "prometheus")
    brand = variables["brand"]
    assert brand["type"] == "query"
    assert brand["datasource"] == DS
    assert brand["query"]["query"].startswith("label_values(spikewatch_")
    assert brand["multi"] is True
    assert brand["includeAll"] is True
    assert brand["allValue"] == ".*"


@pytest.mark.parametrize("name", sorted(DASHBOARDS))
def test_panel_ids_are_unique_and_the_grid_does_not_overlap(name: str) -> None:
    ps = DASHBOARDS[name]["panels"]
    ids = [p["id"] for p in ps]
    assert len(set(ids)) == len(ids)
    assert all(isinstance(i, int) and i > 0 for i in ids)
    cells: set[tuple[int, int]] = set()
    for p in ps:
        g = p["gridPos"]
        assert g["x"] >= 0
        assert g["w"] > 0
        assert g["h"] > 0
        assert g["x"] + g["w"] <= 24
        mine = {
            (x, y) for x in range(g["x"], g["x"] + g["w"]) for y in range(g["y"], g["y"] + g["h"])
        }
        assert not cells & mine, f"panel {p['title']!r} overlaps another"
        cells |= mine


@pytest.mark.parametrize("name", sorted(DASHBOARDS))
def test_every_panel_and_query_uses_the_datasource_variable(name: str) -> None:
    for p in panels(DASHBOARDS[name]):
        assert p["datasource"] == DS, p["title"]
        assert p["targets"], p["title"]
        refs = [t["refId"] for t in p["targets"]]
        assert len(set(refs)) == len(refs), p["title"]
        for t in p["targets"]:
            assert t["datasource"] == DS, p["title"]
            assert t["expr"].strip(), p["title"]


@pytest.mark.parametrize("name", sorted(DASHBOARDS))
def test_incidents_are_prometheus_annotations(name: str) -> None:
    anns = [a for a in DASHBOARDS[name]["annotations"]["list"] if a.get("expr")]
    opened = [a for a in anns if "spikewatch_incidents_opened_total" in a["expr"]]
    assert len(opened) == 1
    assert opened[0]["datasource"] == DS
    assert opened[0]["enable"] is True
    assert set(opened[0]["tagKeys"].split(",")) == {"brand", "kind", "severity"}


def test_brand_filter_is_a_regex_matcher() -> None:
    # $brand is multi-value: Grafana expands it to a|b, which only =~ understands.
    for dash in DASHBOARDS.values():
        for p in panels(dash):
            for t in p["targets"]:
                assert 'brand="$brand"' not in t["expr"]
                assert "$brand" not in t["expr"] or 'brand=~"$brand"' in t["expr"]


def test_every_query_names_only_metrics_that_exist() -> None:
    known = exposed_names() | recorded_names() | {"up"}
    for dash, panel, expr in all_exprs():
        unknown = referenced_names(expr) - known
        assert not unknown, f"{dash} / {panel}: {sorted(unknown)} in {expr}"


def test_every_worker_metric_is_shown_or_used_by_a_rule() -> None:
    used: set[str] = set()
    for _, _, expr in all_exprs():
        used |= referenced_names(expr)
    for path in promtools.RULE_FILES:
        used |= referenced_names(path.read_text(encoding="utf-8"))
    reg = CollectorRegistry()
    Metrics(reg, brands=["nordbank"])
    families = {f.name for f in reg.collect() if f.name.startswith("spikewatch_")}
    families.discard("spikewatch_build_info")
    unused = {
        f
        for f in families
        if not any(u == f or u.startswith(f + "_") or u == f + "_total" for u in used)
    }
    assert not unused


def test_queries_substitute_every_variable() -> None:
    exprs = all_exprs()
    assert len(exprs) > 40
    assert all("$" not in e and "[[" not in e for _, _, e in exprs)
    with pytest.raises(KeyError, match="nosuch"):
        promtools.substitute("rate(x[$nosuch])")
    assert promtools.substitute('x{b=~"${brand}"}[$__rate_interval]') == 'x{b=~".*"}[15s]'


# -- provisioning ----------------------------------------------------------------------------------


def test_datasource_provisioning() -> None:
    doc = yaml.safe_load((GRAFANA / "provisioning/datasources/prometheus.yaml").read_text())
    (ds,) = doc["datasources"]
    assert doc["apiVersion"] == 1
    assert ds["type"] == "prometheus"
    assert ds["url"].startswith("http://prometheus:9090")
    assert ds["isDefault"] is True


def test_dashboard_provisioning_points_at_the_mounted_json() -> None:
    doc = yaml.safe_load((GRAFANA / "provisioning/dashboards/spikewatch.yaml").read_text())
    (provider,) = doc["providers"]
    assert provider["type"] == "file"
    compose = yaml.safe_load((ROOT / "deploy/compose.yaml").read_text())
    mounts = dict(reversed(v.rsplit(":", 2)[:2]) for v in compose["services"]["grafana"]["volumes"])
    assert mounts[provider["options"]["path"]] == "./grafana/dashboards"
    for json_file in (GRAFANA / "dashboards").glob("*.json"):
        json.loads(json_file.read_text(encoding="utf-8"))


def test_every_panel_says_what_it_shows() -> None:
    for name, dash in DASHBOARDS.items():
        for p in panels(dash):
            assert len(p.get("description", "")) > 20, (name, p["title"])


def test_mentions_stopped_has_a_rule_and_a_panel_with_the_same_condition() -> None:
    rules = yaml.safe_load((ROOT / "deploy/prometheus/rules/alerts.yml").read_text())
    (alert,) = [
        r
        for g in rules["groups"]
        for r in g["rules"]
        if r.get("alert") == "SpikewatchMentionsStopped"
    ]
    (panel,) = [
        p
        for p in panels(DASHBOARDS["pipeline-health.json"])
        if p["title"] == "Brands with no mentions for 30 min"
    ]

    def norm(expr: str) -> str:
        return re.sub(r"\s+", " ", expr.replace('{brand=~"$brand"}', "")).strip()

    assert norm(alert["expr"]) in norm(panel["targets"][0]["expr"])
