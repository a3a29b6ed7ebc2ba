"""The glue between the resource layer's CleanupStack and the ledger, per scope.

A :class:`ResourceTracker` belongs to one fixture scope (a test, a module,
a worker's account). Its ``on_created`` callback is given to every resource
helper: the cleanup is pushed the moment an id exists, then the ledger
records the creation. ``finish()`` runs the stack newest first (or, with
``--keep-resources``, leaves everything and records it as kept); a test's
tracker may hand a stack of resource deletions to the process's background
cleaner instead (background_cleanup.py), every other tracker waits for that
cleaner before it runs its own stack.
"""
from __future__ import annotations

import logging
from typing import Any

import pytest

from marvin2.pytest_plugin.background_cleanup import BackgroundJob, cleaner_of, deferrable
from marvin2.pytest_plugin.ledger import ledger_of
from marvin2.pytest_plugin.options import get_option
from marvin2.resources.base import Created, OnCreated
from marvin2.resources.cleanup import CleanupStack

log = logging.getLogger("marvin2.fixtures")


class ResourceTracker:
    def __init__(self, config: pytest.Config, node_id: str, delete_api: Any, *, delete_timeout: float | None = None,
                 background: bool = False):
        self.node_id = node_id
        self.cleaner = cleaner_of(config)
        # Only a test's own tracker may defer its deletions (not module or session ones, not serial tests').
        self.background = background and get_option(config, "marvin_cleanup") == "background"
        self.delete_api = delete_api
        self.ledger = ledger_of(config)
        self.keep = bool(get_option(config, "marvin_keep_resources"))
        self.stack = CleanupStack(listeners=(self.ledger.cleanup_listener,), delete_timeout=delete_timeout)
        self._finished = False

    def on_created_by(self, owner: str | None) -> OnCreated:
        """The ``on_created`` callback for resources made through an API acting as ``owner``."""

        def on_created(created: Created) -> None:
            context = {"test": self.node_id, "owner": owner}
            # Cleanup first: an in-memory push cannot fail, so the resource is
            # never unaccounted for even if the ledger write below does.
            self.stack.push_resource(self.delete_api, created.kind, created.id, name=created.name, context=context,
                                     ownership=created.ownership)
            try:
                self.ledger.created(created, test=self.node_id, owner=owner)
            except Exception as error:  # noqa: BLE001 - the cleanup is registered; do not break the create
                log.error("could not record %s %s in the ledger: %s", created.kind, created.id, error)

        return on_created

    def finish(self) -> BackgroundJob | None:
        """Run (or, with --keep-resources, skip and record) every cleanup; idempotent.

        Returns the background job when the deletions were handed to the background cleaner.
        """
        if self._finished:
            return None
        self._finished = True
        if self.keep:
            for entry in self.stack.discard():
                self.ledger.kept(entry)
            return None
        if self.background and deferrable(self.stack):
            return self.cleaner.submit(self.node_id, self.stack.run)
        if not len(self.stack):
            return None  # nothing to undo: no reason to wait for the background cleaner here
        try:
            self.cleaner.wait()  # what this stack deletes may be what the earlier test's resources live in
        finally:
            self.stack.run()  # raises CleanupFailed summarising every failed cleanup
        return None


def delete_timeout(marvin2_config: Any) -> float | None:
    """How long a cleanup waits for an async delete: the config's job timeout."""
    timeouts = getattr(marvin2_config, "timeouts", None) or {}
    value = timeouts.get("job")
    return float(value) if value else None
