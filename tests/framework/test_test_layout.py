"""Test modules outside packages must have unique file names.

Without an ``__init__.py`` pytest imports a test file by its bare name, so two
``test_x.py`` in different folders make the whole run fail to collect.
"""
from collections import defaultdict
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]


def _in_package(path: Path) -> bool:
    return (path.parent / "__init__.py").exists()


def test_test_module_names_are_unique_outside_packages():
    seen = defaultdict(list)
    for path in TESTS.rglob("test_*.py"):
        if not _in_package(path) and "example_pack" not in path.parts:
            seen[path.name].append(str(path.relative_to(TESTS)))
    clashes = {name: paths for name, paths in seen.items() if len(paths) > 1}
    assert not clashes, f"rename one of each: {clashes}"
