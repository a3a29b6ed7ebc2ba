"""The ledger file format: many writers at once, torn lines, statuses per resource."""
from __future__ import annotations

import json
import multiprocessing
import os
import time

from marvin2.resources import ledger as L


def _write_many(results_dir, worker, count):
    writer = L.LedgerWriter(results_dir, run_id="run-1", worker=worker)
    for n in range(count):
        writer.record(L.CREATED, kind="vm", resource_id=f"{worker}-{n}", name="x" * 300, test=f"t::{n}")
        if n % 2 == 0:
            writer.record(L.DELETED, kind="vm", resource_id=f"{worker}-{n}")
    writer.close()


def test_many_processes_write_at_once_and_every_line_is_whole(tmp_path):
    context = multiprocessing.get_context("fork")
    processes = [context.Process(target=_write_many, args=(tmp_path, f"gw{i}", 300)) for i in range(4)]
    for p in processes:
        p.start()
    for p in processes:
        p.join(30)
        assert p.exitcode == 0
    files = sorted((tmp_path / "ledger").glob("*.jsonl"))
    assert len(files) == 4
    for path in files:
        for line in path.read_text().splitlines():
            json.loads(line)  # whole lines only
    resources = L.read_ledger(tmp_path, run_id="run-1")
    assert len(resources) == 1200
    open_ones = L.outstanding(resources)
    assert len(open_ones) == 600
    assert all(int(r.id.split("-")[1]) % 2 == 1 for r in open_ones)


def test_threads_and_processes_sharing_one_file_never_interleave(tmp_path):
    # Even a shared file stays whole: each event is a single O_APPEND write.
    writer = L.LedgerWriter(tmp_path, run_id="run-1", worker="shared")
    pid = os.fork()
    if pid == 0:  # child: same fd, same file
        try:
            for n in range(500):
                writer.record(L.CREATED, kind="volume", resource_id=f"child-{n}", padding="y" * 1000)
        finally:
            os._exit(0)
    for n in range(500):
        writer.record(L.CREATED, kind="volume", resource_id=f"parent-{n}", padding="z" * 1000)
    os.waitpid(pid, 0)
    writer.close()
    lines = writer.path.read_text().splitlines()
    assert len(lines) == 1000
    assert all(json.loads(line)["kind"] == "volume" for line in lines)


def test_torn_last_line_of_a_killed_process_is_skipped(tmp_path):
    with L.LedgerWriter(tmp_path, run_id="r", worker="gw0") as writer:
        writer.record(L.CREATED, kind="network", resource_id="n1")
    with open(writer.path, "a") as handle:
        handle.write('{"event": "created", "kind": "vm", "id": "v')  # killed mid-write
    resources = L.read_ledger(tmp_path)
    assert [(r.kind, r.id, r.status) for r in resources] == [("network", "n1", "created")]


def test_statuses_and_descriptions(tmp_path):
    with L.LedgerWriter(tmp_path, run_id="r", worker="gw1") as writer:
        for rid in ("a", "b", "c", "d"):
            writer.record(L.CREATED, kind="vm", resource_id=rid, test="tests/t.py::test_x", command="deployVirtualMachine")
        writer.record(L.DELETED, kind="vm", resource_id="a")
        writer.record(L.ALREADY_GONE, kind="vm", resource_id="b")
        writer.record(L.DELETE_FAILED, kind="vm", resource_id="c", error="boom")
        writer.record(L.KEPT, kind="vm", resource_id="d")
    by_id = {r.id: r for r in L.read_ledger(tmp_path)}
    assert {k: v.status for k, v in by_id.items()} == {"a": "deleted", "b": "already-gone", "c": "delete-failed", "d": "kept"}
    assert {r.id for r in L.outstanding(by_id.values())} == {"c", "d"}
    described = by_id["c"].describe()
    assert described["error"] == "boom" and described["test"] == "tests/t.py::test_x" and described["worker"] == "gw1"


def test_run_filter_and_run_ids(tmp_path):
    for run in ("old", "new"):
        with L.LedgerWriter(tmp_path / run, run_id=run, worker="master") as writer:
            writer.record(L.CREATED, kind="vpc", resource_id=f"{run}-vpc")
        time.sleep(0.01)  # event times have millisecond resolution
    assert L.run_ids(tmp_path) == ["old", "new"]
    assert [r.id for r in L.read_ledger(tmp_path, run_id="new")] == ["new-vpc"]


def test_unknown_event_is_refused(tmp_path):
    import pytest

    with L.LedgerWriter(tmp_path, run_id="r", worker="w") as writer:
        with pytest.raises(ValueError, match="unknown ledger event"):
            writer.record("vanished", kind="vm", resource_id="1")
