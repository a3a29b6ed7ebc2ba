"""Network checks as CloudStack 4.20 makes them (issue 10 item 3): conserve mode of an offering
(NetworkModelImpl.checkIpForService) and createNetwork's gateway/netmask rules (NetworkServiceImpl,
NetworkOrchestrator)."""
from __future__ import annotations

import uuid

from netclient import ISOLATED, VPC_TIER


def test_non_conserve_mode_gives_each_public_ip_one_service(admin, user_a, cloud):
    offering = admin.ok("createNetworkOffering", name=f"nc-{uuid.uuid4().hex[:6]}", displaytext="no conserve",
                        guestiptype="Isolated", traffictype="Guest", conservemode=False, enable=True,
                        supportedservices="Dhcp,Dns,SourceNat,PortForwarding,Lb,Firewall,StaticNat")["networkoffering"]
    assert offering["conservemode"] is False
    network = user_a.ok("createNetwork", name="nc", displaytext="nc", zoneid=cloud["zone"]["id"],
                        networkofferingid=offering["id"])["network"]
    vm = user_a.run("deployVirtualMachine", zoneid=cloud["zone"]["id"], templateid=cloud["template"]["id"],
                    serviceofferingid=cloud["small"]["id"], networkids=network["id"])["virtualmachine"]
    ip = user_a.run("associateIpAddress", networkid=network["id"])["ipaddress"]
    user_a.run("createPortForwardingRule", ipaddressid=ip["id"], privateport=22, publicport=22, protocol="tcp",
               virtualmachineid=vm["id"])
    # Firewall rules may join any service; another service may not.
    user_a.run("createFirewallRule", ipaddressid=ip["id"], protocol="tcp", startport=443)
    user_a.run("createPortForwardingRule", ipaddressid=ip["id"], privateport=80, publicport=80, protocol="tcp",
               virtualmachineid=vm["id"])
    code, _, text = user_a.error("createLoadBalancerRule", publicipid=ip["id"], name="lb", algorithm="roundrobin",
                                 privateport=8080, publicport=8080)
    assert (code, text) == (431, f"The IP {ip['ipaddress']} is already used as PortForwarding rather than Lb")
    # The source NAT address serves SourceNat only.
    source_nat = next(a for a in user_a.items("listPublicIpAddresses", "publicipaddress",
                                              associatednetworkid=network["id"]) if a["issourcenat"])
    code, _, text = user_a.error("createPortForwardingRule", ipaddressid=source_nat["id"], privateport=22,
                                 publicport=2222, protocol="tcp", virtualmachineid=vm["id"])
    assert (code, text) == (431, f"The IP {source_nat['ipaddress']} is already used as SourceNat rather than PortForwarding")


def test_conserve_mode_lets_services_share_an_ip(user_a, cloud, make_network, deploy):
    network = make_network(user_a, name="conserve")
    vm = deploy(user_a, network)
    ip = user_a.run("associateIpAddress", networkid=network["id"])["ipaddress"]
    user_a.run("createPortForwardingRule", ipaddressid=ip["id"], privateport=22, publicport=22, protocol="tcp",
               virtualmachineid=vm["id"])
    user_a.run("createLoadBalancerRule", publicipid=ip["id"], name="lb", algorithm="roundrobin", privateport=80,
               publicport=80)


def test_gateway_checks(admin, user_a, cloud):
    zone = cloud["zone"]["id"]
    isolated = cloud["offerings"][ISOLATED]["id"]
    base = {"name": "g", "displaytext": "g", "zoneid": zone, "networkofferingid": isolated}
    cases = [
        ({"gateway": "10.9.0.0", "netmask": "255.255.255.0"}, "Invalid gateway IP provided. Either the IP is broadcast or network IP."),
        ({"gateway": "10.9.0.255", "netmask": "255.255.255.0"}, "Invalid gateway IP provided. Either the IP is broadcast or network IP."),
        ({"gateway": "10.9.0.300", "netmask": "255.255.255.0"}, "Gateway parameter is invalid"),
        ({"gateway": "10.9.0.1", "netmask": "255.0.255.0"}, "Invalid netmask"),
        ({"startip": "10.9.0.10"}, "gateway and netmask should be defined when startIP/endIP are passed in"),
    ]
    for params, text in cases:
        got = user_a.error("createNetwork", **base, **params)
        assert (got[0], got[2]) == (431, text), params
    made = user_a.ok("createNetwork", **base, gateway="10.9.0.1", netmask="255.255.255.0")["network"]
    assert (made["gateway"], made["cidr"]) == ("10.9.0.1", "10.9.0.0/24")
    # An isolated offering without SourceNat (and without Gateway) needs gateway/netmask.
    bare = admin.ok("createNetworkOffering", name=f"bare-{uuid.uuid4().hex[:6]}", displaytext="bare",
                    guestiptype="Isolated", traffictype="Guest", supportedservices="Dhcp,Dns", enable=True)["networkoffering"]
    got = user_a.error("createNetwork", name="b", displaytext="b", zoneid=zone, networkofferingid=bare["id"])
    expected = "gateway/netmask are required when create network of type Isolated with service SourceNat disabled"
    assert (got[0], got[2]) == (431, expected)


def test_source_nat_address_chosen_at_creation(admin, user_a, cloud):
    zone = cloud["zone"]["id"]
    free = [a for a in admin.items("listPublicIpAddresses", "publicipaddress", zoneid=zone, allocatedonly=False)
            if a["state"] == "Free"]
    wanted = free[-1]["ipaddress"]
    network = user_a.ok("createNetwork", name="snat", displaytext="snat", zoneid=zone,
                        networkofferingid=cloud["offerings"][ISOLATED]["id"], sourcenatipaddress=wanted)["network"]
    owned = user_a.items("listPublicIpAddresses", "publicipaddress", associatednetworkid=network["id"])
    assert [(a["ipaddress"], a["issourcenat"]) for a in owned] == [(wanted, True)]
    # Implementing the network (its first VM) keeps that address as the source NAT one.
    user_a.run("deployVirtualMachine", zoneid=zone, templateid=cloud["template"]["id"],
               serviceofferingid=cloud["small"]["id"], networkids=network["id"])
    snat = [a for a in user_a.items("listPublicIpAddresses", "publicipaddress", associatednetworkid=network["id"])
            if a["issourcenat"]]
    assert [a["ipaddress"] for a in snat] == [wanted]
    # An address that is taken is refused, and no network is left behind.
    got = user_a.error("createNetwork", name="snat2", displaytext="snat2", zoneid=zone,
                       networkofferingid=cloud["offerings"][ISOLATED]["id"], sourcenatipaddress=wanted)
    assert got[0] == 431 and wanted in got[2]
    assert "snat2" not in {n["name"] for n in user_a.items("listNetworks", "network")}


def test_persistent_l2_network_is_implemented_at_creation(admin, user_a, cloud):
    offering = admin.ok("createNetworkOffering", name=f"l2p-{uuid.uuid4().hex[:6]}", displaytext="l2 persistent",
                        guestiptype="L2", traffictype="Guest", ispersistent=True, enable=True)["networkoffering"]
    assert offering["ispersistent"] is True
    network = user_a.ok("createNetwork", name="l2p", displaytext="l2p", zoneid=cloud["zone"]["id"],
                        networkofferingid=offering["id"])["network"]
    assert network["state"] == "Implemented" and network["type"] == "L2"
    assert network["broadcasturi"].startswith("vlan://")
    listed = user_a.items("listNetworks", "network", id=network["id"])[0]
    assert listed["state"] == "Implemented"


def test_persistent_l2_network_with_a_vlan_is_implemented_at_creation(admin, user_a, cloud):
    offering = admin.ok("createNetworkOffering", name=f"l2v-{uuid.uuid4().hex[:6]}", displaytext="l2 vlan persistent",
                        guestiptype="L2", traffictype="Guest", ispersistent=True, specifyvlan=True,
                        enable=True)["networkoffering"]
    network = admin.ok("createNetwork", name="l2v", displaytext="l2v", zoneid=cloud["zone"]["id"],
                       networkofferingid=offering["id"], vlan="3999", account=user_a.account["name"],
                       domainid=user_a.account["domainid"])["network"]
    assert (network["state"], network["vlan"], network["type"]) == ("Implemented", "3999", "L2")
    # Without persistence the same kind of network stays in Setup.
    plain = admin.ok("createNetworkOffering", name=f"l2s-{uuid.uuid4().hex[:6]}", displaytext="l2 vlan",
                     guestiptype="L2", traffictype="Guest", specifyvlan=True, enable=True)["networkoffering"]
    other = admin.ok("createNetwork", name="l2s", displaytext="l2s", zoneid=cloud["zone"]["id"],
                     networkofferingid=plain["id"], vlan="3998", account=user_a.account["name"],
                     domainid=user_a.account["domainid"])["network"]
    assert other["state"] == "Setup"


def test_egress_rules_refused_on_vpc_tiers(user_a, cloud):
    vpc = user_a.run("createVPC", name="eg", displaytext="eg", cidr="10.80.0.0/16",
                     vpcofferingid=cloud["vpc_offering"]["id"], zoneid=cloud["zone"]["id"])["vpc"]
    tier = user_a.ok("createNetwork", name="t", displaytext="t", zoneid=cloud["zone"]["id"], vpcid=vpc["id"],
                     networkofferingid=cloud["offerings"][VPC_TIER]["id"], gateway="10.80.1.1",
                     netmask="255.255.255.0")["network"]
    got = user_a.error("createEgressFirewallRule", networkid=tier["id"], protocol="all", cidrlist="0.0.0.0/0")
    expected = (f"Unable to create firewall rule for the network id=[{tier['id']}] as firewall egress rule can be "
                "created only for non VPC networks.")
    assert (got[0], got[2]) == (431, expected)
