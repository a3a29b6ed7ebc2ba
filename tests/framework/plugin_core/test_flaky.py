"""Flaky tests under ``--reruns`` against the embedded simulator with injected faults.

Three tests, three outcomes, decided by the simulator's fault injection
(config ``simulator.faults``), not by the tests themselves:

- ``listZones`` has no fault: passes on attempt 1;
- ``listHosts`` fails with probability 0.5, seeded so that its first call
  fails and its second succeeds: fails, is rerun, passes -> flaky;
- ``listClusters`` always fails (errorrate 1): fails on every attempt.
"""
from __future__ import annotations

import json
import random
import sys
import xml.etree.ElementTree as ElementTree

import pytest

pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestAssertRewriteWarning")

PACK = """
    import pytest

    def test_zones_pass(cloud):
        assert cloud.listZones()

    def test_hosts_intermittent(cloud):
        assert cloud.listHosts(type="Routing")

    def test_clusters_broken(cloud):
        assert cloud.listClusters()

    @pytest.mark.flaky(reruns=1)
    def test_known_flaky_but_fine_today(cloud):
        assert cloud.listPods()
    """


def _seed_failing_then_passing(rate: float) -> int:
    """A fault seed whose first two draws are: below ``rate`` (fault), then not (no fault)."""
    for seed in range(1000):
        draws = random.Random(seed)
        if draws.random() < rate <= draws.random():
            return seed
    raise AssertionError("no seed in 0..999 gives fault-then-no-fault")


@pytest.fixture
def faulty_simulator_config(pytester):
    # Each rule rolls its own dice, seeded by fault_seed: the listHosts rule
    # rolls its draws 1 and 2 (the test and its rerun).
    seed = _seed_failing_then_passing(0.5)
    path = pytester.path / "faulty.yaml"
    path.write_text(
        "simulator:\n  profile: instant\n"
        f"  fault_seed: {seed}\n"
        "  faults:\n"
        "    - {command: listHosts, errorrate: 0.5, errortext: injected intermittent fault}\n"
        "    - {command: listClusters, errorrate: 1.0, errortext: injected permanent fault}\n"
        "zone: Sandbox-simulator\nhypervisor: Simulator\nzone_network_type: Advanced\n"
        "capabilities: [vpc, simulator]\n", encoding="utf-8")
    return path


def test_pass_flaky_and_fail_are_told_apart(pytester, pack, faulty_simulator_config):
    pack(test_faults=PACK)
    result = pytester.runpytest("--marvin-config", str(faulty_simulator_config), "--reruns", "2",
                                "--junitxml", "junit.xml", "--alluredir", "allure", "--results-dir", "res",
                                "-p", "no:cacheprovider")
    result.assert_outcomes(passed=3, failed=1)
    # (an in-process run may add ", 1 warning": marvin2 is already imported, so pytest cannot rewrite it)
    result.stdout.fnmatch_lines(["*1 failed, 3 passed, *3 rerun in*"])
    result.stdout.fnmatch_lines([
        "*marvin2: intermittent: 1 test*",
        "flaky: passed on attempt 2: test_faults.py::test_hosts_intermittent",
        "failed on all 3 attempts: test_faults.py::test_clusters_broken",
        "1 test(s) marked @pytest.mark.flaky needed no rerun this time: "
        "test_faults.py::test_known_flaky_but_fine_today",
    ])
    assert "injected permanent fault" in result.stdout.str()

    # JUnit: one testcase per test (not per attempt), the flaky one with its property
    cases = {case.get("name"): case for case in ElementTree.parse(pytester.path / "junit.xml").iter("testcase")}
    assert len(list(ElementTree.parse(pytester.path / "junit.xml").iter("testcase"))) == 4
    properties = {name: {p.get("name"): p.get("value") for p in case.iter("property")} for name, case in cases.items()}
    assert properties["test_hosts_intermittent"] == {"marvin2_flaky": "passed on attempt 2 of 3"}
    assert properties["test_zones_pass"] == {} and "marvin2_flaky" not in properties["test_clusters_broken"]
    assert cases["test_clusters_broken"].find("failure") is not None
    assert properties["test_known_flaky_but_fine_today"] == {"marvin2_marked_flaky": "marked @pytest.mark.flaky"}

    # allure: every attempt is a result (allure shows them as retries); the last one carries the verdict
    results: dict[str, list[dict]] = {}
    for path in (pytester.path / "allure").glob("*-result.json"):
        data = json.loads(path.read_text())
        results.setdefault(data["name"], []).append(data)
    for attempts in results.values():
        attempts.sort(key=lambda r: r["stop"])
    final = {name: attempts[-1] for name, attempts in results.items()}
    # (an API error, not an assertion, broke the test: allure says "broken")
    assert [r["status"] for r in results["test_hosts_intermittent"]] == ["broken", "passed"]
    assert final["test_hosts_intermittent"]["statusDetails"]["flaky"] is True
    assert not (final["test_zones_pass"].get("statusDetails") or {}).get("flaky")
    assert [r["status"] for r in results["test_clusters_broken"]] == ["broken"] * 3
    assert not (final["test_clusters_broken"].get("statusDetails") or {}).get("flaky")
    assert final["test_known_flaky_but_fine_today"]["statusDetails"]["flaky"] is True


def test_without_reruns_the_intermittent_fault_is_a_plain_failure(pytester, pack, faulty_simulator_config):
    pack(test_faults=PACK)
    result = pytester.runpytest("--marvin-config", str(faulty_simulator_config), "-p", "no:cacheprovider",
                                "-p", "no:rerunfailures", "--results-dir", "res")
    result.assert_outcomes(passed=2, failed=2)
    result.stdout.fnmatch_lines(["*marvin2: intermittent: 0 tests*", "FAILED test_faults.py::test_hosts_intermittent*"])
    assert "passed on attempt" not in result.stdout.str()


def test_marvin2_run_counts_flaky_tests_in_its_summary(pytester, pack, faulty_simulator_config):
    pack(test_faults=PACK)
    result = pytester.run(
        sys.executable, "-m", "marvin2.cli", "run", "--config", str(faulty_simulator_config),
        "--results-dir", "res", "test_faults.py", "--reruns", "2", "-p", "no:cacheprovider", timeout=300)
    assert result.ret == 1
    result.stdout.fnmatch_lines(["  3 passed, 1 failed, 0 errors, 0 skipped; 1 flaky (passed on a rerun)"])
