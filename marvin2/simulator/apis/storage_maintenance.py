"""Primary storage administration: maintenance, updateStoragePool (enable/disable, name, tags, capacity),
listStorageTags, listStorageProviders, syncStoragePool, changeStoragePoolScope (+ the VMs it would affect),
updateStorageCapabilities and image store updates
(thin: the rules are in services/storage_maintenance.py and services/storage_pools.py)."""
from __future__ import annotations

from marvin2.simulator import errors
from marvin2.simulator.context import SUCCESS, Job
from marvin2.simulator.declare import ADMIN_ONLY, PAGING, P, api, declare_object
from marvin2.simulator.services import storage_maintenance as maintenance
from marvin2.simulator.services import storage_pools as pools
from marvin2.simulator.services.common import lower_details, record_event, zone_name

declare_object("storagetag", {"id": "tag id", "poolid": "its pool", "name": "the tag"})
declare_object("dataStoreProvider", {"name": "provider name", "type": "PRIMARY, IMAGE, ImageCache or OBJECT"})


def render_pool(ctx, row: dict) -> dict:
    """The storagepool object of these answers (the fields listStoragePools shows for state and place)."""
    store = ctx.store
    pod = store.get("pod", row.get("podid")) if row.get("podid") else None
    cluster = store.get("cluster", row.get("clusterid")) if row.get("clusterid") else None
    out = {k: row.get(k) for k in ("id", "name", "zoneid", "podid", "clusterid", "ipaddress", "path", "type", "scope",
                                    "state", "disksizetotal", "disksizeallocated", "disksizeused", "tags",
                                    "hypervisor", "created")}
    out.update(zonename=zone_name(store, row.get("zoneid")), podname=pod["name"] if pod else None,
               clustername=cluster["name"] if cluster else None, provider=row.get("provider") or "DefaultPrimary",
               managed=False, hasannotations=False)
    return out


def render_image_store(ctx, row: dict) -> dict:
    out = {k: row.get(k) for k in ("id", "name", "zoneid", "url", "protocol", "providername", "scope")}
    out.update(zonename=zone_name(ctx.store, row.get("zoneid")), readonly=bool(row.get("readonly")),
               disksizetotal=row.get("totalsize"), hasannotations=False)
    return out


def _pool(ctx) -> dict:
    pool = ctx.store.get("storagepool", ctx.get("id"))
    if pool is None or pool.get("removed"):
        raise errors.invalid_value("Unable to obtain lock on the storage pool record in preparePrimaryStorageForMaintenance()")
    return pool


@api("enableStorageMaintenance", response="storagepool", roles=ADMIN_ONLY, instance_type="StoragePool",
     related="cancelStorageMaintenance,listStoragePools",
     description="Puts a primary storage pool into maintenance (Up → PrepareForMaintenance → Maintenance), "
                 "stopping the user VMs that use it.",
     params=[P("id", "the pool", entity="storagepool")])
def enable_storage_maintenance(ctx):
    pool = _pool(ctx)
    sim = ctx.sim

    def run(jctx):
        # As in 4.20 the state is checked when the job runs: a refused pool is a failed job (431).
        current = jctx.store.get("storagepool", pool["id"])
        maintenance.prepare(jctx.store, current)
        row = maintenance.complete(sim, pool["id"])
        record_event(jctx, "MAINT.PREPARE.PS", f"preparing storage pool {row['name']} for maintenance",
                     resource_id=row["id"], resource_type="StoragePool")
        return render_pool(jctx, row)

    return Job(run, instance_id=pool["id"])


@api("cancelStorageMaintenance", response="storagepool", roles=ADMIN_ONLY, instance_type="StoragePool",
     related="enableStorageMaintenance,listStoragePools",
     description="Ends the maintenance of a primary storage pool (Up again; the VMs it stopped start).",
     params=[P("id", "the pool", entity="storagepool")])
def cancel_storage_maintenance(ctx):
    pool = ctx.store.get("storagepool", ctx.get("id"))
    if pool is None or pool.get("removed"):
        raise errors.invalid_value("Unable to obtain lock on the storage pool in cancelPrimaryStorageForMaintenance()")
    sim = ctx.sim

    def run(jctx):
        row = maintenance.cancel(sim, pool["id"])
        record_event(jctx, "MAINT.CANCEL.PS", f"canceling maintenance for primary storage pool {row['name']}",
                     resource_id=row["id"], resource_type="StoragePool")
        return render_pool(jctx, row)

    return Job(run, instance_id=pool["id"])


@api("updateImageStore", response="imagestore", roles=ADMIN_ONLY, related="listImageStores",
     description="Renames an image store, makes it read-only (no new templates, ISOs or snapshots) or not, or "
                 "sets its capacity.",
     params=[P("id", "the image store", entity="imagestore"), P("name", "new name"), P("readonly", "read-only"),
             P("capacitybytes", "total capacity in bytes")])
def update_image_store(ctx):
    row = ctx.store.get("imagestore", ctx.get("id"))
    row = maintenance.update_image_store(ctx.store, row, ctx.get("name"), ctx.get("readonly"), ctx.get("capacitybytes"))
    ctx.event("IMAGE.STORE.ACCESS.UPDATED", f"image store access updated: {row['name']}")
    return render_image_store(ctx, row)


@api("updateStorageCapabilities", response="storagepool", roles=ADMIN_ONLY, related="listStoragePools",
     description="Re-reads a pool's capabilities from its hypervisor (NFS pools of VMware clusters only).",
     params=[P("id", "the pool", entity="storagepool")])
def update_storage_capabilities(ctx):
    pool = ctx.store.get("storagepool", ctx.get("id"))
    maintenance.check_storage_capabilities(ctx.store, pool)
    return render_pool(ctx, pool)


@api("updateStoragePool", response="storagepool", roles=ADMIN_ONLY, related="listStoragePools",
     description="Renames a primary storage pool, sets its tags or capacity, or disables (Up → Disabled) / "
                 "enables (Disabled → Up) it; a disabled pool gets no new volumes.",
     params=[P("id", "the pool", entity="storagepool"), P("name", "new name"), P("tags", "storage tags"),
             P("capacityiops", "IOPS capacity"), P("capacitybytes", "capacity in bytes"),
             P("enabled", "false: Disabled; true: Up again"), P("details", "details to add"),
             P("url", "new URL (with details)"), P("istagarule", "the tag is a JS rule")])
def update_storage_pool(ctx):
    pool = ctx.store.get("storagepool", ctx.get("id"))
    row = pools.update(ctx.store, pool, name=ctx.get("name"), tags=ctx.get("tags"),
                       capacity_bytes=ctx.get("capacitybytes"), capacity_iops=ctx.get("capacityiops"),
                       url=ctx.get("url"), details=lower_details(ctx.get("details")) if ctx.has("details") else None,
                       enabled=ctx.get("enabled"))
    if ctx.has("enabled"):
        ctx.event("ENABLE.PS" if ctx.get("enabled") else "DISABLE.PS",
                  f"{'enable' if ctx.get('enabled') else 'disable'} storage pool {row['name']}")
    else:
        ctx.event("UPDATE.PS", f"update storage pool {row['name']}")
    return render_pool(ctx, row)


@api("listStorageTags", response="storagetag", roles=ADMIN_ONLY, related="listStoragePools",
     description="Lists the tags of the primary storage pools (one item per pool and tag).", params=[*PAGING])
def list_storage_tags(ctx):
    keyword = (ctx.get("keyword") or "").lower()
    return ctx.paginate([t for t in pools.storage_tags(ctx.store) if keyword in t["name"].lower()])


@api("listStorageProviders", response="dataStoreProvider", roles=ADMIN_ONLY, related="createStoragePool,addImageStore",
     description="Lists the storage providers of a kind (primary, image, imagecache, object) the simulator offers.",
     params=[*PAGING, P("type", "primary, image, imagecache or object")])
def list_storage_providers(ctx):
    return ctx.paginate(pools.providers(ctx.get("type")))


@api("syncStoragePool", response="storagepool", roles=ADMIN_ONLY, instance_type="StoragePool",
     related="listStoragePools",
     description="Synchronises a VMware datastore cluster with vCenter (no simulator pool is one: the job fails).",
     params=[P("id", "the pool", entity="storagepool")])
def sync_storage_pool(ctx):
    pool_id = ctx.get("id")

    def run(jctx):
        row = jctx.store.get("storagepool", pool_id)
        pools.check_sync(row)
        return render_pool(jctx, row)

    return Job(run, instance_id=pool_id)


@api("changeStoragePoolScope", response="success", roles=ADMIN_ONLY, instance_type="StoragePool",
     related="listAffectedVmsForStorageScopeChange,updateStoragePool",
     description="Makes a disabled primary storage pool zone-wide, or cluster-wide in a given cluster.",
     params=[P("id", "the pool", entity="storagepool"), P("scope", "ZONE or CLUSTER"), P("clusterid", "for CLUSTER")])
def change_storage_pool_scope(ctx):
    pool_id = ctx.get("id")

    def run(jctx):
        row = pools.change_scope(jctx.store, jctx.store.get("storagepool", pool_id), jctx.get("scope"),
                                 jctx.get("clusterid"))
        jctx.event("PRIMARY.STORAGE.SCOPE.CHANGE", f" Storage pool Id: {row['id']} to {row['scope']}")
        return SUCCESS

    return Job(run, instance_id=pool_id)


@api("listAffectedVmsForStorageScopeChange", response="virtualmachine", roles=ADMIN_ONLY,
     related="changeStoragePoolScope",
     description="Lists the running VMs that keep a zone-wide pool from becoming cluster-wide in a cluster.",
     params=[*PAGING, P("clusterid", "the target cluster"), P("storageid", "the pool")])
def list_affected_vms_for_storage_scope_change(ctx):
    store = ctx.store
    pool = store.get("storagepool", ctx.get("storageid"))
    if str(pool.get("scope", "CLUSTER")).upper() != "ZONE":
        return ctx.paginate([])
    items = []
    for vm in pools.vms_outside_cluster(store, pool, ctx.get("clusterid")):
        host = store.get("host", vm.get("hostid")) or {}
        cluster = store.get("cluster", host.get("clusterid")) if host.get("clusterid") else None
        items.append({"id": vm["id"], "name": vm.get("displayname") or vm.get("name"), "type": "User",
                      "hostid": host.get("id"), "hostname": host.get("name"),
                      "clusterid": cluster["id"] if cluster else None,
                      "clustername": cluster["name"] if cluster else None})
    return ctx.paginate(items)
