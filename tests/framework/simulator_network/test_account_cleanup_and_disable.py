"""What deleteAccount and disableAccount do to an account's VPCs and routers, over signed HTTP.

- deleteAccount destroys the account's VPCs as a real server's account cleanup does: tiers (with their
  NICs and rules), the VPC's public addresses (back to Free), its router and ACL lists.
- disableAccount lock=false stops every VM of the account, its virtual routers too
  (AccountManagerImpl.doDisableAccount); lock=true only locks. A VM started once the account is enabled
  again brings its network's router back up.
"""
from __future__ import annotations

import pytest
from netclient import ISOLATED, VPC_TIER, new_user


def _free(admin, ip_id: str) -> bool:
    rows = admin.items("listPublicIpAddresses", "publicipaddress", id=ip_id, allocatedonly=False)
    return [r["state"] for r in rows] == ["Free"]


def _router_of_network(admin, network_id: str) -> dict:
    routers = admin.items("listRouters", "router", listall=True, networkid=network_id)
    assert len(routers) == 1, routers
    return routers[0]


def test_delete_account_removes_its_vpcs_tiers_addresses_and_router(admin, cloud, deploy):
    tenant = new_user(admin, "vpcgone")
    zone_id = cloud["zone"]["id"]
    vpc = tenant.run("createVPC", name="v", displaytext="v", cidr="10.60.0.0/16", zoneid=zone_id,
                     vpcofferingid=cloud["vpc_offering"]["id"])["vpc"]
    acl = tenant.run("createNetworkACLList", name="web", description="web", vpcid=vpc["id"])["networkacllist"]
    tier = tenant.ok("createNetwork", name="t1", displaytext="t1", zoneid=zone_id, vpcid=vpc["id"],
                     networkofferingid=cloud["offerings"][VPC_TIER]["id"], gateway="10.60.1.1",
                     netmask="255.255.255.0", aclid=acl["id"])["network"]
    vm = deploy(tenant, tier)
    extra = tenant.run("associateIpAddress", vpcid=vpc["id"])["ipaddress"]
    assert tenant.ok("enableStaticNat", ipaddressid=extra["id"], virtualmachineid=vm["id"], networkid=tier["id"]) == {"success": True}
    held = {a["id"] for a in tenant.items("listPublicIpAddresses", "publicipaddress", vpcid=vpc["id"])}
    assert extra["id"] in held and len(held) == 2
    router = admin.items("listRouters", "router", listall=True, vpcid=vpc["id"])
    assert len(router) == 1 and router[0]["state"] == "Running"

    assert admin.run("deleteAccount", id=tenant.account["id"]) == {"success": True}

    assert admin.items("listVPCs", "vpc", id=vpc["id"]) == []
    assert admin.items("listNetworks", "network", id=tier["id"]) == []
    assert admin.items("listVirtualMachines", "virtualmachine", id=vm["id"]) == []
    assert admin.error("listRouters", id=router[0]["id"])[0] == 431           # destroyed: the id is unknown
    assert admin.error("listNetworkACLLists", id=acl["id"])[0] == 431          # the VPC's ACL lists go too
    assert all(_free(admin, ip_id) for ip_id in held), "the VPC's public addresses were not released"
    # The freed addresses carry nothing over: no static NAT, no VPC.
    for ip_id in held:
        row = admin.items("listPublicIpAddresses", "publicipaddress", id=ip_id, allocatedonly=False)[0]
        assert not row["isstaticnat"] and "vpcid" not in row and "account" not in row


@pytest.fixture()
def running_tenant(admin, make_network, deploy):
    """A fresh account with an isolated network, a running VM on it and the network's running router."""
    tenant = new_user(admin, "disabled")
    network = make_network(tenant, ISOLATED, name="d", displaytext="d")
    vm = deploy(tenant, network)
    router = _router_of_network(admin, network["id"])
    assert vm["state"] == "Running" and router["state"] == "Running" and router.get("hostid")
    yield tenant, network, vm, router
    admin.run("deleteAccount", id=tenant.account["id"])


def test_disable_account_stops_its_routers(admin, running_tenant):
    tenant, _network, vm, router = running_tenant
    disabled = admin.run("disableAccount", id=tenant.account["id"], lock=False)["account"]
    assert disabled["state"] == "disabled"

    stopped = admin.items("listRouters", "router", id=router["id"])[0]
    assert stopped["state"] == "Stopped" and "hostid" not in stopped     # a stopped router runs on no host
    assert admin.items("listVirtualMachines", "virtualmachine", id=vm["id"])[0]["state"] == "Stopped"

    # Enabled again: starting the VM implements the network again, which starts its router.
    admin.ok("enableAccount", id=tenant.account["id"])
    assert tenant.run("startVirtualMachine", id=vm["id"])["virtualmachine"]["state"] == "Running"
    restarted = admin.items("listRouters", "router", id=router["id"])[0]
    assert restarted["state"] == "Running" and restarted.get("hostid")


def test_locking_an_account_leaves_its_routers_running(admin, running_tenant):
    tenant, _network, vm, router = running_tenant
    assert admin.run("disableAccount", id=tenant.account["id"], lock=True)["account"]["state"] == "locked"
    assert admin.items("listRouters", "router", id=router["id"])[0]["state"] == "Running"
    assert admin.items("listVirtualMachines", "virtualmachine", id=vm["id"])[0]["state"] == "Running"


def test_stop_and_start_router_move_it_off_and_back_onto_a_host(admin, running_tenant):
    _tenant, _network, _vm, router = running_tenant
    stopped = admin.run("stopRouter", id=router["id"])["router"]
    assert stopped["state"] == "Stopped" and "hostid" not in stopped
    started = admin.run("startRouter", id=router["id"])["router"]
    assert started["state"] == "Running" and started.get("hostid")
