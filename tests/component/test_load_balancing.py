"""Load balancing across several VMs: assign, remove, list instances, conflicts, algorithms.

One isolated network with three VMs is made for the module (they are only
read or assigned to rules; every rule is deleted after its test). A second
network provides a VM that does not belong to the rule's network.
"""
from __future__ import annotations

import pytest

from .helpers import JOB_PARAM_ERROR, deploy_parallel, expect_error, ids, listed, only

pytestmark = [pytest.mark.tags("component", "load-balancer", "networks", "advanced")]


@pytest.fixture(scope="module")
def lb_network(module_factory):
    return module_factory.network()


@pytest.fixture(scope="module")
def backends(module_factory, lb_network):
    """Three running VMs on the module's network."""
    return deploy_parallel(module_factory, [{"networkids": [lb_network.id]}] * 3, purpose="backend")


@pytest.fixture
def public_ip(acquire_public_ip, lb_network, backends):
    # backends: the network is implemented (public IPs go to implemented networks only).
    return acquire_public_ip(networkid=lb_network.id)


def instances(api, rule_id: str) -> list[str]:
    return sorted(ids(api.listLoadBalancerRuleInstances(id=rule_id)))


def test_assign_and_remove_several_vms(make, public_ip, backends, user_api):
    rule = make.lb_rule(publicipid=public_ip.id, privateport=8080, publicport=80)
    assert (rule.publicip, int(rule.publicport), int(rule.privateport)) == (public_ip.ipaddress, 80, 8080)
    assert rule.algorithm == "roundrobin"
    assert instances(user_api, rule.id) == []

    user_api.assignToLoadBalancerRule(id=rule.id, virtualmachineids=ids(backends))
    assert instances(user_api, rule.id) == sorted(ids(backends))

    user_api.removeFromLoadBalancerRule(id=rule.id, virtualmachineids=[backends[0].id])
    assert instances(user_api, rule.id) == sorted(ids(backends[1:]))
    # The VMs themselves are untouched.
    assert {vm.state for vm in user_api.listVirtualMachines(ids=ids(backends))} == {"Running"}


def test_rule_is_listed_by_its_public_ip(make, public_ip, user_api, lb_network):
    rule = make.lb_rule(publicipid=public_ip.id, privateport=22, publicport=2222)
    listed = only(user_api.listLoadBalancerRules(publicipid=public_ip.id), "rule")
    assert (listed.id, listed.name, listed.state) == (rule.id, rule.name, "Active")
    assert listed.networkid == lb_network.id
    assert rule.id in ids(user_api.listLoadBalancerRules(networkid=lb_network.id))


def test_two_rules_share_the_vms(make, public_ip, backends, user_api):
    web = make.lb_rule(publicipid=public_ip.id, privateport=80, publicport=80)
    tls = make.lb_rule(publicipid=public_ip.id, privateport=443, publicport=443)
    user_api.assignToLoadBalancerRule(id=web.id, virtualmachineids=ids(backends))
    user_api.assignToLoadBalancerRule(id=tls.id, virtualmachineids=ids(backends[:2]))
    assert instances(user_api, web.id) == sorted(ids(backends))
    assert instances(user_api, tls.id) == sorted(ids(backends[:2]))
    # A VM's rules, looked up from the VM's side.
    rules_of_first = user_api.listLoadBalancerRules(virtualmachineid=backends[0].id) or []
    assert sorted(ids(rules_of_first)) == sorted([web.id, tls.id])


def test_vm_ips_of_the_assigned_instances(make, public_ip, backends, user_api):
    rule = make.lb_rule(publicipid=public_ip.id, privateport=80, publicport=80)
    user_api.assignToLoadBalancerRule(id=rule.id, virtualmachineids=[backends[0].id])
    mapped = only(user_api.listLoadBalancerRuleInstances(id=rule.id, lbvmips=True), "mapping")
    assert mapped.loadbalancerruleinstance.id == backends[0].id
    assert mapped.lbvmipaddresses == [backends[0].nic[0].ipaddress]


@pytest.mark.tags("negative")
def test_a_vm_is_assigned_once(make, public_ip, backends, user_api):
    rule = make.lb_rule(publicipid=public_ip.id, privateport=80, publicport=80)
    user_api.assignToLoadBalancerRule(id=rule.id, virtualmachineids=[backends[0].id])
    error = expect_error(JOB_PARAM_ERROR, user_api.assignToLoadBalancerRule, id=rule.id,
                         virtualmachineids=[backends[0].id])
    assert "is already mapped to load balancer" in error.errortext
    assert instances(user_api, rule.id) == [backends[0].id]


@pytest.mark.tags("negative")
def test_a_vm_of_another_network_cannot_be_assigned(make, public_ip, create_network, deploy_vm, user_api):
    rule = make.lb_rule(publicipid=public_ip.id, privateport=80, publicport=80)
    elsewhere = deploy_vm(networkids=[create_network().id])
    error = expect_error(JOB_PARAM_ERROR, user_api.assignToLoadBalancerRule, id=rule.id,
                         virtualmachineids=[elsewhere.id])
    assert "doesn't belong in the same network" in error.errortext
    assert instances(user_api, rule.id) == []


@pytest.mark.tags("negative", "nat")
def test_the_same_public_port_twice_conflicts(make, public_ip, backends, create_port_forwarding_rule):
    make.lb_rule(publicipid=public_ip.id, privateport=80, publicport=80)
    error = expect_error(537, make.lb_rule, publicipid=public_ip.id, privateport=81, publicport=80)
    assert "conflicts with rule" in error.errortext
    # Port forwarding on a port the load balancer uses conflicts as well.
    expect_error(537, create_port_forwarding_rule, ipaddressid=public_ip.id, virtualmachineid=backends[0].id,
                 privateport=80, publicport=80)


@pytest.mark.tags("negative")
def test_an_unknown_algorithm_is_refused(make, public_ip):
    expect_error(431, make.lb_rule, publicipid=public_ip.id, privateport=80, publicport=80, algorithm="random")


@pytest.mark.parametrize("algorithm", ["leastconn", "source"])
def test_changing_the_algorithm(make, public_ip, user_api, algorithm):
    rule = make.lb_rule(publicipid=public_ip.id, privateport=80, publicport=80)
    updated = user_api.updateLoadBalancerRule(id=rule.id, algorithm=algorithm)
    assert updated.algorithm == algorithm
    assert only(user_api.listLoadBalancerRules(id=rule.id)).algorithm == algorithm


@pytest.mark.tags("deploy-vm")
def test_an_expunged_vm_leaves_the_rule(make, public_ip, backends, deploy_vm, lb_network, user_api, cloud):
    extra = deploy_vm(networkids=[lb_network.id])
    rule = make.lb_rule(publicipid=public_ip.id, privateport=80, publicport=80)
    user_api.assignToLoadBalancerRule(id=rule.id, virtualmachineids=[backends[0].id, extra.id])
    cloud.destroyVirtualMachine(id=extra.id, expunge=True)
    assert instances(user_api, rule.id) == [backends[0].id]


def test_deleting_the_rule_keeps_the_vms_and_the_address(make, public_ip, backends, user_api):
    rule = make.lb_rule(publicipid=public_ip.id, privateport=80, publicport=80)
    user_api.assignToLoadBalancerRule(id=rule.id, virtualmachineids=ids(backends))
    user_api.deleteLoadBalancerRule(id=rule.id)
    assert listed(user_api, "listLoadBalancerRules", id=rule.id) == []
    assert only(user_api.listPublicIpAddresses(id=public_ip.id)).state == "Allocated"
    assert {vm.state for vm in user_api.listVirtualMachines(ids=ids(backends))} == {"Running"}


def test_stickiness_policy(make, public_ip, user_api):
    rule = make.lb_rule(publicipid=public_ip.id, privateport=80, publicport=80)
    policy = user_api.createLBStickinessPolicy(lbruleid=rule.id, methodname="LbCookie", name=make.name("sticky"))
    listed = only(user_api.listLBStickinessPolicies(lbruleid=rule.id), "policy set")
    assert listed.lbruleid == rule.id
    assert [p.methodname for p in listed.stickinesspolicy] == ["LbCookie"]
    assert policy.lbruleid == rule.id
