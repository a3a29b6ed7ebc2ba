"""Fail fast: a cloud that is down, refuses the keys or lacks the configured
things ends the run in seconds with ONE message; a cloud that dies mid-run
stops the run, and the summary says how many tests were not run and why."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time

import pytest

pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestAssertRewriteWarning")

PACK = """
    def test_one(cloud): cloud.listZones()
    def test_two(cloud): cloud.listZones()
    def test_offline(): pass
"""

SIMULATOR_SCRIPT = """
import sys, time
from marvin2.simulator import start_simulator
sim = start_simulator(port=0, profile="instant")
print(sim.endpoint, sim.admin_api_key, sim.admin_secret_key, flush=True)
time.sleep(600)
"""


@pytest.fixture
def simulator_process():
    """A simulator in a process of its own (so that a test can kill it): (process, endpoint, key, secret)."""
    process = subprocess.Popen([sys.executable, "-c", SIMULATOR_SCRIPT], stdout=subprocess.PIPE, text=True,
                               env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    try:
        line = process.stdout.readline().split()
        assert len(line) == 3, "the simulator did not start"
        yield process, *line
    finally:
        process.kill()
        process.wait(10)


def write_config(pytester, name, url, key, secret, extra=""):
    path = pytester.path / name
    path.write_text(f"management_servers:\n  - url: {url}\n    api_key: {key}\n    secret_key: {secret}\n"
                    f"zone: Sandbox-simulator\nhypervisor: Simulator\n{extra}", encoding="utf-8")
    return path


def run(pytester, config, *args, timeout=60):
    started = time.monotonic()
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--marvin-config", str(config), *args,
                                           timeout=timeout)
    return result, time.monotonic() - started


def assert_one_message(result, *parts):
    text = result.stdout.str() + result.stderr.str()
    lines = [line for line in text.splitlines() if line.startswith("marvin2: the cloud at")]
    assert len(lines) == 1, text
    for part in parts:
        assert part in lines[0], lines[0]
    assert "Traceback" not in text and "Error" not in text.replace(lines[0], ""), text
    assert result.ret == pytest.ExitCode.INTERRUPTED
    return lines[0]


@pytest.mark.parametrize("workers", [(), ("-n", "2")], ids=["alone", "xdist"])
def test_an_unreachable_cloud_ends_in_seconds_with_one_message(pytester, pack, workers):
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    pack(test_x=PACK)
    config = write_config(pytester, "down.yaml", f"http://127.0.0.1:{port}/client/api", "key-of-nobody", "secret")
    result, elapsed = run(pytester, config, *workers)
    assert_one_message(result, f"127.0.0.1:{port}", "connection refused", "down.yaml")
    assert elapsed < 30, f"{elapsed:.0f}s"


def test_a_server_that_never_answers_is_a_timeout(pytester, pack):
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)  # connections are accepted by the kernel, nothing is ever answered
        port = silent.getsockname()[1]
        pack(test_x=PACK)
        config = write_config(pytester, "silent.yaml", f"http://127.0.0.1:{port}/client/api", "k", "s",
                              "timeouts: {connect: 2, read: 2}\n")
        result, elapsed = run(pytester, config)
    assert_one_message(result, "did not answer", "read timeout")
    assert elapsed < 30, f"{elapsed:.0f}s"


def test_a_wrong_key_names_its_first_characters_only(pytester, pack, simulator_process):
    _, endpoint, key, secret = simulator_process
    pack(test_x=PACK)
    config = write_config(pytester, "wrong.yaml", endpoint, key, "not-the-secret")
    result, elapsed = run(pytester, config)
    line = assert_one_message(result, "401", f"'{key[:4]}...'", "api_key/secret_key")
    assert key not in result.stdout.str() + result.stderr.str() and "not-the-secret" not in line
    assert elapsed < 45


def test_missing_test_data_is_named(pytester, pack, simulator_process):
    _, endpoint, key, secret = simulator_process
    pack(test_x=PACK)
    config = write_config(pytester, "tpl.yaml", endpoint, key, secret, "test_data: {template: Ubuntu 99.04}\n")
    result, _ = run(pytester, config)
    assert_one_message(result, "test_data template", "'Ubuntu 99.04' not found", "Fix test_data.template")
    good = write_config(pytester, "good.yaml", endpoint, key, secret,
                        "test_data: {template: 'CentOS 5.6 (64-bit) no GUI (Simulator)', service_offering: Small Instance}\n")
    result, _ = run(pytester, good)
    result.assert_outcomes(passed=3)
    # the header names the cloud under test; run.json records it for `marvin2 cleanup` (no secrets)
    header = next(line for line in result.stdout.lines if line.startswith("marvin2: endpoint"))
    assert header.startswith(f"marvin2: endpoint {endpoint}, CloudStack 4.") and "zone Sandbox-simulator" in header
    assert "hypervisor Simulator, run id " in header
    assert f"marvin2: config {good}" in result.stdout.lines
    records = list((pytester.path / ".marvin2" / "runs").glob("*/run.json"))
    text = max(records, key=lambda p: p.stat().st_mtime).read_text()
    assert endpoint in text and str(good) in text and secret not in text and key not in text


def test_without_cloud_tests_there_is_no_check(pytester, pack, offline_config):
    pack(test_x="def test_offline(): pass\n")
    result, _ = run(pytester, offline_config)
    result.assert_outcomes(passed=1)
    result, _ = run(pytester, offline_config, "--no-health-check")
    result.assert_outcomes(passed=1)


def test_a_cloud_that_dies_mid_run_stops_the_run(pytester, pack, simulator_process):
    process, endpoint, key, secret = simulator_process
    pack(test_x=f"""
        import os, signal

        def test_first(cloud): cloud.listZones()

        def test_kills_the_cloud(cloud):
            os.kill({process.pid}, signal.SIGKILL)

    """ + "\n".join(f"        def test_after_{n}(cloud): cloud.listZones()\n" for n in range(20)))
    pytester.makeini("[pytest]\nmarvin_max_transport_failures = 3\n")
    config = write_config(pytester, "dies.yaml", endpoint, key, secret)
    result, elapsed = run(pytester, config)
    text = result.stdout.str()
    assert "marvin2: run stopped early" in text, text
    line = next(l for l in text.splitlines() if "test(s) not run:" in l)
    not_run = int(line.split()[0])
    assert 10 <= not_run < 20 and "the cloud stopped answering: 3 transport failures in a row" in line, line
    assert result.ret != 0 and "marvin2: results" in text
    assert elapsed < 60
