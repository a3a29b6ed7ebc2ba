"""Project resources over signed HTTP: looked up by id, and removed with the project.

- CloudStack's list scope (AccountManagerImpl.buildACLSearchParameters) skips project resources only when
  neither ``projectid`` nor ``id`` is given: an admin asking for a project's VM or volume by ``id`` finds it
  (the framework's leak check relies on that); a user's scope is its own account, so a member still needs
  ``projectid``; ``account`` and ``projectid`` together are refused (431).
- ``deleteProject cleanup=true`` deletes the project's account as deleteAccount does: its VMs, volumes,
  networks, public IPs and VPCs go; without ``cleanup`` a project that still owns any of them is refused.
"""
from __future__ import annotations

import pytest
from compute_client import new_user, unique

ISOLATED = "DefaultIsolatedNetworkOfferingWithSourceNatService"
VPC_OFFERING = "Default VPC offering"


@pytest.fixture()
def owner(admin):
    return new_user(admin)


@pytest.fixture()
def project(owner):
    return owner.run("createProject", name=unique("prj"), displaytext="project resources")["project"]


@pytest.fixture(scope="module")
def offerings(admin) -> dict:
    network = admin.items("listNetworkOfferings", "networkoffering", name=ISOLATED)[0]
    vpc = admin.items("listVPCOfferings", "vpcoffering", name=VPC_OFFERING)[0]
    return {"network": network, "vpc": vpc}


def _ids(items: list[dict]) -> list[str]:
    return [item["id"] for item in items]


def test_admin_finds_a_project_vm_and_volume_by_id(admin, owner, project, deploy):
    vm = deploy(owner, projectid=project["id"])
    root = owner.items("listVolumes", "volume", projectid=project["id"], virtualmachineid=vm["id"])
    assert len(root) == 1 and root[0]["type"] == "ROOT"

    # By id, no projectid: the root admin's scope covers every account, project accounts included.
    found = admin.items("listVirtualMachines", "virtualmachine", id=vm["id"])
    assert _ids(found) == [vm["id"]]
    assert found[0]["projectid"] == project["id"] and found[0]["project"] == project["name"]
    assert "account" not in found[0]
    assert _ids(admin.items("listVolumes", "volume", id=root[0]["id"])) == [root[0]["id"]]
    assert _ids(admin.items("listVirtualMachines", "virtualmachine", id=vm["id"], listall=True)) == [vm["id"]]

    # Without id nor projectid, project resources stay out of every list, listall or not.
    assert vm["id"] not in _ids(admin.items("listVirtualMachines", "virtualmachine", listall=True))
    assert root[0]["id"] not in _ids(admin.items("listVolumes", "volume", listall=True))

    # A member's scope is its own account: by id it needs projectid, as on a real server.
    assert owner.items("listVirtualMachines", "virtualmachine", id=vm["id"]) == []
    assert _ids(owner.items("listVirtualMachines", "virtualmachine", id=vm["id"], projectid=project["id"])) == [vm["id"]]

    code, text = admin.error("listVirtualMachines", account=owner.account["name"],
                             domainid=owner.account["domainid"], projectid=project["id"])
    assert (code, text) == (431, "Account and projectId can't be specified together")
    admin.run("destroyVirtualMachine", id=vm["id"], expunge=True)
    assert admin.items("listVirtualMachines", "virtualmachine", id=vm["id"]) == []
    assert owner.run("deleteProject", id=project["id"], cleanup=True) == {"success": True}


def _free(admin, ip_id: str) -> bool:
    """Is this public address back in the zone's free pool?"""
    rows = admin.items("listPublicIpAddresses", "publicipaddress", id=ip_id, allocatedonly=False)
    return [r["state"] for r in rows] == ["Free"]


def test_delete_project_with_cleanup_removes_vms_volumes_networks_and_ips(admin, owner, project, catalog, offerings,
                                                                          deploy):
    zone_id, pid = catalog["zone"]["id"], project["id"]
    network = owner.ok("createNetwork", name="pnet", displaytext="pnet", zoneid=zone_id,
                       networkofferingid=offerings["network"]["id"], projectid=pid)["network"]
    vm = deploy(owner, projectid=pid, networkids=network["id"])
    volume = owner.run("createVolume", name="pdata", zoneid=zone_id, projectid=pid,
                       diskofferingid=catalog["disk"]["Small"]["id"])["volume"]
    ip = owner.run("associateIpAddress", networkid=network["id"], projectid=pid)["ipaddress"]
    addresses = owner.items("listPublicIpAddresses", "publicipaddress", projectid=pid)
    held = {a["id"] for a in addresses}
    assert ip["id"] in held and any(a.get("associatednetworkid") == network["id"] and a["issourcenat"] for a in addresses)
    # A project's router is listed with projectid (listRouters follows the project rule of owned lists).
    routers = admin.items("listRouters", "router", projectid=pid, networkid=network["id"])
    assert len(routers) == 1

    assert owner.run("deleteProject", id=pid, cleanup=True) == {"success": True}

    assert owner.ok("listProjects", id=pid) == {}
    assert admin.items("listVirtualMachines", "virtualmachine", id=vm["id"]) == []
    assert admin.items("listVolumes", "volume", id=volume["id"]) == []
    assert admin.items("listNetworks", "network", id=network["id"]) == []
    assert admin.error("listRouters", id=routers[0]["id"])[0] == 431     # destroyed: its id is unknown
    assert all(_free(admin, ip_id) for ip_id in held), "the project's public addresses were not released"
    # The owner's project count is released with the project.
    assert owner.ok("listAccounts", id=owner.account["id"])["account"][0]["projecttotal"] == 0


def test_delete_project_with_cleanup_removes_its_vpcs(admin, owner, project, catalog, offerings, deploy):
    zone_id, pid = catalog["zone"]["id"], project["id"]
    vpc = owner.run("createVPC", name="pvpc", displaytext="pvpc", cidr="10.40.0.0/16", zoneid=zone_id,
                    vpcofferingid=offerings["vpc"]["id"], projectid=pid)["vpc"]
    assert vpc["projectid"] == pid and vpc["project"] == project["name"] and "account" not in vpc
    tier_offering = admin.items("listNetworkOfferings", "networkoffering",
                                name="DefaultIsolatedNetworkOfferingForVpcNetworks")[0]
    tier = owner.ok("createNetwork", name="ptier", displaytext="ptier", zoneid=zone_id, vpcid=vpc["id"],
                    networkofferingid=tier_offering["id"], gateway="10.40.1.1", netmask="255.255.255.0",
                    projectid=pid)["network"]
    vm = deploy(owner, projectid=pid, networkids=tier["id"])
    extra = owner.run("associateIpAddress", vpcid=vpc["id"], projectid=pid)["ipaddress"]
    held = {a["id"] for a in owner.items("listPublicIpAddresses", "publicipaddress", projectid=pid, vpcid=vpc["id"])}
    assert extra["id"] in held and len(held) == 2           # the VPC's source NAT address and the extra one
    routers = admin.items("listRouters", "router", projectid=pid, vpcid=vpc["id"])
    assert len(routers) == 1

    assert owner.run("deleteProject", id=pid, cleanup=True) == {"success": True}

    assert admin.items("listVirtualMachines", "virtualmachine", id=vm["id"]) == []
    assert admin.items("listNetworks", "network", id=tier["id"]) == []
    assert admin.items("listVPCs", "vpc", id=vpc["id"]) == []
    assert admin.error("listRouters", id=routers[0]["id"])[0] == 431
    assert all(_free(admin, ip_id) for ip_id in held), "the VPC's public addresses were not released"


def test_delete_project_without_cleanup_refuses_while_it_owns_a_vpc(admin, owner, project, catalog, offerings):
    vpc = owner.run("createVPC", name="keep", displaytext="keep", cidr="10.41.0.0/16", zoneid=catalog["zone"]["id"],
                    vpcofferingid=offerings["vpc"]["id"], projectid=project["id"])["vpc"]
    code, text = owner.failed("deleteProject", id=project["id"])
    assert (code, text) == (530, "Can't delete the project yet because it has 1 Vpc to clean up")
    assert _ids(owner.items("listProjects", "project", id=project["id"])) == [project["id"]]
    assert _ids(owner.items("listVPCs", "vpc", projectid=project["id"])) == [vpc["id"]]
    assert owner.run("deleteVPC", id=vpc["id"]) == {"success": True}
    assert owner.run("deleteProject", id=project["id"]) == {"success": True}
