"""Volume rows: the ROOT and data volumes a VM owns, their pools, states and resource counts (the VM and snapshot APIs use them as storage.py does)."""
from __future__ import annotations

import math
import uuid

from marvin2 import wire
from marvin2.simulator import limits, tagging
from marvin2.simulator.services.common import (
    GIB,
    ensure_indexes,
)

MAX_DATA_VOLUMES = 6          # hypervisor capability of the Simulator hypervisor
CDROM_DEVICE_ID = 3           # never handed to a data disk


def gib(size_bytes: int | None) -> int:
    return math.ceil((size_bytes or 0) / GIB)


def pick_pool(store, zone_id: str, size: int) -> dict | None:
    """The Up primary storage pool of the zone with the most free space."""
    pools = [p for p in store.find("storagepool", zoneid=zone_id) if p.get("state") == "Up" and not p.get("removed")]
    if not pools:
        return None
    return max(pools, key=lambda p: p.get("disksizetotal", 0) - p.get("disksizeallocated", 0))


def add_pool_usage(store, pool_id: str | None, delta: int) -> None:
    if not pool_id:
        return
    pool = store.get("storagepool", pool_id)
    if pool is not None:
        store.update("storagepool", pool_id, disksizeallocated=max(0, pool.get("disksizeallocated", 0) + delta))


def new_root_volume(store, vm: dict, size: int, owner: dict) -> dict:
    row = store.insert("volume", {
        "name": f"ROOT-{vm['internalid']}", "type": "ROOT", "zoneid": vm["zoneid"], "state": "Allocated", "size": size,
        "diskofferingid": vm.get("rootdiskofferingid"), "virtualmachineid": vm["id"], "deviceid": 0,
        "templateid": vm.get("templateid"), "accountid": owner["id"], "domainid": owner["domainid"],
        "provisioningtype": "thin", "displayvolume": True, "isextractable": False, "path": str(uuid.uuid4()),
    })
    return row


def new_data_volume(store, *, name: str, zone_id: str, size: int, offering: dict | None, owner: dict,
                    vm: dict | None = None, deviceid: int | None = None, snapshot_id: str | None = None) -> dict:
    row = store.insert("volume", {
        "name": name, "type": "DATADISK", "zoneid": zone_id, "state": "Allocated", "size": size,
        "diskofferingid": offering["id"] if offering else None, "virtualmachineid": vm["id"] if vm else None,
        "deviceid": deviceid, "accountid": owner["id"], "domainid": owner["domainid"],
        "provisioningtype": (offering or {}).get("provisioningtype", "thin"), "displayvolume": True,
        "isextractable": True, "path": str(uuid.uuid4()), "snapshotid": snapshot_id,
        "attached": wire.now_text() if vm else None,
    })
    return row


def volumes_of(store, vm_id: str) -> list[dict]:
    ensure_indexes(store)
    return [v for v in store.find("volume", virtualmachineid=vm_id) if not v.get("removed")]


def mark_started(store, vm: dict) -> None:
    """A VM started: its volumes are Ready and placed on a pool."""
    for volume in volumes_of(store, vm["id"]):
        changes = {}
        if volume["state"] == "Allocated":
            changes["state"] = "Ready"
        if not volume.get("storageid"):
            pool = pick_pool(store, vm["zoneid"], volume["size"])
            if pool is not None:
                changes["storageid"] = pool["id"]
                add_pool_usage(store, pool["id"], volume["size"])
        if changes:
            store.update("volume", volume["id"], **changes)


def charge_volume(store, owner: dict, size: int) -> None:
    limits.charge(store, owner, "volume")
    limits.charge(store, owner, "primary_storage", gib(size))


def release_volume(store, volume: dict) -> None:
    if volume.get("accountid"):
        limits.release(store, volume["accountid"], "volume")
        limits.release(store, volume["accountid"], "primary_storage", gib(volume.get("size")))


def destroy_volume(store, volume: dict) -> dict:
    """Destroy state (a destroyed VM's ROOT volume); counts are released."""
    if volume["state"] in ("Destroy", "Expunged"):
        return volume
    release_volume(store, volume)
    return store.update("volume", volume["id"], state="Destroy")


def recover_volume(store, volume: dict, owner: dict) -> dict:
    if volume["state"] != "Destroy":
        return volume
    charge_volume(store, owner, volume["size"])
    return store.update("volume", volume["id"], state="Ready" if volume.get("storageid") else "Allocated")


def expunge_volume(store, volume: dict) -> None:
    """Gone for good: counts released (unless already), pool space freed, tags dropped."""
    if volume["state"] not in ("Destroy", "Expunged"):
        release_volume(store, volume)
    add_pool_usage(store, volume.get("storageid"), -volume.get("size", 0))
    tagging.delete_tags_of(store, volume["id"])
    for policy in store.find("snapshotpolicy", volumeid=volume["id"]):
        store.delete("snapshotpolicy", policy["id"])
    store.update("volume", volume["id"], state="Expunged", removed=wire.now_text(), virtualmachineid=None)
