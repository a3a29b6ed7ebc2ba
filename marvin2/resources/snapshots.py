"""Volume snapshots and snapshot policies."""
from __future__ import annotations

from typing import Any

from marvin2.resources.base import OnCreated, create_async, create_sync
from marvin2.resources.kinds import ResourceKind, register, simple_delete
from marvin2.resources.naming import unique_name

SNAPSHOT = register(ResourceKind(
    name="snapshot", label="snapshot", list_api="listSnapshots", delete=simple_delete("deleteSnapshot"),
    rank=30, tag_type="Snapshot", gone_states=frozenset({"Destroyed"}), error_states=frozenset({"Error"}),
))

SNAPSHOT_POLICY = register(ResourceKind(
    # Policies have no name; deleting their volume deletes them too.
    name="snapshot_policy", label="snapshot policy", list_api="listSnapshotPolicies",
    delete=simple_delete("deleteSnapshotPolicies", is_async=False), rank=28, list_params={}, name_searchable=False,
))


def create_snapshot(
    api: Any, volume_id: str, *, name: str | None = None, purpose: str = "snap", run_id: str | None = None,
    on_created: OnCreated | None = None, timeout: float | None = None, **params: Any,
) -> Any:
    """createSnapshot of a volume; returns the snapshot record (BackedUp when the job is done)."""
    params = {"volumeid": volume_id, "name": name or unique_name(purpose, run_id), **params}
    return create_async(api, "snapshot", "createSnapshot", params, result_keys=("snapshot",),
                        on_created=on_created, run_id=run_id, tag_type=SNAPSHOT.tag_type, timeout=timeout)


def create_snapshot_policy(
    api: Any, *, volumeid: str, intervaltype: str = "DAILY", schedule: str = "00:01", maxsnaps: int = 2,
    timezone: str = "UTC", on_created: OnCreated | None = None, **params: Any,
) -> Any:
    """createSnapshotPolicy (sync) for a volume; by default daily at 00:01 UTC keeping 2 snapshots."""
    params = {"volumeid": volumeid, "intervaltype": intervaltype, "schedule": schedule, "maxsnaps": maxsnaps,
              "timezone": timezone, **params}
    return create_sync(api, SNAPSHOT_POLICY.name, "createSnapshotPolicy", params, result_keys=("snapshotpolicy",),
                       on_created=on_created)
