"""`marvin2 run --tags X` selects exactly the pack tests tagged X.

The tags of every test are read independently (a dump plugin on a plain
collection), then compared with what `marvin2 run --tags ... --collect-only`
selects: non-empty, everything tagged is in, nothing untagged is.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
HERE = Path(__file__).resolve().parent
PACKS = ["tests/smoke", "tests/component"]


def _env(tmp_path: Path) -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(HERE), env.get("PYTHONPATH", "")])
    env["MARVIN2_TAG_DUMP"] = str(tmp_path / "tags.json")
    return env


@pytest.fixture(scope="module")
def all_tags(tmp_path_factory) -> dict[str, set[str]]:
    tmp = tmp_path_factory.mktemp("tags")
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "tag_dump_plugin", "-p", "no:cacheprovider",
         "--results-dir", str(tmp / "results"), *PACKS],
        cwd=ROOT, env=_env(tmp), capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    tags = {node: set(t) for node, t in json.loads((tmp / "tags.json").read_text()).items()}
    assert len(tags) > 100, f"only {len(tags)} pack tests collected"
    return tags


def _selected_by_marvin2_run(tmp_path: Path, *tag_args: str) -> set[str]:
    args = [sys.executable, "-m", "marvin2.cli", "run", "--results-dir", str(tmp_path / "run")]
    for spec in tag_args:
        args += ["--tags", spec]
    done = subprocess.run(args + ["--collect-only", "-q", "-p", "no:cacheprovider"],
                          cwd=ROOT, env=_env(tmp_path), capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return {line.strip() for line in done.stdout.splitlines() if "::" in line and line.startswith("tests/")}


@pytest.mark.parametrize("tag", ["quick-test", "deploy-vm"])
def test_tag_selects_exactly_the_tagged_tests(tag, all_tags, tmp_path):
    selected = _selected_by_marvin2_run(tmp_path, tag)
    tagged = {node for node, tags in all_tags.items() if tag in tags}
    assert selected, f"--tags {tag} selected nothing"
    assert selected == tagged
    assert len(selected) < len(all_tags), f"--tags {tag} selected every test"


def test_quick_test_subset_is_small_and_covers_both_packs(all_tags, tmp_path):
    quick = _selected_by_marvin2_run(tmp_path, "quick-test")
    assert 0 < len(quick) <= len(all_tags) // 3
    assert any(n.startswith("tests/smoke/") for n in quick) and any(n.startswith("tests/component/") for n in quick)


def test_all_of_and_not_semantics_on_the_packs(all_tags, tmp_path):
    selected = _selected_by_marvin2_run(tmp_path, "deploy-vm,!quick-test")
    expected = {n for n, t in all_tags.items() if "deploy-vm" in t and "quick-test" not in t}
    assert selected == expected and selected
    assert not selected & {n for n, t in all_tags.items() if "quick-test" in t}
