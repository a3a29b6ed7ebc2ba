"""A LIFO stack of cleanups that always runs to the end.

Legacy Marvin deleted its ``_cleanup`` list in reverse and stopped at the
first failure, leaking everything after it. Here every cleanup runs; the
failures are collected and raised as one :class:`CleanupFailed` summary at
the end. Deleting a resource that is already gone counts as success.
"""
from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

from marvin2.resources.base import call
from marvin2.resources.errors import CleanupFailed, is_gone_error
from marvin2.resources.kinds import delete_resource, get_kind

log = logging.getLogger("marvin2.resources.cleanup")

# Called after each resource cleanup: (entry, outcome, error) where outcome is
# "deleted", "already-gone" or "failed" (error set only then).
# Pauses (seconds) before each retry pass of deferred deletes.
RETRY_PAUSES = (0.2, 1.0, 3.0)

ResultListener = Callable[["CleanupEntry", str, "BaseException | None"], None]


@dataclass(eq=False)
class CleanupEntry:
    description: str
    action: Callable[[], Any]
    kind: str | None = None           # set for resource deletions
    resource_id: str | None = None
    cancelled: bool = False
    context: dict = field(default_factory=dict)   # free data for listeners (ledger)

    def cancel(self) -> None:
        """Do not run this cleanup (the test took care of it itself)."""
        self.cancelled = True


class CleanupStack:
    """Push cleanups as resources come to exist; ``run()`` undoes them newest first.

    Thread-safe for pushes (a test may create resources from threads).
    Usable as a context manager: leaving the block runs the stack.
    """

    def __init__(self, *, listeners: tuple[ResultListener, ...] = (), delete_timeout: float | None = None,
                 sleep: Callable[[float], None] = time.sleep):
        self._entries: list[CleanupEntry] = []
        self._lock = threading.Lock()
        self._listeners = list(listeners)
        self.delete_timeout = delete_timeout
        self._sleep = sleep

    def __len__(self) -> int:
        with self._lock:
            return sum(1 for e in self._entries if not e.cancelled)

    @property
    def entries(self) -> list[CleanupEntry]:
        with self._lock:
            return list(self._entries)

    def add_listener(self, listener: ResultListener) -> None:
        self._listeners.append(listener)

    def push(self, action: Callable[..., Any], *args: Any, description: str | None = None, **kwargs: Any) -> CleanupEntry:
        """Register any callable; it runs with ``args``/``kwargs`` during ``run()``."""
        text = description or getattr(action, "__qualname__", repr(action))
        entry = CleanupEntry(text, lambda: action(*args, **kwargs))
        with self._lock:
            self._entries.append(entry)
        return entry

    def push_resource(self, api: Any, kind: str, resource_id: str, *, name: str | None = None,
                      timeout: float | None = None, context: dict | None = None,
                      ownership: Mapping[str, Any] | None = None) -> CleanupEntry:
        """Register the deletion of a resource with the kind's delete API, via ``api``.

        ``ownership`` (``Created.ownership``): delete only while the resource is
        still that allocation (public IPs keep their id when released)."""
        resource_kind = get_kind(kind)
        label = f"delete {resource_kind.label} {resource_id}" + (f" ({name})" if name else "")
        wait = timeout if timeout is not None else self.delete_timeout
        entry = CleanupEntry(label, lambda: delete_resource(api, resource_kind, resource_id, timeout=wait,
                                                            ownership=ownership),
                             kind=kind, resource_id=str(resource_id), context=dict(context or {}))
        with self._lock:
            self._entries.append(entry)
        return entry

    def run(self, *, raise_errors: bool = True) -> list[tuple[str, BaseException]]:
        """Run every registered cleanup, newest first, each exactly once.

        A resource delete that fails is retried after all the others have
        run, in passes while they make progress: what blocked it (a network's
        source NAT IP, a VM still on a network...) is usually gone by then. Returns the failures; raises them
        as one :class:`CleanupFailed` when ``raise_errors`` (the default) and
        there was any.
        """
        failures: list[tuple[str, BaseException]] = []
        retry_later: list[CleanupEntry] = []
        while True:
            with self._lock:
                if not self._entries:
                    break
                entry = self._entries.pop()
            if entry.cancelled:
                continue
            error = self._attempt(entry)
            if error is not None:
                if entry.kind is not None:
                    log.info("cleanup deferred after a failure, retried at the end: %s: %s", entry.description, error)
                    retry_later.append(entry)
                else:
                    failures.append(self._failed(entry, error))
        for entry, error in self._retry(retry_later):
            failures.append(self._failed(entry, error))
        if failures and raise_errors:
            raise CleanupFailed(failures)
        return failures

    def _retry(self, entries: list[CleanupEntry]) -> list[tuple[CleanupEntry, BaseException]]:
        """Retry deferred deletes in passes while they make progress; returns what still fails.

        Passes are needed because deferred deletes can depend on each other
        (a source NAT IP is released by its network's delete, which may itself
        have been deferred while a VM finished expunging). A short pause lets
        the server finish what the previous deletes started.
        """
        pending: list[tuple[CleanupEntry, BaseException | None]] = [(e, None) for e in entries]
        for pause in RETRY_PAUSES:
            if not pending:
                break
            self._sleep(pause)
            still: list[tuple[CleanupEntry, BaseException | None]] = []
            for entry, _ in pending:
                error = self._attempt(entry)
                if error is not None:
                    still.append((entry, error))
            progressed = len(still) < len(pending)
            pending = still
            if not progressed:
                break
        return [(entry, error) for entry, error in pending if error is not None]

    def _attempt(self, entry: CleanupEntry) -> BaseException | None:
        """Run one cleanup; tell listeners about a success; return the error of a failure."""
        started = time.monotonic()
        try:
            result = entry.action()
        except Exception as error:  # noqa: BLE001 - collect, keep going
            return error
        outcome = "already-gone" if entry.kind is not None and result is False else "deleted"
        log.debug("cleanup %s: %s in %.2fs", outcome, entry.description, time.monotonic() - started)
        self._tell(entry, outcome, None)
        return None

    def _failed(self, entry: CleanupEntry, error: BaseException) -> tuple[str, BaseException]:
        log.warning("cleanup failed: %s: %s", entry.description, error)
        self._tell(entry, "failed", error)
        return entry.description, error

    def _tell(self, entry: CleanupEntry, outcome: str, error: BaseException | None) -> None:
        for listener in self._listeners:
            try:
                listener(entry, outcome, error)
            except Exception as listener_error:  # noqa: BLE001 - a listener must not stop cleanup
                log.warning("cleanup listener failed for %s: %s", entry.description, listener_error)

    def discard(self) -> list[CleanupEntry]:
        """Forget every pending cleanup without running it (``--keep-resources``); returns them."""
        with self._lock:
            pending = [e for e in self._entries if not e.cancelled]
            self._entries.clear()
        return pending

    def __enter__(self) -> "CleanupStack":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        # Cleanup failures must not hide the block's own exception.
        failures = self.run(raise_errors=False)
        if failures and exc_type is None:
            raise CleanupFailed(failures)
        for description, error in failures:
            log.error("cleanup failed after an error in the block: %s: %s", description, error)


def undo_call(api: Any, command: str, **params: Any) -> bool:
    """Run an undo API call (disableStaticNat, deleteTags, ...) for a cleanup; False when there was nothing to undo.

    "Does not exist" means the test, or the deletion of something it belonged
    to, already did it: that is success. Any other error propagates.
    """
    try:
        call(api, command, **params)
        return True
    except Exception as error:
        if is_gone_error(error):
            return False
        raise
