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
