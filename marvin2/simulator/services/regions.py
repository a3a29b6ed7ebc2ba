"""Regions (RegionManagerImpl): a fresh database holds region 1 "Local"; admins add, rename and remove regions.

Region ids are integers the caller chooses (addRegion ``id``), kept as the row id's text.
"""
from __future__ import annotations

from marvin2.simulator import errors

# What a fresh 4.20 database holds (create-schema: region 1, its API end point).
LOCAL_REGION = {"id": "1", "name": "Local", "endpoint": "http://localhost:8080/client/",
                "gslbserviceenabled": True, "portableipserviceenabled": False}
_SEEDED = "regions.seeded"


def ensure_seeded(store) -> None:
    """Put region 1 in a store that never had regions (once: a removed region 1 stays removed)."""
    if store.get_meta(_SEEDED):
        return
    if store.get("region", LOCAL_REGION["id"]) is None:
        store.insert("region", dict(LOCAL_REGION))
    store.set_meta(_SEEDED, True)


def _by_name(store, name: str) -> dict | None:
    return next((r for r in store.all("region") if r["name"] == name), None)


def list_regions(store, region_id: int | None, name: str | None) -> list[dict]:
    ensure_seeded(store)
    rows = sorted(store.all("region"), key=lambda r: int(r["id"]))
    if region_id is not None:
        rows = [r for r in rows if r["id"] == str(region_id)]
    if name is not None:
        rows = [r for r in rows if r["name"] == name]
    return rows


def add_region(store, region_id: int, name: str, endpoint: str) -> dict:
    ensure_seeded(store)
    if store.get("region", str(region_id)) is not None:
        raise errors.invalid_value(f"Region with id: {region_id} already exists")
    if _by_name(store, name) is not None:
        raise errors.invalid_value(f"Region with name: {name} already exists")
    return store.insert("region", {"id": str(region_id), "name": name, "endpoint": endpoint,
                                   "gslbserviceenabled": True, "portableipserviceenabled": False})


def update_region(store, region_id: int, name: str | None, endpoint: str | None) -> dict:
    ensure_seeded(store)
    row = store.get("region", str(region_id))
    if row is None:
        raise errors.invalid_value(f"Region with id: {region_id} does not exist")
    if name is not None:
        other = _by_name(store, name)
        if other is not None and other["id"] != row["id"]:
            raise errors.invalid_value(f"Region with name: {name} already exists")
    changes = {k: v for k, v in (("name", name), ("endpoint", endpoint)) if v is not None}
    return store.update("region", row["id"], **changes) if changes else row


def remove_region(store, region_id: int) -> None:
    ensure_seeded(store)
    if store.get("region", str(region_id)) is None:
        raise errors.invalid_value(f"Failed to delete Region: {region_id}, Region not found")
    store.delete("region", str(region_id))
