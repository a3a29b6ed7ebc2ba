"""The async job engine: a scheduler thread that completes queued jobs.

An async handler returns ``Job(run=...)``; ``submit`` records the job
(``asyncjob`` kind, jobstatus 0) inside the request's transaction and
schedules it after the API's duration from the timing profile. The scheduler
then runs ``job.run(ctx)`` in a transaction of its own and records success
(jobstatus 1, result) or failure (jobstatus 2, errorcode/errortext). Jobs
found pending when a file database is opened again were cut off by a stop:
they end as failed with a clear text (their closures are gone).
"""
from __future__ import annotations

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
INJECTED_TEXT = "Job failed: failure injected by configureSimulatorFaults"


class JobEngine:
    def __init__(self, sim):
        self.sim = sim
        self._heap: list[tuple[float, int, str]] = []
        self._pending: dict[str, tuple[Context, Job]] = {}
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
        """Mark jobs left pending by a previous run as failed (start-up of a file DB)."""
        store = self.sim.store
        with store.transaction():
            stale = store.find("asyncjob", jobstatus=PENDING)
            for row in stale:
                self._finish(row, FAILED, 530, {"errorcode": 530, "errortext": RESTART_TEXT}, "object")
        return len(stale)

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
        with self._cond:
            self._pending[row["id"]] = (ctx, job)
            heapq.heappush(self._heap, (time.monotonic() + delay, next(self._counter), row["id"]))
            self._cond.notify()
        return row

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
                    timeout = None if not self._heap else max(0.0, self._heap[0][0] - time.monotonic())
                    self._cond.wait(timeout)
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
                self._pending.pop(jobid, None)
                self._cond.notify_all()

    def _execute(self, jobid: str, ctx: Context, job: Job) -> None:
        store = self.sim.store
        rule = self.sim.faults.rule_for(ctx.api.name)
        failure: errors.ApiError | None = None
        if rule is not None and self.sim.faults.roll(rule.jobfailurerate):
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
