"""Volumes: createVolume, attach/detach, resize, delete, list, migrate.

States as on a real server: a data volume is ``Allocated`` until it is
attached to a started VM (then ``Ready``; it stays Ready when detached);
a VM's ROOT volume is ``Allocated`` until the VM first starts; destroying a
VM puts its ROOT volume in ``Destroy``; deleting or expunging makes it
``Expunged`` (row kept with ``removed``, as CloudStack keeps removed rows).

The row helpers (``new_root_volume``, ``new_data_volume``, ``volumes_of``,
``mark_started``, ...) live in ``services/volumes.py`` (the VM services use them); the ``volume`` kind:
``name``, ``type`` (ROOT/DATADISK), ``zoneid``, ``state``, ``size`` (bytes),
``diskofferingid``, ``virtualmachineid``, ``deviceid``, ``storageid``,
``templateid`` (ROOT), ``accountid``, ``domainid``, ``attached``, ``removed``.
"""
from __future__ import annotations

from marvin2 import wire
from marvin2.simulator import errors, limits, tagging
from marvin2.simulator.context import SUCCESS, Job
from marvin2.simulator.declare import ACCOUNT_SCOPE, PAGING, P, api, declare_object
from marvin2.simulator.services.common import (
    GIB,
    PROJECT_ACCOUNT_TYPE,
    apply_command_classes,
    check_owned,
    get_live,
    list_owned,
    next_number,
    owner_fields,
    owner_for_create,
    record_event,
    zone_name,
)
from marvin2.simulator.services import systemvm_urls
from marvin2.simulator.services import volumes as volume_rows
from marvin2.simulator.services.volumes import (
    CDROM_DEVICE_ID,
    MAX_DATA_VOLUMES,
    add_pool_usage,
    charge_volume,
    expunge_volume,
    gib,
    new_data_volume,
    pick_pool,
    volumes_of,
)

tagging.register_taggable("Volume", "volume")





# --- rendering ------------------------------------------------------------------------------------

declare_object("volume", {
    "id": "volume id", "name": "volume name", "type": "ROOT or DATADISK", "state": "Allocated, Ready, Destroy ...",
    "size": ("long", "size (bytes)"), "zoneid": "zone", "zonename": "zone name", "virtualmachineid": "VM attached to",
    "vmname": "its name", "vmdisplayname": "its display name", "vmstate": "its state", "deviceid": ("long", "device id"),
    "diskofferingid": "disk offering", "diskofferingname": "its name", "storageid": "primary storage pool",
    "storage": "pool name", "created": ("date", "created"), "attached": ("date", "attached"), "account": "owner",
    "domainid": "owner domain id", "domain": "owner domain", "tags": ("set", "tags"), "destroyed": ("boolean", "destroyed"),
})


def render_volume(ctx, row: dict) -> dict:
    store = ctx.store
    vm = store.get("virtualmachine", row.get("virtualmachineid")) if row.get("virtualmachineid") else None
    offering = store.get("diskoffering", row.get("diskofferingid")) if row.get("diskofferingid") else None
    pool = store.get("storagepool", row.get("storageid")) if row.get("storageid") else None
    template = store.get("template", row.get("templateid")) if row.get("templateid") else None
    out = {
        "id": row["id"], "name": row["name"], "zoneid": row["zoneid"], "zonename": zone_name(store, row["zoneid"]),
        "type": row["type"], "deviceid": row.get("deviceid") if vm else None, "virtualmachineid": vm["id"] if vm else None,
        "vmname": vm["name"] if vm else None, "vmdisplayname": vm.get("displayname") if vm else None,
        "vmstate": vm["state"] if vm else None, "vmtype": "User" if vm else None,
        "provisioningtype": row.get("provisioningtype", "thin"), "size": row.get("size"), "virtualsize": row.get("size"),
        "physicalsize": row.get("size") if row["state"] == "Ready" else None, "created": row.get("created"),
        "state": row["state"], "attached": row.get("attached") if vm else None, "destroyed": row["state"] == "Destroy",
        "storagetype": "shared", "hypervisor": "Simulator" if row.get("storageid") else "None",
        "diskofferingid": offering["id"] if offering else None, "diskofferingname": offering["name"] if offering else None,
        "diskofferingdisplaytext": offering.get("displaytext") if offering else None,
        "storageid": pool["id"] if pool else None, "storage": pool["name"] if pool else None,
        "clusterid": pool.get("clusterid") if pool else None, "podid": pool.get("podid") if pool else None,
        "templateid": template["id"] if template else None, "templatename": template["name"] if template else None,
        "templatedisplaytext": template.get("displaytext") if template else None,
        "isextractable": bool(row.get("isextractable")), "displayvolume": row.get("displayvolume", True),
        "path": row.get("path") if ctx.caller.is_root_admin else None, "quiescevm": False,
        "supportsstoragesnapshot": False, "miniops": row.get("miniops"), "maxiops": row.get("maxiops"),
        "snapshotid": row.get("snapshotid"), "hasannotations": False, "tags": ctx.tags_for(row["id"]),
        "deleteprotection": bool(row.get("deleteprotection")),
    }
    if pool and pool.get("clusterid"):
        cluster = store.get("cluster", pool["clusterid"])
        out["clustername"] = cluster["name"] if cluster else None
    if pool and pool.get("podid"):
        pod = store.get("pod", pool["podid"])
        out["podname"] = pod["name"] if pod else None
    if vm and row["type"] == "ROOT":
        offering = store.get("serviceoffering", vm.get("serviceofferingid"))
        if offering:
            out["serviceofferingid"], out["serviceofferingname"] = offering["id"], offering["name"]
            out["serviceofferingdisplaytext"] = offering.get("displaytext")
    out.update(owner_fields(ctx, row))
    return out


def _volume(ctx, volume_id: str) -> dict:
    row = get_live(ctx, "volume", volume_id, f"Unable to find volume with ID: {volume_id}")
    return check_owned(ctx, row, "volume")


# --- list -------------------------------------------------------------------------------------------


@api("listVolumes", response="volume", related="createVolume,attachVolume",
     description="Lists the volumes the caller may see.",
     params=[*PAGING, *ACCOUNT_SCOPE, P("id", entity="volume"), P("ids", "volume ids"),
             P("name"), P("type", "ROOT or DATADISK"), P("virtualmachineid", entity="virtualmachine"),
             P("zoneid"), P("podid"), P("clusterid"), P("hostid"),
             P("storageid", "primary storage pool id"), P("diskofferingid"),
             P("state", "volume state"), P("displayvolume", "shown to the user"),
             P("listsystemvms", "also volumes of system VMs (admins)"),
             P("projectid", entity="project"), P("tags")])
def list_volumes(ctx):
    store = ctx.store
    caller_is_admin = ctx.caller.is_admin
    host_vms = None
    if ctx.has("hostid"):
        host_vms = {vm["id"] for vm in store.find("virtualmachine", hostid=ctx.get("hostid"))}

    def match(row):
        if row["state"] == "Expunged":
            return False
        if row["state"] == "Destroy" and not caller_is_admin and ctx.get("state") != "Destroy":
            return False
        if ctx.has("type") and row["type"].lower() != ctx.get("type").lower():
            return False
        if ctx.has("state") and row["state"].lower() != ctx.get("state").lower():
            return False
        if ctx.has("storageid") and row.get("storageid") != ctx.get("storageid").lower():
            return False
        if ctx.has("displayvolume") and bool(row.get("displayvolume", True)) != ctx.get("displayvolume"):
            return False
        if host_vms is not None and row.get("virtualmachineid") not in host_vms:
            return False
        if ctx.has("podid") or ctx.has("clusterid"):
            pool = store.get("storagepool", row.get("storageid")) if row.get("storageid") else None
            if pool is None or (ctx.has("podid") and pool.get("podid") != ctx.get("podid")) \
                    or (ctx.has("clusterid") and pool.get("clusterid") != ctx.get("clusterid")):
                return False
        return True

    filters = {"virtualmachineid": "virtualmachineid", "zoneid": "zoneid", "diskofferingid": "diskofferingid"}
    return list_owned(ctx, "volume", lambda r: render_volume(ctx, r), match=match, filters=filters)


# --- create -----------------------------------------------------------------------------------------


@api("createVolume", response="volume", instance_type="Volume",
     description="Creates a data volume from a disk offering (or a snapshot); it stays Allocated until it is "
                 "attached to a started VM. With virtualmachineid it is attached at once.",
     params=[P("name", "volume name"), P("zoneid"), P("diskofferingid"),
             P("size", "size (GB) for a customized offering"), P("snapshotid", entity="snapshot"),
             P("virtualmachineid", "attach to this VM", entity="virtualmachine"),
             P("account"), P("domainid"), P("projectid", entity="project"),
             P("displayvolume", "show to the user"), P("customid", "custom id"),
             P("miniops", "min IOPS"), P("maxiops", "max IOPS")])
def create_volume(ctx):
    store = ctx.store
    owner = owner_for_create(ctx)
    offering = store.get("diskoffering", ctx.get("diskofferingid")) if ctx.has("diskofferingid") else None
    snapshot = store.get("snapshot", ctx.get("snapshotid")) if ctx.has("snapshotid") else None
    if offering is None and snapshot is None:
        raise errors.invalid_value("Either disk Offering Id or snapshot Id must be passed whilst creating volume")
    if offering is not None and (offering.get("removed") or offering.get("state") == "Inactive"):
        raise errors.invalid_value(f"Please specify a valid disk offering: {offering['id']} was deleted")
    if snapshot is not None:
        check_owned(ctx, snapshot, "snapshot")
        if snapshot.get("removed") or snapshot["state"] != "BackedUp":
            raise errors.invalid_value(f"Snapshot id={snapshot['id']} is not in BackedUp state yet and can't be used "
                                       "for volume creation")
        size = snapshot["size"]
        zone_id = snapshot["zoneid"]
    else:
        if offering.get("iscustomized"):
            if not ctx.has("size"):
                raise errors.invalid_value("This disk offering requires a custom size specified")
            if ctx.get("size") < 1 or ctx.get("size") > 2000:
                raise errors.invalid_value(f"Invalid size for custom volume creation: {ctx.get('size')}, max volume size "
                                           "is: 2000 GB")
            size = ctx.get("size") * GIB
        else:
            if ctx.has("size") and ctx.get("size") != offering.get("disksize"):
                raise errors.invalid_value("This disk offering does not allow custom size")
            size = int(offering.get("disksize") or 0) * GIB
        zone_id = ctx.get("zoneid")
        if zone_id is None:
            raise errors.invalid_value("Please specify a zone for the volume (zoneid)")
    vm = None
    if ctx.has("virtualmachineid"):
        vm = store.get("virtualmachine", ctx.get("virtualmachineid"))
        check_owned(ctx, vm, "VM")
        zone_id = zone_id or vm["zoneid"]
    zone = store.get("zone", zone_id)
    if zone is None:
        raise errors.invalid_value(f"Unable to find zone by id {zone_id}")
    if zone.get("allocationstate") == "Disabled" and not ctx.caller.is_root_admin:
        raise errors.permission_denied(f"Cannot perform this operation, Zone is currently disabled: {zone['id']}")
    charge_volume(store, owner, size)
    name = ctx.get("name") or f"DATA-{next_number(store, 'volume')}"
    row = new_data_volume(store, name=name, zone_id=zone["id"], size=size, offering=offering, owner=owner,
                          snapshot_id=snapshot["id"] if snapshot else None)
    changes = {k: ctx.get(k) for k in ("miniops", "maxiops") if ctx.has(k)}
    if ctx.has("displayvolume"):
        changes["displayvolume"] = ctx.get("displayvolume")
    if changes:
        row = store.update("volume", row["id"], **changes)
    record_event(ctx, "VOLUME.CREATE", f"Creating volume {name}", resource_id=row["id"], resource_type="Volume",
                 account=owner)

    def run(jctx):
        volume = jctx.store.get("volume", row["id"])
        if vm is not None:
            volume = _attach(jctx, volume, jctx.store.get("virtualmachine", vm["id"]), None)
        return render_volume(jctx, volume)

    return Job(run, entity_id=row["id"], instance_id=row["id"])


# --- attach / detach ----------------------------------------------------------------------------------


def _attach(jctx, volume: dict, vm: dict, deviceid: int | None) -> dict:
    store = jctx.store
    if volume["type"] != "DATADISK" and not (volume["type"] == "ROOT" and not volume.get("virtualmachineid")):
        raise errors.invalid_value("Please specify a volume with the valid type: DATADISK")
    if volume.get("virtualmachineid"):
        raise errors.invalid_value("Please specify a volume that is not attached to any VM.")
    if volume["state"] not in ("Allocated", "Ready", "Uploaded"):
        raise errors.invalid_value(f"Volume {volume['name']} is in state {volume['state']} and cannot be attached")
    if vm is None or vm.get("removed") or vm["state"] not in ("Running", "Stopped"):
        raise errors.invalid_value("Please specify a VM that is either running or stopped.")
    if vm["zoneid"] != volume["zoneid"]:
        raise errors.invalid_value("Please specify a VM that is in the same zone as the volume.")
    if vm.get("accountid") != volume.get("accountid"):
        raise errors.invalid_value("Owner of the volume and the VM must be the same account")
    attached = volumes_of(store, vm["id"])
    if volume["type"] == "ROOT":
        if any(v["type"] == "ROOT" for v in attached):
            raise errors.invalid_value(f"The VM {vm['name']} already has a root volume attached")
        deviceid = 0
    else:
        if sum(1 for v in attached if v["type"] == "DATADISK") >= MAX_DATA_VOLUMES:
            raise errors.invalid_value(f"The specified VM already has the maximum number of data disks "
                                       f"({MAX_DATA_VOLUMES}) attached. Please specify another VM.")
        used = {v.get("deviceid") for v in attached}
        if deviceid is not None:
            if deviceid in used or deviceid in (0, CDROM_DEVICE_ID) or deviceid < 0:
                raise errors.invalid_value(f"Device id {deviceid} is used by another volume of the VM (or reserved)")
        else:
            deviceid = next(i for i in range(1, 64) if i not in used and i != CDROM_DEVICE_ID)
    changes = {"virtualmachineid": vm["id"], "deviceid": deviceid, "attached": wire.now_text()}
    if vm["state"] == "Running" and volume["state"] == "Allocated":
        changes["state"] = "Ready"
        if not volume.get("storageid"):
            pool = pick_pool(store, vm["zoneid"], volume["size"])
            if pool:
                changes["storageid"] = pool["id"]
                add_pool_usage(store, pool["id"], volume["size"])
    volume = store.update("volume", volume["id"], **changes)
    record_event(jctx, "VOLUME.ATTACH", f"attaching volume {volume['name']} to VM {vm['name']}",
                 resource_id=volume["id"], resource_type="Volume")
    return volume


@api("attachVolume", response="volume", instance_type="Volume",
     description="Attaches a data volume to a running or stopped VM (a Ready volume once the VM runs).",
     params=[P("id", "the volume", entity="volume"),
             P("virtualmachineid", "the VM", entity="virtualmachine"),
             P("deviceid", "device id to use (default: the next free one)")])
def attach_volume(ctx):
    volume = _volume(ctx, ctx.get("id"))
    vm = ctx.store.get("virtualmachine", ctx.get("virtualmachineid"))
    check_owned(ctx, vm, "VM")

    def run(jctx):
        current = jctx.store.get("volume", volume["id"])
        updated = _attach(jctx, current, jctx.store.get("virtualmachine", vm["id"]), ctx.get("deviceid"))
        return render_volume(jctx, updated)

    return Job(run, instance_id=volume["id"])


@api("detachVolume", response="volume", instance_type="Volume",
     description="Detaches a volume (by id, or by VM and device id). A ROOT volume only from a stopped VM.",
     params=[P("id", entity="volume"), P("virtualmachineid", entity="virtualmachine"),
             P("deviceid", "device id of the volume on the VM")])
def detach_volume(ctx):
    store = ctx.store
    if ctx.has("id"):
        volume = _volume(ctx, ctx.get("id"))
    elif ctx.has("virtualmachineid") and ctx.has("deviceid"):
        volume = next((v for v in volumes_of(store, ctx.get("virtualmachineid")) if v.get("deviceid") == ctx.get("deviceid")), None)
        if volume is None:
            raise errors.invalid_value("Unable to find volume with ID: null")
        check_owned(ctx, volume, "volume")
    else:
        raise errors.invalid_value("Please provide either a volume id, or a tuple(device id, instance id)")

    def run(jctx):
        current = jctx.store.get("volume", volume["id"])
        vm = jctx.store.get("virtualmachine", current.get("virtualmachineid")) if current.get("virtualmachineid") else None
        if vm is None:
            raise errors.invalid_value(f"Volume {current['name']} is not attached to any VM")
        if current["type"] == "ROOT" and vm["state"] not in ("Stopped", "Destroyed"):
            raise errors.invalid_value("Root volume detach can happen only when vm is in states: Stopped or Destroyed")
        if jctx.store.find("vmsnapshot", virtualmachineid=vm["id"], removed=None):
            raise errors.invalid_value("Unable to detach volume, please specify a VM that does not have VM snapshots")
        updated = jctx.store.update("volume", current["id"], virtualmachineid=None, deviceid=None, attached=None)
        record_event(jctx, "VOLUME.DETACH", f"detaching volume {current['name']} from VM {vm['name']}",
                     resource_id=current["id"], resource_type="Volume")
        return render_volume(jctx, updated)

    return Job(run, instance_id=volume["id"])


# --- resize, delete, migrate -------------------------------------------------------------------------


def resize_volume_rows(jctx, current: dict, new_size: int, offering_id: str | None) -> dict:
    """A volume takes a new size (and disk offering, and the request's min/max IOPS): the owner's
    primary_storage count and the pool's usage follow the change (resizeVolume, changeOfferingForVolume)."""
    jstore = jctx.store
    change = gib(new_size) - gib(current["size"])
    if change > 0:
        limits.charge(jstore, jstore.get("account", current["accountid"]), "primary_storage", change)
    elif change < 0:
        limits.release(jstore, current["accountid"], "primary_storage", -change)
    add_pool_usage(jstore, current.get("storageid"), new_size - current["size"])
    changes = {"size": new_size, **({"diskofferingid": offering_id} if offering_id else {})}
    for key in ("miniops", "maxiops"):
        if jctx.has(key):
            changes[key] = jctx.get(key)
    return jstore.update("volume", current["id"], **changes)


@api("resizeVolume", response="volume", instance_type="Volume",
     description="Grows a volume (size in GB, or a new disk offering); shrinking needs shrinkok=true.",
     params=[P("id", "the volume", entity="volume"), P("size", "new size (GB)"),
             P("diskofferingid", "new disk offering"), P("shrinkok", "allow shrinking"),
             P("miniops", "min IOPS"), P("maxiops", "max IOPS")])
def resize_volume(ctx):
    store = ctx.store
    volume = _volume(ctx, ctx.get("id"))
    offering = store.get("diskoffering", ctx.get("diskofferingid")) if ctx.has("diskofferingid") else None
    current_offering = store.get("diskoffering", volume.get("diskofferingid")) if volume.get("diskofferingid") else None
    if offering is not None:
        if offering.get("iscustomized"):
            if not ctx.has("size"):
                raise errors.invalid_value("New disk offering is customized: specify the new size (size)")
            new_size = ctx.get("size") * GIB
        else:
            new_size = int(offering.get("disksize") or 0) * GIB
    elif ctx.has("size"):
        if volume["type"] == "DATADISK" and current_offering is not None and not current_offering.get("iscustomized"):
            raise errors.invalid_value("To change a volume's size without providing a new disk offering, its current disk "
                                       "offering must be customizable or it must be a root volume (if providing a disk "
                                       "offering, make sure it is different from the current disk offering).")
        new_size = ctx.get("size") * GIB
    else:
        raise errors.invalid_value("Please specify the new size (size) or a new disk offering (diskofferingid)")
    if new_size <= 0:
        raise errors.invalid_value(f"Invalid size {ctx.get('size')}: the new size must be at least 1 GB")
    shrink_ok = bool(ctx.get("shrinkok"))
    owner = store.get("account", volume["accountid"])
    delta = gib(new_size) - gib(volume["size"])
    if delta > 0:
        limits.check(store, owner, "primary_storage", delta)

    def run(jctx):
        jstore = jctx.store
        current = jstore.get("volume", volume["id"])
        if current["state"] not in ("Ready", "Allocated"):
            raise errors.invalid_value(f"Volume should be in ready or allocated state before attempting a resize. "
                                       f"Volume {current['id']} is in state {current['state']}.")
        if new_size < current["size"] and not shrink_ok:
            raise errors.invalid_value(f"Going from existing size of {current['size']} to size of {new_size} would shrink "
                                       "the volume.Need to sign off by supplying the shrinkok parameter with value of true.")
        updated = resize_volume_rows(jctx, current, new_size, offering["id"] if offering is not None else None)
        record_event(jctx, "VOLUME.RESIZE", f"resizing volume {current['name']} to {gib(new_size)} GB",
                     resource_id=current["id"], resource_type="Volume")
        return render_volume(jctx, updated)

    return Job(run, instance_id=volume["id"])


@api("deleteVolume", response="success",
     description="Deletes a detached volume (an attached one is the real 431).",
     params=[P("id", "the volume", entity="volume")])
def delete_volume(ctx):
    store = ctx.store
    volume = _volume(ctx, ctx.get("id"))
    if volume.get("virtualmachineid"):
        raise errors.invalid_value("Please specify a volume that is not attached to any VM.")
    _check_delete_protection(volume)
    if volume["state"] in ("Creating", "Migrating", "Resizing", "Uploading"):
        raise errors.invalid_value(f"Please specify a volume that is not currently being {volume['state'].lower()}.")
    expunge_volume(store, volume)
    record_event(ctx, "VOLUME.DELETE", f"deleting volume {volume['name']}", resource_id=volume["id"],
                 resource_type="Volume")
    return SUCCESS


@api("extractVolume", response="volume", instance_type="Volume",
     description="Makes a detached volume (or one of a stopped VM) downloadable: the job result carries its URL, "
                 "served by the zone's SSVM (https on its name with secstorage.encrypt.copy and secstorage.ssl.cert.domain).",
     params=[P("id", "the volume", entity="volume"), P("zoneid", "the zone", entity="zone"),
             P("mode", "HTTP_DOWNLOAD or FTP_UPLOAD"), P("url", "FTP_UPLOAD target")])
def extract_volume(ctx):
    volume = _volume(ctx, ctx.get("id"))
    zone_id, mode = ctx.get("zoneid"), ctx.get("mode")
    root_admin = ctx.caller.is_root_admin

    def run(jctx):      # VolumeApiServiceImpl.extractVolume, in its order (it runs in the job)
        store = jctx.store
        current = store.get("volume", volume["id"])
        if not current.get("storageid"):
            raise errors.invalid_value("The volume doesn't belong to a storage pool so can't extract it")
        vm = store.get("virtualmachine", current["virtualmachineid"]) if current.get("virtualmachineid") else None
        if vm is not None and vm.get("state") != "Stopped":
            raise errors.permission_denied("Invalid state of the volume with specified ID. It should be either "
                                           "detached or the VM should be in stopped state.")
        if current.get("type") != "DATADISK" and current.get("templateid"):
            template = store.get("template", current["templateid"]) or {}
            extractable = template.get("isextractable") and template.get("templatetype") != "SYSTEM"
            if not extractable and not root_admin:
                raise errors.permission_denied("The volume with specified volumeId is not allowed to be extracted")
        if mode not in ("FTP_UPLOAD", "HTTP_DOWNLOAD"):
            raise errors.invalid_value("Please specify a valid extract Mode ")
        url = ctx.get("url") if mode == "FTP_UPLOAD" else systemvm_urls.download_url(
            jctx, zone_id, current["name"], current.get("format") or "VHD", f"volumes/{current.get('path')}")
        record_event(jctx, "VOLUME.EXTRACT", f"extracting volume {current['name']}", resource_id=current["id"],
                     resource_type="Volume")
        return {"id": current["id"], "name": current["name"], "extractMode": mode, "state": "DOWNLOAD_URL_CREATED",
                "url": url, "zoneid": zone_id, "zonename": zone_name(store, zone_id),
                "accountid": current.get("accountid")}

    return Job(run, instance_id=volume["id"])


@api("migrateVolume", response="volume", instance_type="Volume",
     description="Moves a volume to another primary storage pool of its zone.",
     params=[P("volumeid", "the volume", entity="volume"),
             P("storageid", "destination pool", entity="storagepool"),
             P("livemigrate", "migrate while the VM runs"),
             P("newdiskofferingid", "new disk offering", entity="diskoffering")])
def migrate_volume(ctx):
    volume = _volume(ctx, ctx.get("volumeid"))
    pool = ctx.store.get("storagepool", ctx.get("storageid"))

    def run(jctx):
        store = jctx.store
        current = store.get("volume", volume["id"])
        if current["state"] != "Ready":
            raise errors.invalid_value(f"Volume must be in ready state to migrate (volume {current['id']} is "
                                       f"{current['state']})")
        if pool["zoneid"] != current["zoneid"] or pool.get("state") != "Up":
            raise errors.invalid_value(f"Storage pool {pool['name']} is not an Up pool of the volume's zone")
        if current.get("storageid") == pool["id"]:
            raise errors.invalid_value(f"Volume {current['name']} is already on storage pool {pool['name']}")
        vm = store.get("virtualmachine", current.get("virtualmachineid")) if current.get("virtualmachineid") else None
        if vm is not None and vm["state"] == "Running" and not jctx.get("livemigrate"):
            raise errors.invalid_value(f"Volume {current['name']} is attached to a running VM: pass livemigrate=true")
        add_pool_usage(store, current.get("storageid"), -current["size"])
        add_pool_usage(store, pool["id"], current["size"])
        changes = {"storageid": pool["id"]}
        if jctx.has("newdiskofferingid"):
            changes["diskofferingid"] = jctx.get("newdiskofferingid")
        updated = store.update("volume", current["id"], **changes)
        record_event(jctx, "VOLUME.MIGRATE", f"migrating volume {current['name']} to {pool['name']}",
                     resource_id=current["id"], resource_type="Volume")
        return render_volume(jctx, updated)

    return Job(run, instance_id=volume["id"])


# --- destroy / recover / update / assign / check / change offering ---------------------------------------------


def _check_delete_protection(volume: dict) -> None:
    if volume.get("deleteprotection"):
        raise errors.invalid_value(f"Volume [id = {volume['id']}, name = {volume['name']}] has delete protection "
                                   "enabled and cannot be deleted.")


def _user_may_expunge_or_recover(ctx) -> bool:
    """Admins always; others when allow.user.expunge.recover.volume (account scope, default true) says so."""
    if ctx.caller.is_admin:
        return True
    return str(ctx.config("allow.user.expunge.recover.volume", "true", account=ctx.caller.account_id)).lower() == "true"


@api("destroyVolume", response="volume", instance_type="Volume",
     description="Destroys a detached volume (state Destroy, recoverable) or, with expunge=true, removes it.",
     params=[P("id", "the volume", entity=""), P("expunge", "remove it for good")])
def destroy_volume_api(ctx):
    store = ctx.store
    volume = store.get("volume", ctx.get("id"))
    if volume is None or volume.get("removed"):
        raise errors.invalid_value(f"Unable to find volume with ID: {ctx.get('id')}")
    if volume.get("virtualmachineid") and volume["state"] != "Expunged":
        raise errors.invalid_value("Please specify a volume that is not attached to any VM.")
    if volume["state"] in ("NotUploaded", "UploadInProgress"):
        raise errors.invalid_value("The volume is either getting uploaded or it may be initiated shortly, please wait "
                                   "for it to be completed")
    check_owned(ctx, volume, "volume")
    _check_delete_protection(volume)
    expunge = bool(ctx.get("expunge"))
    if expunge:
        if not _user_may_expunge_or_recover(ctx):
            raise errors.permission_denied("Expunging a volume can only be done by an Admin. Or when the "
                                           "allow.user.expunge.recover.volume key is set.")
    elif volume["state"] in ("Allocated", "Uploaded"):
        raise errors.invalid_value("The volume in Allocated/Uploaded state can only be expunged not destroyed/recovered")

    def run(jctx):
        jstore = jctx.store
        current = jstore.get("volume", volume["id"])
        if current["state"] not in ("Destroy", "Expunging", "Expunged", "Allocated"):
            current = volume_rows.destroy_volume(jstore, current)
        if expunge:
            volume_rows.expunge_volume(jstore, current)
            current = jstore.get("volume", volume["id"])
        record_event(jctx, "VOLUME.DESTROY", f"destroying a volume {current['name']}", resource_id=current["id"],
                     resource_type="Volume")
        return render_volume(jctx, current)

    return Job(run, instance_id=volume["id"])


@api("recoverVolume", response="volume", description="Recovers a volume in Destroy state (Ready again).",
     params=[P("id", "the volume", entity="")])
def recover_volume_api(ctx):
    store = ctx.store
    volume = store.get("volume", ctx.get("id"))
    if volume is None or volume.get("removed"):
        raise errors.invalid_value(f"Unable to find a volume with id {ctx.get('id')}")
    if not _user_may_expunge_or_recover(ctx):
        raise errors.permission_denied("Recovering a volume can only be done by an Admin. Or when the "
                                       "allow.user.expunge.recover.volume key is set.")
    check_owned(ctx, volume, "volume")
    if volume["state"] != "Destroy":
        raise errors.invalid_value("Please specify a volume in Destroy state.")
    owner = store.get("account", volume["accountid"])
    try:
        limits.check(store, owner, "primary_storage", gib(volume.get("size")))
    except errors.ApiError as exc:
        raise errors.invalid_value(exc.errortext) from exc     # the Java turns the limit error into a 431
    volume = volume_rows.recover_volume(store, volume, owner)
    record_event(ctx, "VOLUME.RECOVER", f"recovering a volume in Destroy state {volume['name']}",
                 resource_id=volume["id"], resource_type="Volume")
    return render_volume(ctx, volume)


# Volume.State of 4.20: what updateVolume state= accepts.
VOLUME_STATES = ("Allocated", "Creating", "Ready", "Resizing", "Migrating", "Migrating", "RestoreError", "Copying",
                 "Expunging", "Expunged", "Destroy", "Destroying", "UploadOp", "Uploaded", "NotUploaded",
                 "UploadInProgress", "UploadError", "UploadAbandoned", "Attaching", "Primary", "Snapshotting",
                 "RevertSnapshotting", "CloneMigrating")


@api("updateVolume", response="volume", instance_type="Volume",
     description="Renames a volume or sets its delete protection; root admins may also set its path, state, "
                 "pool, display flag and chain info.",
     params=[P("id", "the volume", entity=""), P("name", "new name"), P("deleteprotection", "refuse deletion"),
             P("path", "the path on its storage"), P("state", "a Volume.State"), P("chaininfo", "chain info"),
             P("storageid", "its pool", entity="storagepool"), P("displayvolume", "shown to the user"),
             P("customid", "a new uuid")])
def update_volume(ctx):
    store = ctx.store
    admin_only = ("path", "state", "storageid", "displayvolume", "customid", "chaininfo")
    if not ctx.caller.is_root_admin and any(ctx.has(name) for name in admin_only):
        raise errors.invalid_value("The domain admin and normal user are not allowed to update volume except volume "
                                   "name & delete protection")
    volume = store.get("volume", ctx.get("id")) if ctx.has("id") else None
    if volume is None or volume.get("removed"):
        raise errors.invalid_value("The volume id doesn't exist")
    check_owned(ctx, volume, "volume")
    changes: dict = {}
    if ctx.has("path"):
        changes["path"] = ctx.get("path")
    if ctx.has("chaininfo"):
        changes["chaininfo"] = ctx.get("chaininfo")
    if ctx.has("state"):
        if ctx.get("state") not in VOLUME_STATES:
            raise errors.invalid_value("Invalid volume state specified")
        changes["state"] = ctx.get("state")
    if ctx.has("storageid"):
        pool = store.get("storagepool", ctx.get("storageid"))
        if pool["zoneid"] != volume["zoneid"]:
            raise errors.invalid_value("Invalid storageId specified; refers to the pool outside of the volume's zone")
        changes["storageid"] = pool["id"]
    if ctx.has("customid"):
        # The uuid is the simulator's row key (tags, snapshots and policies point at it): not changeable here.
        raise errors.invalid_value("customid: the marvin2 simulator keys volumes by their uuid and cannot change it")
    if ctx.has("name"):
        changes["name"] = ctx.get("name")
    if ctx.has("deleteprotection"):
        changes["deleteprotection"] = ctx.get("deleteprotection")
    if ctx.has("displayvolume") and ctx.get("displayvolume") != volume.get("displayvolume", True):
        owner = store.get("account", volume["accountid"])
        if ctx.get("displayvolume"):
            charge_volume(store, owner, volume.get("size") or 0)
        else:
            volume_rows.release_volume(store, volume)
        changes["displayvolume"] = ctx.get("displayvolume")

    def run(jctx):
        current = jctx.store.get("volume", volume["id"])
        if changes.get("storageid") and changes["storageid"] != current.get("storageid"):
            add_pool_usage(jctx.store, current.get("storageid"), -(current.get("size") or 0))
            add_pool_usage(jctx.store, changes["storageid"], current.get("size") or 0)
        updated = jctx.store.update("volume", current["id"], **changes) if changes else current
        record_event(jctx, "VOLUME.UPDATE", f"updating volume {updated['name']}", resource_id=updated["id"],
                     resource_type="Volume")
        return render_volume(jctx, updated)

    return Job(run, instance_id=volume["id"])


def _brief(volume: dict) -> str:
    """ReflectionToStringBuilderUtils.reflectOnlySelectedFields(volume, "id", "name", "uuid") as the Java prints it."""
    return f'{{"id":{volume.get("internalid") or 0},"name":"{volume["name"]}","uuid":"{volume["id"]}"}}'


@api("assignVolume", response="volume",
     description="Moves a detached volume without snapshots to another account or project.",
     params=[P("volumeid", "the volume", entity=""), P("accountid", "the new owner", entity=""),
             P("projectid", "the new owning project", entity="")])
def assign_volume(ctx):
    store = ctx.store
    volume = store.get("volume", ctx.get("volumeid"))
    if volume is None or volume.get("removed"):
        raise errors.invalid_value(f"No volume was found with UUID [{ctx.get('volumeid')}].")
    if volume.get("virtualmachineid"):
        vm = store.get("virtualmachine", volume["virtualmachineid"]) or {}
        raise errors.permission_denied(f"Volume [{_brief(volume)}] is attached to [VM instance {{\"id\":"
                                       f"{vm.get('internalid')},\"instanceName\":\"{vm.get('instancename')}\","
                                       f"\"type\":\"User\",\"uuid\":\"{vm.get('id')}\"}}], so it cannot be moved "
                                       "to a different account.")
    live_snapshots = [s for s in store.find("snapshot", volumeid=volume["id"])
                      if not s.get("removed") and s.get("state") not in ("Destroyed", "Error")]
    if live_snapshots:
        raise errors.permission_denied(f"Volume [{_brief(volume)}] has snapshots. Remove the volume's snapshots before "
                                       "assigning it to another account.")
    old = store.get("account", volume["accountid"])
    if ctx.has("projectid") and ctx.has("accountid"):
        raise errors.invalid_value("Both 'accountid' and 'projectid' were informed. You must inform only one of them.")
    if ctx.has("projectid"):
        project = store.get("project", ctx.get("projectid"))
        if project is None or project.get("removed"):
            raise errors.invalid_value(f"Unable to find project [{ctx.get('projectid')}]")
        if not (ctx.caller.is_admin and ctx.can_access(project)) and store.find_one(
                "projectaccount", projectid=project["id"], accountid=ctx.caller.account_id) is None:
            raise errors.permission_denied(f"Account [{ctx.caller.account['name']}] does not have access to project "
                                           f"[{ctx.get('projectid')}].")
        new = store.get("account", project["projectaccountid"])
    else:
        new = store.get("account", ctx.get("accountid")) if ctx.has("accountid") else None
        if new is not None and new.get("removed"):
            new = None
    if old is None:
        raise errors.invalid_value(f"The current account of the volume [{_brief(volume)}] is invalid.")
    if new is None:
        raise errors.invalid_value(f"UUID of the destination account is invalid. No account was found with UUID "
                                   f"[{ctx.get('accountid')}].")
    if new.get("state") in ("disabled", "locked"):
        raise errors.invalid_value(f"Unable to assign volume to destination account [{new['name']}], as it is in "
                                   f"[{new['state']}] state.")
    if old["id"] == new["id"]:
        raise errors.invalid_value(f"The new account and the old account are the same [{old['name']}].")
    ctx.check_access(old, "account")
    if new.get("accounttype") != PROJECT_ACCOUNT_TYPE:      # a project's account: access came with the project
        ctx.check_access(new, "account")
    volume_rows.release_volume(store, volume)
    charge_volume(store, new, volume.get("size") or 0)
    volume = store.update("volume", volume["id"], accountid=new["id"], domainid=new["domainid"])
    record_event(ctx, "VOLUME.ASSIGN", f"assigning volume {volume['name']} to account {new['name']}",
                 resource_id=volume["id"], resource_type="Volume")
    return render_volume(ctx, volume)


@api("checkVolume", response="volume", instance_type="Volume",
     description="Checks (and repairs) a KVM volume: Ready, its VM stopped; the Simulator hypervisor has no such tool.",
     params=[P("id", "the volume", entity="volume"), P("repair", "leaks or all")])
def check_volume(ctx):
    volume = _volume(ctx, ctx.get("id"))

    def run(jctx):
        current = jctx.store.get("volume", volume["id"])
        if current.get("virtualmachineid"):
            vm = jctx.store.get("virtualmachine", current["virtualmachineid"])
            if vm is None:
                raise errors.invalid_value(f"VM not found, please check the VM to which this volume {current['name']} "
                                           "is attached")
            check_owned(jctx, vm, "VM")
            if vm["state"] != "Stopped":
                raise errors.invalid_value(f"VM to which the volume {current['name']} is attached should be in stopped "
                                           "state")
        if current["state"] != "Ready":
            raise errors.invalid_value(f"Volume: {current['name']} is not in Ready state")
        # Every simulated volume lives on a Simulator hypervisor, and 4.20 checks only KVM ones.
        raise errors.invalid_value("Check and Repair volumes is supported only for KVM hypervisor")

    return Job(run, instance_id=volume["id"])


@api("changeOfferingForVolume", response="volume", instance_type="Volume",
     description="Gives a volume another disk offering (resizing it to the offering's size, or to size for a "
                 "custom one).",
     params=[P("id", "the volume", entity="volume"), P("diskofferingid", "the new disk offering"),
             P("size", "new size (GB) for a custom offering"), P("miniops"), P("maxiops"),
             P("automigrate", "migrate when the pool does not fit"), P("shrinkok", "allow shrinking")])
def change_offering_for_volume(ctx):
    store = ctx.store
    volume = _volume(ctx, ctx.get("id"))
    new = store.get("diskoffering", ctx.get("diskofferingid"))
    existing = store.get("diskoffering", volume.get("diskofferingid")) if volume.get("diskofferingid") else None
    if new.get("removed") or new.get("state") == "Inactive":
        raise errors.invalid_value("Requested disk offering has been removed.")
    if int(new.get("disksize") or 0) > 0:
        new_size = int(new["disksize"]) * GIB
    elif new.get("iscustomized"):
        if not ctx.has("size"):
            raise errors.invalid_value("The new disk offering requires that a size be specified.")
        new_size = ctx.get("size") * GIB
    else:
        if ctx.has("size"):
            raise errors.invalid_value("You cannot pass in a custom disk size to a non-custom disk offering.")
        new_size = volume["size"]
    if existing is not None:
        if existing["id"] == new["id"] and (not new.get("iscustomized") or volume["size"] == new_size):
            raise errors.invalid_value(f"Volume {volume['name']} is already having disk offering {new['id']}")
        if bool(existing.get("disksizestrictness")) != bool(new.get("disksizestrictness")):
            raise errors.invalid_value("Disk offering size strictness does not match with new disk offering.")
        if existing.get("disksizestrictness") and volume["size"] != new_size:
            raise errors.invalid_value(f"Resize volume for {volume['name']} is not allowed since disk offering's size "
                                       "is fixed")
    if new_size != volume["size"]:
        if volume.get("virtualmachineid") and store.find("vmsnapshot", virtualmachineid=volume["virtualmachineid"]):
            raise errors.invalid_value("A volume that is attached to a VM with any VM snapshots cannot be resized.")
        if new_size < volume["size"] and not ctx.get("shrinkok"):
            raise errors.invalid_value(f"Going from existing size of {volume['size']} to size of {new_size} would "
                                       "shrink the volume.Need to sign off by supplying the shrinkok parameter with "
                                       "value of true.")
        if volume["state"] not in ("Ready", "Allocated"):
            raise errors.invalid_value(f"Volume should be in ready or allocated state before attempting a resize. "
                                       f"Volume {volume['id']} is in state {volume['state']}.")
    owner = store.get("account", volume["accountid"])
    grow = gib(new_size) - gib(volume["size"])
    if grow > 0:
        limits.check(store, owner, "primary_storage", grow)

    def run(jctx):
        jstore = jctx.store
        current = jstore.get("volume", volume["id"])
        updated = resize_volume_rows(jctx, current, new_size, new["id"])
        record_event(jctx, "VOLUME.CHANGE.DISK.OFFERING", f"changing disk offering of volume {updated['name']}",
                     resource_id=updated["id"], resource_type="Volume")
        return render_volume(jctx, updated)

    return Job(run, instance_id=volume["id"])


apply_command_classes()
