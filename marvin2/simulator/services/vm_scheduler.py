"""The VM scheduler: a background task that runs the VM schedules that are due.

Like 4.20's VMSchedulerImpl (a timer every 60 s) it wakes every ``POLL_SECONDS``, compressed by the timing
profile as the expunge sweep is (``instant``: every second), reads ``vm_schedules.clock()``, and for every due
schedule submits the action as an ordinary async job (stopVirtualMachine, rebootVirtualMachine,
startVirtualMachine) through the simulator's own API registry, in the VM owner's name (the job row's account),
then plans the schedule's next run. Each run is recorded as a ``vmscheduledjob`` row and a VM.SCHEDULE.* event.
The task starts with the first VM schedule call of a simulator and ends when the simulator stops.
"""
from __future__ import annotations

import logging
import threading
import time

from marvin2.simulator import errors
from marvin2.simulator.services import internal_calls
from marvin2.simulator.services import vm_schedules as schedules

log = logging.getLogger("marvin2.simulator.vmscheduler")

POLL_SECONDS = 60.0
TIME_SCALE = {"instant": 1 / 60, "fast": 1 / 20, "realistic": 1.0}
_start_lock = threading.Lock()


def ensure_running(sim) -> None:
    if getattr(sim, "_marvin2_vm_scheduler", None) is not None:
        return
    with _start_lock:
        if getattr(sim, "_marvin2_vm_scheduler", None) is not None:
            return
        thread = threading.Thread(target=_loop, args=(sim,), name="marvin2-sim-vmscheduler", daemon=True)
        sim._marvin2_vm_scheduler = thread
        thread.start()


def poll_once(sim) -> int:
    """Run every due schedule once; returns how many actions were submitted."""
    store = sim.store
    submitted = 0
    with store.transaction():
        now = schedules.clock()
        schedules.forget_orphans(store)
        for row in schedules.due(store, now):
            vm = store.get("virtualmachine", row["virtualmachineid"])
            job_id = None
            if vm is not None:
                planned = schedules.command_for(row["action"], vm["state"])
                if planned is not None:
                    job_id = _submit(sim, vm, *planned)
                    submitted += job_id is not None
                store.insert("event", {
                    "type": schedules.EVENT_TYPES[row["action"]], "level": "INFO", "state": "Completed",
                    "description": (f"Executing action ({row['action']}) for VM: {vm['name']}" if planned
                                    else f"Skipping action ({row['action']}) for VM {vm['name']} in state {vm['state']}"),
                    "username": "system", "accountid": vm.get("accountid"), "domainid": vm.get("domainid"),
                    "resourceid": vm["id"], "resourcetype": "VirtualMachine"})
            store.insert(schedules.RUN_KIND, {"vmscheduleid": row["id"], "virtualmachineid": row["virtualmachineid"],
                                              "action": row["action"], "scheduledtime": row["nextrun"],
                                              "asyncjobid": job_id})
            schedules.reschedule(store, store.get(schedules.KIND, row["id"]), now)
    return submitted


def _submit(sim, vm: dict, command: str, extra: dict) -> str | None:
    """Queue ``command`` on the VM as an async job of the root admin, recorded for the VM's account."""
    try:
        return internal_calls.submit(sim, command, {"id": vm["id"], **extra},
                                     account=sim.store.get("account", vm["accountid"]))
    except errors.ApiError as error:
        log.info("scheduled %s of VM %s refused: %s", command, vm["id"], error)
        return None


def _loop(sim) -> None:
    while not sim.stopped:
        try:
            poll_once(sim)
        except Exception:  # a stopped simulator closes the store under us
            if sim.stopped:
                return
            log.exception("VM scheduler poll failed")
        interval = max(0.05, POLL_SECONDS * TIME_SCALE.get(sim.profile, 1.0))
        deadline = time.monotonic() + interval
        while not sim.stopped and time.monotonic() < deadline:
            time.sleep(min(0.05, max(0.0, deadline - time.monotonic())))
