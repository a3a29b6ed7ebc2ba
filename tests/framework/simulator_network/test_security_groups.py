"""Security groups in a Basic zone with security groups (the 'basic' seed)."""
from __future__ import annotations

import pytest
from netclient import Client

from marvin2.simulator import start_simulator


@pytest.fixture(scope="module")
def sim():
    simulator = start_simulator(port=0, db=":memory:", profile="instant", seed="basic")
    yield simulator
    simulator.stop()


@pytest.fixture(scope="module")
def basic(admin) -> dict:
    zone = admin.items("listZones", "zone")[0]
    assert zone["networktype"] == "Basic" and zone["securitygroupsenabled"] is True
    return {"zone": zone, "template": admin.items("listTemplates", "template", templatefilter="featured")[0],
            "small": admin.items("listServiceOfferings", "serviceoffering", name="Small Instance")[0]}


def _group(client: Client, name: str) -> dict:
    return client.items("listSecurityGroups", "securitygroup", securitygroupname=name)[0]


def test_every_account_has_a_default_group(admin, user_a, user_b):
    mine = user_a.items("listSecurityGroups", "securitygroup")
    assert [g["name"] for g in mine] == ["default"] and mine[0]["account"] == user_a.account["name"]
    assert mine[0]["ingressrule"] == [] and mine[0]["egressrule"] == [] and mine[0]["virtualmachinecount"] == 0
    theirs = _group(user_b, "default")
    assert theirs["id"] != mine[0]["id"]
    assert user_a.items("listSecurityGroups", "securitygroup", id=theirs["id"]) == []
    everyone = admin.items("listSecurityGroups", "securitygroup", listall=True, securitygroupname="default")
    assert {user_a.account["name"], user_b.account["name"], "admin"} <= {g["account"] for g in everyone}


def test_create_is_sync_and_names_are_unique(user_a):
    inner = user_a.ok("createSecurityGroup", name="web", description="web servers")
    assert set(inner) == {"securitygroup"}
    group = inner["securitygroup"]
    assert (group["name"], group["description"], group["ingressrule"]) == ("web", "web servers", [])
    for name in ("web", "WEB", "default"):
        code, cs, text = user_a.error("createSecurityGroup", name=name)
        assert (code, cs) == (431, 4350) and text == f"Unable to create security group, a group with name {name} already exists."
    assert any(e.get("resourceid") == group["id"] for e in user_a.items("listEvents", "event", type="SG.CREATE"))


def test_authorize_and_revoke_rules(user_a, user_b):
    group = user_a.ok("createSecurityGroup", name="app")["securitygroup"]
    started = user_a.start("authorizeSecurityGroupIngress", securitygroupid=group["id"], protocol="TCP", startport=22,
                           endport=22, cidrlist="10.0.0.0/8,192.168.1.0/24")
    assert set(started) == {"jobid"}
    job = user_a.wait(started["jobid"])
    assert job["jobstatus"] == 1 and job["jobinstancetype"] == "SecurityGroup"
    result = job["jobresult"]["securitygroup"]
    assert result["id"] == group["id"] and result["egressrule"] == []
    assert sorted(r["cidr"] for r in result["ingressrule"]) == ["10.0.0.0/8", "192.168.1.0/24"]
    assert all((r["protocol"], r["startport"], r["endport"]) == ("tcp", 22, 22) for r in result["ingressrule"])
    # The answer lists only the new rules: a duplicate is skipped, all duplicates fail the job.
    more = user_a.run("authorizeSecurityGroupIngress", securitygroupname="app", protocol="tcp", startport=22, endport=22,
                      cidrlist="10.0.0.0/8,172.16.0.0/12")["securitygroup"]
    assert [r["cidr"] for r in more["ingressrule"]] == ["172.16.0.0/12"]
    assert user_a.run_fails("authorizeSecurityGroupIngress", securitygroupid=group["id"], protocol="tcp", startport=22,
                            endport=22, cidrlist="10.0.0.0/8") == (530, "Failed to authorize security group ingress rule(s)")
    icmp = user_a.run("authorizeSecurityGroupIngress", securitygroupid=group["id"], protocol="icmp", icmptype=-1,
                      icmpcode=-1, cidrlist="0.0.0.0/0")["securitygroup"]["ingressrule"][0]
    assert (icmp["icmptype"], icmp["icmpcode"]) == (-1, -1) and "startport" not in icmp
    # Rules allowing another group.
    allowed = user_a.run("authorizeSecurityGroupIngress", securitygroupid=group["id"], protocol="tcp", startport=3306,
                         endport=3306, **{"usersecuritygrouplist[0].account": user_a.account["name"],
                                          "usersecuritygrouplist[0].group": "default"})["securitygroup"]["ingressrule"][0]
    assert allowed["securitygroupname"] == "default" and allowed["account"] == user_a.account["name"]
    egress = user_a.run("authorizeSecurityGroupEgress", securitygroupid=group["id"], protocol="udp", startport=53,
                        endport=53, cidrlist="0.0.0.0/0")["securitygroup"]
    assert egress["ingressrule"] == [] and len(egress["egressrule"]) == 1
    listed = _group(user_a, "app")
    assert len(listed["ingressrule"]) == 5 and len(listed["egressrule"]) == 1
    # Revoking: the rule's type must match the API.
    egress_id = egress["egressrule"][0]["ruleid"]
    code, text = user_a.run_fails("revokeSecurityGroupIngress", id=egress_id)
    assert code == 431 and "not of type ingress" in text
    assert user_a.run("revokeSecurityGroupEgress", id=egress_id) == {"success": True}
    assert user_a.run("revokeSecurityGroupIngress", id=icmp["ruleid"]) == {"success": True}
    after = _group(user_a, "app")
    assert len(after["ingressrule"]) == 4 and after["egressrule"] == []
    # Someone else's group: permission denied at once.
    assert user_b.error("authorizeSecurityGroupIngress", securitygroupid=group["id"], protocol="tcp", startport=1,
                        endport=1, cidrlist="0.0.0.0/0")[:2] == (531, 4365)
    assert user_b.error("revokeSecurityGroupIngress", id=allowed["ruleid"])[0] == 531


@pytest.mark.parametrize("params, text", [
    ({"protocol": "gre"}, "Invalid protocol gre"),
    ({"protocol": "tcp", "startport": 80}, "Invalid port range specified, startPort = 80, endPort = None"),
    ({"protocol": "tcp", "startport": 90, "endport": 80}, "Invalid port range 90:80"),
    ({"protocol": "tcp", "startport": 80, "endport": 70000}, "Invalid port numbers 80:70000"),
    ({"protocol": "icmp", "icmptype": 8}, "Invalid ICMP type/code specified, icmpType = 8, icmpCode = None"),
    ({"protocol": "all", "startport": 1, "endport": 2}, "Cannot specify startPort or endPort without specifying protocol"),
    ({"protocol": "tcp", "startport": 1, "endport": 2, "cidrlist": None},
     "At least one cidr or at least one security group needs to be specified"),
    ({"protocol": "tcp", "startport": 1, "endport": 2, "cidrlist": "300.0.0.0/8"}, "Invalid cidr 300.0.0.0/8"),
])
def test_authorize_validation_fails_the_job(user_a, params, text):
    """Checked while the job runs: InvalidParameterValueException, so errorcode 431."""
    group = _group(user_a, "default")
    request = {"cidrlist": "0.0.0.0/0", **params}
    assert user_a.run_fails("authorizeSecurityGroupIngress", securitygroupid=group["id"],
                            **{k: v for k, v in request.items() if v is not None}) == (431, text)


def test_delete_security_group(admin, user_a, user_b, basic):
    default = _group(user_a, "default")
    assert user_a.error("deleteSecurityGroup", id=default["id"])[2] == "The network group default is reserved"
    assert user_a.error("deleteSecurityGroup")[2] == "Either id or name parameter is required by deleteSecurityGroup command"
    doomed = user_a.ok("createSecurityGroup", name="doomed")["securitygroup"]
    assert user_b.error("deleteSecurityGroup", id=doomed["id"])[:2] == (531, 4365)
    # Referenced by a rule of another group: in use (536, as a ServerApiException).
    referer = user_a.ok("createSecurityGroup", name="referer")["securitygroup"]
    rule = user_a.run("authorizeSecurityGroupIngress", securitygroupid=referer["id"], protocol="tcp", startport=1, endport=1,
                      **{"usersecuritygrouplist[0].account": user_a.account["name"],
                         "usersecuritygrouplist[0].group": "doomed"})["securitygroup"]["ingressrule"][0]
    assert user_a.error("deleteSecurityGroup", id=doomed["id"]) == (
        536, 9999, "Cannot delete group when there are security rules that allow this group")
    user_a.run("revokeSecurityGroupIngress", id=rule["ruleid"])
    # A VM deployed into the group: in use until the VM is expunged.
    vm = user_a.run("deployVirtualMachine", zoneid=basic["zone"]["id"], templateid=basic["template"]["id"],
                    serviceofferingid=basic["small"]["id"], securitygroupnames="doomed")["virtualmachine"]
    assert [g["name"] for g in vm["securitygroup"]] == ["doomed"]
    listed = _group(user_a, "doomed")
    assert listed["virtualmachinecount"] == 1 and listed["virtualmachineids"] == [vm["id"]]
    assert [g["id"] for g in user_a.items("listSecurityGroups", "securitygroup", virtualmachineid=vm["id"])] == [doomed["id"]]
    assert user_a.error("deleteSecurityGroup", name="doomed") == (536, 9999, "Cannot delete group when it's in use by virtual machines")
    admin.run("destroyVirtualMachine", id=vm["id"], expunge=True)
    assert _group(user_a, "doomed")["virtualmachinecount"] == 0
    assert user_a.ok("deleteSecurityGroup", name="doomed") == {"success": True}
    assert user_a.items("listSecurityGroups", "securitygroup", securitygroupname="doomed") == []


def test_deploy_without_groups_joins_default_and_unknown_group_fails(user_a, user_b, basic):
    base = {"zoneid": basic["zone"]["id"], "templateid": basic["template"]["id"], "serviceofferingid": basic["small"]["id"]}
    vm = user_a.run("deployVirtualMachine", **base)["virtualmachine"]
    assert [g["name"] for g in vm["securitygroup"]] == ["default"]
    assert vm["id"] in _group(user_a, "default")["virtualmachineids"]
    code, _, text = user_a.error("deployVirtualMachine", securitygroupnames="nosuchgroup", **base)
    assert code == 431 and "nosuchgroup" in text
    theirs = _group(user_b, "default")
    assert user_a.error("deployVirtualMachine", securitygroupids=theirs["id"], **base)[0] == 531


def test_basic_zone_vm_gets_an_address_of_the_shared_network(user_a, basic):
    vm = user_a.run("deployVirtualMachine", zoneid=basic["zone"]["id"], templateid=basic["template"]["id"],
                    serviceofferingid=basic["small"]["id"])["virtualmachine"]
    nic = vm["nic"][0]
    assert nic["type"] == "Shared" and nic["networkname"] == "defaultGuestNetwork" and nic["gateway"] == "172.16.16.1"
    network = user_a.items("listNetworks", "network", id=nic["networkid"])[0]
    assert network["state"] == "Setup" and network["acltype"] == "Domain"
    assert "SecurityGroup" in {s["name"] for s in network["service"]}
    code, _, text = user_a.error("associateIpAddress", zoneid=basic["zone"]["id"])
    assert code == 431 and "Basic" in text


def test_seeded_guest_range_belongs_to_the_pod_and_the_guest_network(admin, user_a, basic):
    zone = basic["zone"]
    (network,) = admin.items("listNetworks", "network", zoneid=zone["id"], listall=True)
    assert (network["name"], network["state"], network["broadcasturi"]) == ("defaultGuestNetwork", "Setup", "vlan://untagged")
    (pod,) = admin.items("listPods", "pod", zoneid=zone["id"])
    (guest_range,) = admin.items("listVlanIpRanges", "vlaniprange", zoneid=zone["id"])
    assert (guest_range["podid"], guest_range["networkid"], guest_range["forvirtualnetwork"]) == (pod["id"], network["id"], False)
    vm = user_a.run("deployVirtualMachine", zoneid=zone["id"], templateid=basic["template"]["id"],
                    serviceofferingid=basic["small"]["id"])["virtualmachine"]
    last_octet = int(vm["nic"][0]["ipaddress"].rsplit(".", 1)[1])
    assert vm["nic"][0]["ipaddress"].startswith("172.16.16.") and 2 <= last_octet <= 200
    code, _, text = admin.error("createNetwork", zoneid=zone["id"], name="second", displaytext="second",
                                networkofferingid=network["networkofferingid"])
    assert (code, text) == (431, "Can't have more than one Guest network in zone with network type Basic")
