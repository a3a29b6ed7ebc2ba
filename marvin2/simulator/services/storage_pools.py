"""Primary storage pool updates, storage tags and storage providers: the rules of CloudStack 4.20's
StorageManagerImpl (updateStoragePool, enable/disablePrimaryStoragePool), QueryManagerImpl (searchForStorageTags)
and DataStoreProviderManagerImpl.

A pool's ``tags`` are kept as the comma-separated text createStoragePool stores. Disabling needs an Up pool,
enabling a Disabled one; a Disabled pool gets no new volumes (allocation takes Up pools only).
The providers listed are the ones the simulator implements: DefaultPrimary for primary storage; NFS, S3, Swift
and SMB for image stores (addImageStore's providers); NFS as image cache; none for object storage.
"""
from __future__ import annotations

import uuid

from marvin2.simulator import errors
from marvin2.simulator.services import storage_maintenance

PROVIDERS = {"primary": ["DefaultPrimary"], "image": ["NFS", "S3", "Swift", "SMB"], "imagecache": ["NFS"], "object": []}
_TAG_NAMESPACE = uuid.UUID("7d9a4a55-3f1e-4e0c-9a43-5c1a0a6f2b10")


def tags_of(pool: dict) -> list[str]:
    tags = pool.get("tags") or ""
    items = tags if isinstance(tags, list) else str(tags).split(",")
    return [t.strip() for t in items if t and t.strip()]


def update(store, pool: dict, *, name: str | None, tags: list[str] | None, capacity_bytes: int | None,
           capacity_iops: int | None, url: str | None, details: dict | None, enabled: bool | None) -> dict:
    changes: dict = {}
    if name and name.strip():
        changes["name"] = name
    if tags is not None:
        changes["tags"] = ",".join(t.strip() for t in tags if t.strip()) or None     # None: no tags any more
    if capacity_bytes is not None:
        changes["disksizetotal"] = capacity_bytes
    if capacity_iops is not None:
        changes["capacityiops"] = capacity_iops
    if details or url is not None:
        merged = {**(pool.get("details") or {}), **(details or {})}
        if url is not None:
            merged["url"] = url
        changes["details"] = merged
    if changes:
        pool = store.update("storagepool", pool["id"], **changes)
    if enabled is not None:
        pool = set_enabled(store, pool, enabled)
    return pool


def set_enabled(store, pool: dict, enabled: bool) -> dict:
    label = storage_maintenance.pool_text(store, pool)
    if enabled:
        if pool.get("state") != "Disabled":
            raise errors.invalid_value(f"Primary storage {label} cannot be enabled. Storage pool state : {pool.get('state')}")
        return store.update("storagepool", pool["id"], state="Up")
    if pool.get("state") != "Up":
        raise errors.invalid_value(f"Primary storage {label} cannot be disabled. Storage pool state : {pool.get('state')}")
    return store.update("storagepool", pool["id"], state="Disabled")


def storage_tags(store) -> list[dict]:
    """One entry per (pool, tag), with a stable id."""
    out = []
    for pool in store.find("storagepool"):
        if pool.get("removed"):
            continue
        for tag in tags_of(pool):
            out.append({"id": str(uuid.uuid5(_TAG_NAMESPACE, f"{pool['id']}/{tag}")), "poolid": pool["id"], "name": tag})
    return out


def providers(kind: str | None) -> list[dict]:
    if kind is None:
        raise errors.invalid_value("Invalid parameter, need to specify type: either primary or image")
    names = PROVIDERS.get(kind.lower())
    if names is None:
        raise errors.invalid_value(f"Invalid parameter: {kind}")
    label = {"primary": "PRIMARY", "image": "IMAGE", "imagecache": "ImageCache", "object": "OBJECT"}[kind.lower()]
    return [{"name": name, "type": label} for name in names]


def check_sync(pool: dict) -> None:
    """syncStoragePool: only VMware datastore clusters can be synchronised; no simulator pool is one."""
    if pool.get("type") != "DatastoreCluster":
        raise errors.invalid_value("SyncStoragePool API is currently supported only for storage type of datastore cluster")


# --- scope changes (4.19+) -------------------------------------------------------------------------------------

ACTIVE_VM_STATES = ("Starting", "Running", "Stopping", "Migrating", "Restoring")


def vms_outside_cluster(store, pool: dict, cluster_id: str) -> list[dict]:
    """listByVmsNotInClusterUsingPool: active VMs with a volume in the pool, on a host outside the cluster."""
    out, seen = [], set()
    for volume in store.find("volume", storageid=pool["id"]):
        vm_id = volume.get("virtualmachineid")
        if not vm_id or vm_id in seen or volume.get("removed"):
            continue
        seen.add(vm_id)
        vm = store.get("virtualmachine", vm_id)
        if vm is None or vm.get("removed") or vm.get("state") not in ACTIVE_VM_STATES:
            continue
        host = store.get("host", vm.get("hostid")) if vm.get("hostid") else None
        if host is not None and host.get("clusterid") != cluster_id:
            out.append(vm)
    return out


def change_scope(store, pool: dict, scope_text: str, cluster_id: str | None) -> dict:
    scope = (scope_text or "").upper()
    if scope not in ("ZONE", "CLUSTER"):
        raise errors.invalid_value(f"Invalid scope {scope_text}for Primary storage")
    current = str(pool.get("scope", "CLUSTER")).upper()
    if current == scope:
        raise errors.invalid_value("New scope must be different than the current scope")
    if pool.get("state") != "Disabled":
        raise errors.invalid_value(f"Scope of the Primary storage with id {pool['id']} cannot be changed, as it is not "
                                   f"in the Disabled state")
    zone = store.get("zone", pool.get("zoneid")) or {}
    if zone.get("allocationstate") == "Disabled":
        raise errors.permission_denied(f"Cannot perform this operation, Zone is currently disabled: {zone.get('id')}")
    if scope == "ZONE":
        cluster = store.get("cluster", pool.get("clusterid")) or {}
        hypervisor = cluster.get("hypervisortype") or pool.get("hypervisor") or "Simulator"
        if hypervisor not in ("KVM", "VMware", "Hyperv", "LXC", "Any", "Simulator"):
            raise errors.invalid_value(f"Primary storage scope change to Zone is not supported for hypervisor type "
                                       f"{hypervisor}")
        return store.update("storagepool", pool["id"], scope="ZONE", clusterid=None, podid=None,
                            hypervisor=hypervisor)
    if not cluster_id:
        raise errors.invalid_value("Cluster ID not provided")
    cluster = store.get("cluster", cluster_id)
    if cluster is None:
        raise errors.invalid_value(f"Unable to find cluster by id {cluster_id}")
    if cluster.get("allocationstate") == "Disabled":
        raise errors.permission_denied(f"Cannot perform this operation, Cluster is currently disabled: {cluster_id}")
    outside = vms_outside_cluster(store, pool, cluster_id)
    if outside:
        raise errors.internal_error(
            f"Cannot change scope of the storage pool [{pool['name']}] to cluster [{cluster['name']}] as there are "
            f"{len(outside)} VMs with volumes in this pool that are running on other clusters. All such User VMs must be "
            f"stopped and System VMs must be destroyed before proceeding. Please use the API "
            f"listAffectedVmsForStorageScopeChange to get the list.")
    return store.update("storagepool", pool["id"], scope="CLUSTER", clusterid=cluster["id"], podid=cluster.get("podid"))
