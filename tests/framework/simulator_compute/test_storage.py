"""Volumes, snapshots, snapshot policies and VM snapshots over HTTP."""
from __future__ import annotations

import pytest
from compute_client import new_user, unique

GIB = 1024 ** 3


@pytest.fixture(scope="module")
def tenant(admin):
    client = new_user(admin)
    for resource in (2, 3, 10, 11):         # volumes, snapshots, primary and secondary storage
        admin.ok("updateResourceLimit", resourcetype=resource, max=-1, account=client.account["name"],
                 domainid=client.account["domainid"])
    return client


def new_volume(client, catalog, offering="Small", **params) -> dict:
    answer = client.ok("createVolume", name=unique("vol"), zoneid=catalog["zone"]["id"],
                       diskofferingid=catalog["disk"][offering]["id"], **params)
    assert set(answer) == {"id", "jobid"}
    job = client.wait(answer["jobid"])
    assert job["jobstatus"] == 1 and job["jobinstanceid"] == answer["id"]
    return job["jobresult"]["volume"]


def test_volume_states_attach_detach_delete(tenant, deploy, catalog):
    volume = new_volume(tenant, catalog)
    assert volume["state"] == "Allocated" and volume["size"] == 5 * GIB and volume["type"] == "DATADISK"
    stopped = deploy(tenant, startvm=False)
    attached = tenant.run("attachVolume", id=volume["id"], virtualmachineid=stopped["id"])["volume"]
    assert attached["virtualmachineid"] == stopped["id"] and attached["state"] == "Allocated"
    assert attached["deviceid"] == 1
    code, text = tenant.error("deleteVolume", id=volume["id"])
    assert (code, text) == (431, "Please specify a volume that is not attached to any VM.")
    tenant.run("startVirtualMachine", id=stopped["id"])
    assert tenant.items("listVolumes", "volume", id=volume["id"])[0]["state"] == "Ready"
    detached = tenant.run("detachVolume", id=volume["id"])["volume"]
    assert detached["state"] == "Ready" and "virtualmachineid" not in detached
    assert tenant.ok("deleteVolume", id=volume["id"]) == {"success": True}
    assert not tenant.items("listVolumes", "volume", id=volume["id"])
    code, _ = tenant.error("deleteVolume", id=volume["id"])
    assert code == 431


def test_attach_to_running_vm_is_ready_at_once_and_device_ids_skip_the_cdrom(tenant, deploy, catalog):
    vm = deploy(tenant)
    devices = []
    for _ in range(3):
        volume = new_volume(tenant, catalog)
        attached = tenant.run("attachVolume", id=volume["id"], virtualmachineid=vm["id"])["volume"]
        assert attached["state"] == "Ready" and attached["vmstate"] == "Running"
        devices.append(attached["deviceid"])
    assert devices == [1, 2, 4]
    code, text = tenant.failed("attachVolume", id=volume["id"], virtualmachineid=vm["id"])
    assert (code, text) == (431, "Please specify a volume that is not attached to any VM.")


def test_root_volume_detach_and_delete_rules(tenant, deploy):
    vm = deploy(tenant)
    root = tenant.items("listVolumes", "volume", virtualmachineid=vm["id"], type="ROOT")[0]
    code, text = tenant.failed("detachVolume", id=root["id"])
    assert (code, text) == (431, "Root volume detach can happen only when vm is in states: Stopped or Destroyed")
    code, text = tenant.error("deleteVolume", id=root["id"])
    assert code == 431 and text == "Please specify a volume that is not attached to any VM."


def test_resize_grows_and_shrinks_only_with_shrinkok(tenant, catalog):
    volume = new_volume(tenant, catalog, offering="Custom", size=10)
    assert volume["size"] == 10 * GIB
    grown = tenant.run("resizeVolume", id=volume["id"], size=15)["volume"]
    assert grown["size"] == 15 * GIB
    code, text = tenant.failed("resizeVolume", id=volume["id"], size=12)
    assert code == 431 and text.endswith("Need to sign off by supplying the shrinkok parameter with value of true.")
    assert tenant.items("listVolumes", "volume", id=volume["id"])[0]["size"] == 15 * GIB
    assert tenant.run("resizeVolume", id=volume["id"], size=12, shrinkok=True)["volume"]["size"] == 12 * GIB
    fixed = new_volume(tenant, catalog)
    code, text = tenant.error("resizeVolume", id=fixed["id"], size=30)
    assert code == 431 and "disk offering" in text
    assert tenant.run("resizeVolume", id=fixed["id"], diskofferingid=catalog["disk"]["Medium"]["id"])["volume"]["size"] == 20 * GIB


def test_create_volume_parameter_errors(tenant, catalog):
    code, text = tenant.error("createVolume", name="x", zoneid=catalog["zone"]["id"])
    assert (code, text) == (431, "Either disk Offering Id or snapshot Id must be passed whilst creating volume")
    code, text = tenant.error("createVolume", name="x", zoneid=catalog["zone"]["id"],
                              diskofferingid=catalog["disk"]["Custom"]["id"])
    assert (code, text) == (431, "This disk offering requires a custom size specified")
    code, text = tenant.error("createVolume", name="x", zoneid=catalog["zone"]["id"], size="big",
                              diskofferingid=catalog["disk"]["Custom"]["id"])
    assert code == 431 and "invalid value big for parameter size" in text


def test_volume_limit_is_an_immediate_532(admin, catalog):
    client = new_user(admin)
    admin.ok("updateResourceLimit", resourcetype=2, max=0, account=client.account["name"],
             domainid=client.account["domainid"])
    code, text = client.error("createVolume", name="x", zoneid=catalog["zone"]["id"],
                              diskofferingid=catalog["disk"]["Small"]["id"])
    assert code == 532 and "Type = 'volume'" in text
    assert not client.items("listVolumes", "volume")


def test_other_accounts_cannot_use_a_volume(tenant, other_user, deploy, catalog):
    volume = new_volume(tenant, catalog)
    assert not other_user.items("listVolumes", "volume", id=volume["id"])
    theirs = deploy(other_user)
    code, _ = other_user.error("attachVolume", id=volume["id"], virtualmachineid=theirs["id"])
    assert code == 531
    code, _ = other_user.error("deleteVolume", id=volume["id"])
    assert code == 531


def test_migrate_volume_between_pools(admin, tenant, deploy, catalog):
    vm = deploy(tenant)
    volume = tenant.run("attachVolume", id=new_volume(tenant, catalog)["id"], virtualmachineid=vm["id"])["volume"]
    target = next(p for p in admin.items("listStoragePools", "storagepool") if p["id"] != volume["storageid"])
    code, text = tenant.failed("migrateVolume", volumeid=volume["id"], storageid=target["id"])
    assert code == 431 and "livemigrate" in text
    moved = tenant.run("migrateVolume", volumeid=volume["id"], storageid=target["id"], livemigrate=True)["volume"]
    assert moved["storageid"] == target["id"] and moved["storage"] == target["name"]


# --- snapshots -------------------------------------------------------------------------------------------


def test_snapshot_life_cycle(tenant, deploy, catalog):
    allocated = new_volume(tenant, catalog)
    code, text = tenant.error("createSnapshot", volumeid=allocated["id"])
    assert code == 431 and text == f"VolumeId: {allocated['id']} is not in Ready state but Allocated. Cannot take snapshot."
    vm = deploy(tenant)
    root = tenant.items("listVolumes", "volume", virtualmachineid=vm["id"], type="ROOT")[0]
    answer = tenant.ok("createSnapshot", volumeid=root["id"])
    assert set(answer) == {"id", "jobid"}
    snapshot = tenant.wait(answer["jobid"])["jobresult"]["snapshot"]
    assert snapshot["id"] == answer["id"] and snapshot["state"] == "BackedUp"
    assert snapshot["volumeid"] == root["id"] and snapshot["snapshottype"] == "MANUAL"
    assert root["name"] in snapshot["name"]
    assert [s["id"] for s in tenant.items("listSnapshots", "snapshot", volumeid=root["id"])] == [snapshot["id"]]
    code, text = tenant.failed("revertSnapshot", id=snapshot["id"])
    assert (code, text) == (431, "The VM the specified disk is attached to is not in the shutdown state.")
    tenant.run("stopVirtualMachine", id=vm["id"])
    assert tenant.run("revertSnapshot", id=snapshot["id"])["snapshot"]["id"] == snapshot["id"]
    restored = tenant.ok("createVolume", name=unique("fromsnap"), snapshotid=snapshot["id"])
    assert tenant.wait(restored["jobid"])["jobresult"]["volume"]["size"] == root["size"]
    assert tenant.run("deleteSnapshot", id=snapshot["id"]) == {"success": True}
    assert not tenant.items("listSnapshots", "snapshot", id=snapshot["id"])


def test_snapshot_policies(tenant, deploy):
    vm = deploy(tenant)
    root = tenant.items("listVolumes", "volume", virtualmachineid=vm["id"], type="ROOT")[0]
    policy = tenant.ok("createSnapshotPolicy", volumeid=root["id"], intervaltype="DAILY", schedule="30:2", maxsnaps=3,
                       timezone="UTC")["snapshotpolicy"]
    assert (policy["intervaltype"], policy["schedule"], policy["maxsnaps"]) == (1, "30:2", 3)
    weekly = tenant.ok("createSnapshotPolicy", volumeid=root["id"], intervaltype="WEEKLY", schedule="0:1:7", maxsnaps=2,
                       timezone="Europe/Paris")["snapshotpolicy"]
    assert weekly["intervaltype"] == 2
    assert {p["id"] for p in tenant.items("listSnapshotPolicies", "snapshotpolicy", volumeid=root["id"])} == \
        {policy["id"], weekly["id"]}
    code, text = tenant.error("createSnapshotPolicy", volumeid=root["id"], intervaltype="HOURLY", schedule="99",
                              maxsnaps=1, timezone="UTC")
    assert code == 431 and "Invalid schedule" in text
    code, text = tenant.error("createSnapshotPolicy", volumeid=root["id"], intervaltype="YEARLY", schedule="1",
                              maxsnaps=1, timezone="UTC")
    assert code == 431 and "Unsupported interval type" in text
    updated = tenant.run("updateSnapshotPolicy", id=policy["id"], fordisplay=False)["snapshotpolicy"]
    assert updated["fordisplay"] is False
    assert tenant.ok("deleteSnapshotPolicies", ids=[policy["id"], weekly["id"]]) == {"success": True}
    assert tenant.ok("listSnapshotPolicies", volumeid=root["id"]) == {}
    code, text = tenant.error("deleteSnapshotPolicies")
    assert (code, text) == (431, "No policy id (or list of ids) specified.")


def test_vm_snapshots(tenant, deploy):
    vm = deploy(tenant)
    answer = tenant.ok("createVMSnapshot", virtualmachineid=vm["id"], name="first", description="before upgrade")
    assert set(answer) == {"id", "jobid"}
    first = tenant.wait(answer["jobid"])["jobresult"]["vmsnapshot"]
    assert first["state"] == "Ready" and first["current"] is True and first["type"] == "Disk"
    assert first["displayname"] == "first" and first["virtualmachineid"] == vm["id"]
    second = tenant.run("createVMSnapshot", virtualmachineid=vm["id"], snapshotmemory=True)["vmsnapshot"]
    assert second["parent"] == first["id"] and second["type"] == "DiskAndMemory"
    listed = tenant.ok("listVMSnapshot", virtualmachineid=vm["id"])
    assert listed["count"] == 2 and {s["id"]: s["current"] for s in listed["vmSnapshot"]} == \
        {first["id"]: False, second["id"]: True}
    code, text = tenant.failed("revertToVMSnapshot", vmsnapshotid=first["id"])
    assert code == 431 and "stop the VM" in text
    tenant.run("stopVirtualMachine", id=vm["id"])
    code, text = tenant.error("createVMSnapshot", virtualmachineid=vm["id"], snapshotmemory=True)
    assert (code, text) == (431, "Can not snapshot memory when VM is not in Running state")
    reverted = tenant.run("revertToVMSnapshot", vmsnapshotid=first["id"])["virtualmachine"]
    assert reverted["id"] == vm["id"]
    assert tenant.items("listVMSnapshot", "vmSnapshot", vmsnapshotid=first["id"])[0]["current"] is True
    root = tenant.items("listVolumes", "volume", virtualmachineid=vm["id"], type="ROOT")[0]
    code, _ = tenant.failed("detachVolume", id=root["id"])        # VM snapshots pin the volumes
    assert code == 431
    assert tenant.run("deleteVMSnapshot", vmsnapshotid=second["id"]) == {"success": True}
    assert [s["id"] for s in tenant.items("listVMSnapshot", "vmSnapshot", virtualmachineid=vm["id"])] == [first["id"]]


def test_data_volumes_follow_destroy_recover_and_expunge(admin, tenant, deploy, catalog):
    vm = deploy(tenant)
    kept = tenant.run("attachVolume", id=new_volume(tenant, catalog)["id"], virtualmachineid=vm["id"])["volume"]
    doomed = tenant.run("attachVolume", id=new_volume(tenant, catalog)["id"], virtualmachineid=vm["id"])["volume"]
    admin.run("destroyVirtualMachine", id=vm["id"], volumeids=[doomed["id"]])
    assert admin.items("listVolumes", "volume", id=kept["id"], listall=True)[0]["virtualmachineid"] == vm["id"]
    assert admin.items("listVolumes", "volume", id=doomed["id"], listall=True)[0]["state"] == "Destroy"
    admin.ok("recoverVirtualMachine", id=vm["id"])
    assert admin.items("listVolumes", "volume", id=kept["id"], listall=True)[0]["virtualmachineid"] == vm["id"]
    admin.run("destroyVirtualMachine", id=vm["id"], expunge=True)
    survivor = tenant.items("listVolumes", "volume", id=kept["id"])[0]
    assert "virtualmachineid" not in survivor and survivor["state"] == "Ready"
    assert not admin.items("listVolumes", "volume", id=doomed["id"], listall=True)
