"""L2 networks: no IP management, no services; VMs still get a NIC."""
import pytest

from marvin2.client import CloudStackError

from .helpers import ids, listed, only

pytestmark = [pytest.mark.tags("networks", "smoke", "advanced"), pytest.mark.zone_type("Advanced")]


def test_create_l2_network_and_deploy(create_network, deploy_vm, l2_network_offering, user_api):
    network = create_network(networkofferingid=l2_network_offering.id)
    assert network.type == "L2"
    assert not network.get("cidr"), "an L2 network has no CIDR"
    assert not network.get("service"), "an L2 network offers no services"

    vm = deploy_vm(networkids=[network.id])
    nic = only(vm.nic)
    assert nic.networkid == network.id
    assert not nic.get("ipaddress"), "CloudStack hands out no address on an L2 network"
    assert nic.get("macaddress")


def test_delete_l2_network(create_network, l2_network_offering, user_api):
    network = create_network(networkofferingid=l2_network_offering.id)
    user_api.deleteNetwork(id=network.id)
    assert network.id not in ids(listed(user_api, "listNetworks", id=network.id))


@pytest.mark.tags("negative", "public-ip")
def test_no_public_ip_for_an_l2_network(create_network, l2_network_offering, user_api):
    network = create_network(networkofferingid=l2_network_offering.id)
    with pytest.raises(CloudStackError) as refused:
        user_api.associateIpAddress(networkid=network.id)
    assert refused.value.errorcode in (431, 530)
