"""Load balancer rules: create, assign and remove VMs, update, delete."""
import pytest

from marvin2.client import CloudStackError

from .helpers import ids, listed, only

pytestmark = [pytest.mark.tags("load-balancer", "smoke", "advanced"), pytest.mark.zone_type("Advanced")]


@pytest.fixture
def lb_setup(create_network, deploy_vm, acquire_public_ip):
    network = create_network()
    vms = [deploy_vm(networkids=[network.id]), deploy_vm(networkids=[network.id])]
    return network, vms, acquire_public_ip(networkid=network.id)


@pytest.mark.tags("quick-test")
def test_round_robin_rule_with_two_vms(lb_setup, make, user_api):
    network, (first, second), ip = lb_setup
    rule = make.lb_rule(publicipid=ip.id, privateport=8080, publicport=80, algorithm="roundrobin")
    assert (rule.algorithm, int(rule.privateport), int(rule.publicport)) == ("roundrobin", 8080, 80)
    assert rule.publicipid == ip.id
    assert rule.networkid == network.id

    user_api.assignToLoadBalancerRule(id=rule.id, virtualmachineids=[first.id, second.id])
    members = user_api.listLoadBalancerRuleInstances(id=rule.id) or []
    assert sorted(ids(members)) == sorted([first.id, second.id])
    assert only(user_api.listLoadBalancerRules(id=rule.id)).state == "Active"

    user_api.removeFromLoadBalancerRule(id=rule.id, virtualmachineids=[first.id])
    assert ids(user_api.listLoadBalancerRuleInstances(id=rule.id)) == [second.id]


def test_update_algorithm_and_name(lb_setup, make, user_api):
    _, _, ip = lb_setup
    rule = make.lb_rule(publicipid=ip.id)
    updated = user_api.updateLoadBalancerRule(id=rule.id, algorithm="leastconn", name=rule.name + "-x")
    assert (updated.algorithm, updated.name) == ("leastconn", rule.name + "-x")
    assert only(user_api.listLoadBalancerRules(id=rule.id)).algorithm == "leastconn"


def test_list_rules_of_a_vm(lb_setup, make, user_api):
    _, (first, second), ip = lb_setup
    rule = make.lb_rule(publicipid=ip.id, privateport=443, publicport=443, algorithm="source")
    user_api.assignToLoadBalancerRule(id=rule.id, virtualmachineids=[first.id])
    assert rule.id in ids(user_api.listLoadBalancerRules(virtualmachineid=first.id))
    assert rule.id not in ids(listed(user_api, "listLoadBalancerRules", virtualmachineid=second.id))


def test_delete_rule(lb_setup, make, user_api):
    _, (first, _), ip = lb_setup
    rule = make.lb_rule(publicipid=ip.id)
    user_api.assignToLoadBalancerRule(id=rule.id, virtualmachineids=[first.id])
    user_api.deleteLoadBalancerRule(id=rule.id)
    assert rule.id not in ids(listed(user_api, "listLoadBalancerRules", publicipid=ip.id))


@pytest.mark.tags("negative")
def test_unknown_algorithm_is_refused(lb_setup, make, user_api):
    _, _, ip = lb_setup
    with pytest.raises(CloudStackError) as refused:
        make.lb_rule(publicipid=ip.id, algorithm="fastest")
    assert refused.value.errorcode == 431
    assert listed(user_api, "listLoadBalancerRules", publicipid=ip.id) == []


@pytest.mark.tags("negative")
def test_same_public_port_twice_conflicts(lb_setup, make, user_api):
    _, _, ip = lb_setup
    make.lb_rule(publicipid=ip.id, privateport=80, publicport=80)
    with pytest.raises(CloudStackError) as refused:
        make.lb_rule(publicipid=ip.id, privateport=8080, publicport=80)
    assert refused.value.errorcode == 537
    assert len(user_api.listLoadBalancerRules(publicipid=ip.id)) == 1
