"""Primary storage maintenance and image store updates: the rules of CloudStack 4.20's StorageManagerImpl and
StoragePoolAutomationImpl.

enableStorageMaintenance: a pool that is Up (or ErrorInMaintenance) goes PrepareForMaintenance; the user VMs
running with a volume on it are stopped (each remembered in a ``storagepoolwork`` row) and the pool becomes
Maintenance; without an Up host to reach it, it goes to Maintenance at once. Volume allocation skips pools that
are not Up. cancelStorageMaintenance: a pool in Maintenance (or ErrorInMaintenance) is Up again and the VMs the
maintenance stopped are started. The VM stops and starts run through the simulator's own stop/start APIs
(``internal_calls``). System VMs and routers are not moved by the simulator.

updateImageStore changes an image store's name, read-only flag and capacity; updateStorageCapabilities only
applies to NFS pools of VMware clusters, so on a Simulator pool it answers 4.20's refusal.
"""
from __future__ import annotations

from marvin2.simulator import errors
from marvin2.simulator.services import internal_calls, java_text

WORK_KIND = "storagepoolwork"
READY_FOR_MAINTENANCE = ("Up", "ErrorInMaintenance")
IN_MAINTENANCE = ("Maintenance", "ErrorInMaintenance")
ACTIVE_VM_STATES = ("Running", "Starting", "Stopping")
_POOL_TYPES = {"nfs": "NetworkFilesystem", "iscsi": "IscsiLUN", "rbd": "RBD", "sharedmountpoint": "SharedMountPoint",
               "gluster": "Gluster", "file": "Filesystem", "presetup": "PreSetup"}


def pool_type(pool: dict) -> str:
    """The pool's StoragePoolType: its ``type`` when it is one, else from its URL's scheme."""
    if pool.get("type") in _POOL_TYPES.values():
        return pool["type"]
    scheme = str(pool.get("url") or "nfs").split(":", 1)[0].lower()
    return _POOL_TYPES.get(scheme, "NetworkFilesystem")


def pool_text(store, pool: dict) -> str:
    """How StoragePoolVO.toString() names a pool in 4.20's messages."""
    return java_text.ref(store, "StoragePool", "storagepool", pool, poolType=pool_type(pool))


def _hosts_reaching(store, pool: dict) -> list[dict]:
    if str(pool.get("scope", "CLUSTER")).upper() == "ZONE":
        hosts = store.find("host", zoneid=pool["zoneid"])
    else:
        hosts = store.find("host", clusterid=pool.get("clusterid"))
    return [h for h in hosts if h.get("type", "Routing") == "Routing" and h.get("state") == "Up"
            and not h.get("removed")]


def _vms_on(store, pool: dict) -> list[dict]:
    seen, out = set(), []
    for volume in store.find("volume", storageid=pool["id"]):
        vm_id = volume.get("virtualmachineid")
        if not vm_id or vm_id in seen or volume.get("removed"):
            continue
        seen.add(vm_id)
        vm = store.get("virtualmachine", vm_id)
        if vm is not None and not vm.get("removed"):
            out.append(vm)
    return out


def check_ready_for_maintenance(store, pool: dict) -> None:
    if pool.get("state") not in READY_FOR_MAINTENANCE:
        raise errors.invalid_value(f"Primary storage {pool_text(store, pool)} is not ready for migration, as the "
                                   f"status is:{pool.get('state')}")


def prepare(store, pool: dict) -> dict:
    """The request part: PrepareForMaintenance (Maintenance at once when no host reaches the pool)."""
    check_ready_for_maintenance(store, pool)
    state = "PrepareForMaintenance" if _hosts_reaching(store, pool) else "Maintenance"
    return store.update("storagepool", pool["id"], state=state, statebeforemaintenance=pool.get("state"))


def complete(sim, pool_id: str) -> dict:
    """The job part: stop the user VMs using the pool, then Maintenance."""
    store = sim.store
    pool = store.get("storagepool", pool_id)
    if pool.get("state") == "Maintenance":
        return pool
    try:
        for vm in _vms_on(store, pool):
            if vm["state"] not in ACTIVE_VM_STATES:
                continue
            internal_calls.run_inline(sim, "stopVirtualMachine", {"id": vm["id"], "forced": "true"})
            store.delete_where(WORK_KIND, poolid=pool_id, virtualmachineid=vm["id"])
            store.insert(WORK_KIND, {"poolid": pool_id, "virtualmachineid": vm["id"], "stoppedformaintenance": True,
                                     "startedaftermaintenance": False})
    except errors.ApiError as error:
        store.update("storagepool", pool_id, state="ErrorInMaintenance")
        raise errors.internal_error(str(error)) from None
    return store.update("storagepool", pool_id, state="Maintenance")


def check_ready_to_cancel(store, pool: dict) -> None:
    if pool.get("state") not in IN_MAINTENANCE:
        raise errors.ApiError(530, f"Primary storage {pool_text(store, pool)} is not ready to complete migration, as "
                                   f"the status is:{pool.get('state')}", errors.CS_SERVER)


def cancel(sim, pool_id: str) -> dict:
    """Up again; the VMs the maintenance stopped start (those that still have a root volume)."""
    store = sim.store
    pool = store.get("storagepool", pool_id)
    check_ready_to_cancel(store, pool)
    pool = store.update("storagepool", pool_id, state="Up", statebeforemaintenance=None)
    for work in store.find(WORK_KIND, poolid=pool_id):
        vm = store.get("virtualmachine", work["virtualmachineid"])
        store.delete(WORK_KIND, work["id"])
        if vm is None or vm.get("removed") or vm["state"] != "Stopped" or not work.get("stoppedformaintenance"):
            continue
        if not any(v.get("type") == "ROOT" and not v.get("removed")
                   for v in store.find("volume", virtualmachineid=vm["id"])):
            continue
        internal_calls.run_inline(sim, "startVirtualMachine", {"id": vm["id"]})
    return pool


# --- image stores -------------------------------------------------------------------------------------------


def update_image_store(store, image_store: dict, name: str | None, readonly: bool | None,
                       capacity_bytes: int | None) -> dict:
    changes: dict = {}
    if name and name.strip():
        changes["name"] = name
    if capacity_bytes is not None:
        changes["totalsize"] = capacity_bytes
    if readonly is not None:
        changes["readonly"] = bool(readonly)
    return store.update("imagestore", image_store["id"], **changes) if changes else image_store


def check_storage_capabilities(store, pool: dict) -> None:
    """updateStorageCapabilities with failOnChecks: NFS, Initialized/Up, VMware; the Simulator is none of that."""
    if pool_type(pool) != "NetworkFilesystem":
        raise errors.internal_error("Storage capabilities update only supported on NFS storage mounted.")
    if pool.get("state") not in ("Initialized", "Up"):
        raise errors.internal_error("Primary storage is not in the right state to update capabilities")
    hypervisor = pool.get("hypervisor")
    if not hypervisor and pool.get("clusterid"):
        hypervisor = (store.get("cluster", pool["clusterid"]) or {}).get("hypervisortype")
    if str(hypervisor or "").lower() != "vmware":
        raise errors.internal_error("Storage capabilities update only supported on VMWare.")
