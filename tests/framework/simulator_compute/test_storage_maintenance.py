"""Primary storage maintenance (Up → PrepareForMaintenance → Maintenance → Up, VMs stopped and restarted),
image store updates and updateStorageCapabilities, with 4.20's texts."""
from __future__ import annotations

import re

from compute_client import new_user


def _pool_of(admin, vm_id: str) -> dict:
    root = next(v for v in admin.items("listVolumes", "volume", virtualmachineid=vm_id, listall=True)
            if v["type"] == "ROOT")
    return admin.items("listStoragePools", "storagepool", id=root["storageid"])[0]


def _state(client, vm_id: str) -> str:
    return client.items("listVirtualMachines", "virtualmachine", id=vm_id)[0]["state"]


def test_maintenance_life_cycle_stops_and_restarts_vms(admin, user, deploy):
    vm = deploy(user)
    pool = _pool_of(admin, vm["id"])
    assert pool["state"] == "Up"
    started = admin.ok("enableStorageMaintenance", id=pool["id"])
    assert set(started) == {"jobid"}
    job = admin.wait(started["jobid"])
    assert job["jobstatus"] == 1, job
    assert job["jobresult"]["storagepool"]["state"] == "Maintenance"
    assert admin.items("listStoragePools", "storagepool", id=pool["id"])[0]["state"] == "Maintenance"
    assert _state(user, vm["id"]) == "Stopped"

    code, text = admin.failed("enableStorageMaintenance", id=pool["id"])
    assert code == 431 and re.fullmatch(
        r'Primary storage StoragePool \{"id":\d+,"uuid":"' + pool["id"] + r'","name":"' + re.escape(pool["name"]) +
        r'","poolType":"NetworkFilesystem"\} is not ready for migration, as the status is:Maintenance', text), text

    back = admin.run("cancelStorageMaintenance", id=pool["id"])["storagepool"]
    assert back["state"] == "Up"
    assert _state(user, vm["id"]) == "Running"
    code, text = admin.failed("cancelStorageMaintenance", id=pool["id"])
    assert code == 530 and text.endswith("is not ready to complete migration, as the status is:Up")


def test_vms_stopped_by_hand_stay_stopped(admin, user, deploy):
    vm = deploy(user)
    pool = _pool_of(admin, vm["id"])
    user.run("stopVirtualMachine", id=vm["id"])
    admin.run("enableStorageMaintenance", id=pool["id"])
    admin.run("cancelStorageMaintenance", id=pool["id"])
    assert _state(user, vm["id"]) == "Stopped"


def test_maintenance_is_root_admin_only(admin, user):
    pool = admin.items("listStoragePools", "storagepool")[0]
    for command in ("enableStorageMaintenance", "cancelStorageMaintenance", "updateStorageCapabilities"):
        code, text = user.error(command, id=pool["id"])
        assert code == 432 and text.startswith(f"The API [{command}] does not exist or is not available"), command
    assert admin.error("enableStorageMaintenance", id="00000000-0000-4000-8000-000000000000")[0] == 431


def test_update_image_store(admin):
    store = admin.items("listImageStores", "imagestore")[0]
    updated = admin.ok("updateImageStore", id=store["id"], readonly=True, name="SS0-renamed",
                       capacitybytes=2 ** 40)["imagestore"]
    assert (updated["readonly"], updated["name"], updated["disksizetotal"]) == (True, "SS0-renamed", 2 ** 40)
    assert [s["id"] for s in admin.items("listImageStores", "imagestore", readonly=True)] == [store["id"]]
    admin.ok("updateImageStore", id=store["id"], readonly=False, name=store["name"])
    assert admin.items("listImageStores", "imagestore", id=store["id"])[0]["readonly"] is False
    assert admin.items("listImageStores", "imagestore", readonly=True) == []
    assert new_user(admin).error("updateImageStore", id=store["id"], readonly=True)[0] == 432


def test_update_storage_capabilities_needs_vmware(admin):
    pool = admin.items("listStoragePools", "storagepool")[0]
    assert admin.error("updateStorageCapabilities", id=pool["id"]) == \
        (530, "Storage capabilities update only supported on VMWare.")


def test_disable_and_enable_a_pool(admin, user, deploy):
    pools = admin.items("listStoragePools", "storagepool")
    pool = pools[0]
    disabled = admin.ok("updateStoragePool", id=pool["id"], enabled=False)["storagepool"]
    assert disabled["state"] == "Disabled"
    code, text = admin.error("updateStoragePool", id=pool["id"], enabled=False)
    assert code == 431 and text.endswith("cannot be disabled. Storage pool state : Disabled")
    code, text = admin.failed("enableStorageMaintenance", id=pool["id"])
    assert code == 431 and text.endswith("is not ready for migration, as the status is:Disabled")
    try:
        # New volumes go to the pools that are Up.
        for _ in range(3):
            vm = deploy(user)
            assert _pool_of(admin, vm["id"])["id"] != pool["id"]
    finally:
        enabled = admin.ok("updateStoragePool", id=pool["id"], enabled=True)["storagepool"]
    assert enabled["state"] == "Up"
    code, text = admin.error("updateStoragePool", id=pool["id"], enabled=True)
    assert code == 431 and text.endswith("cannot be enabled. Storage pool state : Up")


def test_pool_name_tags_capacity_and_storage_tags(admin):
    pool = admin.items("listStoragePools", "storagepool")[-1]
    updated = admin.ok("updateStoragePool", id=pool["id"], name="renamed", tags=["ssd", "fast"],
                       capacitybytes=5 * 2 ** 40)["storagepool"]
    assert (updated["name"], updated["tags"], updated["disksizetotal"]) == ("renamed", "ssd,fast", 5 * 2 ** 40)
    tags = admin.items("listStorageTags", "storagetag")
    assert {(t["poolid"], t["name"]) for t in tags} >= {(pool["id"], "ssd"), (pool["id"], "fast")}
    assert {t["name"] for t in admin.items("listStorageTags", "storagetag", keyword="ss")} == {"ssd"}
    again = admin.items("listStorageTags", "storagetag")
    assert {t["id"] for t in again} == {t["id"] for t in tags}                 # ids are stable
    admin.ok("updateStoragePool", id=pool["id"], name=pool["name"], tags=["hdd"])
    assert {t["name"] for t in admin.items("listStorageTags", "storagetag") if t["poolid"] == pool["id"]} == {"hdd"}
    assert admin.items("listStoragePools", "storagepool", id=pool["id"])[0]["name"] == pool["name"]


def test_storage_providers_and_sync(admin, user):
    assert admin.items("listStorageProviders", "dataStoreProvider", type="primary") == \
        [{"name": "DefaultPrimary", "type": "PRIMARY"}]
    assert {p["name"] for p in admin.items("listStorageProviders", "dataStoreProvider", type="image")} >= {"NFS"}
    assert admin.error("listStorageProviders", type="tape") == (431, "Invalid parameter: tape")
    pool = admin.items("listStoragePools", "storagepool")[0]
    assert admin.failed("syncStoragePool", id=pool["id"]) == \
        (431, "SyncStoragePool API is currently supported only for storage type of datastore cluster")
    for command, params in (("updateStoragePool", {"id": pool["id"], "name": "x"}), ("listStorageTags", {}),
                            ("listStorageProviders", {"type": "primary"})):
        assert user.error(command, **params)[0] == 432, command


def test_change_pool_scope_and_affected_vms(admin, user, deploy):
    pool = next(p for p in admin.items("listStoragePools", "storagepool") if p["scope"] == "CLUSTER")
    home_cluster = pool["clusterid"]
    code, text = admin.failed("changeStoragePoolScope", id=pool["id"], scope="ZONE")
    assert (code, text) == (431, (f"Scope of the Primary storage with id {pool['id']} cannot be changed, as it is not "
                                 f"in the Disabled state"))
    admin.ok("updateStoragePool", id=pool["id"], enabled=False)
    assert admin.failed("changeStoragePoolScope", id=pool["id"], scope="CLUSTER", clusterid=home_cluster) == \
        (431, "New scope must be different than the current scope")
    assert admin.failed("changeStoragePoolScope", id=pool["id"], scope="HOST")[0] == 431
    assert admin.run("changeStoragePoolScope", id=pool["id"], scope="ZONE") == {"success": True}
    zone_wide = admin.items("listStoragePools", "storagepool", id=pool["id"])[0]
    assert zone_wide["scope"] == "ZONE" and zone_wide.get("clusterid") is None
    # The biggest free pool gets new volumes: make this one win, then find a VM on it.
    admin.ok("updateStoragePool", id=pool["id"], enabled=True, capacitybytes=100 * 2 ** 40)
    vm = deploy(user)
    assert _pool_of(admin, vm["id"])["id"] == pool["id"]
    vm_cluster = admin.items("listVirtualMachines", "virtualmachine", id=vm["id"])[0]
    host = admin.items("listHosts", "host", id=vm_cluster["hostid"])[0]
    other = next(c for c in admin.items("listClusters", "cluster") if c["id"] != host["clusterid"])
    affected = admin.items("listAffectedVmsForStorageScopeChange", "virtualmachine", clusterid=other["id"],
                           storageid=pool["id"])
    assert vm["id"] in {v["id"] for v in affected}
    assert {v["clusterid"] for v in affected} == {host["clusterid"]}
    staying = admin.items("listAffectedVmsForStorageScopeChange", "virtualmachine", clusterid=host["clusterid"],
                          storageid=pool["id"])
    assert vm["id"] not in {v["id"] for v in staying}
    admin.ok("updateStoragePool", id=pool["id"], enabled=False)
    code, text = admin.failed("changeStoragePoolScope", id=pool["id"], scope="CLUSTER", clusterid=other["id"])
    assert code == 530 and text.startswith(f"Cannot change scope of the storage pool [{pool['name']}] to cluster "
                                           f"[{other['name']}] as there are ")
    assert admin.failed("changeStoragePoolScope", id=pool["id"], scope="CLUSTER") == (431, "Cluster ID not provided")
    # Back home: VMs on the pool run in that cluster or are not counted once stopped.
    for each in affected:
        admin.run("stopVirtualMachine", id=each["id"])
    assert admin.run("changeStoragePoolScope", id=pool["id"], scope="CLUSTER", clusterid=other["id"]) == {"success": True}
    assert admin.items("listStoragePools", "storagepool", id=pool["id"])[0]["clusterid"] == other["id"]
    assert admin.items("listAffectedVmsForStorageScopeChange", "virtualmachine", clusterid=home_cluster,
                       storageid=pool["id"]) == []
    admin.run("changeStoragePoolScope", id=pool["id"], scope="ZONE")
    for each in admin.items("listAffectedVmsForStorageScopeChange", "virtualmachine", clusterid=home_cluster,
                            storageid=pool["id"]):
        admin.run("stopVirtualMachine", id=each["id"])
    admin.run("changeStoragePoolScope", id=pool["id"], scope="CLUSTER", clusterid=home_cluster)
    admin.ok("updateStoragePool", id=pool["id"], enabled=True, capacitybytes=pool["disksizetotal"])
