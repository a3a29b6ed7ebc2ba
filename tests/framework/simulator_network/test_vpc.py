"""VPCs, tiers and their CIDR rules, ACL lists and rules (order by number),
private gateways."""
from __future__ import annotations

import pytest
from netclient import ISOLATED, VPC_TIER


@pytest.fixture(scope="module")
def vpc(user_a, cloud):
    started = user_a.start("createVPC", name="vpc1", displaytext="vpc1", cidr="10.100.0.0/16",
                           vpcofferingid=cloud["vpc_offering"]["id"], zoneid=cloud["zone"]["id"])
    assert set(started) == {"id", "jobid"}
    job = user_a.wait(started["jobid"])
    assert job["jobstatus"] == 1 and job["jobinstancetype"] == "Vpc"
    created = job["jobresult"]["vpc"]
    assert created["id"] == started["id"]
    return created


def _tier(client, cloud, vpc, name, gateway, netmask="255.255.255.0", **params):
    return client.ok("createNetwork", name=name, displaytext=name, zoneid=cloud["zone"]["id"], vpcid=vpc["id"],
                     networkofferingid=cloud["offerings"][VPC_TIER]["id"], gateway=gateway, netmask=netmask, **params)


def test_create_vpc_gets_source_nat_and_router(admin, user_a, vpc):
    assert vpc["state"] == "Enabled" and vpc["cidr"] == "10.100.0.0/16" and vpc["vpcofferingname"] == "Default VPC offering"
    assert vpc["account"] == user_a.account["name"] and vpc["network"] == []
    nat = user_a.items("listPublicIpAddresses", "publicipaddress", vpcid=vpc["id"])
    assert len(nat) == 1 and nat[0]["issourcenat"] is True and "associatednetworkid" not in nat[0]
    routers = admin.items("listRouters", "router", listall=True, vpcid=vpc["id"])
    assert len(routers) == 1 and routers[0]["publicip"] == nat[0]["ipaddress"] and routers[0]["state"] == "Running"
    assert [v["id"] for v in user_a.items("listVPCs", "vpc", id=vpc["id"])] == [vpc["id"]]


def test_vpc_input_errors(user_a, cloud):
    base = {"name": "bad", "displaytext": "bad", "vpcofferingid": cloud["vpc_offering"]["id"], "zoneid": cloud["zone"]["id"]}
    assert user_a.error("createVPC", cidr="10.0.0.0/33", **base)[2] == "Invalid CIDR specified 10.0.0.0/33"
    assert user_a.error("createVPC", cidr="8.8.0.0/16", **base)[2] == "Guest Cidr 8.8.0.0/16 is not RFC1918 compliant"
    missing = user_a.error("createVPC", name="x", displaytext="x", zoneid=cloud["zone"]["id"], cidr="10.0.0.0/16")
    assert missing[:2] == (431, 9999) and missing[2].endswith("due to missing parameter vpcofferingid")


def test_tiers_inside_the_vpc_cidr_without_overlap(admin, user_a, user_b, cloud, vpc, deploy):
    web = _tier(user_a, cloud, vpc, "web", "10.100.1.1")["network"]
    assert web["vpcid"] == vpc["id"] and web["state"] == "Allocated" and web["cidr"] == "10.100.1.0/24"
    assert web["aclname"] == "default_deny" and web["vpcname"] == "vpc1"
    outside = user_a.error("createNetwork", name="out", displaytext="out", zoneid=cloud["zone"]["id"], vpcid=vpc["id"],
                           networkofferingid=cloud["offerings"][VPC_TIER]["id"], gateway="10.200.1.1", netmask="255.255.255.0")
    assert outside[:2] == (431, 4350) and outside[2].startswith("Network cidr 10.200.1.0/24 is not within vpc")
    overlap = user_a.error("createNetwork", name="ov", displaytext="ov", zoneid=cloud["zone"]["id"], vpcid=vpc["id"],
                           networkofferingid=cloud["offerings"][VPC_TIER]["id"], gateway="10.100.1.129",
                           netmask="255.255.255.128")
    assert overlap[0] == 431 and "crosses other network cidr" in overlap[2]
    no_mask = user_a.error("createNetwork", name="nm", displaytext="nm", zoneid=cloud["zone"]["id"], vpcid=vpc["id"],
                           networkofferingid=cloud["offerings"][VPC_TIER]["id"])
    assert no_mask[2] == "Gateway/netmask are required when create network for VPC"
    wrong_offering = user_a.error("createNetwork", name="wo", displaytext="wo", zoneid=cloud["zone"]["id"], vpcid=vpc["id"],
                                  networkofferingid=cloud["offerings"][ISOLATED]["id"], gateway="10.100.9.1",
                                  netmask="255.255.255.0")
    assert wrong_offering[0] == 431 and "can't be used for VPC networks" in wrong_offering[2]
    vpc_only = user_a.error("createNetwork", name="vo", displaytext="vo", zoneid=cloud["zone"]["id"],
                            networkofferingid=cloud["offerings"][VPC_TIER]["id"])
    assert vpc_only[2] == "Network offering can be used for VPC networks only"
    assert user_b.error("createNetwork", name="b", displaytext="b", zoneid=cloud["zone"]["id"], vpcid=vpc["id"],
                        networkofferingid=cloud["offerings"][VPC_TIER]["id"], gateway="10.100.5.1",
                        netmask="255.255.255.0")[0] == 531
    # A VM on the tier implements it; the VPC's router gets a NIC there, no new source NAT address.
    vm = deploy(user_a, web)
    assert vm["nic"][0]["vpcid"] == vpc["id"]
    assert user_a.items("listNetworks", "network", id=web["id"])[0]["state"] == "Implemented"
    routers = admin.items("listRouters", "router", listall=True, networkid=web["id"])
    assert len(routers) == 1 and routers[0]["vpcid"] == vpc["id"]
    assert len(user_a.items("listPublicIpAddresses", "publicipaddress", vpcid=vpc["id"])) == 1
    tiers = user_a.items("listNetworks", "network", vpcid=vpc["id"])
    assert [t["id"] for t in tiers] == [web["id"]]
    assert [n["id"] for n in user_a.items("listVPCs", "vpc", id=vpc["id"])[0]["network"]] == [web["id"]]
    assert web["id"] in {n["id"] for n in user_a.items("listNetworks", "network", forvpc=True)}


def test_acl_lists_and_rule_order(user_a, user_b, cloud, vpc):
    lists = user_a.items("listNetworkACLLists", "networkacllist", vpcid=vpc["id"])
    assert {"default_allow", "default_deny"} <= {acl["name"] for acl in lists}
    default_deny = next(acl for acl in lists if acl["name"] == "default_deny")
    assert "vpcid" not in default_deny
    defaults = user_a.items("listNetworkACLs", "networkacl", aclid=default_deny["id"])
    assert [(r["number"], r["traffictype"], r["action"]) for r in defaults] == [(1, "Ingress", "Deny"), (2, "Egress", "Deny")]
    assert user_a.error("createNetworkACL", aclid=default_deny["id"], protocol="tcp", startport=22)[2] == \
        "Default ACL cannot be modified"

    started = user_a.start("createNetworkACLList", name="web-acl", vpcid=vpc["id"], description="for web")
    assert set(started) == {"id", "jobid"}
    acl = user_a.wait(started["jobid"])["jobresult"]["networkacllist"]
    assert acl["id"] == started["id"] and acl["vpcid"] == vpc["id"]
    assert user_b.items("listNetworkACLLists", "networkacllist", id=acl["id"]) == []
    # Rules come back ordered by number, not by creation.
    created = {}
    for number, port in ((30, 443), (10, 22), (20, 80)):
        rule = user_a.run("createNetworkACL", aclid=acl["id"], protocol="tcp", startport=port, number=number,
                          action="allow", cidrlist="0.0.0.0/0")["networkacl"]
        assert rule["number"] == number and rule["action"] == "Allow" and rule["traffictype"] == "Ingress"
        created[number] = rule
    auto = user_a.run("createNetworkACL", aclid=acl["id"], protocol="udp", startport=53, traffictype="Egress",
                      action="Deny")["networkacl"]
    assert auto["number"] == 31 and auto["startport"] == "53" and auto["endport"] == "53"
    listed = user_a.items("listNetworkACLs", "networkacl", aclid=acl["id"])
    assert [r["number"] for r in listed] == [10, 20, 30, 31]
    assert [r["startport"] for r in listed] == ["22", "80", "443", "53"]
    code, cs, text = user_a.error("createNetworkACL", aclid=acl["id"], protocol="tcp", startport=8080, number=20)
    assert (code, cs, text) == (431, 4350, f"ACL item with number 20 already exists in ACL: {acl['id']}")
    assert user_a.error("createNetworkACL", aclid=acl["id"], protocol="tcp", action="Maybe")[2] == \
        "Invalid action. Allowed actions are Allow and Deny"
    assert user_a.error("createNetworkACL", aclid=acl["id"], protocol="bogus")[2] == "Invalid protocol: bogus"
    assert user_b.error("createNetworkACL", aclid=acl["id"], protocol="tcp")[0] == 531
    # Renumbering moves a rule; a taken number fails in the job.
    moved = user_a.run("updateNetworkACLItem", id=created[30]["id"], number=5)["networkacl"]
    assert moved["number"] == 5 and moved["startport"] == "443"
    assert [r["number"] for r in user_a.items("listNetworkACLs", "networkacl", aclid=acl["id"])] == [5, 10, 20, 31]
    code, text = user_a.run_fails("updateNetworkACLItem", id=created[10]["id"], number=20)
    assert code == 431 and "already exists in ACL" in text
    assert user_a.run("deleteNetworkACL", id=created[20]["id"]) == {"success": True}
    assert [r["number"] for r in user_a.items("listNetworkACLs", "networkacl", aclid=acl["id"])] == [5, 10, 31]
    assert user_a.run_fails("deleteNetworkACL", id=defaults[0]["id"]) == (431, "Default ACL cannot be modified")

    # Attach the list to a tier, then it cannot be deleted.
    tier = _tier(user_a, cloud, vpc, "app", "10.100.2.1", aclid=acl["id"])["network"]
    assert tier["aclid"] == acl["id"] and tier["aclname"] == "web-acl"
    assert [a["id"] for a in user_a.items("listNetworkACLLists", "networkacllist", networkid=tier["id"])] == [acl["id"]]
    assert [r["number"] for r in user_a.items("listNetworkACLs", "networkacl", networkid=tier["id"])] == [5, 10, 31]
    code, text = user_a.run_fails("deleteNetworkACLList", id=acl["id"])
    assert code == 530 and text == f"ACL is still associated with 1 tier(s). Cannot delete network ACL: {acl['id']}"
    assert user_a.run("replaceNetworkACLList", aclid=default_deny["id"], networkid=tier["id"]) == {"success": True}
    assert user_a.items("listNetworks", "network", id=tier["id"])[0]["aclname"] == "default_deny"
    assert user_a.run("deleteNetworkACLList", id=acl["id"]) == {"success": True}
    assert user_a.run_fails("deleteNetworkACLList", id=default_deny["id"]) == (431, "Default ACL cannot be removed")
    user_a.run("deleteNetwork", id=tier["id"])


def test_vpc_public_ips_and_port_forwarding(user_a, cloud, vpc, deploy):
    tier = _tier(user_a, cloud, vpc, "pf", "10.100.3.1")["network"]
    vm = deploy(user_a, tier)
    ip = user_a.run("associateIpAddress", vpcid=vpc["id"])["ipaddress"]
    assert ip["vpcid"] == vpc["id"] and ip["issourcenat"] is False and "associatednetworkid" not in ip
    # A tier does not take addresses directly: the job fails and the address goes back.
    started = user_a.start("associateIpAddress", networkid=tier["id"])
    job = user_a.wait(started["jobid"])
    assert job["jobstatus"] == 2 and job["jobresult"] == {
        "errorcode": 431, "errortext": "Can't assign ip to the network directly when network belongs to VPC.Specify vpcId "
                                      "to associate ip address to VPC"}
    assert user_a.items("listPublicIpAddresses", "publicipaddress", id=started["id"]) == []
    code, _, text = user_a.error("createFirewallRule", ipaddressid=ip["id"], protocol="tcp", startport=22)
    assert code == 431 and "network ACLs" in text
    code, _, text = user_a.error("createPortForwardingRule", ipaddressid=ip["id"], privateport=22, publicport=22,
                                 protocol="tcp", virtualmachineid=vm["id"], networkid=tier["id"], openfirewall=True)
    assert text == "Can't have openFirewall=true when IP address belongs to VPC"
    rule = user_a.run("createPortForwardingRule", ipaddressid=ip["id"], privateport=22, publicport=22, protocol="tcp",
                      virtualmachineid=vm["id"], networkid=tier["id"])["portforwardingrule"]
    assert rule["networkid"] == tier["id"]
    assert user_a.items("listPublicIpAddresses", "publicipaddress", id=ip["id"])[0]["associatednetworkid"] == tier["id"]
    assert user_a.items("listFirewallRules", "firewallrule", ipaddressid=ip["id"]) == []


def test_delete_vpc_with_tiers_fails_then_succeeds(admin, user_a, cloud):
    vpc = user_a.run("createVPC", name="vpc-del", displaytext="d", cidr="10.60.0.0/16",
                     vpcofferingid=cloud["vpc_offering"]["id"], zoneid=cloud["zone"]["id"])["vpc"]
    tier = _tier(user_a, cloud, vpc, "t1", "10.60.1.1")["network"]
    code, text = user_a.run_fails("deleteVPC", id=vpc["id"])
    assert code == 431 and text.startswith("Can't delete VPC") and text.endswith("as its used by 1 networks")
    user_a.run("deleteNetwork", id=tier["id"])
    nat = user_a.items("listPublicIpAddresses", "publicipaddress", vpcid=vpc["id"])[0]
    assert user_a.run("deleteVPC", id=vpc["id"]) == {"success": True}
    assert vpc["id"] not in {v["id"] for v in user_a.items("listVPCs", "vpc")}
    assert admin.items("listRouters", "router", listall=True, vpcid=vpc["id"]) == []
    assert admin.items("listPublicIpAddresses", "publicipaddress", id=nat["id"], allocatedonly=False)[0]["state"] == "Free"


def test_update_and_restart_vpc(admin, user_a, user_b, cloud, vpc):
    updated = user_a.run("updateVPC", id=vpc["id"], displaytext="renamed")["vpc"]
    assert updated["displaytext"] == "renamed" and updated["name"] == "vpc1"
    before = admin.items("listRouters", "router", listall=True, vpcid=vpc["id"])
    assert user_a.run("restartVPC", id=vpc["id"], cleanup=True) == {"success": True}
    after = admin.items("listRouters", "router", listall=True, vpcid=vpc["id"])
    assert len(after) == 1 and after[0]["id"] != before[0]["id"]
    assert user_b.error("restartVPC", id=vpc["id"])[0] == 531
    assert user_b.items("listVPCs", "vpc", id=vpc["id"]) == []


def test_private_gateway(admin, user_a, vpc):
    code, _, _text = user_a.error("createPrivateGateway", vpcid=vpc["id"], gateway="172.30.0.1", ipaddress="172.30.0.5",
                                 netmask="255.255.255.0", vlan="700")
    # 4.20 lets every role call it (its annotation), but vlan is a root-admin parameter: a user's command class
    # does not take it, so the user must name an associated network instead.
    assert code == 431 and "associatednetworkid" in _text
    started = admin.start("createPrivateGateway", vpcid=vpc["id"], gateway="172.30.0.1", ipaddress="172.30.0.5",
                          netmask="255.255.255.0", vlan="700")
    gateway = admin.wait(started["jobid"])["jobresult"]["privategateway"]
    assert gateway["id"] == started["id"] and gateway["state"] == "Ready" and gateway["vlan"] == "vlan://700"
    assert gateway["aclname"] == "default_deny" and gateway["account"] == user_a.account["name"]
    assert [g["id"] for g in user_a.items("listPrivateGateways", "privategateway", vpcid=vpc["id"])] == [gateway["id"]]
    again = admin.error("createPrivateGateway", vpcid=vpc["id"], gateway="172.30.0.1", ipaddress="172.30.0.5",
                        netmask="255.255.255.0", vlan="700")
    assert again[0] == 431 and "already used" in again[2]
    outside = admin.error("createPrivateGateway", vpcid=vpc["id"], gateway="172.31.0.1", ipaddress="172.32.0.5",
                          netmask="255.255.255.0", vlan="701")
    assert "is not in the private gateway network" in outside[2]
    assert admin.run("deletePrivateGateway", id=gateway["id"]) == {"success": True}
    assert user_a.items("listPrivateGateways", "privategateway", vpcid=vpc["id"]) == []
