"""``@pytest.mark.serial``: tests that change global state never overlap another test.

How: a readers/writer lock shared by the xdist workers of a run, kept as a
small JSON state file in the run's ``shared_dir`` and guarded by a file
mutex (``filelock`` has no shared locks). Every test holds the lock from the
start of its setup to the end of its teardown: a serial test exclusively
(writer), any other test shared (reader). Writers are preferred: once a
serial test waits, no new test starts until it has run, so serial tests
cannot be starved by a steady stream of parallel ones.

Why a lock rather than "run serial tests after the parallel part": with
``--dist loadscope`` a module's tests stay on one worker in file order, and
fixtures (module-scoped networks and VMs) are shared by the tests of a
module; moving serial tests to the end would split their module apart and
set its fixtures up twice. The lock keeps the order and costs one small
file update per test, and only in xdist runs that contain a serial test.

The price: a waiting serial test holds every worker back until the tests
already running have finished (modules with serial tests are therefore
collected last, so that this happens near the end of a run), so a slow test (one waiting out a timeout)
stalls the run for that long. Under ``--dist loadscope`` scheduling.py puts
every serial test into one work unit dispatched last, and a serial test
whose next test on the same worker is serial too hands the lock over to it
instead of releasing it: the workers drain once for the whole group.

A test whose resources are deleted in the background (background_cleanup.py)
keeps its shared hold until they are, and a serial test first waits for its
own worker's background cleanup: no serial test runs beside a cleanup.

Waits of a second or more are recorded as the
``marvin2_serial_wait_seconds`` property of the test (JUnit XML) and summed
up in the terminal summary.

A worker that dies while holding the lock is noticed at the next poll (its
process is gone, a zombie, or its id now belongs to another process) and its
entry dropped, so the run goes on and xdist reports the worker's test as crashed; every wait ends after ``marvin_serial_timeout``
seconds with an error naming what it waited for.
"""
from __future__ import annotations

import json
import os
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import pytest
from filelock import FileLock, Timeout

from marvin2.pytest_plugin.background_cleanup import BACKGROUND_JOB, cleaner_of
from marvin2.pytest_plugin.options import get_option
from marvin2.pytest_plugin.session import run_context_of

__all__ = ["RunLock", "SerialLockTimeout", "is_serial", "WAIT_PROPERTY"]

WAIT_PROPERTY = "marvin2_serial_wait_seconds"
WAIT_WORTH_REPORTING = 1.0  # seconds

_ENABLED = pytest.StashKey[bool]()
_HELD = pytest.StashKey[object]()
_CARRIED = pytest.StashKey[object]()  # an exclusive hold passed from one serial test to the next
_LOCK = pytest.StashKey["RunLock"]()


class SerialLockTimeout(Exception):
    """Waited longer than the timeout for the run lock."""


def _process_start(pid: int) -> str | None:
    """The start time (clock ticks since boot) of a live process, or None when it is gone.

    A zombie (state Z: killed, not yet reaped by its parent) or a dying
    process (X) counts as gone: ``os.kill(pid, 0)`` succeeds on a zombie, and
    an xdist worker killed by SIGKILL stays a zombie until the controller ends.
    The start time tells a reused process id from the process that took the lock.
    """
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return None
    except OSError:  # no /proc (not Linux): fall back to the signal probe
        return "" if _signal_probe(pid) else None
    fields = stat[stat.rindex(")") + 2:].split()  # after "pid (comm) ": state is first, starttime 20th
    if fields[0] in ("Z", "X", "x"):
        return None
    return fields[19]


def _signal_probe(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _alive(info: dict) -> bool:
    """Whether the process that wrote a lock entry still runs (not a zombie, not a reused pid)."""
    start = _process_start(info["pid"])
    if start is None:
        return False
    return not info.get("start") or not start or info["start"] == start


@dataclass(frozen=True)
class _Holder:
    token: str
    mode: str  # "shared" or "exclusive"
    waited: float = 0.0  # seconds spent waiting for the lock


class RunLock:
    """A readers/writer lock over files in ``directory``, for processes of one machine.

    ``state.json`` = ``{"readers": {token: info}, "writer": [token, info] | null,
    "waiting": {token: info}}``, where ``info`` = ``{"pid": int, "start": str, "what": str}`` (start: see _process_start).
    It is only read or written while holding the ``state.lock`` file mutex.
    """

    def __init__(self, directory: Path, *, timeout: float, poll: float = 0.02, max_poll: float = 0.2):
        directory.mkdir(parents=True, exist_ok=True)
        self.state_path = directory / "state.json"
        self.mutex = FileLock(str(directory / "state.lock"))
        self.timeout = timeout
        self.poll = poll
        self.max_poll = max_poll
        self._counter = 0
        self._start = _process_start(os.getpid()) or ""

    # state file -------------------------------------------------------------
    def _load(self) -> dict:
        try:
            state = json.loads(self.state_path.read_text(encoding="utf-8"))
        except (FileNotFoundError, json.JSONDecodeError):
            state = {}
        state.setdefault("readers", {})
        state.setdefault("writer", None)
        state.setdefault("waiting", {})
        # Entries of processes that died (a crashed worker) would block everyone.
        state["readers"] = {t: i for t, i in state["readers"].items() if _alive(i)}
        state["waiting"] = {t: i for t, i in state["waiting"].items() if _alive(i)}
        if state["writer"] and not _alive(state["writer"][1]):
            state["writer"] = None
        return state

    def _save(self, state: dict) -> None:
        temporary = self.state_path.with_suffix(".tmp")
        temporary.write_text(json.dumps(state), encoding="utf-8")
        os.replace(temporary, self.state_path)

    @contextmanager
    def _locked_state(self, deadline: float) -> Iterator[dict]:
        try:
            self.mutex.acquire(timeout=max(0.0, deadline - time.monotonic()))
        except Timeout:
            raise SerialLockTimeout(f"could not take the run lock mutex {self.mutex.lock_file} "
                                    f"within {self.timeout:g}s") from None
        try:
            state = self._load()
            yield state
            self._save(state)
        finally:
            self.mutex.release()

    # public ------------------------------------------------------------------
    def acquire(self, exclusive: bool, what: str) -> _Holder:
        """Block until held; raises SerialLockTimeout naming the holders after ``timeout``."""
        self._counter += 1
        token = f"{os.getpid()}-{self._counter}"
        info = {"pid": os.getpid(), "start": self._start, "what": what}
        started = time.monotonic()
        deadline = started + self.timeout
        delay = self.poll
        while True:
            with self._locked_state(deadline) as state:
                if exclusive:
                    if state["writer"] is None and not state["readers"]:
                        state["waiting"].pop(token, None)
                        state["writer"] = [token, info]
                        return _Holder(token, "exclusive", time.monotonic() - started)
                    state["waiting"][token] = info
                elif state["writer"] is None and not state["waiting"]:
                    state["readers"][token] = info
                    return _Holder(token, "shared", time.monotonic() - started)
                blockers = self._describe(state)
            if time.monotonic() >= deadline:
                if exclusive:
                    with self._locked_state(time.monotonic() + 10) as state:
                        state["waiting"].pop(token, None)
                mode = "exclusively (serial test)" if exclusive else "alongside others"
                raise SerialLockTimeout(
                    f"{what}: waited {self.timeout:g}s to run {mode}; still blocked by {blockers} "
                    f"(raise ini marvin_serial_timeout if such waits are expected)")
            time.sleep(delay)
            delay = min(delay * 1.5, self.max_poll)

    def release(self, holder: _Holder) -> None:
        with self._locked_state(time.monotonic() + self.timeout) as state:
            state["readers"].pop(holder.token, None)
            if state["writer"] and state["writer"][0] == holder.token:
                state["writer"] = None

    @staticmethod
    def _describe(state: dict) -> str:
        parts = []
        if state["writer"]:
            parts.append(f"serial test {state['writer'][1]['what']}")
        if state["readers"]:
            names = [i["what"] for i in state["readers"].values()]
            parts.append(f"{len(names)} running test(s): {', '.join(names[:5])}")
        if state["waiting"]:
            names = [i["what"] for i in state["waiting"].values()]
            parts.append(f"{len(names)} waiting serial test(s): {', '.join(names[:5])}")
        return "; ".join(parts) or "nothing (it just cleared)"


def is_serial(item: pytest.Item) -> bool:
    return item.get_closest_marker("serial") is not None


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "serial: never runs at the same time as any other test of the run (for tests that change "
        "global settings); under xdist it waits for running tests to finish and holds the others back",
    )


def _module_of(item: pytest.Item) -> str:
    return item.nodeid.split("::", 1)[0]


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list) -> None:
    """Modules with serial tests go last (a stable sort: order inside is kept).

    Under xdist every serial test drains all workers; dispatched last, the
    drains come when the other workers are finishing anyway instead of
    stalling the whole run in its middle. Whole modules move, so
    ``--dist loadscope`` still keeps a module's tests and fixtures together.
    Every worker sorts the same collection the same way, so all agree.
    """
    serial_modules = {_module_of(item) for item in items if is_serial(item)}
    if serial_modules:
        items.sort(key=lambda item: _module_of(item) in serial_modules)


def pytest_collection_finish(session: pytest.Session) -> None:
    config = session.config
    context = run_context_of(config)
    # Only xdist workers run tests side by side; without a serial test there is
    # nothing to keep apart. Every worker collects the same items, so all agree.
    enabled = not context.is_controller and any(is_serial(item) for item in session.items)
    config.stash[_ENABLED] = enabled
    if enabled:
        timeout = float(get_option(config, "marvin_serial_timeout"))
        config.stash[_LOCK] = RunLock(context.shared_dir / "serial", timeout=timeout)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_setup(item: pytest.Item):
    if is_serial(item):
        # This process's own background cleanup (background_cleanup.py) must be over first; other
        # workers' cleanups hold the run lock until they are.
        cleaner_of(item.config).wait()
    if item.config.stash.get(_ENABLED, False):
        lock = item.config.stash[_LOCK]
        carried = item.config.stash.get(_CARRIED, None)
        if carried is not None:
            del item.config.stash[_CARRIED]
            if not is_serial(item):  # cannot happen (handed over to a serial test only); be safe
                lock.release(carried)
                carried = None
        # Raised here, a timeout is a setup error of this test, nothing worse.
        holder = carried or lock.acquire(exclusive=is_serial(item), what=item.nodeid)
        item.stash[_HELD] = holder
        if holder.waited >= WAIT_WORTH_REPORTING:
            # The wait counts in the setup time; say so (JUnit property, terminal summary).
            item.user_properties.append((WAIT_PROPERTY, round(holder.waited, 1)))
    return (yield)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem):
    try:
        return (yield)  # every finalizer of this test has run when yield returns
    finally:
        holder = item.stash.get(_HELD, None)
        if holder is not None:
            del item.stash[_HELD]
            job = item.stash.get(BACKGROUND_JOB, None)
            if holder.mode == "exclusive" and nextitem is not None and is_serial(nextitem):
                # The next serial test runs right away on this worker: keep the
                # workers drained rather than let them start and drain again.
                item.config.stash[_CARRIED] = _Holder(holder.token, holder.mode)
            elif job is not None:
                # Its resources are still being deleted (background_cleanup.py): the test is not over for
                # the lock until they are, so no serial test starts beside that cleanup.
                lock = item.config.stash[_LOCK]
                job.when_done(lambda: lock.release(holder))
            else:
                item.config.stash[_LOCK].release(holder)


def pytest_sessionfinish(session: pytest.Session) -> None:
    carried = session.config.stash.get(_CARRIED, None)  # the run stopped between two serial tests (-x)
    if carried is not None:
        del session.config.stash[_CARRIED]
        session.config.stash[_LOCK].release(carried)
