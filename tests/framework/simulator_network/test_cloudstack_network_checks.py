"""Network checks as CloudStack 4.20 makes them (issue 10 item 3): conserve mode of an offering
(NetworkModelImpl.checkIpForService) and createNetwork's gateway/netmask rules (NetworkServiceImpl,
NetworkOrchestrator)."""
from __future__ import annotations

import uuid

from netclient import ISOLATED


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
    source_nat = [a for a in user_a.items("listPublicIpAddresses", "publicipaddress", associatednetworkid=network["id"])
                  if a["issourcenat"]][0]
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
    assert (got[0], got[2]) == (431, "gateway/netmask are required when create network of type Isolated with service "
                                     "SourceNat disabled")
