"""Data volumes: create, attach/detach, delete (detaching first)."""
from __future__ import annotations

from typing import Any

from marvin2.resources.base import OnCreated, call, create_async
from marvin2.resources.errors import AlreadyGone
from marvin2.resources.kinds import ResourceKind, find_by_id, register
from marvin2.resources.naming import unique_name


def delete_volume(api: Any, volume_id: str, *, timeout: float | None = None) -> None:
    """deleteVolume (sync); a volume still attached to a VM is detached first."""
    record = find_by_id(api, VOLUME, volume_id)
    if record is None or record.get("state") in VOLUME.gone_states:
        raise AlreadyGone(f"volume {volume_id} does not exist")
    if record.get("virtualmachineid") and record.get("type", "DATADISK") == "DATADISK":
        call(api, "detachVolume", timeout=timeout, id=volume_id)
    call(api, "deleteVolume", id=volume_id)


VOLUME = register(ResourceKind(
    name="volume", label="volume", list_api="listVolumes", delete=delete_volume, rank=40,
    tag_type="Volume", gone_states=frozenset({"Expunging", "Expunged", "Destroy"}),
    error_states=frozenset({"Error", "UploadError", "UploadAbandoned"}),
))


def create_volume(
    api: Any, *, zoneid: str, diskofferingid: str | None = None, name: str | None = None,
    purpose: str = "vol", run_id: str | None = None, on_created: OnCreated | None = None,
    timeout: float | None = None, **params: Any,
) -> Any:
    """createVolume (from a disk offering, or ``snapshotid=``); returns the volume record."""
    params = {"zoneid": zoneid, "diskofferingid": diskofferingid, "name": name or unique_name(purpose, run_id), **params}
    return create_async(api, "volume", "createVolume", params, result_keys=("volume",),
                        on_created=on_created, run_id=run_id, tag_type=VOLUME.tag_type, timeout=timeout)


def attach_volume(api: Any, volume_id: str, vm_id: str, *, timeout: float | None = None, **params: Any) -> Any:
    return call(api, "attachVolume", timeout=timeout, id=volume_id, virtualmachineid=vm_id, **params)


def detach_volume(api: Any, volume_id: str, *, timeout: float | None = None) -> Any:
    return call(api, "detachVolume", timeout=timeout, id=volume_id)
