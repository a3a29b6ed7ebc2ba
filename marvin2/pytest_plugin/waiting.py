"""Never silent: a call that waits long says so, and every test has a timeout.

- A watchdog thread in each process looks at the API calls still waiting
  (``marvin2.client.transport.calls_in_flight``) once a second. A call
  waiting longer than ini ``marvin_slow_call_notice`` seconds (default 5)
  is announced, then again every that many seconds while it waits:
  ``marvin2: gw1 still waiting 12s for listZones on http://...``. Without
  xdist the line goes straight to the terminal (past pytest's capture); an
  xdist worker's output is not shown, so workers append their lines to
  ``<results>/shared/waiting.log`` and the controller's watchdog prints them.
- Every test gets pytest-timeout's ``timeout`` marker with the config's
  ``timeouts.test`` (default 3600 s) unless it has its own
  (``@pytest.mark.timeout(120)``) or ``--timeout``/ini ``timeout`` is given.
"""
from __future__ import annotations

import os
import sys
import threading
import time
from pathlib import Path
from typing import Callable

import pytest

from marvin2.pytest_plugin.options import get_option
from marvin2.pytest_plugin.session import MarvinSessionError, marvin_config_of, run_context_of

WAITING_LOG = "waiting.log"
DEFAULT_TEST_TIMEOUT = 3600.0
_WATCHDOG = pytest.StashKey["Watchdog"]()


class Watchdog:
    """Announces calls that wait longer than ``notice`` seconds, at most every ``notice`` seconds each."""

    def __init__(self, notice: float, emit: Callable[[str], None], who: str, *, tail: Path | None = None,
                 in_flight: Callable[[], list] | None = None, tick: float = 1.0):
        from marvin2.client.transport import calls_in_flight

        self.notice = notice
        self.emit = emit
        self.who = who
        self.tail = tail              # controller: a file of the workers' lines to print
        self.in_flight = in_flight or calls_in_flight
        self.tick = tick
        self._announced: dict[tuple[str, float], float] = {}  # call -> when it was last announced
        self._offset = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="marvin2-watchdog", daemon=True)

    def start(self) -> "Watchdog":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)
        self._print_tail()

    def check(self, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        waiting = set()
        for command, endpoint, started in self.in_flight():
            key = (command, started)
            waiting.add(key)
            waited = now - started
            last = self._announced.get(key, started)
            if waited >= self.notice and now - last >= self.notice:
                self._announced[key] = now
                self.emit(f"marvin2: {self.who} still waiting {waited:.0f}s for {command} on {endpoint}")
        for key in list(self._announced):
            if key not in waiting:
                del self._announced[key]

    def _print_tail(self) -> None:
        if self.tail is None:
            return
        try:
            with open(self.tail, encoding="utf-8") as log_file:
                log_file.seek(self._offset)
                text = log_file.read()
                self._offset = log_file.tell()
        except OSError:
            return
        for line in text.splitlines():
            self.emit(line)

    def _run(self) -> None:
        while not self._stop.wait(self.tick):
            try:
                self.check()
                self._print_tail()
            except Exception:  # noqa: BLE001 - a watchdog must never break the run
                pass


def _terminal_writer() -> Callable[[str], None]:
    """Writes to this process's stderr as it is now, past pytest's output capture.

    pytest captures at the file-descriptor level while a test runs (fd 2 then
    points at a temporary file); at configure time the capture is suspended,
    so a duplicate of fd 2 made now is the real terminal for the whole run.
    """
    try:
        stream = os.fdopen(os.dup(2), "w", buffering=1, encoding="utf-8", errors="replace")
    except OSError:
        stream = sys.__stderr__ or sys.stderr

    def write(line: str) -> None:
        stream.write(line + "\n")
        stream.flush()
    write.stream = stream  # type: ignore[attr-defined]
    return write


def _appender(path: Path) -> Callable[[str], None]:
    def emit(line: str) -> None:
        with open(path, "a", encoding="utf-8") as log_file:
            log_file.write(line + "\n")
    return emit


def pytest_configure(config: pytest.Config) -> None:
    if config.option.help or getattr(config.option, "collectonly", False):
        return
    try:
        notice = float(get_option(config, "marvin_slow_call_notice"))
        context = run_context_of(config)
    except (MarvinSessionError, TypeError, ValueError):
        return
    if notice <= 0:
        return
    log_path = context.shared_dir / WAITING_LOG
    if hasattr(config, "workerinput"):
        watchdog = Watchdog(notice, _appender(log_path), context.worker_id)
    else:
        watchdog = Watchdog(notice, _terminal_writer(), "the run is", tail=log_path)
    config.stash[_WATCHDOG] = watchdog.start()


def pytest_unconfigure(config: pytest.Config) -> None:
    watchdog = config.stash.get(_WATCHDOG, None)
    if watchdog is not None:
        watchdog.stop()
        stream = getattr(watchdog.emit, "stream", None)
        if stream is not None and stream not in (sys.__stderr__, sys.stderr):
            stream.close()


@pytest.hookimpl(trylast=True)
def configured_test_timeout(config: pytest.Config) -> float:
    """The config's ``timeouts.test`` in seconds (default 3600; 0 or less: no per-test timeout)."""
    try:
        timeouts = getattr(marvin_config_of(config), "timeouts", None) or {}
    except MarvinSessionError:
        timeouts = {}
    return float(timeouts.get("test", DEFAULT_TEST_TIMEOUT))


def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list) -> None:
    """The config's per-test timeout for tests without their own (pytest-timeout)."""
    if not config.pluginmanager.hasplugin("timeout"):
        return
    if config.getoption("timeout", default=None) is not None or config.getini("timeout"):
        return  # the user chose a timeout for all tests: theirs wins
    seconds = configured_test_timeout(config)
    if seconds <= 0:
        return
    for item in items:
        if item.get_closest_marker("timeout") is None:
            item.add_marker(pytest.mark.timeout(seconds))
