"""The house's walls: imports point streams -> alerts -> detectors, no import circle, small rooms.

``detectors/`` imports nothing of ours and no Kafka, Faust, Slack or HTTP library, and never
reads the clock; ``alerts/`` never imports ``streams``, faust or Kafka, and only
``alerts/slack_delivery.py`` (and ``alerts/slack_retry.py``, its retry policy) and
``alerts/interactivity.py`` (signature check) touch slack_sdk; only ``streams/`` imports faust.
``tools/`` (test tooling the wheel does not ship) may use the runtime packages, never the other
way round.

No module of ours is longer than :data:`MAX_LINES` lines, except the pure data tables named in
:data:`DATA_TABLES` with the reason; and the import graph of our modules (every ``import``,
function-level ones included; ``if TYPE_CHECKING:`` blocks are left out, they never run) has no
cycle except the ones in :data:`KNOWN_CYCLES`, each waiting for a named fix. A listed cycle that
is gone fails the test too, so the list only shrinks.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("detectors", "alerts", "streams", "tools")
EDGE_LIBS = {"faust", "mode", "aiokafka", "kafka", "slack_sdk", "aiohttp", "prometheus_client"}
CLOCK_CALLS = {("time", "time"), ("time", "monotonic"), ("datetime", "now"), ("datetime", "utcnow")}

MAX_LINES = 500
# Modules allowed over MAX_LINES: pure data tables only, each with its reason.
DATA_TABLES: dict[str, str] = {
    "tools/simulate_texts.py": "the simulator's phrase banks (fi/en/sv sentences by sector, "
    "sentiment and topic): literal data, two lookup functions",
}
# Modules over MAX_LINES whose split waits for the change that owns them (not data tables: each
# must shrink; the test fails once it fits, so the entry is dropped).
PENDING_SPLITS: dict[str, str] = {}

# Import cycles that exist today and whose fix lies in files another change owns. Each entry is
# the sorted set of modules of one strongly connected component, with the fix that removes it.
KNOWN_CYCLES: dict[frozenset[str], str] = {}


def _modules(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py")) if (ROOT / package).is_dir() else []


def _all_modules() -> list[Path]:
    return [p for pkg in PACKAGES for p in _modules(pkg)]


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.add(node.module.split(".")[0])
    return out


def _rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def _id(path: Path) -> str:
    return _rel(path)


# -- layering -----------------------------------------------------------------------------------


@pytest.mark.parametrize("path", _modules("detectors"), ids=_id)
def test_detectors_are_pure(path: Path) -> None:
    imported = _imports(path)
    assert not imported & (EDGE_LIBS | {"alerts", "streams", "tools"}), imported
    calls = {
        (n.func.value.id, n.func.attr)
        for n in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(n, ast.Call)
        and isinstance(n.func, ast.Attribute)
        and isinstance(n.func.value, ast.Name)
    }
    assert not calls & CLOCK_CALLS, f"{path.name} reads the clock"


SLACK_MODULES = {"slack_delivery.py", "slack_retry.py", "interactivity.py"}


@pytest.mark.parametrize("path", _modules("alerts"), ids=_id)
def test_alerts_never_import_streams_or_faust(path: Path) -> None:
    imported = _imports(path)
    assert not imported & {"streams", "tools"}, imported
    allowed = {"slack_sdk"} if path.name in SLACK_MODULES else set()
    if path.name == "slack_delivery.py":
        allowed.add("prometheus_client")
    assert not imported & (EDGE_LIBS - allowed), imported


@pytest.mark.parametrize(
    "path", _modules("detectors") + _modules("alerts") + _modules("streams"), ids=_id
)
def test_runtime_packages_never_import_tools(path: Path) -> None:
    """tools/ is not in the wheel: nothing the wheel ships may import it at module level."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    top = [n for n in tree.body if isinstance(n, ast.Import | ast.ImportFrom)]
    names = {a.name.split(".")[0] for n in top if isinstance(n, ast.Import) for a in n.names}
    names |= {n.module.split(".")[0] for n in top if isinstance(n, ast.ImportFrom) and n.module}
    assert "tools" not in names


def test_only_streams_imports_faust() -> None:
    users = {
        p.relative_to(ROOT).parts[0] for p in _all_modules() if {"faust", "mode"} & _imports(p)
    }
    assert users <= {"streams"}


# -- room size ----------------------------------------------------------------------------------


@pytest.mark.parametrize("path", _all_modules(), ids=_id)
def test_no_module_over_the_limit(path: Path) -> None:
    n = len(path.read_text(encoding="utf-8").splitlines())
    if _rel(path) in DATA_TABLES or _rel(path) in PENDING_SPLITS:
        return
    assert n <= MAX_LINES, f"{_rel(path)} has {n} lines (> {MAX_LINES}): split it along a seam"


def test_allowances_are_still_needed() -> None:
    for rel in {**DATA_TABLES, **PENDING_SPLITS}:
        path = ROOT / rel
        assert path.is_file(), f"{rel} is gone: drop its allowance"
        n = len(path.read_text(encoding="utf-8").splitlines())
        assert n > MAX_LINES, f"{rel} fits in {MAX_LINES} lines now: drop its allowance"


# -- import cycles ------------------------------------------------------------------------------


def _module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _runtime_nodes(tree: ast.AST) -> Iterator[ast.AST]:
    """Every node except the bodies of ``if TYPE_CHECKING:`` (type-only imports never run)."""
    stack = [tree]
    while stack:
        node = stack.pop()
        yield node
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child.test):
                stack.extend(child.orelse)
                continue
            stack.append(child)


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def import_graph(paths: list[Path], root: Path = ROOT) -> dict[str, set[str]]:
    """module -> the modules of ours it imports (at any level of the file)."""
    names = {_module_name(p, root): p for p in paths}

    def ours(name: str) -> str | None:
        while name:
            if name in names:
                return name
            name = name.rpartition(".")[0]
        return None

    graph: dict[str, set[str]] = {}
    for mod, path in names.items():
        package = mod if path.name == "__init__.py" else mod.rpartition(".")[0]
        deps: set[str] = set()
        for node in _runtime_nodes(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                deps.update(d for a in node.names if (d := ours(a.name)))
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package.split(".")[: len(package.split(".")) - node.level + 1]
                    source = ".".join([*base, node.module] if node.module else base)
                else:
                    source = node.module or ""
                for a in node.names:
                    # `from pkg import submodule` depends on the submodule, else on pkg itself
                    sub = f"{source}.{a.name}"
                    dep = sub if sub in names else ours(source)
                    if dep:
                        deps.add(dep)
        deps.discard(mod)
        graph[mod] = deps
    return graph


def cycles(graph: dict[str, set[str]]) -> list[frozenset[str]]:
    """The strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[frozenset[str]] = []
    counter = 0
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            v, it = work[-1]
            w = next(it, None)
            if w is not None:
                if w not in index:
                    index[w] = low[w] = counter
                    counter += 1
                    stack.append(w)
                    on_stack.add(w)
                    work.append((w, iter(sorted(graph.get(w, ())))))
                elif w in on_stack:
                    low[v] = min(low[v], index[w])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[v])
            if low[v] == index[v]:
                comp = set()
                while True:
                    x = stack.pop()
                    on_stack.discard(x)
                    comp.add(x)
                    if x == v:
                        break
                if len(comp) > 1:
                    found.append(frozenset(comp))
    return found


def test_cycle_finder_sees_function_level_imports(tmp_path: Path) -> None:
    """The checker itself: a circle closed by an import inside a function is found."""
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text("from pkg.b import f\n")
    (pkg / "b.py").write_text("def f():\n    from pkg import a\n    return a\n")
    (pkg / "c.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pkg.a import f\n"
    )
    (pkg / "d.py").write_text("from . import c\n")
    graph = import_graph(sorted(pkg.glob("*.py")), root=tmp_path)
    assert graph["pkg.a"] == {"pkg.b"}
    assert graph["pkg.b"] == {"pkg.a"}
    assert graph["pkg.c"] == set()  # type-only
    assert graph["pkg.d"] == {"pkg.c"}
    assert cycles(graph) == [frozenset({"pkg.a", "pkg.b"})]


def test_no_import_cycle() -> None:
    found = set(cycles(import_graph(_all_modules())))
    new = [sorted(c) for c in found - set(KNOWN_CYCLES)]
    assert not new, f"import cycles: {new}"
    gone = [sorted(c) for c in set(KNOWN_CYCLES) - found]
    assert not gone, f"these cycles are gone (or changed): update KNOWN_CYCLES: {gone}"
