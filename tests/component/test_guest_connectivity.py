"""Traffic into and out of guests: SSH through port forwarding, static NAT and a load balancer,
ping and wget through the source NAT, and egress rules.

These need a real hypervisor and guests reachable from the test runner
(``required_hardware(True)``; the plugin skips them on the simulator). SSH
uses the config's ``test_data`` ``ssh_username`` / ``ssh_password`` /
``ssh_private_key``, or the password CloudStack gives a password-enabled
template's VM.
"""
from __future__ import annotations

import pytest

from .helpers import only

pytestmark = [
    pytest.mark.tags("component", "networks", "nat", "ssh", "advanced"),
    pytest.mark.required_hardware(True),
    pytest.mark.requires("ssh_to_guests"),
]

SSH_TIMEOUT = 600.0   # a fresh guest needs time to boot and start sshd


def vm_password(vm) -> str | None:
    return vm.get("password") or None


@pytest.fixture
def reachable_vm(deploy_vm, shared_network, acquire_public_ip, create_firewall_rule, create_port_forwarding_rule):
    """A VM reachable by SSH on <public ip>:2222 through port forwarding."""
    vm = deploy_vm(networkids=[shared_network.id])
    ip = acquire_public_ip(networkid=shared_network.id)
    create_firewall_rule(ipaddressid=ip.id, protocol="tcp", startport=2222, endport=2222, cidrlist=["0.0.0.0/0"])
    create_port_forwarding_rule(ipaddressid=ip.id, virtualmachineid=vm.id, privateport=22, publicport=2222)
    return vm, ip


@pytest.mark.tags("quick-test", "deploy-vm")
def test_ssh_through_port_forwarding(reachable_vm, ssh_to_guest):
    vm, ip = reachable_vm
    shell = ssh_to_guest(ip.ipaddress, 2222, timeout=SSH_TIMEOUT, password=vm_password(vm))
    status, out, _ = shell.run("hostname")
    assert status == 0
    assert out.strip() == vm.name


def test_the_guest_has_its_address_and_gateway(reachable_vm, ssh_to_guest, shared_network):
    vm, ip = reachable_vm
    shell = ssh_to_guest(ip.ipaddress, 2222, timeout=SSH_TIMEOUT, password=vm_password(vm))
    status, out, _ = shell.run("ip -4 addr show; ip route show default")
    assert status == 0
    assert only(vm.nic).ipaddress in out
    assert f"default via {shared_network.gateway}" in out


def test_ping_the_gateway_from_the_guest(reachable_vm, ssh_to_guest, shared_network):
    vm, ip = reachable_vm
    shell = ssh_to_guest(ip.ipaddress, 2222, timeout=SSH_TIMEOUT, password=vm_password(vm))
    status, out, _ = shell.run(f"ping -c 3 -W 2 {shared_network.gateway}", timeout=30)
    assert status == 0, out
    assert " 0% packet loss" in out


@pytest.mark.requires("internet_access")
def test_wget_through_the_source_nat(reachable_vm, ssh_to_guest, user_api, shared_network):
    vm, ip = reachable_vm
    shell = ssh_to_guest(ip.ipaddress, 2222, timeout=SSH_TIMEOUT, password=vm_password(vm))
    status, out, err = shell.run("wget -q -T 20 -O /dev/null http://download.cloudstack.org/ && echo fetched",
                                 timeout=60)
    assert status == 0 and "fetched" in out, err
    source_nat = only(user_api.listPublicIpAddresses(associatednetworkid=shared_network.id, issourcenat=True))
    status, out, _ = shell.run("wget -q -T 20 -O - http://checkip.amazonaws.com/", timeout=60)
    if status == 0 and out.strip():
        assert out.strip() == source_nat.ipaddress      # the guest leaves through the network's source NAT


@pytest.mark.tags("firewall")
@pytest.mark.requires("internet_access")
def test_an_egress_deny_rule_blocks_outbound_traffic(reachable_vm, ssh_to_guest, shared_network, user_api, make):
    vm, ip = reachable_vm
    shell = ssh_to_guest(ip.ipaddress, 2222, timeout=SSH_TIMEOUT, password=vm_password(vm))
    make.egress_rule(networkid=shared_network.id, protocol="tcp", startport=80, endport=80, cidrlist=["0.0.0.0/0"])
    status, _, _ = shell.run("wget -q -T 10 -t 1 -O /dev/null http://download.cloudstack.org/", timeout=40)
    # With the default egress policy "allow", an egress rule denies; with "deny", it allows: either way,
    # the answer must differ from the network's default behaviour.
    offering_default_allows = user_api.listNetworkOfferings(id=shared_network.networkofferingid)[0].get(
        "egressdefaultpolicy", True)
    assert (status != 0) == bool(offering_default_allows)


@pytest.mark.tags("nat", "public-ip")
def test_ssh_through_static_nat(deploy_vm, shared_network, acquire_public_ip, create_firewall_rule, user_api,
                                ssh_to_guest, make):
    vm = deploy_vm(networkids=[shared_network.id])
    ip = acquire_public_ip(networkid=shared_network.id)
    make.static_nat(ipaddressid=ip.id, virtualmachineid=vm.id)
    create_firewall_rule(ipaddressid=ip.id, protocol="tcp", startport=22, endport=22, cidrlist=["0.0.0.0/0"])
    shell = ssh_to_guest(ip.ipaddress, 22, timeout=SSH_TIMEOUT, password=vm_password(vm))
    status, out, _ = shell.run("hostname")
    assert (status, out.strip()) == (0, vm.name)


@pytest.mark.tags("load-balancer")
def test_the_load_balancer_reaches_every_backend(deploy_vm, shared_network, acquire_public_ip, create_firewall_rule,
                                                 make, user_api, ssh_to_guest):
    backends = [deploy_vm(networkids=[shared_network.id]) for _ in range(2)]
    ip = acquire_public_ip(networkid=shared_network.id)
    create_firewall_rule(ipaddressid=ip.id, protocol="tcp", startport=2200, endport=2200, cidrlist=["0.0.0.0/0"])
    rule = make.lb_rule(publicipid=ip.id, privateport=22, publicport=2200, algorithm="roundrobin")
    user_api.assignToLoadBalancerRule(id=rule.id, virtualmachineids=[vm.id for vm in backends])
    names = set()
    for _ in range(6):
        shell = ssh_to_guest(ip.ipaddress, 2200, timeout=SSH_TIMEOUT, password=vm_password(backends[0]))
        names.add(shell.run("hostname")[1].strip())
        shell.close()
    assert names == {vm.name for vm in backends}
