"""The readers/writer run lock behind @pytest.mark.serial, on its own."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time

import pytest

from marvin2.pytest_plugin.serial import RunLock, SerialLockTimeout


def test_shared_holders_coexist_and_exclusive_waits_for_them(tmp_path):
    lock = RunLock(tmp_path, timeout=5)
    first = lock.acquire(exclusive=False, what="test_a")
    second = lock.acquire(exclusive=False, what="test_b")
    acquired_at = []

    def serial():
        holder = lock.acquire(exclusive=True, what="test_serial")
        acquired_at.append(time.monotonic())
        acquired_at.append(holder.waited)
        lock.release(holder)

    thread = threading.Thread(target=serial)
    thread.start()
    time.sleep(0.2)
    assert not acquired_at, "exclusive must wait while shared holders run"
    lock.release(first)
    time.sleep(0.2)
    assert not acquired_at
    released_at = time.monotonic()
    lock.release(second)
    thread.join(5)
    assert acquired_at and acquired_at[0] >= released_at
    assert acquired_at[1] >= 0.4  # the wait is measured (reported as a JUnit property when >= 1 s)
    assert first.waited < 0.4 and second.waited < 0.4


def test_a_waiting_serial_test_holds_new_tests_back(tmp_path):
    lock = RunLock(tmp_path, timeout=0.3)
    reader = lock.acquire(exclusive=False, what="test_running")
    outcome = []

    def serial():
        try:
            lock.acquire(exclusive=True, what="test_serial")
            outcome.append("acquired")
        except SerialLockTimeout:
            outcome.append("timed out")

    waiter = threading.Thread(target=serial)
    waiter.start()
    time.sleep(0.1)
    with pytest.raises(SerialLockTimeout) as caught:
        RunLock(tmp_path, timeout=0.1).acquire(exclusive=False, what="test_new")
    assert "waiting serial test(s): test_serial" in str(caught.value)
    waiter.join(5)
    assert outcome == ["timed out"]  # the reader never let go
    lock.release(reader)
    # the timed-out writer withdrew: new tests run again
    lock.release(lock.acquire(exclusive=False, what="test_after"))


def test_timeout_names_what_blocks(tmp_path):
    lock = RunLock(tmp_path, timeout=0.2)
    lock.acquire(exclusive=False, what="tests/test_x.py::test_slow")
    with pytest.raises(SerialLockTimeout) as caught:
        lock.acquire(exclusive=True, what="tests/test_y.py::test_settings")
    message = str(caught.value)
    assert message.startswith("tests/test_y.py::test_settings: waited 0.2s to run exclusively (serial test)")
    assert "1 running test(s): tests/test_x.py::test_slow" in message
    assert "marvin_serial_timeout" in message


def test_entries_of_dead_processes_are_dropped(tmp_path):
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    (tmp_path / "state.json").write_text(json.dumps({
        "readers": {f"{gone.pid}-1": {"pid": gone.pid, "what": "test_of_a_crashed_worker"}},
        "writer": None, "waiting": {}}))
    lock = RunLock(tmp_path, timeout=1)
    holder = lock.acquire(exclusive=True, what="test_serial")
    lock.release(holder)
    state = json.loads((tmp_path / "state.json").read_text())
    assert state == {"readers": {}, "writer": None, "waiting": {}}


def test_long_waits_are_reported_in_the_summary(pytester):
    # The reporting side: a setup report carrying the wait property (as the
    # lock sets it under xdist) shows up in the terminal summary and JUnit XML.
    pytester.makeconftest("""
        import pytest
        from marvin2.pytest_plugin.serial import WAIT_PROPERTY

        @pytest.hookimpl(tryfirst=True)
        def pytest_runtest_setup(item):
            if item.name == "test_waited":
                item.user_properties.append((WAIT_PROPERTY, 12.5))
    """)
    pytester.makepyfile(test_waits="def test_waited(): pass\n\ndef test_free(): pass\n")
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider", "--junitxml", "junit.xml",
                                          "-W", "ignore::pytest.PytestAssertRewriteWarning")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(["*marvin2: waits for @serial tests*",
                                 "1 test(s) waited 12.5s in all*", "    12.5s  test_waits.py::test_waited"])
    assert 'name="marvin2_serial_wait_seconds" value="12.5"' in (pytester.path / "junit.xml").read_text()


def test_entries_of_zombies_and_reused_process_ids_are_dropped(tmp_path):
    # A SIGKILLed xdist worker stays a zombie until the controller reaps it, and
    # os.kill(pid, 0) succeeds on a zombie: the lock must look at the process state.
    zombie = subprocess.Popen([sys.executable, "-c", "pass"])
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with open(f"/proc/{zombie.pid}/stat") as stat:
            if stat.read().rsplit(")", 1)[1].split()[0] == "Z":
                break
        time.sleep(0.02)
    else:
        pytest.fail("the child never became a zombie")
    try:
        (tmp_path / "state.json").write_text(json.dumps({
            "readers": {f"{zombie.pid}-1": {"pid": zombie.pid, "what": "test_of_a_killed_worker"},
                        # this very process, but started at another time: its pid was reused
                        "reused-1": {"pid": os.getpid(), "start": "1", "what": "test_of_an_older_process"}},
            "writer": None, "waiting": {}}))
        lock = RunLock(tmp_path, timeout=1)
        started = time.monotonic()
        holder = lock.acquire(exclusive=True, what="test_serial")
        assert time.monotonic() - started < 0.5, "the zombie's entry was not dropped at once"
        lock.release(holder)
        assert json.loads((tmp_path / "state.json").read_text())["readers"] == {}
    finally:
        zombie.wait()


def test_entries_of_live_processes_are_kept(tmp_path):
    lock = RunLock(tmp_path, timeout=0.2)
    reader = lock.acquire(exclusive=False, what="test_running")
    with pytest.raises(SerialLockTimeout, match="test_running"):
        RunLock(tmp_path, timeout=0.2).acquire(exclusive=True, what="test_serial")
    lock.release(reader)
