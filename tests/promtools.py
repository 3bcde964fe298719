"""Helpers for tests that run the real Prometheus server and promtool.

- :func:`start_prometheus` runs ``prometheus`` on 127.0.0.1 (free port, tmp storage, 1 s scrape
  and rule evaluation) with the project's rules, scraping the given targets as job ``spikewatch``.
- :func:`dashboard_queries` lists every PromQL expression of every Grafana dashboard (panel
  targets, annotations, ``label_values`` variables) with template variables substituted.
- :func:`query_range` / :func:`has_data` ask the server whether an expression returns samples.

Standard library and ``tests.harness`` only.
"""

from __future__ import annotations

import json
import math
import re
import shutil
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.harness import free_port, wait_for

ROOT = Path(__file__).resolve().parents[1]
PROM_DIR = ROOT / "deploy" / "prometheus"
RULE_FILES = sorted((PROM_DIR / "rules").glob("*.yml"))
DASHBOARD_DIR = ROOT / "deploy" / "grafana" / "dashboards"

# What Grafana would put in place of its variables for a short, freshly started server.
DEFAULT_VARIABLES = {
    "__rate_interval": "15s",
    "__interval": "5s",
    "__range": "5m",
    "__range_s": "300",
    "__range_ms": "300000",
    "brand": ".*",
    "datasource": "prometheus",
}


def missing_binaries(*names: str) -> list[str]:
    """The names of ``names`` that are not on PATH."""
    return [n for n in names if shutil.which(n) is None]


def require_binaries(*names: str) -> None:
    """Fail the test when binaries are missing (never a skip: ``.ci/run`` installs them)."""
    import pytest

    missing = missing_binaries(*names)
    if missing:
        pytest.fail(f"{', '.join(missing)} not found: run bash deploy/prometheus/install.sh")


def _get(url: str, timeout: float = 5.0) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            return int(resp.status), resp.read()
    except urllib.error.HTTPError as exc:
        return int(exc.code), exc.read()


def _config(scrape_targets: list[str], job: str, rule_files: list[Path]) -> str:
    # JSON is YAML: no YAML library needed.
    cfg = {
        "global": {"scrape_interval": "1s", "evaluation_interval": "1s", "scrape_timeout": "1s"},
        "rule_files": [str(p) for p in rule_files],
        "scrape_configs": [
            {
                "job_name": job,
                "metrics_path": "/metrics",
                "static_configs": [{"targets": scrape_targets}],
            }
        ],
    }
    return json.dumps(cfg, indent=2)


def start_prometheus(
    scrape_targets: list[str],
    tmpdir: Path | str,
    *,
    job: str = "spikewatch",
    rule_files: list[Path] | None = None,
    timeout: float = 30.0,
) -> tuple[str, Callable[[], None]]:
    """Run the real ``prometheus`` binary; return its base URL and a ``stop()`` function.

    ``scrape_targets`` are ``host:port`` strings serving ``/metrics``. The server loads the
    project's recording and alerting rules unless ``rule_files`` says otherwise.
    """
    binary = shutil.which("prometheus")
    if binary is None:
        raise FileNotFoundError("prometheus not found: run bash deploy/prometheus/install.sh")
    tmp = Path(tmpdir)
    tmp.mkdir(parents=True, exist_ok=True)
    config = tmp / "prometheus.yml"
    config.write_text(
        _config(scrape_targets, job, RULE_FILES if rule_files is None else rule_files),
        encoding="utf-8",
    )
    port = free_port()
    log = (tmp / "prometheus.log").open("wb")
    proc = subprocess.Popen(
        [
            binary,
            f"--config.file={config}",
            f"--storage.tsdb.path={tmp / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
            "--storage.tsdb.retention.time=1h",
            "--log.level=warn",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )

    def stop() -> None:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
        log.close()

    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            stop()
            tail = (tmp / "prometheus.log").read_text(errors="replace")[-2000:]
            raise RuntimeError(f"prometheus exited with {proc.returncode}:\n{tail}")
        try:
            status, _ = _get(f"{base}/-/ready", timeout=1.0)
            if status == 200:
                return base, stop
        except OSError:
            pass
        time.sleep(0.2)
    stop()
    raise TimeoutError(f"prometheus not ready within {timeout:.0f}s")


def api(base_url: str, path: str, **params: str) -> Any:
    """GET a Prometheus HTTP API path and return its ``data`` (raises on an error)."""
    url = f"{base_url}{path}?{urllib.parse.urlencode(params)}"
    status, body = _get(url)
    doc = json.loads(body)
    if status != 200 or doc.get("status") != "success":
        raise ValueError(f"{path} {params}: HTTP {status}: {doc.get('error', body[:200])}")
    return doc["data"]


def wait_for_targets(base_url: str, n: int, timeout: float = 20.0) -> None:
    """Wait until ``n`` scrape targets are up."""

    def up() -> bool:
        targets = api(base_url, "/api/v1/targets")["activeTargets"]
        return bool(sum(t["health"] == "up" for t in targets) >= n)

    wait_for(up, timeout, f"{n} scrape target(s) up")


def query_range(base_url: str, expr: str, seconds: float = 60.0, step: float = 1.0) -> Any:
    """Run ``expr`` as Grafana's time series panels do, over the last ``seconds``."""
    end = time.time()
    return api(
        base_url,
        "/api/v1/query_range",
        query=expr,
        start=f"{end - seconds:.3f}",
        end=f"{end:.3f}",
        step=f"{step:g}",
    )


def finite_values(result: Any) -> list[float]:
    """Every finite sample value of a query result (range or instant)."""
    out: list[float] = []
    for series in result.get("result", []):
        for _, v in series.get("values", []) or [series.get("value", [0, "NaN"])]:
            f = float(v)
            if math.isfinite(f):
                out.append(f)
    return out


def has_data(result: Any) -> bool:
    """True when a query result holds at least one finite sample."""
    return bool(finite_values(result))


def has_nonzero(result: Any) -> bool:
    """True when a query result holds at least one finite sample other than 0."""
    return any(v != 0 for v in finite_values(result))


def substitute(expr: str, variables: dict[str, str] | None = None) -> str:
    """Replace Grafana variables (``$name``, ``${name}``, ``[[name]]``) in ``expr``."""
    values = {**DEFAULT_VARIABLES, **(variables or {})}

    def repl(m: re.Match[str]) -> str:
        name = m.group(1) or m.group(2) or m.group(3)
        if name not in values:
            raise KeyError(f"no value for Grafana variable ${name} in {expr!r}")
        return values[name]

    return re.sub(r"\$\{(\w+)(?::\w+)?\}|\[\[(\w+)\]\]|\$(\w+)", repl, expr)


_LABEL_VALUES = re.compile(r"^\s*label_values\(\s*(.+?)\s*,\s*(\w+)\s*\)\s*$")


def variable_expr(query: str) -> str:
    """The PromQL behind a ``label_values(metric, label)`` variable query."""
    m = _LABEL_VALUES.match(query)
    if not m:
        raise ValueError(f"unsupported variable query {query!r}")
    return f"count by ({m.group(2)}) ({m.group(1)})"


def dashboards() -> dict[str, dict[str, Any]]:
    """Every committed dashboard JSON by file name."""
    return {
        p.name: json.loads(p.read_text(encoding="utf-8"))
        for p in sorted(DASHBOARD_DIR.glob("*.json"))
    }


def dashboard_queries(
    variables: dict[str, str] | None = None,
) -> list[tuple[str, str, str]]:
    """Every PromQL expression of every dashboard: ``(dashboard, panel title, expr)``.

    Annotations appear as ``annotation: NAME`` and query variables as ``variable: NAME``.
    """
    out: list[tuple[str, str, str]] = []
    for dash in dashboards().values():
        title = dash["title"]
        for panel in dash.get("panels", []):
            for t in panel.get("targets", []):
                if t.get("expr"):
                    out.append((title, panel["title"], substitute(t["expr"], variables)))
        for ann in dash.get("annotations", {}).get("list", []):
            if ann.get("expr"):
                out.append(
                    (title, f"annotation: {ann['name']}", substitute(ann["expr"], variables))
                )
        for var in dash.get("templating", {}).get("list", []):
            if var.get("type") == "query":
                q = var["query"]["query"] if isinstance(var["query"], dict) else var["query"]
                out.append(
                    (title, f"variable: {var['name']}", substitute(variable_expr(q), variables))
                )
    return out


def promtool(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``promtool`` from the repository root and capture its output."""
    binary = shutil.which("promtool")
    if binary is None:
        raise FileNotFoundError("promtool not found: run bash deploy/prometheus/install.sh")
    return subprocess.run(
        [binary, *args],
        cwd=ROOT,
        input=stdin.decode() if stdin is not None else None,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
