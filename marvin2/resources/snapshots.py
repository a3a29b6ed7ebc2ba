"""Volume snapshots."""
from __future__ import annotations

from typing import Any

from marvin2.resources.base import OnCreated, create_async
from marvin2.resources.kinds import ResourceKind, register, simple_delete
from marvin2.resources.naming import unique_name

SNAPSHOT = register(ResourceKind(
    name="snapshot", label="snapshot", list_api="listSnapshots", delete=simple_delete("deleteSnapshot"),
    rank=30, tag_type="Snapshot", gone_states=frozenset({"Destroyed"}), error_states=frozenset({"Error"}),
))


def create_snapshot(
    api: Any, volume_id: str, *, name: str | None = None, purpose: str = "snap", run_id: str | None = None,
    on_created: OnCreated | None = None, timeout: float | None = None, **params: Any,
) -> Any:
    """createSnapshot of a volume; returns the snapshot record (BackedUp when the job is done)."""
    params = {"volumeid": volume_id, "name": name or unique_name(purpose, run_id), **params}
    return create_async(api, "snapshot", "createSnapshot", params, result_keys=("snapshot",),
                        on_created=on_created, run_id=run_id, tag_type=SNAPSHOT.tag_type, timeout=timeout)
