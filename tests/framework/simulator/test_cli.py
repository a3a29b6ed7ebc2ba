"""``marvin2 simulator`` as a process: ready file, endpoint line, clean stop on SIGTERM."""
from __future__ import annotations

import json
import signal
import subprocess
import sys
import time

from sim_testlib import RawClient


def test_cli_ready_file_and_sigterm(tmp_path):
    ready = tmp_path / "ready.json"
    proc = subprocess.Popen([sys.executable, "-m", "marvin2.cli", "simulator", "--port", "0", "--empty",
                             "--profile", "instant", "--ready-file", str(ready)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 30
        while not ready.exists():
            assert proc.poll() is None, proc.stderr.read()
            assert time.monotonic() < deadline, "no ready file after 30 s"
            time.sleep(0.05)
        info = json.loads(ready.read_text())
        assert (ready.stat().st_mode & 0o777) == 0o600
        client = RawClient(info["endpoint"], info["api_key"], info["secret_key"])
        assert client.ok("listZones") == {}
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=15)
        assert proc.returncode == 0, err
        assert f"endpoint: {info['endpoint']}" in out
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(5)


def test_cli_rejects_a_missing_seed_file(tmp_path):
    out = subprocess.run([sys.executable, "-m", "marvin2.cli", "simulator", "--port", "0", "--seed",
                          str(tmp_path / "nope.yaml")], capture_output=True, text=True, timeout=30)
    assert out.returncode == 1
    assert "nope.yaml" in out.stderr and "seed" in out.stderr


def test_cli_coverage_counts_implemented_apis_of_the_target_release(capsys):
    from marvin2.cli import main
    from marvin2.simulator import facts
    from marvin2.simulator.declare import REGISTRY

    assert main(["simulator", "--coverage", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    offered = {c.name for c in facts.offered_commands()}
    assert report["cloudstack_version"] == "4.20.2.0" and report["offered"] == len(offered)
    assert set(report["implemented"]) | set(report["not_implemented"]) == offered
    assert not set(report["implemented"]) & set(report["not_implemented"])
    assert set(report["implemented"]) == {a.name for a in REGISTRY.implemented()}
    assert report["implemented_count"] == len(report["implemented"])
    assert "configureSimulatorFaults" in report["simulator_extensions"]
    assert main(["simulator", "--coverage"]) == 0
    line = capsys.readouterr().out
    assert f"implemented {report['implemented_count']} of {len(offered)} APIs" in line
