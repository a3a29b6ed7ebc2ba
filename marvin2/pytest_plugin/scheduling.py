"""xdist scheduling for ``--dist loadscope``: long modules first, serial tests as one group, last.

pytest-xdist's loadscope hands out whole modules (so module-scoped fixtures
are made once), by default in order of their NUMBER of tests. A module of
few slow tests (VPCs, zone deploys) then starts late and finishes long after
the other workers ran dry. marvin2 replaces that order, under loadscope only:

- **longest first**: modules are handed out by their recorded duration
  (the durations file of ``--shard``, ``tests/.durations.json``; unknown tests
  count as the median), the classic longest-processing-time rule;
- **serial tests as one group, last**: every ``@pytest.mark.serial`` test
  goes into one work unit of its own, dispatched after all others. A serial
  test runs alone (serial.py), so each one drains every worker; grouped, they
  run back to back on one worker, which keeps the run lock from one to the
  next (serial.py hands it over): the workers drain once instead of once per
  serial test. Last, because with the longest units first the tests still
  running when the group starts are short ones (a short drain), and the group
  runs in the tail of the run, when workers run out of work anyway. (First
  was tried: the group then waits for the first, longest, tests to end.)
  And only once every other test has run: the group goes to the last worker
  to finish (the others are shut down as they run dry), so no test of
  another unit waits behind the whole group and runs after it.
  The module a serial test comes from keeps its other tests in its own unit:
  its module-scoped fixtures are made once more (the serial modules have
  cheap ones).

How: workers (which collect) sort their items in that order and write the
serial test ids to ``<shared_dir>/serial-tests.json``; the controller's
scheduler (which only sees test ids) reads that file to put serial tests into
their group, and keeps the collection order instead of re-sorting by count.
"""
from __future__ import annotations

import json
import os
import statistics
from pathlib import Path

import pytest

from marvin2.pytest_plugin.serial import is_serial
from marvin2.pytest_plugin.session import RUN_CONTEXT
from marvin2.pytest_plugin.sharding import FALLBACK_SECONDS, durations_path, load_durations

__all__ = ["SERIAL_SCOPE", "SERIAL_TESTS_FILE", "scope_of", "scope_order"]

SERIAL_SCOPE = "marvin2-serial-tests"
SERIAL_TESTS_FILE = "serial-tests.json"


def scope_of(nodeid: str, serial: frozenset | set) -> str:
    """The work unit of a test: the serial group, else xdist's loadscope unit (module, or class)."""
    return SERIAL_SCOPE if nodeid in serial else nodeid.rsplit("::", 1)[0]


def scope_order(nodeids: list[str], serial: set, durations: dict[str, float]) -> list[str]:
    """Work units in dispatch order: longest estimated time first, the serial group last."""
    known = [durations[n] for n in nodeids if n in durations]
    fallback = max(statistics.median(known) if known else FALLBACK_SECONDS, 0.01)
    seconds: dict[str, float] = {}
    first_seen: dict[str, int] = {}
    for index, nodeid in enumerate(nodeids):
        scope = scope_of(nodeid, serial)
        seconds[scope] = seconds.get(scope, 0.0) + max(durations.get(nodeid, fallback), 0.01)
        first_seen.setdefault(scope, index)
    return sorted(seconds, key=lambda s: (s == SERIAL_SCOPE, -seconds[s], first_seen[s]))


_DIST_KEY = "marvin2_dist"


def _loadscope_worker(config: pytest.Config) -> bool:
    # xdist sets a worker's own --dist to "no": the controller passes its mode on.
    return getattr(config, "workerinput", {}).get(_DIST_KEY) == "loadscope"


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node) -> None:
    node.workerinput[_DIST_KEY] = node.config.getoption("dist", default=None)


@pytest.hookimpl(wrapper=True)
def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list):
    result = yield  # after selection, sharding and serial.py's own sort
    if _loadscope_worker(config) and items:
        serial = {item.nodeid for item in items if is_serial(item)}
        order = scope_order([item.nodeid for item in items], serial, load_durations(durations_path(config)))
        rank = {scope: index for index, scope in enumerate(order)}
        items.sort(key=lambda item: rank[scope_of(item.nodeid, serial)])  # stable: order inside a unit kept
    return result


@pytest.hookimpl(tryfirst=True)
def pytest_collection_finish(session: pytest.Session) -> None:
    """Workers tell the controller's scheduler which tests are serial (before xdist reports the collection)."""
    config = session.config
    context = config.stash.get(RUN_CONTEXT, None)
    if not _loadscope_worker(config) or context is None:
        return
    serial = sorted(item.nodeid for item in session.items if is_serial(item))
    path = context.shared_dir / SERIAL_TESTS_FILE
    temporary = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    temporary.write_text(json.dumps(serial), encoding="utf-8")
    os.replace(temporary, path)  # every worker writes the same list; a reader never sees half of it


def _read_serial(path: Path) -> frozenset:
    try:
        return frozenset(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError):
        return frozenset()  # no grouping: serial tests stay in their modules (still correct, just slower)


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log):
    if config.getoption("dist", default=None) != "loadscope":
        return None
    from xdist.scheduler import LoadScopeScheduling

    context = config.stash.get(RUN_CONTEXT, None)
    serial_file = context.shared_dir / SERIAL_TESTS_FILE if context is not None else None

    class MarvinLoadScope(LoadScopeScheduling):
        """loadscope with the serial group and the workers' (duration) order of units."""

        def __init__(self, config: pytest.Config, log=None):
            super().__init__(config, log)
            self._serial: frozenset | None = None
            self._serial_waiter = None  # the worker that gets the serial group once the others are done
            self._giving_serial = False

        def _split_scope(self, nodeid: str) -> str:
            if self._serial is None:  # first called once every worker has collected
                self._serial = _read_serial(serial_file) if serial_file is not None else frozenset()
            return scope_of(nodeid, self._serial)

        def _only_serial_group_left(self) -> bool:
            return len(self.workqueue) == 1 and SERIAL_SCOPE in self.workqueue

        def _pending_elsewhere(self, node) -> list[int]:
            return [self._pending_of(work) for other, work in self.assigned_work.items() if other is not node]

        def _reschedule(self, node) -> None:
            if node.shutting_down:
                return
            if self._only_serial_group_left():
                self._serial_group_or_shutdown(node)
                return
            super()._reschedule(node)
            # An xdist worker runs its last pending test only once it knows what follows (more tests, or
            # shutdown). A replacement worker (an earlier one crashed) given a unit with one test left would
            # wait for the controller, which waits for that test: give it the next unit, or say there is none.
            if node.shutting_down or node not in self.assigned_work:
                return
            if self._pending_of(self.assigned_work[node]) <= 1:
                if self._only_serial_group_left():
                    self._serial_group_or_shutdown(node)
                elif self.workqueue:
                    self._assign_work_unit(node)
                else:
                    node.shutdown()

        def _serial_group_or_shutdown(self, node) -> None:
            """Only the serial group is left: it starts when no other test is left to run anywhere.

            Handed out earlier, its first test would take the run lock while other workers still hold
            tests of their last units, and those would wait for the whole group (writers are preferred),
            then run after it: the group's time added twice to the tail. So a worker down to its last
            test waits for the others (it holds that test back until told what follows) while every
            other worker is shut down and finishes what it has; the last to be done gets the group.
            """
            if self._pending_of(self.assigned_work.get(node, {})) > 1:
                return  # asked again after each of its tests
            elsewhere = self._pending_elsewhere(node)
            if not any(elsewhere):
                self._give_serial_group(node)
            elif any(pending > 1 for pending in elsewhere) or self._serial_waiter not in (None, node):
                node.shutdown()  # others still have work: one of them will end last and take the group
            else:
                self._serial_waiter = node

        def _give_serial_group(self, node) -> None:
            self._serial_waiter = None
            self._giving_serial = True
            try:
                self._assign_work_unit(node)
            finally:
                self._giving_serial = False

        def _assign_work_unit(self, node) -> None:
            # xdist's first distribution hands one unit to every worker directly: the serial group, last in
            # the queue, would go to a worker at once when there are as many workers as units.
            if self._only_serial_group_left() and not self._giving_serial and any(self._pending_elsewhere(node)):
                return  # _reschedule decides (below): this worker waits for the group or is shut down
            super()._assign_work_unit(node)

        def _maybe_wake_the_waiter(self) -> None:
            waiter = self._serial_waiter
            if waiter is None or not self._only_serial_group_left():
                return
            if waiter.shutting_down or waiter not in self.assigned_work:
                self._serial_waiter = None  # it went away (crashed): the next worker asking takes the group
                return
            if not any(self._pending_elsewhere(waiter)):
                self._give_serial_group(waiter)

        def mark_test_complete(self, node, item_index: int, duration: float = 0) -> None:
            super().mark_test_complete(node, item_index, duration)
            self._maybe_wake_the_waiter()

        def remove_node(self, node):
            if node is self._serial_waiter:
                self._serial_waiter = None
            crashed = super().remove_node(node)
            self._maybe_wake_the_waiter()
            return crashed

        def schedule(self) -> None:
            # The workers' collection is already in dispatch order; xdist would re-sort it by test count.
            saved = self.config.option.loadscopereorder
            self.config.option.loadscopereorder = False
            try:
                super().schedule()
            finally:
                self.config.option.loadscopereorder = saved

    return MarvinLoadScope(config, log)
