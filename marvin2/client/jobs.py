"""Waiting for async jobs.

The first poll comes ~50 ms after the job started and the interval then
grows with the time already waited (2% of it by default) up to a cap (2 s):
short jobs are seen finishing within tens of milliseconds, long ones cost a
handful of polls a minute. Every wait has a timeout, per call or per API
family (``{"deployVirtualMachine": 900, "default": 600}``); a job still
pending then raises ``AsyncJobTimeout``, never comes back as a result.
"""
from __future__ import annotations

import fnmatch
import time
from dataclasses import dataclass
from typing import Any, Callable, Mapping, Sequence

from marvin2.client.errors import AsyncJobFailed, AsyncJobTimeout, MarvinError
from marvin2.client.events import JobEvent, Listeners
from marvin2.client.record import Record, mask_response

__all__ = ["JobTimeouts", "PollSchedule", "JobWaiter", "job_result_value", "DEFAULT_JOB_TIMEOUT"]

DEFAULT_JOB_TIMEOUT = 600.0
PENDING, SUCCEEDED, FAILED, CANCELLED = 0, 1, 2, 3
# Keys of a timeouts mapping that are not job timeouts (HTTP ones).
_HTTP_TIMEOUT_KEYS = frozenset({"connect", "read"})


class JobTimeouts:
    """Job timeout per API family: exact names, then glob patterns, then default.

    Accepts the config's ``timeouts`` mapping as is: ``connect``/``read`` are
    ignored here, ``default`` or ``job`` is the fallback.
    """

    def __init__(
        self,
        timeouts: float | Mapping[str, float] | None = None,
        resolver: Callable[[str], float] | None = None,
    ) -> None:
        # resolver: a function of the command name (e.g. marvin2.config's
        # Config.job_timeout, which knows API families), asked after the
        # exact names and patterns of ``timeouts``.
        self.default = DEFAULT_JOB_TIMEOUT
        self._exact: dict[str, float] = {}
        self._patterns: list[tuple[str, float]] = []
        self._resolver = resolver
        if resolver is not None and not callable(resolver):
            raise ValueError(f"job timeout resolver must be callable, got {type(resolver).__name__}")
        if timeouts is None:
            return
        if isinstance(timeouts, (int, float)) and not isinstance(timeouts, bool):
            self.default = _positive("job timeout", timeouts)
            return
        if not isinstance(timeouts, Mapping):
            raise ValueError(f"job timeouts must be a number or a mapping, got {type(timeouts).__name__}")
        for key, value in timeouts.items():
            if key in _HTTP_TIMEOUT_KEYS:
                continue
            seconds = _positive(f"timeout {key!r}", value)
            if key in ("default", "job"):
                self.default = seconds
            elif any(ch in key for ch in "*?["):
                self._patterns.append((key.lower(), seconds))
            else:
                self._exact[key.lower()] = seconds
        self._patterns.sort()

    def for_command(self, command: str | None) -> float:
        if command:
            lowered = command.lower()
            if lowered in self._exact:
                return self._exact[lowered]
            for pattern, seconds in self._patterns:
                if fnmatch.fnmatchcase(lowered, pattern):
                    return seconds
            if self._resolver is not None:
                return _positive(f"job timeout for {command}", self._resolver(command))
        return self.default


def _positive(what: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
        raise ValueError(f"{what} must be a positive number of seconds, got {value!r}")
    return float(value)


@dataclass(frozen=True)
class PollSchedule:
    """Interval before the next poll, given how long we have waited so far."""

    first: float = 0.05
    ratio: float = 0.02
    cap: float = 2.0

    def __post_init__(self) -> None:
        if not 0 < self.first <= self.cap:
            raise ValueError(f"poll intervals need 0 < first ({self.first}) <= cap ({self.cap})")
        if self.ratio < 0:
            raise ValueError(f"poll ratio must be >= 0, got {self.ratio}")

    def interval(self, waited: float) -> float:
        return min(self.cap, max(self.first, waited * self.ratio))


def job_result_value(jobresult: Any) -> Any:
    """A job's useful result: the object inside ``{"virtualmachine": {...}}``.

    ``{"success": true}`` (and anything with several keys) stays as it is.
    """
    if isinstance(jobresult, dict) and len(jobresult) == 1:
        value = next(iter(jobresult.values()))
        if isinstance(value, (dict, list)):
            return value
    if isinstance(jobresult, dict) and not isinstance(jobresult, Record):
        return Record.wrap(jobresult)
    return jobresult


@dataclass
class _Job:
    jobid: str
    command: str | None
    timeout: float
    started: float
    params: Mapping[str, Any] | None = None
    last_status: Any = None
    done: bool = False
    result: Any = None
    error: BaseException | None = None
    due: float = 0.0


class JobWaiter:
    """Polls ``queryAsyncJobResult`` for one or many jobs in one loop."""

    def __init__(
        self,
        query: Callable[[str], Mapping[str, Any]],
        *,
        endpoint: Callable[[], str],
        listeners: Listeners,
        timeouts: JobTimeouts | None = None,
        schedule: PollSchedule | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._query = query
        self._endpoint = endpoint
        self.listeners = listeners
        self.timeouts = timeouts or JobTimeouts()
        self.schedule = schedule or PollSchedule()
        self._sleep = sleep
        self._clock = clock

    def wait(self, jobid: str, *, command: str | None = None, timeout: float | None = None,
             params: Mapping[str, Any] | None = None, started: float | None = None) -> Any:
        """The job's result, or raise ``AsyncJobFailed`` / ``AsyncJobTimeout``."""
        [outcome] = self.wait_many([(jobid, command, timeout, params, started)], return_exceptions=True)
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome

    def wait_many(self, jobs: Sequence[tuple], *, return_exceptions: bool = False) -> list[Any]:
        """Wait for every job; results in the order given.

        Each item is ``(jobid, command, timeout, params, started)`` (trailing
        items optional). A failure raises (after every job has ended) unless
        ``return_exceptions``, which puts the exception in the result list.
        """
        now = self._clock()
        order: list[_Job] = []
        for item in jobs:
            jobid, command, timeout, params, started = (tuple(item) + (None,) * 5)[:5]
            if not jobid or not isinstance(jobid, str):
                raise MarvinError(f"not a job id: {jobid!r}")
            limit = _positive("job_timeout", timeout) if timeout is not None else self.timeouts.for_command(command)
            began = started if started is not None else now
            job = _Job(jobid, command, limit, began, params)
            job.due = min(began + self.schedule.interval(0.0), began + limit)
            order.append(job)
        pending = list(order)
        while pending:
            # One loop for every job: sleep until the earliest poll is due,
            # poll the jobs that are due, schedule each one's next poll.
            now = self._clock()
            wake = min(job.due for job in pending)
            if wake > now:
                self._sleep(wake - now)
                now = self._clock()
            for job in pending:
                if job.due <= now:
                    self._poll(job)
            now = self._clock()
            still: list[_Job] = []
            for job in pending:
                if job.done:
                    continue
                deadline = job.started + job.timeout
                if job.due <= now and now >= deadline:
                    # Polled at (or after) its deadline and still pending.
                    error = AsyncJobTimeout(job.jobid, job.command, now - job.started, job.timeout, job.last_status)
                    self._finish(job, "timeout", error=error)
                    continue
                if job.due <= now:
                    job.due = min(now + self.schedule.interval(now - job.started), deadline)
                still.append(job)
            pending = still
        outcomes = [job.error if job.error is not None else job.result for job in order]
        if not return_exceptions:
            for job in order:
                if job.error is not None:
                    raise job.error
        return outcomes

    def _poll(self, job: _Job) -> None:
        answer = self._query(job.jobid)
        status = answer.get("jobstatus")
        job.last_status = status
        if status == PENDING or status is None:
            return
        if status == SUCCEEDED:
            resultcode = answer.get("jobresultcode") or 0
            if resultcode == 0:
                self._finish(job, "succeeded", result=job_result_value(answer.get("jobresult")))
                return
        self._finish(job, "cancelled" if status == CANCELLED else "failed", error=self._failure(job, answer))

    def _failure(self, job: _Job, answer: Mapping[str, Any]) -> AsyncJobFailed:
        jobresult = answer.get("jobresult")
        details = jobresult if isinstance(jobresult, Mapping) else {}
        errorcode = details.get("errorcode", answer.get("jobresultcode"))
        errortext = details.get("errortext") or ("job cancelled" if answer.get("jobstatus") == CANCELLED else "job failed without an error text")
        return AsyncJobFailed(
            job.command or str(answer.get("cmd") or "async job"),
            errorcode,
            str(errortext),
            cserrorcode=details.get("cserrorcode"),
            jobid=job.jobid,
            jobresult=jobresult,
            params=job.params,
            endpoint=self._endpoint(),
        )

    def _finish(self, job: _Job, status: str, *, result: Any = None, error: BaseException | None = None) -> None:
        job.done = True
        job.result = result
        job.error = error
        if self.listeners:
            self.listeners.emit(JobEvent(job.jobid, job.command, status, self._clock() - job.started, mask_response(result), error))
