"""The smoke pack's Basic-zone tests pass against a Basic-zone simulator, with zero leaks.

Runs, as a user would, in a subprocess:

    pytest tests/smoke --marvin-config configs/simulator-basic.yaml --tags basic -n 2

and reads what the run wrote: the JUnit XML (every selected test passed, the
security-group tests among them, none skipped) and the ledger (resources were
made and all deleted; no network was made, since a Basic zone's VMs go into
the zone's own guest network).
"""
from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

import pytest

from marvin2.resources.ledger import read_ledger

ROOT = Path(__file__).resolve().parents[3]
CONFIG = "configs/simulator-basic.yaml"
RUN_ID = "basic-zone-pack"


@pytest.fixture(scope="module")
def basic_run(tmp_path_factory) -> dict:
    results = tmp_path_factory.mktemp("basic-zone") / "results"
    junit = results.parent / "junit.xml"
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "tests/smoke", "--marvin-config", CONFIG, "--tags", "basic", "-n", "2",
         "--dist", "loadscope", "-q", "-p", "no:cacheprovider", "--run-id", RUN_ID, "--results-dir", str(results),
         "--junitxml", str(junit)],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    return {"done": done, "results": results, "junit": junit,
            "output": done.stdout[-4000:] + "\n--- stderr ---\n" + done.stderr[-3000:]}


def _outcomes(junit: Path) -> dict[str, str]:
    """test id (file::name) -> passed | failed | error | skipped, from the JUnit XML."""
    outcomes = {}
    for case in ET.parse(junit).getroot().iter("testcase"):
        test_id = f"{case.get('classname', '').rsplit('.', 1)[-1]}::{case.get('name')}"
        child_tags = {child.tag for child in case}
        outcome = next((tag for tag in ("failure", "error", "skipped") if tag in child_tags), "passed")
        outcomes[test_id] = {"failure": "failed"}.get(outcome, outcome)
    return outcomes


def test_basic_tagged_smoke_tests_pass_in_a_basic_zone(basic_run):
    done = basic_run["done"]
    assert done.returncode == 0, basic_run["output"]
    outcomes = _outcomes(basic_run["junit"])
    counts = Counter(outcomes.values())
    assert counts["passed"] > 0, basic_run["output"]
    assert counts["failed"] == 0 and counts["error"] == 0, (counts, basic_run["output"])
    # The security-group tests are what a Basic zone exists for: every one ran and passed.
    security_group_tests = {t: o for t, o in outcomes.items() if t.startswith("test_security_groups::")}
    assert len(security_group_tests) >= 8, sorted(outcomes)
    assert set(security_group_tests.values()) == {"passed"}, security_group_tests
    assert f"{counts['passed']} passed" in done.stdout


def test_basic_zone_run_leaves_nothing_behind(basic_run):
    assert basic_run["done"].returncode == 0, basic_run["output"]
    summary = json.loads((basic_run["results"] / "ledger-summary.json").read_text())
    assert summary["run_id"] == RUN_ID
    assert summary["created"] > 0, "the run made no resources: the leak check proved nothing"
    assert summary["leaks"] == 0, summary
    assert not (basic_run["results"] / "leaks.json").exists()


def test_basic_zone_fixtures_make_no_network(basic_run):
    """deploy_vm / shared_vm name no network in a Basic zone, so no isolated network is ever made."""
    assert basic_run["done"].returncode == 0, basic_run["output"]
    made = Counter(resource.kind for resource in read_ledger(basic_run["results"], run_id=RUN_ID))
    assert made["vm"] > 0, made
    assert made["network"] == 0, made
