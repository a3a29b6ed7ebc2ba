"""Ingress firewall rules on public IPs, and egress rules of isolated networks."""
import pytest

from marvin2.client import CloudStackError

from .helpers import ids, listed

pytestmark = [pytest.mark.tags("firewall", "smoke", "advanced"), pytest.mark.zone_type("Advanced")]


@pytest.fixture
def public_ip(implemented_network, acquire_public_ip):
    return acquire_public_ip(networkid=implemented_network.id)


@pytest.mark.tags("quick-test")
def test_create_list_delete_ingress_rule(public_ip, create_firewall_rule, user_api):
    rule = create_firewall_rule(ipaddressid=public_ip.id, protocol="tcp", startport=22, endport=22,
                                cidrlist=["10.0.0.0/8"])
    assert (rule.protocol, int(rule.startport), int(rule.endport)) == ("tcp", 22, 22)
    assert rule.ipaddressid == public_ip.id
    assert rule.cidrlist == "10.0.0.0/8"
    assert rule.state == "Active"
    assert ids(user_api.listFirewallRules(ipaddressid=public_ip.id)) == [rule.id]

    user_api.deleteFirewallRule(id=rule.id)
    assert rule.id not in ids(listed(user_api, "listFirewallRules", ipaddressid=public_ip.id))


def test_icmp_rule(public_ip, create_firewall_rule):
    rule = create_firewall_rule(ipaddressid=public_ip.id, protocol="icmp", icmptype=-1, icmpcode=-1,
                                cidrlist=["0.0.0.0/0"])
    assert rule.protocol == "icmp"
    assert (int(rule.icmptype), int(rule.icmpcode)) == (-1, -1)


@pytest.mark.tags("negative")
def test_overlapping_port_ranges_conflict(public_ip, create_firewall_rule, user_api):
    create_firewall_rule(ipaddressid=public_ip.id, protocol="tcp", startport=1000, endport=1100)
    with pytest.raises(CloudStackError) as refused:
        create_firewall_rule(ipaddressid=public_ip.id, protocol="tcp", startport=1050, endport=1060)
    assert refused.value.errorcode == 537  # NetworkRuleConflictException
    assert len(user_api.listFirewallRules(ipaddressid=public_ip.id)) == 1


@pytest.mark.tags("negative")
def test_start_port_above_end_port_is_refused(public_ip, create_firewall_rule):
    with pytest.raises(CloudStackError) as refused:
        create_firewall_rule(ipaddressid=public_ip.id, protocol="tcp", startport=2000, endport=1000)
    assert refused.value.errorcode == 431


def test_egress_rule(create_network, deploy_vm, make, user_api):
    network = create_network()
    deploy_vm(networkids=[network.id])
    rule = make.egress_rule(networkid=network.id, protocol="tcp", startport=80, endport=80, cidrlist=[network.cidr])
    assert rule.networkid == network.id
    assert (rule.protocol, int(rule.startport), int(rule.endport)) == ("tcp", 80, 80)
    assert rule.id in ids(user_api.listEgressFirewallRules(networkid=network.id))

    user_api.deleteEgressFirewallRule(id=rule.id)
    assert rule.id not in ids(listed(user_api, "listEgressFirewallRules", networkid=network.id))


@pytest.mark.tags("negative")
def test_egress_rule_source_outside_the_network_is_refused(create_network, make):
    network = create_network()
    with pytest.raises(CloudStackError) as refused:
        make.egress_rule(networkid=network.id, protocol="tcp", startport=80, endport=80, cidrlist=["192.0.2.0/24"])
    assert refused.value.errorcode == 431
