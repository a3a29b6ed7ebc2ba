"""Ctrl-C under `marvin2 run`: the fixtures clean up, then the summary says where
the results are and what was left; a second Ctrl-C skips the cleanup and says
what it left and how to remove it."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from marvin2.resources import ledger as L

REPO = Path(__file__).resolve().parents[3]

PACK = """
import os, time
import pytest

@pytest.fixture
def slow_teardown():
    yield
    if os.environ.get("SLOW_TEARDOWN"):
        time.sleep(30)       # a cleanup that takes long: the second Ctrl-C comes during it

def test_holds_an_account(test_account, slow_teardown):
    open(os.environ["STARTED_FILE"], "w").write("started")
    time.sleep(60)

def test_never_reached():
    pass
"""


def start_run(tmp_path: Path, *extra: str, **env: str) -> tuple[subprocess.Popen, Path]:
    (tmp_path / "tests" / "smoke").mkdir(parents=True)
    (tmp_path / "tests" / "smoke" / "test_slow.py").write_text(PACK)
    (tmp_path / "sim.yaml").write_text("simulator: {profile: instant}\nzone: Sandbox-simulator\nhypervisor: Simulator\n")
    started = tmp_path / "started"
    process = subprocess.Popen(
        [sys.executable, "-m", "marvin2.cli", "run", "--config", "sim.yaml", "--run-id", "ctrl-c-run", "tests/smoke",
         "-p", "no:cacheprovider", *extra],
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env={**os.environ, "PYTHONPATH": str(REPO), "STARTED_FILE": str(started), **env})
    deadline = time.monotonic() + 90
    while not started.exists():
        assert process.poll() is None, process.stdout.read()
        assert time.monotonic() < deadline, "the test never started"
        time.sleep(0.1)
    return process, tmp_path / ".marvin2" / "runs" / "ctrl-c-run"


def finish(process: subprocess.Popen) -> str:
    try:
        out, _ = process.communicate(timeout=90)
    finally:
        process.kill()
    return out


@pytest.mark.parametrize("workers", [(), ("-n", "2")], ids=["alone", "xdist"])
def test_ctrl_c_cleans_up_and_prints_the_summary(tmp_path, workers):
    process, results = start_run(tmp_path, *workers)
    interrupted_at = time.monotonic()
    process.send_signal(signal.SIGINT)   # what the terminal sends to the foreground group (marvin2 run)
    out = finish(process)
    assert time.monotonic() - interrupted_at < 60, out
    assert process.returncode == pytest.ExitCode.INTERRUPTED, out
    assert "fixtures are cleaning up" in out and "Press Ctrl-C again" in out
    assert "marvin2 run ctrl-c-run: pytest exit code 2" in out
    assert f"results: {results}" in out
    assert "interrupted (SIGINT): fixtures cleaned up" in out and "nothing left according to the ledger" in out
    assert f"marvin2 cleanup --run-id ctrl-c-run --results-dir {results}" in out
    ledger = L.read_ledger(results, run_id="ctrl-c-run")
    assert [r.kind for r in ledger] == ["account"] and L.outstanding(ledger) == [], ledger


def test_a_second_ctrl_c_skips_cleanup_and_says_what_is_left(tmp_path):
    process, results = start_run(tmp_path, SLOW_TEARDOWN="1")
    process.send_signal(signal.SIGINT)
    time.sleep(2)                        # the slow teardown is running
    process.send_signal(signal.SIGINT)
    out = finish(process)
    assert process.returncode != 0
    assert "stopping at once: cleanup skipped" in out
    assert "interrupted (SIGINT, SIGINT): cleanup skipped" in out
    assert "1 resource(s) left (account); remove them with:" in out
    assert f"marvin2 cleanup --run-id ctrl-c-run --results-dir {results}" in out


def test_sigterm_is_a_ctrl_c(tmp_path):
    process, results = start_run(tmp_path)
    process.send_signal(signal.SIGTERM)
    out = finish(process)
    assert "interrupted (SIGTERM): fixtures cleaned up" in out, out
    assert L.outstanding(L.read_ledger(results, run_id="ctrl-c-run")) == []
