"""Cleanup in the background: a test's resources are deleted while the next test runs.

Deleting what a test made (destroy and expunge its VMs, delete its networks,
release its addresses) is mostly waiting for async jobs: seconds on the
simulator's realistic profile, often a minute on a real cloud. The next test
does not need those deletions to be over, so each process (xdist worker)
hands a finished test's cleanup stack to one background thread and starts
the next test at once. What keeps that safe:

- **one at a time, in order**: a test's cleanup is handed over only once the
  previous one has finished, so at most one finished test's resources exist
  beside the running test;
- **only resource deletions, and few**: a stack with any other undo action (a
  setting put back, fault rules cleared, a cleanup of the test's own) or with
  more than ``MAX_BACKGROUND_RESOURCES`` resources (account limits) runs
  inline, as does the cleanup of a ``serial`` test, of a test that builds on
  its module's shared resources, and of module and session fixtures;
  those first wait for the background cleanup (module networks and the
  worker's account outlive the tests that used them);
- **the run lock**: under ``@serial`` (serial.py) a test keeps its shared hold
  until its background cleanup is over, so a serial test never overlaps one;
- **nothing lost**: a failure is raised at the next wait (the teardown of a
  later test, naming the test whose cleanup failed); every delete is in the
  ledger, so the leak check at the end of the run still sees what was left;
  each wait is bounded (``timeouts.test``);
- **reports**: the API calls of a background cleanup are kept and written to
  allure, when the cleanup is waited for, as one step "background cleanup of
  <test>" of the test or fixture that waited.

``--cleanup inline`` (ini ``marvin_cleanup``) runs every cleanup in the test's
own teardown, as before.
"""
from __future__ import annotations

import logging
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from typing import Any, Callable

import pytest

from marvin2.pytest_plugin.waiting import DEFAULT_TEST_TIMEOUT, configured_test_timeout

__all__ = ["BACKGROUND_JOB", "BackgroundCleaner", "BackgroundCleanupFailed", "BackgroundJob", "cleaner_of",
           "current_job", "deferrable"]

_THREAD = threading.local()
log = logging.getLogger("marvin2.cleanup")


class BackgroundCleanupFailed(Exception):
    """The background cleanup of an earlier test failed (or did not end in time)."""

    def __init__(self, node_id: str, error: BaseException):
        self.node_id = node_id
        self.error = error
        super().__init__(f"the cleanup of {node_id} (run in the background while later tests ran) failed: "
                         f"{type(error).__name__}: {error}")


@dataclass(eq=False)
class BackgroundJob:
    node_id: str
    future: Future = field(default_factory=Future)
    # (wall-clock time, event) of the client events the cleanup caused, for the reports
    events: list[tuple[float, Any]] = field(default_factory=list)

    def done(self) -> bool:
        return self.future.done()

    def when_done(self, callback: Callable[[], None]) -> None:
        """Run ``callback`` once the cleanup is over (at once if it is)."""
        self.future.add_done_callback(lambda _future: callback())


# On a test item whose deletions went to the background: the job (serial.py holds the run lock until it ends).
BACKGROUND_JOB = pytest.StashKey[BackgroundJob]()


def current_job() -> BackgroundJob | None:
    """The background cleanup the calling thread is running, if any (client listeners use it)."""
    return getattr(_THREAD, "job", None)


# More than this many resources in one test's stack: cleaned up inline. While a background cleanup runs,
# the worker's account holds both tests' resources; CloudStack's default account limits are 20 VMs,
# volumes, public IPs, networks... A test that made many (ten deploys at once) would leave the next one
# too little room, and the next one may make many too.
MAX_BACKGROUND_RESOURCES = 6


def deferrable(stack: Any) -> bool:
    """True if a cleanup stack may run in the background: only resource deletions, and not too many."""
    entries = [entry for entry in stack.entries if not entry.cancelled]
    return 0 < len(entries) <= MAX_BACKGROUND_RESOURCES and all(entry.kind is not None for entry in entries)


class BackgroundCleaner:
    """One per process: runs cleanups, one at a time, on a thread of its own.

    ``on_waited`` callbacks get each finished job when the main thread waits
    for it (reporting.py writes its API calls to allure then).
    """

    def __init__(self, *, wait_timeout: float = DEFAULT_TEST_TIMEOUT):
        self.wait_timeout = wait_timeout
        self.on_waited: list[Callable[[BackgroundJob], None]] = []
        self._executor: ThreadPoolExecutor | None = None
        self._job: BackgroundJob | None = None

    def submit(self, node_id: str, run: Callable[[], Any]) -> BackgroundJob:
        """Wait for the cleanup in progress, then start ``run`` (the cleanup of ``node_id``) in the background.

        The new cleanup is started even if the previous one failed; that failure is raised afterwards.
        """
        failure = self._wait_and_collect()
        job = BackgroundJob(node_id)
        if self._executor is None:
            self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="marvin2-cleanup")
        job.future = self._executor.submit(self._run, job, run)
        self._job = job
        if failure is not None:
            raise failure
        return job

    def wait(self) -> None:
        """Wait for the cleanup in progress (if any); raise :class:`BackgroundCleanupFailed` if it failed."""
        failure = self._wait_and_collect()
        if failure is not None:
            raise failure

    def shutdown(self) -> None:
        """Wait for the last cleanup and stop the thread (end of the session); raises like :meth:`wait`."""
        try:
            self.wait()
        finally:
            if self._executor is not None:
                self._executor.shutdown(wait=False)
                self._executor = None

    @staticmethod
    def _run(job: BackgroundJob, run: Callable[[], Any]) -> None:
        _THREAD.job = job
        try:
            run()
        finally:
            _THREAD.job = None

    def _wait_and_collect(self) -> BackgroundCleanupFailed | None:
        job, self._job = self._job, None
        if job is None:
            return None
        try:
            error = job.future.exception(timeout=self.wait_timeout)
        except FutureTimeout:
            error = TimeoutError(f"still running after {self.wait_timeout:g}s (timeouts.test); it goes on in the "
                                 f"background, and anything it does not delete is reported as a leak")
        for callback in self.on_waited:
            callback(job)
        if error is None:
            return None
        return BackgroundCleanupFailed(job.node_id, error)


_CLEANER = pytest.StashKey[BackgroundCleaner]()


def cleaner_of(config: pytest.Config) -> BackgroundCleaner:
    """This process's background cleaner (made on first use)."""
    cleaner = config.stash.get(_CLEANER, None)
    if cleaner is None:
        # A test's cleanup may take as long as a test may (timeouts.test); without that bound, the default one.
        seconds = configured_test_timeout(config)
        cleaner = BackgroundCleaner(wait_timeout=seconds if seconds > 0 else DEFAULT_TEST_TIMEOUT)
        config.stash[_CLEANER] = cleaner
    return cleaner


@pytest.hookimpl(tryfirst=True)
def pytest_sessionfinish(session: pytest.Session) -> None:
    # Normally the session's own trackers (the worker's account) have waited already; this is the safety net
    # for runs that never made one. A failure here has no test to be reported on: say it, fail the run.
    cleaner = session.config.stash.get(_CLEANER, None)
    if cleaner is None:
        return
    try:
        cleaner.shutdown()
    except BackgroundCleanupFailed as failure:
        log.error("%s", failure)
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            reporter.write_line(f"marvin2: {failure}", red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
