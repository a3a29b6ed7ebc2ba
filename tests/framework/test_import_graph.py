"""The import graph of ``marvin2/``: no cycle anywhere, and the simulator's layers import one way.

The graph is read from the source (``ast``), so it sees every import a module
can make, not only the ones a test run happens to execute: imports inside
functions ("late" imports) count, and so does ``importlib.import_module`` with
a literal name. The simulator's layers (marvin2/simulator/HANDLERS.md): API
modules (``simulator/apis/``) call services (``simulator/services/``) and the
core; an API module never imports another API module, and a service never
imports an API module.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE_ROOT = Path(__file__).resolve().parents[2] / "marvin2"
APIS = "marvin2.simulator.apis"
SERVICES = "marvin2.simulator.services"


def module_files(root: Path) -> dict[str, Path]:
    """Dotted module name -> file, for every ``.py`` under ``root`` (a package directory)."""
    modules = {}
    for path in sorted(root.rglob("*.py")):
        parts = path.relative_to(root.parent).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        modules[".".join(parts)] = path
    return modules


def _imported_names(module: str, path: Path, tree: ast.AST, modules: dict[str, Path]) -> list[tuple[str, int]]:
    """(dotted name, line) of everything ``module`` imports, anywhere in its body."""
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package[: len(package) - (node.level - 1)]
                base = ".".join(anchor + ([base] if base else []))
            # ``from pkg import name`` imports the submodule pkg.name when there is one, else a name of pkg.
            found += [(f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base, node.lineno)
                      for alias in node.names]
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
              and node.func.attr == "import_module" and node.args
              and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
            found.append((node.args[0].value, node.lineno))
    return found


def import_graph(root: Path) -> dict[str, dict[str, int]]:
    """module -> {imported module of the same tree: first line that imports it}."""
    modules = module_files(root)
    graph: dict[str, dict[str, int]] = {}
    for module, path in modules.items():
        edges: dict[str, int] = {}
        for name, line in sorted(_imported_names(module, path, ast.parse(path.read_text(), str(path)), modules),
                                 key=lambda item: item[1]):
            if name in modules and name != module:
                edges.setdefault(name, line)
        graph[module] = edges
    return graph


def cycles(graph: dict[str, dict[str, int]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan's algorithm, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def describe_cycle(graph: dict[str, dict[str, int]], component: list[str]) -> str:
    members = set(component)
    edges = [f"{a} -> {b} (line {line})" for a in component for b, line in sorted(graph[a].items()) if b in members]
    return "cycle of " + ", ".join(component) + ":\n    " + "\n    ".join(edges)


def forbidden_edges(graph: dict[str, dict[str, int]], source_prefix: str, target_prefix: str) -> list[str]:
    """Imports from a module under ``source_prefix`` of a module under ``target_prefix`` (itself excluded)."""
    def under(name: str, prefix: str) -> bool:
        return name == prefix or name.startswith(prefix + ".")

    return [f"{module} imports {target} (line {line})"
            for module, edges in sorted(graph.items()) if under(module, source_prefix) and module != source_prefix
            for target, line in sorted(edges.items()) if under(target, target_prefix) and target != module]


# --- the checks on marvin2/ ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def graph():
    return import_graph(PACKAGE_ROOT)


def test_no_import_cycle_anywhere_in_marvin2(graph):
    assert len(graph) > 50, "the walk found too few modules: wrong root?"
    found = cycles(graph)
    assert not found, "import cycles in marvin2/:\n" + "\n".join(describe_cycle(graph, c) for c in found)


def test_simulator_api_modules_never_import_each_other(graph):
    bad = forbidden_edges(graph, APIS, APIS)
    assert not bad, ("API modules import each other (put the shared logic in marvin2/simulator/services/):\n  "
                     + "\n  ".join(bad))


def test_simulator_services_never_import_api_modules(graph):
    assert any(m.startswith(SERVICES + ".") for m in graph), "no services modules found"
    bad = forbidden_edges(graph, SERVICES, APIS)
    assert not bad, "services import API modules (the dependency goes apis -> services):\n  " + "\n  ".join(bad)


# --- the checker itself finds what it must find --------------------------------------------------------


def _package(tmp_path: Path, files: dict[str, str]) -> Path:
    root = tmp_path / "pkg"
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def test_checker_sees_a_cycle_made_by_a_late_import(tmp_path):
    root = _package(tmp_path, {
        "__init__.py": "",
        "a.py": "from pkg import b\n",
        "b.py": "def f():\n    from pkg.a import thing\n    return thing\n",
        "c.py": "import pkg.a\n",
    })
    graph = import_graph(root)
    assert graph["pkg.a"] == {"pkg.b": 1}
    assert graph["pkg.b"] == {"pkg.a": 2}
    found = cycles(graph)
    assert found == [["pkg.a", "pkg.b"]]
    assert "pkg.b -> pkg.a (line 2)" in describe_cycle(graph, found[0])


def test_checker_sees_import_module_and_relative_imports(tmp_path):
    root = _package(tmp_path, {
        "__init__.py": "",
        "apis/__init__.py": "",
        "apis/one.py": "import importlib\n\ndef f():\n    return importlib.import_module('pkg.apis.two')\n",
        "apis/two.py": "from . import three\n",
        "apis/three.py": "from ..services import helper\n",
        "services/__init__.py": "",
        "services/helper.py": "X = 1\n",
    })
    graph = import_graph(root)
    assert forbidden_edges(graph, "pkg.apis", "pkg.apis") == [
        "pkg.apis.one imports pkg.apis.two (line 4)", "pkg.apis.two imports pkg.apis.three (line 1)"]
    assert graph["pkg.apis.three"] == {"pkg.services.helper": 1}
    assert cycles(graph) == []


def test_checker_finds_no_cycle_in_a_one_way_chain(tmp_path):
    root = _package(tmp_path, {"__init__.py": "", "a.py": "import pkg.b\n", "b.py": "import pkg.c\n", "c.py": ""})
    assert cycles(import_graph(root)) == []
