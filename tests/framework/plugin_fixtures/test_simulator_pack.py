"""The fixtures, ledger and `marvin2 cleanup` against the real simulator (instant profile).

- the example pack under example_pack/ runs with `-n 4` and leaves the cloud
  exactly as it found it (checked with the API), and the ledger says so;
- a run killed mid-way, then `marvin2 cleanup`, leaves ZERO resources.

The simulator runs in this process (a thread; `simulator` and `admin` come
from conftest.py); the packs run in pytest subprocesses pointed at it through
a `management_servers` config, so the state can be inspected before and after.
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
PACK = HERE / "example_pack"
REPO = HERE.parents[2]

# What a run may create, listed as the admin sees it; a clean run leaves these as they were.
INVENTORY = {
    "vm": ("listVirtualMachines", {"listall": True}),
    "volume": ("listVolumes", {"listall": True}),
    "snapshot": ("listSnapshots", {"listall": True}),
    "network": ("listNetworks", {"listall": True}),
    "vpc": ("listVPCs", {"listall": True}),
    "public_ip": ("listPublicIpAddresses", {"listall": True, "allocatedonly": True}),
    "account": ("listAccounts", {"listall": True}),
    "user": ("listUsers", {"listall": True}),
    "vm_snapshot": ("listVMSnapshot", {"listall": True}),
    "template": ("listTemplates", {"listall": True, "templatefilter": "all"}),
    "firewall_rule": ("listFirewallRules", {"listall": True}),
    "port_forwarding_rule": ("listPortForwardingRules", {"listall": True}),
    "tag": ("listTags", {"listall": True}),
}


@pytest.fixture
def config_file(tmp_path, simulator, sim_config) -> Path:
    path = tmp_path / "sim-cloud.yaml"
    path.write_text(sim_config(simulator))
    return path


def inventory(api) -> dict[str, set[str]]:
    found = {}
    for kind, (command, params) in INVENTORY.items():
        records = api.call(command, dict(params)) if hasattr(api, "call") else getattr(api, command)(**params)
        found[kind] = {r.get("id") or f"{r['resourceid']}/{r['key']}" for r in records or []}
    return found


def run_pytest(pack_dir: Path, config: Path, results: Path, run_id: str, *args: str, **popen) -> subprocess.Popen:
    command = [sys.executable, "-m", "pytest", str(pack_dir), "--marvin-config", str(config), "--run-id", run_id,
               "--results-dir", str(results), "-p", "no:cacheprovider", "-q", *args]
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    return subprocess.Popen(command, cwd=pack_dir, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, **popen)


def test_example_pack_in_parallel_leaves_nothing_behind(tmp_path, admin, config_file):
    before = inventory(admin)
    pack = tmp_path / "pack"
    shutil.copytree(PACK, pack)
    results = tmp_path / "results"
    process = run_pytest(pack, config_file, results, "pack-n4", "-n", "4")
    output, _ = process.communicate(timeout=300)
    assert process.returncode == 0, output
    assert " passed" in output and "failed" not in output, output

    from marvin2.resources.ledger import read_ledger

    ledger = read_ledger(results, run_id="pack-n4")
    workers = {r.created["worker"] for r in ledger}
    assert len(workers) >= 2, workers  # really ran in parallel
    accounts = [r for r in ledger if r.kind == "account"]
    assert len(accounts) == len(workers)  # one isolated account per worker
    assert {r.kind for r in ledger} >= {"vm", "network", "volume", "snapshot", "public_ip", "vpc", "account"}
    assert {r.status for r in ledger} <= {"deleted", "already-gone"}, [r.describe() for r in ledger if r.outstanding]
    summary = json.loads((results / "ledger-summary.json").read_text())
    assert summary["leaks"] == 0 and summary["created"] == len(ledger)
    assert not (results / "leaks.json").exists()
    assert inventory(admin) == before, admin.listTags(listall=True)

    # discovery happened once per run, not once per worker
    lookups = [json.loads(line)["key"] for line in
               (results / "shared" / "discovery" / "lookups.log").read_text().splitlines()]
    assert len(lookups) == len(set(lookups)) and any(k.startswith("template:") for k in lookups)


KILL_PACK = '''
import os, time
from pathlib import Path

def test_{n}(create_network, deploy_vm, create_volume, acquire_public_ip, create_vpc):
    net = create_network()
    deploy_vm(networkids=[net.id])
    create_volume()
    acquire_public_ip(networkid=net.id)
    create_vpc()
    Path(os.environ["MARKER_DIR"], "{n}").write_text("ready")
    time.sleep(120)  # killed here
'''


def test_killed_run_then_cleanup_leaves_zero_resources(tmp_path, admin, config_file):
    before = inventory(admin)
    pack = tmp_path / "killpack"
    pack.mkdir()
    (pack / "pytest.ini").write_text("[pytest]\n")
    for n in ("a", "b"):
        (pack / f"test_kill_{n}.py").write_text(KILL_PACK.format(n=n))
    markers = tmp_path / "markers"
    markers.mkdir()
    results = tmp_path / "results"
    os.environ["MARKER_DIR"] = str(markers)
    try:
        process = run_pytest(pack, config_file, results, "killed-run", "-n", "2", start_new_session=True)
        deadline = time.monotonic() + 120
        while len(list(markers.iterdir())) < 2:
            assert process.poll() is None, process.communicate()[0]
            assert time.monotonic() < deadline, "the pack never got to its sleep"
            time.sleep(0.1)
        os.killpg(process.pid, signal.SIGKILL)  # the controller and its workers, no teardown at all
        process.communicate(timeout=30)
    finally:
        del os.environ["MARKER_DIR"]

    left = {k: v - before[k] for k, v in inventory(admin).items()}
    assert left["vm"] and left["network"] and left["account"] and left["vpc"]  # the kill really left things behind

    cleanup = subprocess.run(
        [sys.executable, "-m", "marvin2.cli", "cleanup", "--run-id", "killed-run", "--results-dir", str(results),
         "--config", str(config_file)], capture_output=True, text=True, timeout=300)
    assert cleanup.returncode == 0, cleanup.stdout + cleanup.stderr
    assert "0 failed" in cleanup.stdout, cleanup.stdout
    assert inventory(admin) == before, cleanup.stdout


FAILING_PACK = '''
import pytest

@pytest.fixture
def broken_setup(deploy_vm, create_volume):
    deploy_vm()
    create_volume()
    raise RuntimeError("setup broke after creating things")

def test_fails(create_network, deploy_vm, acquire_public_ip):
    net = create_network()
    deploy_vm(networkids=[net.id])
    acquire_public_ip(networkid=net.id)
    assert False, "the test failed"

def test_setup_error(broken_setup):
    pass

def test_deploy_job_fails(deploy_vm, cloud):
    cloud.configureSimulatorFaults(apiname="deployVirtualMachine", jobfailurerate=1.0)
    try:
        deploy_vm()
    finally:
        cloud.configureSimulatorFaults(clear=True)
'''


def test_failures_and_setup_errors_on_the_simulator_leave_nothing(tmp_path, admin, config_file):
    before = inventory(admin)
    pack = tmp_path / "failpack"
    pack.mkdir()
    (pack / "pytest.ini").write_text("[pytest]\n")
    (pack / "test_failing.py").write_text(FAILING_PACK)
    results = tmp_path / "results"
    process = run_pytest(pack, config_file, results, "fail-run")
    output, _ = process.communicate(timeout=300)
    assert "2 failed, 1 error" in output, output
    assert "setup broke after creating things" in output and "failure injected" in output
    from marvin2.resources.ledger import read_ledger

    ledger = read_ledger(results, run_id="fail-run")
    by_test = {}
    for resource in ledger:
        by_test.setdefault(resource.created["test"].split("::")[-1], []).append((resource.kind, resource.status))
    assert sorted(by_test["test_setup_error"]) == [("network", "deleted"), ("vm", "deleted"), ("volume", "deleted")]
    assert sorted(by_test["test_deploy_job_fails"]) == [("network", "deleted"), ("vm", "deleted")]
    assert json.loads((results / "ledger-summary.json").read_text())["leaks"] == 0
    assert inventory(admin) == before
