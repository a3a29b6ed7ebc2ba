"""Router actions, intermediate states of create-style commands (seen with a
slow timing profile), and an independent client (PyPI ``cs``) against the
network APIs."""
from __future__ import annotations

import time

import pytest
from cs import CloudStack, CloudStackApiException
from netclient import ISOLATED, SHARED, Client, new_user

from marvin2.simulator import start_simulator, timing

SLOW_PROFILE = "network-test-slow"
SLOW_SECONDS = 0.4


def test_router_stop_start_reboot_destroy(admin, user_a, make_network, deploy):
    network = make_network(user_a, name="routed")
    deploy(user_a, network)
    router = admin.items("listRouters", "router", listall=True, networkid=network["id"])[0]
    assert user_a.error("stopRouter", id=router["id"])[0] == 432        # an admin API
    stopped = admin.run("stopRouter", id=router["id"])["router"]
    assert stopped["state"] == "Stopped"
    code, text = admin.run_fails("rebootRouter", id=router["id"])
    assert code == 530 and "not in right state" in text
    assert admin.run("startRouter", id=router["id"])["router"]["state"] == "Running"
    assert admin.run("rebootRouter", id=router["id"])["router"]["state"] == "Running"
    assert admin.run("destroyRouter", id=router["id"])["router"]["id"] == router["id"]
    assert admin.items("listRouters", "router", listall=True, networkid=network["id"]) == []
    # The next restart gives the network a new router.
    user_a.run("restartNetwork", id=network["id"])
    again = admin.items("listRouters", "router", listall=True, networkid=network["id"])
    assert len(again) == 1 and again[0]["id"] != router["id"]


def test_shared_network_gets_its_router_when_its_first_vm_starts(admin, user_a, cloud, deploy):
    network = admin.ok("createNetwork", name="shared-routed", displaytext="shared-routed", zoneid=cloud["zone"]["id"],
                       networkofferingid=cloud["offerings"][SHARED]["id"], vlan="321", gateway="10.32.1.1",
                       netmask="255.255.255.0", startip="10.32.1.10", endip="10.32.1.50")["network"]
    assert network["state"] == "Setup"
    assert admin.items("listRouters", "router", listall=True, networkid=network["id"]) == []
    stopped = deploy(user_a, network, startvm=False)
    assert admin.items("listRouters", "router", listall=True, networkid=network["id"]) == []   # nothing started yet
    user_a.run("startVirtualMachine", id=stopped["id"])
    (router,) = admin.items("listRouters", "router", listall=True, networkid=network["id"])
    assert router["state"] == "Running" and router["guestnetworkid"] == network["id"]
    vm_address = user_a.items("listVirtualMachines", "virtualmachine", id=stopped["id"])[0]["nic"][0]["ipaddress"]
    assert router["guestipaddress"].startswith("10.32.1.") and router["guestipaddress"] != vm_address
    # Later VMs use the same router; the network stays in Setup.
    deploy(user_a, network)
    assert [r["id"] for r in admin.items("listRouters", "router", listall=True, networkid=network["id"])] == [router["id"]]
    assert user_a.items("listNetworks", "network", id=network["id"])[0]["state"] == "Setup"


@pytest.fixture()
def slow(monkeypatch):
    monkeypatch.setitem(timing.PROFILES, SLOW_PROFILE, {"default": SLOW_SECONDS})
    simulator = start_simulator(port=0, db=":memory:", profile=SLOW_PROFILE, seed="default")
    yield simulator
    simulator.stop()


def test_create_style_commands_show_intermediate_states(slow):
    admin = Client(slow.endpoint, slow.admin_api_key, slow.admin_secret_key, "admin")
    owner = new_user(admin, "slow")
    zone = admin.items("listZones", "zone")[0]
    offering = admin.items("listNetworkOfferings", "networkoffering", name=ISOLATED)[0]
    network = owner.ok("createNetwork", name="s", displaytext="s", zoneid=zone["id"], networkofferingid=offering["id"])["network"]
    started = owner.start("associateIpAddress", networkid=network["id"])
    pending = owner.items("listPublicIpAddresses", "publicipaddress", id=started["id"])[0]
    assert pending["state"] == "Allocating"
    job = owner.ok("queryAsyncJobResult", jobid=started["jobid"])
    assert job["jobstatus"] == 0 and "jobresult" not in job
    assert owner.wait(started["jobid"])["jobstatus"] == 1
    assert owner.items("listPublicIpAddresses", "publicipaddress", id=started["id"])[0]["state"] == "Allocated"
    rule = owner.start("createFirewallRule", ipaddressid=started["id"], protocol="tcp", startport=22)
    assert owner.items("listFirewallRules", "firewallrule", id=rule["id"])[0]["state"] == "Add"
    # A conflicting rule is refused at once, even while the first one is being applied.
    assert owner.error("createFirewallRule", ipaddressid=started["id"], protocol="tcp", startport=22)[0] == 537
    owner.wait(rule["jobid"])
    assert owner.items("listFirewallRules", "firewallrule", id=rule["id"])[0]["state"] == "Active"
    # deleteNetwork's checks run in the job: the answer is a job id even for a network that cannot go yet.
    begun = time.monotonic()
    deleting = owner.start("deleteNetwork", id=network["id"])
    assert time.monotonic() - begun < SLOW_SECONDS
    assert owner.wait(deleting["jobid"])["jobstatus"] == 1


def test_cs_client_drives_the_network_apis(sim, admin, cloud):
    """The PyPI ``cs`` client, an independent implementation of signing and job polling."""
    owner = new_user(admin, "csnet")
    api = CloudStack(endpoint=sim.endpoint, key=owner.api_key, secret=owner._secret, timeout=10, poll_interval=0.05)
    network = api.createNetwork(name="cs-net", displaytext="cs-net", zoneid=cloud["zone"]["id"],
                                networkofferingid=cloud["offerings"][ISOLATED]["id"])["network"]
    assert network["state"] == "Allocated"
    ip = api.associateIpAddress(networkid=network["id"], fetch_result=True)["ipaddress"]
    assert ip["issourcenat"] is True
    rule = api.createFirewallRule(ipaddressid=ip["id"], protocol="tcp", startport=22, endport=22,
                                  cidrlist="10.0.0.0/8", fetch_result=True)["firewallrule"]
    assert rule["state"] == "Active"
    with pytest.raises(CloudStackApiException) as caught:
        api.createFirewallRule(ipaddressid=ip["id"], protocol="tcp", startport=22, endport=22, cidrlist="10.0.0.0/8")
    assert caught.value.error["errorcode"] == 537
    listed = api.listNetworks(id=network["id"])
    assert listed["count"] == 1 and listed["network"][0]["name"] == "cs-net"
    vpc = api.createVPC(name="cs-vpc", displaytext="cs-vpc", cidr="10.11.0.0/16", zoneid=cloud["zone"]["id"],
                        vpcofferingid=cloud["vpc_offering"]["id"], fetch_result=True)["vpc"]
    assert vpc["state"] == "Enabled"
    acls = api.listNetworkACLLists(vpcid=vpc["id"])["networkacllist"]
    assert {"default_allow", "default_deny"} <= {a["name"] for a in acls}
