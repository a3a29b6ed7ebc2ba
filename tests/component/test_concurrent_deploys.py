"""Many deploys at once in one network: every VM gets its own address.

Deploys are sent without waiting (so their jobs overlap on the server) and
from several clients in threads (so the requests themselves overlap); the
guest addresses must be distinct, inside the network's CIDR, never the
gateway, with distinct MAC addresses. A /29 network holds five guests: the
sixth deploy is refused for lack of addresses.
"""
from __future__ import annotations

import ipaddress
from concurrent.futures import ThreadPoolExecutor

import pytest

from marvin2.resources.base import Created

from .helpers import expect_error, only, send_deploys

pytestmark = [pytest.mark.tags("component", "deploy-vm", "networks")]


def deploys_into(api, factory, network, how_many: int, **extra) -> list:
    """Send ``how_many`` deploys into ``network`` as ``api`` with wait=False (see helpers.send_deploys)."""
    return send_deploys(factory, [{"api": api, "networkids": [network["id"]], **extra} for _ in range(how_many)],
                        purpose="conc")


def guest_nic(vm, network_id: str):
    return only([n for n in vm.get("nic") or [] if n.get("networkid") == network_id], "NIC in the network")


def check_addresses(vms, network) -> None:
    cidr = ipaddress.ip_network(network.cidr)
    nics = [guest_nic(vm, network.id) for vm in vms]
    addresses = [nic.ipaddress for nic in nics]
    assert len(set(addresses)) == len(addresses), f"duplicate guest addresses: {sorted(addresses)}"
    assert len({nic.macaddress for nic in nics}) == len(nics), "duplicate MAC addresses"
    for address in addresses:
        ip = ipaddress.ip_address(address)
        assert ip in cidr and ip not in (cidr.network_address, cidr.broadcast_address)
        assert address != network.gateway


def test_ten_deploys_at_once_get_ten_addresses(resource_factory, create_network, user_api, job_timeout):
    network = create_network()
    answers = deploys_into(user_api, resource_factory, network, 10)
    vms = user_api.wait_for_jobs(answers, timeout=job_timeout)     # the VM records of the job results
    assert {vm.state for vm in vms} == {"Running"}
    network = only(user_api.listNetworks(id=network.id))
    check_addresses(vms, network)
    # The listing agrees with the job results.
    listed = user_api.listVirtualMachines(networkid=network.id)
    assert sorted(vm.id for vm in listed) == sorted(a.id for a in answers)
    check_addresses(listed, network)


def test_deploys_from_several_clients_in_parallel(resource_factory, create_network, make, test_account, user_api,
                                                  job_timeout):
    network = create_network()
    clients = [make.api_for(test_account) for _ in range(3)]

    def deploy_four(api):
        return api.wait_for_jobs(deploys_into(api, resource_factory, network, 4), timeout=job_timeout)

    with ThreadPoolExecutor(max_workers=3) as pool:
        results = [vm for batch in pool.map(deploy_four, clients) for vm in batch]
    vms = results
    assert len(vms) == 12 and {vm.state for vm in vms} == {"Running"}
    check_addresses(user_api.listVirtualMachines(networkid=network.id), only(user_api.listNetworks(id=network.id)))


def test_public_addresses_acquired_at_once_are_distinct(shared_vm, shared_network, user_api, resource_factory,
                                                        job_timeout):
    answers = []
    for _ in range(6):
        answer = user_api.associateIpAddress(networkid=shared_network.id, wait=False)
        resource_factory.tracker.on_created_by("user")(Created("public_ip", answer.id, "associateIpAddress"))
        answers.append(answer)
    ips = user_api.wait_for_jobs(answers, timeout=job_timeout)
    addresses = [ip["ipaddress"] for ip in ips]
    assert len(set(addresses)) == 6
    assert {ip["state"] for ip in ips} == {"Allocated"}


def test_the_same_cidr_in_two_networks(resource_factory, create_network, user_api, job_timeout):
    first = create_network(gateway="10.77.0.1", netmask="255.255.255.0")
    second = create_network(gateway="10.77.0.1", netmask="255.255.255.0")
    answers = deploys_into(user_api, resource_factory, first, 3) + deploys_into(user_api, resource_factory, second, 3)
    user_api.wait_for_jobs(answers, timeout=job_timeout)
    for network in (first, second):
        listed = user_api.listVirtualMachines(networkid=network.id)
        assert len(listed) == 3
        check_addresses(listed, only(user_api.listNetworks(id=network.id)))


@pytest.mark.tags("negative")
def test_a_small_network_runs_out_of_guest_addresses(resource_factory, create_network, deploy_vm, user_api,
                                                     job_timeout):
    # 10.78.0.0/29: .1 is the gateway (the router), .2 - .6 are for guests.
    network = create_network(gateway="10.78.0.1", netmask="255.255.255.248")
    vms = user_api.wait_for_jobs(deploys_into(user_api, resource_factory, network, 5), timeout=job_timeout)
    addresses = sorted(guest_nic(vm, network.id).ipaddress for vm in vms)
    assert addresses == [f"10.78.0.{n}" for n in range(2, 7)]
    error = expect_error(533, deploy_vm, networkids=[network.id])
    assert "address" in error.errortext.lower()


@pytest.mark.tags("negative")
def test_a_requested_address_in_use_is_refused(shared_network, shared_vm, deploy_vm, user_api):
    taken = guest_nic(shared_vm, shared_network.id).ipaddress
    with pytest.raises(Exception) as refused:
        deploy_vm(networkids=[shared_network.id], ipaddress=taken)
    assert getattr(refused.value, "errorcode", None) in (431, 533)
    assert [vm.id for vm in user_api.listVirtualMachines(networkid=shared_network.id)] == [shared_vm.id]


def test_a_requested_free_address_is_given(shared_network, shared_vm, deploy_vm):
    cidr = ipaddress.ip_network(shared_network.cidr)
    wanted = str(cidr.network_address + 200)
    vm = deploy_vm(networkids=[shared_network.id], ipaddress=wanted)
    assert guest_nic(vm, shared_network.id).ipaddress == wanted
