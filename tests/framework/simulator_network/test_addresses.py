"""Public IP addresses and static NAT over signed HTTP."""
from __future__ import annotations

import pytest


@pytest.fixture(scope="module")
def implemented(user_a, cloud):
    """An isolated network of user A with a running VM (so it has a source NAT address)."""
    network = user_a.ok("createNetwork", name="addr", displaytext="addr", zoneid=cloud["zone"]["id"],
                        networkofferingid=cloud["offerings"]["DefaultIsolatedNetworkOfferingWithSourceNatService"]["id"])["network"]
    vm = user_a.run("deployVirtualMachine", zoneid=cloud["zone"]["id"], templateid=cloud["template"]["id"],
                    serviceofferingid=cloud["small"]["id"], networkids=network["id"])["virtualmachine"]
    return {"network": network, "vm": vm}


def test_associate_is_create_style_allocating_then_allocated(user_a, implemented):
    network = implemented["network"]
    started = user_a.start("associateIpAddress", networkid=network["id"])
    assert set(started) == {"id", "jobid"}
    job = user_a.wait(started["jobid"])
    assert job["jobstatus"] == 1 and job["jobinstancetype"] == "IpAddress" and job["jobinstanceid"] == started["id"]
    ip = job["jobresult"]["ipaddress"]
    assert ip["id"] == started["id"] and ip["state"] == "Allocated" and ip["issourcenat"] is False
    assert ip["associatednetworkid"] == network["id"] and ip["associatednetworkname"] == "addr"
    assert ip["account"] == user_a.account["name"] and ip["zonename"] == "Sandbox-simulator"
    assert ip["vlanname"] == "vlan://50" and ip["forvirtualnetwork"] is True
    events = user_a.items("listEvents", "event", type="NET.IPASSIGN")
    assert any(e.get("resourceid") == ip["id"] for e in events)


def test_first_ip_of_an_unimplemented_network_becomes_source_nat(user_a, cloud, deploy):
    network = user_a.ok("createNetwork", name="early", displaytext="early", zoneid=cloud["zone"]["id"],
                        networkofferingid=cloud["offerings"]["DefaultIsolatedNetworkOfferingWithSourceNatService"]["id"])["network"]
    first = user_a.run("associateIpAddress", networkid=network["id"])["ipaddress"]
    assert first["issourcenat"] is True
    # Until the network is implemented its source NAT address may still be released ...
    assert user_a.run("disassociateIpAddress", id=first["id"]) == {"success": True}
    first = user_a.run("associateIpAddress", networkid=network["id"])["ipaddress"]
    assert first["issourcenat"] is True
    deploy(user_a, network)
    nat = user_a.items("listPublicIpAddresses", "publicipaddress", associatednetworkid=network["id"], issourcenat=True)
    assert [ip["id"] for ip in nat] == [first["id"]]       # implementing reused it, no second source NAT address
    # ... afterwards never.
    assert user_a.run_fails("disassociateIpAddress", id=first["id"])[0] == 530


def test_list_public_ips_filters(admin, user_a, user_b, implemented):
    network = implemented["network"]
    mine = user_a.items("listPublicIpAddresses", "publicipaddress")
    assert mine and all(ip["account"] == user_a.account["name"] for ip in mine)
    nat = user_a.items("listPublicIpAddresses", "publicipaddress", issourcenat=True, associatednetworkid=network["id"])
    assert len(nat) == 1 and nat[0]["issourcenat"] is True
    assert all(not ip["issourcenat"] for ip in user_a.items("listPublicIpAddresses", "publicipaddress", issourcenat=False))
    assert user_b.items("listPublicIpAddresses", "publicipaddress", associatednetworkid=network["id"]) == []
    # allocatedonly=false shows the free addresses of the ranges too.
    free = admin.items("listPublicIpAddresses", "publicipaddress", allocatedonly=False, state="Free", pagesize=-1)
    assert free and all(ip["state"] == "Free" and "account" not in ip for ip in free)
    allocated = admin.ok("listPublicIpAddresses", listall=True)["count"]
    everything = admin.ok("listPublicIpAddresses", allocatedonly=False, listall=True)["count"]
    # 199 addresses; the seeded SSVM and CPVM hold two, which are not listed (no owner account).
    assert everything == allocated + len(free) and everything == 197
    by_address = admin.items("listPublicIpAddresses", "publicipaddress", ipaddress=nat[0]["ipaddress"], listall=True)
    assert [ip["id"] for ip in by_address] == [nat[0]["id"]]


def test_source_nat_address_cannot_be_released(user_a, implemented):
    nat = user_a.items("listPublicIpAddresses", "publicipaddress", issourcenat=True,
                       associatednetworkid=implemented["network"]["id"])[0]
    assert user_a.run_fails("disassociateIpAddress", id=nat["id"]) == (
        530, "ip address is used for source nat purposes and can not be disassociated.")
    assert user_a.items("listPublicIpAddresses", "publicipaddress", id=nat["id"])[0]["state"] == "Allocated"


def test_disassociate_frees_the_address(admin, user_a, implemented):
    ip = user_a.run("associateIpAddress", networkid=implemented["network"]["id"])["ipaddress"]
    assert user_a.run("disassociateIpAddress", id=ip["id"]) == {"success": True}
    assert user_a.items("listPublicIpAddresses", "publicipaddress", ipaddress=ip["ipaddress"]) == []
    freed = admin.items("listPublicIpAddresses", "publicipaddress", id=ip["id"], allocatedonly=False)[0]
    assert freed["state"] == "Free"
    code, _cs, _text = user_a.error("disassociateIpAddress", id=ip["id"])     # no longer the caller's
    assert code == 431


def test_other_accounts_address_is_untouchable(user_a, user_b, implemented):
    ip = user_a.run("associateIpAddress", networkid=implemented["network"]["id"])["ipaddress"]
    for command, params in (("disassociateIpAddress", {"id": ip["id"]}),
                            ("enableStaticNat", {"ipaddressid": ip["id"], "virtualmachineid": implemented["vm"]["id"]}),
                            ("createFirewallRule", {"ipaddressid": ip["id"], "protocol": "tcp", "startport": 22}),
                            ("disableStaticNat", {"ipaddressid": ip["id"]})):
        code, cs, _ = user_b.error(command, **params)
        assert (code, cs) == (531, 4365), command
    assert user_b.items("listPublicIpAddresses", "publicipaddress", id=ip["id"]) == []


def test_static_nat(user_a, implemented, deploy):
    network, vm = implemented["network"], implemented["vm"]
    ip = user_a.run("associateIpAddress", networkid=network["id"])["ipaddress"]
    assert user_a.ok("enableStaticNat", ipaddressid=ip["id"], virtualmachineid=vm["id"]) == {"success": True}
    listed = user_a.items("listPublicIpAddresses", "publicipaddress", isstaticnat=True, id=ip["id"])[0]
    assert listed["virtualmachineid"] == vm["id"] and listed["vmipaddress"] == vm["nic"][0]["ipaddress"]
    assert listed["virtualmachinename"] == vm["name"]
    # The same VM address cannot be NATed twice; another VM cannot take this address.
    second = user_a.run("associateIpAddress", networkid=network["id"])["ipaddress"]
    code, cs, text = user_a.error("enableStaticNat", ipaddressid=second["id"], virtualmachineid=vm["id"])
    assert code == 431 and "is already associated with ip" in text
    other_vm = deploy(user_a, network)
    code, cs, text = user_a.error("enableStaticNat", ipaddressid=ip["id"], virtualmachineid=other_vm["id"])
    assert (code, cs) == (537, 9999) and "already assigned to antoher vm" in text
    # No port forwarding on a static NAT address.
    code, cs, text = user_a.error("createPortForwardingRule", ipaddressid=ip["id"], privateport=22, publicport=22,
                                  protocol="tcp", virtualmachineid=vm["id"])
    assert code == 431 and "has static nat enabled" in text
    assert user_a.run("disableStaticNat", ipaddressid=ip["id"]) == {"success": True}
    cleared = user_a.items("listPublicIpAddresses", "publicipaddress", id=ip["id"])[0]
    assert cleared["isstaticnat"] is False and "virtualmachineid" not in cleared
    assert user_a.run_fails("disableStaticNat", ipaddressid=ip["id"]) == (
        431, "Specified IP address id is not associated with any vm Id")


def test_static_nat_refusals(user_a, user_b, implemented, cloud, deploy):
    network, vm = implemented["network"], implemented["vm"]
    nat = user_a.items("listPublicIpAddresses", "publicipaddress", issourcenat=True, associatednetworkid=network["id"])[0]
    code, cs, text = user_a.error("enableStaticNat", ipaddressid=nat["id"], virtualmachineid=vm["id"])
    assert code == 431 and "is a sourceNat ip address" in text
    # An address with port forwarding rules: 537.
    ip = user_a.run("associateIpAddress", networkid=network["id"])["ipaddress"]
    user_a.run("createPortForwardingRule", ipaddressid=ip["id"], privateport=80, publicport=80, protocol="tcp",
               virtualmachineid=vm["id"], openfirewall=False)
    code, cs, text = user_a.error("enableStaticNat", ipaddressid=ip["id"], virtualmachineid=vm["id"])
    assert (code, cs) == (537, 9999) and "already has PortForwarding rules assigned" in text
    # A VM of another network of the account.
    other_net = user_a.ok("createNetwork", name="addr2", displaytext="addr2", zoneid=cloud["zone"]["id"],
                          networkofferingid=network["networkofferingid"])["network"]
    stranger = deploy(user_a, other_net)
    free_ip = user_a.run("associateIpAddress", networkid=network["id"])["ipaddress"]
    code, cs, text = user_a.error("enableStaticNat", ipaddressid=free_ip["id"], virtualmachineid=stranger["id"])
    assert code == 431 and text == "Vm doesn't belong to network associated with ipAddress"
    # Someone else's VM.
    b_vm = deploy(user_b)
    code, cs, _ = user_a.error("enableStaticNat", ipaddressid=free_ip["id"], virtualmachineid=b_vm["id"])
    assert code == 531


def test_vm_expunge_drops_its_static_nat_and_rules(admin, user_a, implemented, deploy):
    network = implemented["network"]
    vm = deploy(user_a, network)
    ip = user_a.run("associateIpAddress", networkid=network["id"])["ipaddress"]
    user_a.ok("enableStaticNat", ipaddressid=ip["id"], virtualmachineid=vm["id"])
    pf_ip = user_a.run("associateIpAddress", networkid=network["id"])["ipaddress"]
    rule = user_a.run("createPortForwardingRule", ipaddressid=pf_ip["id"], privateport=22, publicport=2222,
                      protocol="tcp", virtualmachineid=vm["id"])["portforwardingrule"]
    admin.run("destroyVirtualMachine", id=vm["id"], expunge=True)
    assert user_a.items("listPublicIpAddresses", "publicipaddress", id=ip["id"])[0]["isstaticnat"] is False
    assert user_a.items("listPortForwardingRules", "portforwardingrule", ipaddressid=pf_ip["id"]) == []
    assert rule["id"] not in {r["id"] for r in user_a.items("listPortForwardingRules", "portforwardingrule")}
