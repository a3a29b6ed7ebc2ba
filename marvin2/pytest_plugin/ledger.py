"""The resource ledger under pytest, and the end-of-run leak check.

Every process (xdist worker, or the single process) appends to its own
ledger file in ``<results_dir>/ledger/`` (format: marvin2/resources/ledger.py):
what the fixtures created, by which test, and what became of it. At the end
of the run, the controller (or the single process) lists the resources that
were created, never deleted and still exist in the cloud (checked with the
API), plus resources carrying this run's ``marvin2-run`` tag that nobody
recorded, into ``<results_dir>/leaks.json`` (only when there are leaks), and
always writes ``<results_dir>/ledger-summary.json``. Leaks make a run whose
tests all passed fail (exit status 1); ``--no-leak-check`` turns the check off.
"""
from __future__ import annotations

import json
import logging
import os
import threading
from pathlib import Path
from typing import Any

import pytest

from marvin2.pytest_plugin.options import get_option
from marvin2.pytest_plugin.session import RUN_CONTEXT, RunContext, admin_api, cloud_started
from marvin2.resources import ledger as L
from marvin2.resources.base import Created
from marvin2.resources.cleanup import CleanupEntry
from marvin2.resources.kinds import exists
from marvin2.resources.sweep import find_by_tag

log = logging.getLogger("marvin2.ledger")

LEAKS_FILE = "leaks.json"
SUMMARY_FILE = "ledger-summary.json"
_LEDGER = pytest.StashKey["ResourceLedger"]()


class ResourceLedger:
    """This process's ledger; opens its file on the first record."""

    def __init__(self, context: RunContext):
        self.context = context
        self._writer: L.LedgerWriter | None = None
        self._lock = threading.Lock()

    def _write(self, event: str, kind: str, resource_id: str, **fields: Any) -> None:
        with self._lock:
            if self._writer is None:
                self._writer = L.LedgerWriter(self.context.results_dir, run_id=self.context.run_id,
                                              worker=self.context.worker_id)
            writer = self._writer
        writer.record(event, kind=kind, resource_id=resource_id, **fields)

    def created(self, created: Created, *, test: str, owner: str | None = None) -> dict:
        """Record a creation; returns the context to attach to its cleanup entry."""
        context = {"test": test, "owner": owner}
        self._write(L.CREATED, created.kind, created.id, name=created.name, command=created.command,
                    ownership=dict(created.ownership) if created.ownership else None, **context)
        return context

    def cleanup_listener(self, entry: CleanupEntry, outcome: str, error: BaseException | None) -> None:
        """A CleanupStack listener: record what each resource cleanup did."""
        if entry.kind is None or entry.resource_id is None:
            return
        event = {"deleted": L.DELETED, "already-gone": L.ALREADY_GONE, "failed": L.DELETE_FAILED}[outcome]
        self._write(event, entry.kind, entry.resource_id, test=entry.context.get("test"),
                    error=f"{type(error).__name__}: {error}" if error is not None else None)

    def kept(self, entry: CleanupEntry) -> None:
        if entry.kind is not None and entry.resource_id is not None:
            self._write(L.KEPT, entry.kind, entry.resource_id, test=entry.context.get("test"))

    @property
    def used(self) -> bool:
        return self._writer is not None

    def close(self) -> None:
        with self._lock:
            if self._writer is not None:
                self._writer.close()


def ledger_of(config: pytest.Config) -> ResourceLedger:
    """This process's ledger (created on first use)."""
    ledger = config.stash.get(_LEDGER, None)
    if ledger is None:
        ledger = config.stash[_LEDGER] = ResourceLedger(config.stash[RUN_CONTEXT])
    return ledger


# --- leak check ----------------------------------------------------------------------


def check_leaks(api: Any, context: RunContext, *, use_tags: bool = True) -> dict:
    """Compare the run's ledger with the cloud; returns the summary (also the file contents)."""
    resources = L.read_ledger(context.results_dir, run_id=context.run_id)
    kept = [r for r in resources if r.status == L.KEPT]
    leaks, unverified = [], []
    for resource in L.outstanding(resources):
        if resource.status == L.KEPT:
            continue
        try:
            present = exists(api, resource.kind, resource.id, ownership=resource.ownership)
        except Exception as error:  # noqa: BLE001 - report, do not guess
            unverified.append({**resource.describe(), "check_error": f"{type(error).__name__}: {error}"})
            continue
        if present:
            leaks.append({**resource.describe(), "found_by": "ledger"})
    if use_tags and resources:
        known = {(r.kind, r.id) for r in resources}
        for item in find_by_tag(api, context.run_id) or []:
            if (item.kind, item.id) in known:
                continue
            try:
                if exists(api, item.kind, item.id):
                    leaks.append({"kind": item.kind, "id": item.id, "status": "untracked", "run_id": context.run_id,
                                  "found_by": "tag"})
            except Exception:  # noqa: BLE001 - a tag of a resource we cannot see is not proof of a leak
                continue
    counts: dict[str, int] = {}
    for resource in resources:
        counts[resource.status] = counts.get(resource.status, 0) + 1
    return {
        "run_id": context.run_id,
        "created": len(resources),
        "by_status": counts,
        "kept": [r.describe() for r in kept],
        "leaks": leaks,
        "unverified": unverified,
        "cleanup_command": f"marvin2 cleanup --run-id {context.run_id} --results-dir {context.results_dir}",
    }


def _write_json(path: Path, data: Any) -> None:
    tmp = path.with_name(path.name + f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps(data, indent=2, default=str) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def _is_worker(config: pytest.Config) -> bool:
    return hasattr(config, "workerinput")


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    config = session.config
    ledger = config.stash.get(_LEDGER, None)
    if ledger is not None:
        ledger.close()
    context = config.stash.get(RUN_CONTEXT, None)
    if context is None or _is_worker(config) or not L.ledger_dir(context.results_dir).is_dir():
        return
    if not get_option(config, "marvin_leak_check"):
        return
    if not any(L.iter_events(context.results_dir, run_id=context.run_id)):
        return
    if not cloud_started(config):
        return
    try:
        summary = check_leaks(admin_api(config), context)
    except Exception as error:  # noqa: BLE001 - the run's result stands; say the check failed
        _warn(config, f"marvin2: leak check failed: {type(error).__name__}: {error}")
        return
    _write_json(context.results_dir / SUMMARY_FILE, {k: v for k, v in summary.items() if k != "leaks"}
                | {"leaks": len(summary["leaks"])})
    leaks_path = context.results_dir / LEAKS_FILE
    if summary["leaks"]:
        _write_json(leaks_path, summary)
        kinds = sorted({leak["kind"] for leak in summary["leaks"]})
        _warn(config, f"marvin2: {len(summary['leaks'])} leaked resource(s) ({', '.join(kinds)}) listed in "
                      f"{leaks_path}; remove them with: {summary['cleanup_command']}")
        _fail_the_run(session, summary)
    elif leaks_path.exists():
        leaks_path.unlink()  # a re-run with the same results dir must not show stale leaks


def _fail_the_run(session: pytest.Session, summary: dict) -> None:
    """Leaks must not pass silently: a run whose tests all passed ends with exit status 1.

    A run that already failed keeps its status (tests failed, interrupted, usage error ...).
    pytest returns ``session.exitstatus`` as set by the time every ``pytest_sessionfinish``
    has run, so setting it here (trylast) decides the process's exit code.
    """
    if session.exitstatus != pytest.ExitCode.OK:
        return
    session.exitstatus = pytest.ExitCode.TESTS_FAILED
    _warn(session.config, f"marvin2: exit status 1: every test passed but the run leaked {len(summary['leaks'])} "
                          f"resource(s); run `{summary['cleanup_command']}` (--no-leak-check skips this check)")


def _warn(config: pytest.Config, text: str) -> None:
    log.warning(text)
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.write_line(text, yellow=True, bold=True)
