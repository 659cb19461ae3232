"""The layers hold: no two packages of `marketplace` import each other, directly or around a loop.

Imports under `if TYPE_CHECKING:` are not counted (models name each other's classes for type hints);
lazy imports inside functions are, since they tie the packages just the same at run time.
"""

from __future__ import annotations

import ast
from collections import defaultdict

from tests.conftest import ROOT

PACKAGE = ROOT / "marketplace"


def _feature(module: str) -> str | None:
    """`marketplace.needs.models` → `needs`; the root package itself → None."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == "marketplace" else None


def _runtime_imports(tree: ast.Module) -> list[str]:
    guards = [node for node in ast.walk(tree) if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)]
    type_only = {id(n) for guard in guards for n in ast.walk(guard)}
    found = []
    for node in ast.walk(tree):
        if id(node) in type_only:
            continue
        if isinstance(node, ast.ImportFrom) and node.module:
            found += [node.module] if node.module != "marketplace" else [f"marketplace.{a.name}" for a in node.names]
        elif isinstance(node, ast.Import):
            found += [a.name for a in node.names]
    return found


def package_graph() -> dict[str, set[str]]:
    """Which top-level package (or module) of marketplace imports which other."""
    names = {p.stem for p in PACKAGE.iterdir() if p.suffix == ".py" or (p / "__init__.py").exists()}
    graph: dict[str, set[str]] = defaultdict(set)
    for path in PACKAGE.rglob("*.py"):
        source = _feature(".".join(path.relative_to(ROOT).with_suffix("").parts))
        if source is None or source == "__init__":
            continue
        for target in map(_feature, _runtime_imports(ast.parse(path.read_text(encoding="utf-8")))):
            if target in names and target != source:
                graph[source].add(target)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one member (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for other in graph.get(node, ()):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in list(graph):
        if node not in index:
            visit(node)
    return found


def test_no_package_imports_another_that_imports_it_back():
    loops = cycles(package_graph())
    assert loops == [], f"packages that import each other (around a loop): {loops}"


def test_the_domain_never_imports_the_api_and_the_app_wide_modules_import_no_feature():
    graph = package_graph()
    importers = {name for name, targets in graph.items() if "api" in targets}
    assert importers <= {"web", "models"}, f"only the app, its error pages and the model registry use api: {importers}"
    features = {p.name for p in PACKAGE.iterdir() if (p / "__init__.py").exists()} - {"changes"}
    for base in ("db", "clock", "errors", "money", "state", "storage", "changes", "unit_of_work", "taxonomy",
                 "spreadsheets", "mailer", "search"):
        assert not graph.get(base, set()) & features, f"{base} imports a feature: {graph[base] & features}"


def test_the_loop_finder_finds_a_loop():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
