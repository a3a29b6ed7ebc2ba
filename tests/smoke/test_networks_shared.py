"""Shared guest networks (made by the admin, with a VLAN and an IP range)."""
import ipaddress
import random

import pytest

from marvin2.client import CloudStackError

from .helpers import ids, listed, only

pytestmark = [pytest.mark.tags("networks", "smoke", "advanced"), pytest.mark.zone_type("Advanced")]


def _shared_params(physical_network, domain):
    # A random VLAN and subnet: tests of several runs and workers must not collide.
    vlan = random.randint(2000, 3999)
    third = random.randint(0, 255)
    second = random.randint(100, 250)
    return {"vlan": str(vlan), "gateway": f"10.{second}.{third}.1", "netmask": "255.255.255.0",
            "startip": f"10.{second}.{third}.10", "endip": f"10.{second}.{third}.50",
            "physicalnetworkid": physical_network.id, "acltype": "Domain", "domainid": domain.id}


@pytest.fixture
def shared_params(physical_network, domain):
    return _shared_params(physical_network, domain)


@pytest.fixture
def shared_network(create_network, cloud, shared_network_offering, shared_params):
    return create_network(api=cloud, networkofferingid=shared_network_offering.id, **shared_params)


@pytest.mark.tags("quick-test")
def test_create_shared_network(shared_network, shared_params, shared_network_offering, cloud):
    assert shared_network.type == "Shared"
    assert shared_network.networkofferingid == shared_network_offering.id
    assert shared_network.state == "Setup", "a shared network with a VLAN is set up at once"
    assert shared_network.acltype == "Domain"
    assert shared_network.gateway == shared_params["gateway"]
    assert shared_network.cidr == shared_params["gateway"].rsplit(".", 1)[0] + ".0/24"
    assert str(shared_network.vlan).removeprefix("vlan://") == shared_params["vlan"]
    ranges = cloud.listVlanIpRanges(networkid=shared_network.id) or []
    assert [(v.startip, v.endip) for v in ranges] == [(shared_params["startip"], shared_params["endip"])]


def test_user_deploys_into_a_shared_network(shared_network, shared_params, deploy_vm, user_api):
    assert shared_network.id in ids(user_api.listNetworks(id=shared_network.id)), \
        "a domain-wide shared network is visible to the domain's users"
    vm = deploy_vm(networkids=[shared_network.id])
    nic = only(vm.nic)
    assert nic.networkid == shared_network.id
    address = ipaddress.ip_address(nic.ipaddress)
    assert ipaddress.ip_address(shared_params["startip"]) <= address <= ipaddress.ip_address(shared_params["endip"])


def test_delete_shared_network(shared_network, cloud):
    cloud.deleteNetwork(id=shared_network.id)
    assert shared_network.id not in ids(listed(cloud, "listNetworks", id=shared_network.id, listall=True))


@pytest.mark.tags("negative", "roles")
def test_users_may_not_create_shared_networks(user_api, shared_network_offering, physical_network, domain, zone):
    with pytest.raises(CloudStackError) as refused:
        user_api.createNetwork(zoneid=zone.id, networkofferingid=shared_network_offering.id, name="m2-refused",
                               displaytext="m2-refused", **_shared_params(physical_network, domain))
    assert refused.value.errorcode in (431, 531)


@pytest.mark.tags("negative")
def test_same_vlan_twice_is_refused(shared_network, shared_params, create_network, cloud, shared_network_offering,
                                    physical_network, domain):
    params = _shared_params(physical_network, domain)
    params["vlan"] = shared_params["vlan"]
    with pytest.raises(CloudStackError) as refused:
        create_network(api=cloud, networkofferingid=shared_network_offering.id, **params)
    assert refused.value.errorcode == 431
