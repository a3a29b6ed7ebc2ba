"""Volume and snapshot APIs beyond create/attach/delete: destroyVolume/recoverVolume (Destroy state, counts),
updateVolume (names, delete protection, root-admin-only fields), assignVolume (owner and counts move),
changeOfferingForVolume, checkVolume (4.20 checks KVM volumes only), copySnapshot (listed in the other zone),
archiveSnapshot (PRIMARY -> SECONDARY) and extractSnapshot (a URL kept per zone); their errors."""
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


def _volume(client, catalog, offering="Small") -> dict:
    return client.run("createVolume", name=unique("vol"), zoneid=catalog["zone"]["id"],
                      diskofferingid=catalog["disk"][offering]["id"])["volume"]


def _ready_volume(client, catalog, deploy, offering="Small") -> dict:
    """A detached Ready data volume (attached to a running VM once, then detached)."""
    volume = _volume(client, catalog, offering)
    vm = deploy(client)
    client.run("attachVolume", id=volume["id"], virtualmachineid=vm["id"])
    return client.run("detachVolume", id=volume["id"])["volume"]


def _count(admin, client, resource_type: int) -> int:
    account = admin.items("listAccounts", "account", id=client.account["id"])[0]
    return int(account[{2: "volumetotal", 10: "primarystoragetotal"}[resource_type]])


def _listed(client, volume_id: str, **params) -> list[dict]:
    return client.items("listVolumes", "volume", id=volume_id, **params)


def test_destroy_and_recover_a_volume(admin, tenant, catalog, deploy):
    volume = _ready_volume(tenant, catalog, deploy)
    volumes_before = _count(admin, tenant, 2)
    destroyed = tenant.run("destroyVolume", id=volume["id"])["volume"]
    assert destroyed["state"] == "Destroy" and destroyed["destroyed"] is True
    assert _count(admin, tenant, 2) == volumes_before - 1
    assert _listed(tenant, volume["id"]) == []                             # users do not see Destroy volumes ...
    assert _listed(tenant, volume["id"], state="Destroy")[0]["state"] == "Destroy"   # ... unless asked
    recovered = tenant.ok("recoverVolume", id=volume["id"])["volume"]
    assert recovered["state"] == "Ready" and _count(admin, tenant, 2) == volumes_before
    assert tenant.error("recoverVolume", id=volume["id"]) == (431, "Please specify a volume in Destroy state.")
    expunged = tenant.run("destroyVolume", id=volume["id"], expunge=True)["volume"]
    assert expunged["state"] == "Expunged" and _listed(admin, volume["id"], listall=True) == []


def test_destroy_volume_errors(admin, tenant, other_user, catalog, deploy):
    allocated = _volume(tenant, catalog)
    assert tenant.error("destroyVolume", id=allocated["id"]) == (
        431, "The volume in Allocated/Uploaded state can only be expunged not destroyed/recovered")
    assert tenant.run("destroyVolume", id=allocated["id"], expunge=True)["volume"]["state"] == "Expunged"
    vm = deploy(tenant)
    root = tenant.items("listVolumes", "volume", virtualmachineid=vm["id"], type="ROOT")[0]
    assert tenant.error("destroyVolume", id=root["id"]) == (431, "Please specify a volume that is not attached to any VM.")
    mine = _ready_volume(tenant, catalog, deploy)
    code, text = other_user.error("destroyVolume", id=mine["id"])
    assert code == 531
    assert other_user.error("recoverVolume", id=mine["id"])[0] == 531     # access is checked before the state
    tenant.run("destroyVolume", id=mine["id"])
    assert other_user.error("recoverVolume", id=mine["id"])[0] == 531
    assert tenant.error("destroyVolume", id="00000000-0000-0000-0000-000000000000") == (
        431, "Unable to find volume with ID: 00000000-0000-0000-0000-000000000000")


def test_update_volume_name_protection_and_admin_fields(admin, tenant, catalog, deploy):
    volume = _ready_volume(tenant, catalog, deploy)
    renamed = tenant.run("updateVolume", id=volume["id"], name="renamed-disk", deleteprotection=True)["volume"]
    assert renamed["name"] == "renamed-disk" and renamed["deleteprotection"] is True
    assert _listed(tenant, volume["id"])[0]["name"] == "renamed-disk"
    assert tenant.error("deleteVolume", id=volume["id"]) == (
        431, f"Volume [id = {volume['id']}, name = renamed-disk] has delete protection enabled and cannot be deleted.")
    assert tenant.error("destroyVolume", id=volume["id"])[0] == 431
    assert tenant.error("updateVolume", id=volume["id"], path="/x") == (
        431, "The domain admin and normal user are not allowed to update volume except volume name & delete protection")
    assert admin.error("updateVolume", id=volume["id"], state="Sleeping") == (431, "Invalid volume state specified")
    hidden = admin.run("updateVolume", id=volume["id"], displayvolume=False, path="custom/path")["volume"]
    assert hidden["displayvolume"] is False and hidden["path"] == "custom/path"
    tenant.run("updateVolume", id=volume["id"], deleteprotection=False)
    admin.run("updateVolume", id=volume["id"], displayvolume=True)
    assert tenant.ok("deleteVolume", id=volume["id"]) == {"success": True}
    assert admin.error("updateVolume", id="00000000-0000-0000-0000-000000000000", name="x") == (
        431, "The volume id doesn't exist")


def test_assign_volume_moves_owner_and_counts(admin, tenant, catalog, deploy):
    receiver = new_user(admin)
    volume = _ready_volume(tenant, catalog, deploy)
    before = _count(admin, tenant, 2)
    moved = admin.ok("assignVolume", volumeid=volume["id"], accountid=receiver.account["id"])["volume"]
    assert moved["account"] == receiver.account["name"]
    assert _count(admin, tenant, 2) == before - 1 and _count(admin, receiver, 2) == 1
    assert [v["id"] for v in receiver.items("listVolumes", "volume")] == [volume["id"]]
    assert admin.error("assignVolume", volumeid=volume["id"], accountid=receiver.account["id"]) == (
        431, f"The new account and the old account are the same [{receiver.account['name']}].")
    code, text = admin.error("assignVolume", volumeid=volume["id"], accountid=receiver.account["id"],
                             projectid="00000000-0000-0000-0000-000000000000")
    assert code == 431 and "Both 'accountid' and 'projectid'" in text
    vm = deploy(tenant)
    root = tenant.items("listVolumes", "volume", virtualmachineid=vm["id"], type="ROOT")[0]
    code, text = admin.error("assignVolume", volumeid=root["id"], accountid=receiver.account["id"])
    assert code == 531 and "so it cannot be moved to a different account" in text
    assert admin.error("assignVolume", volumeid="00000000-0000-0000-0000-000000000000",
                       accountid=receiver.account["id"]) == (
        431, "No volume was found with UUID [00000000-0000-0000-0000-000000000000].")


def test_change_offering_resizes_and_validates(admin, tenant, catalog, deploy):
    volume = _ready_volume(tenant, catalog, deploy)
    before = _count(admin, tenant, 10)
    changed = tenant.run("changeOfferingForVolume", id=volume["id"],
                         diskofferingid=catalog["disk"]["Medium"]["id"])["volume"]
    assert changed["diskofferingid"] == catalog["disk"]["Medium"]["id"] and changed["size"] == 20 * GIB
    assert _count(admin, tenant, 10) == before + 15
    assert tenant.error("changeOfferingForVolume", id=volume["id"], diskofferingid=catalog["disk"]["Medium"]["id"]) == (
        431, f"Volume {changed['name']} is already having disk offering {catalog['disk']['Medium']['id']}")
    assert tenant.error("changeOfferingForVolume", id=volume["id"], diskofferingid=catalog["disk"]["Custom"]["id"]) == (
        431, "The new disk offering requires that a size be specified.")
    code, text = tenant.error("changeOfferingForVolume", id=volume["id"], diskofferingid=catalog["disk"]["Small"]["id"])
    assert code == 431 and "would shrink the volume" in text
    shrunk = tenant.run("changeOfferingForVolume", id=volume["id"], diskofferingid=catalog["disk"]["Custom"]["id"],
                        size=8, shrinkok=True)["volume"]
    assert shrunk["size"] == 8 * GIB and _count(admin, tenant, 10) == before + 3
    # A fixed-size offering's own size wins over a size passed with it (as in 4.20): still a shrink to 5 GB.
    code, text = tenant.error("changeOfferingForVolume", id=volume["id"], diskofferingid=catalog["disk"]["Small"]["id"],
                              size=30)
    assert code == 431 and f"to size of {5 * GIB} would shrink" in text


def test_check_volume_is_kvm_only(tenant, catalog, deploy):
    volume = _ready_volume(tenant, catalog, deploy)
    assert tenant.failed("checkVolume", id=volume["id"]) == (
        431, "Check and Repair volumes is supported only for KVM hypervisor")
    allocated = _volume(tenant, catalog)
    assert tenant.failed("checkVolume", id=allocated["id"]) == (431, f"Volume: {allocated['name']} is not in Ready state")
    vm = deploy(tenant)
    root = tenant.items("listVolumes", "volume", virtualmachineid=vm["id"], type="ROOT")[0]
    assert tenant.failed("checkVolume", id=root["id"]) == (
        431, f"VM to which the volume {root['name']} is attached should be in stopped state")


# --- snapshots -------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def second_zone(admin, catalog):
    """Another zone with secondary storage, and one without."""
    def zone(name: str, with_store: bool) -> dict:
        created = admin.ok("createZone", name=name, networktype="Advanced", dns1="8.8.8.8", internaldns1="8.8.4.4",
                           guestcidraddress="10.9.0.0/16")["zone"]
        if with_store:
            admin.ok("addImageStore", name=f"{name}-ss", provider="NFS", zoneid=created["id"],
                     url=f"nfs://10.147.28.6/export/{name}")
        return admin.ok("updateZone", id=created["id"], allocationstate="Enabled")["zone"]   # users copy to it
    return zone(unique("zone"), True), zone(unique("bare"), False)


def _snapshot(client, volume_id: str, **params) -> dict:
    return client.run("createSnapshot", volumeid=volume_id, **params)["snapshot"]


def test_copy_snapshot_lists_it_in_the_other_zone(admin, tenant, catalog, deploy, second_zone):
    with_store, bare = second_zone
    volume = _ready_volume(tenant, catalog, deploy)
    snapshot = _snapshot(tenant, volume["id"])
    assert tenant.items("listSnapshots", "snapshot", id=snapshot["id"], zoneid=with_store["id"]) == []
    copied = tenant.run("copySnapshot", id=snapshot["id"], destzoneids=with_store["id"])["snapshot"]
    assert copied["id"] == snapshot["id"]
    there = tenant.items("listSnapshots", "snapshot", id=snapshot["id"], zoneid=with_store["id"])
    assert [(s["id"], s["zoneid"]) for s in there] == [(snapshot["id"], with_store["id"])]
    assert tenant.failed("copySnapshot", id=snapshot["id"], destzoneid=bare["id"]) == (530, "Failed to copy snapshot")
    assert tenant.error("copySnapshot", id=snapshot["id"], destzoneid=catalog["zone"]["id"]) == (
        431, "Please specify different source and destination zones.")
    assert tenant.error("copySnapshot", id=snapshot["id"]) == (431, "Please specify valid destination zone(s).")
    admin.ok("updateZone", id=bare["id"], allocationstate="Disabled")
    try:
        assert tenant.error("copySnapshot", id=snapshot["id"], destzoneid=bare["id"]) == (
            531, f"Cannot perform this operation, Zone is currently disabled: {bare['name']}")
    finally:
        admin.ok("updateZone", id=bare["id"], allocationstate="Enabled")
    primary = _snapshot(tenant, volume["id"], locationtype="PRIMARY")
    assert tenant.error("copySnapshot", id=primary["id"], destzoneid=with_store["id"]) == (431, "Snapshot is not backed up")


def test_archive_snapshot_moves_it_to_secondary(tenant, other_user, catalog, deploy):
    volume = _ready_volume(tenant, catalog, deploy)
    primary = _snapshot(tenant, volume["id"], locationtype="PRIMARY")
    assert primary["locationtype"] == "PRIMARY"
    assert other_user.error("archiveSnapshot", id=primary["id"])[0] == 531
    archived = tenant.run("archiveSnapshot", id=primary["id"])["snapshot"]
    assert archived["locationtype"] == "SECONDARY"
    assert tenant.items("listSnapshots", "snapshot", id=primary["id"])[0]["locationtype"] == "SECONDARY"
    assert tenant.failed("archiveSnapshot", id=primary["id"]) == (
        530, f"Can only archive snapshots present on primary storage. Cannot find snapshot {primary['id']} on "
             "primary storage")


def test_extract_snapshot_gives_a_kept_url(tenant, other_user, catalog, deploy, second_zone):
    with_store, bare = second_zone
    volume = _ready_volume(tenant, catalog, deploy)
    snapshot = _snapshot(tenant, volume["id"])
    first = tenant.run("extractSnapshot", id=snapshot["id"], zoneid=catalog["zone"]["id"])["snapshot"]
    assert first["url"].startswith("https://") and first["zoneid"] == catalog["zone"]["id"]
    again = tenant.run("extractSnapshot", id=snapshot["id"], zoneid=catalog["zone"]["id"])["snapshot"]
    assert again["url"] == first["url"]                                   # the extract URL is kept
    assert tenant.failed("extractSnapshot", id=snapshot["id"], zoneid=with_store["id"]) == (431, "Snapshot not found.")
    assert tenant.error("extractSnapshot", id=snapshot["id"], zoneid=bare["id"]) == (
        431, "Extraction could not be completed")
    assert other_user.error("extractSnapshot", id=snapshot["id"], zoneid=catalog["zone"]["id"])[0] == 531
    assert tenant.error("extractSnapshot", id="00000000-0000-0000-0000-000000000000",
                        zoneid=catalog["zone"]["id"]) == (431, "Unable to find active snapshot.")
