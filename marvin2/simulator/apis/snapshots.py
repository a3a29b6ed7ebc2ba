"""Volume snapshots (+ recurring policies) and VM snapshots.

A volume snapshot is created ``Allocated`` in the request (the id is answered
at once), goes through ``BackingUp`` and ends ``BackedUp`` when its job
completes. VM snapshots go ``Allocated`` → ``Creating`` → ``Ready``; the
newest one of a VM is ``current`` and the parent of the next.
"""
from __future__ import annotations

import datetime as _dt
import functools
import re
import secrets
import zoneinfo

from marvin2 import wire
from marvin2.simulator import errors, limits, tagging
from marvin2.simulator.context import SUCCESS, Job
from marvin2.simulator.declare import ACCOUNT_SCOPE, PAGING, P, api, declare_object
from marvin2.simulator.services.common import (
    apply_command_classes,
    check_owned,
    get_live,
    list_owned,
    owner_fields,
    record_event,
    zone_name,
)
from marvin2.simulator.services.volumes import gib
from marvin2.simulator.validation import map_as_dict

tagging.register_taggable("Snapshot", "snapshot")
tagging.register_taggable("VMSnapshot", "vmsnapshot")
tagging.register_taggable("SnapshotPolicy", "snapshotpolicy")

INTERVALS = ("HOURLY", "DAILY", "WEEKLY", "MONTHLY")
MAX_SNAPS = {"HOURLY": 8, "DAILY": 8, "WEEKLY": 8, "MONTHLY": 8}
VM_SNAPSHOT_MAX = 10


def _stamp() -> str:
    return _dt.datetime.now(_dt.timezone.utc).strftime("%Y%m%d%H%M%S")


# --- volume snapshots -----------------------------------------------------------------------------------

declare_object("snapshot", {
    "id": "snapshot id", "name": "snapshot name", "volumeid": "the volume", "volumename": "its name",
    "volumetype": "ROOT or DATADISK", "state": "BackedUp, BackingUp, Allocated, Error", "snapshottype": "MANUAL or RECURRING",
    "intervaltype": "MANUAL, HOURLY ...", "created": ("date", "created"), "zoneid": "zone", "physicalsize": ("long", "bytes"),
    "virtualsize": ("long", "bytes"), "account": "owner", "domainid": "owner domain id", "domain": "owner domain",
    "revertable": ("boolean", "the volume can be reverted to it"), "tags": ("set", "tags"), "locationtype": "PRIMARY or SECONDARY",
})


def render_snapshot(ctx, row: dict) -> dict:
    volume = ctx.store.get("volume", row.get("volumeid")) or {}
    return {"id": row["id"], "name": row["name"], "volumeid": row.get("volumeid"), "volumename": volume.get("name"),
            "volumetype": row.get("volumetype"), "state": row["state"], "snapshottype": row.get("snapshottype", "MANUAL"),
            "intervaltype": row.get("intervaltype", "MANUAL"), "created": row.get("created"), "zoneid": row.get("zoneid"),
            "zonename": zone_name(ctx.store, row.get("zoneid")), "physicalsize": row.get("size"),
            "virtualsize": row.get("size"), "revertable": row["state"] == "BackedUp" and not volume.get("removed"),
            "locationtype": row.get("locationtype"), "osdisplayname": row.get("osdisplayname"),
            "ostypeid": row.get("ostypeid"), "hasannotations": False, "tags": ctx.tags_for(row["id"]),
            **owner_fields(ctx, row)}


def _snapshot(ctx, snapshot_id: str) -> dict:
    row = get_live(ctx, "snapshot", snapshot_id, f"unable to find a snapshot with id {snapshot_id}")
    return check_owned(ctx, row, "snapshot")


@api("createSnapshot", response="snapshot", instance_type="Snapshot",
     description="Takes a snapshot of a Ready volume; the id is answered at once, the snapshot ends BackedUp.",
     params=[P("volumeid", "the volume", entity="volume"), P("name", "snapshot name"),
             P("account"), P("domainid"), P("policyid", "the policy taking it", entity="snapshotpolicy"),
             P("quiescevm", "quiesce the VM"), P("asyncbackup", "back up asynchronously"),
             P("locationtype", "PRIMARY or SECONDARY"), P("tags", "tags to put on the snapshot")])
def create_snapshot(ctx):
    store = ctx.store
    volume = store.get("volume", ctx.get("volumeid"))
    if volume.get("removed"):
        raise errors.invalid_value(f"Unable to find volume with ID: {volume['id']}")
    check_owned(ctx, volume, "volume")
    if volume["state"] != "Ready":
        raise errors.invalid_value(f"VolumeId: {volume['id']} is not in Ready state but {volume['state']}. Cannot take "
                                   "snapshot.")
    owner = store.get("account", volume["accountid"])
    limits.charge(store, owner, "snapshot")
    limits.charge(store, owner, "secondary_storage", gib(volume.get("size")))
    vm = store.get("virtualmachine", volume.get("virtualmachineid")) if volume.get("virtualmachineid") else None
    name = ctx.get("name") or f"{vm['instancename'] if vm else 'detached'}_{volume['name']}_{_stamp()}"
    template = store.get("template", volume.get("templateid")) if volume.get("templateid") else None
    row = store.insert("snapshot", {
        "name": name, "volumeid": volume["id"], "volumetype": volume["type"], "zoneid": volume["zoneid"],
        "state": "Allocated", "snapshottype": "RECURRING" if ctx.has("policyid") else "MANUAL",
        "intervaltype": "MANUAL", "size": volume.get("size"), "locationtype": ctx.get("locationtype"),
        "ostypeid": template.get("ostypeid") if template else None, "accountid": volume["accountid"],
        "domainid": volume["domainid"],
    })
    tags = map_as_dict(ctx.get("tags")) if ctx.has("tags") else {}
    for key, value in tags.items():
        store.insert("resourcetag", {"key": key, "value": value, "resourceid": row["id"], "resourcetype": "Snapshot",
                                     "accountid": volume["accountid"], "domainid": volume["domainid"]})
    store.update("snapshot", row["id"], state="BackingUp")

    def run(jctx):
        current = jctx.store.update("snapshot", row["id"], state="BackedUp")
        record_event(jctx, "SNAPSHOT.CREATE", f"Creating snapshot {name} of volume {volume['name']}",
                     resource_id=row["id"], resource_type="Snapshot", account=owner)
        return render_snapshot(jctx, current)

    def failed(jctx, error):
        jctx.store.update("snapshot", row["id"], state="Error")
        limits.release(jctx.store, owner, "snapshot")
        limits.release(jctx.store, owner, "secondary_storage", gib(volume.get("size")))

    return Job(run, entity_id=row["id"], instance_id=row["id"], on_failure=failed)


@api("listSnapshots", response="snapshot", related="createSnapshot",
     description="Lists the volume snapshots the caller may see.",
     params=[*PAGING, *ACCOUNT_SCOPE, P("id", entity="snapshot"), P("ids", "snapshot ids"),
             P("name"), P("volumeid", entity="volume"), P("snapshottype", "MANUAL or RECURRING"),
             P("intervaltype", "HOURLY, DAILY, WEEKLY or MONTHLY"), P("zoneid"),
             P("projectid", entity="project"), P("tags")])
def list_snapshots(ctx):
    zone_id = ctx.get("zoneid")

    def match(row):
        return ((not ctx.has("snapshottype") or row.get("snapshottype", "").lower() == ctx.get("snapshottype").lower())
                and (not ctx.has("intervaltype") or row.get("intervaltype", "").lower() == ctx.get("intervaltype").lower())
                and row["state"] != "Destroyed"
                # a snapshot copied to other zones (copySnapshot) is listed in each of them
                and (not zone_id or row.get("zoneid") == zone_id or zone_id in (row.get("copyzoneids") or [])))

    def render(row):
        out = render_snapshot(ctx, row)
        if zone_id and row.get("zoneid") != zone_id:
            out.update(zoneid=zone_id, zonename=zone_name(ctx.store, zone_id))
        return out

    return list_owned(ctx, "snapshot", render, match=match, filters={"volumeid": "volumeid"})


@api("deleteSnapshot", response="success", instance_type="Snapshot",
     description="Deletes a volume snapshot.", params=[P("id", "the snapshot", entity="snapshot")])
def delete_snapshot(ctx):
    snapshot = _snapshot(ctx, ctx.get("id"))

    def run(jctx):
        store = jctx.store
        current = store.get("snapshot", snapshot["id"])
        if current.get("removed"):
            raise errors.invalid_value(f"unable to find a snapshot with id {snapshot['id']}")
        if current["state"] in ("BackingUp", "Creating", "Allocated"):
            raise errors.invalid_value(f"Can't delete snapshot {current['id']} in state {current['state']}: it is still "
                                       "being backed up")
        store.update("snapshot", current["id"], state="Destroyed", removed=wire.now_text())
        if current["state"] == "BackedUp":
            limits.release(store, current["accountid"], "snapshot")
            limits.release(store, current["accountid"], "secondary_storage", gib(current.get("size")))
        tagging.delete_tags_of(store, current["id"])
        record_event(jctx, "SNAPSHOT.DELETE", f"Deleting snapshot {current['name']}", resource_id=current["id"],
                     resource_type="Snapshot")
        return SUCCESS

    return Job(run, instance_id=snapshot["id"])


@api("revertSnapshot", response="snapshot", instance_type="Snapshot",
     description="Reverts a volume to a snapshot (the VM it is attached to must be stopped).",
     params=[P("id", "the snapshot", entity="snapshot")])
def revert_snapshot(ctx):
    snapshot = _snapshot(ctx, ctx.get("id"))

    def run(jctx):
        store = jctx.store
        current = store.get("snapshot", snapshot["id"])
        volume = store.get("volume", current["volumeid"])
        if volume is None or volume.get("removed"):
            raise errors.invalid_value(f"Can't find the volume of snapshot {current['id']}: it was deleted")
        if current["state"] != "BackedUp":
            raise errors.invalid_value(f"Snapshot {current['id']} is not in BackedUp state")
        if volume.get("virtualmachineid"):
            vm = store.get("virtualmachine", volume["virtualmachineid"])
            if vm and vm["state"] not in ("Stopped", "Shutdown"):
                raise errors.invalid_value("The VM the specified disk is attached to is not in the shutdown state.")
        store.update("volume", volume["id"], size=current.get("size", volume["size"]))
        record_event(jctx, "SNAPSHOT.REVERT", f"Reverting volume {volume['name']} to snapshot {current['name']}",
                     resource_id=current["id"], resource_type="Snapshot")
        return render_snapshot(jctx, current)

    return Job(run, instance_id=snapshot["id"])


# --- snapshot policies ----------------------------------------------------------------------------------------

declare_object("snapshotpolicy", {
    "id": "policy id", "volumeid": "the volume", "schedule": "MM, MM:HH, MM:HH:DD", "intervaltype": ("short", "0 hourly, 1 daily, 2 weekly, 3 monthly"),
    "maxsnaps": ("int", "snapshots kept"), "timezone": "time zone of the schedule", "fordisplay": ("boolean", "shown to users"),
    "tags": ("set", "tags"),
})


def render_policy(ctx, row: dict) -> dict:
    return {"id": row["id"], "volumeid": row["volumeid"], "schedule": row["schedule"],
            "intervaltype": INTERVALS.index(row["intervaltype"]), "maxsnaps": row["maxsnaps"],
            "timezone": row["timezone"], "fordisplay": row.get("fordisplay", True), "hasannotations": False,
            "tags": ctx.tags_for(row["id"])}


# Java's TimeZone knows these short ids besides the tz database's (its "old mappings").
JAVA_SHORT_ZONE_IDS = frozenset({
    "ACT", "AET", "AGT", "ART", "AST", "BET", "BST", "CAT", "CNT", "CST", "CTT", "EAT", "ECT", "IET", "IST", "JST",
    "MIT", "NET", "NST", "PLT", "PNT", "PRT", "PST", "SST", "VST", "EST", "MST", "HST",
})
# Areas of tz database names, for a machine without a tz database (no /usr/share/zoneinfo, no tzdata package).
TZ_AREAS = frozenset({"Africa", "America", "Antarctica", "Arctic", "Asia", "Atlantic", "Australia", "Europe", "Indian",
                      "Pacific", "Etc", "US", "Canada", "Brazil", "Chile", "Mexico"})
_CUSTOM_GMT = re.compile(r"GMT([+-])(\d{1,2})(?::?(\d{2}))?")


@functools.lru_cache(maxsize=1)
def _known_zone_ids() -> frozenset[str]:
    try:
        return frozenset(zoneinfo.available_timezones())
    except Exception:  # noqa: BLE001 - an unreadable tz database counts as none
        return frozenset()


def java_time_zone_id(name: str) -> str:
    """The id Java's ``TimeZone.getTimeZone(name).getID()`` answers, which is what the server stores.

    Known ids are kept as given (case matters), custom offsets are normalised
    (``GMT+5`` -> ``GMT+05:00``), and anything else silently becomes ``GMT``.
    """
    known = _known_zone_ids()
    if name in JAVA_SHORT_ZONE_IDS or name in known:
        return name
    if not known and re.fullmatch(r"[A-Z][A-Za-z_+-]*(/[A-Z0-9][A-Za-z0-9_+-]*){1,2}", name) \
            and name.split("/")[0] in TZ_AREAS:
        return name
    match = _CUSTOM_GMT.fullmatch(name)
    if match:
        sign, hours_text, minutes_text = match.groups()
        hours, minutes = int(hours_text), int(minutes_text or 0)
        if hours <= 23 and minutes <= 59:
            return "GMT" if hours == minutes == 0 else f"GMT{sign}{hours:02d}:{minutes:02d}"
    return "GMT"


def _check_schedule(interval: str, schedule: str) -> None:
    parts = schedule.split(":")
    expected = {"HOURLY": 1, "DAILY": 2, "WEEKLY": 3, "MONTHLY": 3}[interval]
    ranges = [(0, 59), (0, 23), (1, 7 if interval == "WEEKLY" else 28)]
    ok = len(parts) == expected and all(p.isdigit() and ranges[i][0] <= int(p) <= ranges[i][1]
                                        for i, p in enumerate(parts))
    if not ok:
        raise errors.invalid_value(f"Invalid schedule: {schedule} for interval type: {interval}")


def _nearest_domain_limit(store, domain: dict | None, resource_type: str) -> int:
    """The domain's own limit, else its nearest limited ancestor's below ROOT (the server does not look at ROOT)."""
    while domain is not None and domain.get("parentdomainid"):
        limit = limits.domain_limit(store, domain, resource_type)
        if limit != -1:
            return limit
        domain = store.get("domain", domain["parentdomainid"])
    return -1


def _check_maxsnaps_against_limits(store, volume: dict, maxsnaps: int) -> None:
    """A policy may not keep more snapshots than the owner's account or domain snapshot limit (root admins: any)."""
    owner = store.get("account", volume["accountid"])
    if owner is None or owner.get("accounttype") == 1:
        return
    account_limit = limits.account_limit(store, owner, "snapshot")
    domain_limit = _nearest_domain_limit(store, store.get("domain", owner["domainid"]), "snapshot")
    if (account_limit != -1 and maxsnaps > account_limit) or (domain_limit != -1 and maxsnaps > domain_limit):
        scope = "domain/project" if owner.get("projectid") else "domain/account"
        raise errors.invalid_value(f"Max number of snapshots shouldn't exceed the {scope} level snapshot limit")


@api("createSnapshotPolicy", response="snapshotpolicy", related="listSnapshotPolicies",
     description="Creates (or, for the same interval, replaces) a recurring snapshot policy of a volume.",
     params=[P("volumeid", "the volume", entity="volume"),
             P("intervaltype", "HOURLY, DAILY, WEEKLY or MONTHLY"),
             P("schedule", "MM (hourly), MM:HH (daily), MM:HH:DD (weekly: day 1-7, monthly: 1-28)"),
             P("maxsnaps", "snapshots to keep"), P("timezone", "time zone of the schedule"),
             P("fordisplay", "show to users"), P("tags", "tags")])
def create_snapshot_policy(ctx):
    store = ctx.store
    volume = store.get("volume", ctx.get("volumeid"))
    if volume.get("removed"):
        raise errors.invalid_value(f"Failed to create snapshot policy, unable to find a volume with id {volume['id']}")
    check_owned(ctx, volume, "volume")
    display = ctx.get("fordisplay", True)
    # A hidden policy (fordisplay=false) is never scheduled, so the server lets it skip the state and limit checks.
    if display and volume.get("state") != "Ready":
        raise errors.invalid_value(f"VolumeId: {volume.get('internalid', volume['id'])} is not in Ready state but "
                                   f"{volume.get('state')}. Cannot take snapshot.")
    interval = ctx.get("intervaltype").upper()
    if interval not in INTERVALS:
        raise errors.invalid_value(f"Unsupported interval type {ctx.get('intervaltype')}")
    timezone = java_time_zone_id(ctx.get("timezone"))
    _check_schedule(interval, ctx.get("schedule"))
    maxsnaps = ctx.get("maxsnaps")
    if maxsnaps <= 0:
        raise errors.invalid_value("maxSnaps should be greater than 0")
    if maxsnaps > MAX_SNAPS[interval]:
        raise errors.invalid_value(f"maxSnaps exceeds limit: {MAX_SNAPS[interval]} for interval type: {interval}")
    if display:
        _check_maxsnaps_against_limits(store, volume, maxsnaps)
    existing = store.find_one("snapshotpolicy", volumeid=volume["id"], intervaltype=interval)
    fields = {"volumeid": volume["id"], "intervaltype": interval, "schedule": ctx.get("schedule"), "maxsnaps": maxsnaps,
              "timezone": timezone, "fordisplay": display,
              "accountid": volume["accountid"], "domainid": volume["domainid"]}
    row = store.update("snapshotpolicy", existing["id"], **fields) if existing else store.insert("snapshotpolicy", fields)
    record_event(ctx, "SNAPSHOTPOLICY.CREATE", f"Creating a {interval.lower()} snapshot policy for volume "
                 f"{volume['name']}", resource_id=row["id"], resource_type="SnapshotPolicy")
    return render_policy(ctx, row)


@api("listSnapshotPolicies", response="snapshotpolicy", related="createSnapshotPolicy",
     description="Lists the snapshot policies of a volume (or one policy by id).",
     params=[*PAGING, P("volumeid", entity="volume"), P("id", entity="snapshotpolicy"),
             P("fordisplay", "shown to users")])
def list_snapshot_policies(ctx):
    if ctx.has("volumeid"):
        check_owned(ctx, ctx.store.get("volume", ctx.get("volumeid")), "volume")

    def match(row):
        return not ctx.has("fordisplay") or bool(row.get("fordisplay", True)) == ctx.get("fordisplay")

    return ctx.list("snapshotpolicy", lambda r: render_policy(ctx, r), match=match, filters={"volumeid": "volumeid"},
                    owned=True)


@api("updateSnapshotPolicy", response="snapshotpolicy", instance_type="Snapshot",
     description="Changes whether a snapshot policy is shown to users, or its custom id.",
     params=[P("id", entity="snapshotpolicy"), P("fordisplay", "shown to users"),
             P("customid", "custom id")])
def update_snapshot_policy(ctx):
    if not ctx.has("id"):
        raise errors.invalid_value("Please specify the id of the snapshot policy to update")
    policy = ctx.store.get("snapshotpolicy", ctx.get("id"))
    check_owned(ctx, policy, "snapshot policy")

    def run(jctx):
        changes = {k: jctx.get(k) for k in ("fordisplay", "customid") if jctx.has(k)}
        row = jctx.store.update("snapshotpolicy", policy["id"], **changes)
        record_event(jctx, "SNAPSHOTPOLICY.UPDATE", "Updating a snapshot policy", resource_id=row["id"],
                     resource_type="SnapshotPolicy")
        return render_policy(jctx, row)

    return Job(run, instance_id=policy["id"])


@api("deleteSnapshotPolicies", response="success",
     description="Deletes snapshot policies (id or ids).",
     params=[P("id", entity="snapshotpolicy"), P("ids", "policy ids")])
def delete_snapshot_policies(ctx):
    store = ctx.store
    ids = [ctx.get("id")] if ctx.has("id") else [i.lower() for i in ctx.get("ids") or []]
    if not ids:
        raise errors.invalid_value("No policy id (or list of ids) specified.")
    rows = []
    for policy_id in ids:
        row = store.get("snapshotpolicy", policy_id)
        if row is None:
            raise errors.invalid_value(f"Policy id given: {policy_id} does not exist")
        rows.append(check_owned(ctx, row, "snapshot policy"))
    for row in rows:
        store.delete("snapshotpolicy", row["id"])
        tagging.delete_tags_of(store, row["id"])
        record_event(ctx, "SNAPSHOTPOLICY.DELETE", "Deleting a snapshot policy", resource_id=row["id"],
                     resource_type="SnapshotPolicy")
    return SUCCESS


# --- VM snapshots -------------------------------------------------------------------------------------------------

_VMSNAP_FIELDS = {
    "id": "VM snapshot id", "name": "name", "displayname": "display name", "description": "description",
    "state": "Allocated, Creating, Ready, Expunging, Reverting, Error", "type": "Disk or DiskAndMemory",
    "current": ("boolean", "the VM's current snapshot"), "parent": "parent snapshot id", "parentName": "its name",
    "virtualmachineid": "the VM", "virtualmachinename": "its name", "zoneid": "zone", "zonename": "zone name",
    "created": ("date", "created"), "account": "owner", "domainid": "owner domain id", "domain": "owner domain",
    "hypervisor": "hypervisor", "tags": ("set", "tags"),
}
declare_object("vmsnapshot", _VMSNAP_FIELDS)
declare_object("vmSnapshot", _VMSNAP_FIELDS)


def render_vm_snapshot(ctx, row: dict) -> dict:
    store = ctx.store
    vm = store.get("virtualmachine", row["virtualmachineid"]) or {}
    parent = store.get("vmsnapshot", row.get("parent")) if row.get("parent") else None
    return {"id": row["id"], "name": row["name"], "displayname": row.get("displayname") or row["name"],
            "description": row.get("description"), "state": row["state"], "type": row["type"],
            "current": bool(row.get("current")), "parent": parent["id"] if parent else None,
            "parentName": parent["name"] if parent else None, "virtualmachineid": row["virtualmachineid"],
            "virtualmachinename": vm.get("name"), "zoneid": vm.get("zoneid"), "zonename": zone_name(store, vm.get("zoneid")),
            "created": row.get("created"), "hypervisor": vm.get("hypervisor", "Simulator"), "hasannotations": False,
            "tags": ctx.tags_for(row["id"]), **owner_fields(ctx, row)}


def _vm_snapshot(ctx, snapshot_id: str) -> dict:
    row = get_live(ctx, "vmsnapshot", snapshot_id, f"unable to find the vm snapshot with id {snapshot_id}")
    return check_owned(ctx, row, "VM snapshot")


@api("createVMSnapshot", response="vmsnapshot", instance_type="VmSnapshot",
     description="Snapshots a running or stopped VM (its memory too with snapshotmemory=true, running VMs only).",
     params=[P("virtualmachineid", "the VM", entity="virtualmachine"), P("name", "display name"),
             P("description", "description"), P("snapshotmemory", "include memory"),
             P("quiescevm", "quiesce the VM")])
def create_vm_snapshot(ctx):
    from marvin2.simulator.services.vms import get_vm

    store = ctx.store
    vm = get_vm(ctx, ctx.get("virtualmachineid"))
    if vm["state"] not in ("Running", "Stopped"):
        raise errors.invalid_value(f"Creating VM snapshot failed due to VM:{vm['id']} is not in the running or Stopped "
                                   "state")
    memory = bool(ctx.get("snapshotmemory"))
    if memory and vm["state"] != "Running":
        raise errors.invalid_value("Can not snapshot memory when VM is not in Running state")
    live = [s for s in store.find("vmsnapshot", virtualmachineid=vm["id"]) if not s.get("removed")]
    if len(live) >= VM_SNAPSHOT_MAX:
        raise errors.resource_limit(f"VM snapshot number of VM {vm['name']} exceeds the limit {VM_SNAPSHOT_MAX}")
    name = f"{vm['instancename']}_VS_{_stamp()}"
    current = next((s for s in live if s.get("current")), None)
    row = store.insert("vmsnapshot", {
        "name": name, "displayname": ctx.get("name") or name, "description": ctx.get("description"),
        "state": "Allocated", "type": "DiskAndMemory" if memory else "Disk", "virtualmachineid": vm["id"],
        "parent": current["id"] if current else None, "current": False, "accountid": vm["accountid"],
        "domainid": vm["domainid"],
    })
    store.update("vmsnapshot", row["id"], state="Creating")

    def run(jctx):
        jstore = jctx.store
        for other in jstore.find("vmsnapshot", virtualmachineid=vm["id"], current=True):
            jstore.update("vmsnapshot", other["id"], current=False)
        done = jstore.update("vmsnapshot", row["id"], state="Ready", current=True)
        record_event(jctx, "VMSNAPSHOT.CREATE", f"Creating VM snapshot {name}", resource_id=row["id"],
                     resource_type="VMSnapshot")
        return render_vm_snapshot(jctx, done)

    def failed(jctx, error):
        jctx.store.update("vmsnapshot", row["id"], state="Error")

    return Job(run, entity_id=row["id"], instance_id=row["id"], on_failure=failed)


@api("listVMSnapshot", response="vmSnapshot", related="createVMSnapshot",
     description="Lists VM snapshots the caller may see.",
     params=[*PAGING, *ACCOUNT_SCOPE, P("vmsnapshotid", entity="vmsnapshot"),
             P("vmsnapshotids", "VM snapshot ids"), P("virtualmachineid", entity="virtualmachine"),
             P("name"), P("state", "state"), P("projectid", entity="project"), P("tags")])
def list_vm_snapshot(ctx):
    wanted = {ctx.get("vmsnapshotid")} if ctx.has("vmsnapshotid") else None
    if ctx.has("vmsnapshotids"):
        wanted = (wanted or set()) | {i.lower() for i in ctx.get("vmsnapshotids")}

    def match(row):
        return ((wanted is None or row["id"] in wanted)
                and (not ctx.has("state") or row["state"].lower() == ctx.get("state").lower())
                and (not ctx.has("name") or row["name"] == ctx.get("name") or row.get("displayname") == ctx.get("name")))

    return list_owned(ctx, "vmsnapshot", lambda r: render_vm_snapshot(ctx, r), match=match,
                      filters={"virtualmachineid": "virtualmachineid"}, keyword_fields=("name", "displayname"))


@api("revertToVMSnapshot", response="virtualmachine", instance_type="VmSnapshot",
     description="Reverts a VM to one of its snapshots (a disk-only snapshot leaves the VM Stopped).",
     params=[P("vmsnapshotid", "the VM snapshot", entity="vmsnapshot")])
def revert_to_vm_snapshot(ctx):
    from marvin2.simulator.services.vms import render_vm, touch

    snapshot = _vm_snapshot(ctx, ctx.get("vmsnapshotid"))

    def run(jctx):
        store = jctx.store
        current = store.get("vmsnapshot", snapshot["id"])
        if current["state"] != "Ready":
            raise errors.invalid_value("VM Snapshot reverting failed due to vm snapshot is not in the state of Ready.")
        vm = store.get("virtualmachine", current["virtualmachineid"])
        if vm["state"] not in ("Running", "Stopped"):
            raise errors.invalid_value("VM Snapshot reverting failed due to vm is not in the state of Running or Stopped.")
        if current["type"] == "Disk" and vm["state"] == "Running":
            raise errors.invalid_value("VM Snapshot reverting failed because the VM is running and the snapshot has no "
                                       "memory: stop the VM first")
        for other in store.find("vmsnapshot", virtualmachineid=vm["id"], current=True):
            store.update("vmsnapshot", other["id"], current=False)
        store.update("vmsnapshot", current["id"], current=True)
        record_event(jctx, "VMSNAPSHOT.REVERTTO", f"Reverting VM {vm['instancename']} to snapshot {current['name']}",
                     resource_id=current["id"], resource_type="VMSnapshot")
        return render_vm(jctx, touch(store, vm["id"]))

    return Job(run, instance_id=snapshot["id"])


@api("deleteVMSnapshot", response="success", instance_type="VmSnapshot",
     description="Deletes a VM snapshot.", params=[P("vmsnapshotid", "the VM snapshot", entity="vmsnapshot")])
def delete_vm_snapshot(ctx):
    snapshot = _vm_snapshot(ctx, ctx.get("vmsnapshotid"))

    def run(jctx):
        store = jctx.store
        current = store.get("vmsnapshot", snapshot["id"])
        if current["state"] not in ("Ready", "Error", "Expunging"):
            raise errors.invalid_value(f"Can't delete the vm snapshot {current['id']} in state {current['state']}")
        for child in store.find("vmsnapshot", parent=current["id"]):
            store.update("vmsnapshot", child["id"], parent=current.get("parent"))
        if current.get("current") and current.get("parent"):
            store.update("vmsnapshot", current["parent"], current=True)
        store.update("vmsnapshot", current["id"], state="Expunging", removed=wire.now_text(), current=False)
        tagging.delete_tags_of(store, current["id"])
        record_event(jctx, "VMSNAPSHOT.DELETE", f"Deleting VM snapshot {current['name']}", resource_id=current["id"],
                     resource_type="VMSnapshot")
        return SUCCESS

    return Job(run, instance_id=snapshot["id"])


# --- copy / archive / extract ------------------------------------------------------------------------------


def _zone_has_image_store(store, zone_id: str) -> bool:
    return any(not row.get("removed") for row in store.find("imagestore", zoneid=zone_id))


@api("copySnapshot", response="snapshot", instance_type="Snapshot",
     description="Copies a backed-up snapshot to the secondary storage of other zones (then listed there too).",
     params=[P("id", "the snapshot", entity=""), P("sourcezoneid", "the zone it is copied from", entity=""),
             P("destzoneid", "a zone to copy to", entity=""), P("destzoneids", "zones to copy to")])
def copy_snapshot(ctx):
    store = ctx.store
    snapshot = store.get("snapshot", ctx.get("id"))
    if snapshot is None or snapshot.get("removed"):
        raise errors.invalid_value("Unable to find snapshot with id")
    if snapshot["state"] != "BackedUp" or (snapshot.get("locationtype") or "SECONDARY").upper() != "SECONDARY":
        raise errors.invalid_value("Snapshot is not backed up")
    dest_ids = list(dict.fromkeys([*([ctx.get("destzoneid")] if ctx.has("destzoneid") else []),
                                   *(ctx.get("destzoneids") or [])]))
    if not dest_ids:
        raise errors.invalid_value("Please specify valid destination zone(s).")
    volume = store.get("volume", snapshot.get("volumeid")) or {}
    source_id = ctx.get("sourcezoneid") or volume.get("zoneid") or snapshot["zoneid"]
    if source_id in dest_ids:
        raise errors.invalid_value("Please specify different source and destination zones.")
    if store.get("zone", source_id) is None:
        raise errors.invalid_value("Please specify a valid source zone.")
    zones = []
    for zone_id in dest_ids:
        zone = store.get("zone", zone_id)
        if zone is None or zone.get("removed"):
            raise errors.invalid_value("Please specify a valid destination zone.")
        if zone.get("allocationstate") == "Disabled" and not ctx.caller.is_root_admin:
            raise errors.permission_denied(f"Cannot perform this operation, Zone is currently disabled: {zone['name']}")
        if zone.get("type") == "Edge":
            raise errors.invalid_value(f"Snapshot copy is not supported by zone {zone['name']}")
        zones.append(zone)
    check_owned(ctx, snapshot, "snapshot")
    held = {snapshot["zoneid"], *(snapshot.get("copyzoneids") or [])}
    if source_id not in held or not _zone_has_image_store(store, source_id):
        raise errors.invalid_value(f"There is no snapshot ID: {snapshot['id']} ready on image store")

    def run(jctx):
        jstore = jctx.store
        current = jstore.get("snapshot", snapshot["id"])
        owner = jstore.get("account", current["accountid"])
        copies = list(current.get("copyzoneids") or [])
        done = []
        for zone in zones:
            if zone["id"] == current["zoneid"] or zone["id"] in copies:
                done.append(zone)          # already there: nothing to copy
                continue
            if not _zone_has_image_store(jstore, zone["id"]):
                continue                   # no secondary storage there: this zone fails
            limits.charge(jstore, owner, "secondary_storage", gib(current.get("size")))
            copies.append(zone["id"])
            done.append(zone)
        if not done:
            raise errors.internal_error("Failed to copy snapshot")
        current = jstore.update("snapshot", current["id"], copyzoneids=copies)
        record_event(jctx, "SNAPSHOT.COPY", f"Completed copying snapshot ID: {current['id']} to zone(s): "
                     f"{', '.join(z['name'] for z in done)}", resource_id=current["id"], resource_type="Snapshot")
        return render_snapshot(jctx, current)

    return Job(run, instance_id=snapshot["id"])


@api("archiveSnapshot", response="snapshot", instance_type="Snapshot",
     description="Moves a snapshot kept on primary storage (locationtype=PRIMARY) to secondary storage.",
     params=[P("id", "the snapshot", entity="snapshot")])
def archive_snapshot(ctx):
    snapshot = _snapshot(ctx, ctx.get("id"))

    def run(jctx):
        current = jctx.store.get("snapshot", snapshot["id"])
        if current["state"] != "BackedUp" or (current.get("locationtype") or "").upper() != "PRIMARY":
            raise errors.internal_error("Can only archive snapshots present on primary storage. Cannot find snapshot "
                                        f"{current['id']} on primary storage")
        current = jctx.store.update("snapshot", current["id"], locationtype="SECONDARY")
        record_event(jctx, "SNAPSHOT.CREATE", f"archiving snapshot {current['name']} to secondary storage",
                     resource_id=current["id"], resource_type="Snapshot")
        return render_snapshot(jctx, current)

    return Job(run, instance_id=snapshot["id"])


declare_object("snapshotextract", {"id": "snapshot id", "name": "its name", "url": "download URL", "zoneid": "zone",
                                   "zonename": "zone name", "accountid": "owner", "state": "DOWNLOAD_URL_CREATED",
                                   "created": ("date", "created")})


@api("extractSnapshot", response="snapshot", instance_type="Snapshot",
     description="Makes a backed-up snapshot downloadable from a zone's secondary storage (the URL is kept).",
     params=[P("id", "the snapshot", entity=""), P("zoneid", "the zone to download from", entity="")])
def extract_snapshot(ctx):
    store = ctx.store
    if not ctx.caller.is_root_admin and str(ctx.config("disable.extraction", "false")).lower() == "true":
        raise errors.permission_denied("Extraction could not be completed.")
    snapshot = store.get("snapshot", ctx.get("id"))
    if snapshot is None or snapshot.get("removed"):
        raise errors.invalid_value("Unable to find active snapshot.")
    zone_id = ctx.get("zoneid")
    if store.get("zone", zone_id) is None:
        raise errors.invalid_value("Please specify a valid zone.")
    check_owned(ctx, snapshot, "snapshot")
    if not _zone_has_image_store(store, zone_id):
        raise errors.invalid_value("Extraction could not be completed")

    def run(jctx):
        jstore = jctx.store
        current = jstore.get("snapshot", snapshot["id"])
        on_secondary = current["state"] == "BackedUp" and (current.get("locationtype") or "SECONDARY") != "PRIMARY"
        if not on_secondary or zone_id not in {current["zoneid"], *(current.get("copyzoneids") or [])}:
            raise errors.invalid_value("Snapshot not found.")
        urls = dict(current.get("extracturls") or {})
        if zone_id not in urls:
            ssvm = jstore.find_one("systemvm", zoneid=zone_id, systemvmtype="secondarystoragevm") or {}
            host = ssvm.get("publicip") or ssvm.get("privateip") or "127.0.0.1"
            urls[zone_id] = (f"https://{host.replace('.', '-')}.realhostip.com/userdata/"
                             f"{secrets.token_hex(16)}.vhd")
            current = jstore.update("snapshot", current["id"], extracturls=urls)
        record_event(jctx, "SNAPSHOT.EXTRACT", f"Snapshot ID: {current['id']}", resource_id=current["id"],
                     resource_type="Snapshot")
        return {"id": current["id"], "name": current["name"], "url": urls[zone_id], "zoneid": zone_id,
                "zonename": zone_name(jstore, zone_id), "accountid": current["accountid"],
                "state": "DOWNLOAD_URL_CREATED", "created": wire.now_text()}

    return Job(run, instance_id=snapshot["id"])


apply_command_classes()
