"""Address allocation: guest IPs inside a network and public IPs from the
zone's ranges never go out twice (also under concurrent requests), and
running out answers with the real error codes."""
from __future__ import annotations

import ipaddress
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import yaml
from netclient import ISOLATED, Client, new_user

from marvin2.simulator import start_simulator
from marvin2.simulator.model import SEEDS_DIR


def _clone(client: Client) -> Client:
    """Another connection with the same keys (one HTTP session per thread)."""
    clone = Client(client.endpoint, client.api_key, client._secret, client.label)
    clone.account = client.account
    return clone


def test_guest_ips_unique_under_concurrent_deploys_then_533(admin, make_network, cloud):
    owner = new_user(admin, "ipconc")
    admin.ok("updateResourceLimit", account=owner.account["name"], domainid=owner.account["domainid"],
             resourcetype=0, max=40)
    # A /28: gateway .1, VMs may get .2 - .14, that is 13 addresses for 16 concurrent deploys.
    network = make_network(owner, name="small", gateway="10.7.7.1", netmask="255.255.255.240")
    base = {"zoneid": cloud["zone"]["id"], "templateid": cloud["template"]["id"],
            "serviceofferingid": cloud["small"]["id"], "networkids": network["id"]}

    def deploy_one(_):
        client = _clone(owner)
        status, inner = client.call("deployVirtualMachine", **base)
        if status != 200:
            return ("error", inner["errorcode"], inner["errortext"])
        job = client.wait(inner["jobid"])
        if job["jobstatus"] != 1:
            return ("jobfailed", job["jobresult"]["errorcode"], job["jobresult"]["errortext"])
        return ("ok", job["jobresult"]["virtualmachine"]["nic"][0]["ipaddress"],
                job["jobresult"]["virtualmachine"]["nic"][0]["macaddress"])

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(deploy_one, range(16)))
    deployed = [r for r in results if r[0] == "ok"]
    refused = [r for r in results if r[0] != "ok"]
    addresses = [r[1] for r in deployed]
    assert len(deployed) == 13 and len(set(addresses)) == 13, results
    assert all(ipaddress.IPv4Address(a) in ipaddress.IPv4Network("10.7.7.0/28") for a in addresses)
    assert "10.7.7.1" not in addresses and len({r[2] for r in deployed}) == 13
    assert len(refused) == 3 and all(r[:2] == ("error", 533) for r in refused), refused
    assert all("Unable to acquire Guest IP address for network" in r[2] for r in refused)
    # What the server reports agrees with what the clients got.
    listed = owner.items("listVirtualMachines", "virtualmachine", networkid=network["id"])
    assert sorted(vm["nic"][0]["ipaddress"] for vm in listed) == sorted(addresses)


def test_requested_guest_ip(user_a, make_network, deploy, cloud):
    network = make_network(user_a, name="requested", gateway="10.8.8.1", netmask="255.255.255.0")
    vm = deploy(user_a, network, ipaddress="10.8.8.50")
    assert vm["nic"][0]["ipaddress"] == "10.8.8.50"
    base = {"zoneid": cloud["zone"]["id"], "templateid": cloud["template"]["id"],
            "serviceofferingid": cloud["small"]["id"], "networkids": network["id"]}
    for taken in ("10.8.8.50", "10.8.8.1", "10.9.9.9"):
        code, _, text = user_a.error("deployVirtualMachine", ipaddress=taken, **base)
        assert code == 533 and "Unable to acquire Guest IP address" in text, (taken, text)
    code, _cs, text = user_a.error("deployVirtualMachine", ipaddress="10.8.8.999", **base)
    assert code == 431 and "Invalid specified IPv4 address 10.8.8.999" in text


def test_public_ips_unique_under_concurrent_associate(admin, make_network):
    owner = new_user(admin, "pubconc")
    admin.ok("updateResourceLimit", account=owner.account["name"], domainid=owner.account["domainid"],
             resourcetype=1, max=100)
    network = make_network(owner, name="pub")

    def acquire(_):
        client = _clone(owner)
        started = client.start("associateIpAddress", networkid=network["id"])
        job = client.wait(started["jobid"])
        assert job["jobstatus"] == 1, job
        ip = job["jobresult"]["ipaddress"]
        assert ip["id"] == started["id"]
        return ip["ipaddress"]

    with ThreadPoolExecutor(max_workers=8) as pool:
        addresses = list(pool.map(acquire, range(24)))
    assert len(set(addresses)) == 24
    listed = owner.items("listPublicIpAddresses", "publicipaddress", associatednetworkid=network["id"])
    assert sorted(ip["ipaddress"] for ip in listed) == sorted(addresses)
    # Exactly one of them became the network's source NAT address (the first acquired on it).
    assert sum(ip["issourcenat"] for ip in listed) == 1


@pytest.fixture(scope="module")
def tiny_cloud(tmp_path_factory):
    """A simulator whose zone has only 3 public addresses left (5, of which its SSVM and CPVM hold two)."""
    seed = yaml.safe_load((SEEDS_DIR / "default.yaml").read_text())
    seed["zones"][0]["ipranges"] = [{"startip": "192.168.9.2", "endip": "192.168.9.6", "netmask": "255.255.255.0",
                                     "gateway": "192.168.9.1", "vlan": "50"}]
    path = Path(tmp_path_factory.mktemp("seed")) / "tiny.yaml"
    path.write_text(yaml.safe_dump(seed))
    simulator = start_simulator(port=0, db=":memory:", profile="instant", seed=str(path))
    yield simulator
    simulator.stop()


def test_public_ip_exhaustion_is_533(tiny_cloud):
    admin = Client(tiny_cloud.endpoint, tiny_cloud.admin_api_key, tiny_cloud.admin_secret_key, "admin")
    zone = admin.items("listZones", "zone")[0]
    offering = admin.items("listNetworkOfferings", "networkoffering", name=ISOLATED)[0]
    owner = new_user(admin, "tiny")
    network = owner.ok("createNetwork", name="t", displaytext="t", zoneid=zone["id"],
                       networkofferingid=offering["id"])["network"]
    got = [owner.run("associateIpAddress", networkid=network["id"])["ipaddress"]["ipaddress"] for _ in range(3)]
    assert sorted(got) == ["192.168.9.4", "192.168.9.5", "192.168.9.6"]
    code, cs, text = owner.error("associateIpAddress", networkid=network["id"])
    assert (code, cs, text) == (533, 4325, "Insufficient address capacity")
    # Releasing one makes it available again (not the source NAT one, which cannot be released).
    non_nat = [ip for ip in owner.items("listPublicIpAddresses", "publicipaddress") if not ip["issourcenat"]]
    owner.run("disassociateIpAddress", id=non_nat[0]["id"])
    again = owner.run("associateIpAddress", networkid=network["id"])["ipaddress"]
    assert again["ipaddress"] == non_nat[0]["ipaddress"]
    # Implementing a network needs a source NAT address: none left -> the VM deploy fails with 533.
    other = owner.ok("createNetwork", name="t2", displaytext="t2", zoneid=zone["id"],
                     networkofferingid=offering["id"])["network"]
    template = admin.items("listTemplates", "template", templatefilter="featured")[0]
    small = admin.items("listServiceOfferings", "serviceoffering", name="Small Instance")[0]
    code, text = owner.run_fails("deployVirtualMachine", zoneid=zone["id"], templateid=template["id"],
                                 serviceofferingid=small["id"], networkids=other["id"])
    assert code == 533 and text == "Insufficient address capacity"
    assert owner.items("listNetworks", "network", id=other["id"])[0]["state"] == "Allocated"


def test_public_ip_limit_is_532(admin, make_network):
    owner = new_user(admin, "iplimit")
    admin.ok("updateResourceLimit", account=owner.account["name"], domainid=owner.account["domainid"],
             resourcetype=1, max=1)
    network = make_network(owner, name="lim")
    owner.run("associateIpAddress", networkid=network["id"])
    code, _, text = owner.error("associateIpAddress", networkid=network["id"])
    assert code == 532 and "public_ip" in text
