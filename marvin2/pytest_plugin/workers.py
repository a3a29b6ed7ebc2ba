"""Dead xdist workers: the run goes on, and the test that was running is reported once, as crashed.

When a worker dies (SIGKILL, the OOM killer, a segfault) xdist reports the
test it was running as failed ("worker 'gw1' crashed while running ...") and
starts a replacement worker. With ``--dist loadscope`` (what marvin2 uses)
xdist also puts the dead worker's whole module back in the queue, the
crashed test included, so the replacement runs that test again; a test that
kills its worker then kills every replacement in turn until xdist's restart
limit ends the run. The hook below takes the crashed test out of the queued
module: the rest of the module still runs, the crashed test stays reported
once. (The serial run lock notices the dead worker by itself; see serial.py.)
"""
from __future__ import annotations

import pytest


@pytest.hookimpl(optionalhook=True)
def pytest_handlecrashitem(crashitem: str, report, sched) -> None:
    queue = getattr(sched, "workqueue", None)  # loadscope/loadfile: {scope: {nodeid: completed}}
    if not isinstance(queue, dict):
        return  # --dist load already drops the crashed test from its pending list
    for scope, unit in list(queue.items()):
        if crashitem in unit:
            unit[crashitem] = True
            if all(unit.values()):
                del queue[scope]  # nothing of that module is left to run
