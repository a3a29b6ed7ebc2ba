"""Guest networks over signed HTTP: offerings, states, source NAT, routers,
listNetworks filters and scope, update/restart/delete, cross-account isolation."""
from __future__ import annotations

from netclient import ISOLATED, L2, SHARED, VPC_OFFERING, VPC_TIER


def test_seeded_offerings_have_real_names_and_services(admin, cloud):
    offerings = cloud["offerings"]
    assert {ISOLATED, SHARED, "DefaultSharedNetworkOfferingWithSGService", L2, VPC_TIER} <= set(offerings)
    isolated = offerings[ISOLATED]
    services = {s["name"]: [p["name"] for p in s["provider"]] for s in isolated["service"]}
    assert services["SourceNat"] == ["VirtualRouter"] and services["Firewall"] == ["VirtualRouter"]
    assert isolated["guestiptype"] == "Isolated" and isolated["state"] == "Enabled" and isolated["availability"] == "Required"
    assert offerings[L2]["service"] == [] and offerings[VPC_TIER]["forvpc"] is True
    vpc_services = {s["name"] for s in cloud["vpc_offering"]["service"]}
    assert {"SourceNat", "NetworkACL", "Lb"} <= vpc_services and cloud["vpc_offering"]["isdefault"] is True
    # Filters: guest type, VPC-ness, supported services.
    shared = admin.items("listNetworkOfferings", "networkoffering", guestiptype="Shared")
    assert {o["name"] for o in shared} == {SHARED, "DefaultSharedNetworkOfferingWithSGService"}
    with_sg = admin.items("listNetworkOfferings", "networkoffering", supportedservices="SecurityGroup")
    assert [o["name"] for o in with_sg] == ["DefaultSharedNetworkOfferingWithSGService"]
    # A fresh 4.20 database has three VPC tier offerings (with LB, without, with the internal LB).
    assert {o["name"] for o in admin.items("listNetworkOfferings", "networkoffering", forvpc=True)} == {
        VPC_TIER, "DefaultIsolatedNetworkOfferingForVpcNetworksNoLB", "DefaultIsolatedNetworkOfferingForVpcNetworksWithInternalLB"}


def test_network_offering_lifecycle(admin, user_a):
    created = admin.ok("createNetworkOffering", name="no-test", displaytext="test offering", guestiptype="isolated",
                       traffictype="GUEST", supportedservices="Dhcp,Dns,SourceNat,Firewall",
                       **{"serviceproviderlist[0].service": "Dhcp", "serviceproviderlist[0].provider": "VirtualRouter"})
    offering = created["networkoffering"]
    assert offering["state"] == "Disabled" and offering["guestiptype"] == "Isolated" and offering["traffictype"] == "Guest"
    assert sorted(s["name"] for s in offering["service"]) == ["Dhcp", "Dns", "Firewall", "SourceNat"]
    # A disabled offering cannot be used.
    code, cs, text = user_a.error("createNetwork", name="x", displaytext="x", zoneid=admin.items("listZones", "zone")[0]["id"],
                                  networkofferingid=offering["id"])
    assert (code, cs) == (431, 4350) and "not in Enabled state" in text
    updated = admin.ok("updateNetworkOffering", id=offering["id"], state="Enabled", displaytext="renamed")["networkoffering"]
    assert updated["state"] == "Enabled" and updated["displaytext"] == "renamed"
    # Users may not create offerings: the API does not exist for them.
    code, cs, text = user_a.error("createNetworkOffering", name="u", displaytext="u", guestiptype="Isolated", traffictype="Guest")
    assert code == 432 and "does not exist or is not available" in text
    bad = admin.error("createNetworkOffering", name="bad", displaytext="b", guestiptype="Weird", traffictype="Guest")
    assert bad[0] == 431 and '"type"' in bad[2]
    assert admin.ok("deleteNetworkOffering", id=offering["id"]) == {"success": True}
    default_id = admin.items("listNetworkOfferings", "networkoffering", name=ISOLATED)[0]["id"]
    assert admin.error("deleteNetworkOffering", id=default_id)[2] == "Default network offering can't be deleted"


def test_vpc_offering_lifecycle(admin):
    started = admin.start("createVPCOffering", name="vo-test", displaytext="vo", supportedservices="Dhcp,Dns,SourceNat,NetworkACL")
    assert set(started) == {"id", "jobid"}
    offering = admin.wait(started["jobid"])["jobresult"]["vpcoffering"]
    assert offering["id"] == started["id"] and offering["state"] == "Disabled"
    assert "Gateway" in {s["name"] for s in offering["service"]}
    enabled = admin.run("updateVPCOffering", id=offering["id"], state="Enabled")["vpcoffering"]
    assert enabled["state"] == "Enabled"
    default_id = admin.items("listVPCOfferings", "vpcoffering", name=VPC_OFFERING)[0]["id"]
    assert admin.run_fails("deleteVPCOffering", id=default_id) == (431, "Default network offering can't be deleted")
    assert admin.run("deleteVPCOffering", id=offering["id"]) == {"success": True}
    assert offering["id"] not in {o["id"] for o in admin.items("listVPCOfferings", "vpcoffering")}
    assert admin.error("listVPCOfferings", id=offering["id"])[0] == 431    # the id no longer names anything


def test_isolated_network_allocated_then_implemented_by_first_vm(admin, user_a, make_network, deploy):
    network = make_network(user_a, name="iso1")
    assert network["state"] == "Allocated" and network["type"] == "Isolated"
    assert (network["cidr"], network["gateway"], network["netmask"]) == ("10.1.1.0/24", "10.1.1.1", "255.255.255.0")
    assert "broadcasturi" not in network and network["account"] == user_a.account["name"]
    assert user_a.items("listPublicIpAddresses", "publicipaddress", associatednetworkid=network["id"]) == []
    assert admin.items("listRouters", "router", listall=True, networkid=network["id"]) == []

    vm = deploy(user_a, network)
    nic = vm["nic"][0]
    assert nic["networkid"] == network["id"] and nic["gateway"] == "10.1.1.1"
    implemented = user_a.items("listNetworks", "network", id=network["id"])[0]
    assert implemented["state"] == "Implemented" and implemented["broadcasturi"].startswith("vlan://")
    assert nic["broadcasturi"] == implemented["broadcasturi"]
    source_nat = user_a.items("listPublicIpAddresses", "publicipaddress", associatednetworkid=network["id"])
    assert len(source_nat) == 1 and source_nat[0]["issourcenat"] is True and source_nat[0]["state"] == "Allocated"
    routers = admin.items("listRouters", "router", listall=True, networkid=network["id"])
    assert len(routers) == 1 and routers[0]["state"] == "Running" and routers[0]["publicip"] == source_nat[0]["ipaddress"]
    assert routers[0]["guestipaddress"] == "10.1.1.1" and routers[0]["account"] == user_a.account["name"]
    # A second VM changes nothing: same router, same source NAT address.
    deploy(user_a, network)
    assert len(admin.items("listRouters", "router", listall=True, networkid=network["id"])) == 1
    assert len(user_a.items("listPublicIpAddresses", "publicipaddress", associatednetworkid=network["id"])) == 1


def test_restart_needs_an_implemented_network_and_cleanup_replaces_router(admin, user_a, make_network, deploy):
    network = make_network(user_a, name="iso-restart")
    # As on a real server, an Allocated network cannot be restarted (InvalidParameterValueException in the job: 431).
    assert user_a.run_fails("restartNetwork", id=network["id"]) == (
        431, "Network is not in the right state to be restarted. Correct states are: Implemented, Setup")
    assert user_a.items("listNetworks", "network", id=network["id"])[0]["state"] == "Allocated"
    deploy(user_a, network)
    assert user_a.run("restartNetwork", id=network["id"]) == {"success": True}
    first = admin.items("listRouters", "router", listall=True, networkid=network["id"])
    assert len(first) == 1
    user_a.run("restartNetwork", id=network["id"])
    assert [r["id"] for r in admin.items("listRouters", "router", listall=True, networkid=network["id"])] == [first[0]["id"]]
    user_a.run("restartNetwork", id=network["id"], cleanup=True)
    replaced = admin.items("listRouters", "router", listall=True, networkid=network["id"])
    assert len(replaced) == 1 and replaced[0]["id"] != first[0]["id"]
    events = user_a.items("listEvents", "event", type="NETWORK.RESTART")
    assert sum(1 for e in events if e.get("resourceid") == network["id"]) == 3     # the refused one made none


def test_custom_cidr_and_gateway_netmask_together(user_a, make_network):
    network = make_network(user_a, name="iso-cidr", gateway="10.20.30.1", netmask="255.255.255.240")
    assert network["cidr"] == "10.20.30.0/28" and network["gateway"] == "10.20.30.1"
    code, cs, text = user_a.error("createNetwork", name="x", displaytext="x", zoneid=network["zoneid"],
                                  networkofferingid=network["networkofferingid"], gateway="10.9.9.1")
    assert (code, cs) == (431, 4350) and "gateway and netmask" in text


def test_shared_network_setup_admin_only(admin, user_a, make_network, cloud, deploy):
    params = {"vlan": "300", "gateway": "10.50.0.1", "netmask": "255.255.255.0", "startip": "10.50.0.10", "endip": "10.50.0.20"}
    code, _cs, text = user_a.error("createNetwork", name="sh", displaytext="sh", zoneid=cloud["zone"]["id"],
                                  networkofferingid=cloud["offerings"][SHARED]["id"], **params)
    assert code == 531 and "Only Admins" in text
    shared = make_network(admin, SHARED, name="shared1", **params)
    assert shared["state"] == "Setup" and shared["type"] == "Shared" and shared["broadcasturi"] == "vlan://300"
    assert shared["acltype"] == "Domain" and "account" not in shared
    # Same VLAN again: the real overlap error; a VLAN of the dynamic guest range is refused too.
    again = admin.error("createNetwork", name="sh2", displaytext="sh2", zoneid=cloud["zone"]["id"],
                        networkofferingid=cloud["offerings"][SHARED]["id"], **params)
    assert again[0] == 431 and "vlan 300 already exists" in again[2]
    dynamic = admin.error("createNetwork", name="sh3", displaytext="sh3", zoneid=cloud["zone"]["id"],
                          networkofferingid=cloud["offerings"][SHARED]["id"], **{**params, "vlan": "150"})
    assert "dynamic vlan allocation" in dynamic[2]
    # A domain-wide shared network is visible to (and usable by) users of the domain.
    assert shared["id"] in {n["id"] for n in user_a.items("listNetworks", "network", type="Shared")}
    vm = deploy(user_a, shared)
    address = vm["nic"][0]["ipaddress"]
    assert 10 <= int(address.rsplit(".", 1)[1]) <= 20
    assert user_a.items("listNetworks", "network", id=shared["id"])[0]["state"] == "Setup"
    # Its guest range is an IP range of the network; another range can be added and used.
    ranges = admin.items("listVlanIpRanges", "vlaniprange", networkid=shared["id"])
    assert [(r["startip"], r["endip"], r["forvirtualnetwork"]) for r in ranges] == [("10.50.0.10", "10.50.0.20", False)]
    admin.ok("createVlanIpRange", networkid=shared["id"], startip="10.50.0.100", endip="10.50.0.101",
             gateway="10.50.0.1", netmask="255.255.255.0", vlan="300", forvirtualnetwork=False)
    assert deploy(user_a, shared, ipaddress="10.50.0.101")["nic"][0]["ipaddress"] == "10.50.0.101"
    # Guest ranges are never handed out as public addresses.
    public = admin.items("listPublicIpAddresses", "publicipaddress", allocatedonly=False, forvirtualnetwork=True,
                         pagesize=-1)
    assert not [ip for ip in public if ip["ipaddress"].startswith("10.50.")]


def test_l2_network(user_a, make_network, deploy):
    network = make_network(user_a, L2, name="l2")
    assert network["type"] == "L2" and network["state"] == "Allocated" and "cidr" not in network
    vm = deploy(user_a, network)
    assert "ipaddress" not in vm["nic"][0] and vm["nic"][0]["macaddress"].startswith("02:00:")
    assert user_a.items("listNetworks", "network", id=network["id"])[0]["state"] == "Implemented"


def test_list_networks_filters_and_scope(admin, user_a, user_b, make_network, cloud):
    a_net = make_network(user_a, name="filter-a")
    b_net = make_network(user_b, name="filter-b")
    a_ids = {n["id"] for n in user_a.items("listNetworks", "network")}
    assert a_net["id"] in a_ids and b_net["id"] not in a_ids
    # listall changes nothing for a user; admins see only their own account without it.
    assert b_net["id"] not in {n["id"] for n in user_a.items("listNetworks", "network", listall=True)}
    admin_own = {n["id"] for n in admin.items("listNetworks", "network")}
    assert a_net["id"] not in admin_own
    everything = {n["id"] for n in admin.items("listNetworks", "network", listall=True)}
    assert {a_net["id"], b_net["id"]} <= everything
    by_account = admin.items("listNetworks", "network", account=user_b.account["name"], domainid=user_b.account["domainid"])
    assert {n["id"] for n in by_account} >= {b_net["id"]} and a_net["id"] not in {n["id"] for n in by_account}
    assert all(n["type"] == "Isolated" for n in user_a.items("listNetworks", "network", type="isolated"))
    assert user_a.items("listNetworks", "network", type="L2", keyword="filter-a") == []
    assert [n["id"] for n in user_a.items("listNetworks", "network", keyword="filter-a")] == [a_net["id"]]
    with_lb = {n["id"] for n in user_a.items("listNetworks", "network", supportedservices="Lb,SourceNat")}
    assert a_net["id"] in with_lb
    assert a_net["id"] not in {n["id"] for n in user_a.items("listNetworks", "network", supportedservices="SecurityGroup")}
    assert a_net["id"] not in {n["id"] for n in user_a.items("listNetworks", "network", forvpc=True)}
    # Another account's network by id: not listed; a user naming another account: 531.
    assert user_a.items("listNetworks", "network", id=b_net["id"]) == []
    code, cs, _ = user_a.error("listNetworks", account=user_b.account["name"])
    assert (code, cs) == (531, 4365)
    # Paging: count is the total, pages hold pagesize items (a second network of its own, whatever ran before).
    make_network(user_a, name="filter-a2")
    page = user_a.ok("listNetworks", page=1, pagesize=1)
    assert page["count"] >= 2 and len(page["network"]) == 1


def test_cross_account_network_is_untouchable(user_a, user_b, make_network, cloud):
    network = make_network(user_a, name="private-a")
    for command, extra in (("updateNetwork", {"name": "stolen"}), ("restartNetwork", {}), ("deleteNetwork", {})):
        code, cs, text = user_b.error(command, id=network["id"], **extra)
        assert (code, cs) == (531, 4365) and network["id"] in text, (command, text)
    code, _, _ = user_b.error("associateIpAddress", networkid=network["id"])
    assert code == 531
    code, _, _ = user_b.error("deployVirtualMachine", zoneid=cloud["zone"]["id"], templateid=cloud["template"]["id"],
                              serviceofferingid=cloud["small"]["id"], networkids=network["id"])
    assert code == 531
    assert user_a.items("listNetworks", "network", id=network["id"])[0]["name"] == "private-a"


def test_update_network(user_a, make_network, cloud):
    network = make_network(user_a, name="upd")
    started = user_a.start("updateNetwork", id=network["id"], name="upd2", displaytext="updated")
    assert set(started) == {"jobid"}
    job = user_a.wait(started["jobid"])
    assert job["jobstatus"] == 1 and job["jobinstancetype"] == "Network" and job["jobinstanceid"] == network["id"]
    updated = job["jobresult"]["network"]
    assert (updated["name"], updated["displaytext"]) == ("upd2", "updated")
    # Changing to an offering of another guest type fails in the job (530, as on a real server).
    code, text = user_a.run_fails("updateNetwork", id=network["id"], networkofferingid=cloud["offerings"][L2]["id"])
    assert code == 431 and "Can't upgrade from network offering" in text


def test_delete_network_in_use_then_free(admin, user_a, make_network, deploy):
    network = make_network(user_a, name="del")
    vm = deploy(user_a, network)
    # A real server only logs "... as it has active Nics" and answers the command's generic failure.
    assert user_a.run_fails("deleteNetwork", id=network["id"]) == (530, "Failed to delete network")
    assert user_a.items("listNetworks", "network", id=network["id"])[0]["state"] == "Implemented"
    source_nat = user_a.items("listPublicIpAddresses", "publicipaddress", associatednetworkid=network["id"])[0]
    admin.run("destroyVirtualMachine", id=vm["id"], expunge=True)
    assert user_a.run("deleteNetwork", id=network["id"]) == {"success": True}
    assert user_a.items("listNetworks", "network", id=network["id"]) == []
    assert admin.items("listRouters", "router", listall=True, networkid=network["id"]) == []
    # Its source NAT address went back to the pool.
    freed = admin.items("listPublicIpAddresses", "publicipaddress", id=source_nat["id"], allocatedonly=False)
    assert freed[0]["state"] == "Free" and "account" not in freed[0]
    events = {e["type"] for e in user_a.items("listEvents", "event")}
    assert {"NETWORK.CREATE", "NETWORK.DELETE"} <= events


def test_network_limit_is_enforced(admin, make_network, cloud):
    from netclient import new_user

    limited = new_user(admin, "netlimit")
    admin.ok("updateResourceLimit", account=limited.account["name"], domainid=limited.account["domainid"],
             resourcetype=6, max=1)
    make_network(limited, name="only-one")
    code, _, text = limited.error("createNetwork", name="two", displaytext="two", zoneid=cloud["zone"]["id"],
                                  networkofferingid=cloud["offerings"][ISOLATED]["id"])
    assert code == 532 and "network" in text


def test_default_network_for_vm_without_networkids(user_b, deploy):
    vm = deploy(user_b)
    network = user_b.items("listNetworks", "network", id=vm["nic"][0]["networkid"])[0]
    assert network["type"] == "Isolated" and network["state"] == "Implemented"


def test_domain_scope_of_shared_and_account_networks(admin, make_network, cloud):
    from netclient import new_user

    root = admin.items("listDomains", "domain", name="ROOT")[0]
    sub = admin.ok("createDomain", name="netsub", parentdomainid=root["id"])["domain"]
    sub_user = new_user(admin, "netsub", domainid=sub["id"])
    ranges = {"gateway": "10.61.0.1", "netmask": "255.255.255.0", "startip": "10.61.0.10", "endip": "10.61.0.20"}
    open_net = make_network(admin, SHARED, name="root-open", vlan="310", subdomainaccess=True, **ranges)
    closed_net = make_network(admin, SHARED, name="root-closed", vlan="311", subdomainaccess=False,
                              **{**ranges, "gateway": "10.62.0.1", "startip": "10.62.0.10", "endip": "10.62.0.20"})
    visible = {n["id"] for n in sub_user.items("listNetworks", "network", type="Shared")}
    assert open_net["id"] in visible and closed_net["id"] not in visible
    own = make_network(sub_user, name="sub-own")
    assert own["domainid"] == sub["id"]
    assert own["id"] in {n["id"] for n in admin.items("listNetworks", "network", domainid=sub["id"])}
    assert own["id"] not in {n["id"] for n in admin.items("listNetworks", "network", domainid=root["id"])}
    assert own["id"] in {n["id"] for n in admin.items("listNetworks", "network", domainid=root["id"], isrecursive=True)}
    # Offerings without specifyVlan refuse a VLAN.
    code, _, text = admin.error("createNetwork", name="v", displaytext="v", zoneid=cloud["zone"]["id"],
                                networkofferingid=cloud["offerings"][ISOLATED]["id"], vlan="120")
    assert (code, text) == (431, "Can't specify vlan; corresponding offering says specifyVlan=false")


def test_network_tags(user_a, user_b, make_network):
    network = make_network(user_a, name="tagged")
    user_a.run("createTags", resourceids=network["id"], resourcetype="Network", **{"tags[0].key": "tier", "tags[0].value": "web"})
    tagged = user_a.items("listNetworks", "network", **{"tags[0].key": "tier", "tags[0].value": "web"})
    assert [n["id"] for n in tagged] == [network["id"]] and tagged[0]["tags"][0]["key"] == "tier"
    assert user_b.error("createTags", resourceids=network["id"], resourcetype="Network",
                        **{"tags[0].key": "x", "tags[0].value": "y"})[0] == 531


def test_delete_network_drops_the_tags_of_the_addresses_it_releases(admin, user_a, make_network, deploy):
    # A real server removes the tags of every public IP it releases, with its network as with disassociateIpAddress.
    network = make_network(user_a, name="tagged-nat")
    source_nat = user_a.run("associateIpAddress", networkid=network["id"])["ipaddress"]
    other = user_a.run("associateIpAddress", networkid=network["id"])["ipaddress"]
    assert source_nat["issourcenat"] is True and other["issourcenat"] is False
    for ip in (source_nat, other):
        user_a.run("createTags", resourceids=ip["id"], resourcetype="PublicIpAddress",
                   **{"tags[0].key": "owner", "tags[0].value": "tagged-nat"})
    deploy(user_a, network)                       # implemented: the source NAT address can only go with the network
    vm = user_a.items("listVirtualMachines", "virtualmachine", networkid=network["id"])[0]
    admin.run("destroyVirtualMachine", id=vm["id"], expunge=True)
    assert user_a.run("deleteNetwork", id=network["id"]) == {"success": True}
    for ip in (source_nat, other):
        freed = admin.items("listPublicIpAddresses", "publicipaddress", id=ip["id"], allocatedonly=False)[0]
        assert freed["state"] == "Free" and freed["tags"] == []
        assert admin.items("listTags", "tag", resourceid=ip["id"], listall=True) == []


def test_guest_range_with_addresses_in_use_cannot_be_deleted(admin, user_a, make_network, deploy):
    # A shared network's guest range whose addresses NICs hold (a VM's, the router's) is refused with the text of
    # CloudStack's ConfigurationManagerImpl.deleteVlanAndPublicIpRange (InvalidParameterValueException: 431).
    params = {"vlan": "320", "gateway": "10.52.0.1", "netmask": "255.255.255.0", "startip": "10.52.0.10", "endip": "10.52.0.20"}
    shared = make_network(admin, SHARED, name="shared-del", **params)
    (first,) = admin.items("listVlanIpRanges", "vlaniprange", networkid=shared["id"])
    # The router takes a random free address when the first VM starts; deploying before the spare range exists
    # keeps both the VM's and the router's addresses in the first range on every run.
    vm = deploy(user_a, shared, ipaddress="10.52.0.15")
    spare = admin.ok("createVlanIpRange", networkid=shared["id"], startip="10.52.0.100", endip="10.52.0.101",
                     gateway="10.52.0.1", netmask="255.255.255.0", vlan="320", forvirtualnetwork=False)["vlan"]
    (router,) = admin.items("listRouters", "router", listall=True, networkid=shared["id"])
    router_ip = int(router["guestipaddress"].rsplit(".", 1)[1])
    assert router["guestipaddress"].startswith("10.52.0.") and 10 <= router_ip <= 20 and router_ip != 15
    assert vm["nic"][0]["ipaddress"] == "10.52.0.15"
    code, cs, text = admin.error("deleteVlanIpRange", id=first["id"])
    assert (code, cs, text) == (431, 4350, "2  Ips are in use. Cannot delete this vlan")
    assert admin.ok("deleteVlanIpRange", id=spare["id"]) == {"success": True}      # nobody's address in it
    admin.run("destroyVirtualMachine", id=vm["id"], expunge=True)
    assert admin.error("deleteVlanIpRange", id=first["id"])[2] == "1  Ips are in use. Cannot delete this vlan"
    assert [r["id"] for r in admin.items("listVlanIpRanges", "vlaniprange", networkid=shared["id"])] == [first["id"]]
    admin.run("deleteNetwork", id=shared["id"])               # the network's delete takes its ranges along
    assert admin.items("listVlanIpRanges", "vlaniprange", networkid=shared["id"]) == []


def test_deleting_an_account_removes_its_networks_and_releases_its_addresses(admin, cloud, make_network, deploy):
    # A real server's account cleanup deletes the account's networks (routers, rules) and releases its public IPs.
    from netclient import new_user

    doomed = new_user(admin, "netgone")
    network = make_network(doomed, name="goes-with-account")
    deploy(doomed, network)
    addresses = doomed.items("listPublicIpAddresses", "publicipaddress", associatednetworkid=network["id"])
    extra = doomed.run("associateIpAddress", networkid=network["id"])["ipaddress"]
    doomed.run("createFirewallRule", ipaddressid=extra["id"], protocol="tcp", startport=22)
    doomed.run("createTags", resourceids=extra["id"], resourcetype="PublicIpAddress",
               **{"tags[0].key": "k", "tags[0].value": "v"})
    admin.run("deleteAccount", id=doomed.account["id"])
    assert admin.items("listNetworks", "network", id=network["id"], listall=True) == []
    assert admin.items("listRouters", "router", listall=True, networkid=network["id"]) == []
    for ip in [*addresses, extra]:
        freed = admin.items("listPublicIpAddresses", "publicipaddress", id=ip["id"], allocatedonly=False)[0]
        assert freed["state"] == "Free" and "account" not in freed and freed["tags"] == []
    assert admin.items("listFirewallRules", "firewallrule", listall=True, ipaddressid=extra["id"]) == []
