"""The async job engine: a scheduler thread that completes queued jobs.

An async handler returns ``Job(run=...)``; ``submit`` records the job
(``asyncjob`` kind, jobstatus 0) inside the request's transaction and
schedules it after the API's duration from the timing profile. The scheduler
then runs ``job.run(ctx)`` in a transaction of its own and records success
(jobstatus 1, result) or failure (jobstatus 2, errorcode/errortext). Jobs
found pending when a file database is opened again were cut off by a stop:
they end as failed with a clear text (their closures are gone).

Jobs on the same instance (``jobinstanceid``: a VM, a volume, a network ...)
run one after another in submission order, as a real server's per-object job
queues make them: a destroy sent right after a deploy waits for the deploy to
finish, then destroys the Running VM. Such a job's duration starts when its
predecessor ends. Jobs on different instances (or on none) are independent:
each is due its own duration after it was submitted.

Locking: ``_cond`` guards the heap, the pending table and the lanes; it is
never held while the store's lock is taken (a request holds the store lock
when it submits, the scheduler takes the store lock only outside ``_cond``),
so the two locks cannot deadlock.
"""
from __future__ import annotations

import collections
import heapq
import itertools
import logging
import threading
import time
from typing import Any

from marvin2 import wire
from marvin2.simulator import errors, timing
from marvin2.simulator.context import Context, Job
from marvin2.simulator.responses import render_result

log = logging.getLogger("marvin2.simulator.jobs")

PENDING, SUCCEEDED, FAILED, CANCELLED = 0, 1, 2, 3
RESTART_TEXT = "The simulator was stopped while this job was running; its outcome is unknown and it was marked failed"

# Where a job cut by a restart leaves its resource (job instance type -> table, state -> state):
# what a failed job of that kind would have left, and a state cleanup can delete from.
INTERRUPTED_STATES: dict[str, tuple[str, dict[str, str]]] = {
    "VirtualMachine": ("virtualmachine", {"Starting": "Stopped", "Stopping": "Stopped"}),
    "Snapshot": ("snapshot", {"BackingUp": "Error", "Creating": "Error", "Allocated": "Error"}),
}

INJECTED_TEXT = "Job failed: failure injected by configureSimulatorFaults"
IDLE_WAKE_SECONDS = 1.0     # the scheduler re-checks its state at least this often (no unbounded wait)


class JobEngine:
    def __init__(self, sim):
        self.sim = sim
        self._heap: list[tuple[float, int, str]] = []
        self._pending: dict[str, tuple[Context, Job]] = {}
        self._delays: dict[str, float] = {}                 # job id -> its duration (seconds)
        self._lane_of: dict[str, str] = {}                  # job id -> its instance id (jobs that have one)
        self._lane_busy: set[str] = set()                   # instances with a job scheduled or running
        self._lane_waiting: dict[str, collections.deque[str]] = {}   # instance id -> job ids queued behind it
        self._counter = itertools.count()
        self._cond = threading.Condition()
        self._stopping = False
        self._thread: threading.Thread | None = None

    # --- life cycle ---------------------------------------------------------------------

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="marvin2-sim-jobs", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        if self._thread:
            self._thread.join(timeout)

    def fail_interrupted(self) -> int:
        """Mark jobs left pending by a previous run as failed (start-up of a file DB).

        The resource such a job was working on is left in a state no job will
        ever end (a VM Starting, a snapshot BackingUp), which nothing may
        delete; it is put where a failed job would have left it, so that
        cleanup can remove it.
        """
        store = self.sim.store
        with store.transaction():
            stale = store.find("asyncjob", jobstatus=PENDING)
            for row in stale:
                self._finish(row, FAILED, 530, {"errorcode": 530, "errortext": RESTART_TEXT}, "object")
                self._settle_instance(row)
        return len(stale)

    def _settle_instance(self, job_row: dict) -> None:
        table, settled = INTERRUPTED_STATES.get(job_row.get("jobinstancetype"), (None, {}))
        instance_id = job_row.get("jobinstanceid")
        if table is None or not instance_id:
            return
        row = self.sim.store.get(table, instance_id)
        if row is not None and row.get("state") in settled:
            self.sim.store.update(table, instance_id, state=settled[row["state"]])

    # --- submitting -------------------------------------------------------------------------

    def submit(self, ctx: Context, job: Job) -> dict:
        caller = ctx.caller
        row = self.sim.store.insert("asyncjob", {
            "accountid": caller.account_id, "userid": caller.user["id"], "domainid": caller.domain_id,
            "cmd": ctx.api.java_class, "command": ctx.api.name,
            "jobstatus": PENDING, "jobprocstatus": 0, "jobresultcode": 0,
            "jobinstancetype": job.instance_type or ctx.api.instance_type,
            "jobinstanceid": job.instance_id or job.entity_id,
            "created": wire.now_text(),
        })
        delay = timing.duration(self.sim.profile, ctx.api.name)
        lane = row.get("jobinstanceid")
        with self._cond:
            jobid = row["id"]
            self._pending[jobid] = (ctx, job)
            self._delays[jobid] = delay
            if lane is not None:
                self._lane_of[jobid] = lane
                if lane in self._lane_busy:        # another job of this instance is ahead: queue behind it
                    self._lane_waiting.setdefault(lane, collections.deque()).append(jobid)
                    return row
                self._lane_busy.add(lane)
            self._schedule(jobid)
        return row

    def _schedule(self, jobid: str) -> None:
        """Put a job on the timer heap, due its duration from now (caller holds ``_cond``)."""
        heapq.heappush(self._heap, (time.monotonic() + self._delays[jobid], next(self._counter), jobid))
        self._cond.notify_all()

    def _release(self, jobid: str) -> None:
        """A job ended: forget it and start the next job of its instance, if any (caller holds ``_cond``)."""
        self._pending.pop(jobid, None)
        self._delays.pop(jobid, None)
        lane = self._lane_of.pop(jobid, None)
        if lane is None:
            return
        waiting = self._lane_waiting.get(lane)
        if waiting:
            self._schedule(waiting.popleft())
            if not waiting:
                del self._lane_waiting[lane]
        else:
            self._lane_busy.discard(lane)

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Block until no job is queued (for tests and a clean stop)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._pending:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._cond.wait(min(remaining, 0.05))
        return True

    # --- the scheduler ------------------------------------------------------------------------

    def _loop(self) -> None:
        while True:
            with self._cond:
                while not self._stopping and (not self._heap or self._heap[0][0] > time.monotonic()):
                    due_in = IDLE_WAKE_SECONDS if not self._heap else self._heap[0][0] - time.monotonic()
                    self._cond.wait(min(IDLE_WAKE_SECONDS, max(0.0, due_in)))
                if self._stopping:
                    return
                _, _, jobid = heapq.heappop(self._heap)
                ctx, job = self._pending.get(jobid, (None, None))
            if job is not None:
                try:
                    self._execute(jobid, ctx, job)
                except Exception:  # never let one job kill the scheduler
                    log.exception("simulator job %s crashed", jobid)
            with self._cond:
                self._release(jobid)
                self._cond.notify_all()

    def _execute(self, jobid: str, ctx: Context, job: Job) -> None:
        store = self.sim.store
        # A job obeys the fault rules of the account that submitted it (see faults.py).
        account = ctx.caller.account_id if ctx.caller is not None else None
        rule = self.sim.faults.rule_for(ctx.api.name, account)
        failure: errors.ApiError | None = None
        if rule is not None and self.sim.faults.roll(rule, rule.jobfailurerate):
            failure = errors.internal_error(INJECTED_TEXT)
        else:
            try:
                with store.transaction():
                    row = store.get("asyncjob", jobid)
                    if row is None:        # the submitting request was rolled back
                        return
                    result = job.run(ctx)
                    inner = render_result(ctx.api, result)
                    self._finish(row, SUCCEEDED, 0, inner, "object")
                return
            except errors.ApiError as exc:
                failure = exc
            except Exception as exc:  # a handler bug still ends the job, visibly
                log.exception("simulator job %s (%s) raised", jobid, ctx.api.name)
                failure = errors.internal_error(f"Internal error executing {ctx.api.name}: {type(exc).__name__}: {exc}")
        with store.transaction():
            row = store.get("asyncjob", jobid)
            if row is None:
                return
            if job.on_failure is not None:
                try:
                    with store.transaction():
                        job.on_failure(ctx, failure)
                except Exception:
                    log.exception("on_failure of job %s raised", jobid)
            body = {"errorcode": failure.errorcode, "errortext": failure.errortext}
            self._finish(row, FAILED, failure.errorcode, body, "object")

    def _finish(self, row: dict, status: int, resultcode: int, result: Any, resulttype: str) -> None:
        self.sim.store.update("asyncjob", row["id"], jobstatus=status, jobresultcode=resultcode,
                              jobresult=result, jobresulttype=resulttype, completed=wire.now_text())


def render_job(row: dict) -> dict:
    """A job as queryAsyncJobResult / listAsyncJobs show it."""
    out = {
        "jobid": row["id"], "accountid": row.get("accountid"), "userid": row.get("userid"), "cmd": row.get("cmd"),
        "jobstatus": row["jobstatus"], "jobprocstatus": row.get("jobprocstatus", 0),
        "jobresultcode": row.get("jobresultcode", 0),
        "jobinstancetype": row.get("jobinstancetype"), "jobinstanceid": row.get("jobinstanceid"),
        "created": row.get("created"),
    }
    if row["jobstatus"] != PENDING:
        out["jobresulttype"] = row.get("jobresulttype", "object")
        out["jobresult"] = row.get("jobresult")
        out["completed"] = row.get("completed")
    return {k: v for k, v in out.items() if v is not None}
