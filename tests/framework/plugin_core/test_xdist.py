"""Under xdist: serial tests never overlap another test; --dist loadscope keeps modules together.

pytest 9.2 broke ``--dist loadgroup``; marvin2 relies on ``loadscope`` (one
worker per module, so module-scoped fixtures are made once). Keep the
loadscope test: it catches a regression of that kind.
"""
from __future__ import annotations

import json
import time

import pytest

pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestAssertRewriteWarning")

# Every test records (nodeid, worker, serial?, start, end) from the start of
# its setup to the end of its teardown, the span the run lock must cover.
RECORDING_CONFTEST = """
    import json, os, time
    import pytest

    @pytest.fixture(autouse=True)
    def record_span(request):
        start = time.time()
        yield
        entry = {"id": request.node.nodeid, "worker": os.environ.get("PYTEST_XDIST_WORKER", "master"),
                 "serial": request.node.get_closest_marker("serial") is not None,
                 "start": start, "end": time.time()}
        with open(os.environ["SPANS_FILE"], "a") as spans:
            spans.write(json.dumps(entry) + "\\n")
"""

MODULE = """
    import time
    import pytest

    @pytest.mark.parametrize("i", range(4))
    def test_parallel(i):
        time.sleep(0.04)

    @pytest.mark.serial
    def test_changes_global_settings():
        time.sleep(0.08)

    @pytest.mark.parametrize("i", range(2))
    def test_parallel_after(i):
        time.sleep(0.04)
"""


def read_spans(path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def overlaps(spans: list[dict]) -> list[tuple[str, str]]:
    """Pairs (serial test, other test) whose spans intersect."""
    found = []
    for serial in (s for s in spans if s["serial"]):
        for other in spans:
            if other is not serial and other["start"] < serial["end"] and serial["start"] < other["end"]:
                found.append((serial["id"], other["id"]))
    return found


def run_pack(pytester, pack, monkeypatch, *extra):
    pack(conftest=RECORDING_CONFTEST, test_alpha=MODULE, test_beta=MODULE, test_gamma=MODULE)
    spans_file = pytester.path / "spans.jsonl"
    spans_file.unlink(missing_ok=True)
    monkeypatch.setenv("SPANS_FILE", str(spans_file))
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-n", "3", "--dist", "loadscope", *extra,
                                           timeout=120)
    return result, read_spans(spans_file)


def test_serial_tests_never_overlap_any_other_test(pytester, pack, monkeypatch):
    result, spans = run_pack(pytester, pack, monkeypatch)
    result.assert_outcomes(passed=21)
    assert len(spans) == 21
    assert len({s["worker"] for s in spans}) > 1, "the run was not parallel, so it proves nothing"
    assert overlaps(spans) == []
    # --dist loadscope: every module's parallel tests ran on exactly one worker,
    # and the serial tests, grouped (scheduling.py), on one worker too
    workers_of = {}
    for span in spans:
        unit = "serial group" if span["serial"] else span["id"].split("::")[0]
        workers_of.setdefault(unit, set()).add(span["worker"])
    assert all(len(workers) == 1 for workers in workers_of.values()), workers_of


def test_the_overlap_check_sees_overlaps_without_the_lock(pytester, pack, monkeypatch):
    # Control: the same pack with the serial module disabled must overlap,
    # otherwise the test above could pass without the lock doing anything.
    # (scheduling.py off too: it runs the serial tests last, often after the others ended.)
    result, spans = run_pack(pytester, pack, monkeypatch, "-p", "no:marvin2.serial", "-p", "no:marvin2.scheduling",
                             "-W", "ignore::pytest.PytestUnknownMarkWarning")
    result.assert_outcomes(passed=21)
    assert overlaps(spans) != []


def test_loadscope_keeps_each_module_on_one_worker(pytester, pack, monkeypatch):
    modules = {f"test_mod{n}": """
        import os, time

        def test_a(): time.sleep(0.02)
        def test_b(): time.sleep(0.02)
        def test_c(): time.sleep(0.02)
        def test_d(): time.sleep(0.02)
    """ for n in range(5)}
    pack(conftest=RECORDING_CONFTEST, **modules)
    spans_file = pytester.path / "spans.jsonl"
    monkeypatch.setenv("SPANS_FILE", str(spans_file))
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-n", "2", "--dist", "loadscope", timeout=120)
    result.assert_outcomes(passed=20)
    spans = read_spans(spans_file)
    workers_of = {}
    for span in spans:
        workers_of.setdefault(span["id"].split("::")[0], set()).add(span["worker"])
    assert len(workers_of) == 5
    assert all(len(workers) == 1 for workers in workers_of.values()), workers_of
    assert len(set().union(*workers_of.values())) == 2, "both workers should have had modules"


def test_modules_with_serial_tests_are_collected_last(pytester, pack):
    pack(
        test_a_settings="""
            import pytest

            def test_plain(): pass

            @pytest.mark.serial
            def test_changes_settings(): pass
        """,
        test_b_plain="def test_one(): pass\ndef test_two(): pass",
        test_c_plain="def test_three(): pass",
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--collect-only", "-q", timeout=120)
    order = [line for line in result.stdout.lines if "::" in line]
    assert order == [
        "test_b_plain.py::test_one", "test_b_plain.py::test_two", "test_c_plain.py::test_three",
        "test_a_settings.py::test_plain", "test_a_settings.py::test_changes_settings",
    ]


@pytest.mark.parametrize("scheduling", ["off", "on"])
def test_a_killed_worker_does_not_hang_the_run(pytester, pack, scheduling):
    # A worker SIGKILLed while it holds the run lock as a reader stays a zombie
    # (os.kill(pid, 0) still succeeds); the serial test waiting for it must go
    # ahead at once, not after marvin_serial_timeout (120 s here). With
    # scheduling.py off, the serial test stays in its module and waits for the
    # victim; with it on (the serial group runs last), the replacement worker
    # must still be given the rest of the dead worker's work.
    pack(
        test_a_victim="""
            import os, signal, time

            def test_dies(tmp_path_factory):
                (tmp_path_factory.getbasetemp().parent / "victim-started").touch()
                time.sleep(2)
                os.kill(os.getpid(), signal.SIGKILL)

            def test_after_the_victim(): pass
        """,
        test_b_serial="""
            import time
            import pytest

            def test_waits_for_the_victim_to_start(tmp_path_factory):
                marker = tmp_path_factory.getbasetemp().parent / "victim-started"
                deadline = time.monotonic() + 60
                while not marker.exists():
                    assert time.monotonic() < deadline, "the victim never started"
                    time.sleep(0.05)

            @pytest.mark.serial
            def test_serial_after_the_victim(): pass
        """,
        **{"pytest.ini": "[pytest]\nmarvin_serial_timeout = 120\n"},
    )
    started = time.monotonic()
    extra = ("-p", "no:marvin2.scheduling") if scheduling == "off" else ()
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-n", "2", "--dist", "loadscope",
                                           "--junitxml", "junit.xml", *extra, timeout=110)
    elapsed = time.monotonic() - started
    assert elapsed < 60, f"the run took {elapsed:.0f}s: the dead worker's lock entry was kept"
    # The crashed test is reported once (not run again by each replacement
    # worker, which loadscope would do); the rest of its module still runs.
    result.assert_outcomes(passed=3, failed=1)
    result.stdout.fnmatch_lines(["*worker*crashed while running*test_a_victim.py::test_dies*"])
    junit = (pytester.path / "junit.xml").read_text()
    if scheduling == "off":
        assert 'name="marvin2_serial_wait_seconds"' in junit, "the serial test never waited: the run proves nothing"
