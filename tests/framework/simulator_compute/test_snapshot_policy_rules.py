"""createSnapshotPolicy rules a real 4.18 server applies: the time zone is
stored as Java resolves it (unknown -> GMT), the volume must be Ready, and
maxsnaps may not exceed the owner's account or domain snapshot limit (all
three skipped or relaxed for a hidden policy, fordisplay=false)."""
from __future__ import annotations

import pytest
from compute_client import new_user, unique

from marvin2.simulator.apis.snapshots import java_time_zone_id

LIMIT_TEXT = "Max number of snapshots shouldn't exceed the domain/account level snapshot limit"


@pytest.mark.parametrize(("given", "stored"), [
    ("Europe/Paris", "Europe/Paris"), ("UTC", "UTC"), ("America/Argentina/Buenos_Aires", "America/Argentina/Buenos_Aires"),
    ("PST", "PST"), ("EST", "EST"),
    ("GMT+5", "GMT+05:00"), ("GMT-0930", "GMT-09:30"), ("GMT+5:30", "GMT+05:30"), ("GMT+00:00", "GMT"),
    ("Mars/Olympus_Mons", "GMT"), ("europe/paris", "GMT"), ("GMT+24", "GMT"), ("GMT+5:3", "GMT"), ("", "GMT"),
    ("Nowhere", "GMT"),
])
def test_java_time_zone_resolution(given, stored):
    assert java_time_zone_id(given) == stored


@pytest.fixture(scope="module")
def tenant(admin):
    return new_user(admin)


@pytest.fixture(scope="module")
def root_volume(tenant, deploy_once):
    return deploy_once(tenant)


@pytest.fixture(scope="module")
def deploy_once(catalog):
    def _deploy(client):
        vm = client.run("deployVirtualMachine", zoneid=catalog["zone"]["id"], serviceofferingid=catalog["small"]["id"],
                        templateid=catalog["template"]["id"])["virtualmachine"]
        return client.items("listVolumes", "volume", virtualmachineid=vm["id"], type="ROOT")[0]
    return _deploy


def policy(client, volume, **params):
    base = {"volumeid": volume["id"], "intervaltype": "DAILY", "schedule": "00:01", "maxsnaps": 2, "timezone": "UTC"}
    return client.call("createSnapshotPolicy", **{**base, **params})


def test_unknown_and_custom_time_zones_are_stored_resolved(tenant, root_volume):
    status, body = policy(tenant, root_volume, timezone="Mars/Olympus_Mons")
    assert status == 200 and body["snapshotpolicy"]["timezone"] == "GMT"
    status, body = policy(tenant, root_volume, intervaltype="WEEKLY", schedule="00:01:3", timezone="GMT+5")
    assert status == 200 and body["snapshotpolicy"]["timezone"] == "GMT+05:00"
    listed = {p["intervaltype"]: p["timezone"] for p in
              tenant.items("listSnapshotPolicies", "snapshotpolicy", volumeid=root_volume["id"])}
    assert listed == {1: "GMT", 2: "GMT+05:00"}
    tenant.ok("deleteSnapshotPolicies", ids=[p["id"] for p in
                                             tenant.items("listSnapshotPolicies", "snapshotpolicy", volumeid=root_volume["id"])])


def test_a_volume_that_is_not_ready_is_refused(tenant, catalog):
    volume = tenant.run("createVolume", name=unique("data"), zoneid=catalog["zone"]["id"],
                        diskofferingid=catalog["disk"]["Small"]["id"])["volume"]
    assert volume["state"] == "Allocated"
    code, text = tenant.error("createSnapshotPolicy", volumeid=volume["id"], intervaltype="DAILY", schedule="00:01",
                              maxsnaps=2, timezone="UTC")
    assert code == 431
    assert text.startswith("VolumeId: ") and text.endswith(" is not in Ready state but Allocated. Cannot take snapshot.")
    assert tenant.ok("listSnapshotPolicies", volumeid=volume["id"]) == {}
    # A hidden policy is never scheduled: the server accepts it on a volume that is not ready.
    hidden = tenant.ok("createSnapshotPolicy", volumeid=volume["id"], intervaltype="DAILY", schedule="00:01",
                       maxsnaps=2, timezone="UTC", fordisplay=False)["snapshotpolicy"]
    assert hidden["fordisplay"] is False
    tenant.ok("deleteSnapshotPolicies", id=hidden["id"])
    tenant.ok("deleteVolume", id=volume["id"])


def test_maxsnaps_above_the_account_limit(admin, deploy_once):
    owner = new_user(admin)
    volume = deploy_once(owner)
    account = owner.account
    admin.ok("updateResourceLimit", account=account["name"], domainid=account["domainid"], resourcetype=3, max=2)
    code, text = owner.error("createSnapshotPolicy", volumeid=volume["id"], intervaltype="DAILY", schedule="00:01",
                             maxsnaps=3, timezone="UTC")
    assert (code, text) == (431, LIMIT_TEXT)
    assert owner.ok("listSnapshotPolicies", volumeid=volume["id"]) == {}
    assert policy(owner, volume, maxsnaps=2)[1]["snapshotpolicy"]["maxsnaps"] == 2
    # Hidden policies are not checked against the limit.
    status, body = policy(owner, volume, intervaltype="WEEKLY", schedule="00:01:1", maxsnaps=5, fordisplay=False)
    assert status == 200 and body["snapshotpolicy"]["maxsnaps"] == 5
    # Unlimited again (-1): any maxsnaps up to the interval maximum.
    admin.ok("updateResourceLimit", account=account["name"], domainid=account["domainid"], resourcetype=3, max=-1)
    assert policy(owner, volume, maxsnaps=8)[1]["snapshotpolicy"]["maxsnaps"] == 8


def test_maxsnaps_above_a_domain_limit(admin, deploy_once):
    parent = admin.ok("createDomain", name=unique("snapdom"))["domain"]
    child = admin.ok("createDomain", name=unique("snapsub"), parentdomainid=parent["id"])["domain"]
    admin.ok("updateResourceLimit", domainid=parent["id"], resourcetype=3, max=4)
    owner = new_user(admin, domainid=child["id"])
    volume = deploy_once(owner)
    # The child domain has no limit of its own: its parent's counts.
    code, text = owner.error("createSnapshotPolicy", volumeid=volume["id"], intervaltype="DAILY", schedule="00:01",
                             maxsnaps=5, timezone="UTC")
    assert (code, text) == (431, LIMIT_TEXT)
    assert policy(owner, volume, maxsnaps=4)[0] == 200


def test_root_admin_volumes_are_not_limited(admin, deploy_once):
    domain = admin.ok("createDomain", name=unique("snapadm"))["domain"]
    admin.ok("updateResourceLimit", domainid=domain["id"], resourcetype=3, max=1)
    name = unique("root")
    account = admin.ok("createAccount", username=name, password="password", email=f"{name}@example.com",
                       firstname="Root", lastname="Admin", accounttype=1, domainid=domain["id"])["account"]
    keys = admin.ok("registerUserKeys", id=account["user"][0]["id"])["userkeys"]
    root_admin = type(admin)(admin.endpoint, keys["apikey"], keys["secretkey"], label=name)
    volume = deploy_once(root_admin)
    status, body = policy(root_admin, volume, maxsnaps=3)
    assert status == 200 and body["snapshotpolicy"]["maxsnaps"] == 3
