"""Flaky tests: a test that failed and then passed on a rerun is named, not hidden.

Reruns come from pytest-rerunfailures (a dependency of marvin2): ``--reruns N``
for every test, or ``@pytest.mark.flaky(reruns=N)`` on a test known to be
intermittent. A test that passes on attempt 2 or later is *flaky*:

- the terminal summary has a section of its own ("marvin2: intermittent:
  3 tests") listing each with the attempt it passed on;
- its allure result carries the flaky mark (``statusDetails.flaky``);
- its JUnit ``<testcase>`` has the property ``marvin2_flaky`` ("passed on
  attempt 2 of 3"), which ``marvin2 run`` and ``marvin2 report merge`` count.

A test marked ``@pytest.mark.flaky`` is flagged flaky in allure whatever its
outcome (that is what the mark says: known to be intermittent), has the
JUnit property ``marvin2_marked_flaky``, and is named in the same section.
A flaky pass still counts as a pass (pytest-rerunfailures' ``--fail-on-flaky``
makes it fail the run instead); a test failing on every attempt is a failure,
listed here too with its number of attempts.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from marvin2.pytest_plugin.session import RUN_CONTEXT

__all__ = ["FLAKY_PROPERTY", "MARKED_PROPERTY", "attempts_of"]

FLAKY_PROPERTY = "marvin2_flaky"
MARKED_PROPERTY = "marvin2_marked_flaky"
_SEEN = pytest.StashKey["_Intermittent"]()


def attempts_of(item: pytest.Item) -> int:
    """Which attempt of this test is running (1 without reruns)."""
    return int(getattr(item, "execution_count", 1) or 1)


def _allowed_attempts(item: pytest.Item) -> int | None:
    try:
        from pytest_rerunfailures import get_reruns_count
    except ImportError:  # the plugin is disabled or absent: no reruns
        return None
    reruns = get_reruns_count(item)
    return None if reruns is None else int(reruns) + 1


def _add_property(item: pytest.Item, name: str, value: str) -> None:
    if not any(existing == name for existing, _ in item.user_properties):
        # Appended before the teardown report is made: junitxml writes the
        # properties of that report.
        item.user_properties.append((name, value))


def _mark_allure_flaky(item: pytest.Item) -> None:
    listener = item.config.pluginmanager.get_plugin("allure_listener")
    if listener is None:
        return
    from allure_commons.model2 import StatusDetails

    result = listener.allure_logger.get_test(None)  # the running test's result
    if result is None:
        return
    if result.statusDetails is None:
        result.statusDetails = StatusDetails(flaky=True)
    else:
        result.statusDetails.flaky = True


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call):
    # tryfirst wrapper: the code after yield runs after allure's own wrapper,
    # which resets statusDetails on every phase.
    report = yield
    marked = item.get_closest_marker("flaky") is not None
    if marked:
        _add_property(item, MARKED_PROPERTY, "marked @pytest.mark.flaky")
        _mark_allure_flaky(item)
    attempt = attempts_of(item)
    if call.when == "call" and report.passed and attempt > 1:
        allowed = _allowed_attempts(item)
        text = f"passed on attempt {attempt}" + (f" of {allowed}" if allowed else "")
        _add_property(item, FLAKY_PROPERTY, text)
        _mark_allure_flaky(item)
    if marked:
        report.marvin2_marked_flaky = True  # travels to the xdist controller with the report
    return report


@dataclass
class _Intermittent:
    passed_on: dict[str, int] = field(default_factory=dict)   # nodeid -> attempt it passed on
    failed_after: dict[str, int] = field(default_factory=dict)  # nodeid -> attempts, all failed
    marked: set = field(default_factory=set)
    retried: set = field(default_factory=set)  # nodeids with at least one rerun

    def add(self, report: pytest.TestReport) -> None:
        if getattr(report, "marvin2_marked_flaky", False):
            self.marked.add(report.nodeid)
        if report.outcome == "rerun":
            self.retried.add(report.nodeid)
            return
        reruns = int(getattr(report, "rerun", 0) or 0)
        if reruns <= 0:
            return
        if report.when == "call" and report.passed:
            self.passed_on[report.nodeid] = reruns + 1
        elif report.failed:
            self.failed_after[report.nodeid] = reruns + 1


class _Collector:
    def __init__(self, seen: _Intermittent):
        self.seen = seen

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        self.seen.add(report)


def pytest_configure(config: pytest.Config) -> None:
    config.stash[_SEEN] = _Intermittent()
    if not hasattr(config, "workerinput"):  # the controller (or only process) sees every report
        config.pluginmanager.register(_Collector(config.stash[_SEEN]), "marvin2.flaky.collector")


@pytest.hookimpl(tryfirst=True)
def pytest_sessionfinish(session: pytest.Session) -> None:
    """One JUnit ``<testcase>`` per test, however many attempts it took.

    pytest's junitxml opens a testcase for each attempt's (passing) teardown,
    so a test run 3 times would be counted 3 times by Jenkins and the like;
    the last attempt carries the outcome, the earlier ones only noise.
    """
    seen = session.config.stash.get(_SEEN, None)
    if not seen or not seen.retried:
        return
    try:
        from _pytest.junitxml import xml_key  # pytest's own JUnit writer; no public API for this
    except ImportError:
        return
    xml = session.config.stash.get(xml_key, None)
    if xml is None:
        return
    ordered = xml.node_reporters_ordered
    # Finalized reporters only keep their XML element; an attempt that was
    # retried left one with the test's name and no outcome child.
    elements = [reporter.to_xml() for reporter in ordered]
    keys = [(element.get("classname"), element.get("name")) for element in elements]
    last = {key: index for index, key in enumerate(keys)}
    ordered[:] = [reporter for index, (reporter, element, key) in enumerate(zip(ordered, elements, keys))
                  if last[key] == index or len(element) and any(child.tag != "properties" for child in element)]


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    seen = config.stash.get(_SEEN, None)
    if seen is None or RUN_CONTEXT not in config.stash or hasattr(config, "workerinput"):
        return
    if not (seen.passed_on or seen.failed_after or seen.marked):
        return
    count = len(seen.passed_on)
    terminalreporter.section(f"marvin2: intermittent: {count} test{'' if count == 1 else 's'}", yellow=True)
    write = terminalreporter.write_line
    for nodeid, attempt in sorted(seen.passed_on.items()):
        note = "  (marked @pytest.mark.flaky)" if nodeid in seen.marked else ""
        write(f"flaky: passed on attempt {attempt}: {nodeid}{note}")
    for nodeid, attempts in sorted(seen.failed_after.items()):
        write(f"failed on all {attempts} attempts: {nodeid}")
    quiet = sorted(seen.marked - set(seen.passed_on) - set(seen.failed_after))
    if quiet:
        write(f"{len(quiet)} test(s) marked @pytest.mark.flaky needed no rerun this time: " + ", ".join(quiet[:10])
              + (" ..." if len(quiet) > 10 else ""))
