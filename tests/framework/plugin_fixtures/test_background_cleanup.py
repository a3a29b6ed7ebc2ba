"""Background cleanup: a test's resources are deleted while the next test runs (background_cleanup.py).

Against the real simulator (in this process, instant jobs) with VM deletes slowed down by fault injection
(``latencyms`` on destroyVirtualMachine), so that "while the next test runs" can be seen: the ledger has
the time of each delete, the pack writes the time each test started.
"""
from __future__ import annotations

import datetime as dt
import json
import textwrap
from pathlib import Path

import pytest

from marvin2.resources.ledger import DELETED

SLOW_DELETE_MS = 1500

PACK = """
import json, time
import pytest

def mark(name):
    with open("marks.jsonl", "a") as marks:
        marks.write(json.dumps({"name": name, "t": time.time()}) + "\\n")

def test_one(deploy_vm):
    deploy_vm()

SECOND
    mark("two")
"""
PLAIN_SECOND = "def test_two():"
SERIAL_SECOND = "@pytest.mark.serial\ndef test_two():"
OWN_CLEANUP_FIRST = """
def test_one(deploy_vm, cleanup_stack):
    deploy_vm()
    cleanup_stack.push(mark, "own cleanup of one")
"""


@pytest.fixture
def slow_vm_deletes(admin):
    admin.configureSimulatorFaults(apiname="destroyVirtualMachine", latencyms=SLOW_DELETE_MS)
    yield
    admin.configureSimulatorFaults(clear=True)


def run_pack(pytester, sim_config, simulator, *args, second=PLAIN_SECOND, first=None):
    source = PACK.replace("SECOND", second)
    if first is not None:
        source = source.replace("def test_one(deploy_vm):\n    deploy_vm()\n", textwrap.dedent(first))
    pytester.makefile(".yaml", marvin=sim_config(simulator))
    pytester.makepyfile(test_bg=source)
    return pytester.runpytest_subprocess("--marvin-config", "marvin.yaml", "--results-dir", "res", "-p",
                                         "no:cacheprovider", *args, timeout=180)


def marks(pytester) -> dict[str, float]:
    lines = (pytester.path / "marks.jsonl").read_text().splitlines()
    return {entry["name"]: entry["t"] for entry in map(json.loads, lines)}


def vm_deletion_times(pytester) -> list[float]:
    """When each VM of the run was deleted (the ledger's ``deleted`` events)."""
    events = []
    for path in (pytester.path / "res" / "ledger").glob("*.jsonl"):
        events += [json.loads(line) for line in path.read_text().splitlines()]
    return [dt.datetime.fromisoformat(e["time"]).timestamp() for e in events
            if e["event"] == DELETED and e["kind"] == "vm"]


def vm_deleted_at(pytester) -> float:
    (deleted,) = vm_deletion_times(pytester)
    return deleted


def test_the_next_test_starts_while_the_vm_is_still_being_deleted(pytester, sim_config, simulator, slow_vm_deletes):
    result = run_pack(pytester, sim_config, simulator)
    result.assert_outcomes(passed=2)
    assert marks(pytester)["two"] < vm_deleted_at(pytester), "test_two waited for test_one's cleanup"
    assert "none left behind" in result.stdout.str()


def test_inline_cleanup_deletes_before_the_next_test(pytester, sim_config, simulator, slow_vm_deletes):
    result = run_pack(pytester, sim_config, simulator, "--cleanup", "inline")
    result.assert_outcomes(passed=2)
    assert vm_deleted_at(pytester) < marks(pytester)["two"]


def test_a_serial_test_waits_for_the_background_cleanup(pytester, sim_config, simulator, slow_vm_deletes):
    result = run_pack(pytester, sim_config, simulator, second=SERIAL_SECOND)
    result.assert_outcomes(passed=2)
    assert vm_deleted_at(pytester) < marks(pytester)["two"]


def test_the_run_lock_covers_the_background_cleanup(pytester, sim_config, simulator, slow_vm_deletes):
    # Under xdist with serial tests the run lock is on (serial.py). While test_one's VM is still being
    # deleted, test_one must still hold its (shared) part of the lock, so that a serial test of another
    # worker cannot start beside the cleanup; test_two looks at the lock's state to see it.
    second = ("def test_two(run_context):\n"
              "    state = json.loads((run_context.shared_dir / 'serial' / 'state.json').read_text())\n"
              "    mark('readers ' + ' '.join(sorted(info['what'] for info in state['readers'].values())))")
    pytester.makepyfile(test_other="import pytest\n\n@pytest.mark.serial\ndef test_serial():\n    pass\n")
    result = run_pack(pytester, sim_config, simulator, "-n", "1", "--dist", "loadscope", second=second)
    result.assert_outcomes(passed=3)
    (readers,) = [name for name in marks(pytester) if name.startswith("readers ")]
    assert readers.split()[1:] == ["test_bg.py::test_one", "test_bg.py::test_two"]
    assert marks(pytester)["two"] < vm_deleted_at(pytester), "the cleanup was over: this proves nothing"


def test_a_stack_with_its_own_cleanups_runs_inline(pytester, sim_config, simulator, slow_vm_deletes):
    result = run_pack(pytester, sim_config, simulator, first=OWN_CLEANUP_FIRST)
    result.assert_outcomes(passed=2)
    seen = marks(pytester)
    assert seen["own cleanup of one"] < seen["two"]
    assert vm_deleted_at(pytester) < seen["two"]


def test_a_failed_background_cleanup_is_reported_naming_its_test(pytester, sim_config, simulator, admin):
    admin.configureSimulatorFaults(apiname="destroyVirtualMachine", errorrate=1.0, errortext="the disk is on fire")
    try:
        result = run_pack(pytester, sim_config, simulator, "--no-leak-check")
    finally:
        admin.configureSimulatorFaults(clear=True)
        for vm in admin.listVirtualMachines(listall=True) or []:  # what the failed cleanup left
            if "-one-" in (vm.get("name") or ""):
                admin.destroyVirtualMachine(id=vm.id, expunge=True)
    result.assert_outcomes(passed=2, errors=1)
    output = result.stdout.str()
    assert "the cleanup of test_bg.py::test_one (run in the background" in output
    assert "the disk is on fire" in output
    assert result.ret != 0


def test_its_api_calls_are_in_the_allure_report(pytester, sim_config, simulator, slow_vm_deletes):
    second = "def test_two(deploy_vm):\n    deploy_vm()\n    mark('two')\n\ndef test_three():"
    result = run_pack(pytester, sim_config, simulator, "--alluredir", "allure", second=second)
    result.assert_outcomes(passed=3)
    steps = []

    def walk(node):
        for step in node.get("steps", []):
            steps.append(step)
            walk(step)

    for path in Path(pytester.path / "allure").glob("*.json"):
        data = json.loads(path.read_text())
        if isinstance(data, dict):
            walk(data)
            for fixture in data.get("befores", []) + data.get("afters", []):
                walk(fixture)
    background = [s for s in steps if s["name"].startswith("background cleanup of test_bg.py::test_one")]
    assert len(background) == 1, [s["name"] for s in steps if "background" in s["name"]]
    inner = [s["name"] for s in background[0].get("steps", [])]
    assert any(name.startswith("destroyVirtualMachine") for name in inner), inner
    assert background[0]["status"] == "passed"


def test_a_test_that_made_many_resources_cleans_up_inline(pytester, sim_config, simulator, slow_vm_deletes):
    # Seven VMs and their network: the account would hold two tests' worth against its limits.
    first = "def test_one(deploy_vm, create_network):\n    network = create_network()\n" \
            "    for _ in range(7):\n        deploy_vm(networkids=[network.id])\n"
    result = run_pack(pytester, sim_config, simulator, first=first)
    result.assert_outcomes(passed=2)
    deleted = vm_deletion_times(pytester)
    assert len(deleted) == 7 and max(deleted) < marks(pytester)["two"]
