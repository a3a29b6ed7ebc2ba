"""Isolated guest networks: create, list, update, restart, delete."""
import ipaddress

import pytest

from marvin2.client import CloudStackError

from .helpers import ids, listed, only

pytestmark = [pytest.mark.tags("networks", "smoke", "advanced"), pytest.mark.zone_type("Advanced")]


@pytest.mark.tags("quick-test")
def test_create_isolated_network(create_network, user_api, network_offering, zone, test_account):
    network = create_network()
    assert network.type == "Isolated"
    assert network.networkofferingid == network_offering.id
    assert network.zoneid == zone.id
    assert network.account == test_account.name
    assert network.state == "Allocated", "an isolated network without VMs is only allocated"
    if zone.get("guestcidraddress"):
        assert network.cidr == zone.guestcidraddress, "the default CIDR is the zone's guest CIDR"
    assert ipaddress.ip_address(network.gateway) in ipaddress.ip_network(network.cidr)

    assert network.id in ids(user_api.listNetworks(id=network.id))
    assert network.id in ids(user_api.listNetworks(zoneid=zone.id, type="Isolated"))


def test_create_with_own_gateway_and_netmask(create_network, deploy_vm):
    network = create_network(gateway="10.31.7.1", netmask="255.255.255.0")
    assert network.cidr == "10.31.7.0/24"
    assert network.gateway == "10.31.7.1"
    vm = deploy_vm(networkids=[network.id])
    assert ipaddress.ip_address(only(vm.nic).ipaddress) in ipaddress.ip_network("10.31.7.0/24")


def test_update_name_and_display_text(create_network, user_api):
    network = create_network()
    updated = user_api.updateNetwork(id=network.id, name=network.name + "-x", displaytext="marvin2 updated")
    assert (updated.name, updated.displaytext) == (network.name + "-x", "marvin2 updated")
    listed_network = only(user_api.listNetworks(id=network.id))
    assert listed_network.displaytext == "marvin2 updated"


def test_restart_an_implemented_network(create_network, deploy_vm, user_api):
    network = create_network()
    deploy_vm(networkids=[network.id])
    for cleanup in (False, True):
        user_api.restartNetwork(id=network.id, cleanup=cleanup)
        restarted = only(user_api.listNetworks(id=network.id))
        assert restarted.state == "Implemented"
        assert restarted.get("restartrequired") in (None, False)


@pytest.mark.tags("negative")
def test_restart_of_an_allocated_network_is_refused(create_network, user_api):
    network = create_network()
    with pytest.raises(CloudStackError) as refused:
        user_api.restartNetwork(id=network.id)
    assert refused.value.errorcode == 431
    assert only(user_api.listNetworks(id=network.id)).state == "Allocated"


def test_delete_network(create_network, user_api):
    network = create_network()
    user_api.deleteNetwork(id=network.id)
    assert network.id not in ids(listed(user_api, "listNetworks", id=network.id))


@pytest.mark.tags("negative")
def test_delete_network_with_a_vm_is_refused(create_network, deploy_vm, user_api):
    network = create_network()
    deploy_vm(networkids=[network.id])
    with pytest.raises(CloudStackError) as refused:
        user_api.deleteNetwork(id=network.id)
    # CloudStack's destroyNetwork refuses ("not all user vms are expunged"); the command reports 530
    assert refused.value.errorcode == 530
    assert only(user_api.listNetworks(id=network.id)).state == "Implemented"


@pytest.mark.tags("isolation", "negative")
def test_another_account_cannot_see_or_use_the_network(create_network, make, cloud, zone, template,
                                                       service_offering):
    network = create_network()
    other = make.api_for(make.account(purpose="other"))
    assert network.id not in ids(listed(other, "listNetworks", id=network.id))
    with pytest.raises(CloudStackError) as refused:
        other.deployVirtualMachine(zoneid=zone.id, templateid=template.id, serviceofferingid=service_offering.id,
                                   networkids=[network.id])
    assert refused.value.errorcode == 531


def test_vms_of_one_network_get_distinct_addresses(create_network, deploy_vm):
    network = create_network()
    first, second = deploy_vm(networkids=[network.id]), deploy_vm(networkids=[network.id])
    addresses = {only(first.nic).ipaddress, only(second.nic).ipaddress}
    assert len(addresses) == 2
    assert all(ipaddress.ip_address(a) in ipaddress.ip_network(network.cidr) for a in addresses)
