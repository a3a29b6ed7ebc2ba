"""What only a real hypervisor can show: SSH into guests through port
forwarding, static NAT and a load balancer, outbound traffic through source
NAT, user data and a reset password seen from inside the guest.

All marked required_hardware(True): the plugin skips them on the simulator.
They need a template whose guests accept SSH logins (test_data
``ssh_username`` plus ``ssh_password`` or ``ssh_private_key``).
"""
import pytest

from marvin2 import resources as r

from .helpers import b64, only

pytestmark = [pytest.mark.zone_type("Advanced"),
              pytest.mark.tags("deploy-vm", "nat", "ssh", "smoke", "advanced"),
              pytest.mark.required_hardware(True), pytest.mark.requires("ssh_to_guests")]


@pytest.fixture
def reachable_vm(implemented_network, acquire_public_ip, create_port_forwarding_rule):
    """(vm, public address, port) with port 22 of the VM forwarded (and opened) on a new public IP."""
    vm = implemented_network.vm
    ip = acquire_public_ip(networkid=implemented_network.id)
    create_port_forwarding_rule(ipaddressid=ip.id, virtualmachineid=vm.id, privateport=22, publicport=22)
    return vm, ip.ipaddress, 22


def test_ssh_through_port_forwarding(reachable_vm, ssh_to_guest):
    vm, address, port = reachable_vm
    shell = ssh_to_guest(address, port)
    status, out, _ = shell.run("hostname")
    assert status == 0
    assert out.strip().split(".")[0] == vm.name


def test_guest_reaches_the_internet_through_source_nat(reachable_vm, ssh_to_guest):
    _, address, port = reachable_vm
    shell = ssh_to_guest(address, port)
    status, _, err = shell.run("ping -c 3 -W 5 8.8.8.8")
    assert status == 0, f"ping from the guest failed: {err}"
    status, _, err = shell.run("wget -q -T 30 -O /dev/null http://download.cloudstack.org/ || "
                               "curl -sf -m 30 -o /dev/null http://download.cloudstack.org/")
    assert status == 0, f"HTTP through NAT failed: {err}"


def test_ssh_through_static_nat(implemented_network, acquire_public_ip, create_firewall_rule, make, ssh_to_guest):
    vm = implemented_network.vm
    ip = acquire_public_ip(networkid=implemented_network.id)
    make.static_nat(ipaddressid=ip.id, virtualmachineid=vm.id)
    create_firewall_rule(ipaddressid=ip.id, protocol="tcp", startport=22, endport=22, cidrlist=["0.0.0.0/0"])
    status, out, _ = ssh_to_guest(ip.ipaddress).run("hostname")
    assert status == 0 and out.strip().split(".")[0] == vm.name


def test_user_data_is_served_to_the_guest(create_network, deploy_vm, acquire_public_ip,
                                          create_port_forwarding_rule, ssh_to_guest):
    network = create_network()
    vm = deploy_vm(networkids=[network.id], userdata=b64("marvin2 user data\n"))
    ip = acquire_public_ip(networkid=network.id)
    create_port_forwarding_rule(ipaddressid=ip.id, virtualmachineid=vm.id, privateport=22, publicport=22)
    shell = ssh_to_guest(ip.ipaddress)
    router = only(vm.nic).gateway
    status, out, _ = shell.run(f"curl -sf -m 30 http://{router}/latest/user-data || "
                               f"wget -q -T 30 -O - http://{router}/latest/user-data")
    assert status == 0
    assert out == "marvin2 user data\n"


def test_reset_password_works_inside_the_guest(reachable_vm, user_api, ssh_to_guest, template):
    if not template.get("passwordenabled"):
        pytest.skip(f"template {template.name} is not password-enabled")
    vm, address, port = reachable_vm
    r.stop_vm(user_api, vm.id)
    password = user_api.resetPasswordForVirtualMachine(id=vm.id).password
    r.start_vm(user_api, vm.id)
    status, out, _ = ssh_to_guest(address, port, password=password).run("hostname")
    assert status == 0 and out.strip().split(".")[0] == vm.name


@pytest.mark.tags("load-balancer")
def test_load_balancer_reaches_every_member(implemented_network, deploy_vm, acquire_public_ip, make, user_api,
                                            ssh_to_guest):
    first = implemented_network.vm
    second = deploy_vm(networkids=[implemented_network.id])
    ip = acquire_public_ip(networkid=implemented_network.id)
    rule = make.lb_rule(publicipid=ip.id, privateport=22, publicport=22, algorithm="roundrobin")
    user_api.assignToLoadBalancerRule(id=rule.id, virtualmachineids=[first.id, second.id])
    seen = set()
    for _ in range(6):
        shell = ssh_to_guest(ip.ipaddress)
        seen.add(shell.run("hostname")[1].strip().split(".")[0])
        shell.close()
    assert seen == {first.name, second.name}
