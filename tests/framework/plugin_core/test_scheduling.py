"""Under ``--dist loadscope``: modules by recorded duration, serial tests as one group dispatched last."""
from __future__ import annotations

import json

import pytest

from marvin2.pytest_plugin.scheduling import SERIAL_SCOPE, scope_order

from test_xdist import RECORDING_CONFTEST, overlaps, read_spans

pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestAssertRewriteWarning")


def test_scope_order_puts_the_longest_units_first_and_the_serial_group_last():
    nodeids = ["a.py::t1", "a.py::t2", "b.py::t1", "c.py::K::t1", "c.py::K::t2", "d.py::s1", "e.py::s2"]
    durations = {"a.py::t1": 1, "a.py::t2": 1, "b.py::t1": 10, "c.py::K::t1": 3, "c.py::K::t2": 4,
                 "d.py::s1": 0.5, "e.py::s2": 0.5}
    order = scope_order(nodeids, {"d.py::s1", "e.py::s2"}, durations)
    assert order == ["b.py", "c.py::K", "a.py", SERIAL_SCOPE]
    # no durations at all: every test counts the same, ties keep the collection order
    assert scope_order(nodeids, set(), {}) == ["a.py", "c.py::K", "b.py", "d.py", "e.py"]


SERIAL_MODULE = """
    import time
    import pytest

    @pytest.mark.parametrize("i", range(3))
    def test_parallel(i):
        time.sleep(0.3)

    @pytest.mark.serial
    def test_serial_one():
        time.sleep(0.05)

    @pytest.mark.serial
    def test_serial_two():
        time.sleep(0.05)
"""


def test_serial_tests_run_back_to_back_on_one_worker_last_and_drain_once(pytester, pack, monkeypatch):
    modules = {f"test_mod{n}": SERIAL_MODULE for n in range(3)}
    modules["test_long"] = "import time\n\ndef test_long():\n    time.sleep(0.3)\n"
    pack(conftest=RECORDING_CONFTEST, **modules)
    durations = pytester.path / "durations.json"
    recorded = {f"test_mod{n}.py::{name}": 0.3 for n in range(3)
                for name in ("test_parallel[0]", "test_parallel[1]", "test_parallel[2]", "test_serial_one",
                             "test_serial_two")}
    durations.write_text(json.dumps({**recorded, "test_long.py::test_long": 100.0}))
    spans_file = pytester.path / "spans.jsonl"
    monkeypatch.setenv("SPANS_FILE", str(spans_file))
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-n", "3", "--dist", "loadscope",
                                           "--durations-file", str(durations), "--results-dir", "res",
                                           "--junitxml", "junit.xml", timeout=120)
    result.assert_outcomes(passed=16)
    spans = sorted(read_spans(spans_file), key=lambda s: s["start"])
    assert overlaps(spans) == []
    serial = [s for s in spans if s["serial"]]
    assert len({s["worker"] for s in serial}) == 1, "the serial group runs on one worker"
    # back to back: no other test started between the first and the last serial test
    first, last = spans.index(serial[0]), spans.index(serial[-1])
    assert all(s["serial"] for s in spans[first:last + 1])
    # and only once every other test had started: no test of another unit waited behind the group
    assert max(s["start"] for s in spans if not s["serial"]) < serial[0]["start"]
    # last: the serial worker ran every other unit it got before the group
    on_that_worker = [s for s in spans if s["worker"] == serial[0]["worker"]]
    assert on_that_worker[-len(serial):] == serial
    # the long unit (by the durations file) was handed out first: the first test of its worker
    long_span = next(s for s in spans if s["id"] == "test_long.py::test_long")
    assert [s for s in spans if s["worker"] == long_span["worker"]][0] is long_span
    # the parallel tests of a module stay together on one worker
    workers_of = {}
    for span in spans:
        if not span["serial"]:
            workers_of.setdefault(span["id"].split("::")[0], set()).add(span["worker"])
    assert all(len(workers) == 1 for workers in workers_of.values()), workers_of
    assert len((pytester.path / "junit.xml").read_text().split("marvin2_serial_wait_seconds")) <= 3


def test_without_loadscope_nothing_is_reordered(pytester, pack):
    pack(test_a="import pytest\n\n@pytest.mark.serial\ndef test_s(): pass\n\ndef test_p(): pass\n",
         test_b="def test_q(): pass\n")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--collect-only", "-q", timeout=120)
    assert [line for line in result.stdout.lines if "::" in line] == [
        "test_b.py::test_q", "test_a.py::test_s", "test_a.py::test_p"]


def test_the_serial_group_waits_until_every_other_test_has_run(pytester, pack, monkeypatch):
    # Two workers: one gets the long test, the other a module of many short ones. xdist tops a worker up
    # when it has two tests or fewer left, so the serial group would go to the first worker at once and take
    # the run lock after the long test, while the other worker still had short tests: those would wait for
    # the whole group and run after it. The group must start only when nothing else is left.
    pack(conftest=RECORDING_CONFTEST,
         test_long="import time\n\ndef test_long():\n    time.sleep(0.6)\n",
         test_many="import time\nimport pytest\n\n@pytest.mark.parametrize('i', range(8))\n"
                   "def test_short(i):\n    time.sleep(0.15)\n",
         test_settings="import time\nimport pytest\n\n@pytest.mark.serial\n@pytest.mark.parametrize('i', range(2))\n"
                       "def test_global(i):\n    time.sleep(0.4)\n")
    durations = pytester.path / "durations.json"
    durations.write_text(json.dumps({"test_long.py::test_long": 100.0,
                                     **{f"test_many.py::test_short[{i}]": 0.15 for i in range(8)}}))
    spans_file = pytester.path / "spans.jsonl"
    monkeypatch.setenv("SPANS_FILE", str(spans_file))
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-n", "2", "--dist", "loadscope",
                                           "--durations-file", str(durations), "--results-dir", "res", timeout=120)
    result.assert_outcomes(passed=11)
    spans = read_spans(spans_file)
    serial = sorted((s for s in spans if s["serial"]), key=lambda s: s["start"])
    others = [s for s in spans if not s["serial"]]
    assert len({s["worker"] for s in others}) == 2, "the run was not parallel, so it proves nothing"
    assert max(s["end"] for s in others) <= serial[0]["start"], "a test ran after the serial group started"
    assert overlaps(spans) == []
