"""The expunge sweep: destroyed VMs disappear after ``expunge.delay``, checked every ``expunge.interval``.

As on a real server a background task wakes every ``expunge.interval``
seconds and expunges the VMs destroyed at least ``expunge.delay`` seconds
ago. The timing profile compresses these seconds like it compresses job
durations (``TIME_SCALE``): ``realistic`` honours them as they are, ``fast``
counts one configured second as 1/20 s and ``instant`` as 1/60 s, so the
default 60 s delay lasts 3 s / 1 s in tests while an explicit setting keeps
its proportions. The task starts with the first VM API call of a simulator
and ends when the simulator stops.
"""
from __future__ import annotations

import logging
import threading
import time

from marvin2.simulator.services import common, vms

log = logging.getLogger("marvin2.simulator.expunge")

TIME_SCALE = {"instant": 1 / 60, "fast": 1 / 20, "realistic": 1.0}
_start_lock = threading.Lock()


def scaled(sim, seconds: float) -> float:
    return seconds * TIME_SCALE.get(sim.profile, 1.0)


def _setting(store, name: str, default: float) -> float:
    row = store.get("configuration", name)
    try:
        return max(0.0, float(row["value"])) if row else default
    except ValueError:
        return default


def ensure_running(sim) -> None:
    """Start the sweep thread of this simulator once."""
    if getattr(sim, "_marvin2_expunge_thread", None) is not None:
        return
    with _start_lock:
        if getattr(sim, "_marvin2_expunge_thread", None) is not None:
            return
        thread = threading.Thread(target=_loop, args=(sim,), name="marvin2-sim-expunge", daemon=True)
        sim._marvin2_expunge_thread = thread
        thread.start()


def sweep_once(sim) -> int:
    """Expunge every VM whose delay has passed; returns how many."""
    store = sim.store
    done = 0
    with store.transaction():
        delay = scaled(sim, _setting(store, "expunge.delay", 60.0))
        now = common.epoch()
        for vm in store.find("virtualmachine", state="Destroyed"):
            if vm.get("removed") or now - vm.get("destroyedat", now) < delay:
                continue
            vm = vms.expunge_vm_rows(store, vm)
            store.insert("event", {"type": "VM.EXPUNGE", "description": f"Expunging VM {vm['instancename']}",
                                   "level": "INFO", "state": "Completed", "username": "system",
                                   "accountid": vm.get("accountid"), "domainid": vm.get("domainid"),
                                   "resourceid": vm["id"], "resourcetype": "VirtualMachine"})
            done += 1
    return done


def _loop(sim) -> None:
    while not sim.stopped:
        try:
            sweep_once(sim)
            with sim.store.lock:
                interval = scaled(sim, _setting(sim.store, "expunge.interval", 60.0))
        except Exception:  # a stopped simulator closes the store under us
            if sim.stopped:
                return
            log.exception("expunge sweep failed")
            interval = 1.0
        deadline = time.monotonic() + min(max(interval, 0.05), 300.0)
        while not sim.stopped and time.monotonic() < deadline:
            time.sleep(min(0.05, max(0.0, deadline - time.monotonic())))
