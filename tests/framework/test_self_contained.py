"""A fresh clone runs its own tests: nothing in the package, the tests or the
benches reads a path outside the repository.

Users clone marvin2 alone; a developer's workspace may hold more beside it
(../shared with full listApis captures and notes), and a test that reads it
passes there and breaks everywhere else. The check is static: every path
built from ``__file__`` (``Path(__file__).resolve().parents[N]``, ``.parent``,
``/ "..."``, names bound to such paths) is worked out and must stay inside the
repository, and no string outside a docstring names ``shared/cloudstack``.
``tools/`` is for developers and may read ../shared (derive_test_captures.py).
"""
from __future__ import annotations

import ast
import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCANNED = ("marvin2", "tests", "bench")
NEEDLE = "/".join(("shared", "cloudstack"))  # built, so this file does not name it

# Files known to read outside the repository, with who removes that read.
# An entry that no longer reads outside fails the test, so the list stays true.
PENDING: dict[str, str] = {}


def _docstring_nodes(tree: ast.AST) -> set[int]:
    ids = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = getattr(node, "body", [])
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                ids.add(id(body[0].value))
    return ids


class _PathEvaluator:
    """Works out the directory an expression built from ``__file__`` names, when it can."""

    def __init__(self, file: Path):
        self.file = file
        self.names: dict[str, str] = {}

    def value(self, node: ast.AST) -> str | None:
        if isinstance(node, ast.Name):
            return str(self.file) if node.id == "__file__" else self.names.get(node.id)
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Name) and func.id in ("Path", "PurePath") and len(node.args) == 1:
                return self.value(node.args[0])
            if isinstance(func, ast.Attribute) and func.attr in ("resolve", "absolute") and not node.args:
                return self.value(func.value)
            if isinstance(func, ast.Attribute) and func.attr in ("dirname", "abspath", "realpath") and len(node.args) == 1:
                inner = self.value(node.args[0])
                if inner is None:
                    return None
                return os.path.dirname(inner) if func.attr == "dirname" else inner
            if isinstance(func, ast.Attribute) and func.attr == "join" and node.args:
                parts = [self.value(node.args[0])] + [_constant(a) for a in node.args[1:]]
                return None if None in parts else os.path.normpath(os.path.join(*parts))
            return None
        if isinstance(node, ast.Attribute) and node.attr == "parent":
            inner = self.value(node.value)
            return None if inner is None else os.path.dirname(inner)
        if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Attribute) and node.value.attr == "parents":
            inner, index = self.value(node.value.value), _constant(node.slice)
            if inner is None or not isinstance(index, int):
                return None
            for _ in range(index + 1):
                inner = os.path.dirname(inner)
            return inner
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
            left, right = self.value(node.left), _constant(node.right)
            if left is None or not isinstance(right, str):
                return None
            return os.path.normpath(os.path.join(left, right))
        return None


def _constant(node: ast.AST):
    return node.value if isinstance(node, ast.Constant) else None


def outside_reads(source: str, file: Path, root: Path = ROOT) -> list[str]:
    """Lines of ``source`` (the text of ``file``) that name a path outside ``root``."""
    tree = ast.parse(source)
    evaluator = _PathEvaluator(file)
    docstrings = _docstring_nodes(tree)
    problems: dict[int, str] = {}
    # Module-level names first, in order, so ``ROOT / ".." / "x"`` is followed through ROOT.
    for statement in tree.body:
        if isinstance(statement, ast.Assign) and len(statement.targets) == 1 and isinstance(statement.targets[0], ast.Name):
            path = evaluator.value(statement.value)
            if path is not None:
                evaluator.names[statement.targets[0].id] = path
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
            if NEEDLE in node.value:
                problems[node.lineno] = f"line {node.lineno}: names {node.value!r}"
            continue
        if not isinstance(node, ast.expr) or isinstance(node, ast.Name) or node.lineno in problems:
            continue  # a name is reported where it is bound; one problem per line
        path = evaluator.value(node)
        if path is not None and not (path == str(root) or path.startswith(str(root) + os.sep)):
            problems[node.lineno] = f"line {node.lineno}: {ast.unparse(node)} is {path}, outside {root}"
    return [problems[line] for line in sorted(problems)]


def _python_files():
    for top in SCANNED:
        yield from sorted((ROOT / top).rglob("*.py"))


def test_the_detector_finds_reads_outside_and_passes_reads_inside(tmp_path):
    root = tmp_path / "repo"
    file = root / "tests" / "framework" / "x" / "test_a.py"
    bad = (
        'ROOT = Path(__file__).resolve().parents[3]\n'
        'CAPTURES = ROOT / ".." / "shared" / "cloudstack"\n'
        'OTHER = Path(__file__).resolve().parents[3].parent / "data"\n'
        'FAR = Path(__file__).parents[7]\n'
        'TEXT = "x/NEEDLE/listapis"\n'
    ).replace("NEEDLE", NEEDLE)
    found = outside_reads(bad, file, root)
    assert [p.split(":")[0] for p in found] == ["line 2", "line 3", "line 4", "line 5"], found
    good = (
        '"""Reads ../NEEDLE/API-FACTS.md as a developer reference (docstring: fine)."""\n'
        'ROOT = Path(__file__).resolve().parents[3]\n'
        'DATA = ROOT / "tests" / "data"\n'
        'HERE = os.path.dirname(os.path.abspath(__file__))\n'
        'CONFIG = os.path.join(HERE, "..", "configs")\n'
    ).replace("NEEDLE", NEEDLE)
    assert outside_reads(good, file, root) == []


def test_no_test_bench_or_package_module_reads_outside_the_repository():
    problems = {}
    for path in _python_files():
        relative = path.relative_to(ROOT).as_posix()
        found = outside_reads(path.read_text(encoding="utf-8"), path.resolve())
        if found and relative not in PENDING:
            problems[relative] = found
        if not found and relative in PENDING:
            problems[relative] = ["no longer reads outside the repository: remove it from PENDING"]
    assert not problems, "\n".join(f"{name}: {'; '.join(lines)}" for name, lines in problems.items())


@pytest.mark.parametrize("name", ["listApis-4.15.1.0.json.gz", "listApis-4.18.0.0.json.gz"])
def test_the_capture_fixtures_are_facts_only(name):
    import gzip
    import json

    document = json.loads(gzip.decompress((ROOT / "tests" / "data" / name).read_bytes()))
    assert len(document["api"]) > 600

    def keys(node):
        if isinstance(node, dict):
            yield from node
            for value in node.values():
                yield from keys(value)
        elif isinstance(node, list):
            for item in node:
                yield from keys(item)

    assert "description" not in set(keys(document)), "descriptions are not facts: run tools/derive_test_captures.py"
    params = [p for api in document["api"] for p in api.get("params", [])]
    assert params and all({"name", "type", "required"} <= set(p) for p in params)
