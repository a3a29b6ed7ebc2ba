"""Port forwarding rules from a public IP to a VM."""
import pytest

from marvin2.client import CloudStackError

from .helpers import ids, listed

pytestmark = [pytest.mark.tags("nat", "firewall", "smoke", "advanced"), pytest.mark.zone_type("Advanced")]


@pytest.fixture
def vm_and_ip(create_network, deploy_vm, acquire_public_ip):
    network = create_network()
    return deploy_vm(networkids=[network.id]), acquire_public_ip(networkid=network.id)


@pytest.mark.tags("quick-test")
def test_create_and_delete_port_forwarding(vm_and_ip, create_port_forwarding_rule, user_api):
    vm, ip = vm_and_ip
    rule = create_port_forwarding_rule(ipaddressid=ip.id, virtualmachineid=vm.id, privateport=22, publicport=2222)
    assert rule.virtualmachineid == vm.id
    assert rule.ipaddressid == ip.id
    assert (int(rule.privateport), int(rule.publicport), rule.protocol) == (22, 2222, "tcp")
    assert rule.state == "Active"
    assert rule.id in ids(user_api.listPortForwardingRules(ipaddressid=ip.id))
    # openfirewall defaults to true outside VPCs: the public port is opened too
    opened = user_api.listFirewallRules(ipaddressid=ip.id) or []
    assert [(int(f.startport), int(f.endport)) for f in opened] == [(2222, 2222)]

    user_api.deletePortForwardingRule(id=rule.id)
    assert rule.id not in ids(listed(user_api, "listPortForwardingRules", ipaddressid=ip.id))


def test_port_range_forwarding(vm_and_ip, create_port_forwarding_rule):
    vm, ip = vm_and_ip
    rule = create_port_forwarding_rule(ipaddressid=ip.id, virtualmachineid=vm.id, privateport=8000,
                                       privateendport=8010, publicport=9000, publicendport=9010, protocol="udp")
    assert (int(rule.privateport), int(rule.privateendport)) == (8000, 8010)
    assert (int(rule.publicport), int(rule.publicendport)) == (9000, 9010)
    assert rule.protocol == "udp"


@pytest.mark.tags("negative")
def test_same_public_port_twice_conflicts(vm_and_ip, create_port_forwarding_rule, user_api):
    vm, ip = vm_and_ip
    create_port_forwarding_rule(ipaddressid=ip.id, virtualmachineid=vm.id, privateport=80, publicport=8080)
    with pytest.raises(CloudStackError) as refused:
        create_port_forwarding_rule(ipaddressid=ip.id, virtualmachineid=vm.id, privateport=81, publicport=8080)
    assert refused.value.errorcode == 537
    assert len(user_api.listPortForwardingRules(ipaddressid=ip.id)) == 1


@pytest.mark.tags("negative")
def test_forwarding_to_a_vm_of_another_network_is_refused(create_network, deploy_vm, acquire_public_ip,
                                                          create_port_forwarding_rule):
    first, second = create_network(), create_network()
    deploy_vm(networkids=[first.id])
    vm = deploy_vm(networkids=[second.id])
    ip = acquire_public_ip(networkid=first.id)
    with pytest.raises(CloudStackError) as refused:
        create_port_forwarding_rule(ipaddressid=ip.id, virtualmachineid=vm.id, privateport=22)
    assert refused.value.errorcode == 431
