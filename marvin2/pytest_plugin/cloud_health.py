"""Fail fast when the cloud is not usable, and stop when it goes away.

Before the first test (once per run, whichever process collects first): if
any selected test uses the ``cloud`` fixture, :func:`marvin2.health.check_cloud`
asks the cloud whether it answers, accepts the keys, has the zone and the
``test_data`` names. If not, no test runs: every item is deselected (all
xdist workers read the same cached verdict, so their collections agree) and
the run ends with ONE message naming the endpoint, what failed and what to
do, and exit code 2 (interrupted). Config mistakes (no such file, a
simulator that cannot start) are not the check's business: the fixtures
report those as before.

During the run: after ``marvin_max_transport_failures`` transport failures in
a row (no HTTP answer at all) a process stops taking tests
(``session.shouldstop``; under xdist the controller then stops scheduling).
The tests not run are counted in the summary with the reason, and the
summary, ledger and cleanup hint are still written.

Opt out: ``--no-health-check`` / ini ``marvin_health_check = false``.
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from filelock import FileLock

from marvin2.pytest_plugin.options import get_option
from marvin2.pytest_plugin.session import (
    MarvinSessionError, add_api_listener, connect_api, hypervisor_name, marvin_config_of, run_context_of,
    uses_simulator, zone_name,
)

HEALTH_FILE = "health.json"
NOTHING_RUN_FILE = "health-stopped-the-run"  # written when the verdict deselected the tests
STOPPED_FILE = "stopped.json"
EXIT_CLOUD_UNUSABLE = pytest.ExitCode.INTERRUPTED

_BREAKER = pytest.StashKey["_Breaker"]()
_COLLECTED = pytest.StashKey[int]()


# --- the check before the first test -------------------------------------------------


def _field(obj: Any, name: str) -> Any:
    return obj.get(name) if isinstance(obj, dict) else getattr(obj, name, None)


def _run_check(config: pytest.Config) -> dict | None:
    """The verdict as a JSON-able dict; None when the config itself is the problem."""
    from marvin2.health import CHECK_CONNECT_TIMEOUT, CHECK_READ_TIMEOUT, check_cloud

    try:
        cfg = marvin_config_of(config)
        simulated = uses_simulator(config)
        zone, hypervisor = zone_name(config), hypervisor_name(config)
    except MarvinSessionError:
        return None
    servers = _field(cfg, "management_servers") or []
    endpoint = "the embedded simulator" if simulated else ", ".join(str(_field(s, "url")) for s in servers)
    api_key = None if simulated or not servers else _field(servers[0], "api_key")
    timeouts = _field(cfg, "timeouts") or {}
    session_errors: list[str] = []

    def connect():
        try:
            return connect_api(config, listeners=False, retries=0, timeout={
                "connect": min(float(timeouts.get("connect", CHECK_CONNECT_TIMEOUT)), CHECK_CONNECT_TIMEOUT),
                "read": min(float(timeouts.get("read", CHECK_READ_TIMEOUT)), CHECK_READ_TIMEOUT)})
        except MarvinSessionError as error:
            session_errors.append(str(error))
            raise

    health = check_cloud(connect, endpoint=endpoint, api_key=api_key, zone=zone,
                         test_data=dict(_field(cfg, "test_data") or {}),
                         config_path=str(run_context_of(config).config_path), hypervisor=hypervisor)
    if session_errors:
        return None
    return {"ok": health.ok, "message": None if health.ok else health.message(), "kind": health.kind,
            "endpoint": health.endpoint, "version": health.version, "zone": health.zone,
            "hypervisor": health.hypervisor}


def verdict_once(config: pytest.Config) -> dict | None:
    """The run's health verdict: checked by the first process that asks, read from a file by the others."""
    shared = run_context_of(config).shared_dir
    shared.mkdir(parents=True, exist_ok=True)
    path = shared / HEALTH_FILE
    with FileLock(str(path) + ".lock", timeout=300):
        if path.exists():
            return json.loads(path.read_text(encoding="utf-8"))
        result = _run_check(config)
        if result is not None:
            temporary = path.with_name(f"{path.name}.{os.getpid()}.tmp")
            temporary.write_text(json.dumps(result), encoding="utf-8")
            os.replace(temporary, path)
        return result


def _needs_cloud(items: list) -> bool:
    """Whether a test uses the plugin's own ``cloud`` fixture (a conftest may replace it with a fake)."""
    from marvin2.pytest_plugin import session as session_module

    for item in items:
        info = getattr(item, "_fixtureinfo", None)
        definitions = info.name2fixturedefs.get("cloud") if info is not None else None
        if definitions and getattr(definitions[-1].func, "__module__", None) == session_module.__name__:
            return True
    return False


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list) -> None:
    config.stash[_COLLECTED] = len(items)
    if config.option.collectonly or not items or not get_option(config, "marvin_health_check"):
        return
    if not _needs_cloud(items):
        return
    result = verdict_once(config)
    if result is None or result.get("ok"):
        return
    config.hook.pytest_deselected(items=list(items))
    items[:] = []
    (run_context_of(config).shared_dir / NOTHING_RUN_FILE).write_text(result["message"], encoding="utf-8")


# --- the breaker during the run ---------------------------------------------------


class _Breaker:
    """Counts transport failures in a row (no HTTP answer); any answer resets the count."""

    def __init__(self, limit: int):
        self.limit = limit
        self.in_a_row = 0
        self.last = ""
        self.tripped: str | None = None

    def __call__(self, event: Any) -> None:
        if getattr(event, "status", None) is not None:
            self.in_a_row = 0
            return
        error = getattr(event, "error", None)
        if error is None:
            return
        self.in_a_row += 1
        self.last = str(getattr(error, "reason", None) or error)
        if self.limit and self.in_a_row >= self.limit and self.tripped is None:
            self.tripped = (f"the cloud stopped answering: {self.in_a_row} transport failures in a row "
                            f"(last: {self.last}); raise ini marvin_max_transport_failures to wait longer")


def pytest_configure(config: pytest.Config) -> None:
    try:
        limit = int(get_option(config, "marvin_max_transport_failures"))
    except (TypeError, ValueError):
        limit = 10
    breaker = _Breaker(limit)
    config.stash[_BREAKER] = breaker
    add_api_listener(config, breaker)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem):
    result = yield
    breaker = item.config.stash.get(_BREAKER, None)
    if breaker is not None and breaker.tripped and not item.session.shouldstop:
        item.session.shouldstop = breaker.tripped
        path = run_context_of(item.config).shared_dir / STOPPED_FILE
        try:
            path.write_text(json.dumps({"reason": breaker.tripped, "after": item.nodeid}), encoding="utf-8")
        except OSError:
            pass
    return result


# --- what the controller (or the only process) says at the end ---------------------------


def _is_controller(config: pytest.Config) -> bool:
    return not hasattr(config, "workerinput")


def _stopped_by_check(config: pytest.Config) -> str | None:
    """The one message, when the health check kept this run's tests from running."""
    try:
        return (run_context_of(config).shared_dir / NOTHING_RUN_FILE).read_text(encoding="utf-8")
    except (MarvinSessionError, OSError):
        return None


@pytest.hookimpl(tryfirst=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if _is_controller(session.config) and _stopped_by_check(session.config) is not None:
        session.exitstatus = EXIT_CLOUD_UNUSABLE


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    if not _is_controller(config):
        return
    try:
        shared: Path = run_context_of(config).shared_dir
    except MarvinSessionError:
        return
    message = _stopped_by_check(config)
    if message is not None:
        terminalreporter.write_sep("=", "marvin2: no test was run", red=True, bold=True)
        terminalreporter.write_line(message, red=True)
        return
    try:
        stopped = json.loads((shared / STOPPED_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return
    stats = terminalreporter.stats
    reported = {getattr(r, "nodeid", None) for key in ("passed", "failed", "skipped", "error", "xfailed", "xpassed")
                for r in stats.get(key, ()) if getattr(r, "when", "call") in ("call", "setup", "???")}
    collected = getattr(terminalreporter, "_numcollected", 0) - len(stats.get("deselected", ()))
    not_run = max(0, collected - len(reported))
    terminalreporter.write_sep("=", "marvin2: run stopped early", red=True, bold=True)
    terminalreporter.write_line(f"{not_run} test(s) not run: {stopped['reason']}", red=True)
