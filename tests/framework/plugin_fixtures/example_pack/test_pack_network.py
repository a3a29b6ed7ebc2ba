"""Networks, public IPs and VPCs; module-shared resources for read-only tests."""
from marvin2 import resources as r


def test_public_ip_on_a_network(create_network, acquire_public_ip):
    net = create_network()
    ip = acquire_public_ip(networkid=net.id)
    assert ip.associatednetworkid == net.id


def test_vpc(create_vpc, user_api):
    vpc = create_vpc()
    assert [v.id for v in user_api.listVPCs(id=vpc.id)] == [vpc.id]


def test_shared_vm_reads(shared_vm, shared_network, user_api):
    assert shared_vm.nic[0].networkid == shared_network.id
    assert r.find_by_id(user_api, "vm", shared_vm.id).state == "Running"


def test_shared_vm_reads_again(shared_vm, shared_network):
    assert shared_vm.id and shared_network.id


def test_first_ip_becomes_source_nat_and_goes_with_its_network(create_network, acquire_public_ip, deploy_vm, user_api):
    net = create_network()
    ip = acquire_public_ip(networkid=net.id)   # the network is not implemented yet: this IP is its source NAT
    deploy_vm(networkids=[net.id])             # implements the network: the IP can no longer be released alone
    assert r.find_by_id(user_api, "public_ip", ip.id).issourcenat is True
