"""Firewall, egress, port forwarding and load balancer rules: create-style
async answers, Add -> Active, the real conflict rules (537), deletes."""
from __future__ import annotations

import pytest
from netclient import ISOLATED


@pytest.fixture(scope="module")
def setup(user_a, cloud):
    network = user_a.ok("createNetwork", name="rules", displaytext="rules", zoneid=cloud["zone"]["id"],
                        networkofferingid=cloud["offerings"][ISOLATED]["id"])["network"]
    base = {"zoneid": cloud["zone"]["id"], "templateid": cloud["template"]["id"], "serviceofferingid": cloud["small"]["id"],
            "networkids": network["id"]}
    vms = [user_a.run("deployVirtualMachine", **base)["virtualmachine"] for _ in range(2)]
    return {"network": network, "vms": vms}


@pytest.fixture()
def new_ip(user_a, setup):
    return lambda: user_a.run("associateIpAddress", networkid=setup["network"]["id"])["ipaddress"]


def test_firewall_rule_create_style_and_fields(user_a, new_ip):
    ip = new_ip()
    started = user_a.start("createFirewallRule", ipaddressid=ip["id"], protocol="TCP", startport=22,
                           cidrlist="10.0.0.0/8,192.168.0.0/16")
    assert set(started) == {"id", "jobid"}
    # Visible at once in state Add or (after the job) Active; the job result is the rule.
    job = user_a.wait(started["jobid"])
    rule = job["jobresult"]["firewallrule"]
    assert rule["id"] == started["id"] and rule["state"] == "Active" and rule["protocol"] == "tcp"
    assert (rule["startport"], rule["endport"]) == (22, 22) and rule["cidrlist"] == "10.0.0.0/8,192.168.0.0/16"
    assert rule["ipaddress"] == ip["ipaddress"] and rule["ipaddressid"] == ip["id"]
    listed = user_a.items("listFirewallRules", "firewallrule", ipaddressid=ip["id"])
    assert [r["id"] for r in listed] == [rule["id"]]
    icmp = user_a.run("createFirewallRule", ipaddressid=ip["id"], protocol="icmp")["firewallrule"]
    assert (icmp["icmptype"], icmp["icmpcode"]) == (-1, -1) and "startport" not in icmp
    assert user_a.run("deleteFirewallRule", id=rule["id"]) == {"success": True}
    assert [r["id"] for r in user_a.items("listFirewallRules", "firewallrule", ipaddressid=ip["id"])] == [icmp["id"]]


def test_firewall_conflicts(user_a, new_ip):
    ip = new_ip()
    first = user_a.run("createFirewallRule", ipaddressid=ip["id"], protocol="tcp", startport=1000, endport=2000)["firewallrule"]
    code, cs, text = user_a.error("createFirewallRule", ipaddressid=ip["id"], protocol="tcp", startport=1500, endport=2500)
    assert (code, cs) == (537, 9999)
    assert text == f"The range specified, 1500-2500, conflicts with rule {first['id']} which has 1000-2000"
    # Nothing was stored for the refused rule.
    assert len(user_a.items("listFirewallRules", "firewallrule", ipaddressid=ip["id"])) == 1
    # Other protocol, other CIDRs or a disjoint range: allowed.
    user_a.run("createFirewallRule", ipaddressid=ip["id"], protocol="udp", startport=1500, endport=2500)
    user_a.run("createFirewallRule", ipaddressid=ip["id"], protocol="tcp", startport=1500, endport=2500, cidrlist="10.1.0.0/16")
    user_a.run("createFirewallRule", ipaddressid=ip["id"], protocol="tcp", startport=2001, endport=2002)
    assert len(user_a.items("listFirewallRules", "firewallrule", ipaddressid=ip["id"])) == 4
    # ICMP duplicates are a 431; "all" twice is a 537.
    user_a.run("createFirewallRule", ipaddressid=ip["id"], protocol="icmp", icmptype=8, icmpcode=0)
    code, cs, text = user_a.error("createFirewallRule", ipaddressid=ip["id"], protocol="icmp", icmptype=8, icmpcode=0)
    assert (code, cs) == (431, 4350) and text.startswith("New rule conflicts with existing rule id=")
    user_a.run("createFirewallRule", ipaddressid=ip["id"], protocol="all")
    code, _, text = user_a.error("createFirewallRule", ipaddressid=ip["id"], protocol="all")
    assert code == 537 and text == "There is already a firewall rule specified with protocol = all and no ports"


def test_firewall_bad_input(user_a, new_ip):
    ip = new_ip()
    cases = [
        ({"protocol": "tcp", "startport": 0}, 431, "publicPort is an invalid value: 0"),
        ({"protocol": "tcp", "startport": 30, "endport": 20}, 431, "Start port can't be bigger than end port"),
        ({"protocol": "icmp", "startport": 22}, 431, "Can't specify start/end port when protocol is ICMP"),
        ({"protocol": "tcp", "startport": 22, "icmptype": 8}, 431, "Can specify icmpCode and icmpType for ICMP protocol only"),
        ({"protocol": "tcp", "startport": 22, "cidrlist": "10.0.0.0/33"}, 431, "Source CIDRs formatting error 10.0.0.0/33"),
    ]
    for params, code, text in cases:
        got = user_a.error("createFirewallRule", ipaddressid=ip["id"], **params)
        assert (got[0], got[2]) == (code, text), params
    missing = user_a.error("createFirewallRule", ipaddressid=ip["id"])
    assert missing[2] == "Unable to execute API command createfirewallrule due to missing parameter protocol"


def test_egress_rules(user_a, user_b, setup):
    network = setup["network"]
    rule = user_a.run("createEgressFirewallRule", networkid=network["id"], protocol="tcp", startport=80,
                      destcidrlist="8.8.8.0/24")["firewallrule"]
    assert rule["cidrlist"] == network["cidr"] and rule["destcidrlist"] == "8.8.8.0/24" and rule["traffictype"] == "Egress"
    # The list's item key is firewallrule; ingress rules are not in it and egress ones not in listFirewallRules.
    inner = user_a.ok("listEgressFirewallRules", networkid=network["id"])
    assert set(inner) == {"count", "firewallrule"} and [r["id"] for r in inner["firewallrule"]] == [rule["id"]]
    assert rule["id"] not in {r["id"] for r in user_a.items("listFirewallRules", "firewallrule")}
    code, _, text = user_a.error("createEgressFirewallRule", networkid=network["id"], protocol="tcp", startport=80,
                                 destcidrlist="8.8.8.0/24")
    assert code == 537 and f"conflicts with rule {rule['id']}" in text
    code, _, text = user_a.error("createEgressFirewallRule", networkid=network["id"], protocol="tcp", startport=81,
                                 cidrlist="172.16.0.0/24")
    assert code == 431 and f"[172.16.0.0/24] is not within the guest CIDR [{network['cidr']}]" in text
    assert user_b.error("createEgressFirewallRule", networkid=network["id"], protocol="tcp")[0] == 531
    assert user_b.items("listEgressFirewallRules", "firewallrule", networkid=network["id"]) == []
    assert user_a.run("deleteEgressFirewallRule", id=rule["id"]) == {"success": True}
    assert user_a.ok("listEgressFirewallRules", networkid=network["id"]) == {}


def test_egress_rule_from_anywhere_means_the_guest_network(user_a, setup):
    # Suites open egress with cidrlist=0.0.0.0/0; 4.20 accepts it and stores the guest network's CIDR instead.
    network = setup["network"]
    rule = user_a.run("createEgressFirewallRule", networkid=network["id"], protocol="all",
                      cidrlist="0.0.0.0/0")["firewallrule"]
    assert rule["cidrlist"] == network["cidr"] and rule["protocol"] == "all"
    listed = user_a.items("listEgressFirewallRules", "firewallrule", id=rule["id"])
    assert [r["cidrlist"] for r in listed] == [network["cidr"]]
    assert user_a.run("deleteEgressFirewallRule", id=rule["id"]) == {"success": True}


def test_port_forwarding(user_a, setup, new_ip):
    ip, vm = new_ip(), setup["vms"][0]
    started = user_a.start("createPortForwardingRule", ipaddressid=ip["id"], privateport=22, publicport=2222,
                           protocol="tcp", virtualmachineid=vm["id"])
    assert set(started) == {"id", "jobid"}
    rule = user_a.wait(started["jobid"])["jobresult"]["portforwardingrule"]
    assert (rule["privateport"], rule["privateendport"], rule["publicport"], rule["publicendport"]) == ("22", "22", "2222", "2222")
    assert rule["virtualmachineid"] == vm["id"] and rule["virtualmachinename"] == vm["name"]
    assert rule["vmguestip"] == vm["nic"][0]["ipaddress"] and rule["state"] == "Active"
    # openfirewall (default true outside VPCs) opened the public port in the firewall.
    opened = user_a.items("listFirewallRules", "firewallrule", ipaddressid=ip["id"])
    assert [(r["startport"], r["cidrlist"]) for r in opened] == [(2222, "0.0.0.0/0")]
    # Overlapping public ports of the same protocol conflict; udp on the same ports does not.
    code, cs, text = user_a.error("createPortForwardingRule", ipaddressid=ip["id"], privateport=22, publicport=2222,
                                  protocol="tcp", virtualmachineid=setup["vms"][1]["id"], openfirewall=False)
    assert (code, cs) == (537, 9999) and f"conflicts with rule {rule['id']}" in text
    user_a.run("createPortForwardingRule", ipaddressid=ip["id"], privateport=22, publicport=2222, protocol="udp",
               virtualmachineid=setup["vms"][1]["id"], openfirewall=False)
    # A port range maps onto a same-size private range.
    ranged = user_a.run("createPortForwardingRule", ipaddressid=ip["id"], privateport=8000, privateendport=8009,
                        publicport=9000, publicendport=9009, protocol="tcp", virtualmachineid=vm["id"],
                        openfirewall=False)["portforwardingrule"]
    assert (ranged["publicport"], ranged["publicendport"]) == ("9000", "9009")
    code, _, text = user_a.error("createPortForwardingRule", ipaddressid=ip["id"], privateport=100, privateendport=101,
                                 publicport=300, publicendport=310, protocol="tcp", virtualmachineid=vm["id"])
    assert code == 431 and "same size" in text
    updated = user_a.run("updatePortForwardingRule", id=ranged["id"], privateport=7000)["portforwardingrule"]
    assert (updated["privateport"], updated["privateendport"]) == ("7000", "7009")
    # Deleting the rule also removes the firewall rule it opened.
    assert user_a.run("deletePortForwardingRule", id=rule["id"]) == {"success": True}
    assert user_a.items("listFirewallRules", "firewallrule", ipaddressid=ip["id"]) == []
    assert len(user_a.items("listPortForwardingRules", "portforwardingrule", ipaddressid=ip["id"])) == 2


def test_firewall_and_port_forwarding_rules_share_a_port(user_a, setup, new_ip):
    # The usual SSH setup: a firewall rule opens port 22, a port forwarding rule forwards it. Conflicts exist only
    # between rules of the same purpose (CloudStack's FirewallManagerImpl.detectRulesConflict).
    ip, vm = new_ip(), setup["vms"][0]
    firewall = user_a.run("createFirewallRule", ipaddressid=ip["id"], protocol="tcp", startport=22)["firewallrule"]
    closed = user_a.run("createPortForwardingRule", ipaddressid=ip["id"], privateport=22, publicport=22, protocol="tcp",
                        virtualmachineid=vm["id"], openfirewall=False)["portforwardingrule"]
    assert closed["state"] == "Active"
    assert [r["id"] for r in user_a.items("listFirewallRules", "firewallrule", ipaddressid=ip["id"])] == [firewall["id"]]
    user_a.run("deletePortForwardingRule", id=closed["id"])
    # openfirewall=true with a firewall rule of the same ports and protocol: that rule is used, no second one is made,
    # and it stays when the forwarding rule goes (it is not the forwarding rule's own).
    opened = user_a.run("createPortForwardingRule", ipaddressid=ip["id"], privateport=22, publicport=22, protocol="tcp",
                        virtualmachineid=vm["id"])["portforwardingrule"]
    assert [r["id"] for r in user_a.items("listFirewallRules", "firewallrule", ipaddressid=ip["id"])] == [firewall["id"]]
    assert user_a.run("deletePortForwardingRule", id=opened["id"]) == {"success": True}
    assert [r["id"] for r in user_a.items("listFirewallRules", "firewallrule", ipaddressid=ip["id"])] == [firewall["id"]]
    # A load balancer rule on a port a firewall rule opens is allowed too; the firewall rule is reused whatever
    # its source CIDRs.
    user_a.run("createFirewallRule", ipaddressid=ip["id"], protocol="tcp", startport=80, cidrlist="10.0.0.0/8")
    lb = user_a.run("createLoadBalancerRule", publicipid=ip["id"], name="web80", algorithm="roundrobin", privateport=80,
                    publicport=80)["loadbalancer"]
    assert lb["state"] == "Active"
    assert len(user_a.items("listFirewallRules", "firewallrule", ipaddressid=ip["id"])) == 2


def test_firewall_rule_opened_for_a_forwarding_rule_still_conflicts_with_an_overlapping_one(user_a, setup, new_ip):
    # Only a firewall rule of exactly the same ports is reused; the one openfirewall makes for other ports (all
    # sources) is checked like any firewall rule.
    ip = new_ip()
    existing = user_a.run("createFirewallRule", ipaddressid=ip["id"], protocol="tcp", startport=440, endport=445)["firewallrule"]
    code, _, text = user_a.error("createPortForwardingRule", ipaddressid=ip["id"], privateport=443, publicport=443,
                                 protocol="tcp", virtualmachineid=setup["vms"][0]["id"])
    assert code == 537 and text == f"The range specified, 443-443, conflicts with rule {existing['id']} which has 440-445"
    assert user_a.items("listPortForwardingRules", "portforwardingrule", ipaddressid=ip["id"]) == []
    assert [r["id"] for r in user_a.items("listFirewallRules", "firewallrule", ipaddressid=ip["id"])] == [existing["id"]]


def test_load_balancer(user_a, user_b, setup, new_ip):
    ip = new_ip()
    started = user_a.start("createLoadBalancerRule", publicipid=ip["id"], name="web", algorithm="roundrobin",
                           privateport=80, publicport=80)
    assert set(started) == {"id", "jobid"}
    lb = user_a.wait(started["jobid"])["jobresult"]["loadbalancer"]
    assert (lb["name"], lb["algorithm"], lb["publicport"], lb["privateport"]) == ("web", "roundrobin", "80", "80")
    assert lb["publicip"] == ip["ipaddress"] and lb["account"] == user_a.account["name"]
    inner = user_a.ok("listLoadBalancerRules", publicipid=ip["id"])
    assert set(inner) == {"count", "loadbalancerrule"} and inner["loadbalancerrule"][0]["id"] == lb["id"]
    # Port forwarding on the same public port: conflict.
    code, _, text = user_a.error("createPortForwardingRule", ipaddressid=ip["id"], privateport=80, publicport=80,
                                 protocol="tcp", virtualmachineid=setup["vms"][0]["id"], openfirewall=False)
    assert code == 537 and f"conflicts with rule {lb['id']}" in text
    assert user_a.error("createLoadBalancerRule", publicipid=ip["id"], name="x", algorithm="random", privateport=81,
                        publicport=81)[2] == "Invalid algorithm: random"
    vm_ids = [vm["id"] for vm in setup["vms"]]
    assert user_a.run("assignToLoadBalancerRule", id=lb["id"], virtualmachineids=",".join(vm_ids)) == {"success": True}
    members = user_a.items("listLoadBalancerRuleInstances", "loadbalancerruleinstance", id=lb["id"])
    assert sorted(vm["id"] for vm in members) == sorted(vm_ids)
    with_ips = user_a.ok("listLoadBalancerRuleInstances", id=lb["id"], lbvmips=True)
    assert set(with_ips) == {"count", "lbrulevmidip"} and with_ips["count"] == 2
    assert all(entry["lbvmipaddresses"] for entry in with_ips["lbrulevmidip"])
    code, text = user_a.run_fails("assignToLoadBalancerRule", id=lb["id"], virtualmachineids=vm_ids[0])
    assert code == 431 and "already mapped" in text
    assert user_a.items("listLoadBalancerRules", "loadbalancerrule", virtualmachineid=vm_ids[0])[0]["id"] == lb["id"]
    user_a.run("removeFromLoadBalancerRule", id=lb["id"], virtualmachineids=vm_ids[0])
    assert [vm["id"] for vm in user_a.items("listLoadBalancerRuleInstances", "loadbalancerruleinstance", id=lb["id"])] == [vm_ids[1]]
    assert user_a.run("updateLoadBalancerRule", id=lb["id"], algorithm="leastconn")["loadbalancer"]["algorithm"] == "leastconn"
    assert user_b.error("deleteLoadBalancerRule", id=lb["id"])[0] == 531
    assert user_a.run("deleteLoadBalancerRule", id=lb["id"]) == {"success": True}
    assert user_a.items("listLoadBalancerRules", "loadbalancerrule", publicipid=ip["id"]) == []
    assert user_a.items("listFirewallRules", "firewallrule", ipaddressid=ip["id"]) == []


def test_lb_policies(user_a, new_ip):
    ip = new_ip()
    lb = user_a.run("createLoadBalancerRule", publicipid=ip["id"], name="sticky", algorithm="source", privateport=8080,
                    publicport=8080)["loadbalancer"]
    started = user_a.start("createLBStickinessPolicy", lbruleid=lb["id"], methodname="LbCookie", name="cookie",
                           **{"param[0].name": "cookie-name", "param[0].value": "SRV"})
    result = user_a.wait(started["jobid"])["jobresult"]["stickinesspolicies"]
    policy = result["stickinesspolicy"][0]
    assert policy["id"] == started["id"] and policy["methodname"] == "LbCookie" and policy["params"] == {"cookie-name": "SRV"}
    inner = user_a.ok("listLBStickinessPolicies", lbruleid=lb["id"])
    assert set(inner) == {"count", "stickinesspolicies"}
    assert inner["stickinesspolicies"][0]["stickinesspolicy"][0]["id"] == policy["id"]
    code, _, text = user_a.error("createLBStickinessPolicy", lbruleid=lb["id"], methodname="AppCookie", name="again")
    assert code == 431 and "Already policy attached" in text
    assert user_a.error("createLBStickinessPolicy", lbruleid=lb["id"], methodname="Magic", name="m")[0] == 431
    assert user_a.run("deleteLBStickinessPolicy", id=policy["id"]) == {"success": True}
    assert user_a.ok("listLBStickinessPolicies", lbruleid=lb["id"])["stickinesspolicies"][0]["stickinesspolicy"] == []
    # The virtual router does not support health checks, as on a real cloud.
    code, _, text = user_a.error("createLBHealthCheckPolicy", lbruleid=lb["id"], pingpath="/health")
    assert code == 431 and "HealthCheck Policy is not supported by LB Provider" in text
    assert user_a.ok("listLBHealthCheckPolicies", lbruleid=lb["id"]) == {}


def test_releasing_an_address_removes_its_rules(user_a, setup, new_ip):
    ip = new_ip()
    user_a.run("createFirewallRule", ipaddressid=ip["id"], protocol="tcp", startport=5000)
    user_a.run("createPortForwardingRule", ipaddressid=ip["id"], privateport=22, publicport=6000, protocol="tcp",
               virtualmachineid=setup["vms"][0]["id"])
    user_a.run("disassociateIpAddress", id=ip["id"])
    assert user_a.items("listFirewallRules", "firewallrule", ipaddressid=ip["id"]) == []
    assert user_a.items("listPortForwardingRules", "portforwardingrule", ipaddressid=ip["id"]) == []
    events = {e["type"] for e in user_a.items("listEvents", "event")}
    assert {"FIREWALL.OPEN", "NET.RULEADD", "NET.IPRELEASE"} <= events
