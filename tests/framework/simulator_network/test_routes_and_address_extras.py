"""VPC static routes (create -> Active, CIDR rules, conflicts, delete, private gateway in use), updateNetworkACLList,
reserveIpAddress / releaseIpAddress / updateIpAddress and updateSecurityGroup; their errors and permissions."""
from __future__ import annotations

import pytest


@pytest.fixture(scope="module")
def vpc(user_a, cloud):
    return user_a.run("createVPC", name="vpc-routes", displaytext="r", cidr="10.110.0.0/16",
                      vpcofferingid=cloud["vpc_offering"]["id"], zoneid=cloud["zone"]["id"])["vpc"]


@pytest.fixture(scope="module")
def gateway(admin, vpc):
    return admin.run("createPrivateGateway", vpcid=vpc["id"], gateway="172.40.0.1", ipaddress="172.40.0.5",
                     netmask="255.255.255.0", vlan="740")["privategateway"]


def test_static_route_life_cycle(admin, user_a, user_b, vpc, gateway):
    route = user_a.run("createStaticRoute", gatewayid=gateway["id"], cidr="192.168.50.0/24")["staticroute"]
    assert (route["state"], route["cidr"], route["vpcid"], route["gatewayid"]) == (
        "Active", "192.168.50.0/24", vpc["id"], gateway["id"])
    listed = user_a.items("listStaticRoutes", "staticroute", vpcid=vpc["id"])
    assert [r["id"] for r in listed] == [route["id"]] and listed[0]["account"] == user_a.account["name"]
    assert user_b.items("listStaticRoutes", "staticroute") == []
    assert user_b.error("createStaticRoute", gatewayid=gateway["id"], cidr="192.168.60.0/24")[0] == 531
    assert user_b.error("deleteStaticRoute", id=route["id"])[0] == 531
    code, _, text = admin.error("createStaticRoute", gatewayid=gateway["id"], cidr="192.168.50.128/25")
    assert code == 537 and text.startswith("New static route cidr conflicts with existing route StaticRoute[")
    code, text = admin.run_fails("deletePrivateGateway", id=gateway["id"])
    assert code == 530 and "as it has 1 static routes applied. Remove the routes first" in text
    assert user_a.run("deleteStaticRoute", id=route["id"]) == {"success": True}
    assert user_a.items("listStaticRoutes", "staticroute", vpcid=vpc["id"]) == []
    assert user_a.error("deleteStaticRoute", id=route["id"])[2] == "Unable to find static route by id"


def test_static_route_cidr_rules(user_a, vpc, gateway):
    assert user_a.error("createStaticRoute", gatewayid=gateway["id"], cidr="10.110.5.0/24")[2] == (
        "CIDR should be outside of VPC cidr 10.110.0.0/16")
    assert user_a.error("createStaticRoute", gatewayid=gateway["id"], cidr="169.254.1.0/24")[2] == (
        "CIDR should be outside of link local cidr 169.254.0.0/16")
    assert user_a.error("createStaticRoute", gatewayid=gateway["id"], cidr="300.1.1.0/24")[2] == (
        "Invalid format for cidr 300.1.1.0/24")
    assert user_a.error("createStaticRoute", gatewayid=vpc["id"], cidr="192.168.1.0/24")[2] == "Invalid gateway id is given"


def test_deleting_the_vpc_removes_its_routes(admin, user_a, cloud):
    vpc = user_a.run("createVPC", name="vpc-gone", displaytext="g", cidr="10.120.0.0/16",
                     vpcofferingid=cloud["vpc_offering"]["id"], zoneid=cloud["zone"]["id"])["vpc"]
    gateway = admin.run("createPrivateGateway", vpcid=vpc["id"], gateway="172.41.0.1", ipaddress="172.41.0.5",
                        netmask="255.255.255.0", vlan="741")["privategateway"]
    route = user_a.run("createStaticRoute", gatewayid=gateway["id"], cidr="192.168.70.0/24")["staticroute"]
    user_a.run("deleteVPC", id=vpc["id"])
    assert admin.items("listStaticRoutes", "staticroute", listall=True, id=route["id"]) == []


def test_update_network_acl_list(admin, user_a, user_b, vpc):
    acl = user_a.run("createNetworkACLList", name="acl-a", description="first", vpcid=vpc["id"])["networkacllist"]
    updated = user_a.run("updateNetworkACLList", id=acl["id"], name="acl-b", description="second",
                         fordisplay=False)["networkacllist"]
    assert (updated["name"], updated["description"], updated["fordisplay"]) == ("acl-b", "second", False)
    assert user_a.items("listNetworkACLLists", "networkacllist", id=acl["id"])[0]["name"] == "acl-b"
    assert user_b.error("updateNetworkACLList", id=acl["id"], name="x")[0] == 531
    default = user_a.items("listNetworkACLLists", "networkacllist", name="default_allow")[0]
    assert user_a.error("updateNetworkACLList", id=default["id"], name="x")[2] == "Must be Root Admin to update a global ACL."


def _free_ip(admin, cloud) -> dict:
    free = admin.items("listPublicIpAddresses", "publicipaddress", allocatedonly=False, state="Free",
                       zoneid=cloud["zone"]["id"], forvirtualnetwork=True)
    return free[-1]


def _ip_count(admin, client) -> int:
    return int(admin.items("listAccounts", "account", id=client.account["id"])[0]["iptotal"])


def test_reserve_and_release_an_address(admin, user_a, user_b, cloud):
    ip = _free_ip(admin, cloud)
    before = _ip_count(admin, user_a)
    reserved = user_a.ok("reserveIpAddress", id=ip["id"])["ipaddress"]
    assert reserved["state"] == "Reserved" and reserved["account"] == user_a.account["name"]
    assert _ip_count(admin, user_a) == before + 1
    assert user_a.ok("reserveIpAddress", id=ip["id"])["ipaddress"]["state"] == "Reserved"       # again: same answer
    assert user_b.error("reserveIpAddress", id=ip["id"])[2] == (
        "Unable to reserve a IP because it has already been reserved for another account.")
    assert user_b.error("releaseIpAddress", id=ip["id"])[0] == 531
    assert user_a.ok("releaseIpAddress", id=ip["id"]) == {"success": True}
    assert _ip_count(admin, user_a) == before
    after = admin.items("listPublicIpAddresses", "publicipaddress", allocatedonly=False, id=ip["id"])[0]
    assert after["state"] == "Free" and "account" not in after


def test_reserve_refuses_held_addresses(user_a, vpc):
    held = user_a.items("listPublicIpAddresses", "publicipaddress", vpcid=vpc["id"])[0]
    assert user_a.error("reserveIpAddress", id=held["id"])[2] == "Unable to reserve a IP in Allocated state."
    assert user_a.error("releaseIpAddress", id=held["id"])[2] == (
        "Unable to release a public IP in Allocated state, please use disassociateIpAddress instead")


def test_update_ip_address_display(admin, user_a, user_b, cloud, vpc):
    held = user_a.items("listPublicIpAddresses", "publicipaddress", vpcid=vpc["id"])[0]
    hidden = user_a.run("updateIpAddress", id=held["id"], fordisplay=False)["ipaddress"]
    assert hidden["fordisplay"] is False
    assert user_a.items("listPublicIpAddresses", "publicipaddress", id=held["id"], fordisplay=False)[0]["id"] == held["id"]
    user_a.run("updateIpAddress", id=held["id"], fordisplay=True)
    assert user_b.error("updateIpAddress", id=held["id"], fordisplay=False)[0] == 531
    free = _free_ip(admin, cloud)
    assert user_a.error("updateIpAddress", id=free["id"], fordisplay=False)[2] == (
        "Only Root admin can update non-allocated ip addresses")


def test_update_security_group_name(admin, user_a):
    group = user_a.ok("createSecurityGroup", name="web")["securitygroup"]
    assert user_a.error("updateSecurityGroup", id=group["id"], name="mine")[0] == 432     # a root-admin API
    renamed = admin.ok("updateSecurityGroup", id=group["id"], name="frontend")["securitygroup"]
    assert renamed["name"] == "frontend"
    assert [g["name"] for g in user_a.items("listSecurityGroups", "securitygroup", id=group["id"])] == ["frontend"]
    assert admin.error("updateSecurityGroup", id=group["id"], name="Default")[2] == (
        "The security group name default is reserved")
    default = user_a.items("listSecurityGroups", "securitygroup", securitygroupname="default")[0]
    assert admin.error("updateSecurityGroup", id=default["id"], name="other")[2] == (
        "The default security group cannot be renamed")
    assert admin.error("updateSecurityGroup", id=group["id"], name="  ")[2] == "Security group name cannot be empty"


@pytest.fixture(scope="module")
def public_range(admin, cloud):
    return admin.ok("createVlanIpRange", zoneid=cloud["zone"]["id"], startip="198.51.100.10", endip="198.51.100.12",
                    gateway="198.51.100.1", netmask="255.255.255.0", vlan="vlan://555", forvirtualnetwork=True)["vlan"]


def test_dedicate_and_release_a_public_range(admin, user_a, user_b, cloud, public_range, make_network):
    account = user_a.account
    dedicated = admin.ok("dedicatePublicIpRange", id=public_range["id"], account=account["name"],
                         domainid=account["domainid"])["vlan"]
    assert dedicated["account"] == account["name"] and dedicated["domainid"] == account["domainid"]
    listed = admin.items("listVlanIpRanges", "vlaniprange", id=public_range["id"])[0]
    assert listed.get("account") == account["name"]
    assert admin.error("dedicatePublicIpRange", id=public_range["id"], account=account["name"],
                       domainid=account["domainid"])[2] == "Specified Public IP range has already been dedicated"
    network = make_network(user_a)
    ip = user_a.run("associateIpAddress", networkid=network["id"])["ipaddress"]
    assert ip["vlanid"] == public_range["id"]                     # the account's own range goes first
    plain = user_a.run("associateIpAddress", networkid=network["id"])["ipaddress"]
    assert plain["vlanid"] == public_range["id"] and plain["issourcenat"] is False
    other_network = make_network(user_b)
    other_ip = user_b.run("associateIpAddress", networkid=other_network["id"])["ipaddress"]
    assert other_ip["vlanid"] != public_range["id"]               # nobody else gets its addresses
    assert user_a.error("dedicatePublicIpRange", id=public_range["id"], domainid=account["domainid"])[0] == 432
    assert admin.ok("releasePublicIpRange", id=public_range["id"]) == {"success": True}
    released = admin.items("listVlanIpRanges", "vlaniprange", id=public_range["id"])[0]
    assert "account" not in released and "domainid" not in released
    def state_of(address):
        return admin.items("listPublicIpAddresses", "publicipaddress", allocatedonly=False, id=address["id"])[0]
    assert state_of(ip)["state"] == "Allocated" and state_of(ip)["issourcenat"] is True   # source NAT: kept
    assert state_of(plain)["state"] == "Free"                     # a plain held address went back to the pool
    assert admin.error("releasePublicIpRange", id=public_range["id"])[2] == (
        f"Can't release Public IP range {public_range['id']} as it not dedicated to any domain and any account")


def test_dedicate_to_a_domain_and_errors(admin, user_a, cloud, make_network):
    domain = admin.ok("createDomain", name="dedicated-dom")["domain"]
    # A range holding an address of user_a (taken while it was dedicated to user_a) cannot go to another domain.
    held_range = admin.ok("createVlanIpRange", zoneid=cloud["zone"]["id"], startip="198.51.100.30",
                          endip="198.51.100.32", gateway="198.51.100.1", netmask="255.255.255.0", vlan="vlan://557",
                          forvirtualnetwork=True)["vlan"]
    admin.ok("dedicatePublicIpRange", id=held_range["id"], account=user_a.account["name"],
             domainid=user_a.account["domainid"])
    ip = user_a.run("associateIpAddress", networkid=make_network(user_a)["id"])["ipaddress"]
    assert ip["vlanid"] == held_range["id"]
    admin.ok("releasePublicIpRange", id=held_range["id"])
    assert admin.error("dedicatePublicIpRange", id=held_range["id"], domainid=domain["id"])[2].endswith(
        "Public IP address in range is allocated to another domain/account ")
    public_range = admin.ok("createVlanIpRange", zoneid=cloud["zone"]["id"], startip="198.51.100.20",
                            endip="198.51.100.22", gateway="198.51.100.1", netmask="255.255.255.0", vlan="vlan://556",
                            forvirtualnetwork=True)["vlan"]
    dedicated = admin.ok("dedicatePublicIpRange", id=public_range["id"], domainid=domain["id"])["vlan"]
    assert dedicated["domainid"] == domain["id"] and "account" not in dedicated
    assert admin.error("dedicatePublicIpRange", id=public_range["id"], account=user_a.account["name"],
                       domainid=user_a.account["domainid"])[2] == (
        "Specified Public IP range has already been dedicated to a domain")
    admin.ok("releasePublicIpRange", id=public_range["id"])
    assert admin.error("dedicatePublicIpRange", id=public_range["id"], account="nobody",
                       domainid=user_a.account["domainid"])[2] == "Unable to find account by name nobody"
    assert admin.error("dedicatePublicIpRange", id=public_range["id"], account="x",
                       projectid=public_range["id"], domainid=user_a.account["domainid"])[2] == (
        "accountName and projectId are mutually exclusive")


def test_update_vlan_ip_range(admin, user_a, cloud, make_network):
    created = admin.ok("createVlanIpRange", zoneid=cloud["zone"]["id"], startip="203.0.113.10", endip="203.0.113.12",
                       gateway="203.0.113.1", netmask="255.255.255.0", vlan="vlan://557", forvirtualnetwork=True)["vlan"]

    def addresses():
        return sorted(ip["ipaddress"] for ip in admin.items("listPublicIpAddresses", "publicipaddress",
                                                            allocatedonly=False, vlanid=created["id"]))
    grown = admin.ok("updateVlanIpRange", id=created["id"], endip="203.0.113.14")["vlan"]
    assert (grown["startip"], grown["endip"]) == ("203.0.113.10", "203.0.113.14")
    assert addresses() == [f"203.0.113.{i}" for i in range(10, 15)]
    shrunk = admin.ok("updateVlanIpRange", id=created["id"], startip="203.0.113.11", endip="203.0.113.13")["vlan"]
    assert shrunk["description"] == "203.0.113.11-203.0.113.13" and addresses() == [
        "203.0.113.11", "203.0.113.12", "203.0.113.13"]
    assert admin.error("updateVlanIpRange", id=created["id"], startip="203.0.113.1")[2] == (
        "The gateway shouldn't overlap the new start/end ip addresses")
    assert admin.error("updateVlanIpRange", id=created["id"], endip="203.0.114.5")[2] == (
        "The end address of the IP range is not in the CIDR subnet.")
    assert admin.error("updateVlanIpRange", id=created["id"], startip="203.0.113.13", endip="203.0.113.11")[2] == (
        "The start IP address must have a lower value than the end IP address.")
    assert admin.error("updateVlanIpRange", id=created["id"], startipv6="fd00::1")[2] == (
        "IPv6 is not support in this IP range.")
    assert user_a.error("updateVlanIpRange", id=created["id"], endip="203.0.113.14")[0] == 432
    # an address in use pins the range and its gateway
    admin.ok("dedicatePublicIpRange", id=created["id"], account=user_a.account["name"],
             domainid=user_a.account["domainid"])
    network = make_network(user_a)
    held = user_a.run("associateIpAddress", networkid=network["id"])["ipaddress"]
    assert held["vlanid"] == created["id"]
    elsewhere = next(a for a in ("203.0.113.11", "203.0.113.12", "203.0.113.13") if a != held["ipaddress"])
    code, _, text = admin.error("updateVlanIpRange", id=created["id"], startip=elsewhere, endip=elsewhere)
    assert code == 431 and text == (
        f"The start IP address must be less than or equal to {held['ipaddress']} which is already in use. The end IP "
        f"address must be greater than or equal to {held['ipaddress']} which is already in use. There are 1 IPs "
        "already allocated in this range.")
    assert admin.error("updateVlanIpRange", id=created["id"], gateway="203.0.113.2")[2] == (
        "Unable to change gateway to 203.0.113.2 because some IPs are in use")
    admin.ok("releasePublicIpRange", id=created["id"])


@pytest.fixture()
def quarantine_minutes(admin, sim):
    admin.ok("updateConfiguration", name="public.ip.address.quarantine.duration", value="10")
    yield
    admin.ok("updateConfiguration", name="public.ip.address.quarantine.duration", value="0")


def test_released_address_is_quarantined_for_others(admin, user_a, user_b, make_network, quarantine_minutes):
    network_a, network_b = make_network(user_a), make_network(user_b)
    user_a.run("associateIpAddress", networkid=network_a["id"])                 # the source NAT address
    ip = user_a.run("associateIpAddress", networkid=network_a["id"])["ipaddress"]
    user_a.run("disassociateIpAddress", id=ip["id"])
    listed = [q for q in admin.items("listQuarantinedIps", "quarantinedip") if q["ipaddress"] == ip["ipaddress"]]
    assert len(listed) == 1 and listed[0]["previousownerid"] == user_a.account["id"]
    assert listed[0]["previousownername"] == user_a.account["name"]
    code, _, text = user_b.error("associateIpAddress", networkid=network_b["id"], ipaddress=ip["ipaddress"])
    assert (code, text) == (533, f"Failed to allocate public IP address [{ip['ipaddress']}] as it is in quarantine.")
    again = user_a.run("associateIpAddress", networkid=network_a["id"], ipaddress=ip["ipaddress"])["ipaddress"]
    assert again["ipaddress"] == ip["ipaddress"]                                 # the previous owner takes it back
    assert ip["ipaddress"] not in {q["ipaddress"] for q in admin.items("listQuarantinedIps", "quarantinedip")}
    ended = [q for q in admin.items("listQuarantinedIps", "quarantinedip", showremoved=True)
             if q["ipaddress"] == ip["ipaddress"]]
    assert ended[0]["removalreason"] == "IP was removed from quarantine because it has been allocated by the previous owner"


def test_update_and_remove_a_quarantine(admin, user_a, user_b, make_network, quarantine_minutes):
    network = make_network(user_a)
    user_a.run("associateIpAddress", networkid=network["id"])
    ip = user_a.run("associateIpAddress", networkid=network["id"])["ipaddress"]
    user_a.run("disassociateIpAddress", id=ip["id"])
    entry = next(q for q in admin.items("listQuarantinedIps", "quarantinedip") if q["ipaddress"] == ip["ipaddress"])
    moved = admin.ok("updateQuarantinedIp", id=entry["id"], enddate="2099-01-01 00:00:00")["quarantinedip"]
    assert moved["enddate"].startswith("2099-01-01")
    assert admin.error("updateQuarantinedIp", id=entry["id"], enddate="2000-01-01")[2] == (
        "The given end date [2000-01-01] is invalid as it is before the current date.")
    assert admin.error("removeQuarantinedIp", ipaddress=ip["ipaddress"], removalreason=" ")[2] == (
        f"The given reason for removing the public IP address [{ip['ipaddress']}] from quarantine is blank.")
    assert admin.error("removeQuarantinedIp", removalreason="x")[2] == (
        "Either the ID or the address of the IP in quarantine must be informed.")
    assert user_a.error("listQuarantinedIps")[0] == 432
    assert admin.ok("removeQuarantinedIp", ipaddress=ip["ipaddress"], removalreason="handed over") == {"success": True}
    network_b = make_network(user_b)
    taken = user_b.run("associateIpAddress", networkid=network_b["id"], ipaddress=ip["ipaddress"])["ipaddress"]
    assert taken["ipaddress"] == ip["ipaddress"]                                 # free for anyone now
    assert admin.error("removeQuarantinedIp", ipaddress=ip["ipaddress"], removalreason="x")[2] == (
        "There is no active quarantine for the specified IP address.")


def test_a_reserved_address_is_acquired_by_its_owner(admin, user_a, user_b, cloud, make_network):
    ip = _free_ip(admin, cloud)
    user_a.ok("reserveIpAddress", id=ip["id"])
    count = _ip_count(admin, user_a)
    network_b = make_network(user_b)
    code, _, text = user_b.error("associateIpAddress", networkid=network_b["id"], ipaddress=ip["ipaddress"])
    assert code == 431 and "is not a free public IP address" in text
    network_a = make_network(user_a)
    acquired = user_a.run("associateIpAddress", networkid=network_a["id"], ipaddress=ip["ipaddress"])["ipaddress"]
    assert (acquired["id"], acquired["state"], acquired["associatednetworkid"]) == (ip["id"], "Allocated", network_a["id"])
    assert _ip_count(admin, user_a) == count                       # counted once, when it was reserved
