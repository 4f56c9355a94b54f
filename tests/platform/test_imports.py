"""No import cycle anywhere in the repository's packages: every module of libs/ and services/ is read as text, its
imports (``TYPE_CHECKING`` blocks and imports inside functions included: a cycle hidden there is still a cycle of
ideas) resolved to the first-party modules they name, and the graph searched for strongly connected components.

A package's ``__init__`` is not counted as imported by its submodules (Python runs it first, but that is the
language's order, not a dependency the code chose).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Mapping
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
ROOTS = [path for parent in ("libs", "services") for path in sorted((REPO / parent).iterdir()) if path.is_dir()]


def packages() -> Iterator[tuple[str, Path]]:
    """(top-level package name, its directory) for every workspace member."""
    for root in ROOTS:
        for candidate in sorted(root.iterdir()):
            if (candidate / "__init__.py").is_file() and candidate.name != "tests":
                yield candidate.name, candidate


def modules() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for _, directory in packages():
        for path in sorted(directory.rglob("*.py")):
            parts = list(path.relative_to(directory.parent).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


def imported(module: str, path: Path, known: Mapping[str, Path]) -> set[str]:
    """The first-party modules ``module`` imports (``from package import submodule`` names the submodule)."""
    is_package = path.name == "__init__.py"
    package = module if is_package else module.rpartition(".")[0]
    targets: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            targets.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                origin = ".".join([*base, node.module] if node.module else base)
            else:
                origin = node.module or ""
            targets.add(origin)
            targets.update(f"{origin}.{alias.name}" for alias in node.names)
    return {target for target in targets if target in known and target != module}


def cycles(graph: Mapping[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component: list[str] = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_walk_finds_every_package() -> None:
    names = {name for name, _ in packages()}
    assert {
        "oneclick_core",
        "oneclick_manifest",
        "kubesim",
        "podsecurity",
        "oneclick_kube",
        "oneclick_edge",
        "oneclick_records",
        "oneclick_k8s_executor",
        "oneclick_streaming",
        "oneclick_updater",
        "oneclick_auth",
        "oneclick_cli",
        "oneclick_testing",
    } <= names


def test_a_cycle_is_found_where_there_is_one() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycle_in_any_package() -> None:
    known = modules()
    graph = {module: imported(module, path, known) for module, path in known.items()}
    found = cycles(graph)
    assert not found, "import cycles:\n" + "\n".join(" <-> ".join(component) for component in found)
