"""Network and VPC offerings: the defaults, create/enable/disable, delete."""
import pytest

from marvin2.client import CloudStackError

from .helpers import ids, listed, only

pytestmark = pytest.mark.tags("offerings", "networks", "smoke")

ISOLATED_SERVICES = {"Dhcp": "VirtualRouter", "Dns": "VirtualRouter", "SourceNat": "VirtualRouter",
                     "StaticNat": "VirtualRouter", "PortForwarding": "VirtualRouter", "Firewall": "VirtualRouter"}


def _isolated_offering(make, **params):
    return make.network_offering(
        guestiptype="Isolated", supportedservices=list(ISOLATED_SERVICES),
        serviceproviderlist=[{"service": s, "provider": p} for s, p in ISOLATED_SERVICES.items()],
        serviceofferingid=None, **params)


@pytest.mark.tags("quick-test")
def test_default_offerings_are_enabled(user_api, network_offering, shared_network_offering, l2_network_offering):
    for offering, guest_type in ((network_offering, "Isolated"), (shared_network_offering, "Shared"),
                                 (l2_network_offering, "L2")):
        assert offering.guestiptype == guest_type
        assert offering.state == "Enabled"
    services = {s.name for s in network_offering.service}
    assert {"Dhcp", "Dns", "SourceNat"} <= services
    assert network_offering.id in ids(user_api.listNetworkOfferings(id=network_offering.id))


def test_default_vpc_offering(user_api, vpc_offering):
    listed_offering = only(user_api.listVPCOfferings(id=vpc_offering.id))
    assert listed_offering.state == "Enabled"
    assert {"SourceNat", "NetworkACL"} <= {s.name for s in listed_offering.service}


@pytest.mark.zone_type("Advanced")
def test_new_offering_is_disabled_until_enabled(make, cloud, create_network):
    offering = _isolated_offering(make)
    assert offering.state == "Disabled"
    assert offering.guestiptype == "Isolated"
    assert set(ISOLATED_SERVICES) <= {s.name for s in offering.service}

    with pytest.raises(CloudStackError) as refused:
        create_network(networkofferingid=offering.id)
    assert refused.value.errorcode == 431

    assert cloud.updateNetworkOffering(id=offering.id, state="Enabled").state == "Enabled"
    network = create_network(networkofferingid=offering.id)
    assert network.networkofferingid == offering.id


@pytest.mark.zone_type("Advanced")
def test_create_enabled_l2_offering(make, create_network):
    offering = make.network_offering(guestiptype="L2", enable=True)
    assert (offering.guestiptype, offering.state) == ("L2", "Enabled")
    network = create_network(networkofferingid=offering.id)
    assert network.type == "L2"


def test_delete_network_offering(make, cloud):
    offering = _isolated_offering(make)
    cloud.deleteNetworkOffering(id=offering.id)
    assert offering.id not in ids(listed(cloud, "listNetworkOfferings", id=offering.id))


@pytest.mark.tags("negative")
@pytest.mark.zone_type("Advanced")
def test_offering_in_use_cannot_be_deleted(make, cloud, create_network):
    offering = _isolated_offering(make, enable=True)
    create_network(networkofferingid=offering.id)
    with pytest.raises(CloudStackError) as refused:
        cloud.deleteNetworkOffering(id=offering.id)
    assert refused.value.errorcode == 431
    assert offering.id in ids(cloud.listNetworkOfferings(id=offering.id))
