"""The resource ledger's file format: append-only JSON lines, one file per process.

Every created resource gets a ``created`` line the moment its id is known,
and a ``deleted`` / ``already-gone`` / ``delete-failed`` / ``kept`` line
when its cleanup ran (or was skipped by ``--keep-resources``). Each process
(xdist worker, controller, script) writes its own file, so writers never
share a file; each line is one ``write`` of a complete line followed by a
flush, so a killed process leaves at most a torn last line, which readers
skip. ``marvin2 cleanup`` and the leak check read all files of a run.

This module knows nothing of pytest: scripts can keep a ledger too.
"""
from __future__ import annotations

import datetime as _dt
import json
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Iterator

LEDGER_DIRNAME = "ledger"

CREATED = "created"
DELETED = "deleted"
ALREADY_GONE = "already-gone"
DELETE_FAILED = "delete-failed"
KEPT = "kept"
EVENTS = (CREATED, DELETED, ALREADY_GONE, DELETE_FAILED, KEPT)
# A resource whose last event is one of these is no longer ours to worry about.
SETTLED = frozenset({DELETED, ALREADY_GONE})


def _now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="milliseconds")


def ledger_dir(results_dir: Path | str) -> Path:
    return Path(results_dir) / LEDGER_DIRNAME


class LedgerWriter:
    """Appends events to ``<results_dir>/ledger/<worker>-<pid>.jsonl``.

    Thread-safe; every event is on disk (in the OS) before ``record`` returns.
    """

    def __init__(self, results_dir: Path | str, *, run_id: str, worker: str):
        self.run_id = run_id
        self.worker = worker
        directory = ledger_dir(results_dir)
        directory.mkdir(parents=True, exist_ok=True)
        self.path = directory / f"{worker}-{os.getpid()}.jsonl"
        self._lock = threading.Lock()
        # O_APPEND: every write lands at the end even if something else appends.
        self._fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)

    def record(self, event: str, *, kind: str, resource_id: str, **fields: Any) -> dict:
        if event not in EVENTS:
            raise ValueError(f"unknown ledger event {event!r}; expected one of {', '.join(EVENTS)}")
        entry = {"event": event, "time": _now(), "run_id": self.run_id, "worker": self.worker,
                 "kind": kind, "id": str(resource_id)}
        entry.update({k: v for k, v in fields.items() if v is not None})
        line = (json.dumps(entry, ensure_ascii=False, default=str) + "\n").encode("utf-8")
        with self._lock:
            if self._fd < 0:
                raise ValueError(f"ledger {self.path} is closed")
            os.write(self._fd, line)
        return entry

    def close(self) -> None:
        with self._lock:
            if self._fd >= 0:
                os.close(self._fd)
                self._fd = -1

    def __enter__(self) -> "LedgerWriter":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def iter_events(results_dir: Path | str, *, run_id: str | None = None) -> Iterator[dict]:
    """Every well-formed event of every ledger file under ``results_dir``.

    Also finds ledgers in sub-directories (``runs/<id>/ledger``), so a parent
    results directory holding many runs works with ``run_id`` as a filter.
    """
    root = Path(results_dir)
    files = sorted(root.glob(f"{LEDGER_DIRNAME}/*.jsonl")) + sorted(root.glob(f"**/{LEDGER_DIRNAME}/*.jsonl"))
    seen: set[Path] = set()
    for path in files:
        if path in seen:
            continue
        seen.add(path)
        with open(path, encoding="utf-8", errors="replace") as handle:
            for line in handle:
                line = line.strip()
                if not line:
                    continue
                try:
                    event = json.loads(line)
                except json.JSONDecodeError:
                    continue  # torn last line of a killed process
                if not isinstance(event, dict) or "kind" not in event or "id" not in event:
                    continue
                if run_id is not None and event.get("run_id") != run_id:
                    continue
                yield event


@dataclass
class LedgerResource:
    """What the ledger knows of one resource: its creation and its last event."""

    kind: str
    id: str
    created: dict
    last: dict
    history: list[dict] = field(default_factory=list)

    @property
    def status(self) -> str:
        return self.last["event"]

    @property
    def ownership(self) -> dict | None:
        """Who had it when it was created, for kinds whose ids a server hands out again (public IPs)."""
        value = self.created.get("ownership")
        return value if isinstance(value, dict) and value else None

    @property
    def outstanding(self) -> bool:
        """Created and neither deleted nor found gone (kept ones count: they exist)."""
        return self.status not in SETTLED

    def describe(self) -> dict:
        """A JSON-ready summary (for leaks.json and reports)."""
        return {
            "kind": self.kind, "id": self.id, "name": self.created.get("name"),
            "status": self.status, "run_id": self.created.get("run_id"),
            "worker": self.created.get("worker"), "test": self.created.get("test"),
            "command": self.created.get("command"), "owner": self.created.get("owner"),
            "created": self.created.get("time"),
            "error": self.last.get("error") if self.status == DELETE_FAILED else None,
        }


def read_ledger(results_dir: Path | str, *, run_id: str | None = None) -> list[LedgerResource]:
    """One entry per resource ever created, in creation order.

    An event for a resource the ledger never saw created (a torn line) is
    kept as created-by-that-event, so it is still checked.
    """
    resources: dict[tuple[str, str], LedgerResource] = {}
    for event in sorted(iter_events(results_dir, run_id=run_id), key=lambda e: e.get("time", "")):
        key = (event["kind"], str(event["id"]))
        known = resources.get(key)
        if known is None:
            resources[key] = LedgerResource(key[0], key[1], created=event, last=event, history=[event])
            continue
        known.history.append(event)
        if event["event"] == CREATED:
            known.created = event  # the same id created again (should not happen) - newest wins
        known.last = event
    return list(resources.values())


def run_ids(results_dir: Path | str) -> list[str]:
    """The run ids found in the ledgers under ``results_dir``, oldest first."""
    first_seen: dict[str, str] = {}
    for event in iter_events(results_dir):
        rid = event.get("run_id")
        if rid and (rid not in first_seen or event.get("time", "") < first_seen[rid]):
            first_seen[rid] = event.get("time", "")
    return sorted(first_seen, key=lambda r: first_seen[r])


def outstanding(resources: Iterable[LedgerResource]) -> list[LedgerResource]:
    return [r for r in resources if r.outstanding]
